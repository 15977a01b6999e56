import pytest


@pytest.fixture
def taxonomy(db):
    """The default manifestations etc. (seeded by migration; re-created after transactional flushes)."""
    from problems.models import Manifestation
    from problems.services import taxonomy_ensure

    taxonomy_ensure()
    return {m.name: m for m in Manifestation.objects.all()}


def opinions_entered(cast, campaign, contents, units=None, source=None):
    """Opinions entered by the campaign office, one a text of `contents`, the i-th about units[i % len(units)]
    (default: dept_a only), from `source` (default: a symposium)."""
    from problems.models import Opinion
    from problems.services import opinion_enter

    units, source = units or [cast.dept_a], source or Opinion.Source.SYMPOSIUM
    return [
        opinion_enter(
            actor=cast.user("office"), campaign=campaign, unit=units[i % len(units)], content=text, source=source
        )
        for i, text in enumerate(contents)
    ]
