from django.urls import path

from . import views, views_opinions, views_peer

app_name = "problems"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("export.xlsx", views.ledger_export, name="ledger_export"),
    path("new/", views.create, name="create"),
    path("self-check/", views.self_check, name="self_check"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/fix/", views.fix_at_once, name="fix_at_once"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("opinions/", views_opinions.triage_list, name="opinions"),
    path("opinions/new/", views_opinions.staff_new, name="opinion_new"),
    path("opinions/enter/", views_opinions.office_enter, name="opinion_enter"),
    path("opinions/bulk/", views_opinions.triage_bulk, name="opinions_bulk"),
    path("opinions/export.xlsx", views_opinions.opinions_export, name="opinions_export"),
    path("opinions/<int:pk>/", views_opinions.triage_detail, name="opinion"),
    path("opinions/<int:pk>/accept/", views_opinions.triage_accept, name="opinion_accept"),
    path("opinions/<int:pk>/merge/", views_opinions.triage_merge, name="opinion_merge"),
    path("opinions/<int:pk>/close/", views_opinions.triage_close, name="opinion_close"),
    path("posters/", views_opinions.posters, name="posters"),
    path("posters/<int:unit_pk>.pdf", views_opinions.poster_pdf, name="poster"),
    path("peer-reviews/", views_peer.index, name="peer_reviews"),
    path("peer-reviews/<int:pk>/answer/", views_peer.answer, name="peer_review_answer"),
]
