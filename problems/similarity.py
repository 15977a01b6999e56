"""Similar earlier opinions and problems for a new opinion (jieba words, TF-IDF, cosine).

Runs in the background worker (problems.tasks.opinion_similarity). The result is a hint for the
person who triages: the most similar texts and a suggested manifestation, never applied by itself.
"""

import logging
from collections import defaultdict

from .models import Manifestation, Opinion, Problem

TOP_N = 5
MIN_SCORE = 0.12
# Bound the work per opinion: the most recent texts of the campaign are enough to spot duplicates.
MAX_OPINIONS = 3000
MAX_PROBLEMS = 5000

_jieba = None


def _tokenizer():
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    return _jieba


def tokenize(text: str) -> list[str]:
    """Chinese words (and latin words) without punctuation or one-character noise."""
    jieba = _tokenizer()
    return [w for w in jieba.lcut(text) if len(w.strip()) > 1 or ("\u4e00" <= w <= "\u9fff" and w not in "的了和是在")]


def compute(opinion: Opinion) -> tuple[list[dict], Manifestation | None]:
    """(similar items, suggested manifestation) for one opinion, against the other texts of its campaign."""
    return compute_many([opinion]).get(opinion.pk, ([], None))


BLOCK = 256  # new opinions scored at a time (bounds the dense score matrix: BLOCK × corpus)


def compute_many(opinions) -> dict[int, tuple[list[dict], Manifestation | None]]:
    """{opinion id: (similar items, suggested manifestation)} for many opinions at once.

    Per campaign the texts are read, tokenised and weighted once (one TF-IDF fit over the campaign's
    recent opinions and problems, the new opinions and the manifestations' glosses) and every new
    opinion is scored against them in one sparse product: a day's thousand opinions cost about what one
    did, where fitting per opinion cost a thousand times as much. An opinion is never its own match."""
    by_campaign: dict[int, list[Opinion]] = defaultdict(list)
    for o in opinions:
        by_campaign[o.campaign_id].append(o)
    manifestations = list(Manifestation.objects.filter(active=True))
    out: dict[int, tuple[list[dict], Manifestation | None]] = {}
    for campaign_id, new in by_campaign.items():
        out.update(_campaign_hints(campaign_id, new, manifestations))
    return out


def _campaign_hints(campaign_id: int, new: list[Opinion], manifestations: list[Manifestation]) -> dict:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    new_ids = {o.pk for o in new}
    earlier = list(
        Opinion.objects.filter(campaign_id=campaign_id)
        .exclude(pk__in=new_ids)
        .order_by("-received_on", "-pk")
        .values_list("pk", "content")[:MAX_OPINIONS]
    )
    problems = list(
        Problem.objects.filter(campaign_id=campaign_id).order_by("-pk").values_list("pk", "description")[:MAX_PROBLEMS]
    )
    # the new opinions are candidates for each other too (a burst of the same complaint)
    docs = (
        [("opinion", o.pk, o.content) for o in new]
        + [("opinion", pk, text) for pk, text in earlier]
        + [("problem", pk, text) for pk, text in problems]
    )
    texts = [d[2] for d in docs] + [f"{m.name} {m.gloss}" for m in manifestations]
    vectorizer = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=True, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but one-character noise in every text
        return {o.pk: ([], None) for o in new}
    n_docs = len(docs)
    out = {}
    for first in range(0, len(new), BLOCK):
        block = new[first : first + BLOCK]
        scores = linear_kernel(matrix[first : first + len(block)], matrix)  # rows are L2-normalised: cosine
        for row, o in enumerate(block):
            doc_scores = scores[row, :n_docs].copy()
            doc_scores[first + row] = -1.0  # not its own match
            top = np.argpartition(-doc_scores, TOP_N)[:TOP_N] if n_docs > TOP_N else np.arange(n_docs)
            ranked = sorted(top.tolist(), key=lambda i: (-doc_scores[i], i))
            similar = [
                {"kind": docs[i][0], "id": docs[i][1], "score": round(float(doc_scores[i]), 3)}
                for i in ranked
                if doc_scores[i] >= MIN_SCORE
            ]
            out[o.pk] = (similar, _suggest(similar, manifestations, scores[row, n_docs:]))
    return out


def _suggest(similar: list[dict], manifestations: list[Manifestation], direct: list[float]):
    """Vote of the similar problems' manifestations (weighted by similarity), else the closest gloss."""
    votes: dict[int, float] = defaultdict(float)
    problem_ids = {s["id"]: s["score"] for s in similar if s["kind"] == "problem"}
    through = Problem.manifestations.through
    for problem_id, manifestation_id in through.objects.filter(problem_id__in=problem_ids).values_list(
        "problem_id", "manifestation_id"
    ):
        votes[manifestation_id] += problem_ids[problem_id]
    for m, score in zip(manifestations, direct, strict=True):
        votes[m.pk] += float(score) * 0.5
    if not votes:
        return None
    best_id, best = max(votes.items(), key=lambda kv: kv[1])
    if best <= 0:
        return None
    return next((m for m in manifestations if m.pk == best_id), None)
