#!/usr/bin/env python3
"""Fill empty msgstr entries of a .po file from a JSON dict {msgid: msgstr}.

Usage: bin/po_fill.py path/to/django.po translations.json
       bin/po_fill.py --todo path/to/django.po      (list untranslated or fuzzy msgids)
Handles single-line and multi-line msgids; leaves plural entries to be edited by hand.
"""

import json
import re
import sys

ENTRY = re.compile(r'((?:^#.*\n)*)^msgid ((?:".*"\n)+)^msgstr ((?:".*"(?:\n|$))+)', re.M)


def _join(quoted: str) -> str:
    return "".join(json.loads(q) for q in re.findall(r'"(?:[^"\\]|\\.)*"', quoted))


def parse(text):
    """Yield (start, end, block, msgid, msgstr, fuzzy) for each simple (non-plural) entry."""
    for m in ENTRY.finditer(text):
        block = m.group(0)
        yield m.start(), m.end(), block, _join(m.group(2)), _join(m.group(3)), ", fuzzy" in m.group(1)


def main():
    if sys.argv[1] == "--todo":
        text = open(sys.argv[2], encoding="utf-8").read()
        todo = {e[3]: "" for e in parse(text) if e[3] and (not e[4] or e[5])}
        print(json.dumps(todo, ensure_ascii=False, indent=1))
        return
    path, tr_path = sys.argv[1], sys.argv[2]
    text = open(path, encoding="utf-8").read()
    tr = json.load(open(tr_path, encoding="utf-8"))
    out, last = [], 0
    for start, end, block, msgid, msgstr, fuzzy in parse(text):
        if msgid in tr and tr[msgid] and (not msgstr or fuzzy):
            trail = "\n" if block.endswith("\n") else ""
            head = block[: block.index("msgstr ")]
            new_block = head + "msgstr " + json.dumps(tr[msgid], ensure_ascii=False) + trail
            new_block = re.sub(r"^#, fuzzy\n", "", new_block, flags=re.M)
            new_block = re.sub(r"^#, fuzzy, ", "#, ", new_block, flags=re.M)
            new_block = re.sub(r"^(#,.*), fuzzy", r"\1", new_block, flags=re.M)
            new_block = re.sub(r"^#\| msgid .*\n", "", new_block, flags=re.M)
            out.append(text[last:start] + new_block)
            last = end
    out.append(text[last:])
    open(path, "w", encoding="utf-8").write("".join(out))


if __name__ == "__main__":
    main()
