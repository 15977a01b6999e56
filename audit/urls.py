from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.index, name="index"),
    path("anchors/", views.anchor_senders, name="anchor_senders"),
    path("anchors/<int:pk>/", views.anchor_sender, name="anchor_sender"),
    path("anchors/<int:pk>/download/", views.anchor_download, name="anchor_download"),
]
