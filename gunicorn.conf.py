"""gunicorn settings for `make run` and deployments."""

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
# Ballot addresses (/v/…) carry one-time codes: the access log shows the prefix only, never the code.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


class RedactBallotCodes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict) and isinstance(args.get("U"), str) and args["U"].startswith("/v/"):
            args["U"] = "/v/…"
            args["r"] = "/v/…"
        # Service ratings (/s/…): no address, unit, size or duration, which could tell who rated what
        # (a 不满意 rating answers with a longer page and opens a case).
        if isinstance(args, dict) and isinstance(args.get("U"), str) and args["U"].startswith("/s/"):
            args.update({"U": "/s/…", "r": "/s/…", "h": "-", "b": "-", "M": "-"})
        return True


def on_starting(server):
    logging.getLogger("gunicorn.access").addFilter(RedactBallotCodes())
