"""Background work: remind reviewers of overdue reviews; route reports that were waiting for a reviewer."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from notifications.services import notify

from .models import SelfReport
from .routing import city_officials_for
from .selectors import overdue_after
from .services import report_reroute

REMIND_EVERY = timezone.timedelta(days=1)


@task()
def remind_overdue_reviews() -> dict:
    """Reviews pending longer than settings.REPORT_REVIEW_OVERDUE_DAYS: remind the reviewer(s) in the app
    and by e-mail, at most once a day per report. Also retry routing of reports waiting for a reviewer."""
    now = timezone.now()
    rerouted = 0
    for report in SelfReport.objects.filter(status=SelfReport.Status.SUBMITTED).exclude(routing_problem=""):
        report_reroute(actor=None, report=report)
        rerouted += not report.routing_problem
    due = SelfReport.objects.filter(
        status=SelfReport.Status.SUBMITTED, routing_problem="", submitted_at__lt=now - overdue_after()
    ).exclude(reminded_at__gte=now - REMIND_EVERY)
    reminded = 0
    for report in due.select_related("reviewer", "unit", "person"):
        if report.reviewer_is_city_office:
            recipients = [p.user for p in city_officials_for(report.unit)]
        else:
            recipients = [report.reviewer]
        days = (now - report.submitted_at).days
        notify(
            recipients=[u for u in recipients if u and u.pk != getattr(report.person, "user_id", None)],
            title=_("Overdue review: “%(title)s” has waited %(days)s days") % {"title": report.title, "days": days},
            body=_("Reviews are due within %(n)s days.") % {"n": settings.REPORT_REVIEW_OVERDUE_DAYS},
            url=reverse("reports:detail", args=[report.pk]),
            kind="warning",
            email=True,
        )
        SelfReport.objects.filter(pk=report.pk).update(reminded_at=now)
        reminded += 1
    return {"reminded": reminded, "rerouted": rerouted}
