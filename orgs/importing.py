"""Import units and people from an Excel workbook: parse → validate → apply (one transaction).

Shared by `manage.py import_org FILE.xlsx` and the upload page. The workbook has a sheet of units and a
sheet of people (recognised by their headers, in any order); Chinese headers and their common synonyms
are understood. Nothing is written unless every row is valid: `apply` re-validates inside its
transaction and writes everything through orgs.services (so each row leaves an audit record).
"""

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.excel import safe_cell
from core.exceptions import ServiceError

from .models import Person, Post, Unit, User
from .services import person_create, post_assign, supervision_set, unit_create

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000

UNIT_HEADERS = {
    "name": ["单位名称", "部门名称", "名称", "单位全称", "name", "unit name"],
    "code": ["单位编码", "部门编码", "单位代码", "部门代码", "编码", "代码", "code", "unit code"],
    "parent": ["上级单位", "上级部门", "所属上级", "上级", "上级单位名称", "parent", "parent unit"],
    "kind": ["单位类型", "部门类型", "类型", "类别", "单位类别", "kind", "type"],
    "short_name": ["简称", "单位简称", "部门简称", "short name"],
    "sort_order": ["排序", "排序号", "显示顺序", "order"],
}
PEOPLE_HEADERS = {
    "staff_no": ["工号", "职工号", "人员编号", "员工编号", "教工号", "职工编号", "staff number", "staff no"],
    "name": ["姓名", "name"],
    "unit": ["所在单位", "所在部门", "单位", "部门", "单位名称", "部门名称", "所属单位", "所属部门", "unit"],
    "posts": ["职务", "岗位", "岗位类别", "人员类别", "职务类别", "post", "posts"],
    "title": ["职务名称", "具体职务", "职位", "头衔", "title", "job title"],
    "gender": ["性别", "gender"],
    "birth_date": ["出生日期", "出生年月", "出生年月日", "生日", "date of birth", "birth date"],
    "party": ["政治面貌", "是否党员", "党员", "party member"],
    "phone": ["电话", "手机", "手机号", "手机号码", "联系电话", "phone"],
    "email": ["邮箱", "电子邮箱", "电子邮件", "email", "e-mail"],
    "supervises": ["分管部门", "分管单位", "分管", "supervises"],
}
COLUMN_LABELS = {
    "name": gettext_lazy("name"),
    "code": gettext_lazy("unit code"),
    "parent": gettext_lazy("parent unit"),
    "kind": gettext_lazy("kind"),
    "staff_no": gettext_lazy("staff number"),
    "unit": gettext_lazy("unit"),
    "posts": gettext_lazy("post"),
    "birth_date": gettext_lazy("date of birth"),
    "party": gettext_lazy("party member"),
    "gender": gettext_lazy("gender"),
    "supervises": gettext_lazy("supervises"),
    "email": gettext_lazy("e-mail"),
}

KIND_WORDS = {
    Unit.Kind.INSTITUTION: ["院", "学院", "单位", "机构", "事业单位", "institution"],
    Unit.Kind.GENERAL_BRANCH: ["总支", "党总支", "general branch", "general_branch"],
    Unit.Kind.BRANCH: ["支部", "党支部", "branch"],
    Unit.Kind.SECTION: ["科室", "科", "section"],
    Unit.Kind.DEPARTMENT: ["部门", "处室", "处", "部", "中心", "department"],
}
POST_WORDS = {
    Post.Kind.PRINCIPAL_LEADER: ["主要负责人", "党政主要负责人", "principal leader", "principal_leader"],
    Post.Kind.LEADERSHIP_MEMBER: [
        "班子成员",
        "领导班子成员",
        "院领导",
        "校领导",
        "leadership member",
        "leadership_member",
    ],
    Post.Kind.DEPARTMENT_HEAD: ["部门负责人", "部门主要负责人", "负责人", "department head", "department_head"],
    Post.Kind.DEPARTMENT_MEMBER: [
        "部门班子成员",
        "部门领导班子成员",
        "部门副职",
        "department member",
        "department_member",
    ],
    Post.Kind.CADRE: ["干部", "中层干部", "科级干部", "cadre"],
    Post.Kind.PARTY_MEMBER: ["党员", "party member", "party_member"],
    Post.Kind.STAFF: ["教职工", "职工", "群众", "员工", "普通教职工", "staff"],
}
PARTY_YES = {"中共党员", "党员", "中共预备党员", "预备党员", "是", "y", "yes", "true", "1", "√"}
PARTY_NO = {"", "群众", "否", "n", "no", "false", "0", "共青团员", "团员", "无党派人士", "民主党派"}
SPLIT = re.compile(r"[、，,;；/\s]+")


class ImportFileError(ServiceError):
    """The file as a whole cannot be read (not a spreadsheet, too large, no recognisable sheet)."""


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    message: str


@dataclass
class UnitRow:
    row: int
    name: str
    code: str
    parent_ref: str
    kind: str
    short_name: str = ""
    sort_order: int = 0
    existing: Unit | None = None  # already in the database: left as it is

    @property
    def kind_label(self) -> str:
        return str(Unit.Kind(self.kind).label)


@dataclass
class PersonRow:
    row: int
    staff_no: str
    name: str
    unit_ref: str
    posts: list[str]
    title: str = ""
    gender: str = ""
    birth_date: date | None = None
    party: bool = False
    phone: str = ""
    email: str = ""
    supervises: list[str] = field(default_factory=list)

    @property
    def post_labels(self) -> list[str]:
        return [str(Post.Kind(k).label) for k in self.posts]


@dataclass
class ImportPlan:
    units: list[UnitRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unit_sheet: str = ""
    people_sheet: str = ""

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def new_units(self) -> list[UnitRow]:
        return [u for u in self.units if u.existing is None]

    def error(self, sheet: str, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(sheet, row, str(COLUMN_LABELS.get(column, column)), message))


# ---------------------------------------------------------------- parse


def _norm_header(value) -> str:
    text = str(value or "").strip().lower()
    text = re.sub(r"[（(].*?[)）]", "", text)
    return re.sub(r"[\s*＊:：]", "", text)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _find_header(rows: list[tuple], synonyms: dict[str, list[str]]) -> tuple[int, dict[str, int]] | None:
    """The header row (within the first five) and the column of each field it names."""
    lookup = {_norm_header(s): key for key, words in synonyms.items() for s in words}
    for i, row in enumerate(rows[:5]):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            key = lookup.get(_norm_header(cell))
            if key and key not in cols:
                cols[key] = j
        if len(cols) >= 2 and "name" in cols:
            return i, cols
    return None


def _sheet_rows(ws) -> list[tuple]:
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    # A merged range keeps its value in the top-left cell only: copy it to the whole range.
    for rng in ws.merged_cells.ranges:
        value = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
                    rows[r - 1][c - 1] = value
    return [tuple(r) for r in rows]


def _load_workbook(fileobj):
    from openpyxl import load_workbook

    size = getattr(fileobj, "size", None)
    data = fileobj.read(MAX_BYTES + 1)  # never more than the limit in memory
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("The file is too large (%(size)s MB; at most %(max)s MB).")
            % {"size": round((size or len(data)) / 1048576, 1), "max": MAX_BYTES // 1048576}
        )
    if not data.startswith(b"PK"):
        raise ImportFileError(_("This is not an Excel workbook (.xlsx). Save the file as .xlsx and try again."))
    try:
        return load_workbook(io.BytesIO(data), data_only=True)
    except Exception:
        raise ImportFileError(_("The workbook could not be read: it is damaged or not an .xlsx file."))


def parse(fileobj) -> ImportPlan:
    """Read the workbook into rows (no database access). Raises ImportFileError for an unreadable file."""
    wb = _load_workbook(fileobj)
    plan = ImportPlan()
    for ws in wb.worksheets:
        if ws.max_row > MAX_ROWS:
            raise ImportFileError(
                _("The sheet “%(sheet)s” has more than %(max)s rows.") % {"sheet": ws.title, "max": MAX_ROWS}
            )
        rows = _sheet_rows(ws)
        people = _find_header(rows, PEOPLE_HEADERS)
        if people and "staff_no" in people[1] and not plan.people_sheet:
            plan.people_sheet = ws.title
            _parse_people(plan, ws.title, rows, *people)
            continue
        units = _find_header(rows, UNIT_HEADERS)
        if units and "parent" in units[1] and not plan.unit_sheet:
            plan.unit_sheet = ws.title
            _parse_units(plan, ws.title, rows, *units)
    if not plan.unit_sheet and not plan.people_sheet:
        raise ImportFileError(
            _(
                "No sheet of units (headers 单位名称, 上级单位…) or people (headers 工号, 姓名…) was found. "
                "Download the template to see the expected layout."
            )
        )
    return plan


def _cell(row: tuple, cols: dict[str, int], key: str):
    j = cols.get(key)
    return row[j] if j is not None and j < len(row) else None


def _parse_units(plan: ImportPlan, sheet: str, rows, header_at: int, cols: dict[str, int]) -> None:
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(_text(v) for v in row):
            continue
        kind_text = _text(_cell(row, cols, "kind"))
        kind = _match(kind_text, KIND_WORDS) if kind_text else Unit.Kind.DEPARTMENT
        if kind is None:
            plan.error(sheet, i, "kind", _("Unknown unit kind “%(v)s”.") % {"v": kind_text})
            kind = Unit.Kind.DEPARTMENT
        order = _text(_cell(row, cols, "sort_order"))
        plan.units.append(
            UnitRow(
                row=i,
                name=_text(_cell(row, cols, "name")),
                code=_text(_cell(row, cols, "code")),
                parent_ref=_text(_cell(row, cols, "parent")),
                kind=kind,
                short_name=_text(_cell(row, cols, "short_name"))[:40],
                sort_order=int(order) if order.isdigit() else 0,
            )
        )


def _parse_people(plan: ImportPlan, sheet: str, rows, header_at: int, cols: dict[str, int]) -> None:
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(_text(v) for v in row):
            continue
        party_text = _text(_cell(row, cols, "party")).lower()
        party = party_text in PARTY_YES or ("党员" in party_text and "非" not in party_text)
        if party_text and not party and party_text not in PARTY_NO and not party_text.endswith(("盟员", "会员")):
            plan.error(sheet, i, "party", _("Unclear party membership “%(v)s”.") % {"v": party_text})
        posts = []
        for word in SPLIT.split(_text(_cell(row, cols, "posts"))):
            if not word:
                continue
            kind = _match(word, POST_WORDS)
            if kind is None:
                plan.error(sheet, i, "posts", _("Unknown post “%(v)s”.") % {"v": word})
            elif kind not in posts:
                posts.append(kind)
        birth, ok = _parse_date(_cell(row, cols, "birth_date"))
        if not ok:
            plan.error(
                sheet, i, "birth_date", _("“%(v)s” is not a date.") % {"v": _text(_cell(row, cols, "birth_date"))}
            )
        gender_text = _text(_cell(row, cols, "gender"))
        gender = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}.get(gender_text.lower(), "")
        if gender_text and not gender:
            plan.error(sheet, i, "gender", _("Unknown gender “%(v)s”.") % {"v": gender_text})
        plan.people.append(
            PersonRow(
                row=i,
                staff_no=_text(_cell(row, cols, "staff_no")),
                name=_text(_cell(row, cols, "name")),
                unit_ref=_text(_cell(row, cols, "unit")),
                posts=posts or [Post.Kind.PARTY_MEMBER if party else Post.Kind.STAFF],
                title=_text(_cell(row, cols, "title"))[:60],
                gender=gender,
                birth_date=birth,
                party=party,
                phone=_text(_cell(row, cols, "phone"))[:30],
                email=_text(_cell(row, cols, "email")),
                supervises=[w for w in SPLIT.split(_text(_cell(row, cols, "supervises"))) if w],
            )
        )


def _match(text: str, words: dict[str, list[str]]) -> str | None:
    t = text.strip().lower()
    for key, options in words.items():
        if t == key or t in options:
            return key
    return None


DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _parse_date(value) -> tuple[date | None, bool]:
    """(date, ok): Excel dates, 1980-01-02, 1980/1/2, 1980.1.2, 1980年1月2日, 19800102; 1980-01 or 1980年1月
    (出生年月) give the first of the month."""
    if value is None or value == "":
        return None, True
    if isinstance(value, datetime):
        return value.date(), True
    if isinstance(value, date):
        return value, True
    text = _text(value)
    m = DATE_PATTERN.match(text)
    if not m and re.fullmatch(r"\d{8}", text):
        m = re.match(r"(\d{4})(\d{2})(\d{2})", text)
    if not m:
        ym = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?", text)
        if ym:
            m = re.match(r"(\d+) (\d+) (\d+)", f"{ym.group(1)} {ym.group(2)} 1")
    if not m:
        return None, False
    try:
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None, False
    return (d, True) if 1900 <= d.year <= date.today().year else (None, False)


# ---------------------------------------------------------------- validate


class _Resolver:
    """Finds a unit by code or name among the units in scope and the new units of the file."""

    def __init__(self, scope: QuerySet[Unit], plan: ImportPlan):
        self.db = list(scope.only("pk", "name", "short_name", "code", "kind", "path", "institution_id"))
        self.by_code = {u.code: u for u in self.db}
        self.by_name: dict[str, list] = {}
        for u in self.db:
            self.by_name.setdefault(u.name, []).append(u)
        self.new_by_code = {r.code: r for r in plan.units if r.existing is None and r.code}
        self.new_by_name: dict[str, list[UnitRow]] = {}
        for r in plan.units:
            if r.existing is None:
                self.new_by_name.setdefault(r.name, []).append(r)

    def find(self, ref: str):
        """A Unit, a UnitRow, or a str error message."""
        if ref in self.by_code:
            return self.by_code[ref]
        if ref in self.new_by_code:
            return self.new_by_code[ref]
        hits = self.by_name.get(ref, []) + self.new_by_name.get(ref, [])
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            return _("“%(v)s” names several units; use the unit code instead.") % {"v": ref}
        return _("No unit “%(v)s” here or in the file.") % {"v": ref}


def validate(plan: ImportPlan, scope: QuerySet[Unit]) -> ImportPlan:
    """Check every row against the file and the database; collect row-by-row errors in plan.errors.

    `scope`: the units the importing user manages; parents and units must lie there (or in the file)."""
    _validate_units(plan, scope)
    resolver = _Resolver(scope, plan)
    _validate_people(plan, resolver)
    plan.errors.sort(key=lambda e: (e.sheet != plan.unit_sheet, e.row))
    return plan


def _validate_units(plan: ImportPlan, scope: QuerySet[Unit]) -> None:
    sheet = plan.unit_sheet
    in_scope = {u.code: u for u in scope.only("pk", "code", "name", "parent_id")}
    seen_codes: dict[str, int] = {}
    for r in plan.units:
        if not r.name:
            plan.error(sheet, r.row, "name", _("The unit name is missing."))
        if r.code:
            if r.code in seen_codes:
                plan.error(sheet, r.row, "code", _("Unit code %(v)s appears twice in the file.") % {"v": r.code})
            seen_codes[r.code] = r.row
            db_unit = in_scope.get(r.code)
            if db_unit is not None:
                if db_unit.name == r.name:
                    r.existing = db_unit
                else:
                    plan.error(
                        sheet,
                        r.row,
                        "code",
                        _("Unit code %(v)s already belongs to %(u)s.") % {"v": r.code, "u": db_unit.name},
                    )
            elif Unit.objects.filter(code=r.code).exists():
                plan.error(sheet, r.row, "code", _("Unit code %(v)s is already in use elsewhere.") % {"v": r.code})
        if r.kind == Unit.Kind.CITY_OFFICE:
            plan.error(sheet, r.row, "kind", _("A city office cannot be imported."))
    resolver = _Resolver(scope, plan)
    for r in plan.units:
        if r.existing is not None:
            continue
        if not r.parent_ref:
            plan.error(sheet, r.row, "parent", _("The parent unit is missing."))
            continue
        found = resolver.find(r.parent_ref)
        if isinstance(found, str):
            plan.error(sheet, r.row, "parent", found)
        elif found is r:
            plan.error(sheet, r.row, "parent", _("A unit cannot be its own parent."))
        elif isinstance(found, Unit) and r.code == "" and found.children.filter(name=r.name).exists():
            r.existing = found.children.get(name=r.name)
    # Parents among the new rows must not form a loop.
    for r in plan.units:
        seen, node = set(), r
        while isinstance(node, UnitRow) and node.existing is None and node.parent_ref:
            if id(node) in seen:
                plan.error(sheet, r.row, "parent", _("The parent units form a loop."))
                break
            seen.add(id(node))
            nxt = resolver.find(node.parent_ref)
            node = nxt if isinstance(nxt, UnitRow) else None


def _validate_people(plan: ImportPlan, resolver: _Resolver) -> None:
    sheet = plan.people_sheet
    nos = [p.staff_no for p in plan.people if p.staff_no]
    taken = set(Person.objects.filter(staff_no__in=nos).values_list("staff_no", flat=True))
    taken |= set(User.objects.filter(username__in=nos).values_list("username", flat=True))
    seen: dict[str, int] = {}
    principal_of: dict[str, int] = {}
    for p in plan.people:
        if not p.name:
            plan.error(sheet, p.row, "name", _("The name is missing."))
        if not p.staff_no:
            plan.error(sheet, p.row, "staff_no", _("The staff number is missing."))
        elif p.staff_no in seen:
            plan.error(
                sheet,
                p.row,
                "staff_no",
                _("Duplicate staff number %(v)s (also in row %(r)s).") % {"v": p.staff_no, "r": seen[p.staff_no]},
            )
        elif p.staff_no in taken:
            plan.error(
                sheet, p.row, "staff_no", _("Duplicate staff number %(v)s: it is already in use.") % {"v": p.staff_no}
            )
        seen.setdefault(p.staff_no, p.row)
        if p.email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", p.email):
            plan.error(sheet, p.row, "email", _("“%(v)s” is not an e-mail address.") % {"v": p.email})
        if not p.unit_ref:
            plan.error(sheet, p.row, "unit", _("The unit is missing."))
            continue
        unit = resolver.find(p.unit_ref)
        if isinstance(unit, str):
            plan.error(sheet, p.row, "unit", unit)
            continue
        is_inst = unit.kind == Unit.Kind.INSTITUTION
        for kind in p.posts:
            if kind in (Post.Kind.PRINCIPAL_LEADER, Post.Kind.LEADERSHIP_MEMBER) and not is_inst:
                plan.error(
                    sheet, p.row, "posts", _("Leadership-team posts are held on an institution, not on a department.")
                )
            if kind in (Post.Kind.DEPARTMENT_HEAD, Post.Kind.DEPARTMENT_MEMBER) and is_inst:
                plan.error(
                    sheet, p.row, "posts", _("Department posts are held on a department, not on an institution.")
                )
        if Post.Kind.PRINCIPAL_LEADER in p.posts:
            key = unit.code or unit.name
            if key in principal_of or (
                isinstance(unit, Unit) and Post.objects.filter(unit=unit, kind=Post.Kind.PRINCIPAL_LEADER).exists()
            ):
                plan.error(sheet, p.row, "posts", _("%(u)s already has a principal leader.") % {"u": unit.name})
            principal_of[key] = p.row
        if p.supervises and not {Post.Kind.PRINCIPAL_LEADER, Post.Kind.LEADERSHIP_MEMBER} & set(p.posts):
            plan.error(sheet, p.row, "supervises", _("Only leadership-team members supervise departments."))
        for ref in p.supervises:
            target = resolver.find(ref)
            if isinstance(target, str):
                plan.error(sheet, p.row, "supervises", target)


# ---------------------------------------------------------------- apply


def _unit_code(parent_code: str, used: set[str]) -> str:
    n = 1
    while True:
        code = f"{parent_code}-{n:02d}"
        if code not in used and not Unit.objects.filter(code=code).exists():
            used.add(code)
            return code
        n += 1


@dataclass
class ImportResult:
    units_created: int
    people_created: int
    posts_created: int
    supervisions_set: int


def apply(plan: ImportPlan, *, actor, scope: QuerySet[Unit]) -> ImportResult:
    """Write a valid plan: all of it or (on any error) none of it. Raises ServiceError with the row errors."""
    with transaction.atomic():
        validate(plan, scope)
        if not plan.is_valid:
            raise ServiceError(
                _("The file has errors; nothing was imported."), details=[e.message for e in plan.errors]
            )
        resolver = _Resolver(scope, plan)
        made: dict[int, Unit] = {}
        used_codes: set[str] = set()

        def real(target) -> Unit:
            if isinstance(target, Unit):
                return target
            if target.existing is not None:
                return target.existing
            if id(target) not in made:
                parent = real(resolver.find(target.parent_ref))
                made[id(target)] = unit_create(
                    actor=actor,
                    name=target.name,
                    kind=target.kind,
                    code=target.code or _unit_code(parent.code, used_codes),
                    parent=parent,
                    short_name=target.short_name,
                    sort_order=target.sort_order,
                )
            return made[id(target)]

        for r in plan.units:
            real(r)
        people = posts = sups = 0
        leaders: list[tuple[Person, PersonRow]] = []
        for p in plan.people:
            unit = real(resolver.find(p.unit_ref))
            person = person_create(
                actor=actor,
                name=p.name,
                staff_no=p.staff_no,
                unit=unit,
                title=p.title,
                gender=p.gender,
                birth_date=p.birth_date,
                is_party_member=p.party,
                phone=p.phone,
                email=p.email,
            )
            people += 1
            for kind in p.posts:
                post_assign(actor=actor, person=person, unit=unit, kind=kind, title=p.title)
                posts += 1
            if p.supervises:
                leaders.append((person, p))
        for person, p in leaders:
            for ref in p.supervises:
                supervision_set(actor=actor, leader=person, unit=real(resolver.find(ref)))
                sups += 1
        return ImportResult(len(made), people, posts, sups)


def import_workbook(
    fileobj, *, actor, scope: QuerySet[Unit], dry_run: bool = False
) -> tuple[ImportPlan, ImportResult | None]:
    """parse → validate → (unless dry_run or invalid) apply."""
    plan = validate(parse(fileobj), scope)
    if dry_run or not plan.is_valid:
        return plan, None
    return plan, apply(plan, actor=actor, scope=scope)


# ---------------------------------------------------------------- template


def template_workbook() -> bytes:
    """The downloadable template: a units sheet, a people sheet (with example rows) and instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    units = wb.active
    units.title = "单位"
    units.append(["单位名称*", "单位编码", "上级单位*", "单位类型", "简称", "排序"])
    units.append(["示例学院党总支", "EX-01", "江城职业技术学院", "总支", "示例学院", 1])
    units.append(["示例教工支部", "", "示例学院党总支", "支部", "", 2])
    people = wb.create_sheet("人员")
    people.append(
        ["工号*", "姓名*", "所在单位*", "岗位", "职务名称", "性别", "出生日期", "政治面貌", "手机", "邮箱", "分管部门"]
    )
    people.append(
        [
            "EX0001",
            "张明",
            "示例学院党总支",
            "部门负责人",
            "党总支书记",
            "男",
            "1978-05-12",
            "中共党员",
            "13800000000",
            "",
            "",
        ]
    )
    people.append(["EX0002", "李芳", "示例教工支部", "教职工", "讲师", "女", "1990-09-01", "群众", "", "", ""])
    for ws in (units, people):
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="FDE8E8")
        for col in ws.columns:
            ws.column_dimensions[col[0].column_letter].width = 16
        ws.freeze_panes = "A2"
    kinds = DataValidation(type="list", formula1='"院,总支,支部,科室,部门"', allow_blank=True)
    units.add_data_validation(kinds)
    kinds.add("D2:D2000")
    post_names = "主要负责人,班子成员,部门负责人,部门班子成员,干部,党员,教职工"
    posts = DataValidation(type="list", formula1=f'"{post_names}"', allow_blank=True)
    people.add_data_validation(posts)
    posts.add("D2:D20000")
    notes = wb.create_sheet("说明")
    for line in [
        "填写说明",
        "1. “单位”表：每行一个单位；上级单位填写单位名称或单位编码，可以是系统中已有的单位，也可以是本表中的单位。",
        "   单位类型：院、总支、支部、科室、部门（不填为部门）。单位编码不填时自动生成。",
        "2. “人员”表：工号即登录用户名，不得重复；所在单位填写单位名称或编码。",
        f"   岗位：{post_names.replace(',', '、')}；一人多岗用“、”分隔，不填时按政治面貌记为党员或教职工。",
        "   出生日期：1980-01-02、1980/1/2、1980年1月2日均可。政治面貌：中共党员、中共预备党员、群众等。",
        "   分管部门：班子成员分管的部门名称，多个用“、”分隔。",
        "3. 导入前先预览；文件中任何一行有错误，整个文件都不会导入。",
    ]:
        notes.append([safe_cell(line)])
    notes.column_dimensions["A"].width = 110
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
