"""Demo service ratings (双评议): five service desks of the college and two of 考试院 rated by the
public over the previous and the current month (QR ratings and a couple of phone replies), released as
the scheduler would; a handful of 不满意 cases, two of them settled. 后勤管理处's 膳食科 draws the most
不满意; 图书馆 is rated too rarely to show a rate."""

import random
from datetime import timedelta

from django.utils import timezone

from orgs.models import Person, RoleAssignment, Unit

from . import services
from .models import Case

# (institution code, unit name, chance of 满意/基本满意/不满意 for 5/4/3/2/1 stars, ratings per weekday)
DESKS = [
    ("JCZY", "教务处", (0.60, 0.25, 0.135, 0.01, 0.005), 2),
    ("JCZY", "财务处", (0.50, 0.30, 0.185, 0.01, 0.005), 2),
    ("JCZY", "膳食科", (0.35, 0.30, 0.30, 0.03, 0.02), 2),
    ("JCZY", "资助中心", (0.65, 0.25, 0.10, 0.0, 0.0), 1),
    ("JCZY", "图书馆", (0.70, 0.20, 0.10, 0.0, 0.0), 0),
    ("JCKSY", "考务处", (0.55, 0.30, 0.14, 0.01, 0.0), 1),
    ("JCKSY", "招生处", (0.45, 0.35, 0.19, 0.01, 0.0), 1),
]
REASONS = [
    "排队等了一个多小时，窗口只开了一个。",
    "工作人员态度生硬，问了两遍就不耐烦。",
    "材料要求前后说法不一致，跑了三趟。",
    "饭菜价格上涨但分量变少，反映多次没有回音。",
    "电话一直没人接，到现场才知道要网上预约。",
]


def _office_user(institution: Unit):
    ra = RoleAssignment.objects.filter(role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=institution).first()
    return ra.person.user


def seed(ctx: dict) -> None:
    rng = random.Random(2026_13)
    today = timezone.localdate()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # first day of last month
    institutions = {u.code: u for u in Unit.objects.filter(code__in=["JCZY", "JCKSY"])}
    points = []
    for inst_code, name, weights, per_day in DESKS:
        institution = institutions[inst_code]
        office = _office_user(institution)
        unit = Unit.objects.get(institution=institution, name=name)
        points.append((services.point_enable(actor=office, unit=unit), weights, per_day, office))
    services.config_update(
        actor=_office_user(institutions["JCZY"]),
        institution=institutions["JCZY"],
        star_grades={"1": "unsatisfied", "2": "unsatisfied", "3": "basic", "4": "satisfied", "5": "satisfied"},
        min_ratings=5,
        rate_counts_basic=True,
        case_due_days=15,
        phone_hint="027-8765 4321",
    )
    day, n = start, 0
    while day < today:
        if day.weekday() < 5:
            for point, weights, per_day, office in points:
                count = per_day + rng.randint(-1, 2) if per_day else rng.choice([0, 0, 0, 1])
                if point.unit.name == "图书馆" and day.month == today.month:
                    count = min(count, 1) if rng.random() < 0.3 else 0
                for _ in range(max(count, 0)):
                    stars = rng.choices([5, 4, 3, 2, 1], weights=weights)[0]
                    reason = rng.choice(REASONS) if stars <= 2 else ""
                    services.rating_submit(point=point, stars=stars, reason=reason, rated_on=day)
                    n += 1
                if point.unit.name == "膳食科" and day.weekday() == 2 and 20 < (today - day).days < 35:
                    services.rating_enter(
                        actor=office, point=point, reply="3", rated_on=day, reason="电话反映：窗口打饭插队没人管。"
                    )
                    n += 1
        day += timedelta(days=1)
    services.ratings_release(today=today)
    _settle_two(points)
    ctx["stdout"].write(f"  servicerating: {n} ratings of {len(points)} units since {start}; see /servicerating/")


def _settle_two(points) -> None:
    """The two oldest cases of the college's 膳食科 and 教务处 are settled by the college's office."""
    outcomes = [
        (
            Case.Status.SUBSTANTIATED,
            "经查看监控和询问当班人员，情况属实。",
            "已对窗口负责人批评教育，高峰时段增开两个窗口。",
        ),
        (
            Case.Status.UNSUBSTANTIATED,
            "经核实，当日材料要求与公示一致。",
            "已向评价人说明办理要求，并在窗口张贴材料清单。",
        ),
    ]
    college_points = [p for p, _w, _d, _o in points if p.unit.institution.code == "JCZY"]
    office = _office_user(college_points[0].unit.institution)
    person = Person.objects.filter(user=office).first()
    for unit_name, (status, finding, action) in zip(["膳食科", "教务处"], outcomes):
        case = (
            Case.objects.filter(unit__name=unit_name, unit__institution=college_points[0].unit.institution)
            .exclude(named_person=person)
            .order_by("opened_on", "id")
            .first()
        )
        if case is not None:
            services.case_decide(actor=office, case=case, status=status, finding=finding, action_taken=action)
