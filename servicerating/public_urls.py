"""Public service rating pages: no login (core.middleware.PUBLIC_PREFIXES has /s/)."""

from django.urls import path

from . import public_views

app_name = "servicerating_public"
urlpatterns = [
    path("receipt/", public_views.receipt, name="receipt"),
    path("<str:code>/", public_views.rate, name="rate"),
]
