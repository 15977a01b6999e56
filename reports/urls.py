from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("queue/", views.queue, name="queue"),
    path("states/", views.states, name="states"),
    path("start/", views.start, name="start"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/problem/", views.add_problem, name="add_problem"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/reroute/", views.reroute, name="reroute"),
    path("<int:pk>/diff/", views.diff, name="diff"),
    path("<int:pk>/export.docx", views.export_docx, name="export_docx"),
    path("<int:pk>/export.pdf", views.export_pdf, name="export_pdf"),
]
