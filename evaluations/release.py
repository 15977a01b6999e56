"""The one gate through which every figure about anonymous ballots leaves this app: the results page,
its chart, the Excel and Word exports, the round's page, and (through `published_targets`) the
dashboards, the analysis report and the rankings of other apps.

Who sees what (docs/anonymity.md, “Ballots: who may know what, when”):
  - while a round is prepared, open or closed but not tallied: the office sees turnout only (the
    total, and per group only for groups with at least the minimum); everyone else sees nothing;
  - tallied, not published: the office sees the results; a manager who is a target sees nothing;
  - published: everyone who may view the round sees the results.

What is released (`release`), whoever looks:
  - a cell (a group's figures for a target, a group's turnout) only when it rests on at least
    `cell_minimum` ballots; smaller groups are merged, and the merge is widened until it reaches
    the minimum too, so no small group comes out by subtracting shown cells from a total;
  - a target's figures only when the target has at least `cell_minimum` valid ballots;
  - the plain mean score and the band it gives rest on the target's counts: shown with them;
  - the weighted score (per target, per item) only when no group of that target is merged: it weighs
    each group's mean separately, so together with the shown groups' figures and the merged cell it
    would give back the hidden groups' answers (tests/test_release.py shows the attack);
  - reasons for failing name the threshold, never a withheld figure; a target whose figures are
    withheld shows its result only (not which of the round's rules held);
  - the ranking uses the scores shown: a target whose score is withheld is not ranked;
  - the combined final score (components.py) only where the evaluation score that enters it is shown:
    with the other parts it would give a withheld score back;
  - a group counted apart (预备党员 …) is shown on its own line per target, only from `cell_minimum`
    valid ballots (never merged into the main figures);
  - free texts: per target and group, sorted (never in the order written), only for a group with at
    least `cell_minimum` valid ballots for the target; smaller groups are merged as cells are, and
    withheld while the merge is below the minimum.
Open public ratings: a unit's figures only from `PUBLIC_MINIMUM` ratings.
"""

from collections import defaultdict
from enum import Enum

from django.db.models import Q
from django.utils.translation import gettext as _

from .models import Evaluation

NO_SCORE = {"mean": None, "weighted": None, "band": None}
MIN_GROUP_FLOOR = 3  # whatever a round says, no cell rests on fewer ballots than this
PUBLIC_MINIMUM = 5


class Audience(Enum):
    NOTHING = "nothing"
    TURNOUT = "turnout"
    RESULTS = "results"


def cell_minimum(evaluation: Evaluation) -> int:
    return max(evaluation.min_group_size_shown, MIN_GROUP_FLOOR)


def published_q(prefix: str = "evaluation__") -> Q:
    """Rows (targets, rounds) whose results are published: the only ones other apps may show."""
    return Q(**{f"{prefix}published_on__isnull": False, f"{prefix}status": Evaluation.Status.TALLIED})


def published_targets(queryset):
    """EvaluationTarget rows of published rounds (result, satisfaction may be shown)."""
    return queryset.filter(published_q())


def suppress(counts_by_group: dict[int, int], minimum: int) -> tuple[set[int], set[int]]:
    """(groups shown, groups merged into “other groups”). Groups with nothing are neither. Small
    groups are merged; while the merge is below `minimum`, the smallest shown group joins it."""
    present = {g: n for g, n in counts_by_group.items() if n > 0}
    hidden = {g for g, n in present.items() if n < minimum}
    shown = set(present) - hidden
    while hidden and shown and sum(present[g] for g in hidden) < minimum:
        smallest = min(shown, key=lambda g: (present[g], g))
        shown.discard(smallest)
        hidden.add(smallest)
    return shown, hidden


def release(data: dict) -> dict:
    """The figures of `collect(evaluation)` that may be shown, with every rule above applied. Withheld
    figures become None and `withheld` says why (for the page's footnotes)."""
    ev = data["evaluation"]
    k = cell_minimum(ev)
    grades = {g.pk: g for g in data["grades"]}
    targets = []
    for row in data["targets"]:
        r = {
            key: v
            for key, v in row.items()
            if key not in ("by_group", "valid_by_group", "score_exact", "valid_every_group", "apart", "combined_exact")
        }
        r["apart"] = [
            a if a["valid"] >= k else {"group": a["group"], "valid": None, "counts": None, "withheld": True}
            for a in row.get("apart", [])
        ]
        r["comments"] = comments_release(
            data.get("free_texts", {}).get(row["target"].pk, {}), row.get("valid_every_group", {}), data, k
        )
        r["groups"], r["withheld"] = _group_rows(row, data["groups"], grades, k)
        if "groups" in r["withheld"] and data.get("weighted", True):
            r["withheld"].add("score")  # the plain mean rests on the target's counts, shown anyway
        if row["valid_ballots"] < k:
            r["withheld"].add("target")
        if "target" in r["withheld"]:
            r.update(counts=None, shares=None, satisfaction=None, low_share=None, score=None, groups=[], **NO_SCORE)
            if r["outcome"] == "failed":  # which rules held would tell more than the one bit of the result
                r["fail_reasons"] = [_("figures withheld: fewer than %(n)s valid ballots") % {"n": k}]
            r["triggered"] = []
            r["items"] = [
                dict(it, counts=None, shares=None, satisfaction=None, low_share=None, score=None, **NO_SCORE)
                for it in row["items"]
            ]
        elif "score" in r["withheld"]:
            r.update(score=None, weighted=None, band=None)
            r["items"] = [dict(it, score=None, weighted=None) for it in row["items"]]
        r["items"] = [{key: v for key, v in it.items() if key != "score_exact"} for it in r["items"]]
        if row.get("items_part") is not None:  # the item-by-item part of a two-part form, withheld alike
            part = {key: v for key, v in row["items_part"].items() if key != "score_exact"}
            if "target" in r["withheld"]:
                part.update(counts=None, shares=None, satisfaction=None, low_share=None, score=None, **NO_SCORE)
            elif "score" in r["withheld"]:
                part.update(score=None, weighted=None)
            r["items_part"] = part
        if data.get("components") and ("target" in r["withheld"] or "score" in r["withheld"]):
            # the combined score less the other parts would give the withheld evaluation score back
            r.update(combined=None, combined_withheld=True, missing=[])
            r["parts"] = [None if c.is_evaluation else v for c, v in zip(data["components"], r["parts"], strict=True)]
        targets.append(r)
    from .results import rank

    rank(targets, ev)  # by the scores shown only: a withheld score is not ranked
    return {
        **data,
        "targets": targets,
        "ranking": sorted((r for r in targets if r["rank"]), key=lambda r: (r["rank"], r["target"].order)),
        "turnout": turnout_release(data["turnout"], k),
        "minimum": k,
    }


def comments_release(texts_by_group: dict, valid: dict, data: dict, k: int) -> dict:
    """A target's free texts as released: {"groups": [{name, fields: [(label, [texts])]}], "withheld": n}.
    A group's texts only when it has at least `k` valid ballots for the target; smaller groups are
    merged (widened like cells) and shown together once the merge reaches `k`. Texts sorted."""
    from .models import FreeText

    if not texts_by_group:
        return {"groups": [], "withheld": 0}
    groups = data.get("every_group") or data["groups"]
    labels = dict(FreeText.Field.choices)
    shown, merged = suppress({gid: valid.get(gid, 0) for gid in groups}, k)
    out, withheld = [], 0

    def fields(gids):
        return [
            (labels[f], sorted(t for gid in gids for t in texts_by_group.get(gid, {}).get(f, [])))
            for f in FreeText.Field.values
            if any(texts_by_group.get(gid, {}).get(f) for gid in gids)
        ]

    for gid in sorted(shown, key=lambda g: groups[g].order):
        if texts_by_group.get(gid):
            out.append({"name": groups[gid].name, "fields": fields([gid])})
    if merged and any(texts_by_group.get(g) for g in merged):
        if sum(valid.get(g, 0) for g in merged) >= k:
            out.append({"name": _("Other groups (merged: too few ballots to show apart)"), "fields": fields(merged)})
        else:
            withheld = sum(len(v) for g in merged for v in texts_by_group.get(g, {}).values())
    withheld += sum(
        len(v) for g, per in texts_by_group.items() if g not in shown | merged for v in per.values()
    )  # a group with texts but no valid ballot for the target (every answer 不了解)
    return {"groups": out, "withheld": withheld}


def _group_rows(row: dict, groups: dict, grades: dict, k: int) -> tuple[list[dict], set[str]]:
    from .results import rates

    withheld = set()
    by_group, valid = row["by_group"], row["valid_by_group"]
    shown, merged = suppress(valid, k)
    out = []
    for gid in sorted(shown, key=lambda g: groups[g].order):
        c = by_group.get(gid, {})
        out.append(
            {
                "name": groups[gid].name,
                "weight": groups[gid].weight,
                "valid": valid[gid],
                "counts": c,
                **rates(c, grades),
            }
        )
    if merged:
        withheld.add("groups")
        c = defaultdict(int)
        for gid in merged:
            for grade_id, n in by_group.get(gid, {}).items():
                c[grade_id] += n
        n_merged = sum(valid[g] for g in merged)
        big_enough = n_merged >= k
        out.append(
            {
                "name": _("Other groups (merged: too few ballots to show apart)"),
                "valid": n_merged if big_enough else None,
                "counts": dict(c) if big_enough else None,
                "merged": True,
                **(rates(c, grades) if big_enough else {}),
            }
        )
    return out, withheld


def turnout_release(turnout: list[dict], k: int) -> dict:
    """Turnout: the total always; per group only for groups with at least `k` ballots returned,
    the others merged (widened like result cells)."""
    came = {t["group"].pk: t["returned"] for t in turnout}
    shown, merged = suppress(came, k)
    rows = [dict(t) for t in turnout if t["group"].pk in shown]
    total = {
        key: sum(t[key] for t in turnout)
        for key in ("codes", "codes_used", "paper_issued", "paper_returned", "issued", "returned")
    }
    from .results import _ratio

    if merged:
        part = [t for t in turnout if t["group"].pk in merged]
        n = sum(t["returned"] for t in part)
        merged_row = {
            key: sum(t[key] for t in part)
            for key in ("codes", "codes_used", "paper_issued", "paper_returned", "issued", "returned")
        }
        if n < k:
            merged_row.update(codes_used=None, paper_returned=None, returned=None)
        merged_row["turnout"] = _ratio(merged_row["returned"], merged_row["issued"]) if n >= k else None
        merged_row["name"] = _("Other groups (merged: too few ballots to show apart)")
        merged_row["merged"] = True
        rows.append(merged_row)
    rows += [dict(t) for t in turnout if t["group"].pk not in shown | merged]  # nothing returned yet
    for r in rows:
        r.setdefault("name", r["group"].name if "group" in r else "")
    total["turnout"] = _ratio(total["returned"], total["issued"])
    total["name"] = _("All groups")
    return {"rows": rows, "total": total, "minimum": k}


def public_release(rows: list[dict]) -> list[dict]:
    """Open public ratings: a unit's figures only from PUBLIC_MINIMUM ratings on."""
    return [
        r if r["total"] >= PUBLIC_MINIMUM else {**r, "counts": {}, "satisfaction": None, "withheld": True} for r in rows
    ]
