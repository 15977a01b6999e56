"""Staff pages of democratic evaluation: set up a round, issue codes and paper ballots, enter paper
batches, record symposia, open / close / tally, results and exports."""

import json
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.current import current_campaign
from campaigns.models import Campaign
from core.exceptions import ServiceError
from orgs.access import Perm, can, has_any, units_where

from . import release as release_mod
from . import results as results_mod
from . import services
from .forms import (
    CheckForm,
    CloseForm,
    CodesForm,
    ComponentImportForm,
    ComponentSchemeForm,
    CountForm,
    EvaluationCreateForm,
    FinalGradeForm,
    GradeForm,
    GroupForm,
    ItemForm,
    OpenForm,
    PassRuleForm,
    RuleForm,
    ScoreBandForm,
    SymposiumForm,
    TargetForm,
    VoidForm,
)
from .models import (
    Evaluation,
    EvaluationItem,
    EvaluationTarget,
    FreeText,
    Grade,
    PassRule,
    ScoreBand,
    SymposiumOpinion,
)
from .selectors import (
    evaluations_for_user,
    get_evaluation_for_user,
    get_paper_batch_for_user,
    get_symposium_for_user,
    results_audience,
    setup_context,
)


def _refused(request, e: ServiceError) -> None:
    messages.error(request, " ".join([e.message, *e.details]))


def round_action(view):
    """POST-only action on a round the user manages: loads it (404/403), turns a ServiceError into a
    message, and goes back to the round's page."""

    @wraps(view)
    @require_POST
    def wrapper(request, pk, *args, **kwargs):
        ev = get_evaluation_for_user(request.user, pk, write=True)
        try:
            response = view(request, ev, *args, **kwargs)
        except ServiceError as e:
            _refused(request, e)
            response = None
        return response or redirect("evaluations:detail", pk=ev.pk)

    return wrapper


def _manageable_campaigns(user):
    return Campaign.objects.filter(
        institution__in=units_where(user, Perm.EVALUATION_MANAGE), status=Campaign.Status.ACTIVE
    ).select_related("institution")


def index(request):
    if not has_any(request.user, Perm.EVALUATION_VIEW):
        raise Http404
    campaigns = _manageable_campaigns(request.user)
    shown = current_campaign(request)  # the switcher's campaign, chosen already when the office may manage it
    initial = {"campaign": shown.pk} if shown and campaigns.filter(pk=shown.pk).exists() else {}
    form = EvaluationCreateForm(campaigns=campaigns, initial=initial)
    return render(
        request,
        "evaluations/index.html",
        {"rounds": evaluations_for_user(request.user), "form": form, "can_create": campaigns.exists()},
    )


@require_POST
def create(request):
    campaigns = _manageable_campaigns(request.user)
    form = EvaluationCreateForm(request.POST, campaigns=campaigns)
    if not form.is_valid():
        return render(
            request,
            "evaluations/index.html",
            {"rounds": evaluations_for_user(request.user), "form": form, "can_create": campaigns.exists()},
            status=400,
        )
    d = form.cleaned_data
    try:
        ev = services.evaluation_create(
            actor=request.user,
            campaign=d["campaign"],
            name=d["name"],
            kind=d["kind"],
            scale_preset=d["scale_preset"],
            include_unknown=d["include_unknown"],
            custom_grades=d["custom_grades"] or None,
            opens_on=d["opens_on"],
            closes_on=d["closes_on"],
        )
    except ServiceError as e:
        _refused(request, e)
        return redirect("evaluations:index")
    messages.success(request, _("The round was created. Set its targets, groups and rule, then issue ballots."))
    return redirect("evaluations:detail", pk=ev.pk)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _turnout(ev):
    return release_mod.turnout_release(results_mod.collect(ev)["turnout"], release_mod.cell_minimum(ev))


def detail(request, pk):
    ev = get_evaluation_for_user(request.user, pk)
    manage = can(request.user, Perm.EVALUATION_MANAGE, ev.campaign.institution)
    inst = ev.campaign.institution
    audience = results_audience(request.user, ev)
    ctx = {
        "ev": ev,
        "manage": manage,
        "results_shown": audience == release_mod.Audience.RESULTS,
        "turnout": _turnout(ev) if audience != release_mod.Audience.NOTHING else None,
        "open_form": OpenForm(),
        "draft": ev.status == Evaluation.Status.DRAFT,
        "blockers": services.open_blockers(ev) if ev.status == Evaluation.Status.DRAFT else [],
        "tally_blockers": services.tally_blockers(ev) if ev.status == Evaluation.Status.CLOSED else [],
        "target_form": TargetForm(institution=inst),
        "item_form": ItemForm(),
        "grade_form": GradeForm(),
        "group_form": GroupForm(),
        "rule_form": RuleForm(instance=ev),
        "free_text_labels": [FreeText.Field(f).label for f in ev.free_text_fields()],
        "pass_rule_form": PassRuleForm(evaluation=ev, initial={"fails": True}),
        "band_form": ScoreBandForm(),
        "count_form": CountForm(evaluation=ev),
        "codes_form": CodesForm(evaluation=ev),
        "void_form": VoidForm(),
        "public_base": services.public_base_url(request),
        **setup_context(ev),
    }
    return render(request, "evaluations/detail.html", ctx)


@round_action
def target_add(request, ev):
    form = TargetForm(request.POST, institution=ev.campaign.institution)
    if not form.is_valid():
        raise ServiceError(_("Choose the unit (and the person, for an individual)."))
    d = form.cleaned_data
    services.target_add(actor=request.user, evaluation=ev, kind=d["kind"], unit=d["unit"], person=d["person"])


@round_action
def target_remove(request, ev, target_pk):
    services.target_remove(actor=request.user, target=get_object_or_404(EvaluationTarget, pk=target_pk, evaluation=ev))


@round_action
def item_save(request, ev, item_pk=None):
    item = get_object_or_404(EvaluationItem, pk=item_pk, evaluation=ev) if item_pk else None
    form = ItemForm(request.POST)
    if not form.is_valid():
        raise ServiceError(_("The item needs a text."))
    services.item_save(actor=request.user, evaluation=ev, item=item, **form.cleaned_data)


@round_action
def item_delete(request, ev, item_pk):
    services.item_delete(actor=request.user, item=get_object_or_404(EvaluationItem, pk=item_pk, evaluation=ev))


@round_action
def grade_save(request, ev, grade_pk=None):
    grade = get_object_or_404(Grade, pk=grade_pk, evaluation=ev) if grade_pk else None
    form = GradeForm(request.POST)
    if not form.is_valid():
        raise ServiceError(_("The grade needs a name."))
    services.grade_save(actor=request.user, evaluation=ev, grade=grade, **form.cleaned_data)


@round_action
def grade_delete(request, ev, grade_pk):
    services.grade_delete(actor=request.user, grade=get_object_or_404(Grade, pk=grade_pk, evaluation=ev))


@round_action
def group_save(request, ev, group_pk=None):
    group = get_object_or_404(ev.groups, pk=group_pk) if group_pk else None
    form = GroupForm(request.POST)
    if not form.is_valid():
        raise ServiceError(_("Check the group's name, numbers and weight."))
    services.group_save(actor=request.user, evaluation=ev, group=group, **form.cleaned_data)


@round_action
def group_delete(request, ev, group_pk):
    services.group_delete(actor=request.user, group=get_object_or_404(ev.groups, pk=group_pk))


@round_action
def rule_update(request, ev):
    form = RuleForm(request.POST, instance=Evaluation.objects.get(pk=ev.pk))
    if not form.is_valid():
        raise ServiceError(_("Check the rule's numbers."), details=[str(e) for e in form.errors.values()])
    services.rule_update(actor=request.user, evaluation=ev, **form.cleaned_data)
    messages.success(request, _("The way the round counts was saved."))


@round_action
def pass_rule_add(request, ev):
    form = PassRuleForm(request.POST, evaluation=ev)
    if not form.is_valid():
        raise ServiceError(_("Check the rule."), details=[str(e) for errors in form.errors.values() for e in errors])
    services.pass_rule_add(actor=request.user, evaluation=ev, **form.cleaned_data)


@round_action
def pass_rule_delete(request, ev, rule_pk):
    services.pass_rule_delete(actor=request.user, rule=get_object_or_404(PassRule, pk=rule_pk, evaluation=ev))


@round_action
def score_band_save(request, ev, band_pk=None):
    band = get_object_or_404(ScoreBand, pk=band_pk, evaluation=ev) if band_pk else None
    form = ScoreBandForm(request.POST)
    if not form.is_valid():
        raise ServiceError(_("Check the band's name and bounds."), details=[str(e) for e in form.errors.values()])
    services.score_band_save(actor=request.user, evaluation=ev, band=band, **form.cleaned_data)


@round_action
def score_band_delete(request, ev, band_pk):
    services.score_band_delete(actor=request.user, band=get_object_or_404(ScoreBand, pk=band_pk, evaluation=ev))


@round_action
def open_round(request, ev):
    """Open the round and show the committee's key sheet, once: the key is in this response only."""
    form = OpenForm(request.POST)
    split = form.cleaned_data["split"] if form.is_valid() else "shares"
    ev, key = services.evaluation_open(actor=request.user, evaluation=ev)
    sheets = key_sheets(key, split)
    del key
    return _no_store(render(request, "evaluations/key_sheet.html", {"ev": ev, "sheets": sheets}))


def key_sheets(key, split: str) -> list[dict]:
    """What the key sheet prints: the whole key, or one part per share holder (QR + text)."""
    from .documents import qr_svg

    if split == "whole":
        parts = [("", key.text())]
    else:
        parts = [(str(sh.x), sh.text()) for sh in key.shares()]
    return [{"share": n, "text": text, "qr": qr_svg(text)} for n, text in parts]


def close_round(request, pk):
    """The close page: the committee brings the round's key (typed, pasted or uploaded)."""
    ev = get_evaluation_for_user(request.user, pk, write=True)
    if ev.status != Evaluation.Status.OPEN:
        return redirect("evaluations:detail", pk=ev.pk)
    form = CloseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_close(actor=request.user, evaluation=ev, key=form.cleaned_data["text"])
        except ServiceError as e:
            form.add_error(None, " ".join([e.message, *e.details]))
        else:
            messages.success(request, _("The round is closed: the ballots were opened and the key forgotten."))
            return redirect("evaluations:detail", pk=ev.pk)
    return _no_store(
        render(
            request,
            "evaluations/close.html",
            {"ev": ev, "form": form, "key_needed": services.key_needed(ev), "turnout": _turnout(ev)},
            status=400 if form.errors else 200,
        )
    )


@round_action
def tally_round(request, ev):
    ev = services.evaluation_tally(actor=request.user, evaluation=ev)
    if ev.status == Evaluation.Status.VOID:
        messages.error(request, ev.void_reason)
        return redirect("evaluations:detail", pk=ev.pk)
    messages.success(request, _("The round is tallied. Only the office sees the results until it publishes them."))
    return redirect("evaluations:results", pk=ev.pk)


@round_action
def publish_round(request, ev):
    services.evaluation_publish(actor=request.user, evaluation=ev)
    messages.success(request, _("The results are published."))
    return redirect("evaluations:results", pk=ev.pk)


@round_action
def void_round(request, ev):
    form = VoidForm(request.POST)
    if not form.is_valid():
        raise ServiceError(_("Give the reason why the round is void."))
    services.evaluation_void(actor=request.user, evaluation=ev, reason=form.cleaned_data["reason"])


@require_POST
def codes_issue(request, pk):
    """Issue codes and answer with their printable file: the codes exist only in this download."""
    from .documents import code_list_xlsx, code_sheet_pdf

    ev = get_evaluation_for_user(request.user, pk, write=True)
    form = CodesForm(request.POST, evaluation=ev)
    if not form.is_valid():
        messages.error(request, _("Choose a group and how many codes (1–2000)."))
        return redirect("evaluations:detail", pk=ev.pk)
    group, fmt = form.cleaned_data["group"], form.cleaned_data["fmt"]
    try:
        batch, codes = services.codes_issue(
            actor=request.user, evaluation=ev, group=group, count=form.cleaned_data["count"]
        )
    except ServiceError as e:
        _refused(request, e)
        return redirect("evaluations:detail", pk=ev.pk)
    slips = services.code_slips(services.public_base_url(request), codes)
    if fmt == "xlsx":
        body, ctype = (
            code_list_xlsx(ev, group, slips),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        body, ctype = code_sheet_pdf(ev, group, slips), "application/pdf"
    del codes, slips
    response = HttpResponse(body, content_type=ctype)
    name = f"{ev.name}-{group.name}-{batch.pk}.{fmt}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return _no_store(response)


@round_action
def paper_issue(request, ev):
    form = CountForm(request.POST, evaluation=ev)
    if not form.is_valid():
        raise ServiceError(_("Choose a group and how many paper ballots."))
    services.paper_issue(actor=request.user, group=form.cleaned_data["group"], count=form.cleaned_data["count"])


def paper_batch_new(request, pk):
    ev = get_evaluation_for_user(request.user, pk, write=True)
    questions = services.ballot_questions(ev)
    grades = list(ev.grades.all())
    if request.method == "POST":
        try:
            counts = {}
            for target, items in questions:
                for item in items:
                    for g in grades:
                        raw = request.POST.get(f"c-{target.pk}-{item.pk}-{g.pk}", "").strip() or "0"
                        counts[(target.pk, item.pk, g.pk)] = int(raw)
            group = get_object_or_404(ev.groups, pk=request.POST.get("group"))
            batch = services.paper_batch_enter(
                actor=request.user,
                evaluation=ev,
                group=group,
                label=request.POST.get("label", ""),
                returned=int(request.POST.get("returned") or 0),
                invalid=int(request.POST.get("invalid") or 0),
                counts=counts,
            )
        except ValueError:
            messages.error(request, _("Counts must be whole numbers."))
        except ServiceError as e:
            _refused(request, e)
        else:
            messages.success(
                request, _("Batch “%(batch)s” entered; a second person must now check it.") % {"batch": batch.label}
            )
            return redirect("evaluations:detail", pk=ev.pk)
    return render(
        request,
        "evaluations/paper_batch.html",
        {"ev": ev, "questions": questions, "grades": grades, "groups": ev.groups.all(), "post": request.POST},
    )


@require_POST
def paper_batch_check(request, batch_pk):
    batch = get_paper_batch_for_user(request.user, batch_pk, write=True)
    form = CheckForm(request.POST)
    form.is_valid()
    try:
        services.paper_batch_check(
            actor=request.user,
            batch=batch,
            approve=form.cleaned_data.get("approve", False),
            note=form.cleaned_data.get("note", ""),
        )
    except ServiceError as e:
        _refused(request, e)
    else:
        batch.evaluation.refresh_from_db()
        if batch.evaluation.over_return_reason:
            messages.error(request, batch.evaluation.over_return_reason)
    return redirect("evaluations:detail", pk=batch.evaluation_id)


@require_POST
def paper_batch_send_back(request, batch_pk):
    """Send a checked batch back for correction: its counts stop counting at once."""
    batch = get_paper_batch_for_user(request.user, batch_pk, write=True)
    try:
        services.paper_batch_send_back(actor=request.user, batch=batch, note=request.POST.get("note", ""))
    except ServiceError as e:
        _refused(request, e)
    return redirect("evaluations:detail", pk=batch.evaluation_id)


@round_action
def paper_void_lift(request, ev):
    services.paper_void_lift(actor=request.user, evaluation=ev, reason=request.POST.get("reason", ""))
    messages.success(request, _("The void is lifted."))


def symposium_new(request, pk):
    ev = get_evaluation_for_user(request.user, pk, write=True)
    form = SymposiumForm(request.POST or None, institution=ev.campaign.institution)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            sym = services.symposium_record(
                actor=request.user,
                evaluation=ev,
                unit=d["unit"],
                held_on=d["held_on"],
                place=d["place"],
                host=d["host"],
                notes=d["notes"],
                attendees=d["attendees"],
                opinions=d["opinions"],
            )
        except ServiceError as e:
            _refused(request, e)
        else:
            return redirect("evaluations:symposium", sym_pk=sym.pk)
    return render(request, "evaluations/symposium_form.html", {"ev": ev, "form": form})


def symposium_detail(request, sym_pk):
    sym = get_symposium_for_user(request.user, sym_pk)
    return render(
        request,
        "evaluations/symposium.html",
        {
            "sym": sym,
            "ev": sym.evaluation,
            "manage": can(request.user, Perm.EVALUATION_MANAGE, sym.evaluation.campaign.institution),
            "attendees": sym.attendees.all(),
            "opinions": sym.opinions.select_related("problem"),
        },
    )


@require_POST
def opinion_decide(request, opinion_pk):
    opinion = get_object_or_404(SymposiumOpinion.objects.select_related("symposium"), pk=opinion_pk)
    sym = get_symposium_for_user(request.user, opinion.symposium_id, write=True)
    try:
        if request.POST.get("decision") == "accept":
            services.symposium_opinion_accept(
                actor=request.user, opinion=opinion, severity=request.POST.get("severity", "medium")
            )
            messages.success(request, _("The opinion is now a problem in the ledger."))
        else:
            services.symposium_opinion_decline(
                actor=request.user, opinion=opinion, reason=request.POST.get("reason", "")
            )
    except ServiceError as e:
        _refused(request, e)
    return redirect("evaluations:symposium", sym_pk=sym.pk)


def results(request, pk):
    """Results once released to this user (see release.py); before that, turnout for the office and
    a sealed notice for everyone else."""
    ev = get_evaluation_for_user(request.user, pk)
    audience = results_audience(request.user, ev)
    ctx = {"ev": ev, "audience": audience.value, "manage": can(request.user, Perm.EVALUATION_MANAGE, ev.unit)}
    if audience == release_mod.Audience.RESULTS:
        data = release_mod.release(results_mod.collect(ev))
        ctx.update(
            data=data,
            chart=json.dumps(results_mod.chart(data), ensure_ascii=False, default=str),
            public=release_mod.public_release(
                results_mod.public_ratings(ev.campaign, units=[t["target"].unit for t in data["targets"]])
            ),
        )
    elif audience == release_mod.Audience.TURNOUT:
        ctx["turnout"] = _turnout(ev)
    return _no_store(render(request, "evaluations/results.html", ctx))


def export(request, pk, fmt):
    ev = get_evaluation_for_user(request.user, pk)
    if results_audience(request.user, ev) != release_mod.Audience.RESULTS:
        raise Http404
    data = release_mod.release(results_mod.collect(ev))
    if fmt == "xlsx":
        body, ctype = results_mod.to_xlsx(data), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "docx":
        body, ctype = (
            results_mod.to_docx(data),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    else:
        raise Http404
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(ev.name)}.{fmt}"
    return _no_store(response)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def final_grades(request, pk):
    """After publication: the office records each target's final grade as the deciding body decided
    it (with the reason where it differs from the tally) and its consequences."""
    ev = get_evaluation_for_user(request.user, pk, write=True)
    if results_audience(request.user, ev) != release_mod.Audience.RESULTS or not ev.published_on:
        messages.error(request, _("The final grade is recorded once the results are published."))
        return redirect("evaluations:detail", pk=ev.pk)
    options = services.final_grade_options(ev)
    if request.method == "POST":
        target = get_object_or_404(EvaluationTarget, pk=request.POST.get("target"), evaluation=ev)
        form = FinalGradeForm(request.POST, options=options)
        try:
            if not form.is_valid():
                raise ServiceError(
                    _("Check the final grade."), details=[str(e) for errs in form.errors.values() for e in errs]
                )
            services.final_grade_record(actor=request.user, target=target, **form.cleaned_data)
        except ServiceError as e:
            _refused(request, e)
        else:
            messages.success(request, _("The final grade of %(target)s was recorded.") % {"target": target})
        return redirect("evaluations:final_grades", pk=ev.pk)
    bands = list(ev.score_bands.all())
    rows = []
    for t in ev.targets.select_related("unit", "person", "final_grade"):
        final = getattr(t, "final_grade", None)
        initial = (
            {
                "grade": final.grade,
                "deciding_body": final.deciding_body,
                "decided_on": final.decided_on,
                "reason": final.reason,
                "bars_commendation": final.bars_commendation,
                "bars_promotion": final.bars_promotion,
                "period_months": final.period_months,
            }
            if final
            else {}
        )
        rows.append(
            {
                "target": t,
                "said": services.tally_said(t, bands),
                "final": final,
                "form": FinalGradeForm(options=options, initial=initial, auto_id=f"t{t.pk}_%s"),
            }
        )
    return render(request, "evaluations/final_grades.html", {"ev": ev, "rows": rows})


def components(request, pk):
    """The combined final score (综合得分): the office sets its parts and weights, and enters each
    target's values on this page or imports them from Excel. Locked once the results are published."""
    from . import components as components_mod

    ev = get_evaluation_for_user(request.user, pk, write=True)
    parts = components_mod.scheme(ev)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "scheme":
                form = ComponentSchemeForm(request.POST, components=parts)
                if not form.is_valid():
                    raise ServiceError(
                        _("The combined score was not saved."),
                        details=[str(e) for errs in form.errors.values() for e in errs],
                    )
                services.component_scheme_save(
                    actor=request.user,
                    evaluation=ev,
                    evaluation_name=form.cleaned_data["evaluation_name"],
                    evaluation_weight=form.cleaned_data["evaluation_weight"],
                    evaluation_full_marks=form.cleaned_data["evaluation_full_marks"],
                    parts=form.parts(),
                )
                messages.success(request, _("The parts of the combined score were saved."))
            elif request.POST.get("action") == "values":
                values = _posted_values(request, ev, [c for c in parts if not c.is_evaluation])
                n = services.component_values_save(actor=request.user, evaluation=ev, values=values)
                messages.success(request, _("%(n)s value(s) saved.") % {"n": n})
            else:
                raise ServiceError(_("Nothing was saved."))
        except ServiceError as e:
            _refused(request, e)
        return redirect("evaluations:components", pk=ev.pk)
    entered = [c for c in parts if not c.is_evaluation]
    stored = components_mod.stored_values(ev)
    targets = list(ev.targets.select_related("unit", "person"))
    rows = [
        {"target": t, "cells": [(f"v{t.pk}_{c.pk}", stored.get((c.pk, t.pk)), c) for c in entered]} for t in targets
    ]
    ctx = {
        "ev": ev,
        "parts": parts,
        "entered": entered,
        "rows": rows,
        "locked": bool(ev.published_on) or ev.status == Evaluation.Status.VOID,
        "formula": components_mod.combined_formula(parts) if parts else "",
        "form": ComponentSchemeForm(components=parts),
        "import_form": ComponentImportForm(),
    }
    return render(request, "evaluations/components.html", ctx)


def _posted_values(request, ev, entered) -> dict:
    """{(component id, target id): Decimal or None} from the values table; a cell that is not a
    number is refused with the target and the part named."""
    from .components import _number

    values, errors = {}, []
    for t in ev.targets.select_related("unit", "person"):
        for c in entered:
            raw = request.POST.get(f"v{t.pk}_{c.pk}")
            if raw is None:
                continue
            if not raw.strip():
                values[(c.pk, t.pk)] = None
                continue
            v = _number(raw)
            if v is None:
                errors.append(
                    _("%(target)s · %(component)s: %(problem)s")
                    % {"target": t, "component": c.name, "problem": _("not a number")}
                )
            values[(c.pk, t.pk)] = v
    if errors:
        raise ServiceError(_("Nothing was saved."), details=errors)
    return values


@require_POST
def components_import(request, pk):
    """Import the values from Excel: on any error nothing is stored and each error names its row and
    column (the first 30 are listed)."""
    ev = get_evaluation_for_user(request.user, pk, write=True)
    form = ComponentImportForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ServiceError(_("Choose the Excel file to import."))
        n = services.component_import(actor=request.user, evaluation=ev, upload=form.cleaned_data["file"])
    except ServiceError as e:
        more = len(e.details) - 30
        details = e.details[:30] + ([_("… and %(n)s more.") % {"n": more}] if more > 0 else [])
        messages.error(request, " ".join([e.message, *details]))
    else:
        messages.success(request, _("Imported: %(n)s value(s) changed.") % {"n": n})
    return redirect("evaluations:components", pk=ev.pk)


def components_template(request, pk):
    from .components import template_workbook

    ev = get_evaluation_for_user(request.user, pk, write=True)
    response = HttpResponse(
        template_workbook(ev), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = _("%(round)s combined score template") % {"round": ev.name}
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}.xlsx"
    return _no_store(response)


def public_ratings(request, campaign_pk):
    """The units' open public rating QR codes and their results (weaker guarantee, kept apart)."""
    campaign = get_object_or_404(Campaign.objects.select_related("institution"), pk=campaign_pk)
    if not can(request.user, Perm.EVALUATION_VIEW, campaign.institution):
        raise Http404
    participants = campaign.participants.select_related("unit")
    return render(
        request,
        "evaluations/public_ratings.html",
        {
            "campaign": campaign,
            "participants": participants,
            "ratings": release_mod.public_release(results_mod.public_ratings(campaign)),
            "public_base": services.public_base_url(request),
        },
    )


def rating_qr(request, campaign_pk, unit_pk):
    """A printable QR (SVG) of a unit's open public rating page."""
    import segno

    campaign = get_object_or_404(Campaign, pk=campaign_pk)
    if not can(request.user, Perm.EVALUATION_VIEW, campaign.institution):
        raise Http404
    p = get_object_or_404(campaign.participants.select_related("unit"), unit_id=unit_pk)
    from django.urls import reverse

    url = services.public_base_url(request) + reverse("evaluations_public:rate", args=[p.unit.public_code])
    buf = segno.make(url, error="m")
    from io import BytesIO

    out = BytesIO()
    buf.save(out, kind="svg", scale=8, border=2)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")
