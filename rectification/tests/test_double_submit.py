"""A progress report or an evidence upload sent twice (a double click, a reload) is stored once."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rectification.models import Evidence, ProgressReport

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _tokens(client, measure):
    page = client.get(f"/rectification/measures/{measure.pk}/").content.decode()
    return re.findall(r'name="form_token" value="([^"]+)"', page)


def test_it_stores_a_progress_report_sent_twice_once(cast, measure_a, client_for):
    client = client_for(cast.user("cadre_a"))
    tokens = _tokens(client, measure_a)
    assert len(tokens) >= 2 and len(set(tokens)) == len(tokens)  # each form its own
    url = reverse("rectification:measure_progress", args=[measure_a.pk])
    data = {"content": "完成值班表调整", "percent": 40, "form_token": tokens[0]}
    for _ in range(2):
        client.post(url, {**data, "files": [SimpleUploadedFile("a.png", PNG)]})
    assert ProgressReport.objects.filter(measure=measure_a).count() == 1
    assert Evidence.objects.filter(measure=measure_a).count() == 1
    client.post(url, {**data, "form_token": _tokens(client, measure_a)[0]})  # a new form: a new report
    assert ProgressReport.objects.filter(measure=measure_a).count() == 2


def test_it_lets_a_refused_upload_be_sent_again_with_the_same_form(cast, measure_a, client_for):
    client = client_for(cast.user("cadre_a"))
    token = _tokens(client, measure_a)[-1]
    url = reverse("rectification:evidence_upload", args=[measure_a.pk])
    client.post(url, {"files": [SimpleUploadedFile("x.png", b"<html></html>")], "form_token": token})
    assert not Evidence.objects.exists()
    for _ in range(2):
        client.post(url, {"files": [SimpleUploadedFile("ok.png", PNG)], "form_token": token})
    assert Evidence.objects.filter(measure=measure_a).count() == 1
