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
    """(similar items, suggested manifestation) for one opinion, against earlier texts of its campaign."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    earlier = list(
        Opinion.objects.filter(campaign_id=opinion.campaign_id, pk__lt=opinion.pk)
        .order_by("-pk")
        .values_list("pk", "content")[:MAX_OPINIONS]
    )
    problems = list(
        Problem.objects.filter(campaign_id=opinion.campaign_id)
        .order_by("-pk")
        .values_list("pk", "description")[:MAX_PROBLEMS]
    )
    docs = [("opinion", pk, text) for pk, text in earlier] + [("problem", pk, text) for pk, text in problems]
    manifestations = list(Manifestation.objects.filter(active=True))
    if not docs and not manifestations:
        return [], None
    texts = [opinion.content] + [d[2] for d in docs] + [f"{m.name} {m.gloss}" for m in manifestations]
    vectorizer = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=True, sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    scores = linear_kernel(matrix[0:1], matrix[1:]).ravel()  # rows are L2-normalised: this is cosine
    doc_scores = scores[: len(docs)]
    ranked = sorted(range(len(docs)), key=lambda i: -doc_scores[i])[:TOP_N]
    similar = [
        {"kind": docs[i][0], "id": docs[i][1], "score": round(float(doc_scores[i]), 3)}
        for i in ranked
        if doc_scores[i] >= MIN_SCORE
    ]
    return similar, _suggest(similar, manifestations, scores[len(docs) :])


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
