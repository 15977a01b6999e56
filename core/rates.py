"""The one way to compute a rate (完成率, 按期完成率, 销号率 …) everywhere: dashboards, reports, exports.

Offices publish rates such as 96.15%: a percentage with two decimals, rounded half-up (四舍五入), from
exact integers (no float on the way, so 1/8 = 12.50% and 2/3 = 66.67% every time). A rate always
carries its numerator and denominator, so a page or a sheet can show what was divided by what.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import total_ordering


@total_ordering
@dataclass(frozen=True, eq=False)
class Rate:
    numerator: int
    denominator: int
    numerator_label: str = ""
    denominator_label: str = ""

    @property
    def value(self) -> Decimal | None:
        """The percentage, two decimals, half-up; None when there is nothing to divide by."""
        if not self.denominator:
            return None
        return half_up(self.numerator * 100, self.denominator, places=2)

    @property
    def percent(self) -> str:
        """ "96.15%", or "—" when there is nothing to divide by."""
        value = self.value
        return "—" if value is None else f"{value:.2f}%"

    @property
    def fraction(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    def __str__(self) -> str:
        value = self.value
        return "—" if value is None else f"{value:.2f}"

    def __float__(self) -> float:
        return float(self.value or 0)

    def _key(self) -> Decimal:
        return self.value if self.value is not None else Decimal(-1)

    def __eq__(self, other) -> bool:
        return isinstance(other, Rate) and self._key() == other._key()

    def __lt__(self, other: Rate) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())


def rate(numerator: int, denominator: int, *, numerator_label: str = "", denominator_label: str = "") -> Rate:
    """numerator / denominator as a Rate (both non-negative integers, numerator ≤ denominator in use)."""
    if numerator < 0 or denominator < 0:
        raise ValueError("a rate divides counts, which are never negative")
    return Rate(int(numerator), int(denominator), str(numerator_label), str(denominator_label))


def half_up(numerator: int, denominator: int, *, places: int = 0) -> Decimal:
    """numerator / denominator rounded half-up (四舍五入) to `places` decimals, on exact integers.

    The only rounding of a figure the office publishes: rates (through Rate) and averages of whole
    percentages (a problem's progress) alike, so 62.5 shows as 63 wherever it appears."""
    if denominator <= 0:
        raise ValueError("nothing to divide by")
    scale = 10**places
    units, remainder = divmod(abs(numerator) * scale, denominator)
    if 2 * remainder >= denominator:
        units += 1
    return Decimal(-units if numerator < 0 else units).scaleb(-places)


def mean_percent(percents) -> int:
    """The average of whole percentages, half-up to a whole percent (0 for none)."""
    values = [int(p) for p in percents]
    return int(half_up(sum(values), len(values))) if values else 0
