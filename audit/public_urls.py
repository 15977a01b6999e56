"""The city office's instance: where institutions' instances POST their audit anchors (no log-in: each
POST is signed with the sender's secret, audit.anchors.signature)."""

from django.urls import path

from . import views

app_name = "audit_public"
urlpatterns = [path("receive/", views.anchor_receive, name="anchor_receive")]
