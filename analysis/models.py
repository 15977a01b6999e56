from django.db import models  # noqa: F401  (models come with this app's issue)
