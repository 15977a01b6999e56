"""Organisation pages of the campaign office: units, people, posts, 分管, roles, logins, Excel import."""

import secrets

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.auth import ThrottledAuthenticationForm
from core.exceptions import ServiceError
from core.storage import delete_temporary, open_temporary, save_temporary

from . import importing, services
from .access import Perm, can
from .forms import (
    BulkLoginForm,
    ImportForm,
    PeopleFilterForm,
    PersonForm,
    PostForm,
    RoleForm,
    SitePasswordChangeForm,
    SupervisionForm,
    UnitForm,
)
from .models import Person, Post, RoleAssignment, Unit
from .selectors import (
    accounts_overview,
    get_person_for_user,
    get_post_for_user,
    get_role_assignment_for_user,
    get_unit_for_user,
    leadership_candidates,
    managed_units,
    people_for_bulk_login,
    people_search,
    person_picker_search,
    require_org_manager,
    unit_tree,
)


# The site's own log-in and password pages. Template names are our own on purpose: Django's admin
# (installed first) ships registration/password_change_form.html, which would otherwise win.
class LoginView(auth_views.LoginView):
    template_name = "orgs/account/login.html"
    redirect_authenticated_user = True
    authentication_form = ThrottledAuthenticationForm  # exponential delays per account and address

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled_for:
            response.status_code = 429
            response["Retry-After"] = str(form.throttled_for)
        return response


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    """Forced on the first log-in (core.middleware); afterwards the user lands on their home page."""

    template_name = "orgs/account/password_change.html"
    form_class = SitePasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(actor=self.request.user, user=self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return response


def password_change_done(request):
    """Kept for old links: the change now lands on the home page."""
    return redirect("home")


# ---------------------------------------------------------------- units


def index(request):
    require_org_manager(request.user)
    return render(request, "orgs/index.html", {"rows": unit_tree(request.user)})


def unit_create(request):
    require_org_manager(request.user)
    managed = managed_units(request.user)
    parent = None
    if request.GET.get("parent"):
        parent = get_unit_for_user(request.user, int(request.GET["parent"]), write=True)
    form = UnitForm(request.POST or None, managed=managed, initial={"parent": parent, "kind": Unit.Kind.DEPARTMENT})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if d["parent"] is not None:
            get_unit_for_user(request.user, d["parent"].pk, write=True)
        try:
            unit = services.unit_create(
                actor=request.user,
                name=d["name"],
                kind=d["kind"],
                code=d["code"],
                parent=d["parent"],
                short_name=d["short_name"],
                sort_order=d["sort_order"] or 0,
            )
        except ServiceError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Unit %(name)s created.") % {"name": unit.name})
            return redirect("orgs:unit_detail", unit.pk)
    return render(request, "orgs/unit_form.html", {"form": form, "unit": None})


def unit_detail(request, pk: int):
    unit = get_unit_for_user(request.user, pk)
    people = (
        unit.people.filter(active=True)
        .select_related("user")
        .prefetch_related(Prefetch("posts", queryset=Post.objects.filter(unit=unit)))
        .order_by("staff_no")
    )
    sup = unit.supervisors.select_related("leader").first()
    may_manage = can(request.user, Perm.ORG_MANAGE, unit)
    sup_form = None
    if may_manage and unit.institution_id and unit.kind not in (Unit.Kind.INSTITUTION, Unit.Kind.CITY_OFFICE):
        sup_form = SupervisionForm(
            initial={"leader": sup.leader if sup else None}, candidates=leadership_candidates(unit)
        )
    ctx = {
        "unit": unit,
        "people": people,
        "children": unit.children.order_by("sort_order", "name"),
        "supervision": sup,
        "sup_form": sup_form,
        "roles": unit.role_assignments.select_related("person"),
        "may_manage": may_manage,
        "ancestors": Unit.objects.filter(pk__in=[int(x) for x in unit.path.split("/") if x]).order_by("depth"),
    }
    return render(request, "orgs/unit_detail.html", ctx)


def unit_edit(request, pk: int):
    unit = get_unit_for_user(request.user, pk, write=True)
    form = UnitForm(request.POST or None, instance=unit, managed=managed_units(request.user))
    original = Unit.objects.get(pk=unit.pk)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if d["parent"] is not None and d["parent"].pk != original.parent_id:
            get_unit_for_user(request.user, d["parent"].pk, write=True)  # may only move into managed units
        try:
            services.unit_update(
                actor=request.user,
                unit=original,
                **{k: d[k] for k in ["name", "short_name", "code", "kind", "parent", "sort_order"]},
            )
        except ServiceError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Unit %(name)s saved.") % {"name": original.name})
            return redirect("orgs:unit_detail", unit.pk)
    return render(request, "orgs/unit_form.html", {"form": form, "unit": original})


@require_POST
def unit_supervision(request, pk: int):
    unit = get_unit_for_user(request.user, pk, write=True)
    form = SupervisionForm(request.POST, candidates=leadership_candidates(unit))
    if form.is_valid():
        try:
            if form.cleaned_data["leader"]:
                services.supervision_set(actor=request.user, leader=form.cleaned_data["leader"], unit=unit)
            else:
                services.supervision_clear(actor=request.user, unit=unit)
        except ServiceError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Supervision saved."))
    else:
        messages.error(request, _("Choose a member of the leadership team."))
    return redirect("orgs:unit_detail", unit.pk)


# ---------------------------------------------------------------- people

PAGE_SIZE = 50


def people(request):
    require_org_manager(request.user)
    managed = managed_units(request.user)
    form = PeopleFilterForm(request.GET or None, managed=managed)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = people_search(
        request.user,
        q=(filters.get("q") or "").strip(),
        unit=filters.get("unit"),
        active=filters.get("active") or "1",
        post=filters.get("post") or "",
    ).prefetch_related(Prefetch("posts", queryset=Post.objects.select_related("unit")))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "orgs/people.html", {"form": form, "page": page, "querystring": query.urlencode()})


def person_create(request):
    require_org_manager(request.user)
    managed = managed_units(request.user)
    initial = {}
    if request.GET.get("unit"):
        initial["unit"] = get_unit_for_user(request.user, int(request.GET["unit"]), write=True)
    form = PersonForm(request.POST or None, managed=managed, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        get_unit_for_user(request.user, d["unit"].pk, write=True)
        try:
            person = services.person_create(
                actor=request.user,
                **{k: d[k] for k in ["name", "staff_no", "unit"]},
                **{k: d[k] for k in ["gender", "birth_date", "title", "is_party_member", "phone", "email"]},
            )
        except ServiceError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("%(name)s added.") % {"name": person.name})
            return redirect("orgs:person_detail", person.pk)
    return render(request, "orgs/person_form.html", {"form": form, "person": None})


def person_detail(request, pk: int):
    person = get_person_for_user(request.user, pk)
    may_manage = can(request.user, Perm.ORG_MANAGE, person.unit)
    managed = managed_units(request.user)
    ctx = {
        "person": person,
        "posts": person.posts.select_related("unit"),
        "roles": person.roles.select_related("unit"),
        "supervisions": person.supervisions.select_related("unit"),
        "may_manage": may_manage,
        "post_form": PostForm(managed=managed, initial={"unit": person.unit}) if may_manage else None,
        "role_form": RoleForm(managed=managed) if may_manage else None,
    }
    return render(request, "orgs/person_detail.html", ctx)


def person_edit(request, pk: int):
    person = get_person_for_user(request.user, pk, write=True)
    original = Person.objects.select_related("unit").get(pk=person.pk)
    form = PersonForm(request.POST or None, instance=person, managed=managed_units(request.user))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if d["unit"].pk != original.unit_id:
            get_unit_for_user(request.user, d["unit"].pk, write=True)
        try:
            services.person_update(
                actor=request.user,
                person=original,
                **{k: d[k] for k in ["name", "staff_no", "unit", "gender", "birth_date", "title"]},
                **{k: d[k] for k in ["is_party_member", "phone", "email"]},
            )
        except ServiceError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": original.name})
            return redirect("orgs:person_detail", original.pk)
    return render(request, "orgs/person_form.html", {"form": form, "person": original})


@require_POST
def person_active(request, pk: int):
    person = get_person_for_user(request.user, pk, write=True)
    try:
        if request.POST.get("active") == "1":
            services.person_reactivate(actor=request.user, person=person)
            messages.success(request, _("%(name)s is active again.") % {"name": person.name})
        else:
            services.person_deactivate(actor=request.user, person=person)
            messages.success(request, _("%(name)s was deactivated and can no longer log in.") % {"name": person.name})
    except ServiceError as e:
        messages.error(request, e.message)
    return redirect("orgs:person_detail", person.pk)


@require_POST
def post_add(request, pk: int):
    person = get_person_for_user(request.user, pk, write=True)
    form = PostForm(request.POST, managed=managed_units(request.user))
    if form.is_valid():
        d = form.cleaned_data
        get_unit_for_user(request.user, d["unit"].pk, write=True)
        try:
            services.post_assign(
                actor=request.user,
                person=person,
                unit=d["unit"],
                kind=d["kind"],
                title=d["title"],
                start_date=d["start_date"],
            )
        except ServiceError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Post added."))
    else:
        messages.error(request, _("Check the post's unit and kind."))
    return redirect("orgs:person_detail", person.pk)


@require_POST
def post_remove(request, pk: int):
    post = get_post_for_user(request.user, pk, write=True)
    services.post_remove(actor=request.user, post=post)
    messages.success(request, _("Post removed."))
    return redirect("orgs:person_detail", post.person_id)


@require_POST
def role_add(request, pk: int):
    person = get_person_for_user(request.user, pk, write=True)
    form = RoleForm(request.POST, managed=managed_units(request.user))
    if form.is_valid():
        d = form.cleaned_data
        get_unit_for_user(request.user, d["unit"].pk, write=True)
        try:
            services.role_assign(
                actor=request.user,
                person=person,
                role=d["role"],
                unit=d["unit"],
                include_subunits=d["include_subunits"],
            )
        except ServiceError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Role given."))
    else:
        messages.error(request, _("Check the role and its unit."))
    return redirect("orgs:person_detail", person.pk)


@require_POST
def role_remove(request, pk: int):
    ra = get_role_assignment_for_user(request.user, pk, write=True)
    services.role_remove(actor=request.user, assignment=ra)
    messages.success(request, _("Role removed."))
    return redirect("orgs:person_detail", ra.person_id)


@require_POST
def login_issue(request, pk: int):
    """Issue or reset a login. The password is shown on this response only, never stored in clear."""
    person = get_person_for_user(request.user, pk, write=True)
    try:
        user, password = services.login_issue(actor=request.user, person=person)
    except ServiceError as e:
        messages.error(request, e.message)
        return redirect("orgs:person_detail", person.pk)
    response = render(request, "orgs/login_issued.html", {"person": person, "login": user, "password": password})
    response["Cache-Control"] = "no-store"
    return response


def accounts(request):
    """Bulk account issue: pick a unit, get a PDF of log-in slips (generated on the spot, never stored)."""
    require_org_manager(request.user)
    managed = managed_units(request.user)
    initial = {"unit": request.GET.get("unit")} if request.GET.get("unit") else None
    form = BulkLoginForm(request.POST or None, managed=managed, initial=initial)
    if request.method == "POST" and form.is_valid():
        unit = get_unit_for_user(request.user, form.cleaned_data["unit"].pk, write=True)
        site_url = request.build_absolute_uri("/")
        issued = services.logins_issue_bulk(
            actor=request.user,
            people=people_for_bulk_login(request.user, unit),
            reset_existing=form.cleaned_data["reset_existing"],
            email_site_url=site_url if form.cleaned_data["send_email"] else None,
        )
        if not issued:
            messages.info(request, _("Everyone in %(unit)s already has an account.") % {"unit": unit.name})
            return redirect(f"{reverse('orgs:accounts')}?unit={unit.pk}")
        response = HttpResponse(login_slips_pdf(issued, unit=unit, site_url=site_url), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="login-slips-{unit.code}.pdf"'
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "orgs/accounts.html", {"form": form, "rows": accounts_overview(request.user)})


def login_slips_pdf(issued: list[tuple[Person, str]], *, unit: Unit, site_url: str) -> bytes:
    """A4 sheets of cut-out log-in slips: name, unit, staff number, one-time password, address and QR."""
    import segno

    from core.documents import pdf_from_template

    qr = segno.make(site_url, error="m").svg_data_uri(scale=4, border=1)
    slips = [{"person": p, "password": pw} for p, pw in issued]
    institution = unit if unit.kind == Unit.Kind.INSTITUTION else unit.institution
    return pdf_from_template(
        "orgs/login_slips_pdf.html",
        {"slips": slips, "unit": unit, "institution": institution, "site_url": site_url, "qr": qr},
    )


# ---------------------------------------------------------------- import

IMPORT_SESSION_KEY = "orgs_import_file"


def import_template(request):
    require_org_manager(request.user)
    response = HttpResponse(
        importing.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E7%BB%84%E7%BB%87%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


def import_upload(request):
    """Upload → preview with row-by-row errors. The file waits (outside the web root) for the confirmation."""
    require_org_manager(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    ctx = {"form": form, "plan": None}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            plan = importing.validate(importing.parse(upload), managed_units(request.user))
        except ServiceError as e:
            form.add_error("file", e.message)
        else:
            ctx["plan"] = plan
            if plan.is_valid:
                upload.seek(0)
                name = save_temporary(f"orgs-import-{secrets.token_hex(16)}.xlsx", upload)
                token = secrets.token_hex(16)
                # The session (in the database) carries the stored name to whichever server gets the confirm.
                request.session[IMPORT_SESSION_KEY] = {"token": token, "name": name}
                ctx["token"] = token
    return render(request, "orgs/import.html", ctx)


@require_POST
def import_confirm(request):
    require_org_manager(request.user)
    token = request.POST.get("token", "")
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not token or not isinstance(pending, dict) or token != pending.get("token"):
        messages.error(request, _("That import has expired; upload the file again."))
        return redirect("orgs:import")
    name = pending["name"]
    try:
        with open_temporary(name) as f:
            plan, result = importing.import_workbook(f, actor=request.user, scope=managed_units(request.user))
    except FileNotFoundError:
        messages.error(request, _("That import has expired; upload the file again."))
        return redirect("orgs:import")
    except ServiceError as e:
        messages.error(request, e.message)
        return redirect("orgs:import")
    finally:
        delete_temporary(name)
        request.session.pop(IMPORT_SESSION_KEY, None)
    if result is None:
        # The organisation changed since the preview: show the errors again; nothing was imported.
        return render(request, "orgs/import.html", {"form": ImportForm(), "plan": plan})
    messages.success(
        request,
        _("Imported %(u)s units, %(p)s people, %(posts)s posts and %(s)s supervisions.")
        % {
            "u": result.units_created,
            "p": result.people_created,
            "posts": result.posts_created,
            "s": result.supervisions_set,
        },
    )
    if result.people_created:
        messages.info(request, _("The new people have no account yet: issue them below, one PDF of log-in slips."))
        return redirect("orgs:accounts")
    return redirect("orgs:index")


def roles_index(request):
    """Everyone holding a system role in the managed units."""
    require_org_manager(request.user)
    roles = (
        RoleAssignment.objects.filter(unit__in=managed_units(request.user))
        .select_related("person__unit", "unit")
        .order_by("role", "unit__path")
    )
    return render(request, "orgs/roles.html", {"roles": roles})


def person_search(request):
    """HTMX: the person picker's hits (only people the user may pick; see people_pickable_by)."""
    q = request.GET.get("q", "")
    hits, more = person_picker_search(request.user, q)
    return render(request, "orgs/widgets/_person_hits.html", {"hits": hits, "more": more, "q": q})
