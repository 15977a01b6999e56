"""The public portal (no login): institutions by their public code, items by random codes."""

from django.urls import path

from . import public_views as views

app_name = "disclosure_public"
urlpatterns = [
    path("", views.index, name="index"),
    path("overview/", views.overview, name="overview"),
    path("item/<str:code>/", views.item, name="item"),
    path("item/<str:code>/opinion/", views.item_opinion, name="item_opinion"),
    path("item/<str:code>/follow/", views.item_follow, name="item_follow"),
    path("follow/<str:code>/", views.follow, name="follow"),
    path("follow/<str:code>/stop/", views.follow_stop, name="follow_stop"),
    path("i/<str:public_code>/", views.institution, name="institution"),
    path("i/<str:public_code>/data.json", views.institution_json, name="institution_json"),
    path("i/<str:public_code>/commitments/", views.commitments, name="commitments"),
    path("i/<str:public_code>/snapshots/<str:code>/", views.snapshot, name="snapshot"),
    path("i/<str:public_code>/snapshots/<str:code>/data.json", views.snapshot_json, name="snapshot_json"),
    path("i/<str:public_code>/snapshots/<str:code>/compare/", views.compare, name="compare"),
]
