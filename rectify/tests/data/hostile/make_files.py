"""Writes the hostile files of the corpus into files/ (run from this directory with the project's Python;
the files are kept in git, this script says how each was made). files.json lists each case with the name
it is uploaded under."""

import io
import json
import zipfile
from pathlib import Path

from openpyxl import Workbook

OUT = Path(__file__).parent / "files"
OUT.mkdir(exist_ok=True)


def xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item.filename, replace.get(item.filename, src.read(item.filename)))
    return out.getvalue()


MINI_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
good = xlsx([("序号", "问题"), (1, "排课随意")])
bomb = io.BytesIO()
with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
    z.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))  # 200 MB of zeros, ~200 KB zipped
laughs = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="&lol9;"/></sheets></workbook>'
)
files = {
    "html_as.png": b"<html><body><script>alert(1)</script></body></html>",
    "script.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "zip_as.docx": good,  # an xlsx (a zip) named .docx
    "plain_zip.pdf": b"PK\x03\x04" + b"\0" * 26,
    "exe_as.pdf": b"MZ\x90\x00" + b"\0" * 60 + b"This program cannot be run in DOS mode.",
    "pdf_js.pdf": MINI_PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
    "empty.xlsx": b"",
    "truncated.xlsx": good[: len(good) // 2],
    "zip_bomb.xlsx": bomb.getvalue(),
    "xml_laughs.xlsx": rezip(good, {"xl/workbook.xml": laughs}),
    "formulas.xlsx": xlsx(
        [("序号", "问题", "单位名称", "工号")]
        + [(f"=1+{i}", '=HYPERLINK("http://evil.example","x")', "=cmd|' /C calc'!A0", "@SUM(1)") for i in range(3)]
    ),
    "external_link.xlsx": xlsx(
        [("序号", "问题"), ("='http://evil.example/[x.xlsx]Sheet1'!A1", "='\\\\evil\\share\\[y.xlsx]S'!B2")]
    ),
    "invalid_utf8.csv": b"\xff\xfe\xc3\x28name,\xe4\xb8value\n\x80\x81,\xfe\n",
    "formulas.csv": '序号,问题\n=HYPERLINK("http://evil.example"),=1+1\n+cmd,-2\n@SUM(1),"\t=1"\n'.encode(),
    "good.pdf": MINI_PDF,
}
for name, data in files.items():
    (OUT / name).write_bytes(data)
cases = [{"case": Path(n).stem, "file": n, "upload_as": n} for n in files]
cases += [
    {"case": "traversal_name", "file": "good.pdf", "upload_as": "../../../../etc/cron.d/x.pdf"},
    {"case": "windows_traversal_name", "file": "good.pdf", "upload_as": "..\\..\\boot.ini.pdf"},
    {"case": "rtl_name", "file": "exe_as.pdf", "upload_as": "invoice\u202efdp.exe"},
    {"case": "long_name", "file": "good.pdf", "upload_as": "长" * 300 + ".pdf"},
    {"case": "html_name", "file": "good.pdf", "upload_as": "<img src=x onerror=alert(1)>.pdf"},
    {"case": "no_extension", "file": "good.pdf", "upload_as": "README"},
]
(Path(__file__).parent / "files.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n")
print(len(cases), "file cases")
