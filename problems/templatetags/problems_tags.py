from django import template

register = template.Library()


@register.simple_tag
def may_triage(user) -> bool:
    """Does the user triage opinions anywhere, or decide one routed to them (回避)? (sub-navigation)"""
    from problems.selectors import may_handle_opinions

    return may_handle_opinions(user)


@register.filter
def names(people) -> str:
    """The people's names joined with the Chinese enumeration comma (e.g. the persons recused)."""
    return "、".join(p.name for p in people)
