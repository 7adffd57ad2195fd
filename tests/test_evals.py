"""The evaluation suite: metric functions on hand-made inputs, then the golden eval against thresholds.toml.

The golden run ingests a copy of corpus/ into a temporary index once per module (about a minute on 2 cores).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.markers import cited_spans, marker_ids, span_ends, strip_markers
from evals.answer_text import answer_sentences, contains_text, strip_attribution, word_count
from evals.compare import compare
from evals.external import token_scores
from evals.golden_io import (
    DEFAULT_THRESHOLDS,
    SUITES,
    ExpectedSource,
    GoldenError,
    check_thresholds,
    load_golden,
    load_thresholds,
    parse_case,
    split_of,
)
from evals.metrics import (
    abstention_scores,
    aggregate,
    citation_scores,
    citation_validity,
    facts_found,
    forbidden_found,
    percentile,
    retrieval_scores,
    score_case,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (
    "The GMG meets at regular intervals. The Chair is held on a rotating basis.\n"
    "- 1. Establishing a plan;\n- 2. Sharing data."
)


def source_text(name: str) -> str | None:
    return SOURCE if name == "note.txt" else None


def cite(n: int, start: int, end: int, source: str = "note.txt", section: str | None = "S") -> dict:
    return {
        "id": n,
        "source": source,
        "section": section,
        "start": start,
        "end": end,
        "text": SOURCE[start:end],
    }


# -- text helpers ---------------------------------------------------------------------------------------
def test_markers_and_sentences():
    answer = "The GMG meets at regular intervals. [1] UNHCR: They include advocacy. [2][3] Uncited tail."
    assert marker_ids(answer) == [1, 2, 3]
    assert marker_ids("x [1, 4]") == [1, 4]
    sentences = answer_sentences(answer)
    assert [s.ids for s in sentences] == [(1,), (2, 3), ()]
    assert sentences[0].text == "The GMG meets at regular intervals."
    # A quote of two sentences carries one marker: it covers both, and both must be in the cited passage.
    assert [s.ids for s in answer_sentences("The GMG meets. It rotates. [1] Tail.")] == [(1,), (1,), ()]
    assert word_count(answer) == 12
    assert strip_attribution("World Bank: The focus is data.") == "The focus is data."


def test_cited_spans_and_where_they_end():
    """assistant/markers.py is where answers' markers are read: the spans each marker group closes, and the ends
    the length cap may cut at (markers followed by a space or the end; "[1]." inside a sentence is not one)."""
    answer = "A b. [1] C d [2, 3] e [4]. F."
    assert cited_spans(answer) == [("A b.", (1,)), (" C d", (2, 3)), (" e", (4,)), (". F.", ())]
    assert span_ends(answer) == [answer.index("[1]") + 3, answer.index("[2, 3]") + 6]
    assert span_ends("One. [1]") == [8]
    assert strip_markers(answer) == "A b. C d e. F."


def test_contains_text_folds_whitespace_and_list_markers():
    assert contains_text("The Chair is held\non a rotating  basis.", "the chair is held on a rotating basis")
    assert contains_text(SOURCE, "Establishing a plan; Sharing data.")
    assert contains_text(SOURCE, "basis. 1; Establishing a plan; 2; Sharing data.")  # enumerators kept
    assert not contains_text(SOURCE, "The Chair is held on a permanent basis.")
    assert not contains_text(SOURCE, "")


def test_contains_text_accepts_an_elided_quote_only_in_order():
    assert contains_text("The Chair is held on a rotating basis by the heads.", "The Chair … rotating basis …")
    assert not contains_text("The Chair is held on a rotating basis by the heads.", "rotating basis … The Chair")
    assert not contains_text("The Chair is held on a rotating basis by the heads.", "The Chair … a permanent basis")


# -- retrieval --------------------------------------------------------------------------------------------
def test_retrieval_scores_rank_mrr_recall_and_section():
    expected = [ExpectedSource("a.txt", "ILO")]
    retrieved = [
        {"source": "a.txt", "section": "IOM"},
        {"source": "b.txt", "section": "ILO"},
        {"source": "a.txt", "section": "ILO"},
    ]
    s = retrieval_scores(retrieved, expected, k=2)
    assert s["rank"] == 3 and not s["hit_at_1"] and s["hit_at_5"] and s["rr"] == pytest.approx(1 / 3)
    assert s["recall_at_k"] == 0.0  # not in the top 2
    assert retrieval_scores(retrieved, [ExpectedSource("a.txt")], k=2)["hit_at_1"]
    # A chunk spanning several sections (the baseline's) matches any of them.
    assert retrieval_scores([{"source": "a.txt", "section": "IOM", "sections": ["IOM", "ILO"]}], expected, 4)[
        "hit_at_1"
    ]
    miss = retrieval_scores([{"source": "b.txt", "section": "ILO"}], expected, 4)
    assert miss["rank"] is None and miss["rr"] == 0.0 and not miss["hit_at_5"]


# -- answers -----------------------------------------------------------------------------------------------
def test_facts_and_forbidden():
    answer = "It was established in early\n2006 by the Secretary-General. [1]"
    assert facts_found(
        answer, [["early 2006"], ["Secretary General", "secretary-general"], ["April 2003"]]
    ) == [True, True, False]
    assert forbidden_found(answer, ["2005", "SECRETARY"]) == ["SECRETARY"]


# -- citations ---------------------------------------------------------------------------------------------
def test_citation_validity_passes_exact_quotes():
    answer = "The GMG meets at regular intervals. [1]"
    assert citation_validity(answer, [cite(1, 0, 35)], source_text) == []


def test_citation_validity_catches_dangling_marker_wrong_text_and_unknown_source():
    bad_text = dict(cite(1, 0, 35), text="The GMG meets every week.")
    problems = citation_validity(
        "Claim. [1] Other claim. [2]", [bad_text, cite(3, 0, 5, source="x.txt")], source_text
    )
    assert any("[2] has no citation" in p for p in problems)
    assert any("[1] text differs" in p for p in problems)
    assert any("x.txt" in p for p in problems)


def test_citation_support_and_coverage():
    citations = [cite(1, 0, 35), cite(2, 36, 74), cite(3, 75, len(SOURCE))]
    good = (
        "GMG: The GMG meets at regular intervals. [1] It rotates (rotating basis). [2] "
        "Establishing a plan; Sharing data. [3]"
    )
    s = citation_scores(good, citations, facts=[["rotating basis"]])
    assert s["support"] == 1.0 and s["coverage"] == 1.0 and s["unsupported"] == []
    # Not in its passage and stating no required fact: unsupported; an uncited sentence lowers coverage.
    bad = "The GMG meets every week. [1] The Chair is permanent."
    s = citation_scores(bad, citations, facts=[["rotating basis"]])
    assert s["support"] == 0.0 and s["coverage"] == 0.5 and s["unsupported"] == ["The GMG meets every week."]
    two = citation_scores("The GMG meets at regular intervals. The GMG meets every week. [1]", citations)
    assert two["coverage"] == 1.0 and two["unsupported"] == ["The GMG meets every week."]
    # Citing the wrong passage is unsupported too.
    assert citation_scores("The GMG meets at regular intervals. [2]", citations)["support"] == 0.0


def test_score_case_reports_what_failed():
    case = parse_case(
        {
            "id": "t1",
            "kind": "lookup",
            "question": "How often does the GMG meet?",
            "required_facts": [["regular intervals"], ["monthly"]],
            "forbidden": ["weekly"],
            "expected_sources": [{"source": "note.txt", "section": "S"}],
        }
    )
    answer = {
        "answer": "The GMG meets at regular intervals. [1] Weekly, too. [2]",
        "abstained": False,
        "citations": [cite(1, 0, 35)],
    }
    scores, failures = score_case(case, answer, [{"source": "note.txt", "section": "S"}], 6, source_text)
    assert scores["facts_found"] == [True, False] and scores["fact_pass"] is False and not scores["passed"]
    assert "missing fact: 'monthly'" in failures and "forbidden: 'weekly'" in failures
    assert any(f.startswith("invalid citation: [2]") for f in failures)
    assert scores["hit_at_1"] and scores["expected_cited"]
    ok = {
        "answer": "The GMG meets at regular intervals. [1]",
        "abstained": False,
        "citations": [cite(1, 0, 35)],
    }
    case.required_facts = [["regular intervals"]]
    scores, failures = score_case(case, ok, [{"source": "note.txt", "section": "S"}], 6, source_text)
    assert failures == [] and scores["passed"]


def test_an_answer_of_80_words_or_more_is_long_unless_the_question_asked_for_a_list():
    case = parse_case({"id": "t2", "kind": "lookup", "question": "What is the GMG?", "required_facts": []})
    text = "The GMG meets at regular intervals. " + "word " * 74 + "[1]"  # 80 words
    answer = {"answer": text, "abstained": False, "citations": [cite(1, 0, 35)], "question": "What is the GMG?"}
    assert score_case(case, answer, [], 6, source_text)[0]["long"] is True
    shorter = {**answer, "answer": "The GMG meets at regular intervals. " + "word " * 73 + "[1]"}
    assert score_case(case, shorter, [], 6, source_text)[0]["long"] is False
    # what the answerer read counts: a follow-up rewritten as a list question asked for a list
    listed = {**answer, "question": "and the members?", "standalone_question": "what are the members of the GMG?"}
    assert score_case(case, listed, [], 6, source_text)[0]["long"] is False
    assert score_case(case, {**answer, "abstained": True}, [], 6, source_text)[0]["long"] is None


def test_abstention_scores_and_aggregate():
    pairs = [(True, True), (True, False), (False, True), (False, False), (False, False)]
    s = abstention_scores(pairs)
    assert s["abstention_precision"] == 0.5 and s["abstention_recall"] == 0.5
    assert s["false_abstention_rate"] == pytest.approx(1 / 3)
    assert abstention_scores([(False, False)])["abstention_precision"] is None
    records = []
    for i, (unanswerable, abstained) in enumerate(pairs):
        scores = {
            "abstained": abstained,
            "words": None if abstained else 5,
            "facts_found": [not abstained],
            "fact_pass": None if unanswerable else not abstained,
            "forbidden_found": [],
            "citation_valid": True,
            "coverage": None if abstained else 1.0,
            "cited_sentences": 0 if abstained else 1,
            "supported_sentences": 0 if abstained else 1,
            "passed": unanswerable == abstained,
        }
        if not unanswerable:
            scores.update(
                {
                    "rank": 1,
                    "hit_at_1": True,
                    "hit_at_5": True,
                    "rr": 1.0,
                    "recall_at_k": 1.0,
                    "expected_cited": not abstained,
                }
            )
        records.append(
            {
                "id": str(i),
                "kind": "k",
                "unanswerable": unanswerable,
                "scores": scores,
                "turn_latency_ms": [10.0 * (i + 1)],
            }
        )
    m = aggregate(records)
    assert m["hit_at_5"] == 1.0 and m["fact_recall"] == pytest.approx(2 / 3)
    assert m["latency_p50_ms"] == 30.0 and m["per_kind"]["k"]["n"] == 5
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([], 95) is None


# -- thresholds, calibration, compare, external --------------------------------------------------------------
def test_check_thresholds_flags_misses():
    thresholds = {"min": {"hit_at_5": 0.9, "citation_validity": 1.0}, "max": {"false_abstention_rate": 0.1}}
    assert (
        check_thresholds(
            {"hit_at_5": 0.95, "citation_validity": 1.0, "false_abstention_rate": 0.05}, thresholds
        )
        == []
    )
    problems = check_thresholds(
        {"hit_at_5": 0.5, "citation_validity": None, "false_abstention_rate": 0.2}, thresholds
    )
    assert len(problems) == 3


def test_compare_finds_flips():
    def run(passed: dict[str, bool], recall: float) -> dict:
        records = [
            {"id": i, "answer": {"answer": i}, "failures": [] if p else ["x"], "scores": {"passed": p}}
            for i, p in passed.items()
        ]
        return {"systems": {"ours": {"metrics": {"fact_recall": recall}, "records": records}}}

    diff = compare(run({"a": True, "b": False}, 0.5), run({"a": False, "b": True}, 0.75))["ours"]
    assert [f["id"] for f in diff["fixed"]] == ["b"] and [f["id"] for f in diff["broken"]] == ["a"]
    assert diff["metrics"]["fact_recall"]["delta"] == 0.25


def test_external_scoring_of_one_question(tmp_path):
    from evals.baseline import SourceTexts
    from evals.external import answer_text, score_row

    (tmp_path / "city_1.txt").write_text("Title\nThe office opens at 9.\nBring your passport.\n")
    texts = SourceTexts(tmp_path)
    row = {
        "answerable": True,
        "reference_doc_ids": ["city_1"],
        "reference_contexts": ["Bring your passport."],
        "reference_answer": "Bring your passport.",
    }
    cited = {
        "answer": "Office: Bring your passport. [1]",
        "abstained": False,
        "citations": [
            {"id": 1, "source": "city_1.txt", "start": 29, "end": 49, "text": "Bring your passport."}
        ],
    }
    retrieved = [
        {"source": "other_2.txt", "start": 0, "end": 5},
        {"source": "city_1.txt", "start": 24, "end": 50},
    ]
    s = score_row(row, cited, retrieved, texts)
    assert s["doc_rank"] == 2 and s["rr"] == 0.5 and s["passage_hit_at_5"] and s["citation_overlap"]
    assert s["token_recall"] == 1.0 and s["citation_valid"] and s["passed"]
    assert answer_text(cited["answer"]) == "Bring your passport."
    wrong = dict(
        cited, citations=[dict(cited["citations"][0], start=6, end=26, text="The office opens at X")]
    )
    s = score_row(row, wrong, retrieved, texts)
    assert not s["citation_overlap"] and not s["citation_valid"] and not s["passed"]
    unanswerable = {
        "answerable": False,
        "reference_doc_ids": [],
        "reference_contexts": [],
        "reference_answer": "",
    }
    assert score_row(unanswerable, {"answer": "No.", "abstained": True, "citations": []}, [], texts)["passed"]


def test_token_scores():
    assert token_scores("The Münchner Kammerspiele.", "the Münchner Kammerspiele")["f1"] == 1.0
    s = token_scores("theater box office", "box office hours")
    assert s["recall"] == pytest.approx(2 / 3) and s["precision"] == pytest.approx(2 / 3)
    assert token_scores("", "anything")["f1"] == 0.0


# -- the golden files themselves ------------------------------------------------------------------------------
def _labelled(case):
    return case.turn_cases if case.turn_cases is not None else [case]


@pytest.mark.parametrize("suite", list(SUITES))
def test_golden_file_is_consistent_with_the_corpus(suite):
    from ingest.glossary import Glossary
    from ingest.sections import segment

    cases = load_golden(SUITES[suite])
    assert len({c.id for c in cases}) == len(cases)
    glossary = Glossary.load(ROOT / "corpus" / "glossary.toml")
    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "corpus").glob("*.txt")}
    sections = {name: {s.name for s in segment(text, glossary)[0]} for name, text in texts.items()}
    corpus = " ".join(" ".join(t.split()).lower() for t in texts.values())
    for case in (t for c in cases for t in _labelled(c) if t.scored):
        assert case.unanswerable or case.required_facts, case.id
        for e in case.expected_sources:
            assert e.source in texts, case.id
            assert e.section is None or e.section in sections[e.source], (case.id, e.section)
        for spellings in case.required_facts:
            assert any(" ".join(s.split()).lower() in corpus for s in spellings), (case.id, spellings)


def test_golden_sets_are_the_size_the_issue_asks_for():
    natural = load_golden(SUITES["natural"])
    assert len(natural) >= 80 and sum(c.unanswerable for c in natural) >= 20
    conversations = load_golden(SUITES["conversations"])
    assert len(conversations) >= 20 and all(len(c.turns) >= 4 for c in conversations)
    turns = [t for c in conversations for t in c.turn_cases]
    assert any(t.standalone for t in turns[1:]) and any(not t.standalone for t in turns)


def test_splits_are_fixed_and_about_half():
    cases = [c for path in SUITES.values() for c in load_golden(path)]
    tune = [c for c in cases if c.split == "tune"]
    assert 0.35 < len(tune) / len(cases) < 0.65
    assert split_of("gmg-001") == split_of("gmg-001") and {split_of(f"x{i}") for i in range(20)} == {"tune", "test"}


def test_golden_loader_rejects_bad_cases(tmp_path):
    with pytest.raises(GoldenError):
        parse_case({"id": "x"})
    with pytest.raises(GoldenError, match="standalone"):
        parse_case({"id": "c", "turns": [{"question": "What is the GMG?"}]})
    with pytest.raises(GoldenError, match="refers_to"):
        parse_case({"id": "c", "turns": [{"question": "Who chairs it?", "standalone": False}]})
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q"}\n{"id": "a", "question": "q"}\n')
    with pytest.raises(GoldenError, match="duplicate"):
        load_golden(bad)


# -- the golden evaluation: the `test` split of every suite against its pinned thresholds -----------------------
@pytest.fixture(scope="module")
def golden_results(tmp_path_factory):
    """Every suite run once over a fresh index (the baseline too, on the gmg suite)."""
    from assistant.settings import Settings
    from evals.runner import build_services, run_golden

    tmp = tmp_path_factory.mktemp("evals")
    corpus = tmp / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    settings = Settings(_env_file=None, data_dir=tmp / "data", corpus_dir=corpus, chroma_host=None)
    services = build_services(settings)
    return {suite: run_golden(settings, load_golden(path), baseline=suite == "gmg", progress=False,
                              services=services) for suite, path in SUITES.items()}


PINNED = [(suite, bound, key, value) for suite in SUITES for bound in ("min", "max")
          for key, value in load_thresholds(DEFAULT_THRESHOLDS, suite)[bound].items()]


@pytest.mark.parametrize(("suite", "bound", "key", "limit"), PINNED, ids=[f"{s}-{b}-{k}" for s, b, k, _ in PINNED])
def test_metric_meets_pinned_threshold(golden_results, suite, bound, key, limit):
    value = golden_results[suite]["systems"]["ours"]["splits"]["test"][key]
    assert value is not None, key
    if bound == "min":
        assert value >= limit, f"{suite} test split: {key} = {value:.3f} < pinned minimum {limit}"
    else:
        assert value <= limit, f"{suite} test split: {key} = {value:.3f} > pinned maximum {limit}"


def test_every_suite_has_pinned_thresholds():
    for suite in [*SUITES, "external", "external_city"]:
        assert load_thresholds(DEFAULT_THRESHOLDS, suite)["min"], suite


def test_baseline_runs_through_the_same_harness(golden_results):
    ours = golden_results["gmg"]["systems"]["ours"]["metrics"]
    base = golden_results["gmg"]["systems"]["baseline"]["metrics"]
    assert base["n"] == ours["n"]
    assert base["citation_validity"] == 1.0  # its single citation is an exact span of the file
    assert base["abstention_recall"] == 0.0  # it never abstains
    assert ours["fact_recall"] > base["fact_recall"]
    assert ours["citation_support"] == 1.0 and ours["pass_rate"] > base["pass_rate"]


def test_conversations_are_scored_turn_by_turn(golden_results):
    records = golden_results["conversations"]["systems"]["ours"]["records"]
    scored = sum(1 for c in load_golden(SUITES["conversations"]) for t in c.turn_cases if t.scored)
    assert len(records) == scored
    follow_ups = [r for r in records if r["scores"]["standalone"] is False]
    assert follow_ups and all(r["answer"].get("standalone_question") for r in follow_ups
                              if r["scores"]["resolved"])


def test_reports_are_written(golden_results, tmp_path):
    from evals.report import write_reports

    paths = write_reports(golden_results["gmg"], tmp_path)
    data = json.loads(paths["json"].read_text())
    assert set(data["systems"]) == {"ours", "baseline"}
    html = paths["html"].read_text()
    assert html.count("data:image/png;base64,") == 3 and "gmg-138" in html
    md = paths["md"].read_text()
    assert "| retrieval hit@5 |" in md and "ours test" in md and "ours tune" in md


def test_html_report_renders_questions_and_answers_as_text(golden_results):
    import copy

    from evals.report import to_html

    results = copy.deepcopy(golden_results["gmg"])
    record = results["systems"]["ours"]["records"][0]
    record["turns"] = ["<script>alert(1)</script>"]
    record["answer"]["answer"] = '<img src=x onerror="alert(2)"> [1]'
    html = to_html(results, images={})
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x" in html


def test_questions_of_reads_runs_written_before_records_kept_their_turns():
    from evals.app_runs import questions_of

    new = {"systems": {"ours": {"records": [{"id": "a", "turns": ["q1", "q2"]}]}}}
    old = {"systems": {"ours": {"records": [{"id": "a", "answer": {"question": "q"}}]}}}
    assert questions_of(new) == frozenset({("a", ("q1", "q2"))})
    assert questions_of(old) == frozenset({("a", ("q",))})


def test_followups_file_loads_and_splits():
    from evals.followups import load_followups

    cases = load_followups()
    assert len(cases) >= 320 and len({c.id for c in cases}) == len(cases)
    assert {c.split for c in cases} == {"tune", "test"}
    assert all(c.refers_to for c in cases if not c.standalone)


def test_followups_loader_names_the_bad_line(tmp_path):
    from evals.followups import load_followups

    path = tmp_path / "f.jsonl"
    good = {"id": "a", "history": ["What does UNHCR do?"], "question": "since when?", "standalone": False,
            "refers_to": ["UNHCR"], "form": "fragment"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "b", "refers_to": []}) + "\n")
    with pytest.raises(GoldenError, match="line 2"):
        load_followups(path)


def test_near_misses_file_loads_and_splits(tmp_path):
    from evals.near_misses import load_near_misses

    cases = load_near_misses()
    assert len(cases) == 300 and len({c.id for c in cases}) == 300 and {c.kind for c in cases} == {1, 2, 3, 4, 5}
    assert {c.split for c in cases} == {"tune", "test"}
    path = tmp_path / "n.jsonl"
    good = '{"id": "a", "about": "GMG", "kind": 1, "question": "q?"}\n'
    for bad in ('{"id": "b", "question": "q?"}', good.replace("1,", "6,"), good.strip()):  # keys, kind, id twice
        path.write_text(good + bad + "\n")
        with pytest.raises(GoldenError, match="line 2"):
            load_near_misses(path)


def test_near_misses_test_split_meets_pinned_thresholds(assistant):
    """Questions near the notes' subject that they do not answer, `test` split: the share abstained on."""
    from evals.near_misses import load_near_misses, run_near_misses

    results = run_near_misses(assistant, [c for c in load_near_misses() if c.split == "test"])
    figures = results["splits"]["test"]
    assert figures["questions"] > 100
    pinned = load_thresholds(DEFAULT_THRESHOLDS, "near_misses")
    assert pinned["min"]["abstention_recall"] > 0.3 and not check_thresholds(figures, pinned), figures


def test_followups_test_split_meets_pinned_thresholds(assistant):
    """The short chats of the `test` split, replayed through the Conversation the app holds."""
    from evals.followups import load_followups, run_followups

    results = run_followups(assistant, [c for c in load_followups() if c.split == "test"])
    figures = results["splits"]["test"]
    assert not check_thresholds(figures, load_thresholds(DEFAULT_THRESHOLDS, "followups")), figures


def test_cut_quotes_counts_quotes_that_lean_on_an_unquoted_sentence():
    from evals.metrics import cut_quotes

    def quote(start: int, end: int, text: str, source: str = "a.txt") -> dict:
        return {"source": source, "start": start, "end": end, "text": text}

    lead = quote(0, 40, "ILO has dealt with labour migration since 1919.")
    joined = quote(41, 80, "It has pioneered international Conventions.")
    assert cut_quotes([lead, joined]) == 0  # quoted right after the sentence it leans on
    assert cut_quotes([joined]) == 1
    assert cut_quotes([lead, quote(41, 80, "It has pioneered …", source="b.txt")]) == 1  # another document
    assert cut_quotes([quote(200, 240, "Items of the plan.")]) == 0  # opens with no pointer back
    after_list_marker = quote(44, 80, "It has pioneered …")  # "\n\n- " between them: one passage
    assert cut_quotes([lead, after_list_marker]) == 0 and cut_quotes([lead, quote(45, 80, "It …")]) == 1
    assert cut_quotes([after_list_marker, lead]) == 0  # the order of the quotes in the answer does not matter
