"""The site's URLs plus the baselines the benchmarks compare with (never served by the real site)."""

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from rectify.urls import urlpatterns as site_urlpatterns


@csrf_exempt
def baseline_row(request):
    """P1's baseline: the least a ballot can cost, one row written in a transaction, same server."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO bench_row (note) VALUES (%s)", [request.POST.get("note", "x")[:40]])
    return HttpResponse("ok")


# Under /v/ like the ballot pages: every other anonymous address is sent to the log-in page.
urlpatterns = [path("v/_bench/row", baseline_row), *site_urlpatterns]
