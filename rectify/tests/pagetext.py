"""The page-text check of the browser walk: a Chinese page shows no stray English.

A Latin-letter word on a page in Chinese is allowed only when it is a name, a code or a number:
an acronym or code in capitals (PDF, QR, SHA-256, T001), anything with a digit (v2, 2026年), an e-mail
address or web address, a product name users know (Word, Excel), or a name passed in by the caller
(people or units of the data under test). Anything else ("Submit", "draft", "None") is an
untranslated string or a raw value leaking through.
"""

import re

# Names of products and formats that Chinese offices write in Latin letters; the language switch.
KNOWN_NAMES = frozenset(
    {"English", "Word", "Excel", "WPS", "Chrome", "Chromium", "Edge", "Safari", "Firefox", "Django", "Rectify"}
)

WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
ADDRESS = re.compile(r"\S+@\S+|https?://\S+|\b[\w.-]+\.(?:cn|com|org|net|gov)\b(?:/\S*)?")
CODE = re.compile(r"[A-Za-z0-9]*\d[A-Za-z0-9_\-]*|[A-Za-z]+[_/.][\w/.\-]+|\.[a-z]{2,5}\b")  # codes, paths, .xlsx


def stray_latin_words(text: str, names: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The Latin-letter words of `text` that are not names, codes or numbers (each once, in order)."""
    text = ADDRESS.sub(" ", text)
    text = CODE.sub(" ", text)
    found: list[str] = []
    for word in WORD.findall(text):
        word = word.strip("-'’")
        if not word:
            continue
        if word.isupper() or word in KNOWN_NAMES or word in names:  # acronyms and codes (PDF, QR, SHA)
            continue
        if word not in found:
            found.append(word)
    return found
