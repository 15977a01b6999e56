from django.urls import path

from . import import_views, views

app_name = "analysis"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("campaign/<int:pk>/", views.campaign_dashboard, name="campaign"),
    path("campaign/<int:pk>/stages/", views.campaign_stages, name="campaign_stages"),
    path("campaign/<int:pk>/reports/", views.campaign_reports, name="reports"),
    path("campaign/<int:pk>/reports/new/", views.report_new, name="report_new"),
    path("campaign/<int:pk>/ledgers/", views.ledgers, name="ledgers"),
    path("campaign/<int:pk>/import/", import_views.import_upload, name="import_upload"),
    path("campaign/<int:pk>/status-words/", import_views.status_words, name="status_words"),
    path("campaign/<int:pk>/names/", import_views.names, name="names"),
    path("campaign/<int:pk>/closeout/", import_views.closeout, name="closeout"),
    path("import/<int:pk>/", import_views.import_preview, name="import_preview"),
    path("city/<int:pk>/", views.city_dashboard, name="city"),
    path("city/<int:pk>/reports/", views.city_reports, name="city_reports"),
    path("city/<int:pk>/reports/new/", views.city_report_new, name="city_report_new"),
    path("report/<int:pk>/", views.report_detail, name="report"),
    path("report/<int:pk>/generate/", views.report_generate, name="report_generate"),
    path("report/<int:pk>/cases/", views.case_add, name="case_add"),
    path("case/<int:pk>/remove/", views.case_remove, name="case_remove"),
    path("run/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("run/<int:pk>/file/<str:fmt>/", views.run_file, name="run_file"),
    path("export/<int:pk>/progress/", views.export_progress, name="export_progress"),
    path("export/<int:pk>/download/", views.export_file, name="export_file"),
]
