"""The default accountability measures (domain.md §7), seeded by migration 0003 and re-seedable with
`accountability.services.measure_types_ensure()` (tests that flush the database need it).

A measure "blocks commendation" when the person may not be commended (评优评先) in the year it was
decided: 通报批评, 诫勉谈话 and everything heavier. A written self-criticism (责令书面检查) and a
performance-pay deduction (扣发绩效) do not by themselves.
"""

DEFAULT_MEASURES: list[tuple[str, bool]] = [
    ("责令书面检查", False),
    ("通报批评", True),
    ("诫勉谈话", True),
    ("调离岗位", True),
    ("取消评优评先资格", True),
    ("扣发绩效", False),
    ("停职反省", True),
    ("公开检讨", True),
    ("辞退", True),
]
