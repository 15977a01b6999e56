"""Demo paper ballots read by machine, in the OPEN round of the demo (evaluations/demo.py, 第二批).

The office printed sheets for the service-user representatives (服务对象代表); the representatives
filled three of them by pen (generated: ticks, crosses, one correction) and the office scanned them.
The batch was read, its one doubtful line decided by the office, entered, and checked by a second
office member: it counts, and nothing per sheet nor any image is left. A fourth sheet was scanned on
its own and waits on the review page with its doubtful line, for a tester to decide.

Small and fast (four sheets at 150 dpi, about a second); the pens are drawn by simulate.py, the same
generator as the reader's tests."""

import numpy as np
from django.core.files.base import ContentFile

from evaluations.models import Evaluation

from . import layout as L
from . import services, simulate
from .models import SheetAnswer, SheetLayout

GROUP = "服务对象代表"
DPI = 150


def _round(ctx) -> Evaluation | None:
    return (
        Evaluation.objects.filter(campaign=ctx["campaign"], status=Evaluation.Status.OPEN)
        .filter(groups__name=GROUP)
        .order_by("-pk")
        .first()
    )


def _fill(pdf: bytes, layout: L.Layout, first: int, sheets: list[list[simulate.Intent]], rng) -> bytes:
    """Sheets `first`, `first`+1, … of the printed PDF filled with `sheets` (per sheet, one intent per
    question in ballot order) and scanned into one PDF, as the office scanner gives it."""
    from PIL import Image

    per_sheet = len(layout.pages)
    scans = []
    for k, intents in enumerate(sheets):
        at = 0
        for p in range(per_sheet):
            n = len(layout.questions(p))
            img, _ = simulate.fill_page(
                simulate.rasterise(pdf, (first + k) * per_sheet + p, DPI),
                layout,
                p,
                intents[at : at + n],
                DPI,
                rng,
                stray=False,
                ink=30,
            )
            at += n
            scans.append(simulate.scan(img, rng))
    import io

    images = [Image.open(io.BytesIO(j)) for j in scans]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return buf.getvalue()


def _voter(rng, n_questions: int, n_grades: int, *, correction: bool = False) -> list[simulate.Intent]:
    """A representative's sheet: mostly the first grades (满意, 基本满意), with ticks and crosses."""
    weights = np.array([0.6, 0.3, 0.1, 0.0][:n_grades] + [0.0] * max(0, n_grades - 4))
    weights = weights / weights.sum()
    out = []
    for _q in range(n_questions):
        g = int(rng.choice(n_grades, p=weights))
        out.append(simulate.Intent("answer", g, {g}, [(g, str(rng.choice(["tick", "tick", "cross"])))]))
    if correction:  # 不满意 blacked out, 满意 ticked beside it: the machine asks a person
        out[0] = simulate.Intent("correction", 0, {0, 2}, [(2, "scribble"), (0, "tick")])
    return out


def scanned_batches(ctx, ev, group, office, checker) -> None:
    """Print four sheets, scan three filled ones as one batch, decide its doubt, enter, check; scan the
    fourth alone and leave it in review."""
    pdf = services.sheets_print(actor=office, evaluation=ev, group=group, count=4, record_issued=True)
    layout = L.Layout.from_json(SheetLayout.objects.filter(evaluation=ev, group=group).latest("pk").spec)
    rng = np.random.default_rng(19)
    n_q, n_g = len(layout.all_questions()), len(layout.grades)
    sheets = [_voter(rng, n_q, n_g, correction=k == 1) for k in range(3)]
    batch = services.scan_upload(
        actor=office,
        evaluation=ev,
        group=group,
        label="服务对象代表票箱（扫描）",
        files=[ContentFile(_fill(pdf, layout, 0, sheets, rng), name="scan.pdf")],
    )
    services.scan_read(batch_id=batch.pk)  # the background task's work, done here
    batch.refresh_from_db()
    grades = list(ev.grades.all())
    for answer in SheetAnswer.objects.filter(sheet__batch=batch, doubtful=True).select_related("sheet__batch"):
        # the office looks at the line and records what the voter meant: the corrected answer, 满意
        services.answer_decide(actor=office, answer=answer, kind="answer", grade=grades[0])
    batch = services.scan_batch_submit(actor=office, batch=batch)
    services.scan_batch_check(actor=checker, batch=batch, approve=True, note="与原始票核对无误")

    # the fourth sheet, scanned later on its own: waiting on the review page
    late = services.scan_upload(
        actor=office,
        evaluation=ev,
        group=group,
        label="补交票（扫描）",
        files=[ContentFile(_fill(pdf, layout, 3, [_voter(rng, n_q, n_g, correction=True)], rng), name="late.pdf")],
    )
    services.scan_read(batch_id=late.pk)
    ctx["stdout"].write(
        f"    paperballots: {group.name}: 3 scanned sheets checked, 1 waiting for review: /paperballots/round/{ev.pk}/"
    )


def seed(ctx: dict) -> None:
    ev = _round(ctx)
    if ev is None:
        ctx["stdout"].write("    paperballots: no open round with a service-user group; no paper batch")
        return
    office = ctx["office_people"][0].user
    others = [p.user for p in ctx["office_people"][1:] if p.user_id]
    checker = others[0] if others else ctx["principal"].user
    scanned_batches(ctx, ev, ev.groups.get(name=GROUP), office, checker)
