from django.conf import settings

from .nav import nav_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"site_name": settings.SITE_NAME}
    from notifications.selectors import unread_count

    return {
        "site_name": settings.SITE_NAME,
        "nav_items": nav_for(user, request.path),
        "unread_notifications": unread_count(user),
    }
