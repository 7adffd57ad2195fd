"""A reader other than the shipped one (ASSISTANT_READER_MODEL), and the folds `python -m evals cross-fit` holds out."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest

from assistant.answering.reader_model import ReaderModelError, load_model, shipped_model
from evals.cross_fit import fold_of, training_questions
from evals.golden_io import SUITES, load_golden

SHIPPED = shipped_model().to_json()


def test_an_assistant_answers_with_the_reader_its_settings_name(ingested, embeddings, tmp_path):
    from assistant.chain import build_assistant

    data = shutil.copytree(ingested.data_dir, tmp_path / "data")  # its calibration is saved there: not the shared one
    other = {**SHIPPED, "calibration_k": SHIPPED["calibration_k"] + 3.0, "body_overview_words": 91}
    path = tmp_path / "reader.json"
    path.write_text(json.dumps(other), encoding="utf-8")
    shipped = build_assistant(ingested.model_copy(update={"data_dir": data}), embeddings=embeddings)
    refit = build_assistant(ingested.model_copy(update={"data_dir": data, "reader_model": path}), embeddings=embeddings)
    assert refit.answerer.model.body_overview_words == 91 and shipped.answerer.model.body_overview_words == 140
    # The index is calibrated for the reader it answers with: k three null standard deviations higher.
    assert refit.answerer.threshold > shipped.answerer.threshold + 1.0


@pytest.mark.parametrize("model", ["sentence", "answerable"])
def test_a_reader_that_weighs_a_feature_this_code_lacks_is_refused_in_one_line(ingested, embeddings, tmp_path, model):
    from assistant.chain import build_assistant

    data = shutil.copytree(ingested.data_dir, tmp_path / "data")
    other = json.loads(json.dumps(SHIPPED))
    for part in ("weights", "scale"):
        other[model][part]["feature_of_newer_code"] = 1.0
    path = tmp_path / "reader.json"
    path.write_text(json.dumps(other), encoding="utf-8")
    with pytest.raises(ReaderModelError) as caught:  # calibrating reads the probes: the build already sees it
        build_assistant(ingested.model_copy(update={"data_dir": data, "reader_model": path}),
                        embeddings=embeddings).ask("What does the ILO do?")
    message = str(caught.value)
    assert "\n" not in message and "'feature_of_newer_code'" in message and "python -m evals fit-reader" in message


@pytest.mark.parametrize("content", [None, "not json", '{"sentence": {}}'])
def test_a_reader_file_that_is_not_one_is_refused_with_the_command_that_writes_one(tmp_path, content):
    path = tmp_path / "reader.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ReaderModelError) as caught:
        load_model(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and "python -m evals fit-reader --out" in message


def test_each_golden_tune_case_is_held_out_in_exactly_one_fold_with_its_turns():
    cases = [c for path in SUITES.values() for c in load_golden(path) if c.split == "tune"]
    per_fold = Counter(fold_of(c.id, 5) for c in cases)
    assert set(per_fold) == set(range(5)) and min(per_fold.values()) >= len(cases) / 10
    # The fit data names a conversation's turns "conv-01/2", the runner's records "conv-01#2": one fold for both.
    assert fold_of("conv-01/2", 5) == fold_of("conv-01#4", 5) == fold_of("conv-01", 5)


def test_a_folds_reader_is_fitted_without_its_golden_cases_but_with_every_benchmark_question():
    questions = [{"corpus": "gmg", "qid": f"nat-{i:03}/0"} for i in range(40)]
    questions += [{"corpus": "gmg", "qid": f"conv-{i:02}/{t}"} for i in range(10) for t in range(4)]
    questions += [{"corpus": "external", "qid": f"q{i}"} for i in range(30)]
    seen = Counter()
    for fold in range(5):
        kept = training_questions(questions, fold, 5)
        held = [q for q in questions if q not in kept]
        assert held and all(q["corpus"] == "gmg" and fold_of(q["qid"], 5) == fold for q in held)
        assert sum(q["corpus"] == "external" for q in kept) == 30
        seen.update(q["qid"] for q in held)
    assert set(seen.values()) == {1} and len(seen) == 80


def test_the_calibration_keeps_every_corpus_within_the_false_abstention_cap():
    """k maximises recall − 2·false abstentions summed over the corpora, but never lets one corpus pass the cap:
    here the best sum (refusing b's unanswerable questions too) refuses 3 of b's 10 answerable ones."""
    import numpy as np

    from evals.fit_reader import abstention_rates, fit_calibration

    questions = ([{"corpus": "a", "unanswerable": True}] * 10 + [{"corpus": "a", "unanswerable": False}] * 10
                 + [{"corpus": "b", "unanswerable": True}] * 2 + [{"corpus": "b", "unanswerable": False}] * 10)
    logits = np.array([0.5] * 10 + [3.0] * 10 + [0.9] * 2 + [0.6, 0.7, 0.8] + [3.0] * 7)
    nulls = {"a": (0.0, 1.0), "b": (0.0, 1.0)}
    free = fit_calibration(questions, logits, nulls, cap=1.0)
    capped = fit_calibration(questions, logits, nulls)
    assert abstention_rates(questions, logits, {"a": free, "b": free})["b"]["false_abstention_rate"] == 0.3
    rates = abstention_rates(questions, logits, {"a": capped, "b": capped})
    assert rates["b"]["false_abstention_rate"] <= 0.10 and rates["a"]["abstention_recall"] == 1.0
