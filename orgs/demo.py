"""Demo organisation: 江城市治庸办 above 江城职业技术学院 (23 departments, 300+ people) and a second
institution, 江城市教育考试院, to show isolation. Log-ins are printed by the demo command."""

import random
from datetime import date

from .models import Post, RoleAssignment, Unit
from .services import login_issue, person_create, post_assign, role_assign, supervision_set, unit_create

DEMO_PASSWORD = "Rectify-2026"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐沿梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵欧阳解强"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌辉鹏飞俊峰宇浩凯晨欣怡佳琪雪梅海燕春晓东志强永红立新丹丹婷婷晶晶慧颖思远子轩梓涵雨桐一诺博文嘉怡浩然语嫣宏伟建华德胜振华国强秋菊冬梅海涛少华"

# (name, kind, short, sections or branches under it)
DEPARTMENTS = [
    ("党委办公室", Unit.Kind.DEPARTMENT, "党办", ["秘书科", "机要科"]),
    ("院长办公室", Unit.Kind.DEPARTMENT, "院办", ["综合科"]),
    ("组织人事处", Unit.Kind.DEPARTMENT, "组织人事处", ["组织科", "人事科"]),
    ("宣传统战部", Unit.Kind.DEPARTMENT, "宣传部", []),
    ("纪委办公室", Unit.Kind.DEPARTMENT, "纪委办", []),
    ("教务处", Unit.Kind.DEPARTMENT, "教务处", ["教学运行科", "考务科", "教学质量科"]),
    ("学生工作处", Unit.Kind.DEPARTMENT, "学工处", ["学生管理科", "资助中心"]),
    ("招生就业处", Unit.Kind.DEPARTMENT, "招就处", []),
    ("财务处", Unit.Kind.DEPARTMENT, "财务处", ["会计核算科", "收费管理科"]),
    ("科研处", Unit.Kind.DEPARTMENT, "科研处", []),
    ("后勤管理处", Unit.Kind.DEPARTMENT, "后勤处", ["物业管理科", "膳食科"]),
    ("保卫处", Unit.Kind.DEPARTMENT, "保卫处", []),
    ("国际交流处", Unit.Kind.DEPARTMENT, "国际处", []),
    ("图书馆", Unit.Kind.DEPARTMENT, "图书馆", []),
    ("信息技术中心", Unit.Kind.DEPARTMENT, "信息中心", []),
    ("工会", Unit.Kind.DEPARTMENT, "工会", []),
    ("机电工程学院党总支", Unit.Kind.GENERAL_BRANCH, "机电学院", ["机电教工第一支部", "机电教工第二支部"]),
    ("信息工程学院党总支", Unit.Kind.GENERAL_BRANCH, "信息学院", ["信息教工支部"]),
    ("经济管理学院党总支", Unit.Kind.GENERAL_BRANCH, "经管学院", ["经管教工支部"]),
    ("艺术设计学院党总支", Unit.Kind.GENERAL_BRANCH, "艺术学院", ["艺术教工支部"]),
    ("建筑工程学院党总支", Unit.Kind.GENERAL_BRANCH, "建工学院", ["建工教工支部"]),
    ("基础教学部", Unit.Kind.DEPARTMENT, "基础部", []),
    ("继续教育学院", Unit.Kind.DEPARTMENT, "继教院", []),
]

LEADERS = [  # (title, supervised department names)
    ("党委书记", ["党委办公室", "组织人事处", "宣传统战部"]),
    ("院长、党委副书记", ["院长办公室", "财务处"]),
    ("党委副书记", ["学生工作处", "工会", "招生就业处"]),
    ("纪委书记", ["纪委办公室", "保卫处"]),
    ("副院长", ["教务处", "基础教学部", "科研处", "机电工程学院党总支", "信息工程学院党总支"]),
    ("副院长", ["后勤管理处", "信息技术中心", "图书馆", "建筑工程学院党总支"]),
    ("副院长", ["国际交流处", "继续教育学院", "经济管理学院党总支", "艺术设计学院党总支"]),
]


class Names:
    def __init__(self, rng: random.Random):
        self.rng, self.used = rng, set()

    def __call__(self) -> str:
        while True:
            n = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice([1, 2, 2])))
            if n not in self.used:
                self.used.add(n)
                return n


def _person(ctx, unit, title, *, party=None, staff_no=None):
    rng, n = ctx["rng"], ctx["counter"]
    ctx["counter"] += 1
    return person_create(
        actor=None,
        name=ctx["names"](),
        staff_no=staff_no or f"{ctx['prefix']}{n:04d}",
        unit=unit,
        title=title,
        gender=rng.choice("MF"),
        is_party_member=rng.random() < 0.5 if party is None else party,
        birth_date=date(rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28)),
        email=f"{staff_no or ctx['prefix'] + format(n, '04d')}@example.edu.cn".lower(),
    )


def _login(ctx, person, role_label):
    login_issue(actor=None, person=person, password=DEMO_PASSWORD, must_change=False)
    ctx["logins"].append((role_label, person.staff_no, person.name))


def seed(ctx: dict) -> None:
    rng = ctx["rng"] = random.Random(2026)
    ctx.update(names=Names(rng), counter=1, prefix="JC", logins=[])
    city = unit_create(
        actor=None, name="江城市治庸问责办公室", short_name="市治庸办", kind=Unit.Kind.CITY_OFFICE, code="JCS-ZYB"
    )
    college = unit_create(
        actor=None, name="江城职业技术学院", short_name="江城职院", kind=Unit.Kind.INSTITUTION, code="JCZY", parent=city
    )
    ctx.update(city_office=college.parent, college=college, departments=[], heads={}, leaders=[])

    ctx["city_counter"] = 1
    city_officials = []
    for title in ["市治庸办主任", "市治庸办督查组组长", "市治庸办干事"]:
        p = person_create(
            actor=None,
            name=ctx["names"](),
            staff_no=f"SZYB{ctx['city_counter']:02d}",
            unit=city,
            title=title,
            is_party_member=True,
            email=f"szyb{ctx['city_counter']:02d}@example.gov.cn",
        )
        ctx["city_counter"] += 1
        role_assign(actor=None, person=p, role=RoleAssignment.Role.CITY_OFFICE, unit=city)
        city_officials.append(p)
    ctx["city_officials"] = city_officials
    _login(ctx, city_officials[0], "市治庸办 City office")

    # Leadership team
    for i, (title, _sup) in enumerate(LEADERS):
        p = _person(ctx, college, title, party=True)
        kind = Post.Kind.PRINCIPAL_LEADER if i == 0 else Post.Kind.LEADERSHIP_MEMBER
        post_assign(actor=None, person=p, unit=college, kind=kind, title=title)
        ctx["leaders"].append(p)
    ctx["principal"] = ctx["leaders"][0]

    by_name = {}
    for name, kind, short, children in DEPARTMENTS:
        dept = unit_create(
            actor=None, name=name, short_name=short, kind=kind, code=f"JCZY-{len(by_name) + 1:02d}", parent=college
        )
        by_name[name] = dept
        ctx["departments"].append(dept)
        head = _person(ctx, dept, "处长" if kind == Unit.Kind.DEPARTMENT else "党总支书记", party=True)
        post_assign(actor=None, person=head, unit=dept, kind=Post.Kind.DEPARTMENT_HEAD, title=head.title)
        ctx["heads"][dept.pk] = head
        for _ in range(rng.choice([1, 1, 2])):
            dm = _person(ctx, dept, "副处长" if kind == Unit.Kind.DEPARTMENT else "副院长", party=True)
            post_assign(actor=None, person=dm, unit=dept, kind=Post.Kind.DEPARTMENT_MEMBER, title=dm.title)
        for child_name in children:
            child_kind = Unit.Kind.BRANCH if kind == Unit.Kind.GENERAL_BRANCH else Unit.Kind.SECTION
            child = unit_create(
                actor=None,
                name=child_name,
                kind=child_kind,
                code=f"{dept.code}-{children.index(child_name) + 1}",
                parent=dept,
            )
            lead = _person(ctx, child, "科长" if child_kind == Unit.Kind.SECTION else "支部书记", party=True)
            post_assign(actor=None, person=lead, unit=child, kind=Post.Kind.CADRE, title=lead.title)
            for _ in range(rng.randint(4, 8)):
                staff = _person(ctx, child, rng.choice(["科员", "教师", "讲师", "副教授", "干事"]))
                post_assign(
                    actor=None,
                    person=staff,
                    unit=child,
                    kind=Post.Kind.PARTY_MEMBER if staff.is_party_member else Post.Kind.STAFF,
                )
        for _ in range(rng.randint(6, 11)):
            staff = _person(ctx, dept, rng.choice(["科员", "教师", "讲师", "副教授", "干事", "辅导员"]))
            kind_ = (
                Post.Kind.CADRE
                if rng.random() < 0.25
                else (Post.Kind.PARTY_MEMBER if staff.is_party_member else Post.Kind.STAFF)
            )
            post_assign(actor=None, person=staff, unit=dept, kind=kind_)

    for leader, (_title, supervised) in zip(ctx["leaders"], LEADERS):
        for dept_name in supervised:
            supervision_set(actor=None, leader=leader, unit=by_name[dept_name])

    # Campaign office (院治庸办): two people of the party office
    office = by_name["党委办公室"]
    ctx["office_people"] = list(office.people.exclude(posts__kind=Post.Kind.DEPARTMENT_HEAD)[:2])
    for p in ctx["office_people"]:
        role_assign(actor=None, person=p, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=college)
    ctx["by_name"] = by_name

    _login(ctx, ctx["office_people"][0], "院治庸办 Campaign office")
    _login(ctx, ctx["principal"], "党委书记 Principal leader")
    _login(ctx, ctx["leaders"][4], "副院长 Leadership member (分管教务处)")
    jw = by_name["教务处"]
    _login(ctx, ctx["heads"][jw.pk], "教务处处长 Department head")
    cadre = jw.people.filter(posts__kind=Post.Kind.CADRE, posts__unit=jw).first() or jw.people.last()
    ctx["cadre"] = cadre
    _login(ctx, cadre, "教务处干部 Cadre")
    staff = jw.people.filter(posts__kind__in=[Post.Kind.STAFF, Post.Kind.PARTY_MEMBER]).first()
    ctx["staff"] = staff
    _login(ctx, staff, "教务处教职工 Staff")

    # A second institution, to show isolation
    ctx["prefix"], ctx["counter"] = "KSY", 1
    other = unit_create(
        actor=None, name="江城市教育考试院", short_name="考试院", kind=Unit.Kind.INSTITUTION, code="JCKSY", parent=city
    )
    ctx["other_institution"] = other
    o_leader = _person(ctx, other, "院长", party=True)
    post_assign(actor=None, person=o_leader, unit=other, kind=Post.Kind.PRINCIPAL_LEADER, title="院长")
    for i, name in enumerate(["综合办公室", "考务处", "招生处"]):
        d = unit_create(actor=None, name=name, kind=Unit.Kind.DEPARTMENT, code=f"JCKSY-{i + 1:02d}", parent=other)
        h = _person(ctx, d, "处长", party=True)
        post_assign(actor=None, person=h, unit=d, kind=Post.Kind.DEPARTMENT_HEAD, title="处长")
        for _ in range(5):
            s = _person(ctx, d, "科员")
            post_assign(actor=None, person=s, unit=d, kind=Post.Kind.STAFF)
    from .models import Person

    o_office = Person.objects.filter(unit__path__startswith=other.path, posts__kind=Post.Kind.STAFF).first()
    role_assign(actor=None, person=o_office, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=other)
    _login(ctx, o_office, "考试院治庸办 Other institution's office")
