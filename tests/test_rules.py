"""The count of hand-written rules in the answering (evals/rules.py) stays within its pins and counts what it says."""

from __future__ import annotations

import json

from evals.golden_io import load_thresholds
from evals.rules import count, report


def test_the_answering_has_no_more_rules_than_pinned():
    counts = count()
    pins = load_thresholds(suite="rules")["max"]
    grown = {k: (counts[k] if k != "bodies_named_in_rules" else sum(map(len, counts[k].values())), v)
             for k, v in pins.items()}
    assert {k: n for k, (n, pin) in grown.items() if n > pin} == {}, report(counts)
    assert counts["fitted_parameters"] >= 40  # the reader's weights are counted from reader.json


def test_the_counter_finds_each_kind_of_rule(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "glossary.toml").write_text(
        '[[bodies]]\nname = "UNHCR"\nfull = "Office of the High Commissioner for Refugees"\nvariants = []\n')
    pkg = tmp_path / "pkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "rules.py").write_text(
        '"""A docstring naming UNHCR is no rule."""\nimport re\n\nWEIGHT = 0.7\nNAME = "x"\n'
        'HEAD = re.compile(r"\\bwho heads UNHCR\\b")\nWORDS = frozenset({"chair", "head", "unhcr"})\n\n\n'
        'def f(text):\n    return re.sub(rf"\\s+{text}", " ", text), ["a", "b"]\n')
    (pkg / "data" / "words.txt").write_text(
        "# UNHCR in a comment\nchair\n\nhead\npronoun: it its\nbudget, funding | fund*\n"
        "refugees: the office of the high commissioner for refugees\n")
    (pkg / "data" / "null_questions.txt").write_text("What is the capital of Peru?\n")  # probes, not rules
    (pkg / "data" / "reader.json").write_text(json.dumps(
        {"sentence": {"weights": {"a": 1, "b": 2}}, "answerable": {"weights": {"c": 3}}, "calibration_k": 0.1}))
    counts = count(tmp_path, "pkg", ("pkg/*.py",))
    assert counts["regexes"] == 2 and counts["listed_words_in_code"] == 3 and counts["listed_words_in_data"] == 15
    assert counts["hand_constants"] == 1 and counts["fitted_parameters"] == 2 + 1 + 1 + 1  # weights, bias, k
    # Bodies are found in any case, in patterns, listed words and word-list lines (not in docstrings or comments)
    assert counts["bodies_named_in_rules"] == {
        "pkg/rules.py": ["\\bwho heads UNHCR\\b", "unhcr"],
        "pkg/data/words.txt": ["refugees: the office of the high commissioner for refugees"]}


def test_the_tune_data_cache_goes_stale_when_the_corpus_the_benchmark_or_the_settings_change(tmp_path):
    from assistant.settings import Settings
    from evals.tune_data import tune_data_key

    root, bench = tmp_path / "repo", tmp_path / "bench"
    (root / "corpus").mkdir(parents=True)
    (root / "assistant").mkdir()
    (root / "evals" / "golden").mkdir(parents=True)
    (bench / "docs").mkdir(parents=True)
    note, page, code = root / "corpus" / "note.txt", bench / "docs" / "page.txt", root / "assistant" / "reader.py"
    suite, unread = root / "evals" / "golden" / "natural.jsonl", root / "evals" / "golden" / "near_misses.jsonl"
    for path in (note, page, code, suite, unread):
        path.write_text("one")
    settings = Settings(_env_file=None)
    keys = [tune_data_key(settings, bench, root)]
    unread.write_text("two")  # a golden file the tune data is not asked from
    assert tune_data_key(settings, bench, root) == keys[0]
    for path in (note, page, code, suite):
        path.write_text("two")
        keys.append(tune_data_key(settings, bench, root))
    keys.append(tune_data_key(settings.model_copy(update={"top_k": 8}), bench, root))
    assert len(set(keys)) == len(keys)
    assert tune_data_key(settings.model_copy(update={"top_k": 8}), bench, root) == keys[-1]  # and is repeatable
