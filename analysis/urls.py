from django.urls import path

from . import views

app_name = "analysis"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("campaign/<int:pk>/", views.campaign_dashboard, name="campaign"),
    path("campaign/<int:pk>/stages/", views.campaign_stages, name="campaign_stages"),
    path("city/<int:pk>/", views.city_dashboard, name="city"),
]
