"""gunicorn settings for `make run` and deployments."""

import gc
import logging
import os

workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 120
# The control socket (gunicornc) is per instance or not at all: gunicorn's default is one path per
# user ($XDG_RUNTIME_DIR/gunicorn.ctl), which every instance on a host would share.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
    control_socket_mode = 0o600
else:
    control_socket_disable = True
# Ctrl-C / SIGTERM: finish requests in flight for at most 5 s, then stop.
graceful_timeout = 5
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

# Requests to anonymous endpoints (ballots /v/, opinion forms and receipts /o/, the staff opinion
# form, peer reviews, public supervision opinions) never get a line of their own: no address, no
# time, no position among other requests. Each worker counts them per day and writes one line per
# day and endpoint when the day is over (or when the worker stops). See core/unlinkable.py.
_anonymous_filter = None


def _filter():
    global _anonymous_filter
    if _anonymous_filter is None:
        from core.unlinkable import AnonymousRequestFilter

        _anonymous_filter = AnonymousRequestFilter()
    return _anonymous_filter


def on_starting(server):
    logging.getLogger("gunicorn.access").addFilter(_filter())


def post_fork(server, worker):
    _filter().tally.take()  # a worker starts with an empty tally (the master's is not its own)


def worker_exit(server, worker):
    _filter().flush(logging.getLogger("gunicorn.access"))


def post_worker_init(worker):
    # What a worker holds once the site is loaded (Django, the apps and their modules) lives as long as the
    # worker: moved out of the cyclic collector's reach, its passes walk what requests make instead of the
    # whole site each time. Those passes were the slow tail of a city office's pages (SQLite, full city, a
    # filtered ledger page: p95 174 → 118 ms in one process, median unchanged).
    gc.freeze()
