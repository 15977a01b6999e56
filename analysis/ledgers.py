"""The Excel ledgers (台账): 问题清单, 责任清单, 整改清单 and the combined 整改台账.

`ledger_rows(...)` yields plain rows (one problem or one measure each), reading the database in
chunks; `to_xlsx(...)` streams them into an openpyxl write-only workbook (rows go to disk as they
are written), so 100,000 rows need little memory. Cells are typed by `core.excel.cell` (dates as
date cells, numbers as numbers, formula-like text kept as text); styles are created once, here.

The combined ledger keeps the office's shape: category → problem → its measures, one row per
measure, the category and problem cells merged over their rows. Only measures of approved plans are
listed, as on the dashboards, and the measure ledgers end with the rates (core.rates) that the
dashboard shows, with their numerators and denominators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.excel import PERCENT_FORMAT, RowWriter, cell
from core.idlists import InIds
from core.rates import rate

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
        C("category", pgettext_lazy("ledger column", "Category"), 14),
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
#
# Rows are read as plain values (no model instances), CHUNK objects at a time, with one query per chunk
# for the manifestations and measures (or problems) of the chunk; choice labels and fixed phrases are
# looked up once per export, not once per row: at 100,000 rows that is most of the difference.


def _approved_measures():
    from rectification.models import Measure

    return Measure.objects.filter(plan__status="approved")


PROBLEM_FIELDS = (
    "pk unit__name subject_kind subject_person_id subject_person__name description channel severity cause "
    "recorded_at status lookback_id fixed_note"
).split()
MEASURE_FIELDS = (
    "content goal leader_person_name leader_name unit_record_name responsible_unit_name owner_person_name "
    "owner_name deadline time_class status percent verified_at"
).split()


def _problems(campaign, unit_ids=None, root=None):
    from django.db.models import OuterRef, Subquery

    from problems.models import Problem

    from .models import LedgerRow

    first = LedgerRow.objects.filter(problem=OuterRef("pk")).order_by("number")
    qs = Problem.objects.filter(campaign=campaign).annotate(
        category=Subquery(first.values("category")[:1]),
        # imported problems in the order of their file (rows are stored in file order), then the others
        ledger_at=Subquery(first.values("pk")[:1]),
    )
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    if root is not None:
        qs = qs.filter(unit__path__startswith=root.path)
    return qs.values(*PROBLEM_FIELDS, "category").order_by(
        F("ledger_at").asc(nulls_last=True), "category", "unit__path", "recorded_at", "pk"
    )


def _measures(campaign, unit_ids=None, root=None):
    qs = _approved_measures().filter(plan__campaign=campaign)
    if unit_ids is not None:
        qs = qs.filter(responsible_unit_id__in=unit_ids)
    if root is not None:
        qs = qs.filter(responsible_unit__path__startswith=root.path)
    return (
        qs.annotate(**_measure_names())
        .values("pk", "plan__unit__name", *MEASURE_FIELDS)
        .order_by("responsible_unit__path", "deadline", "pk")
    )


def base_queryset(kind: str, campaign, *, root=None, unit_ids=None):
    """Problems (as values) for the problem list and the combined ledger; measures for the other two."""
    if kind in ("problems", "combined"):
        return _problems(campaign, unit_ids, root)
    return _measures(campaign, unit_ids, root)


class Labels:
    """Choice labels and fixed phrases in the active language, looked up once per export."""

    def __init__(self):
        from problems.models import Problem
        from rectification.models import Measure

        def choices(model, name):
            return {k: str(v) for k, v in model._meta.get_field(name).flatchoices}

        self.subject_kind = choices(Problem, "subject_kind")
        self.channel = choices(Problem, "channel")
        self.severity = choices(Problem, "severity")
        self.problem_status = choices(Problem, "status")
        self.time_class = choices(Measure, "time_class")
        self.measure_status = choices(Measure, "status")
        self.closed_on = _("Closed on %(date)s")
        self.not_closed = _("Not closed")
        self.lookback = _("Look-back")
        self.not_planned = _("Not yet planned")
        self.fixed_note = _("Fixed at once: %(note)s")
        self.fixed = _("Fixed at once")
        self.zone = timezone.get_current_timezone()  # looked up once, not for every date of every row


def _date(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def _measure_cells(m: dict, labels: Labels) -> dict:
    """The measure's cells of a row (m: a values() row of MEASURE_FIELDS)."""
    if m["status"] == "verified" and m["verified_at"]:
        closeout = labels.closed_on % {"date": _date(timezone.localdate(m["verified_at"], labels.zone))}
    else:
        closeout = labels.not_closed
    return {
        "measure": m["content"],
        "goal": m["goal"],
        "leader": m["leader_person_name"] if m["leader_person_name"] is not None else m["leader_name"],
        "resp_unit": m["responsible_unit_name"] or m["unit_record_name"],
        "owner": m["owner_person_name"] if m["owner_person_name"] is not None else m["owner_name"],
        # a real date cell; the time class in words when there is no date (长期坚持)
        "deadline": m["deadline"] or labels.time_class.get(m["time_class"], m["time_class"]),
        "completion": f"{labels.measure_status.get(m['status'], m['status'])}（{m['percent']}%）",
        "closeout": closeout,
    }


def _numbered(values: list[str]) -> str:
    values = [v for v in values if v]
    if len(values) <= 1:
        return values[0] if values else ""
    return "\n".join(f"{i}. {v}" for i, v in enumerate(values, start=1))


def problem_row(p: dict, manifestations: list[str], labels: Labels) -> dict:
    subject = labels.subject_kind.get(p["subject_kind"], p["subject_kind"])
    if p["subject_person_id"]:
        subject = f"{subject}：{p['subject_person__name']}"
    return {
        "unit": p["unit__name"],
        "subject": subject,
        "description": p["description"],
        "manifestations": "、".join(manifestations),
        "channel": labels.channel.get(p["channel"], p["channel"]),
        "severity": labels.severity.get(p["severity"], p["severity"]),
        "cause": p["cause"],
        "recorded": _date(timezone.localdate(p["recorded_at"], labels.zone)) if p["recorded_at"] else "",
        "status": labels.problem_status.get(p["status"], p["status"]),
    }


def combined_rows(p: dict, manifestations: list[str], measures: list[dict], labels: Labels) -> list[dict]:
    """The problem's rows: one per measure (the problem's cells repeated, merged when written)."""
    base = problem_row(p, manifestations, labels)
    base["category"] = p["category"] or ""
    base["remark"] = labels.lookback if p["lookback_id"] else ""
    if not measures:
        row = {**base, "measure": "", "goal": "", "leader": "", "resp_unit": "", "owner": "", "deadline": ""}
        row["completion"] = labels.not_planned
        row["closeout"] = ""
        if p["status"] == "fixed_at_once":
            row["completion"] = labels.fixed_note % {"note": p["fixed_note"] or "—"}
            row["closeout"] = labels.fixed
        return [row]
    return [{**base, **_measure_cells(m, labels)} for m in measures]


def measure_row(m: dict, problems: list[str], labels: Labels) -> dict:
    return {
        "unit": m["plan__unit__name"],
        "description": _numbered(problems),
        "time_class": labels.time_class.get(m["time_class"], m["time_class"]),
        "percent": m["percent"] / 100,
        **_measure_cells(m, labels),
    }


def _chunks(iterable, size: int):
    from itertools import islice

    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


def _manifestations_of(problem_ids: list[int]) -> dict[int, list[str]]:
    from problems.models import Problem

    through = Problem.manifestations.through
    out: dict[int, list[str]] = {}
    for pid, name in (
        through.objects.filter(InIds(F("problem_id"), problem_ids))
        .order_by("manifestation__sort_order", "manifestation__pk")
        .values_list("problem_id", "manifestation__name")
    ):
        out.setdefault(pid, []).append(name)
    return out


def _measures_of(problem_ids: list[int], statuses: dict[int, str] | None = None) -> dict[int, list[dict]]:
    """The approved measures of each problem, in the ledger's order (import row, deadline).

    Two queries, the links by problem then the measures by key: in one join, SQLite's planner starts from
    every approved plan and probes each of their measures against the chunk's problems (3.6 s for 1,000
    problems of a city of 3,000 measures, growing with all the measures of the city)."""
    from rectification.models import Measure

    through = Measure.problems.through
    links: dict[int, list[int]] = {}
    for pid, mid in through.objects.filter(InIds(F("problem_id"), problem_ids)).values_list("problem_id", "measure_id"):
        links.setdefault(mid, []).append(pid)
    out: dict[int, list[dict]] = {}
    if not links:
        return out
    # The plan's status is read, not filtered on: as a condition, it again leads the planner to start
    # from every approved plan of the city.
    for row in (
        Measure.objects.filter(InIds(F("pk"), list(links)))
        .annotate(**_measure_names())
        .order_by("import_row", "deadline", "pk")
        .values_list("pk", "plan_status", *MEASURE_FIELDS)
    ):
        if row[1] != "approved":
            continue
        measure = dict(zip(MEASURE_FIELDS, row[2:], strict=True))
        if statuses is not None:
            statuses[row[0]] = measure["status"]
        for pid in links[row[0]]:
            out.setdefault(pid, []).append(measure)
    return out


def _measure_names() -> dict:
    """The names a measure row shows from other tables (its plan's status, its leader, unit and owner), each
    looked up by key for the row. As joins, PostgreSQL's planner hashed the whole person table twice for
    every chunk of 2,000 measures (175 ms a chunk at city size, half of a 100,000-row export's time)."""
    from django.db.models import OuterRef, Subquery

    from orgs.models import Person, Unit
    from rectification.models import RectificationPlan

    def by_key(model, field, column):
        return Subquery(model.objects.filter(pk=OuterRef(field)).order_by().values(column)[:1])

    return {
        "plan_status": by_key(RectificationPlan, "plan_id", "status"),
        "leader_person_name": by_key(Person, "responsible_leader_id", "name"),
        "unit_record_name": by_key(Unit, "responsible_unit_id", "name"),
        "owner_person_name": by_key(Person, "owner_id", "name"),
    }


def _problems_of(measure_ids: list[int]) -> dict[int, list[str]]:
    from rectification.models import Measure

    through = Measure.problems.through
    out: dict[int, list[str]] = {}
    for mid, text in (
        through.objects.filter(InIds(F("measure_id"), measure_ids))
        .order_by("-problem__recorded_at", "-problem__pk")
        .values_list("measure_id", "problem__description")
    ):
        out.setdefault(mid, []).append(text)
    return out


def ledger_rows(
    kind: str, queryset, labels: Labels | None = None, statuses: dict[int, str] | None = None
) -> Iterator[list[dict]]:
    """Rows of one ledger, grouped per object (a problem and its measure rows), read CHUNK objects at a
    time (`queryset` from `base_queryset`). `statuses`, when given, receives the status of every measure
    read (by key), from which the sheet's rates are counted without reading them again."""
    labels = labels or Labels()
    for chunk in _chunks(queryset.iterator(chunk_size=CHUNK), CHUNK):
        ids = [o["pk"] for o in chunk]
        if kind in ("problems", "combined"):
            manifestations = _manifestations_of(ids)
            if kind == "problems":
                for p in chunk:
                    yield [problem_row(p, manifestations.get(p["pk"], []), labels)]
                continue
            measures = _measures_of(ids, statuses)
            for p in chunk:
                yield combined_rows(p, manifestations.get(p["pk"], []), measures.get(p["pk"], []), labels)
        else:
            problems = _problems_of(ids)
            if statuses is not None:
                statuses.update((m["pk"], m["status"]) for m in chunk)
            for m in chunk:
                yield [measure_row(m, problems.get(m["pk"], []), labels)]


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


TITLE_FONT = Font(name="宋体", size=16, bold=True)
BOLD = Font(bold=True)
# columns merged over the rows of one problem (combined ledger); "category" over a run of problems
PROBLEM_COLUMNS = ("seq", "unit", "description", "manifestations", "cause", "remark")


def _start_sheet(wb: Workbook, title: str, heading: str, columns: list[Column], used: set[str]):
    ws = wb.create_sheet(_sheet_title(title, used))
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A3"
    last = get_column_letter(len(columns))
    ws.merged_cells.add(f"A1:{last}1")
    ws.append([cell(ws, heading, font=TITLE_FONT, alignment=CENTER)])
    ws.append(
        [cell(ws, str(col.header), font=BOLD, fill=HEADER_FILL, border=BORDER, alignment=CENTER) for col in columns]
    )
    return ws


def _row_writer(ws, columns: list[Column]) -> RowWriter:
    """Data rows: bordered, wrapped (the number centred, the progress a percentage); styles made once."""
    return RowWriter(
        ws,
        [
            {
                "border": BORDER,
                "alignment": CENTER if col.key == "seq" else WRAP,
                "number_format": PERCENT_FORMAT.replace(".00", "") if col.key == "percent" else None,
            }
            for col in columns
        ],
    )


def _merge(ws, columns: list[Column], keys, first: int, last: int) -> None:
    if last <= first:
        return
    for i, col in enumerate(columns, start=1):
        if col.key in keys:
            letter = get_column_letter(i)
            ws.merged_cells.add(f"{letter}{first}:{letter}{last}")


def _finish_sheet(ws, columns: list[Column], rows: int, rates: list | None = None) -> None:
    ws.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{max(rows, 1) + 2}"
    for label, r in rates or ():
        value = float(r.value) / 100 if r.value is not None else "—"
        ws.append(
            [
                cell(ws, str(label), font=BOLD),
                cell(ws, value, font=BOLD, number_format=PERCENT_FORMAT),
                cell(ws, f"{r.numerator_label} {r.numerator} / {r.denominator_label} {r.denominator}"),
            ]
        )


def _rates(kind: str, statuses: dict[int, str]) -> list:
    """The dashboard's rates over the measures of this sheet (measure ledgers only), counted from the
    statuses of the measures the sheet listed (`ledger_rows(..., statuses=)`)."""
    if kind not in ("rectification", "combined"):
        return []
    total = len(statuses)
    done = sum(1 for s in statuses.values() if s in ("verified", "completed"))
    verified = sum(1 for s in statuses.values() if s == "verified")
    measures_label = _("measures of approved plans")
    return [
        (
            _("Completion rate"),
            rate(done, total, numerator_label=_("done"), denominator_label=measures_label),
        ),
        (
            _("Close-out rate (销号率)"),
            rate(verified, total, numerator_label=_("verified and closed"), denominator_label=measures_label),
        ),
    ]


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

    `progress(done, total)` is called every CHUNK objects (the background task records it).
    """
    columns = COLUMNS[kind]
    heading = f"{root.name}{TITLES[kind]}"
    total = base_queryset(kind, campaign, root=root).count()
    wb = Workbook(write_only=True)
    used: set[str] = set()
    done = 0
    labels = Labels()
    keys = [col.key for col in columns]

    def write(ws, queryset) -> int:
        nonlocal done
        n = rows = 0
        category, category_start = None, 3
        writer = _row_writer(ws, columns)
        statuses: dict[int, str] = {}
        for group in ledger_rows(kind, queryset, labels, statuses):
            n += 1
            done += 1
            first = rows + 3
            if kind == "combined" and group[0]["category"] != category:
                _merge(ws, columns, ("category",), category_start, first - 1)
                category, category_start = group[0]["category"], first
            for row in group:
                rows += 1
                writer.append([n if key == "seq" else row.get(key, "") for key in keys])
            if kind == "combined":
                _merge(ws, columns, PROBLEM_COLUMNS, first, rows + 2)
            if progress and done % CHUNK == 0:
                progress(done, total)
        if kind == "combined":
            _merge(ws, columns, ("category",), category_start, rows + 2)
        _finish_sheet(ws, columns, rows, _rates(kind, statuses))
        return rows

    written = 0
    if layout == "per_unit":
        for unit, unit_ids in sheet_groups(campaign, root):
            ws = _start_sheet(wb, unit.short_name or unit.name, f"{unit.name}{TITLES[kind]}", columns, used)
            written += write(ws, base_queryset(kind, campaign, unit_ids=unit_ids))
    else:
        ws = _start_sheet(wb, str(TITLES[kind]), heading, columns, used)
        written += write(ws, base_queryset(kind, campaign, root=root))
    wb.save(path)
    if progress:
        progress(done, total)
    return written
