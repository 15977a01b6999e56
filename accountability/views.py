from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ServiceError
from orgs.access import Perm, can, person_of

from . import services
from .forms import DecideForm, DismissForm, ProposeForm, StatementForm
from .models import AccountabilityCase
from .selectors import (
    cases_visible_to,
    get_case_for_user,
    ineligible_person_ids,
    person_record_for_user,
    restrictions_in_force,
    restrictions_visible_to,
)


def _error(request, exc: ServiceError) -> None:
    messages.error(request, " ".join([exc.message, *exc.details]))


def index(request):
    rows = cases_visible_to(request.user).order_by("-opened_at", "-pk")
    status = request.GET.get("status", "")
    if status in AccountabilityCase.Status.values:
        rows = rows.filter(status=status)
    elif status == "pending":  # waiting for the office: proposed or taken up, not yet decided
        rows = rows.filter(status__in=[AccountabilityCase.Status.PROPOSED, AccountabilityCase.Status.OPEN])
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    year = timezone.localdate().year
    return render(
        request,
        "accountability/index.html",
        {
            "page": page,
            "status": status,
            "statuses": [("pending", _("Waiting for a decision")), *AccountabilityCase.Status.choices],
            "flagged": ineligible_person_ids({c.person_id for c in page}, year),
            "year": year,
            "restrictions": restrictions_in_force(restrictions_visible_to(request.user), timezone.localdate())[:200],
        },
    )


def person_record(request, person_pk: int):
    """A person's accountability record: cases and periods of restriction (影响期), with end dates."""
    ctx = person_record_for_user(request.user, person_pk)
    return render(request, "accountability/person.html", {**ctx, "today": timezone.localdate()})


def detail(request, pk: int):
    case = get_case_for_user(request.user, pk)
    decider = can(request.user, Perm.ACCOUNTABILITY_DECIDE, case.unit)
    person = person_of(request.user)
    is_subject = person is not None and person.pk == case.person_id
    year = timezone.localdate().year
    report_url = ""
    if case.trigger_ref.startswith("reports.selfreport:"):
        from django.urls import reverse

        report_url = reverse("reports:detail", args=[case.trigger_ref.split(":")[1]])
    open_ = case.status in (AccountabilityCase.Status.PROPOSED, AccountabilityCase.Status.OPEN)
    return render(
        request,
        "accountability/detail.html",
        {
            "case": case,
            "decider": decider and not is_subject,
            "is_subject": is_subject,
            "propose_form": ProposeForm(initial={"measures": list(case.proposed_measures.all())}) if open_ else None,
            "decide_form": DecideForm(initial={"measures": list(case.proposed_measures.all())}) if open_ else None,
            "statement_form": StatementForm(initial={"statement": case.statement})
            if case.status != AccountabilityCase.Status.CLOSED and (decider or is_subject)
            else None,
            "dismiss_form": DismissForm() if open_ else None,
            "flagged": case.person_id in ineligible_person_ids([case.person_id], year),
            "year": year,
            "report_url": report_url,
        },
    )


@require_POST
def propose(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    form = ProposeForm(request.POST)
    if form.is_valid():
        try:
            services.case_propose(actor=request.user, case=case, measures=form.cleaned_data["measures"])
            messages.success(request, _("Proposed measures saved."))
        except ServiceError as exc:
            _error(request, exc)
    return redirect("accountability:detail", case.pk)


@require_POST
def decide(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("accountability:detail", case.pk)
    try:
        services.case_decide(actor=request.user, case=case, **form.cleaned_data)
        messages.success(request, _("The decision was recorded."))
    except ServiceError as exc:
        _error(request, exc)
    return redirect("accountability:detail", case.pk)


@require_POST
def statement(request, pk: int):
    case = get_case_for_user(request.user, pk)
    form = StatementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the statement."))
        return redirect("accountability:detail", case.pk)
    try:
        services.case_statement(actor=request.user, case=case, statement=form.cleaned_data["statement"])
        messages.success(request, _("The statement was saved."))
    except ServiceError as exc:
        _error(request, exc)
    except PermissionDenied:
        raise
    return redirect("accountability:detail", case.pk)


@require_POST
def close(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    try:
        services.case_close(actor=request.user, case=case)
        messages.success(request, _("The case was closed."))
    except ServiceError as exc:
        _error(request, exc)
    return redirect("accountability:detail", case.pk)


@require_POST
def accept(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    try:
        services.case_accept(actor=request.user, case=case)
        messages.success(request, _("The case was taken up."))
    except ServiceError as exc:
        _error(request, exc)
    return redirect("accountability:detail", case.pk)


@require_POST
def dismiss(request, pk: int):
    case = get_case_for_user(request.user, pk, write=True)
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the case is not pursued."))
        return redirect("accountability:detail", case.pk)
    try:
        services.case_dismiss(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        messages.success(request, _("The case is not pursued."))
    except ServiceError as exc:
        _error(request, exc)
    return redirect("accountability:detail", case.pk)
