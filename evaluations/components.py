"""The combined final score (综合得分, issue #13): the evaluation's own score combined with scores the
office enters or imports per target (年度考核, 考勤 …), each with a weight in percent.

Definitions (stated on the results page too):
- each component is brought to a 100-point scale: value ÷ full marks × 100;
- combined = Σ weight% × (component on the 100-point scale), the weights adding up to 100%;
- the evaluation's part is its exact score (the one that counts: plain mean or group-weighted), so
  nothing is rounded before the end; the combined score is shown with two decimals, half up;
- a target lacking any component (a value not entered, or no evaluation score: void, no valid
  ballots) has no combined score: the page says which part is missing (缺少分项), never counts it as 0;
- ranked like the evaluation score (equal shown scores share a rank), in the round and within a kind.
"""

import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import ComponentValue, Evaluation, ScoreComponent

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000


def scheme(evaluation: Evaluation) -> list[ScoreComponent]:
    return list(evaluation.components.all())


def stored_values(evaluation: Evaluation) -> dict[tuple[int, int], Decimal]:
    """{(component id, target id): value} of the round."""
    return {
        (c, t): v
        for c, t, v in ComponentValue.objects.filter(component__evaluation=evaluation).values_list(
            "component_id", "target_id", "value"
        )
    }


def combine(components: list[ScoreComponent], values: dict, target_id: int, score_exact: Fraction | None) -> dict:
    """A target's parts and combined score: {"parts": [value or None per component], "combined_exact",
    "combined" (shown), "missing": [names of the parts missing]}."""
    from .results import shown

    parts, missing, total = [], [], Fraction(0)
    for c in components:
        if c.is_evaluation:
            exact = score_exact
            parts.append(shown(score_exact) if score_exact is not None else None)
        else:
            v = values.get((c.pk, target_id))
            exact = Fraction(v) if v is not None else None
            parts.append(v)
        if exact is None:
            missing.append(c.name)
        else:
            total += Fraction(c.weight) * exact / Fraction(c.full_marks)
    complete = bool(components) and not missing
    return {
        "parts": parts,
        "combined_exact": total if complete else None,
        "combined": shown(total) if complete else None,
        "missing": missing,
    }


def weights_text(components: list[ScoreComponent]) -> str:
    """“民主评议得分 60% + 年度考核 30% + 考勤 10%（满分 10）”: the formula as the page states it."""
    out = []
    for c in components:
        text = f"{c.name} {c.weight.normalize():f}%"
        if c.full_marks != 100:
            text += pgettext("score component", "（full marks %(n)s）") % {"n": f"{c.full_marks.normalize():f}"}
        out.append(text)
    return " + ".join(out)


def missing_text(row: dict) -> str:
    return pgettext("score component", "Missing parts: %(parts)s") % {"parts": "、".join(row["missing"])}


# ------------------------------------------------------------------ import from Excel

TARGET_HEADERS = ["对象", "评议对象", "考核对象", "姓名", "单位", "名称", "target", "name"]
STAFF_HEADERS = ["工号", "职工号", "人员编号", "staff number", "staff no"]


@dataclass
class Parsed:
    values: dict  # (component id, target id) → Decimal
    errors: list[str]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _number(value) -> Decimal | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    text = _cell_text(value).replace("，", ".").translate(str.maketrans("０１２３４５６７８９．", "0123456789."))
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def column_name(index: int) -> str:
    """Excel's column letters: 0 → A, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def parse_import(upload, evaluation: Evaluation) -> Parsed:
    """Read an Excel file: a header row with the target column (对象 / 姓名 / 单位, the target as written
    on the round's page) and/or 工号 (a person's staff number), and one column per component named as
    on the page. Each error names its row and column; the caller stores nothing when there is one.
    A blank cell leaves that value as it is."""
    from openpyxl import load_workbook

    if getattr(upload, "size", 0) > MAX_IMPORT_BYTES:
        return Parsed({}, [_("The file is larger than 5 MB.")])
    try:
        ws = load_workbook(upload, read_only=True, data_only=True).worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    except Exception:  # openpyxl raises many kinds for a broken file
        return Parsed({}, [_("The Excel file cannot be read.")])
    rows = [r for r in rows if any(_cell_text(v) for v in r)]
    if not rows:
        return Parsed({}, [_("The file is empty.")])
    if len(rows) > MAX_IMPORT_ROWS:
        return Parsed({}, [_("The file has more than %(n)s rows.") % {"n": MAX_IMPORT_ROWS}])
    header = [_cell_text(v) for v in rows[0]]
    lowered = [h.lower() for h in header]
    target_col = next((i for i, h in enumerate(lowered) if h in TARGET_HEADERS), None)
    staff_col = next((i for i, h in enumerate(lowered) if h in STAFF_HEADERS), None)
    if target_col is None and staff_col is None:
        return Parsed({}, [_("Row 1: no column names the target (对象, 姓名 or 单位) or the staff number (工号).")])
    entered = [c for c in scheme(evaluation) if not c.is_evaluation]
    columns = {}
    for c in entered:
        hits = [i for i, h in enumerate(header) if h == c.name]
        if hits:
            columns[c] = hits[0]
    errors = []
    if not columns:
        errors.append(
            _("Row 1: no column is named after a component (%(names)s).")
            % {"names": "、".join(c.name for c in entered)}
        )
        return Parsed({}, errors)
    known = set(columns.values()) | {target_col, staff_col}
    for i, h in enumerate(header):
        if h and i not in known:
            errors.append(
                _("Row 1, column %(col)s “%(head)s”: not a component of this round.")
                % {"col": column_name(i), "head": h}
            )
    targets = list(evaluation.targets.select_related("unit", "person"))
    by_name, by_staff = {}, {}
    for t in targets:
        by_name.setdefault(str(t), []).append(t)
        if t.person_id:
            by_staff[t.person.staff_no] = t
    seen = {}
    values = {}
    for n, row in enumerate(rows[1:], start=2):
        row = row + [None] * (len(header) - len(row))
        target = None
        where = None
        if staff_col is not None and _cell_text(row[staff_col]):
            no = _cell_text(row[staff_col])
            where = column_name(staff_col)
            target = by_staff.get(no)
            if target is None:
                errors.append(
                    _("Row %(row)s, column %(col)s: no target of this round has the staff number “%(value)s”.")
                    % {"row": n, "col": where, "value": no}
                )
                continue
        elif target_col is not None and _cell_text(row[target_col]):
            name = _cell_text(row[target_col])
            where = column_name(target_col)
            found = by_name.get(name, [])
            if len(found) != 1:
                errors.append(
                    (
                        _("Row %(row)s, column %(col)s: “%(value)s” is not a target of this round.")
                        if not found
                        else _(
                            "Row %(row)s, column %(col)s: several targets are called “%(value)s”: give the staff number."
                        )
                    )
                    % {"row": n, "col": where, "value": name}
                )
                continue
            target = found[0]
        else:
            errors.append(_("Row %(row)s: the target is not named.") % {"row": n})
            continue
        if target.pk in seen:
            errors.append(
                _("Row %(row)s, column %(col)s: %(target)s is already on row %(first)s.")
                % {"row": n, "col": where, "target": target, "first": seen[target.pk]}
            )
            continue
        seen[target.pk] = n
        for c, i in columns.items():
            raw = row[i]
            if not _cell_text(raw):
                continue
            value = _number(raw)
            problem = value_problem(c, value)
            if problem:
                errors.append(
                    _("Row %(row)s, column %(col)s (%(component)s): %(problem)s")
                    % {"row": n, "col": column_name(i), "component": c.name, "problem": problem}
                )
                continue
            values[(c.pk, target.pk)] = value
    return Parsed(values, errors)


def value_problem(component: ScoreComponent, value: Decimal | None) -> str | None:
    """Why a value cannot be stored for `component`, or None."""
    if value is None:
        return _("not a number")
    if value < 0 or value > component.full_marks:
        return _("must lie between 0 and %(max)s") % {"max": f"{component.full_marks.normalize():f}"}
    if value != value.quantize(Decimal("0.01")):
        return _("at most two decimal places")
    return None


def template_workbook(evaluation: Evaluation) -> bytes:
    """The import template: one row per target (name and staff number filled in, with the values
    already entered), one column per component the office enters."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from core.excel import cell

    entered = [c for c in scheme(evaluation) if not c.is_evaluation]
    values = stored_values(evaluation)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(pgettext("score component", "Scores")[:31])
    bold = Font(bold=True)
    ws.append([cell(ws, h, font=bold) for h in ["对象", "工号", *[c.name for c in entered]]])
    for t in evaluation.targets.select_related("unit", "person"):
        ws.append(
            [cell(ws, str(t)), cell(ws, t.person.staff_no if t.person_id else None)]
            + [cell(ws, values.get((c.pk, t.pk))) for c in entered]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def combined_formula(components: list[ScoreComponent]) -> str:
    """The sentence stating how the combined score is made (results page, Word)."""
    return pgettext(
        "score component",
        "Combined score = %(formula)s, each part on a 100-point scale (value ÷ full marks × 100); computed "
        "exactly from the evaluation's exact score and rounded once to two decimals (half up). A target "
        "missing a part has no combined score.",
    ) % {"formula": weights_text(components)}
