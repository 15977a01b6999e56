from django.urls import path

from . import views

app_name = "paperballots"
urlpatterns = [
    path("round/<int:pk>/", views.round_page, name="round"),
    path("round/<int:pk>/print/", views.print_sheets, name="print"),
    path("round/<int:pk>/upload/", views.upload, name="upload"),
    path("batch/<int:pk>/", views.batch_page, name="batch"),
    path("batch/<int:pk>/progress/", views.batch_progress, name="progress"),
    path("batch/<int:pk>/submit/", views.submit, name="submit"),
    path("batch/<int:pk>/check/", views.check, name="check"),
    path("batch/<int:pk>/discard/", views.discard, name="discard"),
    path("answer/<uuid:pk>/", views.answer_decide, name="answer_decide"),
    path("answer/<uuid:pk>/image/", views.answer_crop, name="answer_crop"),
    path("text/<uuid:pk>/", views.text_type, name="text_type"),
    path("text/<uuid:pk>/image/", views.text_crop, name="text_crop"),
    path("rejected/<uuid:pk>/", views.rejected_decide, name="rejected_decide"),
    path("rejected/<uuid:pk>/image/", views.rejected_thumb, name="rejected_thumb"),
]
