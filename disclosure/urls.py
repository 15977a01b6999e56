from django.urls import path

from . import views

app_name = "disclosure"
urlpatterns = [
    path("", views.manage, name="manage"),
    path("internal/", views.internal, name="internal"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/<int:pk>/snapshot/", views.snapshot_create, name="snapshot_create"),
    path("campaigns/<int:pk>/refresh/", views.refresh, name="refresh"),
]
