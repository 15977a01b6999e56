from django.urls import path

from . import public_views

app_name = "problems_public"
urlpatterns = [
    path("receipt/", public_views.receipt, name="receipt"),
    path("<str:code>/", public_views.opinion_form, name="form"),
]
