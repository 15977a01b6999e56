"""problems.similarity.compute_many: a day's opinions scored in one pass, never against themselves."""

from problems.models import Opinion
from problems.services import opinion_submit, problem_create
from problems.similarity import compute_many


def test_it_scores_a_burst_in_one_pass(cast, campaign, taxonomy):
    p = problem_create(
        actor=cast.user("office"),
        campaign=campaign,
        unit=cast.dept_a,
        description="上班时间迟到早退，脱岗串岗现象时有发生",
        channel="self_check",
        manifestations=[taxonomy["纪律涣散"]],
    )
    texts = ["有的老师上班迟到早退，经常脱岗", "老师上班迟到早退，脱岗严重", "食堂饭菜价格偏高，质量一般"]
    made = [opinion_submit(campaign=campaign, unit=cast.dept_a, content=t, source="public_form") for t in texts]
    opinions = list(Opinion.objects.filter(pk__in=[o.pk for o in made]))
    hints = compute_many(opinions)
    assert set(hints) == {o.pk for o in made}
    late, late_too, canteen = (hints[o.pk] for o in made)
    ids = {(s["kind"], s["id"]) for s in late[0]}
    assert ("problem", p.pk) in ids and ("opinion", made[1].pk) in ids  # each other, in the same burst
    assert all(s["id"] != made[0].pk for s in late[0] if s["kind"] == "opinion")  # never itself
    assert late[1] == taxonomy["纪律涣散"] and late_too[1] == taxonomy["纪律涣散"]
    assert all(s["id"] != made[0].pk for s in canteen[0])
