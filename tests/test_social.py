"""Greetings, thanks and questions about the assistant itself (assistant/social.py): answered without a search."""

import pytest

from assistant.conversation import Conversation
from assistant.social import social_kind, social_reply


@pytest.mark.parametrize(
    ("message", "kind"),
    [("thanks!", "thanks"), ("Thank you very much :)", "thanks"), ("ok thanks", "thanks"), ("Hello", "greeting"),
     ("hi, what is this about?", "about"), ("help", "about"), ("bye!", "bye"), ("OK", "acknowledgement"),
     ("Good morning!", "greeting"), ("good evening, what can you do?", "about")],
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


def test_who_else_is_answered_with_another_body(assistant):
    """The exclusion reaches the search: "who else?" after a question UNODC answered is answered by another body."""
    conversation = Conversation()
    first = conversation.ask(assistant, "who handles trafficking?")
    assert first.answer.startswith("UNODC"), first.answer
    other = conversation.ask(assistant, "does any other agency work on it?")
    assert not other.abstained and not other.answer.startswith("UNODC"), other.answer
    assert all(c.section != "UNODC" for c in other.citations)
