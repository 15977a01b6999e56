"""Ballot codes and online voting (网上评议), closing a round with the committee's key.

Anonymity (docs/anonymity.md): `ballot_cast` spends the code and stores the ballot sealed with the
round's public key in one transaction; whoever reads that transaction (tables, write-ahead log) sees a
spent code beside a box only the committee's key opens. Nothing is audited or logged per ballot and no
time is kept. `evaluation_close` opens the boxes with the key the committee brings, rewrites them in
random order under new random keys, deletes boxes and codes (keeping counts) and forgets the key.
"""

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.exceptions import Conflict, ServiceError

from .. import sealing, storage
from ..models import (
    Ballot,
    BallotAnswer,
    BallotToken,
    CodeBatch,
    Evaluation,
    EvaluationTarget,
    EvaluatorGroup,
    FreeText,
    Grade,
    SealedBallot,
)

_shuffle = secrets.SystemRandom().shuffle

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


_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() and the underscore


def code_normalize(code: str) -> str:
    return _NOT_ALNUM.sub("", (code or "").upper())


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
    *, actor, evaluation: Evaluation, group: EvaluatorGroup, count: int, base_url: str = ""
) -> tuple[CodeBatch, list[str]]:
    """Issue `count` one-time codes for `group`: stores only their hashes.

    Returns the batch and the plain codes, which exist nowhere else: the caller hands them out at
    once (the view turns them into the printable PDF sheet or Excel list in its response, never
    stored). A lost download is replaced by issuing new codes.
    """
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
    audit_record(
        actor=actor,
        action="evaluation.codes_issue",
        obj=evaluation,
        unit=evaluation.unit,
        changes={"group": group.name, "codes": count},
    )
    return batch, codes


def code_slips(base_url: str, codes: list[str]) -> list[dict]:
    return [{"code": c, "link": ballot_link(base_url, c)} for c in codes]


# Open rounds' evaluation and groups, read once per process (like `round_shape`): a ballot reads only the
# token and, fresh, what can change while a round is open (its status, dates and key fingerprint), so a
# closed, voided or reopened round is never served from what is kept. Kept per (round, key fingerprint):
# each opening makes a new key, and the setup services change a round only while it is a draft.
_open_rounds: dict[tuple[int, str], tuple[Evaluation, dict[int, EvaluatorGroup]]] = {}
_ROUNDS_KEPT = 200


def _fresh_copy(obj):
    """A copy of a kept model instance for one request (its own state and cache of related objects)."""
    from django.db.models.base import ModelState

    copy = obj.__class__.__new__(obj.__class__)
    copy.__dict__.update(obj.__dict__)
    copy._state = ModelState()
    copy._state.adding, copy._state.db = False, obj._state.db
    return copy


def _open_round(evaluation_id: int, fingerprint: str, group_id: int) -> tuple[Evaluation, EvaluatorGroup]:
    key = (evaluation_id, fingerprint)
    kept = _open_rounds.get(key) if fingerprint else None
    if kept is None or group_id not in kept[1]:
        ev = Evaluation.objects.get(pk=evaluation_id)
        kept = (ev, {g.pk: g for g in EvaluatorGroup.objects.filter(evaluation_id=evaluation_id)})
        if fingerprint and ev.key_fingerprint == fingerprint:
            if len(_open_rounds) >= _ROUNDS_KEPT:
                _open_rounds.clear()
            _open_rounds[key] = kept
    return _fresh_copy(kept[0]), _fresh_copy(kept[1][group_id])


_TOKEN_COLUMNS = (
    "pk",
    "evaluation_id",
    "group_id",
    "batch_id",
    "used_on",
    "evaluation__status",
    "evaluation__opens_on",
    "evaluation__closes_on",
    "evaluation__key_fingerprint",
)
_token_sql: dict[str, str] = {}  # the token look-up's SQL, made by the ORM once per database vendor


def _token_row(hashed: str) -> tuple | None:
    """The token with this code hash and its round's status, dates and key fingerprint, or None. The SQL
    is the ORM's own, compiled once (compiling it took ten times as long as running it)."""
    from django.db import connection

    sql = _token_sql.get(connection.vendor)
    if sql is None:
        qs = BallotToken.objects.filter(code_hash=hashed).values_list(*_TOKEN_COLUMNS)
        sql = _token_sql[connection.vendor] = qs.query.sql_with_params()[0]
    with connection.cursor() as cur:
        cur.execute(sql, [hashed])
        row = cur.fetchone()
    if row is None:
        return None
    return tuple(date.fromisoformat(v) if isinstance(v, str) and i in (4, 6, 7) else v for i, v in enumerate(row))


def token_for_code(code: str, today: date | None = None) -> BallotToken:
    """The usable token for `code`, or CodeRefused saying why not (unknown, used, expired, not open).
    Its round's status, dates and key fingerprint are read with the token; the rest of the round and
    its group come from `_open_rounds`."""
    today = today or timezone.localdate()
    if len(code_normalize(code)) != CODE_LENGTH:
        raise CodeRefused(
            _("This ballot code is not valid, or its evaluation has ended. Check it and try again."), "unknown"
        )
    hashed = code_hash(code)
    row = _token_row(hashed)
    if row is None:
        raise CodeRefused(
            _("This ballot code is not valid, or its evaluation has ended. Check it and try again."), "unknown"
        )
    pk, evaluation_id, group_id, batch_id, used_on, status, opens_on, closes_on, fingerprint = row
    if used_on is not None:
        raise CodeRefused(_("This ballot code has already been used. Each code gives one ballot."), "used")
    if status in (Evaluation.Status.CLOSED, Evaluation.Status.TALLIED, Evaluation.Status.VOID) or (
        closes_on and closes_on < today
    ):
        raise CodeRefused(_("This evaluation has ended; the code can no longer be used."), "expired")
    if status != Evaluation.Status.OPEN or (opens_on and opens_on > today):
        raise CodeRefused(_("This evaluation is not open for voting yet."), "not_open")
    ev, group = _open_round(evaluation_id, fingerprint, group_id)
    ev.status, ev.opens_on, ev.closes_on, ev.key_fingerprint = status, opens_on, closes_on, fingerprint
    token = BallotToken(pk=pk, evaluation=ev, group=group, batch_id=batch_id, code_hash=hashed, used_on=used_on)
    token._state.adding = False
    return token


@dataclass(frozen=True)
class RoundShape:
    """What every ballot of a round asks: the questions in display order, the grades, the groups."""

    questions: list[tuple[EvaluationTarget, list]]
    grades: list[Grade]
    grade_ids: frozenset[int]
    group_names: list[str]
    text_fields: tuple[str, ...] = ()
    cap_grade: Grade | None = None
    cap_percent: int | None = None


# Open rounds' shapes, read once per process. The setup services change targets, items, grades and
# groups only while a round is being prepared (setup._require_draft), and each opening makes a new key,
# so (round, key fingerprint) names one unchanging shape: a ballot then costs no reads of it.
_shapes: dict[tuple[int, str], RoundShape] = {}
_SHAPES_KEPT = 200


def round_shape(evaluation: Evaluation) -> RoundShape:
    """The round's questions, grades and group names (kept in memory while the round is open)."""
    key = (evaluation.pk, evaluation.key_fingerprint)
    open_ = evaluation.status == Evaluation.Status.OPEN and evaluation.key_fingerprint
    if open_ and (shape := _shapes.get(key)) is not None:
        return shape
    items = list(evaluation.items.all())
    targets = evaluation.targets.select_related("unit", "person")
    grades = list(Grade.objects.filter(evaluation=evaluation))
    shape = RoundShape(
        questions=[(t, [i for i in items if i.applies(t.kind)]) for t in targets],
        grades=grades,
        grade_ids=frozenset(g.pk for g in grades),
        group_names=list(evaluation.groups.values_list("name", flat=True)),
        text_fields=tuple(evaluation.free_text_fields()),
        cap_grade=next((g for g in grades if g.pk == evaluation.cap_grade_id), None),
        cap_percent=evaluation.cap_percent,
    )
    if open_:
        if len(_shapes) >= _SHAPES_KEPT:
            _shapes.clear()
        _shapes[key] = shape
    return shape


def ballot_questions(evaluation: Evaluation) -> list[tuple[EvaluationTarget, list]]:
    """[(target, [items that apply to it])] in display order."""
    return round_shape(evaluation).questions


def cap_refusals(shape: RoundShape, rows: list[tuple[int, int, int]]) -> list[str]:
    """Why the answers break the round's cap on a grade (e.g. at most 30% 优秀 per question): for each
    item, the targets given the capped grade must be at most cap % of the targets rated on it
    (exact: n × 100 ≤ % × rated)."""
    if shape.cap_grade is None or shape.cap_percent is None:
        return []
    rated, capped, items = {}, {}, {}
    for _target, its in shape.questions:
        for i in its:
            items[i.pk] = i
    for _t, i, g in rows:
        rated[i] = rated.get(i, 0) + 1
        capped[i] = capped.get(i, 0) + (g == shape.cap_grade.pk)
    out = []
    for i, n in capped.items():
        if n * 100 > shape.cap_percent * rated[i]:
            out.append(
                _(
                    "“%(grade)s” may be given to at most %(pct)s%% of the targets on “%(item)s” (at most %(allowed)s "
                    "of %(rated)s); you gave it %(n)s times. Change some of them and submit again."
                )
                % {
                    "grade": shape.cap_grade.label,
                    "pct": shape.cap_percent,
                    "item": items[i].text,
                    "allowed": shape.cap_percent * rated[i] // 100,
                    "rated": rated[i],
                    "n": n,
                }
            )
    return out


@dataclass(frozen=True)
class Found:
    """What the ballot page knew of a code when it was found (its signed note, public_views._admission)."""

    evaluation_id: int
    group_id: int
    fingerprint: str


def _token_found(code: str, found: Found) -> BallotToken | None:
    """The token as the ballot page found it, without reading it again: its round and group from what is
    kept of open rounds (None if the round's key is no longer the one noted). Whether the code is still
    unused and the round still open is checked by the statement that spends it."""
    try:
        ev, group = _open_round(found.evaluation_id, found.fingerprint, found.group_id)
    except (Evaluation.DoesNotExist, KeyError):
        return None
    if not found.fingerprint or ev.key_fingerprint != found.fingerprint or group.evaluation_id != ev.pk:
        return None
    token = BallotToken(evaluation=ev, group=group, code_hash=code_hash(code))
    token._state.adding = False
    return token


def ballot_cast(
    *,
    code: str,
    answers: dict[tuple[int, int], int],
    texts: dict[tuple[int, str], str] | None = None,
    found: Found | None = None,
) -> None:
    """Cast one ballot with `code`. `answers` maps (target id, item id) to a grade id; every
    question must be answered (the scale may offer 不了解). `texts` maps (target id, free-text field) to
    what the voter wrote (optional, at most FreeText.MAX_LENGTH characters each). A ballot that breaks
    the round's cap on a grade is refused and nothing is stored (the code stays usable).

    One transaction: the conditional update spends the code (0 rows: someone used it first →
    CodeRefused "used") and the sealed ballot is stored. Nothing returned, audited or logged.

    `found`: what the ballot page noted when it found the code; the code is then not read again, and the
    update spends it only if its round is still open with the same key and within its dates. When it spends
    nothing, the code is read again to say why (or, if it is still usable, the ballot is cast afresh).
    """
    token = _token_found(code, found) if found else None
    if token is None:
        found = None
        token = token_for_code(code)
    ev = token.evaluation
    shape = round_shape(ev)
    grades = shape.grade_ids
    rows = []
    for target, items in shape.questions:
        for item in items:
            grade_id = answers.get((target.pk, item.pk))
            if grade_id not in grades:
                raise ServiceError(_("Please answer every question before submitting."))
            rows.append((target.pk, item.pk, grade_id))
    refused = cap_refusals(shape, rows)
    if refused:
        raise ServiceError(refused[0], details=refused[1:])
    packed_texts = None
    if shape.text_fields:
        texts = texts or {}
        packed_texts = []
        for target, _items in shape.questions:
            for f in shape.text_fields:
                text = " ".join((texts.get((target.pk, f)) or "").split())
                if len(text) > FreeText.MAX_LENGTH:
                    raise ServiceError(
                        _("Each comment may have at most %(n)s characters.") % {"n": FreeText.MAX_LENGTH}
                    )
                packed_texts.append((target.pk, FreeText.Field.values.index(f), text))
    if not ev.public_key:
        raise CodeRefused(_("This evaluation is not open for voting yet."), "not_open")
    box = sealing.seal(bytes(ev.public_key), sealing.ballot_pack(token.group_id, rows, packed_texts))
    if _spend_and_store(token.code_hash, ev.pk, box, found=found):
        return
    if found:  # the page's note no longer holds: read the code again (raises why it cannot be used)
        token_for_code(code)
        return ballot_cast(code=code, answers=answers, texts=texts)
    raise CodeRefused(_("This ballot code has already been used. Each code gives one ballot."), "used")


def _spend_and_store(hashed: str, evaluation_id: int, box: bytes, *, found: Found | None = None) -> bool:
    """Spend the code (if still unused) and store the sealed box, in one transaction; False when nothing was
    spent: the code was spent already (by a concurrent submission: nothing is stored), or, with `found`, it
    is no longer what the ballot page noted (another round or group, the round no longer open with that key
    or outside its dates).

    The same two writes as `BallotToken.objects.filter(code_hash=..., used_on__isnull=True).update(...)`
    and `SealedBallot.objects.create(...)`, in SQL made once per process: compiling the two ORM queries
    cost more CPU than everything else in a submission. On PostgreSQL the two are one statement (the
    insert reads the row the update returns), a transaction of its own: one round trip instead of four
    (BEGIN, UPDATE, INSERT, COMMIT). Concurrent submissions of one code queue on the token's row lock and
    the later ones find it spent (`used_on IS NULL` is checked again on the new row version): 0 rows, no box."""
    from django.db import connection

    today = connection.ops.adapt_datefield_value(timezone.localdate())
    box_id = SealedBallot._meta.pk.get_db_prep_value(uuid.uuid4(), connection)
    spend = [today, hashed]
    if found:
        spend += [found.evaluation_id, found.group_id, found.evaluation_id, found.fingerprint, today, today]
    checked = "_found" if found else ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(_spend_sql("store" + checked), [*spend, box_id, box])
            return cur.rowcount == 1
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_spend_sql("spend" + checked), spend)
        if cur.rowcount != 1:
            return False
        cur.execute(_spend_sql("insert"), [box_id, evaluation_id, box])
    return True


_spend_sqls: dict[str, str] = {}


def _spend_sql(which: str) -> str:
    """spend: the conditional update of the token; insert: the sealed box; store (PostgreSQL): both in one
    statement, the box's round taken from the spent token. The "_found" forms also check what the ballot
    page noted: the token's round and group, the round open with the noted key, today within its dates."""
    if not _spend_sqls:
        from django.db import connection

        q = connection.ops.quote_name
        tokens, boxes = q(BallotToken._meta.db_table), q(SealedBallot._meta.db_table)
        rounds = q(Evaluation._meta.db_table)
        spend = f"UPDATE {tokens} SET used_on = %s WHERE code_hash = %s AND used_on IS NULL"  # nosec B608 (the model's table)
        spend_found = (
            f"{spend} AND evaluation_id = %s AND group_id = %s AND EXISTS (SELECT 1 FROM {rounds} e "  # nosec B608 (the model's tables)
            f"WHERE e.id = %s AND e.status = '{Evaluation.Status.OPEN.value}' AND e.key_fingerprint = %s "
            "AND (e.opens_on IS NULL OR e.opens_on <= %s) AND (e.closes_on IS NULL OR e.closes_on >= %s))"
        )
        store = "WITH spent AS ({} RETURNING evaluation_id) INSERT INTO {} (id, evaluation_id, box) SELECT %s, evaluation_id, %s FROM spent"
        _spend_sqls.update(
            spend=spend,
            spend_found=spend_found,
            insert=f"INSERT INTO {boxes} (id, evaluation_id, box) VALUES (%s, %s, %s)",  # nosec B608 (the model's table)
            store=store.format(spend, boxes),
            store_found=store.format(spend_found, boxes),
        )
    return _spend_sqls[which]


def _opened_ballots(evaluation: Evaluation, private_key: bytes | None) -> list[tuple[int, list, list]]:
    """Every online ballot of the round as (group id, [(target, item, grade)], [(target, field, text)]),
    in random order:
    the sealed ones opened with the key, and any stored in plain before sealing existed."""
    boxes = [bytes(b) for b in SealedBallot.objects.filter(evaluation=evaluation).values_list("box", flat=True)]
    _shuffle(boxes)
    targets = set(evaluation.targets.values_list("pk", flat=True))
    items = set(evaluation.items.values_list("pk", flat=True))
    grades = set(evaluation.grades.values_list("pk", flat=True))
    groups = set(evaluation.groups.values_list("pk", flat=True))
    ballots = []
    for box in boxes:
        group_id, answers, texts = sealing.ballot_unpack_texts(sealing.unseal(private_key, box))
        if (
            group_id not in groups
            or any(t not in targets or i not in items or g not in grades for t, i, g in answers)
            or any(t not in targets or not 0 <= f < len(FreeText.Field.values) for t, f, _x in texts)
        ):
            raise ServiceError(_("A sealed ballot does not belong to this round."))
        ballots.append((group_id, answers, texts))
    legacy = {}
    for b_id, group_id, t, i, g in BallotAnswer.objects.filter(ballot__evaluation=evaluation).values_list(
        "ballot_id", "ballot__group_id", "target_id", "item_id", "grade_id"
    ):
        legacy.setdefault(b_id, (group_id, []))[1].append((t, i, g))
    legacy_empty = (
        Ballot.objects.filter(evaluation=evaluation).exclude(pk__in=legacy).values_list("group_id", flat=True)
    )
    ballots += [(g, a, []) for g, a in legacy.values()] + [(g, [], []) for g in legacy_empty]
    _shuffle(ballots)
    return ballots


def ballots_rewrite(evaluation: Evaluation, ballots: list[tuple[int, list, list]]) -> None:
    """Replace the round's online ballots by `ballots`, written in random order under new random keys
    (one statement per table: on PostgreSQL they share one transaction id, and their physical order is
    the shuffled one). The free texts go to their own table with no link to the ballot: each text
    keeps only the target, the voter's group and the field, shuffled on its own (so neither the order
    of the rows nor their keys pair a text with a ballot, nor with the other texts of the ballot)."""
    BallotAnswer.objects.filter(ballot__evaluation=evaluation).delete()
    Ballot.objects.filter(evaluation=evaluation).delete()
    rows, answer_rows, text_rows = [], [], []
    fields = FreeText.Field.values
    for group_id, answers, texts in ballots:
        text_rows += [
            FreeText(id=uuid.uuid4(), evaluation=evaluation, target_id=t, group_id=group_id, field=fields[f], text=x)
            for t, f, x in texts
            if x
        ]
        b = Ballot(id=uuid.uuid4(), evaluation=evaluation, group_id=group_id)
        rows.append(b)
        answer_rows += [
            BallotAnswer(id=uuid.uuid4(), ballot=b, target_id=t, item_id=i, grade_id=g) for t, i, g in answers
        ]
    _shuffle(rows)
    _shuffle(answer_rows)
    _shuffle(text_rows)
    Ballot.objects.bulk_create(rows)
    BallotAnswer.objects.bulk_create(answer_rows)
    FreeText.objects.bulk_create(text_rows)


def codes_reduce(evaluation: Evaluation) -> None:
    """Keep of the round's codes only how many were issued and used per group; delete the codes."""
    per_group = evaluation.groups.annotate(
        n_codes=Count("tokens", distinct=True),
        n_used=Count("tokens", filter=Q(tokens__used_on__isnull=False), distinct=True),
    )
    for g in per_group:
        EvaluatorGroup.objects.filter(pk=g.pk).update(
            codes_issued=(g.codes_issued or 0) + g.n_codes, codes_used=(g.codes_used or 0) + g.n_used
        )
    BallotToken.objects.filter(evaluation=evaluation).delete()


def key_needed(evaluation: Evaluation) -> bool:
    """Whether closing needs the committee's key (there are sealed ballots to open)."""
    return SealedBallot.objects.filter(evaluation=evaluation).exists()


def evaluation_close(*, actor, evaluation: Evaluation, key: str = "") -> Evaluation:
    """Stop voting (open → closed) with the committee's key (`key`: the whole key, or two of the three
    shares, one per line). The sealed ballots are opened in random order and rewritten, the sealed
    ones and the codes are deleted (counts kept per group), the key is dropped with this call and
    SQLite's write-ahead log is truncated afterwards. A wrong key changes nothing."""
    with transaction.atomic():
        ev = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if ev.status != Evaluation.Status.OPEN:
            raise Conflict(_("Only an open round can be closed."))
        private = None
        if key_needed(ev):
            if not ev.public_key:
                raise ServiceError(_("The round has sealed ballots but no key."))
            private = sealing.private_key_from_text(key, bytes(ev.public_key))
        ballots = _opened_ballots(ev, private)
        del private
        storage.secure_delete(True)
        try:
            ballots_rewrite(ev, ballots)
            SealedBallot.objects.filter(evaluation=ev).delete()
            codes_reduce(ev)
        finally:
            storage.secure_delete(False)
        Evaluation.objects.filter(pk=ev.pk).update(
            status=Evaluation.Status.CLOSED, closes_on=timezone.localdate(), public_key=None
        )
        evaluation.refresh_from_db()
        audit_record(
            actor=actor,
            action="evaluation.close",
            obj=evaluation,
            unit=evaluation.unit,
            changes={
                "status": [Evaluation.Status.OPEN, Evaluation.Status.CLOSED],
                "ballots": len(ballots),
                "codes_used": sum(g.codes_used or 0 for g in evaluation.groups.all()),
                "codes_issued": sum(g.codes_issued or 0 for g in evaluation.groups.all()),
            },
        )
    storage.wal_truncate()
    return evaluation
