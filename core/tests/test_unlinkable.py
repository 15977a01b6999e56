import logging
from datetime import date

from django.test import RequestFactory

from core.unlinkable import AnonymousRequestFilter, anonymous_endpoint


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def logger_with(filter_):
    logger = logging.getLogger(f"test.unlinkable.{id(filter_)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = Collect()
    handler.addFilter(filter_)
    logger.addHandler(handler)
    return logger, handler


def access(logger, path, status="200", address="203.0.113.7"):
    atoms = {
        "h": address,
        "t": "[29/Nov/2026:10:03:12 +0800]",
        "m": "POST",
        "U": path,
        "s": status,
        "b": "512",
        "M": "8",
    }
    logger.info('%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms', atoms)


def test_it_counts_anonymous_requests_per_day_instead_of_logging_them():
    day = [date(2026, 11, 29)]
    f = AnonymousRequestFilter(today=lambda: day[0])
    logger, handler = logger_with(f)
    access(logger, "/o/AbCdEf/")
    access(logger, "/v/secretcode/")
    access(logger, "/accounts/login/", "302")
    access(logger, "/public/item/xyz/opinion/")
    assert handler.lines == ['203.0.113.7 [29/Nov/2026:10:03:12 +0800] "POST /accounts/login/" 302 512 8ms']
    day[0] = date(2026, 11, 30)
    access(logger, "/accounts/login/", "302")  # the first line of a new day writes the old day's counts
    assert handler.lines[1:4] == [
        "2026-11-29 POST /o/… 200 ×1",
        "2026-11-29 POST /public/item/…/opinion/ 200 ×1",
        "2026-11-29 POST /v/… 200 ×1",
    ]
    assert not [line for line in handler.lines if ("/o/" in line or "/v/" in line) and "203.0.113.7" in line]


def test_it_keeps_djangos_bad_request_warnings_about_anonymous_pages_out_of_the_log():
    f = AnonymousRequestFilter(today=lambda: date(2026, 11, 29))
    logger, handler = logger_with(f)
    request = RequestFactory().post("/problems/opinions/new/", REMOTE_ADDR="203.0.113.7")
    logger.warning("Bad Request: %s", request.path, extra={"request": request, "status_code": 400})
    other = RequestFactory().get("/problems/")
    logger.warning("Not Found: %s", other.path, extra={"request": other, "status_code": 404})
    assert handler.lines == ["Not Found: /problems/"]
    f.flush(logger)
    assert handler.lines[-1] == "2026-11-29 POST /problems/opinions/new/ 400 ×1"


def test_it_knows_the_anonymous_endpoints():
    assert anonymous_endpoint("/o/receipt/") == "/o/…"
    assert anonymous_endpoint("/problems/peer-reviews/") == "/problems/peer-reviews/"
    assert anonymous_endpoint("/problems/opinions/") is None
    assert anonymous_endpoint("/public/i/abc/") is None
