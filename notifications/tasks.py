from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def send_notification_email(*, to: list[str], subject: str, body: str) -> int:
    """Sent by the background worker so a slow mail server never blocks a page."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)
