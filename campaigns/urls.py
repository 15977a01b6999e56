from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.index, name="index"),
    path("switch/", views.switch, name="switch"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/activate/", views.activate, name="activate"),
    path("unit/<int:pk>/", views.participant, name="participant"),
    path("unit/<int:pk>/advance/", views.advance, name="advance"),
]
