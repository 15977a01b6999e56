from problems.models import Opinion
from problems.services import opinion_submit, problem_create
from problems.tasks import opinion_similarity


def test_it_finds_similar_opinions_and_suggests_a_manifestation(
    cast, campaign, taxonomy, django_capture_on_commit_callbacks, client_for
):
    p = problem_create(
        actor=cast.user("office"),
        campaign=campaign,
        unit=cast.dept_a,
        description="上班时间迟到早退，脱岗串岗现象时有发生",
        channel="self_check",
        manifestations=[taxonomy["纪律涣散"]],
    )
    first = opinion_submit(
        campaign=campaign, unit=cast.dept_a, content="食堂饭菜价格偏高，质量一般", source="public_form"
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        new = opinion_submit(
            campaign=campaign, unit=cast.dept_a, content="有的老师上班迟到早退，经常脱岗", source="public_form"
        )
    assert callbacks == []  # no background task at submission: the task table would date it
    assert Opinion.objects.get(pk=new.pk).similar == []
    assert client_for(cast.user("office")).get(f"/problems/opinions/{new.pk}/").status_code == 200
    new = Opinion.objects.get(pk=new.pk)
    assert new.similar and new.similar[0] == {"kind": "problem", "id": p.pk, "score": new.similar[0]["score"]}
    assert all(s["id"] != first.pk for s in new.similar if s["kind"] == "opinion")
    assert new.suggested_manifestation == taxonomy["纪律涣散"]
    assert new.status == Opinion.Status.NEW  # a suggestion only: nothing was applied


def test_it_survives_an_opinion_that_vanished(db):
    assert opinion_similarity.call(opinion_id=999999) == 0
