from django.http import HttpResponse

from .health import checks


def healthz(request):
    """Public, for load balancers and monitoring: 200 when every check passes, 503 otherwise; one
    line per check ("worker ok 2 alive")."""
    results = checks()
    body = "\n".join(f"{c.name} {'ok' if c.ok else 'FAIL'} {c.detail}" for c in results) + "\n"
    response = HttpResponse(body, content_type="text/plain", status=200 if all(c.ok for c in results) else 503)
    response["Cache-Control"] = "no-store"
    return response
