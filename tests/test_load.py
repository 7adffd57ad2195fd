"""A short load test (the full one is `make load-test`): 4 sessions x 5 questions on one shared assistant while
the corpus is re-ingested into the same store. No errors, no hung sessions, every citation resolves."""

from __future__ import annotations

from evals.load import run


def test_concurrent_sessions_during_a_reingest(tmp_path, embeddings):
    result = run(sessions=4, questions=5, reingests=1, work=tmp_path, timeout_s=600, embeddings=embeddings)
    print(f"\nload: {result['answers']} answers in {result['seconds']} s, p50 {result['p50_ms']} ms, "
          f"p95 {result['p95_ms']} ms; citations {result['citations_resolved']} resolved, "
          f"{result['citations_replaced_during_ingest']} replaced during the re-ingest; "
          f"re-ingest {result['reingests']}")
    assert result["errors"] == 0, result["error_samples"]
    assert not result["hung_threads"]
    assert result["answers"] == 20
    assert result["citations"] > 0 and result["citations_unresolved"] == 0, result["unresolved_samples"]
    assert len(result["reingests"]) == 1 and result["reingests"][0]["embedded"] > 0
    assert result["assistant_builds"] >= 2  # rebuilt after the re-ingest, as the app does
