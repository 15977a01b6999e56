"""Monthly and weekly figures per unit, rankings, and their Excel export.

Satisfaction rate = satisfied (+ basically satisfied, when the institution counts it) / all ratings,
kept as an exact fraction; shown as a percentage rounded half-up to two decimals, with its numerator
and denominator. Rankings compare the exact fractions, so two units tie only when their rates are
equal, not when they round alike. A unit with fewer ratings than its institution's minimum in the
period shows no rate and is not ranked on satisfaction. Only released ratings count.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from core.excel import safe_cell
from orgs.models import Unit

from .models import Case, ChannelConfig, Grade, Rating


@dataclass(frozen=True)
class Period:
    kind: str  # "month" or "week"
    start: date
    end: date  # exclusive

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        y, w, _d = self.start.isocalendar()
        return f"{y}-W{w:02d}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(y)s-%(m)02d (month)") % {"y": self.start.year, "m": self.start.month}
        y, w, _d = self.start.isocalendar()
        last = self.end - timedelta(days=1)
        return _("Week %(w)s of %(y)s (%(a)s to %(b)s)") % {"w": w, "y": y, "a": self.start, "b": last}

    def previous(self) -> "Period":
        return period_containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> "Period":
        return period_containing(self.kind, self.end)


def period_containing(kind: str, day: date) -> Period:
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=7))
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, end)


def parse_period(value: str, today: date) -> Period:
    """ "2026-10" → that month; "2026-W43" → that ISO week; anything else → the current month."""
    if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", value or ""):
        try:
            return period_containing("week", date.fromisocalendar(int(m[1]), int(m[2]), 1))
        except ValueError:
            pass
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", value or ""):
        try:
            return period_containing("month", date(int(m[1]), int(m[2]), 1))
        except ValueError:
            pass
    return period_containing("month", today)


def percent_half_up(rate: Fraction) -> Decimal:
    """The rate as a percentage with two decimals, halves rounded up (exact integer arithmetic)."""
    hundredths = (rate.numerator * 20000 + rate.denominator) // (2 * rate.denominator)
    return Decimal(hundredths).scaleb(-2)  # 8000 → 80.00


@dataclass
class UnitFigures:
    unit: Unit
    institution: Unit | None
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    open_cases: int = 0
    min_ratings: int = 5
    counts_basic: bool = True
    rank: int | None = field(default=None)

    @property
    def total(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied

    @property
    def numerator(self) -> int:
        return self.satisfied + (self.basic if self.counts_basic else 0)

    @property
    def rate(self) -> Fraction | None:
        if self.total == 0 or self.total < self.min_ratings:
            return None
        return Fraction(self.numerator, self.total)

    @property
    def percent(self) -> Decimal | None:
        return percent_half_up(self.rate) if self.rate is not None else None

    @property
    def too_few(self) -> bool:
        return self.rate is None


def collect(units, period: Period) -> list[UnitFigures]:
    """Figures of `units` (a queryset) for the period: one row per unit with a service point or with
    ratings in the period, in the organisation's order. Three queries whatever the number of units."""
    counts = {
        row["unit"]: row
        for row in Rating.objects.filter(
            released=True, rated_on__gte=period.start, rated_on__lt=period.end, unit__in=units
        )
        .values("unit")
        .annotate(
            s=Count("pk", filter=Q(grade=Grade.SATISFIED)),
            b=Count("pk", filter=Q(grade=Grade.BASIC)),
            u=Count("pk", filter=Q(grade=Grade.UNSATISFIED)),
        )
    }
    open_cases = dict(
        Case.objects.filter(
            released=True,
            status=Case.Status.INVESTIGATING,
            unit__in=units,
            opened_on__gte=period.start,
            opened_on__lt=period.end,
        )
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
    )
    rows = list(
        Unit.objects.filter(pk__in=units)
        .filter(Q(service_point__isnull=False) | Q(pk__in=list(counts)))
        .select_related("institution")
        .order_by("path")
    )
    configs = {
        c.institution_id: c for c in ChannelConfig.objects.filter(institution__in={u.institution_id for u in rows})
    }
    result = []
    for unit in rows:
        c = counts.get(unit.pk, {})
        config = configs.get(unit.institution_id) or ChannelConfig()
        result.append(
            UnitFigures(
                unit=unit,
                institution=unit.institution,
                satisfied=c.get("s", 0),
                basic=c.get("b", 0),
                unsatisfied=c.get("u", 0),
                open_cases=open_cases.get(unit.pk, 0),
                min_ratings=config.min_ratings,
                counts_basic=config.rate_counts_basic,
            )
        )
    return result


def _ranked(rows: list[UnitFigures], key) -> list[UnitFigures]:
    """Standard competition ranking (1, 1, 3): equal keys share a rank."""
    rows = sorted(rows, key=lambda r: (key(r), r.unit.path), reverse=False)
    last, rank = object(), 0
    for i, r in enumerate(rows, start=1):
        k = key(r)
        if k != last:
            rank, last = i, k
        r.rank = rank
    return rows


def rank_unsatisfied(rows: list[UnitFigures]) -> list[UnitFigures]:
    """Most 不满意 first (units with at least one); ties share a rank."""
    import copy

    return _ranked([copy.copy(r) for r in rows if r.unsatisfied], key=lambda r: -r.unsatisfied)


def rank_satisfaction(rows: list[UnitFigures]) -> list[UnitFigures]:
    """Best satisfaction first among units with enough ratings; exact rates decide ties."""
    import copy

    return _ranked([copy.copy(r) for r in rows if r.rate is not None], key=lambda r: -r.rate)


def has_ties(rows: list[UnitFigures]) -> set[int]:
    ranks = [r.rank for r in rows]
    return {k for k in ranks if ranks.count(k) > 1}


# ---------------------------------------------------------------- Excel

PERCENT_FORMAT = "0.00%"


def _rate_cell(r: UnitFigures):
    # The cell holds the rounded rate as a number (0.9813 shows as 98.13%); empty when too few.
    return float(r.percent / 100) if r.percent is not None else None


def _headers(with_rank: bool) -> list[str]:
    head = [
        _("Institution"),
        _("Unit"),
        _("Satisfied"),
        _("Basically satisfied"),
        _("Unsatisfied"),
        _("Ratings"),
        _("Rate numerator"),
        _("Satisfaction rate"),
        _("Open cases"),
    ]
    return [_("Rank"), *head] if with_rank else head


def _sheet(wb, title: str, rows: list[UnitFigures], period: Period, with_rank: bool) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet(title[:31])
    ws.append([safe_cell(f"{title} · {period.label}")])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(_headers(with_rank))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        values = [
            safe_cell(str(r.institution or "")),
            safe_cell(str(r.unit)),
            r.satisfied,
            r.basic,
            r.unsatisfied,
            r.total,
            r.numerator,
            _rate_cell(r),
            r.open_cases,
        ]
        ws.append([r.rank, *values] if with_rank else values)
        rate_col = 9 if with_rank else 8
        ws.cell(row=ws.max_row, column=rate_col).number_format = PERCENT_FORMAT
    ws.append([])
    ws.append([_("Rates are rounded half-up to two decimals; a unit with fewer ratings than the minimum shows none.")])
    for col, width in zip("ABCDEFGHIJ", (8, 22, 18, 10, 12, 10, 10, 12, 12, 10)):
        ws.column_dimensions[col].width = width


def to_xlsx(*, figures: list[UnitFigures] | None = None, rankings: dict | None = None, period: Period) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    if figures is not None:
        _sheet(wb, _("Figures by unit"), figures, period, with_rank=False)
    for title, rows in (rankings or {}).items():
        _sheet(wb, title, rows, period, with_rank=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
