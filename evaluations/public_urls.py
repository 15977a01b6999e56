from django.urls import path  # noqa: F401

app_name = "evaluations_public"
urlpatterns: list = []
