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
        ["具体表现", "表现", "表现形式", "庸懒散表现"],
    ),
    "category": (
        pgettext_lazy("ledger column", "Category"),
        ["类别", "问题类别", "问题类型", "类型", "方面", "问题方面", "问题分类", "分类", "所属方面", "领域"],
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
    "progress": (pgettext_lazy("ledger column", "Progress"), ["进度", "完成进度", "整改进度", "完成比例"]),
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
    """One sheet of an open workbook: its header and column mapping; `rows()` streams the data rows.

    The workbook is opened read-only (openpyxl streams the XML), so memory does not grow with the
    rows; merged ranges, which read-only mode does not report, are read from the sheet's XML first."""

    name: str
    sheet_names: list[str]
    header: list[str]  # one label per column (two header rows combined)
    header_rows: tuple[int, int]  # first and last header row (1-based)
    mapping: dict[str, int]
    worksheet: object = None
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (min_row, min_col, max_row, max_col)

    def rows(self):
        """(Excel row number, values, merge origin of each cell) of every non-blank row below the header;
        a merged cell takes the value of its range's top-left cell."""
        last_header = self.header_rows[1]
        width = len(self.header)
        for number, values, origin in _stream(self.worksheet, self.merged, width):
            if number <= last_header:
                continue
            if any(v not in (None, "") and str(v).strip() for v in values):
                yield number, values, origin


def _stream(ws, merged, width: int):
    """Rows of a read-only worksheet with merged ranges filled from their top-left cell."""
    starts: dict[int, list] = {}
    for rng in merged:
        starts.setdefault(rng[0], []).append(rng)
    active: list = []  # [range, value]
    for number, raw in enumerate(ws.iter_rows(values_only=True), start=1):
        values = list(raw[:width]) + [None] * max(0, width - len(raw))
        origin: list = [None] * width
        for rng in starts.pop(number, ()):
            active.append([rng, values[rng[1] - 1] if rng[1] - 1 < width else None])
        keep = []
        for item in active:
            (r0, c0, r1, c1), value = item
            if r1 < number:
                continue
            keep.append(item)
            for col in range(c0, min(c1, width) + 1):
                values[col - 1] = value
                origin[col - 1] = (r0, c0)
        active = keep
        yield number, values, origin


def _merged_ranges(path_or_file, sheet_name: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a sheet, read from the workbook's XML (mergeCells) without loading cells."""
    import posixpath
    import zipfile
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    if hasattr(path_or_file, "seek"):
        path_or_file.seek(0)
    with zipfile.ZipFile(path_or_file) as z:
        from xml.etree.ElementTree import fromstring

        book = fromstring(z.read("xl/workbook.xml"))
        rid = next((s.get(f"{rel_ns}id") for s in book.iter(f"{ns}sheet") if s.get("name") == sheet_name), None)
        rels = fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
        if target is None:
            return []
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        ranges = []
        with z.open(member) as fh:
            for _event, elem in iterparse(fh):
                if elem.tag == f"{ns}mergeCell":
                    c0, r0, c1, r1 = range_boundaries(elem.get("ref"))
                    ranges.append((r0, c0, r1, c1))
                elif elem.tag == f"{ns}row":
                    elem.clear()  # the cells are not needed here: keep memory flat
        return ranges


HEADER_SEARCH_ROWS = 15


def _find_header(values: list[list]) -> tuple[int, int, list[str]]:
    """(first, last) 0-based header rows and the combined labels: the row (or pair of rows) among the
    first rows that names the most known fields."""
    best = (0, -1, -1, [])
    for i in range(min(HEADER_SEARCH_ROWS, len(values))):
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
    """Open the workbook read-only and find the header of one sheet (the first that has one when none
    is named). Keep the file open while iterating `Sheet.rows()`."""
    from openpyxl import load_workbook

    if hasattr(path_or_file, "seek"):
        path_or_file.seek(0)
    wb = load_workbook(path_or_file, read_only=True, data_only=True)
    names = wb.sheetnames
    order = [sheet_name] if sheet_name in names else names
    error = None
    for name in order:
        ws = wb[name]
        merged = _merged_ranges(path_or_file, name)
        width = max((rng[3] for rng in merged), default=0)
        top = []
        for raw in ws.iter_rows(values_only=True, max_row=HEADER_SEARCH_ROWS + 1):
            top.append(list(raw))
            width = max(width, len(raw))
        head = [vals for _n, vals, _o in _stream(_Rows(top), merged, width)]
        try:
            first, last, header = _find_header(head)
        except ValueError as e:
            error = e
            continue
        # trailing columns without a label are dropped
        while header and not header[-1].strip():
            header.pop()
        return Sheet(name, names, header, (first + 1, last + 1), guess_mapping(header), ws, merged)
    raise ValueError(str(error) if error else _("The workbook has no sheet."))


class _Rows:
    """A list of rows that looks like a worksheet to `_stream`."""

    def __init__(self, rows):
        self._rows = rows

    def iter_rows(self, values_only=True):
        return iter(self._rows)


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


# ------------------------------------------------------------------------------------------ statuses

DONE, IN_PROGRESS, NOT_STARTED = "done", "in_progress", "not_started"
# The words offices write in 完成情况 / 销号情况 / 进度; an office adds its own on the vocabulary page
# (analysis.StatusWord), which also overrides these.
STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "完成",
            "已完成",
            "已整改",
            "整改完成",
            "已办结",
            "办结",
            "已落实",
            "落实",
            "已销号",
            "销号",
            "是",
            "完毕",
            "已解决",
            # the words this system's own exports write, so an exported ledger reads back
            "已核验销号",
            "核验通过予以销号",
            "导入时已完成待销号",
            "已申请销号",  # done by the unit, waiting for the office to verify: as done by import
            "申请销号",
            "待核验销号",
        ],
        DONE,
    ),
    **dict.fromkeys(
        [
            "基本完成",
            "阶段性完成",
            "正在整改",
            "整改中",
            "持续推进",
            "持续整改",
            "长期坚持",
            "推进中",
            "进行中",
            "正在推进",
            "部分完成",
            "逐步推进",
            "销号被退回",
        ],
        IN_PROGRESS,
    ),
    **dict.fromkeys(["未完成", "未整改", "未开始", "尚未开始", "未启动", "未销号", "否", "待整改"], NOT_STARTED),
}
_RANK = {NOT_STARTED: 0, IN_PROGRESS: 1, DONE: 2}


def status_vocabulary(institution) -> dict[str, str]:
    """The built-in words with the institution's own added (its own win)."""
    from .models import StatusWord

    words = {norm(k): v for k, v in STATUS_WORDS.items()}
    words.update(
        {norm(w): st for w, st in StatusWord.objects.filter(institution=institution).values_list("word", "state")}
    )
    return words


def parse_state(value, vocabulary: dict[str, str]) -> str | None:
    """The state a status cell means; None for an empty cell; ValueError for a word nobody taught us.

    A percentage counts too: 100% is done, anything above 0 in progress."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)):
        percent = value * 100 if 0 < value <= 1 and isinstance(value, float) else value
        return DONE if percent >= 100 else IN_PROGRESS if percent > 0 else NOT_STARTED
    text = norm(value)
    m = re.fullmatch(r"(\d{1,3})%?", text.replace("％", "%"))
    if m:
        return DONE if int(m[1]) >= 100 else IN_PROGRESS if int(m[1]) > 0 else NOT_STARTED
    if text in vocabulary:
        return vocabulary[text]
    # a sentence that starts with a known word: "已完成，制度已印发"
    head = re.split(r"[，,；;。]", str(value).strip())[0]
    if norm(head) in vocabulary:
        return vocabulary[norm(head)]
    # a word with a note in brackets or a date before it: "已完成（100%）", "2026-06-30已销号"
    bare = norm(re.sub(r"[（(][^)）]*[)）]", "", str(value)))
    bare = re.sub(r"^\d{4}\d{1,2}\d{1,2}|^\d{4}年\d{1,2}月\d{1,2}日", "", bare)
    if bare in vocabulary:
        return vocabulary[bare]
    raise ValueError(str(value))


# ------------------------------------------------------------------------------------------ people

# Post titles written where a name is expected; matched on the matching screen to the unit's leader.
PRINCIPAL_POSTS = (
    "党委书记",
    "书记",
    "院长",
    "校长",
    "主要负责人",
    "单位主要负责人",
    "党委主要负责人",
    "一把手",
    "局长",
)
HEAD_POSTS = ("部门负责人", "部门主要负责人", "处长", "主任", "科长", "部长", "负责人", "支部书记", "总支书记")


def post_kind(name: str) -> str | None:
    """'principal' or 'head' when the text is a post title rather than a person's name."""
    key = norm(re.sub(r"[（(].*?[)）]", "", name))
    if key in PRINCIPAL_POSTS:
        return "principal"
    if key in HEAD_POSTS or any(key.endswith(p) for p in ("处长", "主任", "科长", "部长")):
        return "head"
    return None


def split_measure_text(text: str) -> list[str]:
    """一是…；二是…；三是… (or 1. 2. / （1）（2）) as separate measures; the whole text when not numbered."""
    parts = re.split(r"(?:^|(?<=[。；;\n]))\s*(?:[一二三四五六七八九十]+是|[（(]?\d{1,2}[）)、.．])", text.strip())
    parts = [p.strip(" \n；;。，,") for p in parts if p.strip(" \n；;。，,")]
    return parts if len(parts) > 1 else [text.strip()]


# ------------------------------------------------------------------------------------------ rows


@dataclass
class Lookup:
    """Units and people of the institution by name, and the status vocabulary, loaded once."""

    institution: object
    units: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    manifestations: dict = field(default_factory=dict)
    vocabulary: dict = field(default_factory=dict)

    @classmethod
    def load(cls, institution) -> Lookup:
        from orgs.models import Person, Unit
        from problems.models import Manifestation

        lk = cls(institution)
        for u in Unit.objects.filter(path__startswith=institution.path, active=True).only("pk", "name", "short_name"):
            for name in {norm(u.name), norm(u.short_name)} - {""}:
                lk.units.setdefault(name, []).append(u.pk)
        for pk, name in Person.objects.filter(unit__path__startswith=institution.path, active=True).values_list(
            "pk", "name"
        ):
            lk.people.setdefault(norm(name), []).append(pk)
        lk.manifestations = {norm(m.name): m.pk for m in Manifestation.objects.filter(active=True)}
        lk.vocabulary = status_vocabulary(institution)
        return lk

    def unit(self, name: str) -> int | None:
        found = self.units.get(norm(name), [])
        return found[0] if len(found) == 1 else None

    def person(self, name: str) -> int | None:
        found = self.people.get(norm(re.sub(r"[（(].*?[)）]", "", name)), [])
        return found[0] if len(found) == 1 else None

    def manifestation(self, name: str) -> int | None:
        key = norm(name)
        if key in self.manifestations:
            return self.manifestations[key]
        hits = [pk for k, pk in self.manifestations.items() if key and (key in k or k in key)]
        return hits[0] if len(hits) == 1 else None


def _value(values, mapping, key):
    i = mapping.get(key)
    return None if i is None or i >= len(values) else values[i]


def _cell(values, mapping, key) -> str:
    v = _value(values, mapping, key)
    if v is None:
        return ""
    return v.strftime("%Y-%m-%d") if isinstance(v, (date, datetime)) else str(v).strip()


FOOTER = re.compile(r"^(合计|小计|总计|填报人|填表人|制表人|审核人|联系人|负责人签字|注[:：]|说明[:：])")


def _is_total(values, mapping) -> bool:
    """A 合计 line, a rate line (整改完成率 …, as this system's own exports end) or a signature footer."""
    if norm(_cell(values, mapping, "description")) in ("合计", "小计", "总计"):
        return True
    first = next((str(v).strip() for v in values if v not in (None, "") and str(v).strip()), "")
    if FOOTER.match(first) or norm(_cell(values, mapping, "seq")) in ("合计", "小计", "总计"):
        return True
    return len(first) <= 12 and first.endswith("率") and not _cell(values, mapping, "description")


def _category_heading(values, origin, mapping) -> str | None:
    """A row that only carries a heading such as "一、思想认识方面" (often merged across the sheet)."""
    filled = [(i, v) for i, v in enumerate(values) if v not in (None, "") and str(v).strip()]
    texts = {str(v).strip() for _i, v in filled}
    if (
        len(texts) != 1
        or _cell(values, mapping, "measure")
        and len(filled) == 1
        and filled[0][0] == mapping.get("measure")
    ):
        return None
    text = texts.pop()
    wide = len(filled) >= 3 and len({origin[i] for i, _v in filled}) == 1
    numbered = re.match(r"^[一二三四五六七八九十]+[、.．]|^第[一二三四五六七八九十]+", text)
    if (wide or numbered or text.endswith(("方面", "类"))) and len(text) <= 60:
        return (
            re.sub(r"^[一二三四五六七八九十]+[、.．]\s*|^第[一二三四五六七八九十]+[部分类]?[、:：\s]*", "", text)
            or text
        )
    return None


def row_hash(values, mapping) -> str:
    import hashlib

    keys = ("unit", "category", "description", "measure", "owner", "resp_unit", "deadline")
    text = "\x1f".join(norm(_cell(values, mapping, k)) for k in keys)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Parser:
    """Reads rows one by one into the values the preview shows and the import stores.

    Keeps only what the next row needs (the problem being filled, the last merge origins), so a
    sheet of any length streams through it."""

    mapping: dict[str, int]
    header: list[str]
    lookup: Lookup
    default_unit: object  # Unit or None: rows that name no unit
    default_channel: str
    today: date
    split: bool = False
    category: str = ""
    problem_row: int | None = None
    problem_origin: object = None
    measure_origin: object = None
    last_measure: str = ""
    problem_text: str = ""

    def column(self, key: str) -> str:
        from openpyxl.utils import get_column_letter

        i = self.mapping.get(key)
        if i is None:
            return str(FIELDS[key][0])
        label = self.header[i] if i < len(self.header) else ""
        return f"{get_column_letter(i + 1)} · {label}".strip(" ·")

    def read(self, number: int, values: list, origin: list) -> dict | None:
        """The parsed row: {"kind": "category"|"row", values…, "errors": [...]}; None for a row to skip."""
        if _is_total(values, self.mapping):
            return None
        heading = _category_heading(values, origin, self.mapping)
        if heading:
            self.category = heading
            self.problem_row = None
            return {"kind": "category", "category": heading}
        errors: list[dict] = []
        m = self.mapping
        if cat := _cell(values, m, "category"):
            self.category = re.sub(r"^[一二三四五六七八九十]+[、.．]\s*", "", cat)
        description = _cell(values, m, "description")
        d_col = m.get("description")
        d_origin = origin[d_col] if d_col is not None and d_col < len(origin) else None
        continues = self.problem_row is not None and (
            (d_origin is not None and d_origin == self.problem_origin) or not description
        )
        row: dict = {"kind": "row", "category": self.category}
        if continues:
            row["problem_row"] = self.problem_row
        else:
            self.problem_row, self.problem_origin, self.problem_text = number, d_origin, description
            row["problem_row"] = number
            if not description:
                errors.append({"column": self.column("description"), "message": _("the problem is empty")})
            row.update(self._problem_fields(values, errors))
        row["description"] = description
        row["measures"] = self._measures(values, origin, row, errors)
        row["errors"] = errors
        return row

    def _problem_fields(self, values, errors) -> dict:
        m, out = self.mapping, {}
        unit_text = _cell(values, m, "unit") or split_first(_cell(values, m, "resp_unit"))
        out["unit_text"] = unit_text
        out["unit_id"] = self.lookup.unit(unit_text) if unit_text else None
        if out["unit_id"] is None and self.default_unit is None and not unit_text:
            errors.append({"column": self.column("unit"), "message": _("no unit is named and no default unit")})
        try:
            out["channel"] = parse_channel(_cell(values, m, "channel"), self.default_channel)
        except ValueError as e:
            errors.append({"column": self.column("channel"), "message": _("unknown channel “%(v)s”") % {"v": e}})
        try:
            out["severity"] = parse_severity(_cell(values, m, "severity"))
        except ValueError as e:
            errors.append({"column": self.column("severity"), "message": _("unknown severity “%(v)s”") % {"v": e}})
        out["cause"] = _cell(values, m, "cause")
        out["benchmark"] = _cell(values, m, "benchmark")
        names = [n for n in split_list(_cell(values, m, "manifestations")) if n not in ("庸", "懒", "散")]
        out["manifestations"] = [pk for pk in (self.lookup.manifestation(n) for n in names) if pk]
        out["manifestations_text"] = [n for n in names if not self.lookup.manifestation(n)]
        return out

    def _measures(self, values, origin, row, errors) -> list[dict]:
        m = self.mapping
        content = _cell(values, m, "measure")
        col = m.get("measure")
        cell_origin = origin[col] if col is not None and col < len(origin) else None
        same_cell = cell_origin is not None and cell_origin == self.measure_origin
        self.measure_origin = cell_origin
        if not content or (same_cell and content == self.last_measure):
            return []  # a merged measure cell continued on this line
        self.last_measure = content
        raw_deadline = _value(values, m, "deadline")
        deadline = None
        try:
            deadline = parse_deadline(raw_deadline, today=self.today)
        except ValueError:
            errors.append(
                {
                    "column": self.column("deadline"),
                    "message": _("“%(value)s” is not a date or a time class") % {"value": raw_deadline},
                }
            )
        state, status_text = NOT_STARTED, []
        for key in ("completion", "closeout", "progress"):
            raw = _value(values, m, key)
            try:
                found = parse_state(raw, self.lookup.vocabulary)
            except ValueError:
                errors.append(
                    {
                        "column": self.column(key),
                        "message": _("“%(value)s” is not a known status word: add it on the status words page")
                        % {"value": raw},
                    }
                )
                continue
            if found is None:
                continue
            status_text.append(str(raw).strip())
            if key != "closeout" or found == DONE:  # 未销号 says nothing about the work itself
                state = max(state, found, key=_RANK.__getitem__)
        time_class = deadline.time_class if deadline else "long_term"
        owner = _cell(values, m, "owner")
        leader = _cell(values, m, "leader")
        resp_unit = split_first(_cell(values, m, "resp_unit"))
        base = {
            "goal": _cell(values, m, "goal"),
            "time_class": time_class,
            "deadline": deadline.date.isoformat() if deadline and deadline.date else None,
            # the text as typed (7月底, 2026.6.30), shown beside the date read from it; none for a date cell
            "deadline_text": str(raw_deadline).strip()[:60] if isinstance(raw_deadline, (str, int)) else "",
            "state": state,
            "status_text": " / ".join(status_text)[:100],
            "owner_text": owner[:100],
            "owner_id": self.lookup.person(split_first(owner)) if owner else None,
            "leader_text": leader[:100],
            "leader_id": self.lookup.person(split_first(leader)) if leader else None,
            "resp_unit_text": resp_unit[:100],
            "resp_unit_id": self.lookup.unit(resp_unit) if resp_unit else None,
            "no_deadline": deadline is None and not errors,
        }
        parts = split_measure_text(content) if self.split else [content]
        return [{"content": part, **base} for part in parts]


def split_first(text: str) -> str:
    items = split_list(text)
    return items[0] if items else ""
