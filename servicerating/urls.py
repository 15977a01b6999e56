from django.urls import path

from . import views

app_name = "servicerating"
urlpatterns = [
    path("", views.index, name="index"),
    path("units/enable/", views.point_enable, name="point_enable"),
    path("units/<int:pk>/disable/", views.point_disable, name="point_disable"),
    path("units/<int:pk>/poster.pdf", views.poster, name="poster"),
    path("settings/", views.config_edit, name="settings"),
    path("entry/", views.reply_entry, name="entry"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("figures/", views.figures_page, name="figures"),
    path("rankings/", views.rankings_page, name="rankings"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<uuid:pk>/", views.case_detail, name="case"),
]
