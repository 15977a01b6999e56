"""The anonymity promises, checked against the schema and the stored data."""

import logging
import uuid

from django.apps import apps
from django.db import models

from audit.models import AuditRecord
from evaluations.models import Ballot, BallotAnswer, BallotToken, SealedBallot
from evaluations.services import code_hash

BALLOT_MODELS = [Ballot, BallotAnswer, SealedBallot]


def test_it_has_no_relation_from_a_ballot_to_a_token_or_a_person():
    person_like = {apps.get_model("orgs", "Person"), apps.get_model("orgs", "User"), BallotToken}
    for model in BALLOT_MODELS:
        for f in model._meta.get_fields():
            if f.is_relation and f.concrete:
                assert f.related_model not in person_like, f"{model.__name__}.{f.name}"
                # and no token one step further (group, evaluation, target, item, grade)
                for g in f.related_model._meta.get_fields():
                    if g.is_relation and g.concrete and g.many_to_one:
                        assert g.related_model is not BallotToken, f"{model.__name__}.{f.name}.{g.name}"
    # and no relation from a token to a ballot
    for f in BallotToken._meta.get_fields():
        assert not (f.is_relation and f.related_model in BALLOT_MODELS), f"BallotToken.{f.name}"


def test_it_keeps_no_time_on_ballots_and_no_time_finer_than_a_day_on_codes():
    for model in BALLOT_MODELS:
        for f in model._meta.concrete_fields:
            assert not isinstance(f, (models.DateField, models.TimeField)), f"{model.__name__}.{f.name}"
    for f in BallotToken._meta.concrete_fields:
        assert not isinstance(f, (models.DateTimeField, models.TimeField)), f"BallotToken.{f.name}"
        assert not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)


def test_it_uses_random_keys_for_ballots_and_answers():
    for model in BALLOT_MODELS:
        pk = model._meta.pk
        assert isinstance(pk, models.UUIDField) and pk.default is uuid.uuid4
    assert all(m._meta.ordering == [] for m in BALLOT_MODELS)


def test_it_stores_no_code_only_its_hash_and_no_shared_value(close_round, open_round, vote, office, caplog):
    ev, codes = open_round()
    a, b = list(ev.targets.all())
    caplog.set_level(logging.DEBUG)
    used = codes["党员"][:5]
    for code in used:
        vote(ev, code, {a: "满意", b: "不满意"})
    all_codes = [c for cs in codes.values() for c in cs]
    # while open: tokens are hashes with a day of use, ballots exist only sealed, all of one size
    for t in BallotToken.objects.all():
        assert t.code_hash not in all_codes and len(t.code_hash) == 64
    assert set(BallotToken.objects.filter(used_on__isnull=False).values_list("code_hash", flat=True)) == {
        code_hash(c) for c in used
    }
    assert not Ballot.objects.exists() and not BallotAnswer.objects.exists()
    assert len({len(bytes(b)) for b in SealedBallot.objects.values_list("box", flat=True)}) == 1
    token_values = set(BallotToken.objects.values_list("code_hash", flat=True))
    close_round(ev)
    # after close: no code, no hash, no sealed ballot is left; the groups keep counts
    assert not BallotToken.objects.exists() and not SealedBallot.objects.exists()
    assert {g.name: (g.codes_issued, g.codes_used) for g in ev.groups.all()} == {"党员": (6, 5), "群众": (6, 0)}
    assert Ballot.objects.count() == 5
    ballot_ids = {str(i) for i in Ballot.objects.values_list("id", flat=True)}
    for model in (Ballot, BallotAnswer):
        for row in model.objects.values():
            for k, v in row.items():
                assert str(v) not in token_values, f"{model.__name__}.{k}"
                assert not any(c in str(v) for c in all_codes)
    # the audit trail holds only aggregated facts: no code, no hash, no ballot id
    for rec in AuditRecord.objects.all():
        text = f"{rec.object_id} {rec.object_repr} {rec.changes}"
        assert not any(c in text for c in all_codes)
        assert not any(h in text for h in token_values)
        assert not any(i in text for i in ballot_ids)
    assert not AuditRecord.objects.filter(action__icontains="ballot").exists()
    # nothing about ballots or codes in the logs
    logged = caplog.text
    assert not any(c in logged for c in all_codes) and not any(i in logged for i in ballot_ids)


def test_it_gives_ballots_no_order_that_follows_the_casting(close_round, open_round, vote):
    """Keys are random: sorting ballots by key does not give the order in which they were cast."""
    ev, codes = open_round(codes_per_group=10)
    a, b = list(ev.targets.all())
    for code in codes["党员"]:
        vote(ev, code, {a: "满意", b: "满意"})
    sealed = list(SealedBallot.objects.values_list("id", flat=True))
    assert len(sealed) == 10 and {i.version for i in sealed} == {4}
    close_round(ev)
    ids = list(Ballot.objects.values_list("id", flat=True))
    assert len(ids) == 10 and {i.version for i in ids} == {4} and not set(ids) & set(sealed)
