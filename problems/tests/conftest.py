import pytest


@pytest.fixture
def taxonomy(db):
    """The default manifestations etc. (seeded by migration; re-created after transactional flushes)."""
    from problems.models import Manifestation
    from problems.services import taxonomy_ensure

    taxonomy_ensure()
    return {m.name: m for m in Manifestation.objects.all()}
