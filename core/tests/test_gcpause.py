import gc

import pytest

from core.gcpause import gc_paused


@pytest.fixture
def collector_restored():
    was_on = gc.isenabled()
    yield
    (gc.enable if was_on else gc.disable)()


def test_the_collector_is_off_inside_and_back_on_after_even_on_an_error(collector_restored):
    gc.enable()
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the inner one leaves it off for the outer
            pass
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off(collector_restored):
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()
