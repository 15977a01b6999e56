"""Recording a problem with its evidence is whole or nothing: a refused file refuses the form before the
problem is stored, and the same form sent twice records one problem."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import uploads
from problems.models import Problem, ProblemEvidence

from .test_services import PNG


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "not a Word document")
    return buf.getvalue()


HOSTILE = {
    "html renamed .png": ("photo.png", b"<html><script>alert(1)</script></html>"),
    "svg": ("chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
    "zip renamed .docx": ("report.docx", _zip()),
    "empty": ("empty.png", b""),
}


def _data(**extra):
    return {
        "channel": "fix_as_found",
        "unit": extra.pop("unit"),
        "subject_kind": "unit",
        "description": "办事窗口午间无人值守",
        "severity": "medium",
        "fixed_note": "已安排午间轮流值班",
        **extra,
    }


@pytest.mark.parametrize("case", list(HOSTILE))
def test_it_refuses_a_bad_evidence_file_before_storing_the_problem(cast, campaign, client_for, case):
    name, content = HOSTILE[case]
    client = client_for(cast.user("head_a"))
    files = [SimpleUploadedFile("ok.png", PNG), SimpleUploadedFile(name, content)]
    response = client.post("/problems/new/", _data(unit=cast.dept_a.pk, files=files))
    assert response.status_code == 200  # the form again, saying why
    assert name in response.content.decode() or case == "empty"  # (Django names no file it finds empty)
    assert not Problem.objects.exists() and not ProblemEvidence.objects.exists()


def test_it_refuses_a_file_that_is_too_large_before_storing_the_problem(cast, campaign, client_for, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(uploads.validate_upload, "__kwdefaults__", {"max_bytes": 1000})
    client = client_for(cast.user("head_a"))
    big = SimpleUploadedFile("scan.png", PNG + b"\0" * 2000)
    response = client.post("/problems/new/", _data(unit=cast.dept_a.pk, files=[big]))
    assert response.status_code == 200 and "scan.png" in response.content.decode()
    assert not Problem.objects.exists()


def test_it_records_one_problem_when_the_form_is_sent_twice(cast, campaign, client_for):
    client = client_for(cast.user("head_a"))
    page = client.get("/problems/new/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = _data(unit=cast.dept_a.pk, form_token=token)
    first = client.post("/problems/new/", {**data, "files": [SimpleUploadedFile("ok.png", PNG)]})
    second = client.post("/problems/new/", {**data, "files": [SimpleUploadedFile("ok.png", PNG)]})
    problem = Problem.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/problems/{problem.pk}/"
    assert ProblemEvidence.objects.count() == 1
    # a new form (new token) records a new problem
    fresh = re.search(r'name="form_token" value="([^"]+)"', client.get("/problems/new/").content.decode()).group(1)
    assert fresh != token
    client.post("/problems/new/", {**data, "form_token": fresh})
    assert Problem.objects.count() == 2


def test_it_lets_a_corrected_form_through_with_the_same_token(cast, campaign, client_for):
    client = client_for(cast.user("head_a"))
    token = re.search(r'name="form_token" value="([^"]+)"', client.get("/problems/new/").content.decode()).group(1)
    data = _data(unit=cast.dept_a.pk, form_token=token)
    refused = client.post("/problems/new/", {**data, "files": [SimpleUploadedFile("x.png", b"<html></html>")]})
    assert refused.status_code == 200 and token in refused.content.decode()
    assert client.post("/problems/new/", data).status_code == 302
    assert Problem.objects.count() == 1
