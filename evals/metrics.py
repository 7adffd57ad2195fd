"""Deterministic metrics (no LLM): retrieval, answer facts, citations, abstention, latency.

Everything here is a pure function of plain data (dicts as stored in results.json), so the same code scores
our system, the baseline and the external benchmark, and the unit tests can feed it hand-made inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from assistant.answering.passages import REFERS_BACK
from assistant.answering.question import QuestionType
from assistant.markers import marker_ids, strip_markers
from evals.answer_text import AnswerSentence, answer_sentences, contains_text, strip_attribution, word_count
from evals.golden_io import ExpectedSource, GoldenCase

JOINED_GAP = 4  # "\n\n" or "\n- " between two quoted sentences: they read as one passage
LONG_ANSWER_WORDS = 80  # issue #13: answers stay under 80 words unless the question asks for a list


def source_matches(meta: dict, expected: ExpectedSource) -> bool:
    """A retrieved chunk matches if its source is the expected one and, when a section is expected, it is the
    chunk's section (or one of the sections it spans, for chunks cut without regard to sections)."""
    if meta.get("source") != expected.source:
        return False
    if expected.section is None:
        return True
    sections = meta.get("sections") or [meta.get("section")]
    return expected.section in sections


def retrieval_scores(retrieved: Sequence[dict], expected: Sequence[ExpectedSource], k: int) -> dict:
    """rank of the first matching chunk (1-based, None if absent), hit@1, hit@5, reciprocal rank, recall@k."""
    rank = next(
        (i for i, meta in enumerate(retrieved, 1) if any(source_matches(meta, e) for e in expected)), None
    )
    found = [e for e in expected if any(source_matches(meta, e) for meta in retrieved[:k])]
    return {
        "rank": rank,
        "hit_at_1": rank is not None and rank <= 1,
        "hit_at_5": rank is not None and rank <= 5,
        "rr": 1.0 / rank if rank else 0.0,
        "recall_at_k": len(found) / len(expected) if expected else None,
    }


# -- answers ------------------------------------------------------------------------------------------------
def facts_found(answer: str, facts: Sequence[Sequence[str]]) -> list[bool]:
    """For each required fact: is any of its spellings in the answer (case-insensitive substring)?"""
    text = " ".join(strip_markers(answer).split()).lower()
    return [any(" ".join(s.split()).lower() in text for s in spellings) for spellings in facts]


def forbidden_found(answer: str, forbidden: Iterable[str]) -> list[str]:
    text = " ".join(answer.split()).lower()
    return [f for f in forbidden if f.lower() in text]


# -- citations ----------------------------------------------------------------------------------------------
def citation_validity(
    answer: str,
    citations: Sequence[dict],
    source_text: Callable[[str], str | None],
    extra: Sequence[dict] = (),
) -> list[str]:
    """Problems with the citations; empty means valid. Every [n] must name a returned citation, and every
    citation (and every `extra` quoted passage) must be exactly source_text[start:end]."""
    problems: list[str] = []
    ids = {c["id"] for c in citations}
    for n in dict.fromkeys(marker_ids(answer)):
        if n not in ids:
            problems.append(f"[{n}] has no citation")
    for c in [*citations, *extra]:
        text = source_text(c["source"])
        if text is None:
            problems.append(f"[{c['id']}] cites {c['source']}, which is not in the corpus")
        elif text[c["start"] : c["end"]] != c["text"]:
            problems.append(f"[{c['id']}] text differs from {c['source']}[{c['start']}:{c['end']}]")
    return problems


def sentence_support(
    sentence: AnswerSentence, citations: Sequence[dict], facts: Sequence[Sequence[str]] = ()
) -> str | None:
    """How a cited sentence is supported by its cited passages: "quote" (the passage contains it), "fact"
    (a required fact the sentence states is in the passage), or None (unsupported)."""
    passages = [c["text"] for c in citations if c["id"] in sentence.ids]
    if not passages:
        return None
    variants = {sentence.text, strip_attribution(sentence.text)}
    if any(contains_text(p, v) for p in passages for v in variants):
        return "quote"
    said = " ".join(sentence.text.split()).lower()
    for spellings in facts:
        for s in spellings:
            s = " ".join(s.split()).lower()
            if s in said and any(s in " ".join(p.split()).lower() for p in passages):
                return "fact"
    return None


def citation_scores(answer: str, citations: Sequence[dict], facts: Sequence[Sequence[str]] = ()) -> dict:
    """Coverage (share of sentences a marker closes, alone or with the sentences before it since the previous
    marker) and support of each cited sentence."""
    sentences = answer_sentences(answer)
    cited = [s for s in sentences if s.ids]
    support = [sentence_support(s, citations, facts) for s in cited]
    return {
        "sentences": len(sentences),
        "cited_sentences": len(cited),
        "supported_sentences": sum(1 for s in support if s),
        "coverage": len(cited) / len(sentences) if sentences else None,
        "support": sum(1 for s in support if s) / len(cited) if cited else None,
        "unsupported": [s.text for s, how in zip(cited, support, strict=True) if how is None],
    }


def cut_quotes(citations: Sequence[dict]) -> int:
    """How many quotes open by pointing back ("It has pioneered …") without the sentence before them: no other quote
    of the answer ends right where they start. Right there: at most the blank line or list marker between two
    sentences of a note (JOINED_GAP). A quote shown after its section's body ("UNHCR: They include …") counts too:
    the body's name is not the sentence "they" points to."""
    def joined(c: dict) -> bool:
        return any(p["source"] == c["source"] and 0 <= c["start"] - p["end"] <= JOINED_GAP
                   for p in citations if p is not c)
    return sum(1 for c in citations if REFERS_BACK.match(c["text"]) and not joined(c))


def expected_cited(citations: Sequence[dict], expected: Sequence[ExpectedSource]) -> bool | None:
    if not expected:
        return None
    return any(source_matches(c, e) for c in citations for e in expected)


# -- one case ---------------------------------------------------------------------------------------------
def score_case(
    case: GoldenCase,
    answer: dict,
    retrieved: Sequence[dict],
    k: int,
    source_text: Callable[[str], str | None],
) -> tuple[dict, list[str]]:
    """Scores of one answered case and the list of what failed (empty: passed)."""
    text, citations, abstained = answer["answer"], answer.get("citations", []), bool(answer.get("abstained"))
    s: dict = {"abstained": abstained, "words": None if abstained else word_count(text)}
    # what the answerer read: a follow-up's rewrite ("tell me more" after "which agencies are in the GMG?")
    asked = answer.get("core_question") or answer.get("standalone_question") or answer.get("question") or case.turns[-1]
    s["long"] = None if abstained else s["words"] >= LONG_ANSWER_WORDS and not QuestionType.of(asked).wants_list
    failures: list[str] = []
    if case.expected_sources:
        s.update(retrieval_scores(retrieved, case.expected_sources, k))
        if not s["hit_at_5"]:
            failures.append("retrieval: no expected source in the top 5")
    found = facts_found(text, case.required_facts) if not abstained else [False] * len(case.required_facts)
    s["facts_found"] = found
    s["fact_pass"] = all(found) if case.required_facts else None
    failures += [f"missing fact: {case.required_facts[i][0]!r}" for i, ok in enumerate(found) if not ok]
    s["forbidden_found"] = forbidden_found(text, case.forbidden)
    failures += [f"forbidden: {f!r}" for f in s["forbidden_found"]]
    if case.unanswerable and not abstained:
        failures.append("answered an unanswerable question")
    if not case.unanswerable and abstained:
        failures.append("abstained on an answerable question")
    problems = citation_validity(text, citations, source_text, answer.get("closest", []))
    s["citation_problems"] = problems
    s["citation_valid"] = not problems if (citations or marker_ids(text) or answer.get("closest")) else None
    failures += [f"invalid citation: {p}" for p in problems]
    if abstained:
        s.update(
            {
                "coverage": None,
                "support": None,
                "unsupported": [],
                "cited_sentences": 0,
                "supported_sentences": 0,
                "expected_cited": None,
            }
        )
    else:
        s.update(citation_scores(text, citations, case.required_facts))
        failures += [f"unsupported: {u[:80]!r}" for u in s["unsupported"]]
        s["expected_cited"] = expected_cited(citations, case.expected_sources)
        s["cut_quotes"] = cut_quotes(citations)
        if s["expected_cited"] is False:
            failures.append("no expected source cited")
    s["passed"] = bool(
        (s["fact_pass"] is not False)
        and not s["forbidden_found"]
        and abstained == case.unanswerable
        and not problems
    )
    return s, failures


# -- conversations ------------------------------------------------------------------------------------------
def resolves(rewritten: str | None, refers_to) -> bool:
    """Whether a follow-up's rewrite names what it leans on: one of `refers_to` (case-insensitive)."""
    return bool(rewritten) and any(r.lower() in rewritten.lower() for r in refers_to)


def nested_rewrite(answer: dict, earlier: Sequence[dict]) -> bool:
    """Whether a turn's rewrite contains an earlier turn's rewrite that itself carried an earlier question
    ("Is it …? (What else …? (Which …?))"): rewrites growing with every turn."""
    text = answer.get("standalone_question") or ""
    carried = [a["standalone_question"] for a in earlier
               if a.get("standalone_question") and a.get("core_question") != a["standalone_question"]]
    return bool(text) and any(c in text for c in carried)


def score_rewrite(record: dict, case: GoldenCase, earlier: Sequence[dict]) -> None:
    """Add to a conversation turn's scores how its question was read: a standalone turn must be used as asked;
    a follow-up's rewrite should name what it refers to; no rewrite may nest earlier ones."""
    answer, s = record["answer"], record["scores"]
    rewritten = answer.get("standalone_question")
    s["standalone"] = case.standalone
    s["rewritten"] = bool(rewritten)
    s["nested"] = nested_rewrite(answer, earlier)
    s["resolved"] = None if case.standalone else resolves(rewritten, case.refers_to)
    if case.standalone and rewritten:
        record["failures"].append(f"a standalone question was rewritten: {rewritten!r}")
        s["passed"] = False
    if s["nested"]:
        record["failures"].append(f"nested rewrite: {rewritten!r}")
        s["passed"] = False
    if s["resolved"] is False:
        record["failures"].append(f"follow-up not resolved to {case.refers_to[0]!r}")


def conversation_scores(scores: Sequence[dict]) -> dict:
    turns = [s for s in scores if s.get("standalone") is not None]
    if not turns:
        return {}
    return {
        "turns": len(turns),
        "standalone_rewritten": sum(1 for s in turns if s["standalone"] and s["rewritten"]),
        "nested_rewrites": sum(1 for s in turns if s["nested"]),
        "followup_resolved": mean(s["resolved"] for s in turns if not s["standalone"]),
    }


# -- aggregates -------------------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float | None:
    """numpy's percentile (linear interpolation), p in [0, 100]; None for no values."""
    return float(np.percentile(values, p)) if len(values) else None


def mean(values: Iterable) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def ranking_means(scores: Sequence[dict]) -> dict:
    """hit@1, hit@5 and MRR over per-case scores holding "hit_at_1", "hit_at_5" and "rr"."""
    return {"hit_at_1": mean(s["hit_at_1"] for s in scores), "hit_at_5": mean(s["hit_at_5"] for s in scores),
            "mrr": mean(s["rr"] for s in scores)}


def abstention_scores(pairs: Sequence[tuple[bool, bool]]) -> dict:
    """(unanswerable, abstained) pairs → confusion counts, precision, recall, false-abstention rate."""
    tp = sum(1 for u, a in pairs if u and a)
    fp = sum(1 for u, a in pairs if not u and a)
    fn = sum(1 for u, a in pairs if u and not a)
    tn = sum(1 for u, a in pairs if not u and not a)
    return {
        "confusion": {
            "abstained_unanswerable": tp,
            "abstained_answerable": fp,
            "answered_unanswerable": fn,
            "answered_answerable": tn,
        },
        "abstention_precision": tp / (tp + fp) if tp + fp else None,
        "abstention_recall": tp / (tp + fn) if tp + fn else None,
        "false_abstention_rate": fp / (fp + tn) if fp + tn else None,
    }


def aggregate(records: Sequence[dict], per_kind: bool = True) -> dict:
    """Summary metrics over scored records ({"kind", "unanswerable", "scores", "latency_ms"…})."""
    scores = [r["scores"] for r in records]
    answerable = [s for r, s in zip(records, scores, strict=True) if not r["unanswerable"]]
    with_sources = [s for s in answerable if "rank" in s]
    answered = [s for s in scores if not s["abstained"]]
    facts = [f for s in answerable for f in s["facts_found"]]
    forbidding = [s for r, s in zip(records, scores, strict=True) if r.get("forbidden")]
    cited = sum(s["cited_sentences"] for s in answered)
    latencies = [t for r in records for t in r.get("turn_latency_ms", [r.get("latency_ms")]) if t is not None]
    out = {
        "n": len(records),
        **ranking_means(with_sources),
        "recall_at_k": mean(s["recall_at_k"] for s in with_sources),
        "fact_recall": mean(s["fact_pass"] for s in answerable),
        "fact_recall_micro": mean(facts),
        "forbidden_rate": mean(bool(s["forbidden_found"]) for s in forbidding) if forbidding else 0.0,
        "answer_words_mean": mean(s["words"] for s in answered),
        "answer_words_p50": percentile([s["words"] for s in answered], 50),
        # answers of 80 words or more to a question that asks for no list (a body's overview may run to its own cap)
        "long_answer_rate": mean(bool(s.get("long")) for s in answered),
        "citation_validity": mean(s["citation_valid"] for s in scores),
        "citation_support": sum(s["supported_sentences"] for s in answered) / cited if cited else None,
        "citation_coverage": mean(s["coverage"] for s in answered),
        "cut_quote_rate": mean(bool(s["cut_quotes"]) for s in answered if "cut_quotes" in s),
        "expected_source_cited": mean((s.get("expected_cited") or False) for s in with_sources),
        "pass_rate": mean(s["passed"] for s in scores),
        "abstention_accuracy": mean(
            s["abstained"] == r["unanswerable"] for r, s in zip(records, scores, strict=True)
        ),
        **abstention_scores(
            [(r["unanswerable"], s["abstained"]) for r, s in zip(records, scores, strict=True)]
        ),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        **conversation_scores(scores),
    }
    if per_kind:
        kinds = sorted({r["kind"] for r in records})
        out["per_kind"] = {
            k: aggregate([r for r in records if r["kind"] == k], per_kind=False) for k in kinds
        }
    return out


# The headline metrics, in display order, with whether higher is better (None: neither).
HEADLINE: list[tuple[str, str, bool | None]] = [
    ("hit_at_1", "retrieval hit@1", True),
    ("hit_at_5", "retrieval hit@5", True),
    ("mrr", "retrieval MRR@10", True),
    ("recall_at_k", "retrieval recall@k", True),
    ("fact_recall", "fact recall (all facts)", True),
    ("fact_recall_micro", "fact recall (per fact)", True),
    ("forbidden_rate", "forbidden-claim rate", False),
    ("answer_words_mean", "answer length (words)", None),
    ("long_answer_rate", "answers of 80+ words (no list asked)", False),
    ("citation_validity", "citation validity", True),
    ("citation_support", "citation support", True),
    ("citation_coverage", "citation coverage", True),
    ("expected_source_cited", "expected source cited", True),
    ("cut_quote_rate", "cut quotes ('It …' without the sentence before)", False),
    ("abstention_precision", "abstention precision", True),
    ("abstention_recall", "abstention recall", True),
    ("false_abstention_rate", "false-abstention rate", False),
    ("pass_rate", "case pass rate", True),
    ("standalone_rewritten", "standalone turns rewritten", False),
    ("nested_rewrites", "nested rewrites", False),
    ("followup_resolved", "follow-ups resolved", True),
    ("latency_p50_ms", "latency p50 (ms)", False),
    ("latency_p95_ms", "latency p95 (ms)", False),
]
