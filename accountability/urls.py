from django.urls import path

from . import views

app_name = "accountability"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("people/<int:person_pk>/", views.person_record, name="person"),
    path("<int:pk>/propose/", views.propose, name="propose"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/statement/", views.statement, name="statement"),
    path("<int:pk>/close/", views.close, name="close"),
]
