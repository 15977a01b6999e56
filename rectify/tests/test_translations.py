"""Chinese is the default language, and Django merges every app's catalogue into one: these tests keep
the merged catalogue honest.

- the same msgid (in the same context) means one thing: it is translated the same in every catalogue;
- what a Chinese page shows is what the app's catalogue says (no other app's or Django's own
  translation, such as admin's 过滤器 for "Filter", wins the merge);
- every entry is translated and none is fuzzy;
- extracting the strings again (as makemessages does) finds none missing from the catalogues.
"""

import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import polib
import pytest
from django.utils import translation

from rectify.tests.pagetext import stray_latin_words

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(p for p in ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def _app(po: Path) -> str:
    return po.parts[-5]


def _entries(po: Path):
    return [e for e in polib.pofile(str(po)) if not e.obsolete and e.msgid]


def _label(e) -> str:
    return f"{e.msgctxt}|{e.msgid}" if e.msgctxt else e.msgid


def _translation(e) -> str:
    return e.msgstr if not e.msgid_plural else " | ".join(e.msgstr_plural[k] for k in sorted(e.msgstr_plural))


def test_it_translates_each_msgid_the_same_in_every_catalogue():
    seen: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for po in CATALOGUES:
        for e in _entries(po):
            if "fuzzy" not in e.flags and _translation(e):
                seen[_label(e)][_translation(e)].append(_app(po))
    clashes = {
        label: {msgstr: apps for msgstr, apps in by_msgstr.items()}
        for label, by_msgstr in seen.items()
        if len(by_msgstr) > 1
    }
    assert clashes == {}, "give these msgids a context (pgettext) or one translation:\n" + "\n".join(
        f"{label!r}: {dict(v)}" for label, v in sorted(clashes.items())
    )


@pytest.mark.parametrize("po", CATALOGUES, ids=_app)
def test_it_shows_the_apps_own_translation_in_chinese(po):
    """The merged catalogue gives each of the app's strings the app's translation."""
    wrong = []
    with translation.override("zh-hans"):
        for e in _entries(po):
            if e.msgid_plural or "fuzzy" in e.flags or not e.msgstr:
                continue
            shown = translation.pgettext(e.msgctxt, e.msgid) if e.msgctxt else translation.gettext(e.msgid)
            if shown != e.msgstr:
                wrong.append(f"{_label(e)!r}: {e.msgstr!r} in {_app(po)}, but {shown!r} is shown")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("po", CATALOGUES, ids=_app)
def test_it_has_every_entry_translated_and_none_fuzzy(po):
    missing = []
    for e in _entries(po):
        empty = not e.msgstr if not e.msgid_plural else not all(e.msgstr_plural.values())
        if empty or "fuzzy" in e.flags:
            missing.append(_label(e))
    assert missing == []


def _extract(app: Path, tmp: Path) -> polib.POFile:
    """Run makemessages over a copy of the app, merging into a copy of its catalogue."""
    copy = tmp / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__", "tests", "static"))
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v0"],
        cwd=copy,
        check=True,
    )
    return polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))


@pytest.mark.parametrize("po", CATALOGUES, ids=_app)
def test_it_finds_no_string_missing_from_the_catalogue(po, tmp_path):
    """Every string of the app's Python code and templates is in its catalogue, translated."""
    app = po.parents[3]
    extracted = _extract(app, tmp_path)
    kept = {_label(e) for e in _entries(po) if _translation(e) and "fuzzy" not in e.flags}
    missing = sorted({_label(e) for e in extracted if not e.obsolete and e.msgid and _label(e) not in kept})
    assert missing == [], f"run makemessages in {app.name}/ and translate:\n" + "\n".join(missing)


TEMPLATES = sorted(p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts)
SHOWN_ATTRIBUTES = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"{]*)"')


def _bare_text(source: str) -> str:
    """What a template shows besides its translated strings and variables: text between tags and
    the attributes read to users. Left out: comments, scripts, styles, blocks already translated,
    Pico's nav[aria-label=breadcrumb] selector, and the hidden honeypot fields bots fill in."""
    s = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|\{#.*?#\}", " ", source, flags=re.S)
    s = re.sub(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", " ", s, flags=re.S)
    s = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", s, flags=re.S)
    s = re.sub(r'<div\b[^>]*aria-hidden="true"[^>]*>.*?</div>', " ", s, flags=re.S)
    s = re.sub(r"\{%.*?%\}", " ", s, flags=re.S)
    s = re.sub(r"\{\{.*?\}\}", "0", s, flags=re.S)  # a variable shows a value: v{{ n }} reads v2
    s = s.replace('aria-label="breadcrumb"', "")
    attributes = " ".join(SHOWN_ATTRIBUTES.findall(s))
    s = re.sub(r"<[^>]*>|&[a-z]+;|&#\d+;", " ", s, flags=re.S)
    return s + " " + attributes


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_it_shows_no_template_text_outside_translate(template):
    """A word a template shows in Latin letters goes through {% translate %} (names and codes such as
    PDF, SHA-256 or the language switch's “English” excepted)."""
    assert stray_latin_words(_bare_text(template.read_text(encoding="utf-8"))) == []
