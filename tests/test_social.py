"""Greetings, thanks and questions about the assistant itself (assistant/social.py): answered without a search."""

import pytest

from assistant.conversation import Conversation
from assistant.social import social_kind, social_reply, without_social_opening


@pytest.mark.parametrize(
    ("message", "kind"),
    [("thanks!", "thanks"), ("Thank you very much :)", "thanks"), ("ok thanks", "thanks"), ("Hello", "greeting"),
     ("hi, what is this about?", "about"), ("help", "about"), ("bye!", "bye"), ("OK", "acknowledgement"),
     ("Good morning!", "greeting"), ("good evening, what can you do?", "about"),
     # the last answer missed (round-24 probe: searched, it abstained and was the next question's context)
     ("thats not what i asked", "rejection"), ("no, that's wrong", "rejection"), ("not helpful.", "rejection")],
)
def test_social_messages_are_recognised(message, kind):
    assert social_kind(message).name == kind


@pytest.mark.parametrize(
    "message",
    ["hi, who handles trafficking?", "What is the GMG?", "thanks - and what does UNHCR do?", "help with asylum",
     "Is it true that the GMG has ten members?"],
)
def test_a_message_with_a_question_of_its_own_is_not_social(message):
    assert social_kind(message) is None


def test_the_about_reply_names_the_documents_and_cites_nothing():
    reply = social_reply("what can you do?", ["Note A", "Note B [2]"])
    assert "2 documents: “Note A” and “Note B (2)”" in reply
    assert "[" not in reply  # no marker a reader of answers could take for a citation


def test_thanks_is_answered_without_a_search_and_is_no_context_for_a_follow_up(assistant):
    """ "thanks!" was read as a fragment leaning on the conversation and answered the previous question again."""
    conversation = Conversation()
    conversation.ask(assistant, "What does UNODC do?")
    thanks = conversation.ask(assistant, "thanks!")
    assert thanks.social and not thanks.abstained and not thanks.citations and thanks.standalone_question is None
    assert thanks.answer.startswith("You're welcome")
    follow = conversation.ask(assistant, "What else does it do?")
    assert follow.standalone_question == "What else does UNODC do?"


def test_what_is_this_about_names_the_indexed_documents(assistant):
    result = assistant.ask("hi, what is this about?")
    assert result.social and "Global Migration Group: Information Note" in result.answer
    assert result.to_json()["social"] is True


def test_who_handles_trafficking_is_unodc(assistant):
    assert assistant.ask("who handles trafficking?").answer.startswith("UNODC")


def test_who_else_is_answered_with_another_body(assistant):
    """The exclusion reaches the search: "who else?" after a question UNODC answered is answered by another body."""
    conversation = Conversation()
    first = conversation.ask(assistant, "who handles trafficking victims?")
    assert first.answer.startswith("UNODC"), first.answer
    other = conversation.ask(assistant, "does any other agency work on it?")
    assert not other.abstained and not other.answer.startswith("UNODC"), other.answer
    assert all(c.section != "UNODC" for c in other.citations)


@pytest.mark.parametrize(
    ("message", "question"),
    [("hi, new here - what does undp do on migration", "what does undp do on migration"),
     ("Hello! Who handles trafficking?", "Who handles trafficking?"),
     ("Hi. What does the ILO do?", "What does the ILO do?"),
     ("quick question: who set up the GMG?", "who set up the GMG?"),
     ("thanks!! and who chairs it?", "and who chairs it?"),
     # a space alone ends no opening, nor an abbreviation's full stop; a word or two is not a question of its own
     ("good practices on labour migration?", None), ("no. of members in the GMG?", None), ("Hi, UNDP?", None),
     ("hi there", None), ("What is the GMG?", None),
     # interjections and a conjunction with no mark, before a word that asks (round-17 probes abstained on both)
     ("ok and who are the members", "who are the members"), ("so how do unctad and ilo differ",
                                                             "how do unctad and ilo differ"),
     ("okay so what does it do", "what does it do"),
     # a conjunction opening the message, or a next word that asks nothing, stays
     ("and who chairs it?", None), ("since when does ilo work on migration", None),
     ("so far what has iom done", None), ("ok and unctad?", None),
     ("that's not what i meant, what does it do on statelessness", "what does it do on statelessness"),
     # a phrase of two words or more may end its sentence before a small letter; a single word needs a capital
     ("that's not it. who chaired it in 2013?", "who chaired it in 2013?"),
     ("thank you. what does ilo do", "what does ilo do"), ("no. of members in the gmg?", None)],
)
def test_a_question_is_read_without_its_social_opening(message, question):
    assert without_social_opening(message) == (question or message)


def test_a_greeting_before_a_question_changes_nothing_the_question_gets(assistant):
    """ "hi, new here - …" was searched and read with "hi", "new", "here" as words to find in the notes: the answer
    began mid-section ("Particular attention is given to …") instead of with what UNDP does."""
    greeted = assistant.ask("hi, new here - what does undp do on migration")
    plain = assistant.ask("what does undp do on migration")
    assert greeted.question == "hi, new here - what does undp do on migration" and not greeted.social
    assert greeted.answer == plain.answer
    assert greeted.answer.startswith("UNDP's aim is to maximize the developmental benefits"), greeted.answer
