"""The external benchmark (integreat_qa_en, CC BY 4.0, Hinz et al. KONVENS 2024): ours vs the baseline.

Its docs/ are ingested into their own data dir and collection; every question is asked with no history. Scored:
doc-level hit@1/hit@5/MRR (a retrieved chunk of a reference document), passage-level hit@5 (that chunk also overlaps
a reference context), token recall/F1 of the answer against the reference answer, whether a citation overlaps a
reference context, and abstention on the unanswerable questions."""

from __future__ import annotations

import json
import random
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from assistant.markers import cited_spans
from assistant.settings import Settings
from evals.answer_text import strip_attribution, word_count
from evals.baseline import SourceTexts
from evals.golden_io import SPLITS, split_of
from evals.metrics import abstention_scores, citation_validity, mean, percentile, ranking_means
from evals.runner import RETRIEVE_K, build_baseline, build_ours, build_services, ensure_index, meta, quiet

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation})


TWIN_JACCARD = 0.6  # pages sharing this much of their vocabulary are copies (the cities reuse each other's pages)


@lru_cache(maxsize=4)
def page_groups(docs: Path) -> dict[str, str]:
    """Page id → the id of its group: pages whose word sets overlap by TWIN_JACCARD or more (transitively) are one
    group, so near copies of a page never sit on both sides of the tune/test split."""
    words = {p.stem: set(re.findall(r"[a-zäöüß]{3,}", p.read_text(encoding="utf-8").lower()))
             for p in sorted(Path(docs).glob("*.txt"))}
    parent = {page: page for page in words}

    def root(page: str) -> str:
        while parent[page] != page:
            parent[page] = parent[parent[page]]
            page = parent[page]
        return page

    pages = list(words)
    for i, a in enumerate(pages):
        for b in pages[i + 1 :]:
            union = len(words[a] | words[b])
            if union and len(words[a] & words[b]) / union >= TWIN_JACCARD:
                parent[root(b)] = root(a)
    return {page: min(p for p in pages if root(p) == root(page)) for page in pages}


def page_split(bench: Path, page: str) -> str:
    """"tune" or "test" for a benchmark page: the split (golden_io.split_of) of its group of near copies."""
    return split_of(page_groups(Path(bench) / "docs").get(page, page))


def load_questions(path: Path, limit: int | None = None, seed: int = 0) -> list[dict]:
    """The benchmark's qa.jsonl; with `limit`, a fixed random sample of it, kept in file order."""
    rows = [
        json.loads(line)
        for line in (Path(path) / "qa.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    if limit is not None and limit < len(rows):
        keep = set(random.Random(seed).sample(range(len(rows)), limit))
        rows = [r for i, r in enumerate(rows) if i in keep]
    return rows


def normalize_tokens(text: str) -> list[str]:
    """SQuAD-style: lower case, punctuation and articles dropped, whitespace split."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCT))
    return text.split()


def token_scores(prediction: str, reference: str) -> dict:
    pred, ref = normalize_tokens(prediction), normalize_tokens(reference)
    if not pred or not ref:
        return {"recall": 0.0, "precision": 0.0, "f1": 0.0}
    common = sum((Counter(pred) & Counter(ref)).values())
    recall, precision = common / len(ref), common / len(pred)
    f1 = 2 * recall * precision / (recall + precision) if common else 0.0
    return {"recall": recall, "precision": precision, "f1": f1}


def answer_text(answer: str) -> str:
    """The answer as prose: markers and attribution prefixes removed."""
    return " ".join(" ".join(strip_attribution(text.strip()) for text, _ in cited_spans(answer)).split())


def doc_id(source: str) -> str:
    return Path(source).stem


def context_spans(row: dict, texts: SourceTexts) -> list[tuple[str, int, int]]:
    """(doc id, start, end) of each reference context in its document."""
    spans = []
    for doc in row["reference_doc_ids"]:
        text = texts(f"{doc}.txt") or ""
        for ctx in row["reference_contexts"]:
            pos = text.find(ctx)
            if pos >= 0:
                spans.append((doc, pos, pos + len(ctx)))
    return spans


def _overlaps(source: str, start: int, end: int, spans: Sequence[tuple[str, int, int]]) -> bool:
    d = doc_id(source)
    return any(d == sd and start < se and ss < end for sd, ss, se in spans)


def score_row(row: dict, answer: dict, retrieved: Sequence[dict], texts: SourceTexts) -> dict:
    refs = set(row["reference_doc_ids"])
    spans = context_spans(row, texts)
    abstained = bool(answer.get("abstained"))
    doc_rank = next((i for i, m in enumerate(retrieved, 1) if doc_id(m["source"]) in refs), None)
    passage_rank = next(
        (
            i
            for i, m in enumerate(retrieved, 1)
            if _overlaps(m["source"], int(m["start"]), int(m["end"]), spans)
        ),
        None,
    )
    prose = "" if abstained else answer_text(answer["answer"])
    tok = token_scores(prose, row["reference_answer"]) if row["answerable"] else None
    cites = answer.get("citations", [])
    overlap = (
        any(_overlaps(c["source"], c["start"], c["end"], spans) for c in cites) if row["answerable"] else None
    )
    problems = citation_validity(answer["answer"], cites, texts)
    first = cites[0] if cites and not abstained else None
    s = {
        # the page the answer's first citation quotes is one the reference answer comes from
        "first_cited_hit": (first is not None and doc_id(first["source"]) in refs) if row["answerable"] else None,
        "abstained": abstained,
        "doc_rank": doc_rank,
        "hit_at_1": doc_rank == 1 if refs else None,
        "hit_at_5": doc_rank is not None and doc_rank <= 5 if refs else None,
        "rr": (1 / doc_rank if doc_rank else 0.0) if refs else None,
        "passage_hit_at_5": passage_rank is not None and passage_rank <= 5 if spans else None,
        "token_recall": tok["recall"] if tok else None,
        "token_f1": tok["f1"] if tok else None,
        "citation_overlap": overlap,
        "citation_valid": not problems if cites else None,
        "citation_problems": problems,
        "words": None if abstained else word_count(answer["answer"]),
    }
    s["passed"] = bool(abstained) if not row["answerable"] else bool(overlap)
    return s


def aggregate_external(records: Sequence[dict]) -> dict:
    """The headline metrics over `records`; `splits` holds the same per split (pages are split by
    golden_io.split_of on the id of their group of near copies, see page_split)."""
    out = _aggregate(records)
    out["splits"] = {split: _aggregate([r for r in records if r["split"] == split]) for split in SPLITS}
    return out


def _aggregate(records: Sequence[dict]) -> dict:
    scores = [r["scores"] for r in records]
    ans = [s for r, s in zip(records, scores, strict=True) if r["answerable"]]
    latencies = [r["latency_ms"] for r in records]
    return {
        "n": len(records),
        "answerable": len(ans),
        **ranking_means(ans),
        "first_cited_hit": mean(s["first_cited_hit"] for s in ans),
        "passage_hit_at_5": mean(s["passage_hit_at_5"] for s in ans),
        "token_recall": mean(s["token_recall"] for s in ans),
        "token_f1": mean(s["token_f1"] for s in ans),
        "citation_overlap": mean(s["citation_overlap"] for s in ans),
        "citation_validity": mean(s["citation_valid"] for s in scores),
        "answer_words_mean": mean(s["words"] for s in scores),
        **abstention_scores(
            [(not r["answerable"], s["abstained"]) for r, s in zip(records, scores, strict=True)]
        ),
        "pass_rate": mean(s["passed"] for s in scores),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


EXTERNAL_HEADLINE = [
    ("first_cited_hit", "first-cited page hit"),
    ("hit_at_1", "doc hit@1"),
    ("hit_at_5", "doc hit@5"),
    ("mrr", "doc MRR@10"),
    ("passage_hit_at_5", "passage hit@5"),
    ("token_recall", "token recall"),
    ("token_f1", "token F1"),
    ("citation_overlap", "citation overlaps reference"),
    ("citation_validity", "citation validity"),
    ("answer_words_mean", "answer length (words)"),
    ("abstention_recall", "abstention recall (unanswerable)"),
    ("abstention_precision", "abstention precision"),
    ("false_abstention_rate", "false-abstention rate"),
    ("latency_p50_ms", "latency p50 (ms)"),
    ("latency_p95_ms", "latency p95 (ms)"),
]


def pages_by_city(docs: Path) -> dict[str, list[str]]:
    """City → its page files. A file is named city_page[_suffix].txt ("muenchen_5581779_v2.txt"); no city name
    holds a "_" ("rems-murr-kreis")."""
    by_city: dict[str, list[str]] = {}
    for path in sorted(Path(docs).glob("*.txt")):
        by_city.setdefault(path.stem.split("_", 1)[0], []).append(path.name)
    return by_city


def _city_filter(row: dict, sources_by_city: dict[str, list[str]]) -> dict | None:
    sources = sources_by_city.get(row.get("city") or "")
    return {"source": {"$in": sources}} if sources else None


def run_external(
    bench: Path,
    *,
    data_dir: Path,
    limit: int | None = None,
    baseline: bool = True,
    progress: bool = True,
    scope_city: bool = False,
    settings: Settings | None = None,
    split: str | None = None,
) -> dict:
    quiet()
    started = time.perf_counter()
    docs = Path(bench) / "docs"
    if not docs.is_dir():
        raise FileNotFoundError(f"{docs} does not exist: give the benchmark folder (with docs/ and qa.jsonl)")
    settings = (settings or Settings()).model_copy(
        update={"corpus_dir": docs, "data_dir": Path(data_dir), "collection": "integreat"}
    )
    rows = [r for r in load_questions(bench, limit) if split in (None, page_split(bench, r["source_doc_id"]))]
    services = build_services(settings)
    index = ensure_index(services, progress=progress)
    systems = [build_ours(services)]
    if baseline:
        systems.append(build_baseline(services, progress=progress))
    texts = SourceTexts(docs)
    by_city = pages_by_city(docs)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(rows) * len(systems), desc="external", unit="q", file=sys.stderr)
    out = {}
    try:
        for system in systems:
            records = []
            for row in rows:
                where = _city_filter(row, by_city) if scope_city else None
                t0 = time.perf_counter()
                try:
                    result = system.ask(row["question"], filter=where)
                    answer = result.to_json()
                    answer["evidence"] = result.evidence
                except Exception as exc:  # a crash is a failed question, not a failed run
                    answer = {
                        "answer": "",
                        "citations": [],
                        "abstained": False,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                latency = (time.perf_counter() - t0) * 1000
                retrieved = system.retrieve(row["question"], k=RETRIEVE_K, filter=where)
                records.append(
                    {
                        "id": row["id"],
                        "split": page_split(bench, row["source_doc_id"]),
                        "question": row["question"],
                        "answerable": row["answerable"],
                        "kind": "answerable" if row["answerable"] else "unanswerable",
                        "city": row.get("city"),
                        "reference_doc_ids": row["reference_doc_ids"],
                        "answer": answer,
                        "retrieved": [{k: m.get(k) for k in ("source", "start", "end")} for m in retrieved],
                        "latency_ms": round(latency, 1),
                        "scores": score_row(row, answer, retrieved, texts),
                    }
                )
                if bar is not None:
                    bar.set_postfix_str(f"{system.name} {row['id']}", refresh=False)
                    bar.update(1)
            out[system.name] = {"k": system.k, "metrics": aggregate_external(records), "records": records}
    finally:
        if bar is not None:
            bar.close()
    info = meta(settings, services, None, index, time.perf_counter() - started, len(rows))
    info.update(
        {
            "benchmark": str(bench),
            "limit": limit,
            "scope_city": scope_city,
            "attribution": "integreat_qa_en: OMoS-QA (Hinz et al., KONVENS 2024), CC BY 4.0",
        }
    )
    return {"meta": info, "systems": out}


def summary_rows(results: dict, only: str | None = None) -> tuple[list[str], list[list[str]]]:
    """metric | each system's tune and test split (or the `only` one) | ours − baseline on test."""
    from evals.report import _delta, fmt

    names = list(results["systems"])
    splits = [s for s in SPLITS if only in (None, s)]
    columns = [(f"{n} {s}", results["systems"][n]["metrics"]["splits"][s]) for n in names for s in splits]
    last = splits[-1]
    header = ["metric", *(c for c, _ in columns)] + ([f"Δ (ours − baseline, {last})"] if len(names) == 2 else [])
    rows = []
    for key, label in EXTERNAL_HEADLINE:
        row = [label, *(fmt(key, m.get(key)) for _, m in columns)]
        if len(names) == 2:
            row.append(_delta(key, *(results["systems"][n]["metrics"]["splits"][last].get(key) for n in names)))
        rows.append(row)
    return header, rows


def to_markdown(results: dict, samples: int = 12) -> str:
    from evals.report import _md_table, _short

    m = results["meta"]
    names = list(results["systems"])
    first = results["systems"][names[0]]["metrics"]
    parts = [
        "# External benchmark: integreat_qa_en",
        "",
        f"{m['cases']} questions ({first['answerable']} answerable) from `{m['benchmark']}`"
        f"{' (sample of ' + str(m['limit']) + ')' if m.get('limit') else ''}; retrieval "
        f"{'scoped to the question city' if m.get('scope_city') else 'over all 619 pages'}; "
        f"run {m['created']} in {m['seconds']} s. {m['attribution']}.",
        "",
        _md_table(*summary_rows(results)),
        "",
        "Retrieval, token and citation metrics are over the answerable questions. "
        '"Unanswerable" upstream means '
        "not answered by its own page; another page may answer it.",
        "",
    ]
    for name in names:
        recs = results["systems"][name]["records"]
        wrong = [r for r in recs if not r["scores"]["passed"]][:samples]
        parts += [
            f"## {name}: sample of failures",
            "",
            _md_table(
                ["id", "question", "answer", "doc rank", "token recall"],
                [
                    [
                        r["id"],
                        r["question"],
                        _short(r["answer"]["answer"], 200),
                        str(r["scores"]["doc_rank"]),
                        fmt_opt(r["scores"]["token_recall"]),
                    ]
                    for r in wrong
                ],
            ),
            "",
        ]
    return "\n".join(parts)


def fmt_opt(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def print_external(results: dict, console=None, only: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    header, rows = summary_rows(results, only)
    m = results["meta"]
    table = Table(
        title=f"integreat_qa_en: {m['cases']} questions" + (" (city-scoped)" if m.get("scope_city") else "")
    )
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def write_external(results: dict, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "results.json", "md": out / "report.md"}
    paths["json"].write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    paths["md"].write_text(to_markdown(results), encoding="utf-8")
    return paths
