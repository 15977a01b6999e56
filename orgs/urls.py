from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.index, name="index"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/supervision/", views.unit_supervision, name="unit_supervision"),
    path("people/", views.people, name="people"),
    path("people/search/", views.person_search, name="person_search"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/active/", views.person_active, name="person_active"),
    path("people/<int:pk>/posts/", views.post_add, name="post_add"),
    path("people/<int:pk>/roles/", views.role_add, name="role_add"),
    path("people/<int:pk>/login/", views.login_issue, name="login_issue"),
    path("posts/<int:pk>/remove/", views.post_remove, name="post_remove"),
    path("accounts/", views.accounts, name="accounts"),
    path("roles/", views.roles_index, name="roles"),
    path("roles/<int:pk>/remove/", views.role_remove, name="role_remove"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
