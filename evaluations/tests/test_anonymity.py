"""The anonymity promises, checked against the schema and the stored data."""

import logging
import uuid

import pytest
from django.apps import apps
from django.db import models

from audit.models import AuditRecord
from evaluations.models import Ballot, BallotAnswer, BallotToken
from evaluations.services import code_hash, evaluation_close

BALLOT_MODELS = [Ballot, BallotAnswer]


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


def test_it_keeps_no_time_finer_than_a_day_on_ballots_and_tokens():
    for model in [*BALLOT_MODELS, BallotToken]:
        for f in model._meta.concrete_fields:
            assert not isinstance(f, (models.DateTimeField, models.TimeField)), f"{model.__name__}.{f.name}"
            assert not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)


def test_it_uses_random_keys_for_ballots_and_answers():
    for model in BALLOT_MODELS:
        pk = model._meta.pk
        assert isinstance(pk, models.UUIDField) and pk.default is uuid.uuid4
    assert Ballot._meta.ordering == [] and BallotAnswer._meta.ordering == []


def test_it_stores_no_code_only_its_hash_and_no_shared_value(open_round, vote, office, caplog):
    ev, codes = open_round()
    a, b = list(ev.targets.all())
    caplog.set_level(logging.DEBUG)
    used = codes["党员"][:5]
    for code in used:
        vote(ev, code, {a: "满意", b: "不满意"})
    evaluation_close(actor=office, evaluation=ev)
    all_codes = [c for cs in codes.values() for c in cs]
    # tokens: hashes only, dated use
    for t in BallotToken.objects.all():
        assert t.code_hash not in all_codes and len(t.code_hash) == 64
    assert set(BallotToken.objects.filter(used_on__isnull=False).values_list("code_hash", flat=True)) == {
        code_hash(c) for c in used
    }
    # ballots: nothing of a token in any column
    token_values = set(BallotToken.objects.values_list("code_hash", flat=True))
    token_ids = {str(i) for i in BallotToken.objects.values_list("id", flat=True)}
    assert not token_ids & {str(i) for i in Ballot.objects.values_list("id", flat=True)}
    for model in BALLOT_MODELS:
        for row in model.objects.values():
            for k, v in row.items():
                assert str(v) not in token_values, f"{model.__name__}.{k}"
                assert not any(c in str(v) for c in all_codes)
    # the audit trail holds only aggregated facts: no code, no hash, no ballot id
    ballot_ids = {str(i) for i in Ballot.objects.values_list("id", flat=True)}
    for rec in AuditRecord.objects.all():
        text = f"{rec.object_id} {rec.object_repr} {rec.changes}"
        assert not any(c in text for c in all_codes)
        assert not any(h in text for h in token_values)
        assert not any(i in text for i in ballot_ids)
    assert not AuditRecord.objects.filter(action__icontains="ballot").exists()
    # nothing about ballots or codes in the logs
    logged = caplog.text
    assert not any(c in logged for c in all_codes) and not any(i in logged for i in ballot_ids)


def test_it_gives_ballots_no_order_that_follows_the_casting(open_round, vote):
    """Keys are random: sorting ballots by key does not give the order in which they were cast."""
    ev, codes = open_round(codes_per_group=10)
    a, b = list(ev.targets.all())
    for code in codes["党员"]:
        vote(ev, code, {a: "满意", b: "满意"})
    ids = list(Ballot.objects.values_list("id", flat=True))
    assert len(ids) == 10 and len({i.version for i in ids}) == 1 and ids[0].version == 4


@pytest.mark.parametrize("preset", ["satisfaction"])
def test_it_spends_a_code_and_stores_a_ballot_on_the_same_day_only(open_round, vote, preset):
    from django.utils import timezone

    ev, codes = open_round(preset=preset)
    a, b = list(ev.targets.all())
    vote(ev, codes["群众"][0], {a: "满意", b: "满意"})
    assert Ballot.objects.get().cast_on == timezone.localdate()
    assert BallotToken.objects.get(used_on__isnull=False).used_on == timezone.localdate()
