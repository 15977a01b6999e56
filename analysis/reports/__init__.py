"""The comprehensive analysis reports: `comprehensive` (an institution) and `city`.

`generate(run_id)` is what the background task runs: collect, draw the charts, write Word and PDF,
recording progress on the run so the page's progress bar moves.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import AnalysisReport, ReportRun


def generate(run_id: int) -> None:
    from ..services import run_finish, run_progress
    from . import city, comprehensive

    run = ReportRun.objects.select_related("report__unit", "report__campaign").get(pk=run_id)
    report = run.report
    module = comprehensive if report.scope == AnalysisReport.Scope.INSTITUTION else city
    run_progress(run_id, 10, _("Collecting the figures"))
    if module is comprehensive:
        data = comprehensive.collect(report.unit, report.campaign, report=report)
    else:
        data = city.collect(report.unit, report=report)
    run_progress(run_id, 35, _("Drawing the charts"))
    images = module.make_charts(data)
    run_progress(run_id, 55, _("Writing the Word document"))
    docx = module.to_docx(data, images)
    run_progress(run_id, 75, _("Writing the PDF"))
    pdf = module.to_pdf(data, images)
    filename = f"{report.unit.name}-{_('comprehensive analysis report')}-{timezone.localdate():%Y%m%d}"
    run_finish(run_id, docx=docx, pdf=pdf, filename=filename)
