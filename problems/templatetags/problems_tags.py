from django import template

from orgs.access import Perm, has_any

register = template.Library()


@register.simple_tag
def may_triage(user) -> bool:
    """Does the user triage opinions anywhere (for the sub-navigation)?"""
    return has_any(user, Perm.OPINION_TRIAGE)
