"""A question naming one of the documents is searched in that document only (assistant/document_scope.py)."""

from __future__ import annotations

import pytest

from assistant.document_scope import IndexedDocument, named_document

NOTES = [
    IndexedDocument("gmg-information-note-2006.txt", "Global Migration Group: Information Note", "September 2006",
             "Global Migration Group (GMG)"),
    IndexedDocument("srsg-gfmd-gmg-coordination-note.txt", "Enhancing Coordination between the UN System and the GFMD: "
             "Regular Meetings between the SRSG, the GFMD and the GMG", "after October 2013",
             "Office of the Special Representative of the Secretary-General for International Migration"),
]
INFORMATION, COORDINATION = (d.source for d in NOTES)


@pytest.mark.parametrize(("question", "source", "rest"), [
    ("what does the 2006 note say about the chair", INFORMATION, "what does say about the chair"),
    # a year the notes never print: the note dated within a year of it
    ("How many working groups does the GMG have according to the 2014 note?", COORDINATION,
     "How many working groups does the GMG have?"),
    ("according to the older note, what does the gmg do", INFORMATION, "what does the gmg do"),
    ("what does the newer document say about the srsg", COORDINATION, "what does say about the srsg"),
    ("in the coordination note, how often do they meet", COORDINATION, "how often do they meet"),
    ("the information note - who chairs", INFORMATION, "who chairs"),
    # an ordinal is a place in time among the dated documents
    ("in the second document what are the suggestions for better coordination", COORDINATION,
     "what are the suggestions for better coordination"),
])
def test_a_question_naming_one_document_is_scoped_to_it(question, source, rest):
    scope = named_document(question, NOTES)
    assert scope is not None and scope.document.source == source and scope.question == rest


@pytest.mark.parametrize("question", [
    "what does the gmg note say",  # words both notes' titles or bodies hold
    "does the 2010 note exist",  # no note of that year, nor of the next or the one before
    "what are the required documents",  # a plural names no one document
    "what does the note say about coordination",  # no word says which
    "who wrote the second report",  # not a word naming the documents
    "compare what the 2006 note and the 2014 note say about the gmg",  # two documents: neither alone
    "in the newer note",  # nothing else said: a follow-up the conversation explains, read as before
    "and in the 2014 note?",
    "what does the third note say about remittances",  # two notes: no third
])
def test_a_phrase_that_names_no_one_document_leaves_the_question_alone(question):
    assert named_document(question, NOTES) is None


def test_one_document_is_never_scoped():
    assert named_document("what does the 2006 note say about the chair", NOTES[:1]) is None


def test_the_phrase_is_stripped_from_a_rewrite_that_still_holds_it():
    scope = named_document("according to the older note, what does the gmg do", NOTES)
    assert scope.phrase == "according to the older note"
    assert scope.without_phrase("according to the older note, what does UNHCR do") == "what does UNHCR do"
    assert scope.without_phrase("what does UNHCR do") == "what does UNHCR do"


def test_an_ordinal_needs_every_document_dated():
    """With an undated document among them, "the second note" has no place in time to point at."""
    undated = IndexedDocument("faq.txt", "Questions and answers", "", "")
    assert named_document("what does the second note say about the chair", [*NOTES, undated]) is None
    assert named_document("what does the second note say about the chair", NOTES).document.source == COORDINATION
