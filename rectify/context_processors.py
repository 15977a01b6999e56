from django.conf import settings

from .nav import nav_for, nav_items


def navigation(request) -> dict:
    """The site shell of every staff page: grouped navigation, unread count, campaign switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "must_change_password", False):
        return {"site_name": settings.SITE_NAME}
    from campaigns.current import choices_for_request, current_campaign
    from notifications.selectors import unread_count

    groups = nav_for(user, request.path)
    return {
        "site_name": settings.SITE_NAME,
        "nav_groups": groups,
        "nav_items": nav_items(groups),
        "unread_notifications": unread_count(user),
        "current_campaign": current_campaign(request),
        "campaign_choices": choices_for_request(request),
    }
