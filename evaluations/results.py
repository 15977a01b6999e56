"""Figures of a round: `collect(evaluation)` computes every figure from the plain answer rows of a
closed round (Ballot/BallotAnswer) and the checked paper batches; it is the input of the tally and of
`release.release`, which decides what may be shown. Pages and exports (`to_xlsx`, `to_docx`,
`chart`) render only released data. Open public ratings are not part of this: see `public_ratings`.

Definitions (documented on the results page too):
- an answer is valid when its grade is a valid vote (不了解 is not);
- a ballot is valid for a target when it gives at least one valid answer to that target; paper
  ballots: a batch's valid ballots for a target are the most valid answers any item of it received;
- satisfaction rate = answers in satisfied grades / valid answers (all items, all groups);
- share of a grade = its answers / valid answers; for a grade that is not a vote (不了解) its answers /
  all answers (so the valid grades' shares add up to 100%);
- lowest-grade share = answers in the lowest grades / valid answers;
- score: by default the plain mean grade score over the valid answers (every valid ballot counts the
  same; when each ballot answers every item this is the mean over ballots); when the round weighs its
  groups, the weighted score = Σ weight × (mean grade score of the group) / Σ weight over groups with
  answers (a group without ballots does not pull it), shown beside the plain mean. The score that
  counts (pass rule, band) is the one the round chose;
- band: the first of the office's score bands that contains the score;
- by group, turnout, and what is withheld: see release.py.
"""

import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Count, F, Sum
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .components import combine, combined_formula, scheme, stored_values
from .fractions_text import compare, fraction_text
from .models import Ballot, BallotAnswer, Evaluation, EvaluationTarget, PaperBatch, PaperCount, PassRule

Q4 = Decimal("0.0001")
Q2 = Decimal("0.01")


def _ratio(n, d) -> Decimal | None:
    return (Decimal(n) / Decimal(d)).quantize(Q4, ROUND_HALF_UP) if d else None


@dataclass
class Figures:
    """Counts per grade and the rates derived from them."""

    counts: dict[int, int] = field(default_factory=dict)  # grade id → answers
    by_group: dict[int, dict[int, int]] = field(default_factory=dict)  # group id → grade id → answers

    def add(self, group_id: int, grade_id: int, n: int) -> None:
        self.counts[grade_id] = self.counts.get(grade_id, 0) + n
        g = self.by_group.setdefault(group_id, {})
        g[grade_id] = g.get(grade_id, 0) + n


def rates(counts: dict[int, int], grades: dict) -> dict:
    valid = sum(n for gid, n in counts.items() if grades[gid].is_valid)
    sat = sum(n for gid, n in counts.items() if grades[gid].is_valid and grades[gid].is_satisfied)
    low = sum(n for gid, n in counts.items() if grades[gid].is_valid and grades[gid].is_low)
    return {
        "valid_answers": valid,
        "satisfaction": _ratio(sat, valid),
        "low_share": _ratio(low, valid),
        "shares": grade_shares(counts, grades),
    }


def grade_shares(counts: dict[int, int], grades: dict) -> dict[int, Decimal | None]:
    """{grade id: share} for every grade of the round (see the module's definitions)."""
    valid = sum(n for gid, n in counts.items() if grades[gid].is_valid)
    every = sum(counts.values())
    return {gid: _ratio(counts.get(gid, 0), valid if g.is_valid else every) for gid, g in grades.items()}


def share_cell(shares: dict | None, grade):
    """The share of `grade` (a Decimal), or None where the release withheld it."""
    return None if shares is None else shares.get(grade.pk)


def mean_exact(counts: dict[int, int], grades: dict) -> Fraction | None:
    """The exact mean grade score over the valid scored answers."""
    scored = [
        (Fraction(grades[gid].score), n)
        for gid, n in counts.items()
        if grades[gid].is_valid and grades[gid].score is not None
    ]
    total = sum(n for _s, n in scored)
    return sum(s * n for s, n in scored) / total if total else None


def shown(value: Fraction | None) -> Decimal | None:
    """An exact score as shown (two places, half up); thresholds compare the exact value."""
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Q2, ROUND_HALF_UP)


def plain_score(counts: dict[int, int], grades: dict) -> Decimal | None:
    return shown(mean_exact(counts, grades))


def band_for(score, bands: list):
    """The first band that contains `score`, or None."""
    if score is None:
        return None
    return next((b for b in bands if b.contains(score)), None)


def scores(figures: "Figures", grades: dict, groups: dict, evaluation: Evaluation) -> dict:
    """{mean, weighted, score, score_exact}: the plain mean, the group-weighted score (only when the
    round weighs its groups), the one that counts (as shown) and its exact value (for the rules)."""
    mean = mean_exact(figures.counts, grades)
    if evaluation.score_method != Evaluation.ScoreMethod.GROUP_WEIGHTED:
        return {"mean": shown(mean), "weighted": None, "score": shown(mean), "score_exact": mean}
    weighted = weighted_exact(figures.by_group, grades, groups)
    return {"mean": shown(mean), "weighted": shown(weighted), "score": shown(weighted), "score_exact": weighted}


def weighted_exact(by_group: dict[int, dict[int, int]], grades: dict, groups: dict) -> Fraction | None:
    num = den = Fraction(0)
    for gid, counts in by_group.items():
        m = mean_exact(counts, grades)
        if m is not None:
            w = Fraction(groups[gid].weight)
            num += w * m
            den += w
    return num / den if den else None


def weighted_score(by_group: dict[int, dict[int, int]], grades: dict, groups: dict) -> Decimal | None:
    return shown(weighted_exact(by_group, grades, groups))


def _online(evaluation, targets: list, items: list, grades: dict):
    """The online ballots' figures: one GROUP BY (target, item, grade, group) over the stored answers,
    and the ballots per group. A ballot is valid for a target when it gives it at least one valid answer.
    Wherever every ballot of a group answered every item of a target once (as casting requires; an
    answer is stored once per ballot, target and item), the valid ballots are the group's ballots less
    those that answered every item of the target with a non-vote (不了解): none where some item got no
    non-vote from the group, else counted from the non-vote answers alone (`_all_non_votes`). Other
    (target, group) pairs are counted from the answers, ballot by ballot."""
    answers, ballots = _answers_and_ballots(evaluation)
    answered = defaultdict(lambda: defaultdict(int))  # (target, group) → item → answers
    non_votes = defaultdict(lambda: defaultdict(int))  # (target, group) → item → 不了解 answers
    for r in answers:
        key = (r["target_id"], r["ballot__group_id"])
        answered[key][r["item_id"]] += r["n"]
        if not grades[r["grade_id"]].is_valid:
            non_votes[key][r["item_id"]] += r["n"]
    kinds = {t.pk: t.kind for t in targets}
    applicable = {kind: {i.pk for i in items if i.applies(kind)} for kind in set(kinds.values())}
    valid, unsure = [], set()
    every_non_vote = {}  # (target, group) → its items: a ballot answering them all with non-votes is not valid
    for (tid, gid), by_item in answered.items():
        every_item = set(by_item) == applicable.get(kinds.get(tid), set()) and all(
            n == ballots.get(gid, 0) for n in by_item.values()
        )
        if not every_item:
            unsure.add((tid, gid))
        elif any(not non_votes[(tid, gid)].get(i) for i in by_item):
            valid.append({"target_id": tid, "ballot__group_id": gid, "n": ballots[gid]})
        else:
            every_non_vote[(tid, gid)] = set(by_item)
    if every_non_vote:
        rare = defaultdict(int)  # item → non-votes: the chain starts from the item with the fewest
        for by_item in non_votes.values():
            for i, n in by_item.items():
                rare[i] += n
        pairs = {key: tuple(sorted(i, key=lambda i: (rare[i], i))) for key, i in every_non_vote.items()}
        spoilt = _all_non_votes(evaluation, pairs, [gid for gid, g in grades.items() if not g.is_valid])
        for (tid, gid), _n in every_non_vote.items():
            n = ballots[gid] - spoilt.get((tid, gid), 0)
            if n:
                valid.append({"target_id": tid, "ballot__group_id": gid, "n": n})
    if unsure:
        counted = (
            BallotAnswer.objects.filter(
                ballot__evaluation=evaluation, grade__is_valid=True, target_id__in={t for t, _g in unsure}
            )
            .values("target_id", "ballot__group_id")
            .annotate(n=Count("ballot_id", distinct=True))
        )
        valid += [r for r in counted if (r["target_id"], r["ballot__group_id"]) in unsure]
    return answers, valid, ballots


def _answers_and_ballots(evaluation) -> tuple[list[dict], dict[int, int]]:
    """The answers counted per (target, item, grade, group) and the ballots per group, in one statement:
    the GROUP BY over the answers and the count of the ballots by group, joined by UNION ALL (a row
    without a target is a group's ballot count)."""
    from django.db import connection

    answer, ballot = BallotAnswer._meta.db_table, Ballot._meta.db_table
    sql = (
        f"SELECT a.target_id, a.item_id, a.grade_id, b.group_id, COUNT(*) FROM {answer} a"  # nosec B608 (model tables)
        f" JOIN {ballot} b ON b.id = a.ballot_id WHERE b.evaluation_id = %s"
        " GROUP BY a.target_id, a.item_id, a.grade_id, b.group_id"
        f" UNION ALL SELECT NULL, NULL, NULL, group_id, COUNT(*) FROM {ballot} WHERE evaluation_id = %s"
        " GROUP BY group_id"
    )
    answers, ballots = [], {}
    with connection.cursor() as cur:
        cur.execute(sql, [evaluation.pk, evaluation.pk])
        for target_id, item_id, grade_id, group_id, n in cur.fetchall():
            if target_id is None:
                ballots[group_id] = n
            else:
                answers.append(
                    {
                        "target_id": target_id,
                        "item_id": item_id,
                        "grade_id": grade_id,
                        "ballot__group_id": group_id,
                        "n": n,
                    }
                )
    return answers, ballots


def _all_non_votes(evaluation, pairs: dict, non_vote_grades: list) -> dict:
    """{(target, group): ballots that answered every one of the target's items `pairs[(target, group)]`
    with a non-vote}. One statement; for each set of items, the non-vote answers to its first item
    joined on (target, ballot) with the non-votes to each next item, all read from the index
    `ballot_answer_by_grade` (grade, item, target, ballot) alone: each item's non-votes come in
    (target, ballot) order, so PostgreSQL merges them without sorting, hashing or reading a row, and
    SQLite looks each one up in the same index. Only the ballots left (those with a non-vote on every
    item) are looked up for their group. The items come rarest first (fewest non-votes), so the chain
    narrows at once. Exact where the caller checked that every ballot of the group answered each of the
    items once."""
    from django.db import connection

    answer, ballot = BallotAnswer._meta.db_table, Ballot._meta.db_table
    chains = defaultdict(set)  # items in order → targets
    for (tid, _gid), items in pairs.items():
        chains[items].add(tid)
    grade_marks = ", ".join(["%s"] * len(non_vote_grades))
    parts, params = [], []
    for items, targets in sorted(chains.items()):
        joins = "".join(
            f" JOIN {answer} a{k} ON a{k}.grade_id IN ({grade_marks}) AND a{k}.item_id = %s"
            f" AND a{k}.target_id = a0.target_id AND a{k}.ballot_id = a0.ballot_id"
            for k in range(1, len(items))
        )
        parts.append(
            f"SELECT a0.target_id, b.group_id, COUNT(*) FROM {answer} a0{joins}"  # nosec B608 (model tables, %s marks)
            f" JOIN {ballot} b ON b.id = a0.ballot_id WHERE a0.grade_id IN ({grade_marks}) AND a0.item_id = %s"
            f" AND a0.target_id IN ({', '.join(['%s'] * len(targets))}) AND b.evaluation_id = %s"
            " GROUP BY a0.target_id, b.group_id"
        )
        for i in items[1:]:
            params += [*non_vote_grades, i]
        params += [*non_vote_grades, items[0], *sorted(targets), evaluation.pk]
    out = defaultdict(int)
    with connection.cursor() as cur:
        cur.execute(" UNION ALL ".join(parts), params)
        for tid, gid, ballots in cur.fetchall():
            if (tid, gid) in pairs:
                out[(tid, gid)] += ballots
    return out


def _paper(evaluation, parts: dict):
    if not parts["checked_batches"]:  # a round held online only: no batches, no counts to read
        return [], []
    batches = list(
        PaperBatch.objects.filter(evaluation=evaluation, status=PaperBatch.Status.CHECKED).values(
            "id", "group_id", "returned", "invalid"
        )
    )
    if not batches:  # a round held online only: no counts to read
        return [], batches
    counts = list(
        PaperCount.objects.filter(batch__in=[b["id"] for b in batches])
        .values("batch_id", "batch__group_id", "target_id", "item_id", "grade_id", "grade__is_valid")
        .annotate(n=Sum("count"))
    )
    return counts, batches


def round_subquery(model, where: str = "", params=(), *, count: bool = False, join: str = ""):
    """An annotation of an Evaluation query over `model`'s rows of the round, written as SQL: EXISTS (or,
    with `count`, the COUNT) of the rows whose evaluation is the outer row and that satisfy `where`
    (`%s` marks, `params`). The same statement the ORM's Exists/Subquery make, without resolving and
    compiling a queryset for each (about 1 ms of CPU apiece, issue #17 P6). `join` reaches the round
    through another table: "JOIN <table> r ON r.id = x.<column>", the round's column then being r's."""
    from django.db import connection
    from django.db.models import BooleanField, IntegerField
    from django.db.models.expressions import RawSQL

    qn = connection.ops.quote_name
    outer = f"{qn(Evaluation._meta.db_table)}.{qn('id')}"
    on = f"r.{qn('evaluation_id')}" if join else f"x.{qn(model._meta.get_field('evaluation').column)}"
    body = (
        f"FROM {qn(model._meta.db_table)} x {join} WHERE {on} = {outer}"  # nosec B608 (model meta)
        + (f" AND {where}" if where else "")
    )
    # callers pass fixed SQL (model meta, literal fragments); every value goes in `params`
    if count:
        return RawSQL(f"SELECT COUNT(*) {body}", tuple(params), output_field=IntegerField())  # nosec B611 (above)
    return RawSQL(f"EXISTS (SELECT 1 {body})", tuple(params), output_field=BooleanField())  # nosec B611 (above)


def part_flags() -> dict:
    """Annotations of an Evaluation query saying which optional parts the round has (score bands, score
    components, free texts, checked paper batches), so that `collect` reads only those it has: one
    statement instead of one per part."""
    from .models import FreeText, ScoreBand, ScoreComponent

    return {
        "has_bands": round_subquery(ScoreBand),
        "has_components": round_subquery(ScoreComponent),
        "has_free_texts": round_subquery(FreeText),
        "has_checked_batches": round_subquery(PaperBatch, "x.status = %s", [PaperBatch.Status.CHECKED.value]),
    }


def parts_of(row) -> dict:
    """{bands, components, free_texts, checked_batches: bool} from a row annotated with `part_flags`."""
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    return {k: bool(get("has_" + k)) for k in ("bands", "components", "free_texts", "checked_batches")}


def _rules(evaluation: Evaluation, grades: dict) -> list[PassRule]:
    """The round's rules, each with its grades (`rule.grades.all()` served from memory), in one statement:
    one row per rule and grade counted (the grades themselves are those of the round, read already)."""
    rules = {}
    chosen = defaultdict(set)
    for r in evaluation.rules.annotate(grade_pk=F("grades__id")):
        rules.setdefault(r.pk, r)
        if r.grade_pk is not None:
            chosen[r.pk].add(r.grade_pk)
    for pk, rule in rules.items():
        prefetched = rule.grades.all()  # the queryset `rule.grades.all()` returns from now on, filled here
        prefetched._result_cache = [g for gid, g in grades.items() if gid in chosen[pk]]
        prefetched._prefetch_done = True
        rule._prefetched_objects_cache = {PassRule.grades.field.name: prefetched}
    return list(rules.values())


def collect(evaluation: Evaluation, parts: dict | None = None) -> dict:
    """Every figure of the round, computed from the ballots and the checked paper batches. `parts`
    (`parts_of` a row annotated with `part_flags`) saves reading which parts the round has."""
    from .selectors import groups_with_code_counts

    if parts is None:
        parts = parts_of(Evaluation.objects.filter(pk=evaluation.pk).values(**part_flags()).get())
    grades = {g.pk: g for g in evaluation.grades.all()}
    every_group = {g.pk: g for g in groups_with_code_counts(evaluation)}
    # groups counted apart (e.g. 预备党员): tallied on their own, never in the main figures
    apart = {gid: g for gid, g in every_group.items() if g.counted_apart}
    groups = {gid: g for gid, g in every_group.items() if gid not in apart}
    items = list(evaluation.items.all())
    targets = list(evaluation.targets.select_related("unit", "person"))
    bands = list(evaluation.score_bands.all()) if parts["bands"] else []
    rules = _rules(evaluation, grades)
    answers, online_valid, ballots_by_group = _online(evaluation, targets, items, grades)
    paper_counts, batches = _paper(evaluation, parts)
    components = scheme(evaluation) if parts["components"] else []
    component_values = stored_values(evaluation) if components else {}

    per_target = {t.pk: Figures() for t in targets}
    per_item = {(t.pk, i.pk): Figures() for t in targets for i in items}
    per_apart = {t.pk: Figures() for t in targets}  # the groups counted apart, by group
    per_apart_item = {(t.pk, i.pk): Figures() for t in targets for i in items}
    valid = defaultdict(lambda: defaultdict(int))  # target → group → valid ballots (every group)

    # two-part forms: where a target has an overall item, its figures are that item's alone and the
    # other items together make the item-by-item part, tallied on its own
    overall = {t.pk: next((i.pk for i in items if i.is_overall and i.applies(t.kind)), None) for t in targets}
    per_part = {t.pk: Figures() for t in targets}

    def add(target_id, item_id, group_id, grade_id, n):
        whole = overall[target_id] is None or overall[target_id] == item_id
        if group_id in apart:
            if whole:
                per_apart[target_id].add(group_id, grade_id, n)
            per_apart_item[(target_id, item_id)].add(group_id, grade_id, n)
        else:
            if whole:
                per_target[target_id].add(group_id, grade_id, n)
            else:
                per_part[target_id].add(group_id, grade_id, n)
            per_item[(target_id, item_id)].add(group_id, grade_id, n)

    for r in answers:
        add(r["target_id"], r["item_id"], r["ballot__group_id"], r["grade_id"], r["n"])
    for r in online_valid:
        valid[r["target_id"]][r["ballot__group_id"]] += r["n"]
    paper_valid = defaultdict(int)  # (batch, target, item) → valid answers
    for r in paper_counts:
        add(r["target_id"], r["item_id"], r["batch__group_id"], r["grade_id"], r["n"])
        if r["grade__is_valid"]:
            paper_valid[(r["batch_id"], r["target_id"], r["item_id"])] += r["n"]
    batch_group = {b["id"]: b["group_id"] for b in batches}
    for t in targets:
        for b in batches:
            best = max((paper_valid.get((b["id"], t.pk, i.pk), 0) for i in items), default=0)
            valid[t.pk][batch_group[b["id"]]] += best

    for t in targets:  # with an overall item, a valid ballot is one with a valid overall grade
        if overall[t.pk] is not None:
            valid[t.pk] = defaultdict(int)
            for figs in (per_item[(t.pk, overall[t.pk])], per_apart_item[(t.pk, overall[t.pk])]):
                for gid, counts in figs.by_group.items():
                    valid[t.pk][gid] += sum(n for grade_id, n in counts.items() if grades[grade_id].is_valid)

    returned = defaultdict(int)
    spoilt = defaultdict(int)
    for b in batches:
        returned[b["group_id"]] += b["returned"]
        spoilt[b["group_id"]] += b["invalid"]
    cast_total = sum(n for gid, n in ballots_by_group.items() if gid not in apart) + sum(
        n for gid, n in returned.items() if gid not in apart
    )

    rows = []
    for t in targets:
        fig = per_target[t.pk]
        valid_by_group = {gid: valid[t.pk].get(gid, 0) for gid in groups}
        n_valid = sum(valid_by_group.values())
        item_rows = []
        for i in items:
            if not i.applies(t.kind):
                continue
            f = per_item[(t.pk, i.pk)]
            item_rows.append(
                {
                    "item": i,
                    "counts": f.counts,
                    **rates(f.counts, grades),
                    **scores(f, grades, groups, evaluation),
                }
            )
        row = {
            "target": t,
            "counts": fig.counts,
            "valid_ballots": n_valid,
            "invalid_ballots": max(cast_total - n_valid, 0),
            **rates(fig.counts, grades),
            **scores(fig, grades, groups, evaluation),
            "items": item_rows,
            "overall_item": next((i for i in items if i.pk == overall[t.pk]), None),
            "items_part": {
                "counts": per_part[t.pk].counts,
                **rates(per_part[t.pk].counts, grades),
                **scores(per_part[t.pk], grades, groups, evaluation),
            }
            if overall[t.pk] is not None
            else None,
            "by_group": fig.by_group,
            "valid_by_group": valid_by_group,
            "valid_every_group": dict(valid[t.pk]),
            "apart": [
                {
                    "group": g,
                    "valid": valid[t.pk].get(gid, 0),
                    "counts": per_apart[t.pk].by_group.get(gid, {}),
                    **rates(per_apart[t.pk].by_group.get(gid, {}), grades),
                    "mean": plain_score(per_apart[t.pk].by_group.get(gid, {}), grades),
                    "items": [
                        {
                            "item": i,
                            "counts": per_apart_item[(t.pk, i.pk)].by_group.get(gid, {}),
                            **rates(per_apart_item[(t.pk, i.pk)].by_group.get(gid, {}), grades),
                            "mean": plain_score(per_apart_item[(t.pk, i.pk)].by_group.get(gid, {}), grades),
                        }
                        for i in items
                        if i.applies(t.kind)
                    ],
                }
                for gid, g in sorted(apart.items(), key=lambda kv: kv[1].order)
            ],
        }
        row["band"] = band_for(row["score"], bands)
        row.update(judge(evaluation, row, rules, grades, groups))
        if components:  # the combined final score: the score that counts with the office's parts
            no_score = row["outcome"] not in (EvaluationTarget.Result.PASSED, EvaluationTarget.Result.FAILED)
            row.update(combine(components, component_values, t.pk, None if no_score else row["score_exact"]))
        rows.append(row)

    turnout = []
    for g in every_group.values():
        issued = g.codes + g.paper_issued
        came = g.codes_spent + returned[g.pk]
        turnout.append(
            {
                "group": g,
                "entitled": entitled(g),
                "codes": g.codes,
                "codes_used": g.codes_spent,
                "paper_issued": g.paper_issued,
                "paper_returned": returned[g.pk],
                "paper_spoilt": spoilt[g.pk],
                "issued": issued,
                "returned": came,
                "turnout": _ratio(came, issued),
                "apart": g.pk in apart,
            }
        )
    return {
        "evaluation": evaluation,
        "grades": list(grades.values()),
        "items": items,
        "groups": groups,
        "targets": rows,
        "bands": bands,
        "weighted": evaluation.score_method == Evaluation.ScoreMethod.GROUP_WEIGHTED,
        "turnout": turnout,
        "ballots": cast_total,
        "rules": rules,
        "void_reasons": round_void_reasons(evaluation, {t["group"].pk: t["returned"] for t in turnout}, groups),
        "apart_groups": apart,
        "every_group": every_group,
        "free_texts": free_texts_by_target(evaluation) if parts["free_texts"] else {},
        "components": components,
        "combined_formula": combined_formula(components) if components else "",
    }


def free_texts_by_target(evaluation: Evaluation) -> dict:
    """{target id: {group id: {field: [texts, sorted]}}}: the free texts of the round, read in no stored
    order (the rows have random keys and no order) and sorted here, so the page never shows the
    order in which they were written. Shown only through release (grouped, from the minimum on)."""
    from .models import FreeText

    out = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for t, g, f, text in FreeText.objects.filter(evaluation=evaluation).values_list(
        "target_id", "group_id", "field", "text"
    ):
        out[t][g][f].append(text)
    for per_group in out.values():
        for per_field in per_group.values():
            for texts in per_field.values():
                texts.sort()
    return out


def entitled(group) -> int:
    """Those entitled to take part in a group (应参评人数): as the office set it, else the ballots issued."""
    return group.entitled if group.entitled is not None else group.codes + group.paper_issued


def _short_of(evaluation: Evaluation, came: int, of: int) -> bool:
    """Whether `came` of `of` entitled misses the round's least participation (exact, no rounding)."""
    least = evaluation.participation
    if least is None or of <= 0:
        return False
    return not compare(Fraction(came, of), "gt" if evaluation.participation_strict else "gte", least)


def _participation_reasons(evaluation: Evaluation, came_by_group: dict, groups: dict, message: str) -> list[str]:
    """The reasons (thresholds named, never the figures) why participation falls short, per group
    (when the round asks it of each group) and over all groups."""
    if evaluation.participation is None:
        return []
    words = {"op": evaluation.participation_op(), "share": fraction_text(evaluation.participation)}
    reasons = []
    if evaluation.participation_per_group:
        for gid, g in sorted(groups.items(), key=lambda kv: kv[1].order):
            if _short_of(evaluation, came_by_group.get(gid, 0), entitled(g)):
                reasons.append(message % {**words, "who": _("group “%(group)s”") % {"group": g.name}})
    total_of = sum(entitled(g) for g in groups.values())
    if _short_of(evaluation, sum(came_by_group.get(gid, 0) for gid in groups), total_of):
        reasons.append(message % {**words, "who": _("all groups together")})
    return reasons


def round_void_reasons(evaluation: Evaluation, came_by_group: dict, groups: dict) -> list[str]:
    """Why the round is void for too little participation (ballots returned against those entitled)."""
    return _participation_reasons(
        evaluation,
        came_by_group,
        groups,
        _("%(who)s: the ballots returned must be %(op)s %(share)s of those entitled"),
    )


def rule_holds(rule: PassRule, row: dict, grades: dict) -> bool:
    """Whether `rule` holds for a target's figures, compared exactly (no rounding before comparing)."""
    if rule.measure == PassRule.Measure.SCORE:
        value = row.get("score_exact")
    else:
        counts = row["counts"]
        valid = sum(n for gid, n in counts.items() if grades[gid].is_valid)
        chosen = {g.pk for g in rule.grades.all()}
        value = Fraction(sum(n for gid, n in counts.items() if gid in chosen), valid) if valid else None
    return value is not None and compare(value, rule.comparison, rule.threshold)


def judge(evaluation: Evaluation, row: dict, rules: list, grades: dict, groups: dict) -> dict:
    """The target's outcome under the round's rules: no valid ballots, void (too little
    participation), failed (a rule that fails holds) or passed, with the reasons in words, and every
    rule that holds with its consequence."""
    R = EvaluationTarget.Result
    if not row["valid_ballots"]:
        return {"outcome": R.NO_BALLOTS, "passed": False, "fail_reasons": [_("no valid ballots")], "triggered": []}
    void = _participation_reasons(
        evaluation,
        row["valid_by_group"],
        groups,
        _("%(who)s: the valid ballots must be %(op)s %(share)s of those entitled"),
    )
    if void:
        return {"outcome": R.VOID, "passed": False, "fail_reasons": void, "triggered": []}
    triggered = [r for r in rules if rule_holds(r, row, grades)]
    reasons = [r.text() for r in triggered if r.fails]
    return {
        "outcome": R.FAILED if reasons else R.PASSED,
        "passed": not reasons,
        "fail_reasons": reasons,
        "triggered": triggered,
    }


def outcome_text(row: dict) -> str:
    """“Passed”, “Did not pass: reasons”, “Void: reasons”, “No valid ballots” (never 不过关 for void)."""
    R = EvaluationTarget.Result
    label = {
        R.PASSED: _("Passed"),
        R.FAILED: _("Did not pass"),
        R.VOID: str(R.VOID.label),
        R.NO_BALLOTS: str(R.NO_BALLOTS.label),
    }[row["outcome"]]
    reasons = [r for r in row["fail_reasons"] if row["outcome"] != R.NO_BALLOTS]
    return label + ("：" + "；".join(reasons) if reasons else "")


def consequences_text(row: dict) -> str:
    """What the rules that hold carry beyond pass/fail (each rule its own), e.g. “诫勉谈话（提出问责建议）”;
    a rule that only fails the target adds nothing here (the result says it)."""
    parts = []
    for r in row.get("triggered", []):
        text = r.outcome or (pgettext("evaluation rule", "does not pass") if r.proposes_case else "")
        if r.proposes_case:
            text += pgettext("evaluation rule", " (accountability proposed)")
        if text:
            parts.append(text)
    return "；".join(dict.fromkeys(parts))


def rank(targets: list[dict], evaluation: Evaluation) -> None:
    """Rank the targets by the score shown, in the round and within each kind of target: equal shown
    scores share a rank (1, 2, 2, 4) and are marked as tied; the office's first and last N are marked
    (a tie at the border is marked with it). Targets without a shown score (withheld, void, no
    ballots) are not ranked."""
    ranked = [r for r in targets if r.get("score") is not None and r["outcome"] in ("passed", "failed")]
    for r in targets:
        r.update(rank=None, rank_in_kind=None, tied=False, top=False, bottom=False)
    _competition(ranked, "rank", "tied")
    for kind in {r["target"].kind for r in ranked}:
        _competition([r for r in ranked if r["target"].kind == kind], "rank_in_kind", None)
    if ranked:
        worst = {id(r): pos for r, pos in _positions(ranked, reverse=False)}
        for r in ranked:
            r["top"] = bool(evaluation.rank_top) and r["rank"] <= evaluation.rank_top
            r["bottom"] = bool(evaluation.rank_bottom) and worst[id(r)] <= evaluation.rank_bottom
    # the combined final score is ranked the same way, on its own
    combined = [r for r in targets if r.get("combined") is not None]
    for r in targets:
        r.update(combined_rank=None, combined_rank_in_kind=None, combined_tied=False)
    _competition(combined, "combined_rank", "combined_tied", by="combined")
    for kind in {r["target"].kind for r in combined}:
        _competition([r for r in combined if r["target"].kind == kind], "combined_rank_in_kind", None, by="combined")


def _positions(rows: list[dict], *, reverse: bool = True, by: str = "score"):
    """(row, competition rank) by `by` (the score shown), best first (`reverse`) or worst first."""
    ordered = sorted(rows, key=lambda r: r[by], reverse=reverse)
    out, prev, pos = [], None, 0
    for i, r in enumerate(ordered, start=1):
        if r[by] != prev:
            pos, prev = i, r[by]
        out.append((r, pos))
    return out


def _competition(rows: list[dict], key: str, tied_key: str | None, *, by: str = "score") -> None:
    positions = _positions(rows, by=by)
    counts = defaultdict(int)
    for _r, pos in positions:
        counts[pos] += 1
    for r, pos in positions:
        r[key] = pos
        if tied_key:
            r[tied_key] = counts[pos] > 1


def count_cell(counts: dict | None, grade):
    """Answers for `grade`, or “—” where the release withheld the counts (None)."""
    return "—" if counts is None else counts.get(grade.pk, 0)


def percent(value) -> str:
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def chart(data: dict) -> dict:
    """A stacked bar chart of grade counts per target (for <canvas data-chart>)."""
    grades = list(data["grades"])
    greens = ["#2e7d32", "#66bb6a", "#a5d6a7"]
    worst = [g.pk for g in grades if g.is_valid and g.is_low][-1:]

    def colour(i: int, g) -> str:
        if not g.is_valid:
            return "#bdbdbd"
        if g.is_satisfied:
            return greens[min(i, 2)]
        if g.is_low:
            return "#c62828" if g.pk in worst else "#ef6c00"
        return "#fbc02d"

    return {
        "type": "bar",
        "data": {
            "labels": [str(r["target"]) for r in data["targets"]],
            "datasets": [
                {
                    "label": g.label,
                    "data": [(r["counts"] or {}).get(g.pk, 0) for r in data["targets"]],
                    "backgroundColor": colour(i, g),
                    "stack": "s",
                }
                for i, g in enumerate(grades)
            ],
        },
        "options": {
            "indexAxis": "y",
            "responsive": True,
            "maintainAspectRatio": False,  # one bar per target: the box's height grows with the targets
            "plugins": {"legend": {"position": "bottom"}},
        },
    }


@dataclass(frozen=True)
class Share:
    """A percentage in an export row: a number with a % format in Excel, “83.3%” in Word."""

    value: Decimal | None


def grade_cells(counts: dict | None, shares: dict | None, grades: list, *, split: bool) -> list:
    """Each grade's answers and share: two cells per grade (`split`, Excel) or one “6（50.0%）” (Word)."""
    out = []
    for g in grades:
        n, share = count_cell(counts, g), share_cell(shares, g)
        out += [n, Share(share)] if split else [n if share is None else f"{n}（{percent(share)}）"]
    return out


def grade_header(grades: list, *, split: bool) -> list[str]:
    if not split:
        return [g.label for g in grades]
    return [h for g in grades for h in (g.label, _("%(grade)s share") % {"grade": g.label})]


def score_header(data: dict, *, band: bool = True) -> list[str]:
    """The plain mean always; the weighted score when the round weighs its groups; the band when set."""
    return (
        [_("Score (plain mean)")]
        + ([_("Weighted score")] if data.get("weighted") else [])
        + ([_("Band")] if band and data.get("bands") else [])
    )


def score_cells(data: dict, row: dict, *, band: bool = True) -> list:
    cells = [_dash(row.get("mean"))]
    if data.get("weighted"):
        cells.append(_dash(row.get("weighted")))
    if band and data.get("bands"):
        cells.append(row["band"].label if row.get("band") else "—")
    return cells


def table_rows(data: dict, *, split: bool = False) -> tuple[list[str], list[list]]:
    """The results table (header, rows) shared by the Excel and Word exports (released data)."""
    header = (
        [_("Target"), _("Kind")]
        + grade_header(data["grades"], split=split)
        + [
            _("Valid ballots"),
            _("Invalid ballots"),
            _("Satisfaction rate"),
            _("Share of lowest grades"),
        ]
        + score_header(data)
        + [_("Rank"), _("Rank within its kind")]
        + combined_header(data)
        + [_("Result"), pgettext("evaluation rule", "Consequences")]
    )
    rows = []
    for r in data["targets"]:
        rows.append(
            [str(r["target"]), r["target"].get_kind_display()]
            + grade_cells(r["counts"], r.get("shares"), data["grades"], split=split)
            + [
                r["valid_ballots"],
                r["invalid_ballots"],
                Share(r["satisfaction"]),
                Share(r["low_share"]),
            ]
            + score_cells(data, r)
            + [
                _rank_cell(data, r),
                _dash(r.get("rank_in_kind")),
            ]
            + combined_cells(data, r)
            + [
                outcome_text(r),
                consequences_text(r) or None,
            ]
        )
    return header, rows


def combined_header(data: dict) -> list[str]:
    """The combined final score and its rank, when the round combines its score with other parts."""
    if not data.get("components"):
        return []
    return [pgettext("score component", "Combined score"), pgettext("score component", "Combined rank")]


def combined_value(row: dict):
    """The combined score shown, “Missing parts: 考勤” when a part is missing, “—” when withheld."""
    from .components import missing_text

    if row.get("combined") is not None:
        return row["combined"]
    return missing_text(row) if row.get("missing") else "—"


def combined_cells(data: dict, row: dict) -> list:
    if not data.get("components"):
        return []
    rank = row.get("combined_rank")
    if rank and row.get("combined_tied"):
        rank = f"{rank}{pgettext('ranking', '（tied）')}"
    return [combined_value(row), _dash(rank)]


def component_rows(data: dict) -> tuple[list[str], list[list]]:
    """Per target: each part of the combined score (its weight in the header), the combined score and
    its ranks, for the Excel sheet and the Word section."""
    header = (
        [_("Target"), _("Kind")]
        + [f"{c.name}（{c.weight.normalize():f}%）" for c in data["components"]]
        + [
            pgettext("score component", "Combined score"),
            pgettext("score component", "Combined rank"),
            _("Rank within its kind"),
        ]
    )
    rows = [
        [str(r["target"]), r["target"].get_kind_display()]
        + [_dash(v) for v in r.get("parts", [])]
        + combined_cells(data, r)
        + [_dash(r.get("combined_rank_in_kind"))]
        for r in data["targets"]
    ]
    return header, rows


def item_rows(data: dict, *, split: bool = False) -> tuple[list[str], list[list]]:
    """Per target and item: each grade's answers and share, satisfaction rate, weighted score."""
    header = (
        [_("Target"), pgettext("evaluation item", "Item")]
        + grade_header(data["grades"], split=split)
        + [_("Satisfaction rate")]
        + score_header(data, band=False)
    )
    rows = []
    for r in data["targets"]:
        parts = list(r["items"])
        if r.get("items_part"):
            parts.append({**r["items_part"], "label": _("Item-by-item part (all items but the overall grade)")})
        for it in parts:
            if "label" in it:
                label = it["label"]
            elif it["item"].is_overall:
                label = pgettext("two-part form", "%(item)s (overall grade)") % {"item": it["item"].text}
            else:
                label = it["item"].text
            rows.append(
                [str(r["target"]), label]
                + grade_cells(it["counts"], it.get("shares"), data["grades"], split=split)
                + [Share(it["satisfaction"])]
                + score_cells(data, it, band=False)
            )
    return header, rows


def group_rows(data: dict, *, split: bool = False) -> tuple[list[str], list[list]]:
    """Per target and evaluator group as released (small groups merged or withheld)."""
    header = (
        [_("Target"), _("Group"), _("Valid ballots")]
        + grade_header(data["grades"], split=split)
        + [_("Satisfaction rate")]
    )
    rows = [
        [str(r["target"]), g["name"], _dash(g["valid"])]
        + grade_cells(g["counts"], g.get("shares"), data["grades"], split=split)
        + [Share(g.get("satisfaction"))]
        for r in data["targets"]
        for g in r["groups"]
    ]
    return header, rows


def _rank_cell(data: dict, r: dict):
    """The rank, “2（并列）” when tied, with the first/last-N marks; “—” when not ranked."""
    if not r.get("rank"):
        return "—"
    text = str(r["rank"]) + (pgettext("ranking", "（tied）") if r.get("tied") else "")
    if r.get("top"):
        text += " " + pgettext("ranking", "first %(n)s") % {"n": data["evaluation"].rank_top}
    if r.get("bottom"):
        text += " " + pgettext("ranking", "last %(n)s") % {"n": data["evaluation"].rank_bottom}
    return text if text != str(r["rank"]) else r["rank"]


def apart_rows(data: dict, *, split: bool = False) -> tuple[list[str], list[list]]:
    """The groups counted apart (e.g. 预备党员), per target: for the Excel sheet and the Word section."""
    header = (
        [_("Target"), _("Group"), _("Valid ballots")]
        + grade_header(data["grades"], split=split)
        + [_("Satisfaction rate"), _("Score (plain mean)")]
    )
    rows = [
        [str(r["target"]), a["group"].name, _dash(a["valid"])]
        + grade_cells(a["counts"], a.get("shares"), data["grades"], split=split)
        + [Share(a.get("satisfaction")), _dash(a.get("mean"))]
        for r in data["targets"]
        for a in r.get("apart", [])
    ]
    return header, rows


def comment_rows(data: dict) -> tuple[list[str], list[list]]:
    """The free texts as released (grouped, sorted, only groups that reach the minimum)."""
    header = [_("Target"), _("Group"), pgettext("free text", "Field"), pgettext("free text", "Comment")]
    rows = [
        [str(r["target"]), g["name"], str(label), text]
        for r in data["targets"]
        for g in r.get("comments", {}).get("groups", [])
        for label, texts in g["fields"]
        for text in texts
    ]
    return header, rows


def _dash(value):
    return "—" if value is None else value


def _as_text(row: list) -> list:
    return [percent(v.value) if isinstance(v, Share) else v for v in row]


def _xlsx_append(ws, row: list, *, font=None) -> None:
    """One row of typed cells (core.excel.cell): formula-like text kept as typed with the quote-prefix
    style (no visible apostrophe), decimals as numbers, shares as numbers with a % format."""
    from core.excel import cell

    cells = []
    for v in row:
        if isinstance(v, Share):
            cells.append(cell(ws, v.value, number_format="0.0%") if v.value is not None else cell(ws, "—"))
        else:
            cells.append(cell(ws, v, font=font))
    ws.append(cells)


def to_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    ev = data["evaluation"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Results")[:31]
    _xlsx_append(ws, [ev.name], font=Font(bold=True, size=14))
    for sheet, (header, rows) in (
        (ws, table_rows(data, split=True)),
        (wb.create_sheet(_("By item")[:31]), item_rows(data, split=True)),
        (wb.create_sheet(_("By group")[:31]), group_rows(data, split=True)),
    ):
        _xlsx_append(sheet, header)
        for row in rows:
            _xlsx_append(sheet, row)
    if data.get("components"):
        sheet = wb.create_sheet(pgettext("score component", "Combined score")[:31])
        _xlsx_append(sheet, [combined_formula(data["components"])])
        header, rows = component_rows(data)
        _xlsx_append(sheet, header)
        for row in rows:
            _xlsx_append(sheet, row)
    if data.get("apart_groups"):
        apart = wb.create_sheet(_("Counted apart")[:31])
        header, rows = apart_rows(data, split=True)
        _xlsx_append(apart, header)
        for row in rows:
            _xlsx_append(apart, row)
    if any(r.get("comments", {}).get("groups") for r in data["targets"]):
        sheet = wb.create_sheet(pgettext("free text", "Comments")[:31])
        header, rows = comment_rows(data)
        _xlsx_append(sheet, header)
        for row in rows:
            _xlsx_append(sheet, row)
    turnout = wb.create_sheet(_("Turnout")[:31])
    turnout.append(
        [_("Group"), _("Codes issued"), _("Codes used"), _("Paper issued"), _("Paper returned"), _("Turnout")]
    )
    for t in [*data["turnout"]["rows"], data["turnout"]["total"]]:
        _xlsx_append(
            turnout,
            [t["name"]]
            + [_dash(t[k]) for k in ("codes", "codes_used", "paper_issued", "paper_returned")]
            + [Share(t["turnout"])],
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _numbered(n: int, title: str) -> str:
    """A top heading of the document: 五、参评情况 in Chinese, 5. Turnout in English."""
    from django.utils.translation import get_language

    from core.documents import cn_number

    number = cn_number(n) if (get_language() or "").startswith("zh") else str(n)
    return pgettext("numbered heading", "%(n)s. %(title)s") % {"n": number, "title": title}


def to_docx(data: dict) -> bytes:
    from django.utils import timezone

    from core.documents import docx_bytes, heading, official_document, paragraph, signature, table

    ev = data["evaluation"]
    doc = official_document(title=_("Results of %(round)s") % {"round": ev.name})
    passed = [r for r in data["targets"] if r["outcome"] == "passed"]
    failed = [r for r in data["targets"] if r["outcome"] == "failed"]
    heading(doc, _("1. Overview"), 1)
    paragraph(
        doc,
        _("%(targets)s targets were evaluated with %(ballots)s ballots; %(passed)s passed and %(failed)s did not pass.")
        % {"targets": len(data["targets"]), "ballots": data["ballots"], "passed": len(passed), "failed": len(failed)},
    )
    if failed:
        paragraph(doc, _("Did not pass: %(list)s.") % {"list": "、".join(str(r["target"]) for r in failed)})
    for title, (header, rows) in (
        (_("2. Results by target"), table_rows(data)),
        (_("3. Results by item"), item_rows(data)),
        (_("4. Results by evaluator group"), group_rows(data)),
    ):
        heading(doc, title, 1)
        table(doc, header, [_as_text(row) for row in rows])
    paragraph(
        doc,
        _(
            "Each grade: answers (share of valid answers). A group is shown on its own only with at least %(n)s "
            "valid ballots."
        )
        % {"n": data["minimum"]},
    )
    section = 5
    if data.get("components"):
        heading(doc, _numbered(section, pgettext("score component", "Combined score")), 1)
        paragraph(doc, combined_formula(data["components"]))
        header, rows = component_rows(data)
        table(doc, header, [[str(v) for v in row] for row in rows])
        section += 1
    if data.get("apart_groups"):
        heading(doc, _numbered(section, _("Groups counted apart")), 1)
        header, rows = apart_rows(data)
        table(doc, header, [_as_text(row) for row in rows])
        section += 1
    header, rows = comment_rows(data)
    if rows:
        heading(doc, _numbered(section, _("Comments (grouped, never in the order written)")), 1)
        table(doc, header, rows)
        section += 1
    heading(doc, _numbered(section, pgettext("results document", "Turnout")), 1)
    table(
        doc,
        [_("Group"), _("Ballots issued"), _("Ballots returned"), _("Turnout")],
        [
            [t["name"], t["issued"], _dash(t["returned"]), percent(t["turnout"])]
            for t in [*data["turnout"]["rows"], data["turnout"]["total"]]
        ],
    )
    signature(doc, str(ev.campaign.institution), timezone.localdate())
    return docx_bytes(doc)


def public_ratings(campaign, units=None) -> list[dict]:
    """Open public ratings per unit (kept apart: one person may rate more than once)."""
    from .models import PublicRating

    qs = PublicRating.objects.filter(campaign=campaign)
    if units is not None:
        qs = qs.filter(unit__in=units)
    per = defaultdict(lambda: defaultdict(int))
    names = {}
    for r in qs.values("unit_id", "unit__name", "grade").annotate(n=Count("id")):
        per[r["unit_id"]][r["grade"]] += r["n"]
        names[r["unit_id"]] = r["unit__name"]
    out = []
    for uid, c in per.items():
        total = sum(c.values())
        out.append(
            {
                "unit": names[uid],
                "counts": dict(c),
                "total": total,
                "satisfaction": _ratio(c.get("satisfied", 0) + c.get("basic", 0), total),
            }
        )
    return sorted(out, key=lambda r: r["unit"])
