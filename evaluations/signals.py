"""Signals other apps listen to (evaluations imports none of them)."""

from django.dispatch import Signal

# Sent inside the tally's transaction, once the round is tallied or found void for too little
# participation (evaluation=..., paper=False when the round has no paper batch at all, so receivers about
# paper sheets have nothing to do). Receivers add what belongs to the counted round (e.g. the free texts
# typed from paper sheets); an error in a receiver rolls the tally back.
round_tallied = Signal()
