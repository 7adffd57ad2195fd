"""Question analysis and follow-up rewriting (pure functions, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.question import QuestionType, split_parts
from assistant.rewrite import rewrite_followup
from ingest.glossary import Glossary

GLOSSARY = Glossary.load(Path(__file__).resolve().parents[1] / "corpus" / "glossary.toml")


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Who handles trafficking victims?", 1),
        ("When was the GMG created, and what work plan was it implementing by 2013?", 2),
        ("The notes mention two Dialogues. When were they held?", 1),
        ("Who chaired the first meeting, and who convenes the regular meetings?", 2),
    ],
)
def test_split_parts(question, parts):
    assert len(split_parts(question)) == parts


def test_question_types():
    assert QuestionType.of("Who handles trafficking victims?").who
    assert QuestionType.of("When was the GMG created?").when
    assert QuestionType.of("How many organizations are members?").how_many
    assert QuestionType.of("What does MICI stand for?").acronym == "MICI"
    assert QuestionType.of("What is the GFMD?").definition
    assert QuestionType.of("How long does each chair serve?").how_long
    assert QuestionType.of("How many staff work for the GMG?").counted == "staff"
    assert QuestionType.of("What is the GMG's annual budget?").attributes
    assert not QuestionType.of("How does UNHCR address mixed migration?").attributes  # a verb, not an address


def test_attribute_evidence_words():
    from assistant.answering.question import attribute_words, count_synonyms, has_evidence_word

    budget = next(evidence for asked, evidence in attribute_words() if "budget" in asked)
    assert has_evidence_word("It is financed by voluntary contributions.", budget)
    assert has_evidence_word("The plan costs $2 million.", budget)
    assert not has_evidence_word("The GMG is implementing a Multi-Annual Work Plan.", budget)
    email = next(evidence for asked, evidence in attribute_words() if "email" in asked)
    assert has_evidence_word("Write to info@example.org for details.", email)
    assert "inhabitants" in count_synonyms()["people"]
    headquarters = next(evidence for asked, evidence in attribute_words() if "headquarters" in asked)
    assert has_evidence_word("IOM is a Geneva-based organization.", headquarters)


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        ([("What does UNODC do?", "")], "Which protocols is it custodian of?",
         "Which protocols is UNODC custodian of?"),
        ([("What is UNDP's approach to migration?", "")], "And what about UNFPA?",
         "What is UNFPA's approach to migration?"),
        ([("Which agency is the focal point for trade?", "UNCTAD, the UN focal point …")], "What are its pillars?",
         "UNCTAD's pillars"),
        ([("What does the ILO do on labour migration?", "")], "Since when?", "ILO"),
        ([], "What is the GMG?", "What is the GMG?"),
    ],
)
def test_follow_up_rewrite(history, question, expected):
    assert expected in rewrite_followup(question, history, GLOSSARY)


def test_standalone_question_is_left_alone():
    history = [("What does UNODC do?", "UNODC …")]
    assert rewrite_followup("Who chairs the GMG?", history, GLOSSARY) == "Who chairs the GMG?"
