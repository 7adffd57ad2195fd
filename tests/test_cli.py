"""The `assistant` command, run as a real subprocess against a real index: the --json contracts."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt


def run_cli(settings, *args, env_extra=None, check=True, **run_args):
    """`python -m assistant *args` over the folders of `settings`; `run_args` go to subprocess.run (preexec_fn)."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir),
           "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir), **(env_extra or {})}
    proc = subprocess.run([sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True,
                          timeout=300, **run_args)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_ask_json_contract(ingested):
    proc = run_cli(ingested, "ask", "--json", "Who handles trafficking victims?", "Who won the 2022 World Cup?")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 2
    answer, offtopic = lines
    assert set(answer) >= {"question", "answer", "abstained", "citations", "timings_ms"}
    assert "UNODC" in answer["answer"] and not answer["abstained"]
    timings = answer["timings_ms"]  # the reader's model pass is its own figure, part of the answer step
    assert set(timings) >= {"retrieve_ms", "reader_ms", "answer_ms", "total_ms"}
    assert 0 < timings["reader_ms"] <= timings["answer_ms"] <= timings["total_ms"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert markers == {c["id"] for c in answer["citations"]}
    for c in answer["citations"]:
        assert set(c) >= {"id", "source", "title", "section", "page", "start", "end", "text"}
        text = (ingested.corpus_dir / c["source"]).read_bytes().decode("utf-8")
        assert text[c["start"] : c["end"]] == c["text"]
    assert offtopic["abstained"] and offtopic["citations"] == []


def test_chat_json_reads_a_conversation_from_stdin(ingested):
    """One question per line, one JSON object per turn: the ask --json contract plus standalone_question (null when
    the question was used as asked). Only the follow-up is rewritten, and with the body it refers to."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(ingested.data_dir), "ASSISTANT_CORPUS_DIR": str(ingested.corpus_dir)}
    questions = ["Which agency is the custodian of the trafficking protocol?", "What else does it do?",
                 "Who set up the GMG, and when did it first meet?", "", "x" * 5000]
    proc = subprocess.run([sys.executable, "-m", "assistant", "chat", "--json"], env=env, capture_output=True,
                          text=True, timeout=300, input="\n".join(questions) + "\n")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1 and len(lines) == 5  # one object per line; the blank and over-long ones are errors
    first, follow_up, standalone, blank, refused = lines
    assert "empty" in blank["error"]
    assert set(first) >= {"question", "answer", "abstained", "citations", "timings_ms", "standalone_question"}
    assert first["standalone_question"] is None and "UNODC" in first["answer"]
    assert follow_up["question"] == "What else does it do?" and "UNODC" in follow_up["standalone_question"]
    assert standalone["standalone_question"] is None  # its "it" is the GMG, in the same question
    assert "limit" in refused["error"]


def test_ask_text_mode_lists_sources(ingested):
    proc = run_cli(ingested, "ask", "Which agency has worked on labour migration since 1919?")
    assert "ILO" in proc.stdout and "Sources:" in proc.stdout and "[1]" in proc.stdout


def test_ask_on_empty_index_says_to_ingest(tmp_path, ingested):
    env = {"ASSISTANT_DATA_DIR": str(tmp_path / "empty")}
    proc = run_cli(ingested, "ask", "What is the GMG?", env_extra=env, check=False)
    assert proc.returncode == 1
    assert "assistant ingest" in proc.stderr and "Traceback" not in proc.stderr


def test_ingest_json_twice_changes_nothing_the_second_time(tmp_path):
    import shutil

    from conftest import CORPUS, make_settings

    settings = make_settings(tmp_path / "data", tmp_path / "corpus")
    shutil.copytree(CORPUS, settings.corpus_dir)
    first = json.loads(run_cli(settings, "ingest", "--json").stdout)
    second = json.loads(run_cli(settings, "ingest", "--json").stdout)
    assert (first["added"], first["files"]) == (2, 2)
    assert (second["added"], second["updated"], second["removed"], second["unchanged"]) == (0, 0, 0, 2)
    assert second["chunks"] == first["chunks"] and first["failed"] == []
    dry = run_cli(settings, "ingest", "--dry-run")
    assert "0 added, 0 updated" in dry.stdout
    assert first["notices"] == second["notices"] == []


def test_ingest_notes_example_questions_whose_sentence_was_edited_away(tmp_path):
    import shutil

    from conftest import CORPUS, make_settings

    settings = make_settings(tmp_path / "data", tmp_path / "corpus")
    shutil.copytree(CORPUS, settings.corpus_dir)
    note = settings.corpus_dir / "gmg-information-note-2006.txt"
    text = note.read_text(encoding="utf-8")
    assert text.count("The GMG meets at regular intervals.") == 1
    edited = text.replace("The GMG meets at regular intervals.", "The GMG meets twice a year.")
    note.write_text(edited, encoding="utf-8")
    out = run_cli(settings, "ingest").stdout
    (notice,) = [line for line in out.splitlines() if line.strip().startswith("note")]
    assert "1 sentence in example_questions.jsonl is not in the indexed documents" in notice
    assert "The GMG meets at regular" in notice and "its questions are ignored" in notice


def test_strict_ingest_fails_on_a_bad_file(tmp_path):
    from conftest import make_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("UNHCR protects refugees.", encoding="utf-8")
    (corpus / "bad.txt").write_bytes(b"caf\xe9 \x81 not UTF-8")
    settings = make_settings(tmp_path / "data", corpus)
    lenient = json.loads(run_cli(settings, "ingest", "--json").stdout)
    assert [f["path"] for f in lenient["failed"]] == ["bad.txt"] and lenient["added"] == 1
    strict = run_cli(settings, "ingest", "--strict", check=False)
    assert strict.returncode == 2 and "bad.txt" in strict.stdout


@pytest.mark.parametrize("question", ["", "x" * 5000])
def test_ask_rejects_bad_questions_without_a_traceback(ingested, question):
    proc = run_cli(ingested, "ask", question, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and proc.stderr.startswith("error:")


def test_terminal_output_carries_no_control_sequences(tmp_path):
    """Escape sequences in a file's name, its text or a question never reach the terminal (they could clear
    the screen, retitle the window or hide text); ingest prints no library debug chatter either."""
    from conftest import make_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    evil = "\x1b]0;pwned\x07\x1b[2J"
    (corpus / f"note{evil}.txt").write_text(
        f"Harbour pilots\n\nThe Harbour Pilots Guild{evil} trains pilots for the port of Ostrava. "
        "It was founded in 1911 and certifies forty pilots a year.\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data", corpus)
    ingest = run_cli(settings, "ingest")
    ask = run_cli(settings, "ask", f"Who trains harbour pilots?{evil}", "When was the Harbour Pilots Guild founded?")
    for proc in (ingest, ask):
        for stream in (proc.stdout, proc.stderr):
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", stream), repr(stream[-500:])
    assert "1 added" in ingest.stdout and "DEBUG" not in ingest.stderr
    assert "Q: Who trains harbour pilots?]0;pwned" in ask.stdout and "1911" in ask.stdout
    as_json = run_cli(settings, "ask", "--json", "Who trains harbour pilots?\x9b2J\u202e\x7f")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", as_json.stdout)
    assert json.loads(as_json.stdout)["question"].endswith("\x9b2J\u202e\x7f")  # escaped, not lost


def test_chat_save_keeps_the_conversation_as_markdown_with_its_quoted_sources(ingested, tmp_path):
    """`chat --save FILE` writes the Markdown of assistant/export.py after each answer; a folder that does not exist
    is refused in one line before anything is asked."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(ingested.data_dir), "ASSISTANT_CORPUS_DIR": str(ingested.corpus_dir)}
    saved = tmp_path / "chat.md"
    proc = subprocess.run([sys.executable, "-m", "assistant", "chat", "--json", "--save", str(saved)], env=env,
                          capture_output=True, text=True, timeout=300,
                          input="Who handles trafficking victims?\nWhat else does it do?\n")
    assert proc.returncode == 0, proc.stderr
    turns = [json.loads(line) for line in proc.stdout.splitlines()]
    markdown = saved.read_text(encoding="utf-8")
    page = MarkdownIt("commonmark").render(markdown)
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())  # what a Markdown viewer shows
    assert markdown.startswith("# GMG notes assistant: conversation") and "2 questions" in shown
    for turn in turns:
        assert f"<h2>{html.escape(turn['question'], quote=False)}</h2>" in page
        assert turn["citations"] and " ".join(turn["answer"].split()) in shown
        for c in turn["citations"]:
            assert " ".join(c["text"].split()) in shown
    assert not list(tmp_path.glob(".*.tmp"))
    missing = run_cli(ingested, "chat", "--save", str(tmp_path / "nowhere" / "chat.md"), check=False)
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0
    assert "does not exist" in missing.stderr and "Traceback" not in missing.stderr
