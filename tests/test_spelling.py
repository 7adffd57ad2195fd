"""Misspelt question words (assistant/spelling.py): corrected for the search against the English words the corpus
uses; the words spelt right, and the question the user sees, are left as they are."""

import pytest

from assistant.retrieval import KeywordIndex
from assistant.spelling import Speller

TEXTS = ["The World Bank works on remittances and their costs.",
         "UNODC supports the prosecution of traffickers and protects trafficking victims.",
         "UNCTAD analyses brain drain and the temporary movement of labour."]


@pytest.fixture(scope="module")
def speller():
    keyword = KeywordIndex.build(TEXTS, ["a", "b", "c"])
    return Speller(keyword, frozenset({"organisation", "agency"}))


@pytest.mark.parametrize(
    ("question", "searched"),
    [("which agencies work on remmitances", "which agencies work on remittances"),
     ("who handles trafficing victims?", "who handles trafficking victims?"),
     ("which orginisation looks at brain drain", "which organisation looks at brain drain")],  # a question word
)
def test_a_misspelt_word_is_searched_as_the_corpus_spells_it(speller, question, searched):
    assert speller.correct(question) == searched


@pytest.mark.parametrize(
    "question",
    ["who looks after people fleeing persecution?",  # English knows it well: no misspelling of "prosecution"
     "did the GMG say anything on the Rohingya crisis?",  # rare, but no word of the corpus is close
     "what does UNODC do for trafficking victims?",  # the corpus' own words
     "whats the budget"],
)
def test_words_spelt_right_are_left_alone(speller, question):
    assert speller.correct(question) == question


def test_a_misspelt_question_is_answered_and_shown_as_typed(assistant):
    """ "orginisation" is a word no passage has, which the reader counted against the question: it abstained."""
    result = assistant.ask("which orginisation looks at brain drain")
    assert not result.abstained and "UNCTAD" in result.answer, result.answer
    assert result.question == "which orginisation looks at brain drain" and result.standalone_question is None


@pytest.mark.parametrize(("name", "meant"), [("UNHRC", "UNHCR"), ("UNDOC", "UNODC"), ("UNODOC", "UNODC"),
                                             ("Unctad", "UNCTAD"), ("UNFPAA", "UNFPA")])
def test_a_misspelt_name_of_a_body_is_found(name, meant):
    from assistant.spelling import close_name

    assert close_name(name, ["UNHCR", "UNODC", "UNCTAD", "UNFPA", "IOM", "World Bank"]) == meant


@pytest.mark.parametrize("name", ["UNICEF", "UNESCO", "Frontex", "Germany", "WHO", "UNEP", "EU"])
def test_a_name_of_another_body_is_no_misspelling(name):
    from assistant.spelling import close_name

    assert close_name(name, ["UNHCR", "UNODC", "UNCTAD", "UNFPA", "UNDP", "IOM", "World Bank"]) is None
