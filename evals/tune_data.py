"""The `tune` questions the reader is fitted on (evals/fit_reader.py), each with the candidate sentences our retriever
gives and their features: every `tune` question of the golden suites (conversation turns asked through the
Conversation, so a follow-up is read as the app reads it), of the external benchmark's `tune` pages, and each
index's calibration probes. Collected once and cached under a key of the code and data they depend on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from evals.golden_io import SUITES, GoldenCase, load_golden

ROOT = Path(__file__).resolve().parents[1]


def _fact_in(text: str, facts: list[list[str]]) -> bool:
    lowered = " ".join(text.split()).lower()
    return any(" ".join(s.split()).lower() in lowered for fact in facts for s in fact)


def _shown(cand) -> str:
    """What an answer quoting the candidate shows: a list's introduction brings its items."""
    if cand.list_end is None:
        return cand.display
    base = int(cand.chunk.metadata["start"])
    return f"{cand.display} {cand.chunk.page_content[cand.end - base : cand.list_end - base]}"


def _in_expected(cand, case: GoldenCase) -> bool:
    return not case.expected_sources or any(
        cand.source == e.source and (e.section is None or e.section == cand.section) for e in case.expected_sources)


def read_question(assistant, question: str, label, meta: dict, where: dict | None = None) -> dict:
    """One question's candidates (features, label, position) and coverage features."""
    from assistant.answering.reader import is_question

    reader = assistant.answerer.reader
    docs = assistant.retriever.invoke(question, k=assistant.settings.top_k, filter=where)
    candidates = reader.candidates(docs)
    _, coverage = reader.featurize(question, candidates)
    return {**meta, "question": question, "coverage": coverage, "candidates": [
        {"features": c.features, "label": int(label(c)), "source": c.source, "start": c.start, "end": c.end,
         "list_end": c.list_end,
         "words": len(c.display.split()), "display": c.display, "answer": not c.fragment and not is_question(c.text)}
        for c in candidates]}


def golden_questions(assistant, split: str = "tune") -> list[dict]:
    from assistant.conversation import Conversation

    out = []
    for suite, path in SUITES.items():
        for case in progress(load_golden(path), f"golden {suite}"):
            if case.split != split:
                continue
            conversation = Conversation()
            turn_cases = case.turn_cases or [None] * (len(case.turns) - 1) + [case]
            for number, (turn, labelled) in enumerate(zip(case.turns, turn_cases, strict=True)):
                result = conversation.ask(assistant, turn)
                if labelled is None or not labelled.scored:
                    continue
                out.append(read_question(
                    assistant, result.standalone_question or result.question,
                    lambda c, lc=labelled: not lc.unanswerable and _fact_in(_shown(c), lc.required_facts)
                    and _in_expected(c, lc),
                    {"corpus": "gmg", "qid": f"{case.id}/{number}", "unanswerable": labelled.unanswerable,
                     "reference": None}))
    return out


def external_questions(assistant, bench: Path, split: str = "tune") -> list[dict]:
    from evals.baseline import SourceTexts
    from evals.external import context_spans, doc_id, load_questions, page_split

    texts = SourceTexts(Path(bench) / "docs")
    out = []
    asked = [q for q in load_questions(bench) if page_split(bench, q["source_doc_id"]) == split]
    for q in progress(asked, "benchmark"):
        spans = context_spans(q, texts)
        out.append(read_question(
            assistant, q["question"],
            lambda c, spans=spans: any(doc_id(c.source) == d and c.start < e and s < c.end for d, s, e in spans),
            {"corpus": "external", "qid": q["id"], "unanswerable": not q["answerable"],
             "reference": q["reference_answer"] or None}))
    return out


def null_questions(assistant, corpus: str) -> list[dict]:
    """The calibration probes of this index as the assistant asks them at ingest (answering/calibration.py): the
    near misses, and the off-corpus questions of the fallback (each kind gets its own k)."""
    from assistant.answering.calibration import near_miss_probes, null_question_texts

    probes = near_miss_probes(assistant.store, assistant.manifest.chunk_ids(), assistant.answerer.keyword.terms)
    asked = [("near-miss", p.question, p.filter) for p in probes if p.filter is not None]
    asked += [("off-corpus", q, None) for q in null_question_texts()]
    return [read_question(assistant, q, lambda c: False, {"corpus": corpus, "qid": f"{kind}-{i}", "kind": kind,
                                                          "unanswerable": True, "reference": None}, where=where)
            for i, (kind, q, where) in enumerate(asked)]


# and the golden SUITES (not followups.jsonl, near_misses.jsonl)
KEYED = ("assistant/**/*.py", "assistant/data/*", "ingest/**/*.py", "corpus/*", "evals/tune_data.py",
         "evals/external.py", "evals/golden_io.py")


def tune_data_key(settings, bench: Path, root: Path = ROOT) -> str:
    """What the collected tune data depends on: the code that asks and labels the questions (assistant/, ingest/,
    this module, the benchmark's reader), the corpus, the golden files, the benchmark's files and the settings the
    questions are asked with. A cache written under another key is stale."""
    import hashlib

    digest = hashlib.sha256(settings.model_dump_json(exclude={"llm_api_key", "auth_password"}).encode())
    suites = [root / path.relative_to(ROOT) for path in SUITES.values()]  # the golden files the questions come from
    files = [p for pattern in KEYED for p in root.glob(pattern)] + suites + list(Path(bench).rglob("*"))
    for path in sorted(p for p in files if p.is_file()):
        name = path.relative_to(root) if path.is_relative_to(root) else path.relative_to(bench)
        digest.update(name.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def collect_tune_data(bench: Path, data_dir: Path, cache: Path | None = None) -> dict:
    """Every `tune` question of both corpora with its candidates, and each index's calibration probes: read from
    `cache` when it was written by this code over these data, else asked (both indexes are built first) and written
    there."""
    from assistant.settings import Settings
    from evals.runner import build_ours, build_services, ensure_index, quiet

    quiet()
    key = tune_data_key(Settings(), bench)
    if cache is not None and cache.is_file():
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return data
        print(f"{cache} was collected by other code or data: asking the tune questions again", file=sys.stderr)
    data = {"key": key, "questions": [], "nulls": []}
    gmg = build_services(Settings())
    ensure_index(gmg, progress=True)
    ours = build_ours(gmg).assistant
    data["questions"] += golden_questions(ours)
    data["nulls"] += null_questions(ours, "gmg")
    external = build_services(Settings().model_copy(
        update={"corpus_dir": bench / "docs", "data_dir": data_dir, "collection": "integreat"}))
    ensure_index(external, progress=True)
    ours = build_ours(external).assistant
    data["questions"] += external_questions(ours, bench)
    data["nulls"] += null_questions(ours, "external")
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(data), encoding="utf-8")
    return data


def progress(items, desc: str):
    from tqdm import tqdm

    return tqdm(items, desc=desc, file=sys.stderr, leave=False)
