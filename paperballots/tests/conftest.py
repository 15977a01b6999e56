"""Fixtures of the paper-ballot tests.

`paper_round`: an open round of the college (satisfaction scale: 满意 / 基本满意 / 不满意) assessing the
work of dept_a and dept_b on the three unit items, one voter group (群众) with one online code and no paper issued yet.
`office` (the campaign office) enters; `office2`, a second member of the campaign office, checks.
`scanset`: the generated image test set (built once per session: it takes some seconds)."""

import io

import numpy as np
import pytest

from evaluations.models import EvaluationTarget, ScalePreset


@pytest.fixture
def office(cast):
    return cast.user("office")


@pytest.fixture
def office2(cast):
    from conftest import PASSWORD
    from orgs.models import RoleAssignment
    from orgs.services import login_issue, person_create, role_assign

    p = person_create(actor=None, name="治庸办何敏", staff_no="T900", unit=cast.college, email="office2@example.cn")
    login_issue(actor=None, person=p, password=PASSWORD, must_change=False)
    role_assign(actor=None, person=p, role=RoleAssignment.Role.CAMPAIGN_OFFICE, unit=cast.college)
    return p.user


@pytest.fixture
def paper_round(cast, campaign, office):
    from evaluations.services import codes_issue, evaluation_create, evaluation_open, target_add

    ev = evaluation_create(
        actor=office,
        campaign=campaign,
        name="2026年度部门民主评议",
        scale_preset=ScalePreset.SATISFACTION,
        groups=[{"name": "群众", "planned": 20, "minimum": 0, "weight": 1}],
    )
    target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.dept_a)
    target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.dept_b)
    codes_issue(actor=office, evaluation=ev, group=ev.groups.get(), count=1)  # a round opens with a ballot issued
    ev, _key = evaluation_open(actor=office, evaluation=ev)
    return ev, ev.groups.get()


def pdf_of(jpegs: list[bytes]) -> bytes:
    """A multi-page PDF of JPEG pages, as an office scanner makes."""
    from PIL import Image

    images = [Image.open(io.BytesIO(j)) for j in jpegs]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=200)
    return buf.getvalue()


def stain_qr(img: np.ndarray, dpi: int) -> np.ndarray:
    """A coffee stain over the sheet's QR code: the page is still ours, its QR code can no longer be read."""
    import cv2

    from paperballots import layout as L

    pxmm = dpi / 25.4
    x, y, s = L.QR_BOX
    centre = (int((x + s / 2) * pxmm), int((y + s / 2) * pxmm))
    out = img.copy()
    cv2.ellipse(out, centre, (int(s * 0.55 * pxmm), int(s * 0.5 * pxmm)), 20, 0, 360, 135, -1)
    return out


def fill_sheets(pdf: bytes, layout, answers_per_sheet, *, dpi=200, seed=0, photo=False, styles=None, stained=()):
    """Fill the printed sheets (`pdf`, one page per sheet) with `answers_per_sheet`: per sheet, per
    question, a grade index or None (no mark). Returns the scanned JPEG of each sheet; the sheets whose
    index is in `stained` have a stain over their QR code."""
    from paperballots import reader, simulate

    rng = np.random.default_rng(seed)
    pages = list(reader.images_from_upload(pdf, dpi=dpi))
    out = []
    for k, answers in enumerate(answers_per_sheet):
        intents = [
            simulate.Intent("blank")
            if g is None
            else simulate.Intent("answer", g, {g}, [(g, (styles or {}).get((k, q), "tick"))])
            for q, g in enumerate(answers)
        ]
        img, _touched = simulate.fill_page(pages[k], layout, 0, intents, dpi, rng, stray=False)
        if k in stained:
            img = stain_qr(img, dpi)
        out.append(simulate.scan(img, rng, photo=photo))
    return out


@pytest.fixture
def long_round(cast, campaign, office):
    """An open round whose sheet runs over two pages: dept_a and dept_b on fourteen items each."""
    from evaluations.services import codes_issue, evaluation_create, evaluation_open, target_add

    ev = evaluation_create(
        actor=office,
        campaign=campaign,
        name="2026年度部门工作全面测评",
        scale_preset=ScalePreset.SATISFACTION,
        items=[f"第{k}项工作的成效" for k in range(1, 15)],
        groups=[{"name": "群众", "planned": 20, "minimum": 0, "weight": 1}],
    )
    target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.dept_a)
    target_add(actor=office, evaluation=ev, kind=EvaluationTarget.Kind.UNIT_WORK, unit=cast.dept_b)
    codes_issue(actor=office, evaluation=ev, group=ev.groups.get(), count=1)
    ev, _key = evaluation_open(actor=office, evaluation=ev)
    return ev, ev.groups.get()


def fill_long_sheets(pdf: bytes, layout, answers_per_sheet, *, dpi=200, seed=0, stained=()):
    """Fill sheets of several pages: per sheet, per question in ballot order, a grade index or None.
    Returns, per sheet, the scanned JPEG of each of its pages; the pages (sheet index, page index) in
    `stained` have a stain over their QR code."""
    from paperballots import simulate

    rng = np.random.default_rng(seed)
    per_sheet = len(layout.pages)
    out = []
    for k, answers in enumerate(answers_per_sheet):
        pages, at = [], 0
        for p in range(per_sheet):
            n = len(layout.questions(p))
            intents = [
                simulate.Intent("blank") if g is None else simulate.Intent("answer", g, {g}, [(g, "tick")])
                for g in answers[at : at + n]
            ]
            at += n
            img, _ = simulate.fill_page(
                simulate.rasterise(pdf, k * per_sheet + p, dpi), layout, p, intents, dpi, rng, stray=False, ink=30
            )
            if (k, p) in stained:
                img = stain_qr(img, dpi)
            pages.append(simulate.scan(img, rng))
        out.append(pages)
    return out
