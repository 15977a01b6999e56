from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .models import Notification
from .selectors import notifications_for


def index(request):
    page = Paginator(notifications_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/index.html", {"page": page})


def open_one(request, pk: int):
    # Only the recipient's own notifications are reachable: others give 404.
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    return redirect(note.url or "notifications:index")


@require_POST
def read_all(request):
    notifications_for(request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications:index")
