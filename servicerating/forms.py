"""Forms of the service rating channel: parsing and validation only."""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core import forms as bounded

from .models import GRADE_ORDER, Grade, ServicePoint
from .services import NAMED_MAX, OLDEST_DAYS, REASON_MAX, ImportRow

STAR_CHOICES = [(s, str(s)) for s in range(5, 0, -1)]


class ConfigForm(forms.Form):
    """The star mapping and the rules, as the office sets them."""

    star_1 = forms.ChoiceField(label=gettext_lazy("1 star"), choices=Grade.choices)
    star_2 = forms.ChoiceField(label=gettext_lazy("2 stars"), choices=Grade.choices)
    star_3 = forms.ChoiceField(label=gettext_lazy("3 stars"), choices=Grade.choices)
    star_4 = forms.ChoiceField(label=gettext_lazy("4 stars"), choices=Grade.choices)
    star_5 = forms.ChoiceField(label=gettext_lazy("5 stars"), choices=Grade.choices)
    min_ratings = forms.IntegerField(
        label=gettext_lazy("Minimum ratings for a rate"),
        min_value=1,
        max_value=1000,
        help_text=gettext_lazy("A unit with fewer ratings than this in a month or week shows no satisfaction rate."),
    )
    rate_counts_basic = forms.BooleanField(
        label=gettext_lazy("Basically satisfied counts as satisfied in the rate"), required=False
    )
    case_due_days = forms.IntegerField(label=gettext_lazy("Days to settle a 不满意 case"), min_value=1, max_value=365)
    phone_hint = forms.CharField(
        label=gettext_lazy("Rating phone line (printed on posters)"), max_length=60, required=False
    )

    @classmethod
    def for_config(cls, config, data=None):
        initial = {f"star_{s}": config.grade_for_stars(s) for s in range(1, 6)}
        initial.update(
            min_ratings=config.min_ratings,
            rate_counts_basic=config.rate_counts_basic,
            case_due_days=config.case_due_days,
            phone_hint=config.phone_hint,
        )
        return cls(data, initial=initial)

    def clean(self):
        data = super().clean()
        grades = [data.get(f"star_{s}") for s in range(1, 6)]
        if all(grades) and any(GRADE_ORDER[a] > GRADE_ORDER[b] for a, b in zip(grades, grades[1:])):
            raise forms.ValidationError(_("More stars can never mean a worse grade."))
        return data

    @property
    def star_grades(self) -> dict[str, str]:
        return {str(s): self.cleaned_data[f"star_{s}"] for s in range(1, 6)}


class PointEnableForm(forms.Form):
    unit = bounded.ModelChoiceField(label=gettext_lazy("Unit"), queryset=None)
    handling_unit = bounded.ModelChoiceField(
        label=gettext_lazy("Cases handled by"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("its superior unit"),
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["handling_unit"].queryset = units


class PublicRatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=STAR_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Tap the stars to rate.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("What was wrong? (needed when you are not satisfied)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    named = forms.CharField(
        label=gettext_lazy("Staff member who served you (optional: name or staff number)"),
        max_length=NAMED_MAX,
        required=False,
    )
    website = forms.CharField(required=False)  # a field only robots fill in


class ReplyEntryForm(forms.Form):
    """A reply taken by phone or text message, typed in by staff."""

    point = bounded.ModelChoiceField(label=gettext_lazy("Unit"), queryset=None)
    rated_on = bounded.DateField(
        label=gettext_lazy("Day of the reply"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reply = forms.ChoiceField(
        label=gettext_lazy("Reply code"),
        choices=[
            ("1", pgettext_lazy("reply code", "1 Satisfied")),
            ("2", pgettext_lazy("reply code", "2 Basically satisfied")),
            ("3", pgettext_lazy("reply code", "3 Unsatisfied")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (needed for 3 Unsatisfied)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    named = forms.CharField(label=gettext_lazy("Staff member named (optional)"), max_length=NAMED_MAX, required=False)

    def __init__(self, *args, points=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        self.fields["point"].label_from_instance = lambda p: f"{p.unit} ({p.short_code})"

    def clean(self):
        data = super().clean()
        if data.get("reply") == "3" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("A 不满意 reply needs a reason."))
        return data


class DecideForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            ("substantiated", pgettext_lazy("service case", "Substantiated")),
            ("partly", pgettext_lazy("service case", "Partly substantiated")),
            ("unsubstantiated", pgettext_lazy("service case", "Not substantiated")),
        ],
        widget=forms.RadioSelect,
    )
    finding = forms.CharField(
        label=gettext_lazy("What the investigation found"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    action_taken = forms.CharField(
        label=gettext_lazy("Action taken (the rater reads this)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class ReceiptForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Receipt code"), max_length=20)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Gateway export (CSV or Excel)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if f.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return f


# ---------------------------------------------------------------- gateway export parsing

HEADERS = {
    "day": ["日期", "回复日期", "回复时间", "时间", "date", "day"],
    "code": ["服务代码", "单位代码", "评议代码", "代码", "service code", "code"],
    "reply": ["回复", "回复内容", "短信内容", "评价", "reply", "content"],
    "reason": ["原因", "不满意原因", "意见", "reason"],
}
MAX_ROWS = 5000
FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass
class ParsedImport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def _table(upload) -> list[list]:
    name = upload.name.lower()
    upload.seek(0)
    if name.endswith(".csv"):
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError(_("The CSV file is neither UTF-8 nor GBK."))
        return [row for row in csv.reader(io.StringIO(text))]
    from openpyxl import load_workbook

    try:
        ws = load_workbook(upload, read_only=True, data_only=True).worksheets[0]
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise ValueError(_("The Excel file cannot be read.")) from e
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().translate(FULL_WIDTH)
    if m := re.match(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", text):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


def _whole(value):
    """Excel gives 3.0 for a typed 3 and 123456.0 for a service code."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def parse_gateway_export(upload, points: dict[str, ServicePoint]) -> ParsedImport:
    """Read a gateway export: one reply per row, found by its headers (日期, 服务代码, 回复 and
    optionally 原因). Other columns, such as the sender's phone number, are never read. A reply
    such as "3 等了两个小时" gives the code 3 and the reason. `points` maps service codes to the
    institution's open service points."""
    result = ParsedImport()
    try:
        table = _table(upload)
    except ValueError as e:
        result.errors.append((0, str(e)))
        return result
    header_at, cols = None, {}
    for i, row in enumerate(table[:10]):
        names = [str(c or "").strip().lower() for c in row]
        found = {key: names.index(s.lower()) for key, syn in HEADERS.items() for s in syn if s.lower() in names}
        if {"day", "code", "reply"} <= set(found):
            header_at, cols = i, found
            result.ignored_columns = [str(c) for j, c in enumerate(row) if c and j not in found.values()]
            break
    if header_at is None:
        result.errors.append((0, _("No header row with 日期, 服务代码 and 回复 was found.")))
        return result
    body = [
        (header_at + 2 + n, row)
        for n, row in enumerate(table[header_at + 1 :])
        if any(c not in (None, "") for c in row)
    ]
    if len(body) > MAX_ROWS:
        result.errors.append((0, _("At most %(n)s rows per file.") % {"n": MAX_ROWS}))
        return result
    today = timezone.localdate()
    for number, row in body:
        cell = {key: _whole(row[j]) if j < len(row) else None for key, j in cols.items()}
        day = _day(cell["day"])
        code = str(cell["code"] or "").strip().translate(FULL_WIDTH)
        reply_text = str(cell["reply"] or "").strip().translate(FULL_WIDTH)
        reply = reply_text[:1]
        reason = (str(cell.get("reason") or "").strip() or reply_text[1:].strip(" ，,:：")) if reply else ""
        if day is None:
            result.errors.append((number, _("The day cannot be read.")))
        elif day > today:
            result.errors.append((number, _("The day cannot be in the future.")))
        elif (today - day).days > OLDEST_DAYS:
            result.errors.append((number, _("Replies older than three months cannot be entered.")))
        elif code not in points:
            result.errors.append((number, _("No open service point has the service code %(code)s.") % {"code": code}))
        elif reply not in ("1", "2", "3"):
            result.errors.append((number, _("The reply must start with 1, 2 or 3.")))
        elif reply == "3" and not reason:
            result.errors.append((number, _("A 不满意 reply needs a reason.")))
        elif len(reason) > REASON_MAX:
            result.errors.append((number, _("The reason is too long (at most %(n)s characters).") % {"n": REASON_MAX}))
        else:
            result.rows.append(
                ImportRow(row=number, point_id=points[code].pk, rated_on=day, reply=reply, reason=reason)
            )
    return result
