"""The difference between two versions of a report, as plain segments that the template escapes."""

from difflib import SequenceMatcher

from django.utils.translation import gettext as _

from .models import SelfReportVersion


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """[(op, text)] with op in equal/del/ins, character by character (Chinese has no word breaks)."""
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(("equal", old[i1:i2]))
        if op in ("delete", "replace"):
            segments.append(("del", old[i1:i2]))
        if op in ("insert", "replace"):
            segments.append(("ins", new[j1:j2]))
    return segments


def version_diff(old: SelfReportVersion, new: SelfReportVersion) -> list[dict]:
    """One entry per section: its label, whether it changed, and the segments."""
    rows = []
    for field, label in (
        ("method", _("How the self-check was done")),
        ("problems_and_causes", _("Problems and their causes")),
        ("measures", _("Rectification measures")),
    ):
        a, b = getattr(old, field), getattr(new, field)
        rows.append({"label": label, "changed": a != b, "segments": text_diff(a, b)})
    old_p = {p.pk: p for p in old.problems.all()}
    new_p = {p.pk: p for p in new.problems.all()}
    segments = [("equal", str(p)) for pk, p in new_p.items() if pk in old_p]
    segments += [("del", str(p)) for pk, p in old_p.items() if pk not in new_p]
    segments += [("ins", str(p)) for pk, p in new_p.items() if pk not in old_p]
    rows.append(
        {
            "label": _("Problems from the ledger"),
            "changed": old_p.keys() != new_p.keys(),
            "segments": segments,
            "list": True,
        }
    )
    return rows
