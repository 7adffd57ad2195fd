"""A conversation as Markdown (assistant/export.py): what `Export conversation`, `Copy with sources` and
`assistant chat --save` write, over real answers from the real assistant."""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

from assistant.conversation import Conversation
from assistant.export import answer_markdown, conversation_markdown, inert
from assistant.models import Citation, CitedAnswer


def shown(markdown: str) -> str:
    """The visible text a CommonMark viewer shows for `markdown`, whitespace folded."""
    page = MarkdownIt("commonmark").render(markdown)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def folded(text: str) -> str:
    return " ".join(text.split())


def test_each_answer_comes_with_its_numbered_sources_and_their_exact_passages(assistant):
    conversation = Conversation()
    conversation.ask(assistant, "Which agency is the custodian of the trafficking protocol?")
    conversation.ask(assistant, "What else does it do?")
    markdown = conversation_markdown(conversation.turns)
    text = shown(markdown)
    first, follow_up = conversation.turns
    assert markdown.count("\n## ") == 2 and "2 questions" in markdown
    for turn in (first, follow_up):
        assert turn.citations and folded(turn.answer) in text  # the answer with its [n] markers, word for word
        for c in turn.citations:
            assert f"[{c.id}] {c.title}" in text and c.section in text
            assert f"characters {c.start}–{c.end}" in text and folded(c.text) in text
    assert f"Searched as: {follow_up.standalone_question}" in text
    assert markdown.index(first.question) < markdown.index(follow_up.question)


def test_an_abstention_lists_the_closest_passages_as_not_cited(assistant):
    result = assistant.ask("Who won the 2022 World Cup?")
    text = shown(answer_markdown(result))
    assert result.abstained and result.closest and "not cited" in text
    assert all(folded(c.text) in text for c in result.closest)


def test_question_answer_and_document_text_are_inert_in_a_markdown_viewer():
    hostile = "# Title\n- item <script>alert(1)</script> **bold** [link](http://x) ![i](y) `code` &amp; > quote"
    citation = Citation(id=1, source="note.txt", title="<b>T</b>", section="S", start=0, end=len(hostile),
                        text=hostile, date="2006")
    result = CitedAnswer(question=hostile, answer=f"{hostile} [1]", citations=[citation])
    page = MarkdownIt("commonmark").render(answer_markdown(result))
    tags = set(re.findall(r"</?([a-z0-9]+)", page))
    assert tags <= {"h3", "p", "strong", "ul", "li", "blockquote"}, tags  # only the export's own structure
    assert "<script" not in page and "<b>" not in page and "href" not in page and "<img" not in page
    assert shown(answer_markdown(result)).count(folded(hostile)) == 3  # question, answer, passage: as written
    assert inert("1. not a list") == "1\\. not a list"


def test_line_breaks_indents_and_marker_look_alikes_cannot_make_structure():
    """A bare carriage return, four leading spaces, a heading's closing '#', "[1]: url" in an answer: each shows as
    typed and changes nothing around it (no heading, code block or link definition)."""
    passage = "calm\r# not a heading\n    not code &amp; *x*\n[1]: http://evil.example"
    citation = Citation(id=1, source="n.txt", title="T", section="S", start=0, end=9, text=passage)
    result = CitedAnswer(question="what is C#", answer="[1]: http://evil.example claim [1]", citations=[citation])
    page = MarkdownIt("commonmark").render(answer_markdown(result))
    assert "<h1" not in page and "<pre" not in page and "<code" not in page and "href" not in page, page
    text = shown(answer_markdown(result))
    assert "what is C#" in text and "[1]: http://evil.example claim [1]" in text
    assert folded(passage.replace("\r", "\n")) in text
