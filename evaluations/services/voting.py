"""Ballot codes and online voting (网上评议), closing a round.

Anonymity: `ballot_cast` spends the code and stores the ballot in one transaction, but writes nothing
that pairs them: no audit record, no log line, no shared id; both keep a date, never a time.
"""

import hashlib
import secrets
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError

from ..models import Ballot, BallotAnswer, BallotToken, CodeBatch, Evaluation, EvaluationTarget, EvaluatorGroup, Grade

# No 0/O, 1/I/L: codes are read off paper and typed on phones. 16 of 31 symbols ≈ 79 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16
MAX_CODES_PER_BATCH = 2000


class CodeRefused(ServiceError):
    """The code cannot be used; `reason` is one of unknown, used, expired, not_open."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def code_new() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def code_normalize(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def code_hash(code: str) -> str:
    """The only form in which a code is stored."""
    return hashlib.sha256(code_normalize(code).encode()).hexdigest()


def public_base_url(request=None) -> str:
    base = getattr(settings, "EVALUATIONS_PUBLIC_BASE_URL", "")
    if not base and request is not None:
        base = f"{request.scheme}://{request.get_host()}"
    return (base or "http://127.0.0.1:8000").rstrip("/")


def ballot_link(base_url: str, code: str) -> str:
    """The code travels in the URL fragment, which browsers never send to the server: the address the
    server (and its access log) sees is only /v/; the page's script posts the code."""
    return f"{base_url}/v/#{code}"


@transaction.atomic
def codes_issue(
    *, actor, evaluation: Evaluation, group: EvaluatorGroup, count: int, base_url: str
) -> tuple[CodeBatch, list[str]]:
    """Issue `count` one-time codes for `group`: stores their hashes and builds the printable sheet (PDF,
    one QR slip per code with cut lines) and the list (Excel) for the office to download.

    Returns the batch and the plain codes (shown once; only hashes stay in the database).
    """
    from ..documents import code_list_xlsx, code_sheet_pdf

    evaluation.refresh_from_db(fields=["status"])
    if evaluation.status not in (Evaluation.Status.DRAFT, Evaluation.Status.OPEN):
        raise ServiceError(_("Codes can only be issued before or while the round is open."))
    if group.evaluation_id != evaluation.pk:
        raise ServiceError(_("The group does not belong to this round."))
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ServiceError(_("Issue between 1 and %(max)s codes at a time.") % {"max": MAX_CODES_PER_BATCH})
    today = timezone.localdate()
    batch = CodeBatch.objects.create(evaluation=evaluation, group=group, count=count, issued_on=today, issued_by=actor)
    codes = [code_new() for _ in range(count)]
    BallotToken.objects.bulk_create(
        [BallotToken(evaluation=evaluation, group=group, batch=batch, code_hash=code_hash(c)) for c in codes]
    )
    slips = [{"code": c, "link": ballot_link(base_url, c)} for c in codes]
    stem = f"round{evaluation.pk}-batch{batch.pk}"
    batch.sheet_pdf.save(f"{stem}.pdf", ContentFile(code_sheet_pdf(evaluation, group, slips)), save=False)
    batch.list_xlsx.save(f"{stem}.xlsx", ContentFile(code_list_xlsx(evaluation, group, slips)), save=False)
    batch.save(update_fields=["sheet_pdf", "list_xlsx"])
    audit_record(
        actor=actor,
        action="evaluation.codes_issue",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"group": group.name, "codes": count},
    )
    return batch, codes


@transaction.atomic
def codes_files_destroy(*, actor, batch: CodeBatch) -> None:
    """Delete a batch's printable files once printed (the codes stay usable: only hashes are kept)."""
    for f in (batch.sheet_pdf, batch.list_xlsx):
        if f:
            f.delete(save=False)
    batch.files_destroyed_on = timezone.localdate()
    batch.save(update_fields=["sheet_pdf", "list_xlsx", "files_destroyed_on"])
    audit_record(
        actor=actor,
        action="evaluation.codes_files_destroy",
        obj=batch.evaluation,
        unit=batch.evaluation.unit,
        changes={"group": batch.group.name, "codes": batch.count},
    )


def token_for_code(code: str, today: date | None = None) -> BallotToken:
    """The usable token for `code`, or CodeRefused saying why not (unknown, used, expired, not open)."""
    today = today or timezone.localdate()
    if len(code_normalize(code)) != CODE_LENGTH:
        raise CodeRefused(_("This ballot code is not valid. Check it and try again."), "unknown")
    token = BallotToken.objects.filter(code_hash=code_hash(code)).select_related("evaluation", "group").first()
    if token is None:
        raise CodeRefused(_("This ballot code is not valid. Check it and try again."), "unknown")
    if token.used_on is not None:
        raise CodeRefused(_("This ballot code has already been used. Each code gives one ballot."), "used")
    ev = token.evaluation
    if ev.status in (Evaluation.Status.CLOSED, Evaluation.Status.TALLIED, Evaluation.Status.VOID) or (
        ev.closes_on and ev.closes_on < today
    ):
        raise CodeRefused(_("This evaluation has ended; the code can no longer be used."), "expired")
    if ev.status != Evaluation.Status.OPEN or (ev.opens_on and ev.opens_on > today):
        raise CodeRefused(_("This evaluation is not open for voting yet."), "not_open")
    return token


def ballot_questions(evaluation: Evaluation) -> list[tuple[EvaluationTarget, list]]:
    """[(target, [items that apply to it])] in display order."""
    items = list(evaluation.items.all())
    targets = evaluation.targets.select_related("unit", "person")
    return [(t, [i for i in items if i.applies(t.kind)]) for t in targets]


def ballot_cast(*, code: str, answers: dict[tuple[int, int], int]) -> None:
    """Cast one ballot with `code`. `answers` maps (target id, item id) to a grade id; every
    question must be answered (the scale may offer 不了解).

    One transaction: the conditional update spends the code (0 rows: someone used it first →
    CodeRefused "used") and the ballot is stored. Nothing returned, nothing audited, nothing logged.
    """
    token = token_for_code(code)
    ev = token.evaluation
    grades = set(Grade.objects.filter(evaluation=ev).values_list("pk", flat=True))
    rows = []
    for target, items in ballot_questions(ev):
        for item in items:
            grade_id = answers.get((target.pk, item.pk))
            if grade_id not in grades:
                raise ServiceError(_("Please answer every question before submitting."))
            rows.append((target.pk, item.pk, grade_id))
    today = timezone.localdate()
    with transaction.atomic():
        spent = BallotToken.objects.filter(code_hash=token.code_hash, used_on__isnull=True).update(used_on=today)
        if spent != 1:
            raise CodeRefused(_("This ballot code has already been used. Each code gives one ballot."), "used")
        ballot = Ballot.objects.create(evaluation=ev, group_id=token.group_id, cast_on=today)
        BallotAnswer.objects.bulk_create(
            [BallotAnswer(ballot=ballot, target_id=t, item_id=i, grade_id=g) for t, i, g in rows]
        )


def rows_scrub(evaluation: Evaluation) -> None:
    """Rewrite the round's used tokens and ballots in one statement each, so database-internal
    row versions (PostgreSQL's xmin) no longer show which code was spent in the ballot's transaction
    or in which order ballots came in. Run at close and periodically while a round is open."""
    BallotToken.objects.filter(evaluation=evaluation, used_on__isnull=False).update(used_on=F("used_on"))
    Ballot.objects.filter(evaluation=evaluation).update(cast_on=F("cast_on"))


@transaction.atomic
def evaluation_close(*, actor, evaluation: Evaluation) -> Evaluation:
    """Stop voting (open → closed). Unused codes expire with it."""
    updated = Evaluation.objects.filter(pk=evaluation.pk, status=Evaluation.Status.OPEN).update(
        status=Evaluation.Status.CLOSED, closes_on=timezone.localdate()
    )
    if not updated:
        raise Conflict(_("Only an open round can be closed."))
    rows_scrub(evaluation)
    evaluation.refresh_from_db()
    audit_record(
        actor=actor,
        action="evaluation.close",
        obj=evaluation,
        unit=evaluation.unit,
        changes={
            "status": [Evaluation.Status.OPEN, Evaluation.Status.CLOSED],
            "ballots": evaluation.ballots.count(),
            "codes_used": evaluation.tokens.filter(used_on__isnull=False).count(),
            "codes_issued": evaluation.tokens.count(),
        },
    )
    return evaluation
