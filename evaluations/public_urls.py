"""Public ballot and rating pages. The one-time code never appears in these paths (see public_views)."""

from django.urls import path

from . import public_views

app_name = "evaluations_public"
urlpatterns = [
    path("", public_views.ballot_start, name="start"),
    path("ballot", public_views.ballot_open, name="open"),
    path("submit", public_views.ballot_submit, name="submit"),
    path("thanks", public_views.ballot_thanks, name="thanks"),
    path("r/<str:public_code>/", public_views.rate, name="rate"),
]
