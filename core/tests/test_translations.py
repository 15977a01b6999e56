"""Chinese is the default language: every string in every app's catalogue must be translated."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(p for p in ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts)
ENTRY = re.compile(
    r'((?:^#.*\n)*)^msgid ((?:".*"\n)+)(?:^msgid_plural (?:".*"\n)+)?((?:^msgstr(?:\[\d\])? (?:".*"(?:\n|$))+)+)', re.M
)


def untranslated(po: Path) -> list[str]:
    missing = []
    for m in ENTRY.finditer(po.read_text(encoding="utf-8")):
        msgid = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
        if not msgid:
            continue
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"(?:\n|$))+)', m.group(3), re.M)
        empty = any(not "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', s)) for s in strs)
        if empty or ", fuzzy" in m.group(1):
            missing.append(msgid)
    return missing


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_it_has_every_string_translated_into_chinese(po):
    assert untranslated(po) == []
