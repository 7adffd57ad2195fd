"""Fit the reader (assistant/answering/reader.py) on `tune` splits only and write assistant/data/reader.json.

    python -m evals fit-reader            # about 5 min; the benchmark's index is built on first use (~10 min)

Data (collected by evals/tune_data.py): every `tune` question of the golden suites (conversation turns asked
through the Conversation, so a follow-up is read as the app reads it) and of the external benchmark's `tune` pages,
with the candidate sentences our retriever gives; and the calibration probes of each index
(answering/calibration.py: near-miss questions, and the off-corpus questions of its fallback).
- `sentence` (pairwise logistic regression, scikit-learn): a candidate is a positive when it states a required
  fact in an expected section (golden) or overlaps an annotated answer sentence (benchmark); each question's
  positives are ranked against its negatives, both corpora weighing the same.
- `answerable` (logistic regression): the question-level evidence of answerable vs unanswerable questions.
- `calibration_k` (`calibration_k_off_corpus` for the fallback): the abstention threshold is the probes' mean
  answerability logit on the corpus plus k standard deviations (calibration.py does this at ingest for any
  corpus); k maximises, summed over the two corpora, abstention recall minus twice the false-abstention rate (a
  wrong "the documents don't say" costs more) with neither corpus above 10% false abstentions, on answerability
  logits of models that did not see the question.
- `neighbour_margin`, `max_sentences`, `selection_words`: the sentences that join the best one (their score within
  the margin, at most that many sentences, at most 70 words); chosen for the benchmark's token recall. The
  answerer then quotes the best sentence with its neighbours (after it, then before it) up to its word cap (79).
- `detail_margin`, `body_overview_words`, `context_gain`, `item_margin`: constants chosen on the golden `tune`
  splits by `evals run` and `evals followups` (see their comments below); written here so a refit keeps them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
READER_JSON = ROOT / "assistant" / "data" / "reader.json"
MAX_WORDS = 70  # scored sentences fit in 70 words; the best one's neighbours fill up to Settings.answer_max_words
MEAN_WORDS = 65
# Longer answers lift the benchmark's token recall (tune: 0.48 with 3 sentences and 70 words, 0.52 with 5 and 80)
# but bring wrong statements into the notes' answers (forbidden-claim rate on the gmg tune split: 0 → 0.11). The
# sentences right after the best one in its section do not (tune, budget 79: token recall 0.44 → 0.49, gmg unchanged),
# nor, with the words left, those right before it (0.50 → 0.52, gmg unchanged).
MAX_SENTENCES = 3
# For a question that pins a detail, a sentence giving it is quoted first when it scores within this of the best
# (reader.detail_first; the answerability features stay those of the score ranking, as fitted). Chosen on the golden
# tune split: 2 against 5 (the neighbour margin), which quoted dated sentences far below the best.
DETAIL_MARGIN = 2.0
# The cap on an overview ("What does UNDP do on migration?": the body's section opening, answering/bodies.py).
# Chosen on the golden `tune` splits (evals run --split tune): 79/110/140/180 words gave conversations 104/105/106/106
# facts of 130 and natural 85/85/87/87 of 103, gmg unchanged; 140 is the smallest at the top.
BODY_OVERVIEW_WORDS = 140
# A list item scoring this much above every leading item that fits is quoted instead of them (the items before it
# elided: answering/lists.py). Chosen on the golden `tune` splits (evals run --split tune): 0.5 / 1.0 /
# 1.5 gave gmg 70 / 70 / 68 of 76 passed (natural and conversations unchanged); 0.5 also changed two answers that
# passed either way to one arbitrary member of a list ("The GMG consists of 10 organizations …: … OHCHR; …").
ITEM_MARGIN = 1.0
# A chat question that names nothing from the conversation and that the notes do not answer is offered its reading
# with the previous question when that is answered and its answerability logit rises by at least this
# (assistant/offers.py, in_context). Chosen on the `tune` splits: the unresolved follow-ups of followups.jsonl gained
# 2.7-4.9 from the context, the standalone questions that abstained 1.4 or less.
CONTEXT_GAIN = 2.0


# -- fitting ------------------------------------------------------------------------------------------------
def _matrix(rows: list[dict], names: list[str]) -> np.ndarray:
    return np.array([[r[n] for n in names] for r in rows], dtype=np.float64)


def fit_sentence(questions: list[dict], c: float = 1.0) -> dict:
    """Pairwise ranking: for each answerable question, positives minus negatives → 1 (and the reverse → 0)."""
    from sklearn.linear_model import LogisticRegression

    names = sorted(questions[0]["candidates"][0]["features"])
    every = [cand["features"] for q in questions for cand in q["candidates"]]
    scale = _matrix(every, names).std(axis=0)
    scale[scale == 0] = 1.0
    share = {k: sum(1 for q in questions if q["corpus"] == k) for k in {q["corpus"] for q in questions}}
    diffs, labels, weights = [], [], []
    for q in questions:
        cands = [c for c in q["candidates"] if c["answer"]]
        pos = _matrix([c["features"] for c in cands if c["label"]], names)
        neg = _matrix([c["features"] for c in cands if not c["label"]], names)
        if q["unanswerable"] or not len(pos) or not len(neg):
            continue
        d = (pos[:, None, :] - neg[None, :, :]).reshape(-1, len(names)) / scale
        w = 1.0 / (len(d) * share[q["corpus"]])
        diffs += [d, -d]
        labels += [np.ones(len(d)), np.zeros(len(d))]
        weights += [np.full(len(d), w)] * 2
    x, y, w = np.concatenate(diffs), np.concatenate(labels), np.concatenate(weights)
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(x, y, sample_weight=w / w.mean())
    return {"weights": dict(zip(names, map(float, model.coef_[0]), strict=True)),
            "scale": dict(zip(names, map(float, scale), strict=True)), "mean": {}, "bias": 0.0}


def question_rows(questions: list[dict], sentence) -> list[dict]:
    """Each question's features for the answerable model, its candidates ranked by the sentence model."""
    from assistant.answering.reader import ranking_features

    class _Cand:  # what ranking_features reads of a candidate
        def __init__(self, c, score):
            self.features, self.score = c["features"], score

    rows = []
    for q in questions:
        cands = [c for c in q["candidates"] if c["answer"]]
        scores = sentence([c["features"] for c in cands])
        ranked = [_Cand(c, s) for s, c in sorted(zip(scores, cands, strict=True), key=lambda p: -p[0])]
        rows.append({**q["coverage"], **ranking_features(ranked, q["coverage"])})
    return rows


def fit_answerable(questions: list[dict], rows: list[dict], c: float = 1.0) -> dict:
    from sklearn.linear_model import LogisticRegression

    names = sorted(rows[0])
    x = _matrix(rows, names)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    y = np.array([0 if q["unanswerable"] else 1 for q in questions])
    groups = [(q["corpus"], q["unanswerable"]) for q in questions]
    w = np.array([len(groups) / (4 * groups.count(g)) for g in groups])  # corpora and classes weigh the same
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y, sample_weight=w)
    return {"weights": dict(zip(names, map(float, model.coef_[0]), strict=True)), "bias": float(model.intercept_[0]),
            "mean": dict(zip(names, map(float, mean), strict=True)),
            "scale": dict(zip(names, map(float, scale), strict=True))}


def out_of_fold(questions: list[dict], rows: list[dict], folds: int = 5) -> np.ndarray:
    """Answerability logits of each question from a model fitted without it (stratified by corpus and label)."""
    from sklearn.model_selection import StratifiedKFold

    from assistant.answering.reader_model import Linear

    strata = [f"{q['corpus']}-{q['unanswerable']}" for q in questions]
    logits = np.zeros(len(rows))
    for train, held in StratifiedKFold(folds, shuffle=True, random_state=0).split(rows, strata):
        model = Linear.from_json(fit_answerable([questions[i] for i in train], [rows[i] for i in train]))
        logits[held] = model([rows[i] for i in held])
    return logits


def null_stats(logits: Iterable[float]) -> tuple[float, float]:
    values = np.array(list(logits), dtype=np.float64)
    return float(values.mean()), float(max(values.std(), 1e-6))


def abstention_rates(questions: list[dict], logits: np.ndarray, thresholds: dict[str, float]) -> dict:
    out = {}
    for corpus, threshold in thresholds.items():
        pairs = [(q["unanswerable"], z < threshold) for q, z in zip(questions, logits, strict=True)
                 if q["corpus"] == corpus]
        una = [a for u, a in pairs if u]
        ans = [a for u, a in pairs if not u]
        out[corpus] = {"abstention_recall": sum(una) / len(una) if una else None,
                       "false_abstention_rate": sum(ans) / len(ans) if ans else None}
    return out


FALSE_ABSTENTION_COST = 2.0  # a wrong "the documents don't say" costs twice a missed abstention
# …and no corpus may have more than this share of them: the ceiling issue #13 sets on the benchmark. Without it, the
# refit on the grown golden `tune` data (309 questions) moved k from −0.35 to 0.0, taking the benchmark's `tune`
# false abstentions from 0.08 to 0.14 (and `test` 0.115 → 0.190) for the golden suites' gain.
FALSE_ABSTENTION_CAP = 0.10


def fit_calibration(questions: list[dict], logits: np.ndarray, nulls: dict[str, tuple[float, float]],
                    cost: float = FALSE_ABSTENTION_COST, cap: float = FALSE_ABSTENTION_CAP) -> float:
    """k of threshold = null mean + k·null sd, maximising Σ over corpora (recall − cost·false-abstention rate)
    among the k that keep every corpus' false-abstention rate within `cap`."""
    grid = np.arange(-3.0, 6.0, 0.05)
    best = (-math.inf, float(grid[0]))  # if no k keeps within the cap: the lowest, which abstains least
    for k in grid:
        rates = abstention_rates(questions, logits, {c: m + k * s for c, (m, s) in nulls.items()})
        if any((r["false_abstention_rate"] or 0) > cap for r in rates.values()):
            continue
        gain = sum((r["abstention_recall"] or 0) - cost * (r["false_abstention_rate"] or 0) for r in rates.values())
        if gain > best[0] + 1e-9:
            best = (gain, float(k))
    return round(best[1], 2)


def neighbour_answer(q: dict, scores: np.ndarray, margin: float, max_words: int, max_sentences: int
                     ) -> tuple[str, int]:
    """The answer the answerer composes (ExtractiveAnswerer._select): the best sentence, then those within `margin`
    of its score, at most `max_sentences`, while the words fit."""
    cands = q["candidates"]
    ranked = sorted((i for i in range(len(cands)) if cands[i]["answer"]), key=lambda i: -scores[i])
    if not ranked:
        return "", 0
    best = ranked[0]
    chosen, words = [best], cands[best]["words"]
    for i in ranked[1:]:
        if len(chosen) >= max_sentences or scores[i] < scores[best] - margin:
            break
        if words + cands[i]["words"] <= max_words:
            chosen.append(i)
            words += cands[i]["words"]
    ordered = [best, *sorted(chosen[1:], key=lambda i: (cands[i]["source"], cands[i]["start"]))]
    return " ".join(cands[i]["display"] for i in ordered), words


def fit_length(questions: list[dict], sentence, max_words: int = MAX_WORDS, mean_words: int = MEAN_WORDS
               ) -> tuple[float, int, dict]:
    """The margin and the number of sentences with the best token recall on the benchmark's answerable questions,
    for answers of at most `max_words` words and `mean_words` on average."""
    from evals.external import token_scores

    benchmark = [q for q in questions if q["corpus"] == "external" and q["reference"]]
    scored = [(q, sentence([c["features"] for c in q["candidates"]])) for q in benchmark]
    best = (0.0, 0.0, 1, {})
    for sentences in range(1, MAX_SENTENCES + 1):
        for margin in np.arange(0.0, 6.01, 0.5):
            recall, words = [], []
            for q, scores in scored:
                text, n = neighbour_answer(q, scores, margin, max_words, sentences)
                recall.append(token_scores(text, q["reference"])["recall"])
                words.append(n)
            summary = {"token_recall": float(np.mean(recall)), "words": float(np.mean(words))}
            if summary["words"] <= mean_words and summary["token_recall"] > best[0] + 1e-9:
                best = (summary["token_recall"], float(margin), sentences, summary)
    return best[1], best[2], best[3]


def fit_all(questions: list[dict], nulls: list[dict]) -> tuple[dict, dict]:
    """The reader.json payload and a report of what it achieves on the tune data."""
    from assistant.answering.reader_model import Linear

    sentence = Linear.from_json(fit_sentence(questions))
    rows = question_rows(questions, sentence)
    answerable = Linear.from_json(fit_answerable(questions, rows))
    logits = out_of_fold(questions, rows)  # k is chosen on logits of questions each model did not see
    null_logits = answerable(question_rows(nulls, sentence))
    stats = {kind: {c: null_stats(z for q, z in zip(nulls, null_logits, strict=True)
                                  if q["corpus"] == c and q.get("kind", "near-miss") == kind)
                    for c in sorted({q["corpus"] for q in nulls})} for kind in ("near-miss", "off-corpus")}
    k = fit_calibration(questions, logits, stats["near-miss"])
    k_off = fit_calibration(questions, logits, stats["off-corpus"])
    margin, sentences, answers = fit_length(questions, sentence)
    report = {
        "questions": {c: sum(1 for q in questions if q["corpus"] == c)
                      for c in sorted({q["corpus"] for q in questions})},
        "null_stats": stats,
        "abstention_on_tune": abstention_rates(questions, logits,
                                               {c: m + k * s for c, (m, s) in stats["near-miss"].items()}),
        "abstention_on_tune_off_corpus_fallback": abstention_rates(
            questions, logits, {c: m + k_off * s for c, (m, s) in stats["off-corpus"].items()}),
        "benchmark_answers_on_tune": answers,
    }
    payload = {"sentence": sentence.to_json(), "answerable": answerable.to_json(), "calibration_k": k,
               "calibration_k_off_corpus": k_off, "neighbour_margin": margin, "max_sentences": sentences,
               "selection_words": MAX_WORDS, "detail_margin": DETAIL_MARGIN,
               "body_overview_words": BODY_OVERVIEW_WORDS, "context_gain": CONTEXT_GAIN, "item_margin": ITEM_MARGIN}
    return payload, report


def write(payload: dict, meta: dict, out: Path = READER_JSON) -> Path:
    out.write_text(json.dumps({**payload, "meta": meta}, indent=1) + "\n", encoding="utf-8")
    return out
