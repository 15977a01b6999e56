"""The staff navigation, grouped by campaign stage. Each entry shows only to users who hold its
permission somewhere (None: every logged-in user; PERSON: everyone with a staff record)."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orgs.access import Perm, has_any, person_of

PERSON = "person"

# (group label, [(item label, url name, permission[, url names of pages that belong to the entry])]).
# The active entry is the one whose address (or one of its pages') is the longest prefix of the path.
NAV = [
    (
        pgettext_lazy("navigation group", "Workbench"),
        [
            (_("Home"), "home", None),
            (_("Notifications"), "notifications:index", None),
        ],
    ),
    (
        pgettext_lazy("navigation group", "Finding problems"),
        [
            (_("Self-check (对照自查)"), "problems:self_check", PERSON),
            (pgettext_lazy("navigation", "Peer reviews"), "problems:peer_reviews", PERSON),
            (_("Opinions"), "problems:opinions", Perm.OPINION_TRIAGE, ("problems:posters",)),
            (_("Problem ledger"), "problems:ledger", Perm.PROBLEM_VIEW),
            (_("Self-inspection reports"), "reports:index", None),
        ],
    ),
    (
        pgettext_lazy("navigation group", "Life meeting"),
        [(_("Life meetings"), "meetings:index", Perm.MEETING_VIEW)],
    ),
    (
        pgettext_lazy("navigation group", "Democratic evaluation"),
        [
            (_("Evaluations"), "evaluations:index", Perm.EVALUATION_VIEW),
            (_("Service ratings"), "servicerating:index", Perm.SERVICE_RATING_VIEW),
        ],
    ),
    (
        pgettext_lazy("navigation group", "Rectification"),
        [
            (_("Rectification"), "rectification:index", None),
            (_("Accountability"), "accountability:index", Perm.ACCOUNTABILITY_VIEW),
        ],
    ),
    (
        pgettext_lazy("navigation group", "Disclosure and analysis"),
        [
            (_("Disclosure"), "disclosure:manage", Perm.DISCLOSURE_MANAGE),
            (_("Dashboard"), "analysis:dashboard", Perm.ANALYSIS_VIEW),
        ],
    ),
    (
        pgettext_lazy("navigation group", "Administration"),
        [
            (_("Campaigns"), "campaigns:index", Perm.CAMPAIGN_VIEW),
            (_("Organisation"), "orgs:index", Perm.ORG_MANAGE),
            (pgettext_lazy("navigation", "Accounts"), "orgs:accounts", Perm.ORG_MANAGE),
            (_("Audit log"), "audit:index", Perm.AUDIT_VIEW),
        ],
    ),
]


def _allowed(user, perm, has_person: bool) -> bool:
    if perm is None:
        return True
    if perm == PERSON:
        return has_person
    return has_any(user, perm)


def nav_for(user, current_path: str) -> list[dict]:
    """[{"label", "items": [{"label", "url", "active"}]}], empty groups left out. The active entry is the
    one whose address is the longest prefix of the current path."""
    has_person = person_of(user) is not None
    groups = []
    for group_label, entries in NAV:
        items = []
        for label, url_name, perm, *pages in entries:
            if not _allowed(user, perm, has_person):
                continue
            try:
                url = reverse(url_name)
                owned = [url] + [reverse(name) for name in (pages[0] if pages else ())]
            except NoReverseMatch:
                continue  # that part of the system is not installed
            items.append({"label": label, "url": url, "active": False, "owns": owned})
        if items:
            groups.append({"label": group_label, "items": items})
    matches = [
        (len(prefix), i)
        for g in groups
        for i in g["items"]
        for prefix in i["owns"]
        if (current_path == prefix if prefix == "/" else current_path.startswith(prefix))
    ]
    if matches:
        max(matches, key=lambda m: m[0])[1]["active"] = True
    return groups


def nav_items(groups: list[dict]) -> list[dict]:
    """The flat list of entries (for tests and the compact menu)."""
    return [item for g in groups for item in g["items"]]
