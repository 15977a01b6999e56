"""The site's URLs plus the baselines the benchmarks compare with (never served by the real site)."""

from django.db import connection, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from rectify.urls import urlpatterns as site_urlpatterns

from . import p2


@csrf_exempt
def baseline_row(request):
    """P1's baseline: the least a ballot can cost, one row written in a transaction, same server."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO bench_row (note) VALUES (%s)", [request.POST.get("note", "x")[:40]])
    return HttpResponse("ok")


def _json(rows):
    return JsonResponse({"rows": [[str(v) if v is not None else None for v in r] for r in rows]})


def baseline_institution(request, pk: int):
    """P2's baseline for the institution dashboard: every figure it shows from one SQL query (bench/p2.py),
    as JSON, behind the same log-in as the page."""
    from analysis.selectors import warning_thresholds
    from campaigns.models import Campaign

    campaign = Campaign.objects.select_related("institution").filter(pk=pk).first()
    if campaign is None:
        raise Http404
    green, yellow = warning_thresholds(campaign)
    params = p2.institution_params(campaign, campaign.institution, timezone.localdate(), green, yellow)
    return _json(p2.run(connection, p2.institution_sql(connection.vendor), params))


def baseline_city(request, pk: int):
    """P2's baseline for the city dashboard: every figure it shows from one SQL query (bench/p2.py)."""
    from orgs.models import Unit

    city = Unit.objects.filter(pk=pk).first()
    if city is None:
        raise Http404
    return _json(p2.run(connection, p2.city_sql(connection.vendor), p2.city_params(city, timezone.localdate())))


urlpatterns = [
    # Under /v/ like the ballot pages: every other anonymous address is sent to the log-in page.
    path("v/_bench/row", baseline_row),
    # Behind the log-in like the dashboards (same middleware, same session).
    path("_bench/p2/institution/<int:pk>", baseline_institution),
    path("_bench/p2/city/<int:pk>", baseline_city),
    *site_urlpatterns,
]
