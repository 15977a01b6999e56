"""Democratic life meetings: schedule, prepare (checklist), record on one screen, minutes, follow-up.

HTMX posts on the detail and recording pages swap the same partial the full page includes; without
HTMX every form still works by redirecting back to its page."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_record
from campaigns.models import CampaignUnit
from core.exceptions import ServiceError
from core.storage import verified_download
from orgs.access import Perm, can, has_any, person_of
from orgs.models import Person

from . import forms, selectors, services
from .minutes import minutes_docx
from .models import Criticism, LifeMeeting, MeetingMeasure, MeetingMember

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _error_messages(request, e: ServiceError) -> None:
    messages.error(request, e.message)
    for d in e.details:
        messages.warning(request, d)


def _plan_url(meeting: LifeMeeting) -> str | None:
    """The rectification app's "start a plan from this meeting" page, when it exists."""
    try:
        return reverse("rectification:plan_from_meeting", args=[meeting.pk])
    except NoReverseMatch:
        return None


# ---------------------------------------------------------------- list and scheduling
@require_GET
def index(request):
    if (
        not has_any(request.user, Perm.MEETING_VIEW)
        and not selectors.meetings_visible_to(request.user).exists()
        and not selectors.materials_to_review(request.user).exists()
    ):
        raise PermissionDenied
    meetings = list(selectors.meeting_list(request.user)[:300])
    waiting = list(selectors.units_waiting_for_meeting(request.user)[:100])
    to_review = list(selectors.materials_to_review(request.user)[:100])
    return render(request, "meetings/index.html", {"meetings": meetings, "waiting": waiting, "to_review": to_review})


def schedule(request, participant_pk: int):
    participant = get_object_or_404(CampaignUnit.objects.select_related("unit", "campaign"), pk=participant_pk)
    unit = participant.unit
    if not can(request.user, Perm.MEETING_VIEW, unit):
        raise Http404
    if not can(request.user, Perm.MEETING_MANAGE, unit):
        raise PermissionDenied
    kw = {
        "members_qs": selectors.member_candidates(unit),
        "observers_qs": selectors.observer_candidates(unit),
        "secretary_qs": Person.objects.filter(unit__path__startswith=(unit.institution or unit).path, active=True),
    }
    if request.method == "POST":
        form = forms.ScheduleForm(request.POST, **kw)
        if form.is_valid():
            d = form.cleaned_data
            try:
                meeting = services.meeting_schedule(
                    actor=request.user,
                    campaign=participant.campaign,
                    unit=unit,
                    theme=d["theme"],
                    date=d["date"],
                    place=d["place"],
                    members=list(d["members"]),
                    observers=list(d["observers"]),
                    secretary=d["secretary"],
                    quorum_ratio=(Decimal(d["quorum_percent"]) / 100).quantize(Decimal("0.001"))
                    if d["quorum_percent"] != 67
                    else None,
                    follow_up_days=d["follow_up_days"],
                )
            except ServiceError as e:
                form.add_error(None, e.message)
            else:
                messages.success(request, _("The democratic life meeting has been scheduled."))
                return redirect("meetings:detail", meeting.pk)
    else:
        form = forms.ScheduleForm(
            initial={
                "theme": _(
                    "Democratic life meeting of %(unit)s on the campaign against mediocrity, laziness and laxity"
                )
                % {"unit": unit.name},
                "members": [p.pk for p in selectors.default_members(unit)],
                "observers": [p.pk for p in selectors.default_observers(unit)],
                "quorum_percent": 67,
                "follow_up_days": 15,
            },
            **kw,
        )
    return render(request, "meetings/schedule.html", {"form": form, "participant": participant, "unit": unit})


# ---------------------------------------------------------------- detail and preparation
def _detail_context(request, meeting: LifeMeeting) -> dict:
    members = list(selectors.meeting_detail_members(meeting))
    me = person_of(request.user)
    return {
        "meeting": meeting,
        "members": [m for m in members if m.is_member],
        "self_criticisms": [m for m in members if m.is_member and m.self_criticism],
        "observers": [m for m in members if not m.is_member],
        "checklist": selectors.checklist(meeting) if meeting.status == LifeMeeting.Status.PLANNED else None,
        "talks": list(selectors.talks_of(meeting)),
        "talk_form": forms.TalkForm(people=Person.objects.filter(meeting_memberships__meeting=meeting)),
        "may_manage": selectors.may_manage(request.user, meeting),
        "may_record": selectors.may_record(request.user, meeting),
        "my_member": next((m for m in members if me and m.person_id == me.pk), None),
        "follow_ups": list(meeting.follow_ups.select_related("done_by")),
        "measures": list(selectors.agreed_measures(meeting)),
        "problems": list(selectors.problems_of(meeting)),
        "criticisms": list(selectors.criticisms_of(meeting)),
        "quorum": selectors.quorum(meeting, members),
        "minutes_blockers": selectors.minutes_blockers(meeting) if meeting.status == LifeMeeting.Status.HELD else [],
        "plan_url": _plan_url(meeting),
        "may_plan": can(request.user, Perm.RECTIFICATION_MANAGE, meeting.unit),
        "follow_up_form": forms.FollowUpForm(),
        "member_add_form": forms.MemberAddForm(people=_add_candidates(meeting))
        if meeting.status == LifeMeeting.Status.PLANNED and selectors.may_manage(request.user, meeting)
        else None,
        "n_opinions": selectors.relevant_opinions(meeting, members).count(),
    }


@require_GET
def detail(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk)
    return render(request, "meetings/detail.html", _detail_context(request, meeting))


@require_GET
def checklist_partial(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk)
    return render(request, "meetings/_checklist.html", {"meeting": meeting, "checklist": selectors.checklist(meeting)})


def edit(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    if meeting.status != LifeMeeting.Status.PLANNED:
        messages.error(request, _("Only a meeting in preparation can be changed."))
        return redirect("meetings:detail", pk)
    form = forms.MeetingEditForm(request.POST or None, instance=LifeMeeting.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(
                actor=request.user, meeting=meeting, **{f: form.cleaned_data[f] for f in form.Meta.fields}
            )
        except ServiceError as e:
            _error_messages(request, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("meetings:detail", pk)
    return render(request, "meetings/edit.html", {"meeting": meeting, "form": form})


@require_POST
def route_opinions(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    try:
        n = services.opinions_route(actor=request.user, meeting=meeting)
    except ServiceError as e:
        _error_messages(request, e)
    else:
        messages.success(request, _("%(n)d opinions routed to the members.") % {"n": n})
    return redirect("meetings:detail", pk)


@require_POST
def talk_add(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk)
    form = forms.TalkForm(request.POST, people=Person.objects.filter(meeting_memberships__meeting=meeting))
    error = None
    if form.is_valid():
        try:
            services.talk_record(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ServiceError as e:
            error = e.message
        else:
            form = forms.TalkForm(people=Person.objects.filter(meeting_memberships__meeting=meeting))
    if not _htmx(request):
        if error or form.errors:
            messages.error(request, error or _("Please correct the talk form."))
        return redirect("meetings:detail", pk)
    response = render(
        request,
        "meetings/_talks.html",
        {"meeting": meeting, "talks": selectors.talks_of(meeting), "talk_form": form, "error": error, "may_talk": True},
    )
    response["HX-Trigger"] = "checklist-changed"
    return response


def material(request, member_pk: int):
    member = selectors.get_member_for_user(request.user, member_pk)
    meeting = member.meeting
    may_write = selectors.may_write_material(request.user, member) and meeting.status == LifeMeeting.Status.PLANNED
    existing = getattr(member, "material", None) if hasattr(member, "material") else None
    report = selectors.approved_report_of(meeting.campaign, member.person)
    if request.method == "POST":
        if not selectors.may_write_material(request.user, member):
            raise PermissionDenied
        form = forms.MaterialForm(request.POST)
        if form.is_valid():
            try:
                services.material_save(actor=request.user, member=member, **form.cleaned_data)
            except ServiceError as e:
                form.add_error(None, e.message)
            else:
                messages.success(request, _("Your material has been handed in."))
                return redirect("meetings:material", member_pk)
    else:
        initial = {
            "kind": existing.kind if existing else ("report" if report else "text"),
            "text": existing.text if existing else "",
        }
        form = forms.MaterialForm(initial=initial)
    return render(
        request,
        "meetings/material.html",
        {
            "member": member,
            "meeting": meeting,
            "material": existing,
            "report": report,
            "form": form if may_write else None,
            "may_review": selectors.may_review_material(request.user, member)
            and existing is not None
            and existing.status == "submitted"
            and meeting.status == LifeMeeting.Status.PLANNED,
            "review_form": forms.ReviewForm(),
            "reviews": list(existing.reviews.select_related("reviewer")) if existing else [],
            "routed": list(selectors.routed_to(member)),
            "is_own": person_of(request.user) is not None and person_of(request.user).pk == member.person_id,
            "material_ok": selectors.material_ok(existing),
        },
    )


@require_POST
def material_review(request, member_pk: int):
    member = selectors.get_member_for_user(request.user, member_pk, review=True)
    material = getattr(member, "material", None)
    if material is None:
        raise Http404
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.material_review(
                actor=request.user,
                material=material,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ServiceError as e:
            _error_messages(request, e)
        else:
            messages.success(request, _("Your review has been recorded."))
    return redirect("meetings:material", member_pk)


# ---------------------------------------------------------------- the one-screen record
def _present_members(meeting: LifeMeeting):
    return Person.objects.filter(
        meeting_memberships__meeting=meeting,
        meeting_memberships__role=MeetingMember.Role.MEMBER,
        meeting_memberships__attendance=MeetingMember.Attendance.PRESENT,
    ).order_by("meeting_memberships__sort_order")


def _record_context(request, meeting: LifeMeeting) -> dict:
    members = list(meeting.members.select_related("person").order_by("role", "sort_order", "pk"))
    voting = [m for m in members if m.is_member]
    people = Person.objects.filter(meeting_memberships__meeting=meeting).order_by(
        "meeting_memberships__role", "meeting_memberships__sort_order"
    )
    member_people = people.filter(meeting_memberships__role=MeetingMember.Role.MEMBER)
    problems = selectors.problems_of(meeting)
    present = _present_members(meeting)
    blockers = selectors.hold_blockers(meeting)
    return {
        "meeting": meeting,
        "members": voting,
        "observers": [m for m in members if not m.is_member],
        "quorum": selectors.quorum(meeting, members),
        "blockers": blockers,
        "criticisms": list(selectors.criticisms_of(meeting)),
        "measures": list(selectors.agreed_measures(meeting)),
        "problems": list(problems),
        "criticism_form": forms.CriticismForm(present=present),
        "n_present": sum(1 for m in voting if m.attendance == MeetingMember.Attendance.PRESENT),
        "measure_form": forms.MeasureForm(members=member_people, problems=problems),
        "problem_form": forms.ProblemForm(members=member_people),
        "minutes_blockers": selectors.minutes_blockers(meeting) if meeting.status == LifeMeeting.Status.HELD else [],
        "editable": meeting.status == LifeMeeting.Status.HELD
        or (meeting.status == LifeMeeting.Status.PLANNED and not blockers),
    }


@require_GET
def record(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    return render(request, "meetings/record.html", _record_context(request, meeting))


@require_GET
def quorum_partial(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk)
    return render(request, "meetings/_quorum.html", {"meeting": meeting, "quorum": selectors.quorum(meeting)})


def _member_for_recording(request, member_pk: int) -> MeetingMember:
    member = get_object_or_404(MeetingMember.objects.select_related("person", "meeting__unit"), pk=member_pk)
    selectors.get_meeting_for_user(request.user, member.meeting_id, record=True)
    return member


@require_POST
def record_attendance(request, member_pk: int):
    member = _member_for_recording(request, member_pk)
    form = forms.AttendanceForm(request.POST)
    error = None
    pending = (
        form.is_valid() and form.cleaned_data["attendance"] == "absent" and not form.cleaned_data["reason"].strip()
    )
    typed_reason = request.POST.get("reason", "")[:200]
    if pending and _htmx(request):
        # Absent chosen, reason not typed yet: show the row waiting for the reason (nothing saved).
        return render(request, "meetings/_attendance_row.html", {"m": member, "pending_absent": True, "editable": True})
    if not request.POST.get("attendance") and _htmx(request):
        # The reason was typed before 缺席 was clicked: keep it in the row until a choice is made.
        return render(
            request, "meetings/_attendance_row.html", {"m": member, "typed_reason": typed_reason, "editable": True}
        )
    if form.is_valid():
        try:
            services.attendance_record(actor=request.user, member=member, **form.cleaned_data)
        except ServiceError as e:
            error = " ".join([e.message, *e.details])
    else:
        error = _("Choose present or absent.")
    if not _htmx(request):
        if error:
            messages.error(request, error)
        return redirect("meetings:record", member.meeting_id)
    member.refresh_from_db()
    response = render(request, "meetings/_attendance_row.html", {"m": member, "error": error, "editable": True})
    response["HX-Trigger"] = "attendance-changed"
    return response


@require_POST
def record_self_criticism(request, member_pk: int):
    member = _member_for_recording(request, member_pk)
    form = forms.SelfCriticismForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.self_criticism_record(actor=request.user, member=member, text=form.cleaned_data["text"])
        except ServiceError as e:
            error = " ".join([e.message, *e.details])
    else:
        error = _("The self-criticism must not be empty.")
    if not _htmx(request):
        if error:
            messages.error(request, error)
        return redirect("meetings:record", member.meeting_id)
    member.refresh_from_db()
    return render(
        request, "meetings/_selfcrit_row.html", {"m": member, "error": error, "saved": not error, "editable": True}
    )


def _record_partial(request, meeting, template: str, error: str | None = None, form=None, form_name: str = ""):
    if not _htmx(request):
        if error:
            messages.error(request, error)
        return redirect("meetings:record", meeting.pk)
    ctx = _record_context(request, meeting)
    ctx["error"] = error
    if form is not None and error:
        ctx[form_name] = form
    return render(request, template, ctx)


@require_POST
def criticism_add(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    form = forms.CriticismForm(request.POST, present=_present_members(meeting))
    error = None
    if form.is_valid():
        try:
            services.criticism_add(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ServiceError as e:
            error = " ".join([e.message, *e.details])
    else:
        error = _("Choose who criticises whom and write the criticism.")
    return _record_partial(request, meeting, "meetings/_criticisms.html", error, form, "criticism_form")


@require_GET
def criticisms_partial(request, pk: int):
    """The criticisms section again after attendance changed (who may criticise follows who is present)."""
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    return render(request, "meetings/_criticisms.html", _record_context(request, meeting))


@require_POST
def criticism_delete(request, pk: int, item_pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    criticism = get_object_or_404(Criticism, pk=item_pk, meeting=meeting)
    error = None
    try:
        services.criticism_delete(actor=request.user, criticism=criticism)
    except ServiceError as e:
        error = e.message
    return _record_partial(request, meeting, "meetings/_criticisms.html", error)


@require_POST
def measure_add(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    members = Person.objects.filter(meeting_memberships__meeting=meeting, meeting_memberships__role="member")
    form = forms.MeasureForm(request.POST, members=members, problems=selectors.problems_of(meeting))
    error = None
    if form.is_valid():
        try:
            services.measure_add(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ServiceError as e:
            error = " ".join([e.message, *e.details])
    else:
        error = _("Write the measure agreed.")
    return _record_partial(request, meeting, "meetings/_measures.html", error, form, "measure_form")


@require_POST
def measure_delete(request, pk: int, item_pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    measure = get_object_or_404(MeetingMeasure, pk=item_pk, meeting=meeting)
    error = None
    try:
        services.measure_delete(actor=request.user, measure=measure)
    except ServiceError as e:
        error = e.message
    return _record_partial(request, meeting, "meetings/_measures.html", error)


@require_POST
def problem_add(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    members = Person.objects.filter(meeting_memberships__meeting=meeting, meeting_memberships__role="member")
    form = forms.ProblemForm(request.POST, members=members)
    error = None
    if form.is_valid():
        try:
            services.meeting_problem_raise(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ServiceError as e:
            error = " ".join([e.message, *e.details])
    else:
        error = _("Describe the problem raised.")
    response = _record_partial(request, meeting, "meetings/_problems.html", error, form, "problem_form")
    if _htmx(request):
        response["HX-Trigger"] = "problems-changed"
    return response


@require_GET
def measures_partial(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    return render(request, "meetings/_measures.html", _record_context(request, meeting))


@require_POST
def hold(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    try:
        services.meeting_hold(actor=request.user, meeting=meeting)
    except ServiceError as e:
        _error_messages(request, e)
    else:
        messages.success(
            request, _("The meeting has been recorded as held. Complete the record, then file the minutes.")
        )
    return redirect("meetings:record", pk)


@require_POST
def file_minutes(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, record=True)
    try:
        services.minutes_file(actor=request.user, meeting=meeting)
    except ServiceError as e:
        _error_messages(request, e)
        return redirect("meetings:record", pk)
    messages.success(request, _("The minutes have been filed."))
    return redirect("meetings:detail", pk)


@require_GET
def minutes(request, pk: int):
    """The minutes as Word: the filed file once filed, otherwise a draft from the record so far."""
    meeting = selectors.get_meeting_for_user(request.user, pk)
    name = f"minutes-{meeting.unit.code}-{meeting.pk}.docx"
    if meeting.status == LifeMeeting.Status.FILED and meeting.minutes_file:
        audit_record(actor=request.user, action="meeting.minutes_download", obj=meeting, unit=meeting.unit)
        return verified_download(request, meeting.minutes_file, meeting.minutes_sha256, name, DOCX)
    if meeting.status == LifeMeeting.Status.PLANNED or not selectors.may_record(request.user, meeting):
        raise PermissionDenied
    audit_record(actor=request.user, action="meeting.minutes_draft", obj=meeting, unit=meeting.unit)
    response = HttpResponse(minutes_docx(meeting), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="draft-{name}"'
    return response


@require_POST
def follow_up_done(request, pk: int):
    follow_up = selectors.get_follow_up_for_user(request.user, pk)
    form = forms.FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up_complete(actor=request.user, follow_up=follow_up, note=form.cleaned_data["note"])
        except ServiceError as e:
            _error_messages(request, e)
        else:
            messages.success(request, _("Recorded as done."))
    else:
        messages.error(request, _("Say how it was done."))
    return redirect("meetings:detail", follow_up.meeting_id)


def _add_candidates(meeting: LifeMeeting):
    pks = set(selectors.member_candidates(meeting.unit).values_list("pk", flat=True))
    pks |= set(selectors.observer_candidates(meeting.unit).values_list("pk", flat=True))
    taking_part = meeting.members.values("person_id")
    return Person.objects.filter(pk__in=pks).exclude(pk__in=taking_part).order_by("unit__path", "staff_no")


@require_POST
def member_add(request, pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    form = forms.MemberAddForm(
        request.POST,
        people=Person.objects.filter(
            active=True, unit__path__startswith=(meeting.unit.institution or meeting.unit).path
        ),
    )
    if form.is_valid():
        try:
            services.member_add(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ServiceError as e:
            _error_messages(request, e)
        else:
            messages.success(request, _("Added to the meeting."))
    else:
        messages.error(request, _("Choose a person and a role."))
    return redirect("meetings:detail", pk)


@require_POST
def member_remove(request, pk: int, member_pk: int):
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    member = get_object_or_404(MeetingMember, pk=member_pk, meeting=meeting)
    try:
        services.member_remove(actor=request.user, member=member)
    except ServiceError as e:
        _error_messages(request, e)
    else:
        messages.success(request, _("Removed from the meeting."))
    return redirect("meetings:detail", pk)
