"""An overview of the documents (assistant/overview.py): their opening sentences, cited."""

from pathlib import Path

import pytest

from assistant.overview import asks_for_overview, overview_answer
from ingest.glossary import Glossary

GLOSSARY = Glossary.load(Path(__file__).resolve().parents[1] / "corpus" / "glossary.toml")


@pytest.mark.parametrize("question", ["summarize the 2013 note", "Give me an overview", "what are the notes about?",
                                      "tl;dr please"])
def test_overview_requests_are_recognised(question):
    assert asks_for_overview(question, GLOSSARY)


@pytest.mark.parametrize("question", ["summarize what UNHCR does",  # a body: an ordinary question
                                      "On which website can I find an overview of all projects?",  # asks where
                                      "What is the GMG?",
                                      "What are the key points about trafficking?"])  # a fact, not an overview
def test_other_questions_are_not_overview_requests(question):
    assert not asks_for_overview(question, GLOSSARY)


def test_summarize_the_2013_note_quotes_its_opening(assistant, ingested):
    result = assistant.ask("summarize the 2013 note")
    assert not result.abstained and result.citations
    assert {c.source for c in result.citations} == {"srsg-gfmd-gmg-coordination-note.txt"}
    assert "October 2013" in result.answer and "[1]" in result.answer
    text = (ingested.corpus_dir / result.citations[0].source).read_text(encoding="utf-8")
    assert text[result.citations[0].start : result.citations[0].end] == result.citations[0].text


@pytest.mark.parametrize(("question", "source"), [
    ("summarise the coordination note for me", "srsg-gfmd-gmg-coordination-note.txt"),  # abstained (round 16)
    ("summarize the older note", "gmg-information-note-2006.txt"),
    ("give me an overview of the 2014 note", "srsg-gfmd-gmg-coordination-note.txt"),  # summarised both
])
def test_an_overview_of_the_document_a_question_names_quotes_that_one(assistant, question, source):
    result = assistant.ask(question)
    assert not result.abstained and {c.source for c in result.citations} == {source}, result.answer


def test_an_overview_of_all_notes_quotes_each_one(assistant):
    result = assistant.ask("give me an overview")
    assert {c.source for c in result.citations} == {"gmg-information-note-2006.txt",
                                                   "srsg-gfmd-gmg-coordination-note.txt"}
    assert "“Global Migration Group” (September 2006):" in result.answer


def test_an_overview_with_nothing_indexed_abstains():
    result = overview_answer("give me an overview", store=None, reader=None, sources=[], max_words=79)
    assert result.abstained and not result.citations
