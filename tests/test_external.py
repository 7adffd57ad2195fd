"""The external benchmark's `test` pages (integreat_qa_en, CC BY 4.0): our system over its own fresh index, scored
against the thresholds pinned in evals/thresholds.toml [external]. Nothing was fitted on these pages (evals/
fit_reader.py reads only `tune` pages), so this is how the reader and its calibrated abstention transfer to
documents nobody tuned for. Ingesting the 619 pages takes about two minutes on 2 cores. The same questions are
asked again searching only their own city's pages, as the Integreat app they were written for does
([external_city]); that reuses the index and takes about a minute and a half.
"""

from __future__ import annotations

import pytest
from conftest import REPO, make_settings

from evals.golden_io import DEFAULT_THRESHOLDS, load_thresholds, split_of

BENCH = REPO / "evals" / "benchmarks" / "integreat_qa_en"
SCOPED = {"external": False, "external_city": True}  # pinned suite → its questions searched in their city only
PINNED = [(suite, bound, key, value) for suite in SCOPED for bound in ("min", "max")
          for key, value in load_thresholds(DEFAULT_THRESHOLDS, suite)[bound].items()]


@pytest.fixture(scope="module")
def benchmark_data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("external")
    return tmp / "data", make_settings(tmp / "data", BENCH / "docs")


def _run(benchmark_data, suite: str) -> dict:
    from evals.external import run_external

    data, settings = benchmark_data
    return run_external(BENCH, data_dir=data, baseline=False, progress=False, settings=settings, split="test",
                        scope_city=SCOPED[suite])


@pytest.fixture(scope="module")
def external_results(benchmark_data):
    return _run(benchmark_data, "external")


@pytest.fixture(scope="module")
def external_city_results(benchmark_data, external_results):
    return _run(benchmark_data, "external_city")  # after the other: it reuses that run's index


def test_only_test_pages_are_asked(external_results):
    records = external_results["systems"]["ours"]["records"]
    assert records and {r["split"] for r in records} == {"test"}
    asked = {r["id"] for r in records}
    from evals.external import load_questions, page_groups, page_split

    expected = {q["id"] for q in load_questions(BENCH) if page_split(BENCH, q["source_doc_id"]) == "test"}
    assert asked == expected and 250 < len(asked) < 400
    groups = page_groups(BENCH / "docs")  # near copies of a page stay on its side of the split
    assert len(set(groups.values())) < len(groups)
    assert all(page_split(BENCH, page) == split_of(group) for page, group in groups.items())


@pytest.mark.parametrize(("suite", "bound", "key", "limit"), PINNED, ids=[f"{s}-{b}-{k}" for s, b, k, _ in PINNED])
def test_external_metric_meets_pinned_threshold(request, suite, bound, key, limit):
    value = request.getfixturevalue(f"{suite}_results")["systems"]["ours"]["metrics"]["splits"]["test"][key]
    assert value is not None, key
    if bound == "min":
        assert value >= limit, f"{suite} test split: {key} = {value:.3f} < pinned minimum {limit}"
    else:
        assert value <= limit, f"{suite} test split: {key} = {value:.3f} > pinned maximum {limit}"


def test_every_citation_quotes_its_page_exactly(external_results):
    assert external_results["systems"]["ours"]["metrics"]["splits"]["test"]["citation_validity"] == 1.0


def test_a_city_scoped_question_is_searched_and_answered_in_its_own_city(external_city_results):
    records = external_city_results["systems"]["ours"]["records"]
    cited = [(r["city"], c["source"]) for r in records for c in r["answer"]["citations"]]
    retrieved = [(r["city"], m["source"]) for r in records for m in r["retrieved"]]
    assert cited and all(source.startswith(f"{city}_") for city, source in cited + retrieved)


def test_every_reference_page_is_searched_with_its_question_city():
    from evals.external import load_questions, pages_by_city

    by_city = pages_by_city(BENCH / "docs")
    assert set(by_city) == {"muenchen", "lkaugsburg", "rems-murr-kreis"}
    pages = {q["city"]: set() for q in load_questions(BENCH)}
    for q in load_questions(BENCH):
        pages[q["city"]] |= {f"{page}.txt" for page in q["reference_doc_ids"]}
    assert "muenchen_5581779_v2.txt" in pages["muenchen"]  # a page file with a suffix
    assert all(wanted <= set(by_city[city]) for city, wanted in pages.items())


def test_the_cli_checks_a_city_scoped_run_against_its_own_pins(monkeypatch, tmp_path):
    """`evals external --scope-city --check` compares with [external_city], not [external], and writes to
    evals/out/external_city by default. The run itself is replaced by fixed figures: what is under test is the
    command's choice of pins and folder, for figures that meet [external] and miss [external_city]."""
    from typer.testing import CliRunner

    import evals.__main__ as cli
    import evals.external as external

    pins = {suite: load_thresholds(DEFAULT_THRESHOLDS, suite) for suite in SCOPED}
    metrics = {key: max(p["min"].get(key, 0.0) for p in pins.values()) for p in pins.values() for key in p["min"]}
    metrics |= {key: min(p["max"].get(key, 1e9) for p in pins.values()) for p in pins.values() for key in p["max"]}
    metrics["first_cited_hit"] = (pins["external"]["min"]["first_cited_hit"]
                                  + pins["external_city"]["min"]["first_cited_hit"]) / 2

    def fixed_run(bench, *, scope_city, **_):
        return {"meta": {"cases": 1, "benchmark": str(bench), "created": "now", "seconds": 0.0, "limit": None,
                         "attribution": "integreat_qa_en", "scope_city": scope_city},
                "systems": {"ours": {"k": 6, "records": [],
                                     "metrics": {**metrics, "answerable": 1,
                                                 "splits": {"tune": metrics, "test": metrics}}}}}

    monkeypatch.setattr(external, "run_external", fixed_run)
    monkeypatch.setattr(cli, "OUT", tmp_path)
    scoped = CliRunner().invoke(cli.app, ["external", "--scope-city", "--check", "--split", "test", "--no-baseline"])
    assert scoped.exit_code == 1 and "[external_city]" in scoped.output and "first_cited_hit" in scoped.output
    assert (tmp_path / "external_city" / "results.json").is_file()
    everywhere = CliRunner().invoke(cli.app, ["external", "--check", "--split", "test", "--no-baseline"])
    assert everywhere.exit_code == 0, everywhere.output
    assert (tmp_path / "external" / "results.json").is_file()
