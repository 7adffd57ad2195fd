"""The Start here tour's questions (ui/data/tour.toml) are golden cases, and the assistant passes each: so `make
test` guards what the tour shows (the app test of the page is in tests/test_app_pages.py)."""

from __future__ import annotations

from evals.golden_io import SUITES, load_golden
from ui.start_here import tour_steps


def test_the_tour_has_enough_steps_and_each_question_is_a_golden_case():
    steps = tour_steps()
    assert len(steps) >= 8
    cases = {c.id: c for path in SUITES.values() for c in load_golden(path)}
    for step in steps:
        case = cases.get(step.case)
        assert case is not None, f"{step.case} is not a golden case"
        assert case.question == step.question and not case.unanswerable and not case.multi_turn, step


def test_the_assistant_passes_every_tour_question(assistant):
    """Each step's golden case, scored as `make eval` scores it: the tour never shows a wrong or uncited answer."""
    from evals.runner import OurSystem, run_case

    cases = {c.id: c for path in SUITES.values() for c in load_golden(path)}

    def source_text(name: str) -> str | None:
        path = assistant.settings.corpus_dir / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    for step in tour_steps():
        [record] = run_case(OurSystem(assistant), cases[step.case], source_text)
        assert record["scores"]["passed"] and not record["failures"], (step.case, record["failures"])
        assert record["answer"]["citations"], step.case

