"""Requests about the last answer (assistant/answer_requests.py): "shorter please", "source?", from that answer."""

import pytest

from assistant.answer_requests import about_last_answer
from assistant.conversation import Conversation
from assistant.models import Citation, CitedAnswer
from assistant.social import social_kind, social_kind_names

SOURCE = "The GMG was set up in 2006. It grew out of the Geneva Migration Group. It meets often."


def _answer(focus=None):
    quoted = Citation(id=1, source="note.txt", title="Note", section="History", start=10, end=10 + len(SOURCE),
                      text=SOURCE, focus=focus)
    other = Citation(id=2, source="note.txt", title="Note", section="Members", start=200, end=210, text="Ten bodies.")
    return CitedAnswer(question="where did the gmg come from?", answer=f"{SOURCE} [1] Ten bodies. [2]",
                       citations=[quoted, other])


@pytest.mark.parametrize(("message", "kind"), [("shorter please", "shorter"), ("tl;dr", "shorter"),
                                               ("Shorter please, 2 lines max", "shorter"), ("source?", "sources"),
                                               ("says who?", "sources"), ("ok thanks, shorter please", "shorter"),
                                               ("sources please", "sources"), ("quote the source pls", "sources"),
                                               ("where does it say that pls", "sources"),
                                               ("can you say that more simply", "shorter"),
                                               ("in simple words pls", "shorter")])
def test_requests_are_recognised(message, kind):
    assert kind in social_kind_names(message)
    assert social_kind("shorter please, and who chairs it?") is None  # a question of its own


def test_shorter_keeps_the_sentence_the_answer_was_built_on_with_its_exact_span():
    start = 10 + SOURCE.index("It grew")
    reply = about_last_answer(frozenset({"shorter"}), _answer(focus=(start, start + 40)), "shorter", "q?")
    assert reply.answer == "It grew out of the Geneva Migration Group. [1]"
    (cited,) = reply.citations
    assert (cited.start, cited.text) == (start, "It grew out of the Geneva Migration Group.")
    assert cited.end - cited.start == len(cited.text) and cited.focus is None
    assert reply.standalone_question == reply.core_question == "q?"


def test_shorter_without_a_focus_or_reader_keeps_the_first_sentence():
    reply = about_last_answer(frozenset({"shorter"}), _answer(), "shorter", "q?")
    assert reply.answer == "The GMG was set up in 2006. [1]" and reply.citations[0].end == 10 + 27


def test_sources_lists_every_citation_and_nothing_else():
    reply = about_last_answer(frozenset({"sources"}), _answer(), "source?", "q?")
    assert reply.answer == "The last answer quotes Note · History [1]; Note · Members [2]."
    assert [c.id for c in reply.citations] == [1, 2]


def test_a_list_stays_whole_and_a_place_is_named_once():
    intro = "Five areas: Shared priorities; Expertise."
    listed = Citation(id=1, source="n.txt", title="Note", section="Areas", start=0, end=len(intro), text=intro)
    answer = CitedAnswer(question="q", answer=f"{intro} [1] More. [2]",
                         citations=[listed, listed.model_copy(update={"id": 2, "start": 50, "end": 55})])
    assert about_last_answer(frozenset({"shorter"}), answer, "shorter", "q").answer == f"{intro} [1]"
    sources = about_last_answer(frozenset({"sources"}), answer, "source?", "q")
    assert sources.answer == "The last answer quotes Note · Areas [1][2]."


def test_nothing_to_work_on_is_said_or_left_to_the_social_reply():
    abstained = CitedAnswer(question="q", answer="The documents don't say.", abstained=True)
    reply = about_last_answer(frozenset({"sources"}), abstained, "source?", "q")
    assert reply.social and reply.answer.startswith("The last answer quoted nothing") and not reply.citations
    assert about_last_answer(frozenset({"shorter"}), None, "shorter", "shorter") is None  # "Ask me a question first"
    assert about_last_answer(frozenset({"thanks"}), _answer(), "thanks", "q") is None


def test_an_answer_without_markers_is_shortened_to_its_passage():
    unmarked = _answer().model_copy(update={"answer": "The GMG was set up in 2006."})
    reply = about_last_answer(frozenset({"shorter"}), unmarked, "shorter", "q")
    assert reply.answer == "The GMG was set up in 2006. [1]"


def test_shorter_please_in_a_conversation_quotes_less_of_the_same_passage(assistant, ingested):
    """ "Shorter please." was read as a follow-up and answered the question again, word for word."""
    conversation = Conversation()
    first = conversation.ask(assistant, "Does the ILO have its own conventions on migrant workers?")
    short = conversation.ask(assistant, "Shorter please.")
    assert short.standalone_question == first.question and len(short.answer) < len(first.answer)
    assert short.answer.endswith("[1]") and "Conventions" in short.answer
    (cited,) = short.citations
    source_text = (ingested.corpus_dir / cited.source).read_text(encoding="utf-8")
    assert source_text[cited.start : cited.end] == cited.text
    assert first.citations[0].start <= cited.start < cited.end <= first.citations[0].end
    sources = conversation.ask(assistant, "source?")
    assert sources.answer.startswith("The last answer quotes Global Migration Group: Information Note")
    # with a courtesy too (round-8 probe: "quote the source pls" was read as a question and abstained)
    assert conversation.ask(assistant, "quote the source pls").answer == sources.answer
    follow = conversation.ask(assistant, "What else does it do?")  # the requests changed nothing the topic is
    assert "ILO" in follow.standalone_question
    # the sources reply names the documents' titles (the GMG's, the GFMD's): no context for a follow-up
    assert [q for q, _ in conversation.history(5)] == [first.question, follow.standalone_question]


def test_shorter_please_with_nothing_asked_yet_says_what_to_do(assistant):
    reply = Conversation().ask(assistant, "shorter please")
    assert reply.social and reply.answer.startswith("Ask me a question first")
