"""Notify people: in-app always, e-mail when asked and an address is known."""

from collections.abc import Iterable

from django.db import transaction

from .models import Notification
from .tasks import send_notification_email


def notify(
    *,
    recipients: Iterable,
    title: str,
    body: str = "",
    url: str = "",
    kind: str = "info",
    email: bool = False,
) -> list[Notification]:
    """Create one notification per recipient (User objects; None and duplicates are skipped).

    E-mail goes out through the background worker after the transaction commits.
    """
    users = {u.pk: u for u in recipients if u is not None}
    created = Notification.objects.bulk_create(
        [Notification(recipient=u, kind=kind, title=title[:200], body=body, url=url) for u in users.values()]
    )
    if email:
        addresses = sorted({u.email for u in users.values() if u.email})
        if addresses:
            transaction.on_commit(
                lambda: send_notification_email.enqueue(to=addresses, subject=title, body=f"{body}\n{url}")
            )
    return created
