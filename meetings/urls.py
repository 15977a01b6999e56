from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("", views.index, name="index"),
    path("schedule/<int:participant_pk>/", views.schedule, name="schedule"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/checklist/", views.checklist_partial, name="checklist"),
    path("<int:pk>/route-opinions/", views.route_opinions, name="route_opinions"),
    path("<int:pk>/talks/", views.talk_add, name="talk_add"),
    path("<int:pk>/members/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:member_pk>/remove/", views.member_remove, name="member_remove"),
    path("material/<int:member_pk>/", views.material, name="material"),
    path("material/<int:member_pk>/review/", views.material_review, name="material_review"),
    path("<int:pk>/record/", views.record, name="record"),
    path("<int:pk>/record/quorum/", views.quorum_partial, name="quorum"),
    path("record/attendance/<int:member_pk>/", views.record_attendance, name="attendance"),
    path("record/self-criticism/<int:member_pk>/", views.record_self_criticism, name="self_criticism"),
    path("<int:pk>/record/criticisms/", views.criticism_add, name="criticism_add"),
    path("<int:pk>/record/criticisms/list/", views.criticisms_partial, name="criticisms"),
    path("<int:pk>/record/criticisms/<int:item_pk>/delete/", views.criticism_delete, name="criticism_delete"),
    path("<int:pk>/record/measures/", views.measure_add, name="measure_add"),
    path("<int:pk>/record/measures/list/", views.measures_partial, name="measures"),
    path("<int:pk>/record/measures/<int:item_pk>/delete/", views.measure_delete, name="measure_delete"),
    path("<int:pk>/record/problems/", views.problem_add, name="problem_add"),
    path("<int:pk>/hold/", views.hold, name="hold"),
    path("<int:pk>/file/", views.file_minutes, name="file"),
    path("<int:pk>/minutes.docx", views.minutes, name="minutes"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
]
