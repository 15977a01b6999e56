#!/usr/bin/env python3
"""Translate a .po catalogue's untranslated or fuzzy entries, contexts included (unlike po_fill.py).

Usage: bin/po_set.py --todo path/to/django.po          (JSON of what is missing: {"ctx|msgid" or "msgid": ""})
       bin/po_set.py path/to/django.po translations.json  (fills those keys; clears fuzzy flags)
A key "context|msgid" addresses an entry with msgctxt; plain "msgid" one without. Plural entries take a
list of forms.
"""

import json
import sys

import polib


def key(entry) -> str:
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def missing(po) -> list:
    out = []
    for e in po:
        if e.obsolete or not e.msgid:
            continue
        empty = not e.msgstr if not e.msgid_plural else not all(e.msgstr_plural.values())
        if empty or "fuzzy" in e.flags:
            out.append(e)
    return out


def main() -> None:
    if sys.argv[1] == "--todo":
        po = polib.pofile(sys.argv[2], wrapwidth=79)
        print(json.dumps({key(e): e.msgstr or "" for e in missing(po)}, ensure_ascii=False, indent=1))
        return
    path, tr = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
    po = polib.pofile(path, wrapwidth=79)
    for e in missing(po):
        value = tr.get(key(e))
        if not value:
            continue
        if e.msgid_plural:
            e.msgstr_plural = {i: v for i, v in enumerate(value if isinstance(value, list) else [value])}
        else:
            e.msgstr = value
        if "fuzzy" in e.flags:
            e.flags.remove("fuzzy")
        e.previous_msgid = e.previous_msgctxt = e.previous_msgid_plural = None
    po.save(path)


if __name__ == "__main__":
    main()
