from django.contrib import admin
from django.urls import include, path

from jobs import views as jobs_views
from orgs import views as orgs_views

from . import views as shell_views

urlpatterns = [
    path("", shell_views.home, name="home"),
    path("healthz", jobs_views.healthz, name="healthz"),
    path("accounts/login/", orgs_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", orgs_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", orgs_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", orgs_views.password_change_done, name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("orgs/", include("orgs.urls")),
    path("audit/", include("audit.urls")),
    path("notifications/", include("notifications.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("problems/", include("problems.urls")),
    path("reports/", include("reports.urls")),
    path("accountability/", include("accountability.urls")),
    path("meetings/", include("meetings.urls")),
    path("evaluations/", include("evaluations.urls")),
    path("paperballots/", include("paperballots.urls")),
    path("rectification/", include("rectification.urls")),
    path("analysis/", include("analysis.urls")),
    path("disclosure/", include("disclosure.urls")),
    path("servicerating/", include("servicerating.urls")),
    # Public, no login (see core.middleware.PUBLIC_PREFIXES): each app's public_urls.py.
    path("public/", include("disclosure.public_urls")),  # the disclosure portal
    path("o/", include("problems.public_urls")),  # opinion form, receipt look-up
    path("v/", include("evaluations.public_urls")),  # ballots, open public rating
    path("s/", include("servicerating.public_urls")),  # 双评议 service rating by QR, receipt look-up
    path("anchors/", include("audit.public_urls")),  # the city office receives institutions' audit anchors
]

handler400 = "rectify.views.error_400"
handler403 = "rectify.views.error_403"
handler404 = "rectify.views.error_404"
# 500 renders templates/500.html with no context (Django's default handler), so it needs nothing that can fail.
