"""Writes of the disclosure portal: publish, withdraw, refresh statuses, snapshots, follows and
supervision opinions. Every write is audited; the public timeline (PublicEvent) is written here
in public words only."""

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from campaigns.models import Campaign
from core.exceptions import Conflict, ServiceError
from notifications.tasks import send_notification_email
from problems.models import Problem
from rectification.models import Measure

from .models import Follow, Publication, PublicEvent, PublicStatus, Snapshot
from .public import STATUS_LABELS, SUMMARY_LENGTH, publishable_measures, publishable_problems
from .selectors import current_statuses, public_data_now, published

OPINION_MAX_LENGTH = 2000
CONTACT_MAX_LENGTH = 100


def _summary(publication: Publication) -> str:
    text = publication.problem.description if publication.problem_id else publication.measure.content
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


def _event(publication: Publication | None, *, campaign: Campaign, kind: str, summary="", before="", after=""):
    return PublicEvent.objects.create(
        campaign=campaign,
        publication=publication,
        kind=kind,
        at=timezone.now(),
        summary=summary[:200],
        before=before,
        after=after,
    )


def _check_item(campaign: Campaign, problem: Problem | None, measure: Measure | None) -> None:
    if (problem is None) == (measure is None):
        raise ServiceError(_("Publish either a problem or a measure."))
    if problem is not None and not publishable_problems(campaign).filter(pk=problem.pk).exists():
        raise ServiceError(
            _("This problem cannot be made public: problems of one person are disclosed only inside the institution.")
            if problem.subject_kind == Problem.SubjectKind.PERSON and problem.campaign_id == campaign.pk
            else _("This problem cannot be made public.")
        )
    if measure is not None and not publishable_measures(campaign).filter(pk=measure.pk).exists():
        raise ServiceError(
            _(
                "This measure cannot be made public: measures of personal plans are disclosed only inside the institution."
            )
        )


def _publish_one(*, actor, campaign: Campaign, problem: Problem | None, measure: Measure | None):
    """Create or re-open the publication; returns (publication, newly public?)."""
    _check_item(campaign, problem, measure)
    pub = (
        Publication.objects.filter(problem=problem) if problem else Publication.objects.filter(measure=measure)
    ).first()
    if pub is not None and pub.status == Publication.Status.PUBLISHED:
        return pub, False
    now = timezone.now()
    if pub is None:
        pub = Publication.objects.create(
            campaign=campaign, problem=problem, measure=measure, published_at=now, published_by=actor
        )
    else:
        updated = Publication.objects.filter(pk=pub.pk, status=Publication.Status.WITHDRAWN).update(
            status=Publication.Status.PUBLISHED, published_at=now, published_by=actor, withdrawn_at=None
        )
        if not updated:
            raise Conflict(_("Someone else changed this publication; reload the page."))
        pub.refresh_from_db()
    audit_record(
        actor=actor,
        action="publication.publish",
        obj=pub,
        unit=campaign.institution,
        changes={"item": f"{pub.kind}:{problem.pk if problem else measure.pk}", "code": pub.code},
    )
    return pub, True


def _announce(campaign: Campaign, pubs: list[Publication]) -> None:
    """Record what the public is shown for newly published items, and put them on the timeline."""
    if not pubs:
        return
    statuses = current_statuses(campaign)
    for pub in pubs:
        status, progress, deadline = statuses.get(pub.code, (PublicStatus.NOT_STARTED, 0, None))
        Publication.objects.filter(pk=pub.pk).update(
            public_status=status, public_progress=progress, public_deadline=deadline
        )
        pub.public_status, pub.public_progress, pub.public_deadline = status, progress, deadline
        _event(pub, campaign=campaign, kind=PublicEvent.Kind.PUBLISHED, summary=_summary(pub), after=status)


@transaction.atomic
def publication_publish(
    *, actor, campaign: Campaign, problem: Problem | None = None, measure: Measure | None = None
) -> Publication:
    """Make one problem or measure public (campaign office). Re-publishing a withdrawn item keeps its code.

    Refuses items of another campaign, problems about one person and measures of personal plans.
    """
    pub, new = _publish_one(actor=actor, campaign=campaign, problem=problem, measure=measure)
    if new:
        _announce(campaign, [pub])
    return pub


@transaction.atomic
def publication_withdraw(*, actor, publication: Publication) -> Publication:
    """Take an item off the portal (campaign office). Its address then gives the same 404 as a wrong one."""
    updated = Publication.objects.filter(pk=publication.pk, status=Publication.Status.PUBLISHED).update(
        status=Publication.Status.WITHDRAWN, withdrawn_at=timezone.now()
    )
    if not updated:
        raise Conflict(_("This item is not published (any more)."))
    publication.refresh_from_db()
    _event(publication, campaign=publication.campaign, kind=PublicEvent.Kind.WITHDRAWN)
    audit_record(
        actor=actor,
        action="publication.withdraw",
        obj=publication,
        unit=publication.campaign.institution,
        changes={"status": [Publication.Status.PUBLISHED, Publication.Status.WITHDRAWN]},
    )
    return publication


@transaction.atomic
def publication_apply(
    *, actor, campaign: Campaign, problem_ids, measure_ids, shown_problem_ids=None, shown_measure_ids=None
) -> dict[str, int]:
    """Make exactly the chosen problems and measures public: publish the new ones, withdraw the others.

    With `shown_problem_ids`/`shown_measure_ids` (the items of the one page of the list the office ticked
    on), "the others" are only those shown there: what is public on other pages or units stays public.
    Returns {"published": n, "withdrawn": n}.
    """
    problem_ids, measure_ids = set(map(int, problem_ids)), set(map(int, measure_ids))
    scoped = shown_problem_ids is not None or shown_measure_ids is not None
    shown_problems, shown_measures = set(map(int, shown_problem_ids or ())), set(map(int, shown_measure_ids or ()))
    problems = list(publishable_problems(campaign).filter(pk__in=problem_ids))
    measures = list(publishable_measures(campaign).filter(pk__in=measure_ids))
    if len(problems) != len(problem_ids) or len(measures) != len(measure_ids):
        raise ServiceError(_("Some of the chosen items cannot be made public; reload the page."))
    current = {(p.problem_id, p.measure_id): p for p in published(campaign)}
    counts = {"published": 0, "withdrawn": 0}
    new = []
    for item in [*problems, *measures]:
        is_problem = isinstance(item, Problem)
        if ((item.pk, None) if is_problem else (None, item.pk)) not in current:
            pub, _created = _publish_one(
                actor=actor,
                campaign=campaign,
                problem=item if is_problem else None,
                measure=None if is_problem else item,
            )
            new.append(pub)
    counts["published"] = len(new)
    for (problem_id, measure_id), pub in current.items():
        if scoped and problem_id not in shown_problems and measure_id not in shown_measures:
            continue  # not on the page the office ticked on
        if problem_id not in problem_ids and measure_id not in measure_ids:
            publication_withdraw(actor=actor, publication=pub)
            counts["withdrawn"] += 1
    _announce(campaign, new)
    return counts


def _notify_followers(publication: Publication, status: str) -> int:
    """E-mail each active follower whose last notice showed another status; one message per address,
    so followers never see each other's addresses."""
    follows = list(publication.follows.filter(active=True).exclude(notified_status=status))
    if not follows:
        return 0
    summary = _summary(publication)
    item_url = reverse("disclosure_public:item", args=[publication.code])
    sent = 0
    for follow in follows:
        if follow.email:
            stop_url = reverse("disclosure_public:follow", args=[follow.code])
            subject = _("Status changed: %(item)s") % {"item": summary[:60]}
            body = _("The item you follow is now: %(status)s.\n%(item)s\nSee %(url)s\nStop following: %(stop)s") % {
                "status": STATUS_LABELS[status],
                "item": summary,
                "url": item_url,
                "stop": stop_url,
            }
            transaction.on_commit(
                lambda to=follow.email, s=subject, b=body: send_notification_email.enqueue(to=[to], subject=s, body=b)
            )
            sent += 1
    Follow.objects.filter(pk__in=[f.pk for f in follows]).update(notified_status=status)
    return sent


@transaction.atomic
def publications_refresh(*, actor=None, campaign: Campaign | None = None, today: date | None = None) -> int:
    """Recompute what the public sees for every published item; announce changes of status or deadline
    on the timeline and to followers. Safe to run at any time (periodic task, after publishing).

    Returns the number of items whose public status changed.
    """
    pubs = Publication.objects.filter(status=Publication.Status.PUBLISHED).select_related(
        "campaign__institution", "problem", "measure"
    )
    if campaign is not None:
        pubs = pubs.filter(campaign=campaign)
    changed = 0
    statuses: dict[int, dict] = {}
    for pub in pubs:
        if pub.campaign_id not in statuses:
            statuses[pub.campaign_id] = current_statuses(pub.campaign, today=today)
        status, progress, deadline = statuses[pub.campaign_id].get(pub.code, (PublicStatus.NOT_STARTED, 0, None))
        if (status, progress, deadline) == (pub.public_status, pub.public_progress, pub.public_deadline):
            continue
        updated = Publication.objects.filter(
            pk=pub.pk, public_status=pub.public_status, public_deadline=pub.public_deadline
        ).update(public_status=status, public_progress=progress, public_deadline=deadline)
        if not updated:
            continue  # another refresh got there first
        if status != pub.public_status:
            changed += 1
            _event(
                pub,
                campaign=pub.campaign,
                kind=PublicEvent.Kind.STATUS_CHANGED,
                summary=_summary(pub),
                before=pub.public_status,
                after=status,
            )
            _notify_followers(pub, status)
        if deadline != pub.public_deadline and pub.public_deadline is not None:
            _event(
                pub,
                campaign=pub.campaign,
                kind=PublicEvent.Kind.DEADLINE_CHANGED,
                summary=_summary(pub),
                before=pub.public_deadline.isoformat(),
                after=deadline.isoformat() if deadline else "",
            )
        audit_record(
            actor=actor,
            action="publication.refresh",
            obj=pub,
            unit=pub.campaign.institution,
            changes={"public_status": [pub.public_status, status], "progress": [pub.public_progress, progress]},
        )
    return changed


@transaction.atomic
def snapshot_take(*, actor, campaign: Campaign, taken_on: date | None = None, kind: str = Snapshot.Kind.ON_DEMAND):
    """Freeze what is published now as a dated snapshot (campaign office, or the monthly task).

    `taken_on` dates the snapshot (default today); statuses are computed as of that date. A snapshot
    never changes afterwards (see Snapshot.save).
    """
    if campaign.status == Campaign.Status.DRAFT:
        raise ServiceError(_("A draft campaign has nothing to disclose."))
    if not published(campaign).exists():
        raise ServiceError(_("Nothing is published yet: publish some problems or measures first."))
    taken_on = taken_on or timezone.localdate()
    data = public_data_now(campaign, today=taken_on)
    snap = Snapshot.objects.create(
        campaign=campaign, kind=kind, taken_on=taken_on, taken_at=timezone.now(), data=data, taken_by=actor
    )
    _event(None, campaign=campaign, kind=PublicEvent.Kind.SNAPSHOT, summary=taken_on.isoformat())
    audit_record(
        actor=actor,
        action="snapshot.take",
        obj=snap,
        unit=campaign.institution,
        changes={"taken_on": taken_on.isoformat(), "kind": kind, "digest": snap.digest},
    )
    return snap


def monthly_snapshots_due(*, today: date | None = None) -> list[Campaign]:
    today = today or timezone.localdate()
    taken = Snapshot.objects.filter(
        kind=Snapshot.Kind.MONTHLY, taken_on__year=today.year, taken_on__month=today.month
    ).values("campaign_id")
    return list(
        Campaign.objects.filter(status=Campaign.Status.ACTIVE, publications__status=Publication.Status.PUBLISHED)
        .exclude(pk__in=taken)
        .distinct()
    )


@transaction.atomic
def follow_create(*, publication: Publication, email: str = "") -> Follow:
    """A member of the public follows a published item; returns the follow with its code."""
    if publication.status != Publication.Status.PUBLISHED:
        raise ServiceError(_("This item is not public."))
    follow = Follow.objects.create(
        publication=publication, email=email.strip().lower(), notified_status=publication.public_status
    )
    audit_record(
        actor=None,
        action="follow.create",
        obj=follow,
        unit=publication.campaign.institution,
        changes={"publication": publication.code, "by_email": bool(email)},
        object_repr=f"follow {follow.pk}",
    )
    return follow


@transaction.atomic
def follow_stop(*, follow: Follow) -> Follow:
    """The follower stops following (by their follow code)."""
    updated = Follow.objects.filter(pk=follow.pk, active=True).update(active=False, stopped_at=timezone.now())
    if not updated:
        raise Conflict(_("You no longer follow this item."))
    follow.refresh_from_db()
    audit_record(
        actor=None,
        action="follow.stop",
        obj=follow,
        unit=follow.publication.campaign.institution,
        object_repr=f"follow {follow.pk}",
    )
    return follow


@transaction.atomic
def supervision_opinion_submit(*, publication: Publication, content: str, contact: str = ""):
    """A member of the public comments on a published item: the opinion enters the office's triage
    (problems.services.opinion_submit, source public_supervision) and its receipt code is returned."""
    from problems.services import opinion_submit

    content = content.strip()
    if publication.status != Publication.Status.PUBLISHED:
        raise ServiceError(_("This item is not public."))
    if not content:
        raise ServiceError(_("Please write your opinion."))
    if len(content) > OPINION_MAX_LENGTH or len(contact) > CONTACT_MAX_LENGTH:
        raise ServiceError(_("Your text is too long."))
    if publication.problem_id:
        problem, unit = publication.problem, publication.problem.unit
    else:
        measure = publication.measure
        problem = measure.problems.order_by("pk").first()
        unit = measure.plan.unit
    opinion = opinion_submit(
        campaign=publication.campaign,
        unit=unit,
        content=content,
        source="public_supervision",
        contact=contact.strip(),
        about_problem=problem,
    )
    return opinion


def public_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, PublicStatus.NOT_STARTED.label))
