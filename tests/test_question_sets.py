"""Your own question set (evals/question_sets.py): a CSV or JSONL file read row by row, each bad row named with its
reason, a file that cannot be used refused with one message."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from evals.golden_io import SUITES, ExpectedSource
from evals.question_sets import (
    MAX_BYTES,
    TEMPLATE,
    QuestionSetError,
    is_own_question_set,
    load_question_set,
    read_question_set,
)

ROOT = Path(__file__).resolve().parents[1]

DOCS = {"gmg-information-note-2006.txt", "srsg-gfmd-gmg-coordination-note.txt"}


def test_the_template_reads_as_three_cases():
    qset = read_question_set("questions.csv", TEMPLATE.encode(), DOCS, 2000)
    assert not qset.bad_rows and [c.id for c in qset.cases] == ["row-2", "row-3", "row-4"]
    first, second, third = qset.cases
    assert first.required_facts == [["10 organizations", "ten organizations"]] and not first.unanswerable
    assert second.turns == ["When, and by whom, was the GMG established?"]  # a quoted comma stays in the question
    assert second.required_facts == [["early 2006"], ["Secretary-General"]]
    assert second.expected_sources == [ExpectedSource("gmg-information-note-2006.txt", "When was the GMG created?")]
    assert third.unanswerable and third.kind == "unanswerable" and first.kind == "answerable"
    assert json.loads(qset.to_jsonl().splitlines()[0])["turns"] == [first.question]


def test_excel_csv_with_bom_and_header_case_and_optional_columns():
    data = ("\ufeffQuestion,Facts,Source,Unanswerable,id,kind,forbidden,notes\r\n"
            "What is the GFMD?,Global Forum, srsg-gfmd-gmg-coordination-note.txt ,NO,q1,lookup,World Bank;UNHCR,x\r\n"
            "\r\n").encode()
    qset = read_question_set("q.csv", data, DOCS)
    [case] = qset.cases
    assert (case.id, case.kind, case.forbidden) == ("q1", "lookup", ["World Bank", "UNHCR"])
    assert case.expected_sources == [ExpectedSource("srsg-gfmd-gmg-coordination-note.txt")]
    assert qset.ignored_columns == ["notes"] and not qset.bad_rows


def test_each_bad_row_is_named_with_its_reason_and_the_good_rows_stay():
    data = ("question,facts,source,unanswerable\n"
            "What is the GMG?,inter-agency group,,false\n"
            ",a fact,,false\n"
            "Who chairs it?,rotating,,maybe\n"
            "Who is in it?,UNHCR,members.txt,false\n"
            "What is its budget?,USD 10,,true\n"
            "What is it, and who chairs it?,a,,false\n"
            + "x" * 50 + ",,,false\n"
            "What is the GMG?,,,false\n").encode()
    qset = read_question_set("q.csv", data, DOCS, max_question_chars=40)
    assert [c.question for c in qset.cases] == ["What is the GMG?", "What is the GMG?"]  # ids differ: row numbers
    reasons = {b.where: b.reason for b in qset.bad_rows}
    assert reasons["row 3"] == "the question is empty"
    assert reasons["row 4"] == "unanswerable is 'maybe': write true or false"
    assert reasons["row 5"].startswith("source 'members.txt' is not a document of the corpus")
    assert reasons["row 6"].startswith("an unanswerable question cannot have required facts")
    assert "put the question in double quotes" in reasons["row 7"]
    assert reasons["row 8"] == "the question is 50 characters, over the 40 the assistant accepts"
    assert str(qset.bad_rows[1]) == "row 4: unanswerable is 'maybe': write true or false (Who chairs it?)"
    assert qset.rows == 8


def test_jsonl_in_the_golden_format_row_by_row():
    lines = [{"id": "a", "question": "What is the GMG?", "required_facts": [["inter-agency group"]],
              "expected_sources": [{"source": "gmg-information-note-2006.txt", "section": "What is the GMG?"}]},
             "not json", [1], {"id": "b"}, {"id": "a", "question": "again"},
             {"id": "c", "question": "q", "expected_sources": [1]},
             {"id": "d", "question": "half", "borderline": True},
             {"id": "e", "turns": [{"question": "What is the GMG?", "standalone": True},
                                   {"question": "Who chairs it?", "standalone": False, "refers_to": ["GMG"]}]}]
    data = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode()
    qset = read_question_set("set.jsonl", data, DOCS)
    assert [c.id for c in qset.cases] == ["a", "e"] and qset.cases[1].turn_cases
    reasons = {b.where: b.reason for b in qset.bad_rows}
    assert reasons["line 2"].startswith("not JSON")
    assert reasons["line 3"].startswith("not a JSON object")
    assert reasons["line 4"] == "case b: needs `question` or `turns`"
    assert reasons["line 5"] == "the id 'a' is used by an earlier row"
    assert reasons["line 6"].startswith("a field has the wrong type")


@pytest.mark.parametrize(("name", "data", "message"), [
    ("questions.xlsx", b"PK\x03\x04", "questions.xlsx is not a CSV or JSONL file"),
    ("q.csv", b"x" * (MAX_BYTES + 1), "q.csv is 5.0 MB, over the 5 MB limit for a question set."),
    ("q.csv", b"question\n" + b"What is the GMG?\n" * 2001, "q.csv has 2,001 questions, over the 2,000 limit"),
    ("q.jsonl", b'{"id": "x", "question": "q"}\n' * 2001, "q.jsonl has 2,001 questions, over the 2,000 limit"),
    ("q.csv", b"query,facts\nWhat is the GMG?,x\n", "q.csv has no `question` column"),
    ("q.csv", b"question;facts\nWhat?;x\n", "It looks separated by semicolons"),
    ("q.csv", b"question,facts\n", "q.csv has no questions."),
    ("q.csv", b"", "q.csv is empty."),
    ("q.csv", "question\nWhat is the GMG?\n".encode("utf-16"), "q.csv starts with a UTF-16 byte-order mark"),
    ("q.csv", b"question\n\xff\xfe\x00\x01 binary \x00", "q.csv looks binary"),
])
def test_a_file_that_cannot_be_used_gets_one_message(name, data, message):
    with pytest.raises(QuestionSetError) as caught:
        read_question_set(name, data, DOCS)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_big_file_on_disk_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    with pytest.raises(QuestionSetError, match="big.csv is 5.0 MB"):
        load_question_set(path)


# -- the same files from a terminal: `python -m evals run --golden FILE` (a whole run: tests/test_app_question_set.py)
def test_a_file_outside_evals_golden_is_your_own_question_set(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert not any(is_own_question_set(path) for path in SUITES.values())  # the suites load strictly
    assert not is_own_question_set(Path("evals/golden/drafts.jsonl"))
    assert is_own_question_set(tmp_path / "mine.jsonl") and is_own_question_set(tmp_path / "notes.txt")
    assert is_own_question_set(Path("evals/golden/mine.csv"))  # a CSV is never a golden suite


@pytest.fixture
def evals_run(tmp_path, monkeypatch):
    """`python -m evals run --golden FILE` in-process over the repository's corpus. The files given here must be
    refused before anything runs, so building the index fails the test."""
    from typer.testing import CliRunner

    import evals.runner
    from evals.__main__ import app

    for name in [k for k in os.environ if k.startswith(("ASSISTANT_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env

    def accepted(*args, **kwargs):
        raise AssertionError("the file was accepted: the index was about to be built")

    monkeypatch.setattr(evals.runner, "build_services", accepted)
    env = {"ASSISTANT_CORPUS_DIR": str(ROOT / "corpus"), "ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    return lambda path: CliRunner().invoke(app, ["run", "--golden", str(path), "--out", str(tmp_path / "out")],
                                           env=env)


CASE = b'{"id": "x", "question": "What is the GMG?"}\n'


@pytest.mark.parametrize(("name", "data"), [
    ("long.jsonl", CASE * 2001),
    ("long.csv", b"question\n" + b"What is the GMG?\n" * 2001),
    ("big.jsonl", CASE * (MAX_BYTES // len(CASE) + 1)),
    ("cols.csv", b"query,facts\nWhat is the GMG?,x\n"),
    ("notes.txt", b"What is the GMG?\n"),
])
def test_the_terminal_refuses_what_the_page_refuses_with_the_same_message(evals_run, tmp_path, name, data):
    with pytest.raises(QuestionSetError) as caught:  # what the page says of the same upload
        read_question_set(name, data, DOCS)
    path = tmp_path / name
    path.write_bytes(data)
    result = evals_run(path)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {caught.value}\n"  # one line, and nothing ran
    assert not (tmp_path / "out").exists()


def test_a_committed_golden_suite_still_stops_at_its_first_bad_case(evals_run, tmp_path, monkeypatch):
    """The same file with a bad line, placed among the golden suites, is not run at all: the suites must load
    whole (`make eval`'s figures are over every case)."""
    import evals.question_sets

    golden = tmp_path / "golden"
    golden.mkdir()
    monkeypatch.setattr(evals.question_sets, "GOLDEN_DIR", golden)
    path = golden / "x.jsonl"
    path.write_bytes(CASE + b'{"id": "b"}\n')
    result = evals_run(path)
    assert result.exit_code == 2 and result.stderr == f"error: {path}:2 (b): needs `question` or `turns`\n"
