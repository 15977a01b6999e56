from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render

from orgs.selectors import my_units

from .registry import tasks_for


def home(request):
    return render(request, "core/home.html", {"tasks": tasks_for(request.user), "units": my_units(request.user)})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
