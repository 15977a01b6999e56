"""Production settings plus one baseline view under the public ballot prefix (bench/urls.py).

Only the benchmark's own gunicorn uses this module; the site never does."""

from rectify.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
