"""Writes for the problem ledger: problems, opinions and their triage, peer reviews, fix-at-once.

Every function is keyword-only, takes `actor=` first (except `opinion_submit`, which the public may
call), runs in one transaction and writes an audit record. Business refusals raise ServiceError.
Permission checks that depend on the request (who may open which page) are done by the views through
`problems.selectors`; the services check the rules that hold whoever calls them.
"""

import re
import uuid
from collections.abc import Iterable, Sequence

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from audit.services import audit_record
from campaigns.models import Campaign, CampaignUnit
from core.exceptions import Conflict, ServiceError
from core.uploads import validate_upload
from orgs.access import Perm, can

from . import dropbox, recusal, taxonomy
from .models import (
    Aspect,
    Channel,
    FocusArea,
    Manifestation,
    Opinion,
    OpinionRecusal,
    PeerReview,
    Problem,
    ProblemEvidence,
    Recusal,
    RecusalReason,
    SelfCheck,
)

OPINION_MIN_CHARS = 5
OPINION_MAX_CHARS = 2000
CONTACT_MAX_CHARS = 100
PROBLEM_MAX_CHARS = 4000
CAUSE_MAX_CHARS = 4000

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Plain text only: tags removed, control characters dropped, ends trimmed.

    Templates escape everything anyway; this keeps stored opinions free of markup that another
    program (an export, a mail client) might interpret.
    """
    return _CONTROL_CHARS.sub("", strip_tags(value or "")).strip()


def taxonomy_ensure() -> None:
    """Create the default manifestations, focus areas and aspects if they are missing.

    Migration 0002 seeds them; this is for databases flushed by transactional tests and for the demo.
    """
    for i, (name, group, gloss) in enumerate(taxonomy.MANIFESTATIONS, start=1):
        Manifestation.objects.get_or_create(name=name, defaults={"group": group, "gloss": gloss, "sort_order": i})
    for i, name in enumerate(taxonomy.FOCUS_AREAS, start=1):
        FocusArea.objects.get_or_create(name=name, defaults={"sort_order": i})
    for i, name in enumerate(taxonomy.ASPECTS, start=1):
        Aspect.objects.get_or_create(name=name, defaults={"sort_order": i})


def _check_unit_in_campaign(campaign: Campaign, unit) -> None:
    if unit.pk != campaign.institution_id and unit.institution_id != campaign.institution_id:
        raise ServiceError(
            _("%(unit)s does not belong to the institution of the campaign “%(campaign)s”.")
            % {"unit": unit, "campaign": campaign}
        )


def _check_campaign_open(campaign: Campaign) -> None:
    if campaign.status == Campaign.Status.CLOSED:
        raise ServiceError(_("The campaign “%(campaign)s” is closed.") % {"campaign": campaign})


def _round_for(campaign: Campaign, unit, lookback) -> int:
    if lookback is not None:
        return lookback.round
    participant = CampaignUnit.objects.filter(campaign=campaign, unit=unit).only("round").first()
    return participant.round if participant else 1


@transaction.atomic
def problem_create(
    *,
    actor,
    campaign: Campaign,
    unit,
    description: str,
    channel: str,
    subject_kind: str = "unit",
    subject_person=None,
    manifestations: Iterable[Manifestation] = (),
    focus_area: FocusArea | None = None,
    aspect: Aspect | None = None,
    severity: str = "medium",
    cause: str = "",
    benchmark: str = "",
    lookback=None,
) -> Problem:
    """Record a problem in the ledger (any channel). Callable by every app that finds problems.

    The unit must belong to the campaign's institution; a person subject needs the person; a
    comparison needs the benchmark it compares with.
    """
    _check_campaign_open(campaign)
    _check_unit_in_campaign(campaign, unit)
    description = clean_text(description)
    cause = clean_text(cause)
    benchmark = clean_text(benchmark)[:200]
    if not description:
        raise ServiceError(_("Describe the problem."))
    if len(description) > PROBLEM_MAX_CHARS or len(cause) > CAUSE_MAX_CHARS:
        raise ServiceError(_("The text is too long (at most %(n)s characters).") % {"n": PROBLEM_MAX_CHARS})
    if channel not in Channel.values:
        raise ServiceError(_("Unknown channel: %(channel)s") % {"channel": channel})
    if subject_kind not in Problem.SubjectKind.values:
        raise ServiceError(_("Unknown subject kind: %(kind)s") % {"kind": subject_kind})
    if severity not in Problem.Severity.values:
        raise ServiceError(_("Unknown severity: %(severity)s") % {"severity": severity})
    if subject_kind == Problem.SubjectKind.PERSON and subject_person is None:
        raise ServiceError(_("Name the person the problem concerns."))
    if subject_kind != Problem.SubjectKind.PERSON:
        subject_person = None
    if channel == Channel.COMPARISON and not benchmark:
        raise ServiceError(_("Name the benchmark (an advanced person or department, or a requirement)."))
    problem = Problem.objects.create(
        campaign=campaign,
        unit=unit,
        subject_kind=subject_kind,
        subject_person=subject_person,
        description=description,
        channel=channel,
        focus_area=focus_area,
        aspect=aspect,
        severity=severity,
        cause=cause,
        benchmark=benchmark,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        round=_round_for(campaign, unit, lookback),
        lookback=lookback,
    )
    manifestations = list(manifestations)
    if manifestations:
        problem.manifestations.set(manifestations)
    audit_record(
        actor=actor,
        action="problem.create",
        obj=problem,
        unit=unit,
        changes={
            "channel": channel,
            "subject_kind": subject_kind,
            "subject_person": subject_person.pk if subject_person else None,
            "manifestations": [m.pk for m in manifestations],
            "severity": severity,
        },
    )
    return problem


PROBLEM_BATCH = 500


@transaction.atomic
def problems_import(*, actor, campaign: Campaign, items: Sequence[dict], source: str, record: bool = True) -> list[int]:
    """Record the problems of an imported ledger in bulk: the same checks as `problem_create`, written
    in batches (bulk_create) inside the caller's transaction. Returns the new problems' ids in the
    order of `items`.

    Each item: unit, description, channel, severity, cause, benchmark, manifestation_ids (and the
    ledger's row, named when the item is refused: the ServiceError carries it as `row`). Where each
    problem came from (file, row, who imported) is kept by the caller (analysis.LedgerRow.problem).
    One audit record summarises the call; `record=False` leaves it to a caller that writes its own
    summary in the same transaction (the ledger import: one record for the whole file)."""
    _check_campaign_open(campaign)
    recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    rounds: dict[int, int] = {}
    rows: list[Problem] = []
    links: list[tuple[int, list[int]]] = []
    for i, it in enumerate(items):
        try:
            rows.append(_import_item(campaign, it, rounds, recorded_by))
        except ServiceError as e:
            e.row = it.get("row")  # the caller names the row of its file
            raise
        if it.get("manifestation_ids"):
            links.append((i, list(it["manifestation_ids"])))
    created = Problem.objects.bulk_create(rows, batch_size=PROBLEM_BATCH)
    through = Problem.manifestations.through
    through.objects.bulk_create(
        [through(problem_id=created[i].pk, manifestation_id=m) for i, ids in links for m in ids],
        batch_size=PROBLEM_BATCH,
    )
    ids = [p.pk for p in created]
    if record and ids:
        audit_record(
            actor=actor,
            action="problem.import",
            obj=campaign,
            unit=campaign.institution,
            changes={"source": source, "count": len(ids), "first": ids[0], "last": ids[-1]},
        )
    return ids


def _import_item(campaign: Campaign, it: dict, rounds: dict, recorded_by) -> Problem:
    """One imported problem, checked as `problem_create` checks it (not yet saved)."""
    unit = it["unit"]
    if unit.pk not in rounds:
        _check_unit_in_campaign(campaign, unit)
        rounds[unit.pk] = _round_for(campaign, unit, None)
    description = clean_text(it["description"])
    cause = clean_text(it.get("cause", ""))
    benchmark = clean_text(it.get("benchmark", ""))[:200]
    channel, severity = it.get("channel") or Channel.SELF_CHECK, it.get("severity") or "medium"
    if not description:
        raise ServiceError(_("Describe the problem."))
    if len(description) > PROBLEM_MAX_CHARS or len(cause) > CAUSE_MAX_CHARS:
        raise ServiceError(_("The text is too long (at most %(n)s characters).") % {"n": PROBLEM_MAX_CHARS})
    if channel not in Channel.values:
        raise ServiceError(_("Unknown channel: %(channel)s") % {"channel": channel})
    if severity not in Problem.Severity.values:
        raise ServiceError(_("Unknown severity: %(severity)s") % {"severity": severity})
    if channel == Channel.COMPARISON and not benchmark:
        raise ServiceError(_("Name the benchmark (an advanced person or department, or a requirement)."))
    return Problem(
        campaign=campaign,
        unit=unit,
        subject_kind=Problem.SubjectKind.UNIT,
        description=description,
        channel=channel,
        severity=severity,
        cause=cause,
        benchmark=benchmark,
        recorded_by=recorded_by,
        round=rounds[unit.pk],
    )


@transaction.atomic
def problem_update(*, actor, problem: Problem, **fields) -> Problem:
    """Edit the description, classification or cause of a problem that is still open."""
    allowed = {"description", "cause", "severity", "focus_area", "aspect", "benchmark", "manifestations"}
    unknown = set(fields) - allowed
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if problem.status not in (Problem.Status.OPEN, Problem.Status.RECTIFYING):
        raise ServiceError(_("Only a problem that is not yet resolved can be edited."))
    manifestations = fields.pop("manifestations", None)
    before = {k: getattr(problem, k) for k in fields}
    for key in ("description", "cause", "benchmark"):
        if key in fields:
            fields[key] = clean_text(fields[key])
    if "description" in fields and not fields["description"]:
        raise ServiceError(_("Describe the problem."))
    for k, v in fields.items():
        setattr(problem, k, v)
    if fields:
        problem.save(update_fields=list(fields))
    changes = {k: [str(before[k]), str(v)] for k, v in fields.items() if before[k] != v}
    if manifestations is not None:
        old = sorted(problem.manifestations.values_list("pk", flat=True))
        problem.manifestations.set(manifestations)
        changes["manifestations"] = [old, sorted(m.pk for m in manifestations)]
    audit_record(actor=actor, action="problem.update", obj=problem, unit=problem.unit, changes=changes)
    return problem


def _store_evidence(*, actor, problem: Problem, files: Sequence) -> list[ProblemEvidence]:
    checked = [(f, validate_upload(f)) for f in files]  # all checked before anything is stored
    stored = []
    for f, info in checked:
        ev = ProblemEvidence(
            problem=problem,
            original_name=(f.name or "file")[:200],
            sha256=info.sha256,
            size=info.size,
            uploaded_by=actor,
        )
        f.seek(0)
        ev.file.save(f"{uuid.uuid4().hex}.{info.extension}", ContentFile(f.read()), save=False)
        ev.save()
        stored.append(ev)
    return stored


@transaction.atomic
def problem_fix_at_once(*, actor, problem: Problem, note: str, files: Sequence = ()) -> Problem:
    """立行立改: mark an open problem fixed now, with a note on what was done and evidence files.

    Allowed in any stage of the campaign; the problem keeps counting in every statistic.
    """
    note = clean_text(note)
    if not note:
        raise ServiceError(_("Say what was done to fix the problem."))
    evidence = _store_evidence(actor=actor, problem=problem, files=files)
    now = timezone.now()
    updated = Problem.objects.filter(pk=problem.pk, status=Problem.Status.OPEN).update(
        status=Problem.Status.FIXED_AT_ONCE, fixed_note=note, fixed_at=now
    )
    if not updated:
        raise Conflict(_("Only a problem that is still open can be fixed at once."))
    audit_record(
        actor=actor,
        action="problem.fix_at_once",
        obj=problem,
        unit=problem.unit,
        changes={
            "status": [Problem.Status.OPEN, Problem.Status.FIXED_AT_ONCE],
            "evidence": [e.sha256 for e in evidence],
        },
    )
    problem.refresh_from_db()
    return problem


# ---------------------------------------------------------------- opinions


@transaction.atomic
def opinion_submit(
    *,
    campaign: Campaign,
    unit,
    content: str,
    source: str,
    submitter_kind: str = "masses",
    submitter=None,
    contact: str = "",
    concerns_person=None,
    about_problem=None,
) -> Opinion:
    """Receive an opinion (意见建议) from any source; returns it with its receipt code.

    Anyone may call this (the public form has no login). Anonymous and public opinions store no
    person; nothing here records an address. Rate limits are the view's job.
    """
    _check_campaign_open(campaign)
    if campaign.status != Campaign.Status.ACTIVE:
        raise ServiceError(_("The campaign is not accepting opinions."))
    _check_unit_in_campaign(campaign, unit)
    if source not in Opinion.Source.values:
        raise ServiceError(_("Unknown source: %(source)s") % {"source": source})
    if submitter_kind not in Opinion.SubmitterKind.values:
        raise ServiceError(_("Unknown kind of submitter: %(kind)s") % {"kind": submitter_kind})
    content = clean_text(content)
    contact = clean_text(contact)
    if len(content) < OPINION_MIN_CHARS:
        raise ServiceError(_("Please write at least %(n)s characters.") % {"n": OPINION_MIN_CHARS})
    if len(content) > OPINION_MAX_CHARS:
        raise ServiceError(
            _("The opinion is too long: %(len)s characters, at most %(n)s.")
            % {"len": len(content), "n": OPINION_MAX_CHARS}
        )
    if len(contact) > CONTACT_MAX_CHARS:
        raise ServiceError(_("The contact is too long (at most %(n)s characters).") % {"n": CONTACT_MAX_CHARS})
    if source != Opinion.Source.STAFF_SIGNED:
        submitter = None  # only signed staff opinions name their author
    if source == Opinion.Source.STAFF_ANONYMOUS:
        contact = ""
    anonymous = source in Opinion.ANONYMOUS_SOURCES
    named = recusal.named_in_text(campaign.institution, content)
    recused = list({p.pk: p for p in [*([concerns_person] if concerns_person else []), *named]}.values())
    route, handler = recusal.route_for(recused, unit)
    opinion = Opinion(
        campaign=campaign,
        unit=unit,
        content=content,
        source=source,
        submitter_kind=submitter_kind,
        submitter=submitter,
        contact=contact,
        concerns_person=concerns_person,
        about_problem=about_problem,
        received_on=timezone.localdate(),
        recusal_route=route,
        recusal_handler=handler,
        recusal_reason=(RecusalReason.CHOSEN if concerns_person else RecusalReason.NAMED) if recused else "",
        sealed=not anonymous,
    )
    # Anonymous input is not written by this request (see problems.dropbox), gets no audit record
    # of its own (its place in the chain would date it; anonymous_input_seal totals each day) and no
    # background task (the task table keeps the enqueue time to the microsecond).
    if anonymous and dropbox.put(_dropbox_item(opinion, recused)):
        opinion.waiting_in_dropbox = True
        return opinion
    _opinion_store(opinion, [p.pk for p in recused])
    if not anonymous:
        audit_record(
            actor=None,
            action="opinion.submit",
            obj=opinion,
            unit=unit,
            object_repr=_("Opinion %(code)s") % {"code": opinion.receipt_code},
            changes={"source": source, "submitter_kind": submitter_kind, "recusal": route},
        )
    return opinion


_OPINION_FIELDS = (
    "id campaign_id unit_id content source submitter_kind contact concerns_person_id about_problem_id "
    "receipt_code recusal_route recusal_reason recusal_handler_id"
).split()


def _dropbox_item(opinion: Opinion, recused) -> dict:
    item = {f: getattr(opinion, f) for f in _OPINION_FIELDS}
    return {
        "kind_of_item": "opinion",
        "day": opinion.received_on.isoformat(),
        "recused": [p.pk for p in recused],
        **item,
    }


def _opinion_store(opinion: Opinion, recused_ids: list[int]) -> None:
    opinion.save(force_insert=True)
    OpinionRecusal.objects.bulk_create([OpinionRecusal(opinion=opinion, person_id=pk) for pk in recused_ids])


@transaction.atomic
def opinion_enter(*, actor, campaign: Campaign, unit, content: str, source: str, **kwargs) -> Opinion:
    """The office enters an opinion gathered at a symposium or on paper (signed by the office's entry)."""
    if source not in (Opinion.Source.SYMPOSIUM, Opinion.Source.PAPER):
        raise ServiceError(_("The office enters symposium and paper opinions only."))
    opinion = opinion_submit(campaign=campaign, unit=unit, content=content, source=source, **kwargs)
    audit_record(actor=actor, action="opinion.enter", obj=opinion, unit=unit, changes={"source": source})
    return opinion


def _triage(*, actor, opinion: Opinion, status: str, note: str = "", duplicate_of=None) -> None:
    updated = Opinion.objects.filter(pk=opinion.pk, status=Opinion.Status.NEW).update(
        status=status,
        triage_note=note,
        duplicate_of=duplicate_of,
        triaged_by=actor,
        triaged_at=timezone.now(),
    )
    if not updated:
        raise Conflict(_("This opinion has already been triaged."))


@transaction.atomic
def opinion_accept(*, actor, opinion: Opinion, problems: Sequence[dict], note: str = "") -> list[Problem]:
    """Turn an opinion into one or more problems, each assigned to its subject.

    `problems` is a list of problem_create keyword dicts (unit, description, subject_kind, …);
    the channel defaults from the opinion's submitter.
    """
    if not problems:
        raise ServiceError(_("Describe at least one problem."))
    _triage(actor=actor, opinion=opinion, status=Opinion.Status.ACCEPTED, note=clean_text(note))
    default_channel = (
        Channel.SERVICE_USER_OPINION
        if opinion.submitter_kind in (Opinion.SubmitterKind.SERVICE_USER, Opinion.SubmitterKind.GRASSROOTS)
        else Channel.MASSES_OPINION
    )
    if opinion.source == Opinion.Source.PUBLIC_SUPERVISION:
        default_channel = Channel.PUBLIC_SUPERVISION
    created = []
    for spec in problems:
        spec = {"channel": default_channel, **spec}
        created.append(problem_create(actor=actor, campaign=opinion.campaign, **spec))
    opinion.problems.add(*created)
    audit_record(
        actor=actor,
        action="opinion.accept",
        obj=opinion,
        unit=opinion.unit,
        object_repr=_("Opinion %(code)s") % {"code": opinion.receipt_code},
        changes={"status": [Opinion.Status.NEW, Opinion.Status.ACCEPTED], "problems": [p.pk for p in created]},
    )
    opinion.refresh_from_db()
    return created


@transaction.atomic
def opinion_merge(*, actor, opinion: Opinion, duplicate_of: Opinion, note: str = "") -> Opinion:
    """Mark an opinion as a duplicate of an earlier one of the same campaign (it follows its fate)."""
    if duplicate_of.pk == opinion.pk or duplicate_of.campaign_id != opinion.campaign_id:
        raise ServiceError(_("An opinion can only be merged into another opinion of the same campaign."))
    if duplicate_of.status == Opinion.Status.MERGED:
        duplicate_of = duplicate_of.duplicate_of or duplicate_of
    _triage(
        actor=actor, opinion=opinion, status=Opinion.Status.MERGED, note=clean_text(note), duplicate_of=duplicate_of
    )
    audit_record(
        actor=actor,
        action="opinion.merge",
        obj=opinion,
        unit=opinion.unit,
        object_repr=_("Opinion %(code)s") % {"code": opinion.receipt_code},
        changes={"status": [Opinion.Status.NEW, Opinion.Status.MERGED], "duplicate_of": duplicate_of.pk},
    )
    opinion.refresh_from_db()
    return opinion


@transaction.atomic
def opinion_close(*, actor, opinion: Opinion, reason: str) -> Opinion:
    """Close an opinion without a problem; the reason is shown to whoever holds the receipt code."""
    reason = clean_text(reason)
    if not reason:
        raise ServiceError(_("Give the reason for closing the opinion."))
    _triage(actor=actor, opinion=opinion, status=Opinion.Status.CLOSED, note=reason)
    audit_record(
        actor=actor,
        action="opinion.close",
        obj=opinion,
        unit=opinion.unit,
        object_repr=_("Opinion %(code)s") % {"code": opinion.receipt_code},
        changes={"status": [Opinion.Status.NEW, Opinion.Status.CLOSED], "reason": reason},
    )
    opinion.refresh_from_db()
    return opinion


def _similarity(opinion: Opinion):
    from .similarity import compute

    return compute(opinion)


def _similarity_many(opinions: list[Opinion]) -> dict:
    """Hints for a day's opinions in one pass per campaign (problems.similarity.compute_many)."""
    from .similarity import compute_many

    return compute_many(opinions)


def opinion_similarity_store(*, opinion: Opinion) -> int:
    """Store the most similar earlier opinions/problems and a suggested manifestation (a hint for
    triage, never applied). Run when the day's input is sealed, or when a handler opens the opinion
    before that: never at the moment of submission. Returns how many similar items were found."""
    similar, suggested = _similarity(opinion)
    Opinion.objects.filter(pk=opinion.pk).update(similar=similar, suggested_manifestation=suggested)
    opinion.similar, opinion.suggested_manifestation = similar, suggested
    return len(similar)


def anonymous_input_flush(*, today=None, force: bool = False) -> int:
    """Write the drop box's anonymous input to the database, in random order, in one transaction.

    Runs when the day of some waiting item is over, when at least RECTIFY_DROPBOX_BATCH items wait,
    or with `force`. Items already stored (a flush that crashed after its commit) are skipped.
    Returns the number of items written. Called with anonymous_input_seal by the scheduler.
    """
    import secrets
    from datetime import date

    from django.conf import settings

    today = today or timezone.localdate()
    batch = getattr(settings, "RECTIFY_DROPBOX_BATCH", 10)
    pending = dropbox.waiting()
    if not pending or not (force or len(pending) >= batch or any(i["day"] < today.isoformat() for i in pending)):
        return 0
    items = dropbox.take()
    secrets.SystemRandom().shuffle(items)
    written = 0
    with transaction.atomic():
        for item in items:
            item = dict(item)
            kind, day = item.pop("kind_of_item"), date.fromisoformat(item.pop("day"))
            if kind == "opinion":
                recused = item.pop("recused")
                if Opinion.objects.filter(receipt_code=item["receipt_code"]).exists():
                    continue
                _opinion_store(Opinion(received_on=day, sealed=False, **item), recused)
            elif not PeerReview.objects.filter(pk=item["id"]).exists():
                PeerReview(created_on=day, sealed=False, **item).save(force_insert=True)
            written += 1
    dropbox.done()
    return written


def anonymous_input_seal(*, today=None) -> int:
    """Close the books on anonymous input of the days before `today` (default: today).

    For each day and unit, one audit record with the count (and the receipt codes, sorted): no actor,
    the day as its time, and a place in the chain that says nothing about when in the day anything
    arrived. Then the day's rows are rewritten one by one in random order in one transaction, so
    that PostgreSQL's physical order (ctid) and transaction ids (xmin) no longer follow the order of
    submission, and the database forgets the old versions (VACUUM FULL on PostgreSQL; on SQLite the
    rows are stored by their random key already and the write-ahead log is checkpointed and
    truncated). Similarity hints are computed here. Safe to repeat; returns the number of rows sealed.
    Called by the scheduler (problems.tasks.seal_anonymous_input) and `manage.py seal_anonymous_input`.
    """
    import secrets
    from collections import defaultdict

    today = today or timezone.localdate()
    with transaction.atomic():
        opinions = list(Opinion.objects.filter(sealed=False, received_on__lt=today).select_related("unit"))
        reviews = list(PeerReview.objects.filter(sealed=False, created_on__lt=today).select_related("unit"))
        totals: dict[tuple, list[str]] = defaultdict(list)
        for o in opinions:
            totals[("opinion.receive_day", o.received_on, o.unit)].append(o.receipt_code)
        for r in reviews:
            totals[("peer_review.receive_day", r.created_on, r.unit)].append(r.kind)
        for (action, day, unit), items in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2].path)):
            audit_record(
                actor=None,
                action=action,
                unit=unit,
                anonymous_day=day,
                object_repr=_("%(n)s anonymous submissions on %(day)s") % {"n": len(items), "day": day.isoformat()},
                changes={"day": day.isoformat(), "count": len(items), "items": sorted(items)},
            )
        rows = [(Opinion, o.pk) for o in opinions] + [(PeerReview, r.pk) for r in reviews]
        rows += [
            (OpinionRecusal, pk)
            for pk in OpinionRecusal.objects.filter(opinion__in=opinions).values_list("pk", flat=True)
        ]
        secrets.SystemRandom().shuffle(rows)
        hints = _similarity_many(opinions)  # written with the row: one version, one xmin
        for model, pk in rows:
            if model is OpinionRecusal:
                model.objects.filter(pk=pk).update(person_id=models.F("person_id"))
            elif model is Opinion:
                similar, suggested = hints[pk]
                model.objects.filter(pk=pk).update(sealed=True, similar=similar, suggested_manifestation=suggested)
            else:
                model.objects.filter(pk=pk).update(sealed=True)
    if rows:
        _forget_physical_order([Opinion, PeerReview, OpinionRecusal])
    return len(opinions) + len(reviews)


def _forget_physical_order(model_list) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            for model in model_list:
                cursor.execute(f'VACUUM FULL "{model._meta.db_table}"')
        elif connection.vendor == "sqlite" and not connection.in_atomic_block:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# ---------------------------------------------------------------- peer reviews and leader comments


@transaction.atomic
def peer_review_submit(*, actor, campaign: Campaign, unit, kind: str, reviewer, subject, content: str) -> PeerReview:
    """One member writes the problems they see in another member (互评), or a leader comments (领导点评).

    互评 in a campaign whose reviews are anonymous stores no reviewer and gets no audit record of its
    own (the day's total is audited by anonymous_input_seal). 互评 is decided one level above the
    subject (回避, see problems.recusal); a leader comment is signed and answered by its subject.
    """
    _check_campaign_open(campaign)
    _check_unit_in_campaign(campaign, unit)
    content = clean_text(content)
    if reviewer.pk == subject.pk:
        raise ServiceError(_("Nobody reviews themselves."))
    if not content:
        raise ServiceError(_("Write the problems you see."))
    if len(content) > OPINION_MAX_CHARS:
        raise ServiceError(_("The text is too long (at most %(n)s characters).") % {"n": OPINION_MAX_CHARS})
    leader_comment = kind == PeerReview.Kind.LEADER_COMMENT
    anonymous = campaign.peer_review_anonymous and not leader_comment
    route, handler = (Recusal.NONE, None) if leader_comment else recusal.route_for([subject], subject.unit)
    review = PeerReview(
        campaign=campaign,
        unit=unit,
        kind=kind,
        reviewer=None if anonymous else reviewer,
        subject=subject,
        content=content,
        recusal_route=route,
        recusal_handler=handler,
        sealed=not anonymous,
    )
    if anonymous and dropbox.put(_review_item(review)):
        return review  # written later with the day's other input (problems.dropbox)
    review.save(force_insert=True)
    if not anonymous:
        audit_record(
            actor=actor,
            action="peer_review.submit",
            obj=review,
            unit=unit,
            object_repr=str(_("Peer review")),
            changes={"kind": kind, "subject": subject.pk, "recusal": route},
        )
    return review


_REVIEW_FIELDS = "id campaign_id unit_id kind subject_id content recusal_route recusal_handler_id".split()


def _review_item(review: PeerReview) -> dict:
    return {
        "kind_of_item": "peer_review",
        "day": review.created_on.isoformat(),
        **{f: getattr(review, f) for f in _REVIEW_FIELDS},
    }


@transaction.atomic
def peer_review_accept(
    *, actor, review: PeerReview, description: str = "", note: str = "", **problem_fields
) -> Problem:
    """The subject (or the office) accepts what was said: it becomes a problem of the subject."""
    channel = {
        PeerReview.Kind.TEAM: Channel.TEAM_PEER,
        PeerReview.Kind.BRANCH: Channel.BRANCH_PEER,
        PeerReview.Kind.LEADER_COMMENT: Channel.LEADER_COMMENT,
    }[review.kind]
    updated = PeerReview.objects.filter(pk=review.pk, status=PeerReview.Status.SUBMITTED).update(
        status=PeerReview.Status.ACCEPTED, answer_note=clean_text(note), answered_at=timezone.now()
    )
    if not updated:
        raise Conflict(_("This review has already been answered."))
    problem = problem_create(
        actor=actor,
        campaign=review.campaign,
        unit=review.subject.unit,
        description=description or review.content,
        channel=channel,
        subject_kind=Problem.SubjectKind.PERSON,
        subject_person=review.subject,
        **problem_fields,
    )
    PeerReview.objects.filter(pk=review.pk).update(problem=problem)
    audit_record(
        actor=actor,
        action="peer_review.accept",
        obj=review,
        unit=review.unit,
        object_repr=str(_("Peer review")),
        changes={"status": [PeerReview.Status.SUBMITTED, PeerReview.Status.ACCEPTED], "problem": problem.pk},
    )
    review.refresh_from_db()
    return problem


@transaction.atomic
def peer_review_reject(*, actor, review: PeerReview, reason: str = "") -> PeerReview:
    """The subject does not accept the review (the reason stays on record)."""
    updated = PeerReview.objects.filter(pk=review.pk, status=PeerReview.Status.SUBMITTED).update(
        status=PeerReview.Status.REJECTED, answer_note=clean_text(reason), answered_at=timezone.now()
    )
    if not updated:
        raise Conflict(_("This review has already been answered."))
    audit_record(
        actor=actor,
        action="peer_review.reject",
        obj=review,
        unit=review.unit,
        object_repr=str(_("Peer review")),
        changes={"status": [PeerReview.Status.SUBMITTED, PeerReview.Status.REJECTED], "reason": clean_text(reason)},
    )
    review.refresh_from_db()
    return review


# ---------------------------------------------------------------- self-check


@transaction.atomic
def self_check_submit(*, actor, campaign: Campaign, unit, person=None, entries: Sequence[dict]) -> list[Problem]:
    """对照自查: record what applies of each manifestation (one problem each) and mark the checklist done.

    `person` None means the department checks itself (subject: the unit's leadership team).
    Manifestations without an entry are recorded as not applicable. Can be repeated: later
    submissions add problems and update the record.
    """
    _check_campaign_open(campaign)
    _check_unit_in_campaign(campaign, unit)
    created = []
    for e in entries:
        created.append(
            problem_create(
                actor=actor,
                campaign=campaign,
                unit=unit,
                description=e["description"],
                channel=Channel.SELF_CHECK,
                subject_kind=Problem.SubjectKind.PERSON if person else Problem.SubjectKind.TEAM,
                subject_person=person,
                manifestations=[e["manifestation"]],
                severity=e.get("severity", "medium"),
                cause=e.get("cause", ""),
            )
        )
    check, _created = SelfCheck.objects.get_or_create(
        campaign=campaign, unit=unit, person=person, defaults={"completed_by": actor}
    )
    found = {e["manifestation"].pk for e in entries}
    already = set(
        Problem.objects.filter(
            campaign=campaign, unit=unit, subject_person=person, channel=Channel.SELF_CHECK
        ).values_list("manifestations", flat=True)
    )
    check.completed_by = actor
    check.save(update_fields=["completed_by", "completed_at"])
    check.not_applicable.set(Manifestation.objects.filter(active=True).exclude(pk__in=found | already))
    audit_record(
        actor=actor,
        action="self_check.submit",
        obj=check,
        unit=unit,
        changes={"problems": [p.pk for p in created], "person": person.pk if person else None},
    )
    return created


# ---------------------------------------------------------------- bulk triage (many rows at once)


BULK_MAX = 200  # rows in one bulk action (a page of the list is 30; "select all" ticks one page)
BULK_ACTIONS = ("accept", "merge", "close")


def _bulk_opinions(actor, ids: Sequence[int]) -> list[Opinion]:
    """The opinions behind `ids`, each checked for this actor: all of them may be triaged by the actor
    and are waiting, or a ServiceError names every row refused (nothing is changed). Rows the actor may
    not see are named by the number that was sent, never by their receipt code."""
    from . import selectors

    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ServiceError(_("Select at least one opinion."))
    if len(ids) > BULK_MAX:
        raise ServiceError(_("Select at most %(n)s rows at once.") % {"n": BULK_MAX})
    # Lock the rows first, in one order (see rectification.services._bulk_closeouts: no deadlock on the
    # audit chain when two people triage overlapping rows at once).
    list(Opinion.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    found = {
        o.pk: o
        for o in selectors.opinions_for_triage(actor)
        .filter(pk__in=ids)
        .select_related("campaign", "unit", "concerns_person", "suggested_manifestation")
    }
    refused = []
    for pk in ids:
        o = found.get(pk)
        if o is None:
            refused.append(_("No. %(pk)s: not an opinion you handle") % {"pk": pk})
        elif o.status != Opinion.Status.NEW:
            refused.append(_("%(code)s: already triaged") % {"code": o.receipt_code})
        elif o.campaign.status != Campaign.Status.ACTIVE:
            refused.append(_("%(code)s: its campaign is closed") % {"code": o.receipt_code})
    if refused:
        raise ServiceError(
            _("%(n)s of the selected rows cannot be handled by you; nothing was changed.") % {"n": len(refused)},
            details=refused,
        )
    return [found[pk] for pk in ids]


@transaction.atomic
def opinions_triage_bulk(
    *,
    actor,
    ids: Sequence[int],
    action: str,
    reason: str = "",
    manifestation: Manifestation | None = None,
    unit=None,
    duplicate_of: Opinion | None = None,
) -> list[Opinion]:
    """Triage several waiting opinions in one action, all or none (one transaction).

    Every row is checked first (`_bulk_opinions`: the actor may triage it, it is still waiting, its
    campaign is open); one refused row refuses the whole action, naming each refused row.
    - "accept": each becomes one problem worded as the opinion, about the person it concerns if any,
      with `manifestation` (else its suggested manifestation), of `unit` (assign to a unit where the
      actor triages; else the opinion's own unit);
    - "merge": each is marked a duplicate of `duplicate_of`;
    - "close": each is closed with the same `reason` (shown to each holder of a receipt code).
    Each row goes through opinion_accept / opinion_merge / opinion_close (same checks, one audit
    record each, as when triaged one by one). Returns the opinions triaged, in the order of `ids`."""
    if action not in BULK_ACTIONS:
        raise ServiceError(_("Choose what to do with the selected opinions."))
    if action == "close" and not clean_text(reason):
        raise ServiceError(_("Give the reason for closing the opinion."))
    if action == "merge" and duplicate_of is None:
        raise ServiceError(_("No opinion with this receipt code."))
    if action == "accept" and unit is not None and not can(actor, Perm.OPINION_TRIAGE, unit):
        raise ServiceError(_("You may not assign problems to %(unit)s.") % {"unit": unit.name})
    opinions = _bulk_opinions(actor, ids)
    for opinion in opinions:
        if action == "close":
            opinion_close(actor=actor, opinion=opinion, reason=reason)
        elif action == "merge":
            opinion_merge(actor=actor, opinion=opinion, duplicate_of=duplicate_of, note=reason)
        else:
            opinion_accept(
                actor=actor, opinion=opinion, problems=[_bulk_spec(opinion, manifestation, unit)], note=reason
            )
    return opinions


def _bulk_spec(opinion: Opinion, manifestation: Manifestation | None, unit) -> dict:
    """The one problem a bulk-accepted opinion becomes."""
    chosen = manifestation or opinion.suggested_manifestation
    return {
        "unit": unit or opinion.unit,
        "description": opinion.content,
        "subject_kind": Problem.SubjectKind.PERSON if opinion.concerns_person_id else Problem.SubjectKind.UNIT,
        "subject_person": opinion.concerns_person,
        "manifestations": [chosen] if chosen else [],
    }
