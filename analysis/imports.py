"""Reading a ledger kept elsewhere in Excel (a real office's file) into problems and measures.

Such files have a title row merged across the sheet, headers that vary (存在问题 / 问题描述 / 存在的主要问题),
sometimes on two rows, merged cells (one problem over several measure rows: openpyxl keeps the value in
the top-left cell only, so merged ranges are filled from it), blank lines, and dates as dates or as
text (2026年3月31日, 2026.3.31, 2026-03-31, 3月底, 长期坚持). `read_sheet` finds the header and guesses
the column of each field; `preview` checks every row without writing; `analysis.services.
ledger_import_commit` writes all rows or none.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

# field key → (label, synonyms). Synonyms are compared after removing spaces and punctuation;
# a header equal to a synonym wins over one that only contains it.
FIELDS: dict[str, tuple[str, list[str]]] = {
    "seq": (pgettext_lazy("ledger column", "No."), ["序号", "编号", "序"]),
    "unit": (
        pgettext_lazy("ledger column", "Unit"),
        ["单位", "部门", "所在单位", "所在部门", "单位名称", "部门名称", "问题单位", "单位部门"],
    ),
    "description": (
        pgettext_lazy("ledger column", "Problem"),
        [
            "存在问题",
            "存在的问题",
            "存在的主要问题",
            "主要问题",
            "问题",
            "问题描述",
            "问题表现",
            "查摆问题",
            "问题清单",
            "查找的问题",
            "查摆出的问题",
            "问题内容",
        ],
    ),
    "manifestations": (
        pgettext_lazy("ledger column", "Manifestation"),
        ["具体表现", "表现", "表现形式", "问题类型", "问题类别", "庸懒散表现"],
    ),
    "channel": (
        pgettext_lazy("ledger column", "Channel"),
        ["查摆渠道", "渠道", "问题来源", "来源", "查找渠道", "发现渠道"],
    ),
    "severity": (pgettext_lazy("ledger column", "Severity"), ["严重程度", "程度", "问题等级", "等级"]),
    "cause": (
        pgettext_lazy("ledger column", "Cause"),
        ["原因", "原因剖析", "原因分析", "问题原因", "产生原因", "剖析原因"],
    ),
    "benchmark": (pgettext_lazy("ledger column", "Benchmark"), ["对比标杆", "标杆", "对照标杆", "对比对象"]),
    "measure": (
        pgettext_lazy("ledger column", "Rectification measure"),
        ["整改措施", "措施", "整改举措", "具体措施", "整改办法"],
    ),
    "goal": (pgettext_lazy("ledger column", "Goal"), ["整改目标", "目标", "预期目标", "整改要求", "预期效果"]),
    "leader": (
        pgettext_lazy("ledger column", "Responsible leader"),
        ["责任领导", "分管领导", "牵头领导", "责任校领导", "责任院领导"],
    ),
    "resp_unit": (
        pgettext_lazy("ledger column", "Responsible unit"),
        ["责任单位", "责任部门", "牵头单位", "牵头部门", "责任科室"],
    ),
    "owner": (pgettext_lazy("ledger column", "Responsible person"), ["责任人", "具体责任人", "经办人", "直接责任人"]),
    "deadline": (
        pgettext_lazy("ledger column", "Deadline"),
        ["整改时限", "完成时限", "时限", "完成时间", "整改期限", "截止时间", "整改时间", "完成期限", "时间要求"],
    ),
    "completion": (
        pgettext_lazy("ledger column", "Completion"),
        ["完成情况", "整改情况", "进展情况", "整改进展", "整改结果"],
    ),
    "closeout": (pgettext_lazy("ledger column", "Close-out"), ["销号情况", "是否销号", "销号"]),
    "remark": (pgettext_lazy("ledger column", "Remarks"), ["备注", "说明"]),
}
REQUIRED = ("description",)
MEASURE_FIELDS = ("measure", "goal", "leader", "resp_unit", "owner", "deadline")

_PUNCT = re.compile(r"[\s\u3000:：*＊()（）\[\]【】/、.．。,，\-—_]+")


def norm(value) -> str:
    return _PUNCT.sub("", str(value or "")).strip()


def _score_header(label: str) -> tuple[str | None, int]:
    """(field, strength): 2 for an exact synonym, 1 when the header contains one."""
    key = norm(label)
    if not key or len(key) > 20:
        return None, 0
    for f, (_label, synonyms) in FIELDS.items():
        if key in synonyms:
            return f, 2
    best = None
    for f, (_label, synonyms) in FIELDS.items():
        for s in synonyms:
            if len(s) >= 2 and s in key and (best is None or len(s) > best[1]):
                best = (f, len(s))
    return (best[0], 1) if best else (None, 0)


def guess_mapping(header: list[str]) -> dict[str, int]:
    """{field: column index}; a field takes the first column that names it best."""
    mapping: dict[str, tuple[int, int]] = {}
    for i, label in enumerate(header):
        f, strength = _score_header(label)
        if f and (f not in mapping or strength > mapping[f][1]):
            mapping[f] = (i, strength)
    return {f: i for f, (i, _s) in mapping.items()}


@dataclass
class Sheet:
    name: str
    sheet_names: list[str]
    header: list[str]  # one label per column (two header rows combined)
    header_rows: tuple[int, int]  # first and last header row (1-based)
    rows: list[tuple[int, list, list]]  # (Excel row number, values, merge origin of each cell)
    mapping: dict[str, int]


def _grid(ws) -> tuple[list[list], list[list]]:
    """Cell values with merged ranges filled from their top-left cell, and each cell's merge origin."""
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    width = max((len(r) for r in values), default=0)
    for r in values:
        r.extend([None] * (width - len(r)))
    origin: list[list] = [[None] * width for _ in values]
    for rng in ws.merged_cells.ranges:
        top = values[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(values) else None
        for row in range(rng.min_row, min(rng.max_row, len(values)) + 1):
            for col in range(rng.min_col, min(rng.max_col, width) + 1):
                values[row - 1][col - 1] = top
                origin[row - 1][col - 1] = (rng.min_row, rng.min_col)
    return values, origin


def _find_header(values: list[list]) -> tuple[int, int, list[str]]:
    """The header row (or two rows) among the first 15 rows: the one naming most fields."""
    best = (0, 0, 0, [])
    for i in range(min(15, len(values))):
        one = ["" if v is None else str(v) for v in values[i]]
        candidates = [(i, i, one)]
        if i + 1 < len(values) and guess_mapping(one):
            below = ["" if v is None else str(v) for v in values[i + 1]]
            two = [b if _score_header(b)[0] and b != a else a for a, b in zip(one, below, strict=True)]
            candidates.append((i, i + 1, two))
        for first, last, labels in candidates:
            found = len(guess_mapping(labels))
            if found > best[0]:
                best = (found, first, last, labels)
    if best[0] < 2:
        raise ValueError(
            _("No header row was found: the first rows name none of the usual columns (存在问题, 整改措施 …).")
        )
    return best[1], best[2], best[3]


def read_sheet(path_or_file, sheet_name: str | None = None) -> Sheet:
    """Open the workbook and read one sheet (the first that has a header when none is named)."""
    from openpyxl import load_workbook

    wb = load_workbook(path_or_file, data_only=True)
    names = wb.sheetnames
    order = [sheet_name] if sheet_name in names else names
    error = None
    for name in order:
        ws = wb[name]
        values, origin = _grid(ws)
        try:
            first, last, header = _find_header(values)
        except ValueError as e:
            error = e
            continue
        rows = [
            (n + 1, values[n], origin[n])
            for n in range(last + 1, len(values))
            if any(v not in (None, "") and str(v).strip() for v in values[n])
        ]
        return Sheet(name, names, header, (first + 1, last + 1), rows, guess_mapping(header))
    raise ValueError(str(error) if error else _("The workbook has no sheet."))


# ------------------------------------------------------------------------------------------ values

CN_NUM = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "十一": 11,
    "十二": 12,
}
LONG_TERM = ("长期坚持", "长期", "持续推进", "常态化", "长期执行")
IMMEDIATE = ("立行立改", "立即整改", "即知即改", "立即", "马上")


@dataclass
class Deadline:
    time_class: str  # immediate | deadline | long_term
    date: date | None


def _month(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return CN_NUM.get(text)


def parse_deadline(value, *, today: date) -> Deadline | None:
    """A deadline written as a date or as text; None for an empty cell; ValueError when unreadable.

    A month without a year is the next such month from `today`; 月底/下旬 → last day, 中旬 → 20th,
    上旬 → 10th, 年底 → 31 December; 长期坚持 → long-term, 立行立改 → at once (today)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return Deadline("deadline", value.date())
    if isinstance(value, date):
        return Deadline("deadline", value)
    if isinstance(value, (int, float)):
        if 20000 < value < 80000:  # an Excel serial date stored as a number
            from openpyxl.utils.datetime import from_excel

            return Deadline("deadline", from_excel(value).date())
        raise ValueError(str(value))
    text = str(value).strip().replace(" ", "").replace("\u3000", "")
    if any(t in text for t in LONG_TERM):
        return Deadline("long_term", None)
    if any(t in text for t in IMMEDIATE):
        return Deadline("immediate", today)
    text = re.sub(r"(之前|以前|前|止|为止|完成|底前)$", lambda m: "底" if m.group(0) == "底前" else "", text)
    full = re.fullmatch(r"(\d{4})[年./\-](\d{1,2})[月./\-](\d{1,2})日?", text)
    if not full:
        # a range: take its end ("2026年3月-6月", "3月至6月底")
        parts = re.split(r"[-~～—至到]", text)
        if len(parts) > 1 and parts[-1]:
            year = re.match(r"(\d{4})", text)
            end = parts[-1]
            if year and not re.match(r"\d{4}", end):
                end = f"{year.group(1)}年{end}"
            text = end
    m = re.fullmatch(r"(\d{4})[年./\-](\d{1,2})[月./\-](\d{1,2})日?", text)
    if m:
        try:
            return Deadline("deadline", date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            raise ValueError(str(value)) from None
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if m:
        return Deadline("deadline", date(int(m[1]), int(m[2]), int(m[3])))
    m = re.fullmatch(r"(\d{4})年?(?:底|年底|末|年末)", text)
    if m:
        return Deadline("deadline", date(int(m[1]), 12, 31))
    if text in ("年底", "年末", "今年底"):
        return Deadline("deadline", date(today.year, 12, 31))
    m = re.fullmatch(
        r"(?:(\d{4})[年./\-])?([\d一二三四五六七八九十]{1,3})(?:月|[./\-])(?:(\d{1,2})日?|(底|末|上旬|中旬|下旬))?",
        text,
    )
    if m and _month(m[2]) and 1 <= _month(m[2]) <= 12:
        month = _month(m[2])
        year = int(m[1]) if m[1] else (today.year if month >= today.month else today.year + 1)
        last = calendar.monthrange(year, month)[1]
        day = int(m[3]) if m[3] else {"上旬": 10, "中旬": 20}.get(m[4] or "", last)
        return Deadline("deadline", date(year, month, day))
    raise ValueError(str(value))


SEVERITY_WORDS = {
    "low": ("轻微", "较轻", "低", "一般性", "minor", "low"),
    "medium": ("一般", "中", "中等", "较重", "moderate", "medium"),
    "high": ("严重", "较严重", "重大", "突出", "高", "serious", "high"),
}

CHANNEL_WORDS = [
    ("self_check", ("对照自查", "自查", "自己查", "个人自查")),
    ("service_user_opinion", ("服务对象", "服务对象意见")),
    ("masses_opinion", ("群众意见", "群众", "征求意见", "开门查找", "意见建议", "座谈会")),
    ("team_peer", ("班子互评", "班子成员互评")),
    ("branch_peer", ("支部互评", "党员互评")),
    ("comparison", ("对比检查", "对照检查", "对比")),
    ("fix_as_found", ("边查边改",)),
    ("leader_comment", ("领导点评", "点评")),
    ("life_meeting", ("民主生活会", "生活会")),
    ("evaluation", ("民主评议", "评议", "测评")),
    ("public_supervision", ("公众监督", "社会监督", "社会各界")),
    ("superior_feedback", ("上级反馈", "上级", "督查", "巡查")),
]


def parse_severity(value) -> str:
    text = norm(value).lower()
    if not text:
        return "medium"
    for key in ("high", "low", "medium"):
        if text in SEVERITY_WORDS[key]:
            return key
    raise ValueError(str(value))


def parse_channel(value, default: str) -> str:
    from problems.models import Channel

    text = norm(value)
    if not text:
        return default
    for key, label in Channel.choices:
        if text in (key, norm(label)):
            return key
    for key, words in CHANNEL_WORDS:
        if any(w in text for w in words):
            return key
    raise ValueError(str(value))


def split_list(value) -> list[str]:
    return [x.strip() for x in re.split(r"[、,，;；/\n]+", str(value or "")) if x.strip()]


# ------------------------------------------------------------------------------------------ preview


@dataclass
class MeasureIn:
    content: str
    goal: str
    time_class: str
    deadline: date | None
    owner: object
    leader: object | None
    resp_unit: object


@dataclass
class ProblemIn:
    row: int  # Excel row number of its first line
    unit: object | None
    description: str
    channel: str = "self_check"
    severity: str = "medium"
    cause: str = ""
    benchmark: str = ""
    manifestations: list = field(default_factory=list)
    measures: list[MeasureIn] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def channel_label(self) -> str:
        from problems.models import Channel

        return Channel(self.channel).label


class Lookup:
    """Units, people and manifestations of the institution by name, loaded once."""

    def __init__(self, institution):
        from orgs.models import Person, Unit
        from problems.models import Manifestation

        self.units: dict[str, list] = {}
        for u in Unit.objects.filter(path__startswith=institution.path, active=True):
            for name in {norm(u.name), norm(u.short_name)} - {""}:
                self.units.setdefault(name, []).append(u)
        self.people: dict[str, list] = {}
        for p in Person.objects.filter(unit__path__startswith=institution.path, active=True).select_related("unit"):
            self.people.setdefault(norm(p.name), []).append(p)
        self.manifestations = {norm(m.name): m for m in Manifestation.objects.filter(active=True)}

    def unit(self, name):
        found = self.units.get(norm(name), [])
        if len(found) == 1:
            return found[0]
        raise LookupError(
            (_("Unit “%(name)s” is not in the institution.") if not found else _("Unit “%(name)s” is ambiguous."))
            % {"name": name}
        )

    def person(self, name, near=None):
        found = self.people.get(norm(re.sub(r"[（(].*?[)）]", "", str(name))), [])
        if near is not None and len(found) > 1:
            found = [p for p in found if p.unit.path.startswith(near.path)] or found
        if len(found) == 1:
            return found[0]
        raise LookupError(
            (_("Nobody called “%(name)s” works in the institution.") if not found else _("“%(name)s” is ambiguous."))
            % {"name": name}
        )

    def manifestation(self, name):
        key = norm(name)
        if key in self.manifestations:
            return self.manifestations[key]
        hits = [m for k, m in self.manifestations.items() if key and (key in k or k in key)]
        if len(hits) == 1:
            return hits[0]
        raise LookupError(_("Unknown manifestation “%(name)s”.") % {"name": name})


def _cell(values, mapping, key) -> str:
    i = mapping.get(key)
    if i is None or i >= len(values) or values[i] is None:
        return ""
    v = values[i]
    return v.strftime("%Y-%m-%d") if isinstance(v, (date, datetime)) and key != "deadline" else str(v).strip()


def preview(
    sheet: Sheet, mapping: dict[str, int], *, campaign, default_unit, today: date, default_channel: str = "self_check"
) -> list[ProblemIn]:
    """Every problem of the sheet with its measures and the errors of its rows; writes nothing.

    Rows whose problem cell comes from the same merged range as the row above add measures to that
    problem (the usual layout: one problem over several measure rows)."""
    lookup = Lookup(campaign.institution)
    problems: list[ProblemIn] = []
    desc_col = mapping.get("description")
    previous_origin = None
    for number, values, origin in sheet.rows:
        description = _cell(values, mapping, "description")
        cell_origin = origin[desc_col] if desc_col is not None and desc_col < len(origin) else None
        same = cell_origin is not None and cell_origin == previous_origin and problems
        previous_origin = cell_origin
        if norm(description) in ("合计", "小计", "总计") or norm(_cell(values, mapping, "seq")) in ("合计", "小计"):
            continue
        if same:
            p = problems[-1]
            p.rows.append(number)
        else:
            p = _problem_from_row(number, values, mapping, lookup, default_unit, default_channel)
            problems.append(p)
        _measure_from_row(p, number, values, mapping, lookup, today)
    return problems


def _problem_from_row(number, values, mapping, lookup, default_unit, default_channel) -> ProblemIn:
    from problems.models import Channel

    p = ProblemIn(row=number, unit=default_unit, description=_cell(values, mapping, "description"), rows=[number])
    if not p.description:
        p.errors.append(_("Row %(row)s: the problem is empty.") % {"row": number})
    unit_name = _cell(values, mapping, "unit") or _cell(values, mapping, "resp_unit")
    if unit_name:
        try:
            p.unit = lookup.unit(unit_name)
        except LookupError as e:
            p.errors.append(_("Row %(row)s: %(error)s") % {"row": number, "error": e})
    if p.unit is None:
        p.errors.append(_("Row %(row)s: no unit is named and no default unit was chosen.") % {"row": number})
    try:
        p.channel = parse_channel(_cell(values, mapping, "channel"), default_channel)
    except ValueError as e:
        p.errors.append(_("Row %(row)s: unknown channel “%(value)s”.") % {"row": number, "value": e})
    try:
        p.severity = parse_severity(_cell(values, mapping, "severity"))
    except ValueError as e:
        p.errors.append(_("Row %(row)s: unknown severity “%(value)s”.") % {"row": number, "value": e})
    p.cause = _cell(values, mapping, "cause")
    p.benchmark = _cell(values, mapping, "benchmark")
    if p.channel == Channel.COMPARISON and not p.benchmark:
        p.benchmark = _("see the imported ledger")
    for name in split_list(_cell(values, mapping, "manifestations")):
        if name in ("庸", "懒", "散"):
            continue  # a group alone names no manifestation
        try:
            p.manifestations.append(lookup.manifestation(name))
        except LookupError as e:
            p.errors.append(_("Row %(row)s: %(error)s") % {"row": number, "error": e})
    return p


def _measure_from_row(p: ProblemIn, number, values, mapping, lookup, today) -> None:
    content = _cell(values, mapping, "measure")
    if not content:
        return
    if p.measures and p.measures[-1].content == content:
        return  # a merged measure cell repeated on the next line
    errors = []
    raw = values[mapping["deadline"]] if mapping.get("deadline") is not None else None
    try:
        deadline = parse_deadline(raw, today=today)
    except ValueError:
        deadline = None
        errors.append(_("Row %(row)s: the deadline “%(value)s” is not a date.") % {"row": number, "value": raw})
    if deadline is None and not errors:
        errors.append(_("Row %(row)s: the measure has no deadline.") % {"row": number})
    resp_unit = p.unit
    if name := _cell(values, mapping, "resp_unit"):
        try:
            resp_unit = lookup.unit(split_list(name)[0])
        except LookupError as e:
            errors.append(_("Row %(row)s: %(error)s") % {"row": number, "error": e})
    owner = leader = None
    owner_name = _cell(values, mapping, "owner")
    if not owner_name:
        errors.append(_("Row %(row)s: the measure names no responsible person.") % {"row": number})
    else:
        try:
            owner = lookup.person(split_list(owner_name)[0], near=resp_unit)
        except LookupError as e:
            errors.append(_("Row %(row)s: %(error)s") % {"row": number, "error": e})
    if leader_name := _cell(values, mapping, "leader"):
        try:
            leader = lookup.person(split_list(leader_name)[0])
        except LookupError as e:
            errors.append(_("Row %(row)s: %(error)s") % {"row": number, "error": e})
    p.errors.extend(errors)
    if not errors:
        p.measures.append(
            MeasureIn(
                content=content,
                goal=_cell(values, mapping, "goal"),
                time_class=deadline.time_class,
                deadline=deadline.date,
                owner=owner,
                leader=leader,
                resp_unit=resp_unit,
            )
        )
