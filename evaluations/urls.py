from django.urls import path

from . import views

app_name = "evaluations"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/targets/", views.target_add, name="target_add"),
    path("<int:pk>/targets/<int:target_pk>/remove/", views.target_remove, name="target_remove"),
    path("<int:pk>/items/", views.item_save, name="item_add"),
    path("<int:pk>/items/<int:item_pk>/", views.item_save, name="item_save"),
    path("<int:pk>/items/<int:item_pk>/delete/", views.item_delete, name="item_delete"),
    path("<int:pk>/grades/", views.grade_save, name="grade_add"),
    path("<int:pk>/grades/<int:grade_pk>/", views.grade_save, name="grade_save"),
    path("<int:pk>/grades/<int:grade_pk>/delete/", views.grade_delete, name="grade_delete"),
    path("<int:pk>/groups/", views.group_save, name="group_add"),
    path("<int:pk>/groups/<int:group_pk>/", views.group_save, name="group_save"),
    path("<int:pk>/groups/<int:group_pk>/delete/", views.group_delete, name="group_delete"),
    path("<int:pk>/rule/", views.rule_update, name="rule"),
    path("<int:pk>/open/", views.open_round, name="open"),
    path("<int:pk>/close/", views.close_round, name="close"),
    path("<int:pk>/tally/", views.tally_round, name="tally"),
    path("<int:pk>/publish/", views.publish_round, name="publish"),
    path("<int:pk>/void/", views.void_round, name="void"),
    path("<int:pk>/codes/", views.codes_issue, name="codes_issue"),
    path("<int:pk>/paper/issue/", views.paper_issue, name="paper_issue"),
    path("<int:pk>/paper/new/", views.paper_batch_new, name="paper_batch_new"),
    path("paper/<int:batch_pk>/check/", views.paper_batch_check, name="paper_batch_check"),
    path("<int:pk>/symposia/new/", views.symposium_new, name="symposium_new"),
    path("symposia/<int:sym_pk>/", views.symposium_detail, name="symposium"),
    path("opinions/<int:opinion_pk>/", views.opinion_decide, name="opinion_decide"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results.<str:fmt>", views.export, name="export"),
    path("campaigns/<int:campaign_pk>/public-ratings/", views.public_ratings, name="public_ratings"),
    path("campaigns/<int:campaign_pk>/public-ratings/<int:unit_pk>/qr.svg", views.rating_qr, name="rating_qr"),
]
