"""The navigation: each entry shows only to users who hold its permission somewhere."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from orgs.access import Perm, has_any

# (label, url name, permission or None for every logged-in user)
NAV = [
    (_("Home"), "home", None),
    (_("Campaigns"), "campaigns:index", Perm.CAMPAIGN_VIEW),
    (_("Problem ledger"), "problems:ledger", Perm.PROBLEM_VIEW),
    (_("Opinions"), "problems:opinions", Perm.OPINION_TRIAGE),
    (_("Self-inspection reports"), "reports:index", None),
    (_("Life meetings"), "meetings:index", Perm.MEETING_VIEW),
    (_("Evaluations"), "evaluations:index", Perm.EVALUATION_VIEW),
    (_("Service ratings"), "servicerating:index", Perm.SERVICE_RATING_VIEW),
    (_("Rectification"), "rectification:index", None),
    (_("Accountability"), "accountability:index", Perm.ACCOUNTABILITY_VIEW),
    (_("Disclosure"), "disclosure:manage", Perm.DISCLOSURE_MANAGE),
    (_("Dashboard"), "analysis:dashboard", Perm.ANALYSIS_VIEW),
    (_("Organisation"), "orgs:index", Perm.ORG_MANAGE),
    (_("Audit log"), "audit:index", Perm.AUDIT_VIEW),
]


def nav_for(user, current_path: str) -> list[dict]:
    items = []
    for label, url_name, perm in NAV:
        if perm is not None and not has_any(user, perm):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # that part of the system is not installed
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": label, "url": url, "active": active})
    return items
