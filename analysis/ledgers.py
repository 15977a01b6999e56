"""The Excel ledgers (台账): 问题清单, 责任清单, 整改清单 and the combined 整改台账.

`ledger_rows(...)` yields plain rows (one problem or one measure each), reading the database in
chunks; `to_xlsx(...)` streams them into an openpyxl write-only workbook (rows go to disk as they
are written), so 100,000 rows need little memory. Every cell passes through `core.excel.safe_cell`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.excel import safe_cell

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int


def C(key, header, width):  # noqa: N802  (a short constructor keeps the tables below readable)
    return Column(key, header, width)


COLUMNS = {
    "problems": [
        C("seq", pgettext_lazy("ledger column", "No."), 6),
        C("unit", pgettext_lazy("ledger column", "Unit"), 18),
        C("subject", pgettext_lazy("ledger column", "Subject"), 14),
        C("description", pgettext_lazy("ledger column", "Problem"), 48),
        C("manifestations", pgettext_lazy("ledger column", "Manifestation"), 20),
        C("channel", pgettext_lazy("ledger column", "Channel"), 18),
        C("severity", pgettext_lazy("ledger column", "Severity"), 10),
        C("cause", pgettext_lazy("ledger column", "Cause"), 36),
        C("recorded", pgettext_lazy("ledger column", "Recorded on"), 12),
        C("status", pgettext_lazy("ledger column", "Status"), 12),
    ],
    "responsibility": [
        C("seq", pgettext_lazy("ledger column", "No."), 6),
        C("description", pgettext_lazy("ledger column", "Problem"), 44),
        C("measure", pgettext_lazy("ledger column", "Rectification measure"), 44),
        C("leader", pgettext_lazy("ledger column", "Responsible leader"), 12),
        C("resp_unit", pgettext_lazy("ledger column", "Responsible unit"), 18),
        C("owner", pgettext_lazy("ledger column", "Responsible person"), 12),
        C("deadline", pgettext_lazy("ledger column", "Deadline"), 14),
    ],
    "rectification": [
        C("seq", pgettext_lazy("ledger column", "No."), 6),
        C("unit", pgettext_lazy("ledger column", "Unit"), 18),
        C("description", pgettext_lazy("ledger column", "Problem"), 40),
        C("measure", pgettext_lazy("ledger column", "Rectification measure"), 40),
        C("goal", pgettext_lazy("ledger column", "Goal"), 30),
        C("time_class", pgettext_lazy("ledger column", "Time class"), 12),
        C("deadline", pgettext_lazy("ledger column", "Deadline"), 14),
        C("percent", pgettext_lazy("ledger column", "Progress"), 8),
        C("completion", pgettext_lazy("ledger column", "Completion"), 16),
        C("closeout", pgettext_lazy("ledger column", "Close-out"), 18),
    ],
    "combined": [
        C("seq", pgettext_lazy("ledger column", "No."), 6),
        C("unit", pgettext_lazy("ledger column", "Unit"), 16),
        C("description", pgettext_lazy("ledger column", "Problem"), 40),
        C("manifestations", pgettext_lazy("ledger column", "Manifestation"), 16),
        C("cause", pgettext_lazy("ledger column", "Cause"), 30),
        C("measure", pgettext_lazy("ledger column", "Rectification measure"), 40),
        C("goal", pgettext_lazy("ledger column", "Goal"), 28),
        C("leader", pgettext_lazy("ledger column", "Responsible leader"), 12),
        C("resp_unit", pgettext_lazy("ledger column", "Responsible unit"), 16),
        C("owner", pgettext_lazy("ledger column", "Responsible person"), 12),
        C("deadline", pgettext_lazy("ledger column", "Deadline"), 14),
        C("completion", pgettext_lazy("ledger column", "Completion"), 24),
        C("closeout", pgettext_lazy("ledger column", "Close-out"), 18),
        C("remark", pgettext_lazy("ledger column", "Remarks"), 14),
    ],
}

TITLES = {
    "problems": pgettext_lazy("ledger column", "Problem list"),
    "responsibility": pgettext_lazy("ledger column", "Responsibility list"),
    "rectification": pgettext_lazy("ledger column", "Rectification list"),
    "combined": pgettext_lazy("ledger column", "Rectification ledger"),
}


# ---------------------------------------------------------------------------------------- reading


def _problems(campaign, unit_ids=None, root=None):
    from problems.models import Problem
    from rectification.models import Measure

    qs = Problem.objects.filter(campaign=campaign)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    if root is not None:
        qs = qs.filter(unit__path__startswith=root.path)
    return (
        qs.select_related("unit", "subject_person")
        .prefetch_related(
            "manifestations",
            Prefetch(
                "measures",
                queryset=Measure.objects.select_related("responsible_leader", "responsible_unit", "owner").order_by(
                    "deadline", "pk"
                ),
            ),
        )
        .order_by("unit__path", "recorded_at", "pk")
    )


def _measures(campaign, unit_ids=None, root=None):
    from rectification.models import Measure

    qs = Measure.objects.filter(plan__campaign=campaign)
    if unit_ids is not None:
        qs = qs.filter(responsible_unit_id__in=unit_ids)
    if root is not None:
        qs = qs.filter(responsible_unit__path__startswith=root.path)
    return (
        qs.select_related("responsible_leader", "responsible_unit", "owner", "plan__unit")
        .prefetch_related("problems")
        .order_by("responsible_unit__path", "deadline", "pk")
    )


def base_queryset(kind: str, campaign, *, root=None, unit_ids=None):
    """Problems for the problem list and the combined ledger; measures for the other two."""
    if kind in ("problems", "combined"):
        return _problems(campaign, unit_ids, root)
    return _measures(campaign, unit_ids, root)


def _date(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def _person(p) -> str:
    return p.name if p else ""


def _measure_completion(m) -> str:
    return f"{m.get_status_display()}（{m.percent}%）"


def _measure_closeout(m) -> str:
    if m.status == "verified" and m.verified_at:
        return _("Closed on %(date)s") % {"date": _date(m.verified_at.date())}
    return _("Not closed")


def _numbered(values: list[str]) -> str:
    values = [v for v in values if v]
    if len(values) <= 1:
        return values[0] if values else ""
    return "\n".join(f"{i}. {v}" for i, v in enumerate(values, start=1))


def problem_row(p) -> dict:
    subject = p.get_subject_kind_display()
    if p.subject_person_id:
        subject = f"{subject}：{p.subject_person.name}"
    return {
        "unit": p.unit.name,
        "subject": subject,
        "description": p.description,
        "manifestations": "、".join(m.name for m in p.manifestations.all()),
        "channel": p.get_channel_display(),
        "severity": p.get_severity_display(),
        "cause": p.cause,
        "recorded": _date(p.recorded_at.date()) if p.recorded_at else "",
        "status": p.get_status_display(),
    }


def combined_row(p) -> dict:
    row = problem_row(p)
    measures = list(p.measures.all())
    if measures:
        verified = [m for m in measures if m.status == "verified"]
        if len(verified) == len(measures):
            last = max(m.verified_at for m in verified)
            closeout = _("Closed on %(date)s") % {"date": _date(last.date())}
        elif verified:
            closeout = _("%(done)s of %(all)s measures closed") % {"done": len(verified), "all": len(measures)}
        else:
            closeout = _("Not closed")
        row.update(
            measure=_numbered([m.content for m in measures]),
            goal=_numbered([m.goal for m in measures]),
            leader="、".join(dict.fromkeys(_person(m.responsible_leader) for m in measures if m.responsible_leader)),
            resp_unit="、".join(dict.fromkeys(m.responsible_unit.name for m in measures)),
            owner="、".join(dict.fromkeys(_person(m.owner) for m in measures)),
            deadline=_numbered([_date(m.deadline) or m.get_time_class_display() for m in measures]),
            completion=_numbered([_measure_completion(m) for m in measures]),
            closeout=closeout,
        )
    else:
        row.update(measure="", goal="", leader="", resp_unit="", owner="", deadline="", closeout="")
        row["completion"] = _("Not yet planned")
    if p.status == "fixed_at_once":
        row["completion"] = _("Fixed at once: %(note)s") % {"note": p.fixed_note or "—"}
        row["closeout"] = row["closeout"] or _("Fixed at once")
    row["remark"] = _("Look-back") if p.lookback_id else ""
    return row


def measure_row(m) -> dict:
    problems = list(m.problems.all())
    return {
        "unit": m.plan.unit.name,
        "description": _numbered([p.description for p in problems]),
        "measure": m.content,
        "goal": m.goal,
        "leader": _person(m.responsible_leader),
        "resp_unit": m.responsible_unit.name,
        "owner": _person(m.owner),
        "time_class": m.get_time_class_display(),
        "deadline": _date(m.deadline) or m.get_time_class_display(),
        "percent": f"{m.percent}%",
        "completion": _measure_completion(m),
        "closeout": _measure_closeout(m),
    }


ROW_BUILDERS = {
    "problems": problem_row,
    "combined": combined_row,
    "responsibility": measure_row,
    "rectification": measure_row,
}


def ledger_rows(kind: str, queryset) -> Iterator[dict]:
    """Rows of one ledger, read in chunks (prefetching per chunk)."""
    build = ROW_BUILDERS[kind]
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield build(obj)


def sheet_groups(campaign, root) -> list[tuple[object, list[int]]]:
    """For one sheet per unit: (unit, ids of the units whose rows go on its sheet). The sheets are
    the participating units under `root` (or root and its children); each unit below goes to the
    nearest of them above it."""
    from orgs.models import Unit

    from .selectors import Scope, grouping_units

    groups = grouping_units(Scope(campaign, root))
    by_path = {u.path: u for u in groups}
    members: dict[int, list[int]] = {u.pk: [] for u in groups}
    for pk, path in Unit.objects.filter(path__startswith=root.path).values_list("pk", "path"):
        parts = path.rstrip("/").split("/")
        while parts:
            owner = by_path.get("/".join(parts) + "/")
            if owner is not None:
                members[owner.pk].append(pk)
                break
            parts.pop()
    return [(u, members[u.pk]) for u in groups]


# ---------------------------------------------------------------------------------------- writing

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _sheet_title(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "Sheet"
    title, n = clean[:31], 2
    while title in used:
        suffix = f"({n})"
        title, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title


def _start_sheet(wb: Workbook, title: str, heading: str, columns: list[Column], used: set[str]):
    ws = wb.create_sheet(_sheet_title(title, used))
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A3"
    last = get_column_letter(len(columns))
    ws.merged_cells.add(f"A1:{last}1")
    title_cell = WriteOnlyCell(ws, value=safe_cell(heading))
    title_cell.font = Font(name="宋体", size=16, bold=True)
    title_cell.alignment = CENTER
    ws.append([title_cell])
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=safe_cell(str(col.header)))
        cell.font, cell.fill, cell.border, cell.alignment = Font(bold=True), HEADER_FILL, BORDER, CENTER
        header.append(cell)
    ws.append(header)
    return ws


def _append(ws, columns: list[Column], seq: int, row: dict) -> None:
    cells = []
    for col in columns:
        value = seq if col.key == "seq" else row.get(col.key, "")
        cell = WriteOnlyCell(ws, value=safe_cell(value))
        cell.border, cell.alignment = BORDER, CENTER if col.key == "seq" else WRAP
        cells.append(cell)
    ws.append(cells)


def _finish_sheet(ws, columns: list[Column], rows: int) -> None:
    ws.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{max(rows, 1) + 2}"


def to_xlsx(
    path,
    *,
    kind: str,
    campaign,
    root,
    layout: str = "single",
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the ledger to `path` (an .xlsx file); returns the number of data rows written.

    `progress(done, total)` is called every CHUNK rows (the background task records it).
    """
    columns = COLUMNS[kind]
    heading = f"{root.name}{TITLES[kind]}"
    total = base_queryset(kind, campaign, root=root).count()
    wb = Workbook(write_only=True)
    used: set[str] = set()
    done = 0

    def write(ws, queryset) -> int:
        nonlocal done
        n = 0
        for row in ledger_rows(kind, queryset):
            n += 1
            done += 1
            _append(ws, columns, n, row)
            if progress and done % CHUNK == 0:
                progress(done, total)
        _finish_sheet(ws, columns, n)
        return n

    if layout == "per_unit":
        for unit, unit_ids in sheet_groups(campaign, root):
            ws = _start_sheet(wb, unit.short_name or unit.name, f"{unit.name}{TITLES[kind]}", columns, used)
            write(ws, base_queryset(kind, campaign, unit_ids=unit_ids))
    else:
        ws = _start_sheet(wb, str(TITLES[kind]), heading, columns, used)
        write(ws, base_queryset(kind, campaign, root=root))
    wb.save(path)
    if progress:
        progress(done, total)
    return done
