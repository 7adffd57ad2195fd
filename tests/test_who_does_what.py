"""The Who does what map and its quiz (assistant/who_does_what.py) over the real index of corpus/ (conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.who_does_what import build_map, list_items, mask, quiz_questions, topic_pattern
from ingest.glossary import Glossary

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wdw(assistant):
    return build_map(assistant)


def test_topics_come_from_the_glossary_and_the_notes_lists(wdw, assistant):
    labels = {t.label: t for t in wdw.topics}
    glossary_labels = [g[0][:1].upper() + g[0][1:] for g in assistant.glossary.term_groups]
    assert [t.label for t in wdw.topics if t.origin == "glossary"] == [g for g in glossary_labels if g in labels]
    assert "Trafficking" in labels and "Refugee" in labels
    notes = [t.label for t in wdw.topics if t.origin == "notes"]
    assert "GATS Mode 4 negotiations" in notes and "Capacity development" in notes
    assert not any(assistant.glossary.find(label) for label in notes)  # a body is a column, never a topic
    assert "Development" not in notes and "Remittances" not in notes  # already glossary topics
    # Words nearly every body uses say nothing about who does what: not a topic, not a topic's word.
    assert "Migration" not in labels
    assert "work" not in labels["Labour"].words


def test_trafficking_lists_unodc_and_ohchrs_project(wdw):
    row = {c.body: c for c in wdw.row("Trafficking")}
    assert {"UNODC", "OHCHR"} <= set(row)
    assert "custodian of the Protocol" in row["UNODC"].sentence
    assert "technical cooperation project on Trafficking" in row["OHCHR"].sentence
    assert row["UNODC"].citation.section == "UNODC" and row["OHCHR"].citation.section == "OHCHR"
    assert wdw.cell("Trafficking", "World Bank") is None


def test_every_cell_quotes_its_source_exactly_and_names_its_body(wdw, assistant):
    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "corpus").glob("*.txt")}
    assert len(wdw.cells) >= 30
    for cell in wdw.cells:
        c = cell.citation
        assert texts[c.source][c.start:c.end] == c.text, cell
        assert " ".join(c.text.split()) in cell.sentence
        body = assistant.glossary.by_name(cell.body)
        assert assistant.glossary.mentions(cell.sentence, body), cell
        named = assistant.glossary.find(c.text)  # a sentence naming another member is about it, not by this body
        assert body in named or not any(b.member and b != body for b in named), cell
        assert topic_pattern(next(t.words for t in wdw.topics if t.label == cell.topic)).search(
            " ".join(c.text.split())), cell
    assert len({(c.topic, c.body) for c in wdw.cells}) == len(wdw.cells)  # one sentence per cell
    order = [b.name for b in assistant.glossary.bodies]
    assert wdw.bodies == sorted(wdw.bodies, key=order.index)
    assert wdw.revision == assistant.manifest.revision


def test_the_filter_keeps_topic_body_and_sentence_matches(wdw):
    assert {c.body for c in wdw.filtered("trafficking") if c.topic == "Trafficking"} >= {"UNODC", "OHCHR"}
    assert {c.topic for c in wdw.filtered("trafficked")} >= {"Trafficking"}  # a synonym of the topic
    unhcr = wdw.filtered("UNHCR")
    assert {c.body for c in unhcr} >= {"UNHCR"} and all(c.body == "UNHCR" or "UNHCR" in c.sentence for c in unhcr)
    assert wdw.row("Return") and all(c in unhcr for c in wdw.row("Return"))  # UNHCR's rows, whatever the topic
    assert {c.topic for c in wdw.filtered("unodc trafficking")} >= {"Trafficking"}
    assert all(c.body == "UNODC" for c in wdw.filtered("unodc trafficking") if c.topic == "Trafficking")
    assert wdw.filtered("") == wdw.cells and wdw.filtered("  ") == wdw.cells
    assert wdw.filtered("no such word anywhere") == []


def test_list_items_and_topic_patterns():
    assert list_items("It works on: remittances; trade in services; and RTAs.", False, 5) == [
        "remittances", "trade in services", "RTAs"]
    assert list_items("It pioneered work on many issues; remittances; and GATS Mode 4 negotiations.", False, 5) == [
        "remittances", "GATS Mode 4 negotiations"]  # before the first semicolon: the sentence's own lead-in
    assert list_items("- 2. Sharing data.", True, 5) == ["Sharing data"]
    assert list_items("A plain sentence, with commas, is no list.", False, 5) == []
    assert list_items("x: one two three four five six; seven", False, 5) == ["seven"]
    pattern = topic_pattern(["refugee", "human rights"])
    assert pattern.search("protect Refugees") and pattern.search("the human\u00a0rights".replace("\u00a0", " "))
    assert not pattern.search("refugeehood") and not pattern.search("humane rights")


def test_mask_blanks_every_spelling_of_the_body():
    glossary = Glossary.load(ROOT / "corpus" / "glossary.toml")
    undesa = glossary.by_name("UNDESA")
    text = "The Department of Economic and Social Affairs of the UN Secretariat works; UNDESA's activities too."
    assert mask(text, undesa, glossary, "___") == "The ___ of the UN Secretariat works; ___'s activities too."
    # an acronym with a possessive "s" and no apostrophe names the body ("ILOs conventions"); a word holding it not
    assert mask("ILOs and silo", glossary.by_name("ILO"), glossary, "___") == "___ and silo"
    assert glossary.find("Who are IOMs members?") == [glossary.by_name("IOM")]
    assert glossary.spelling_in("what are IOMs main activities?", glossary.by_name("IOM")) == "IOM"
    assert glossary.find("silos and the MILOs") == []


def test_quiz_questions_are_fair_and_built_from_the_map(wdw, assistant):
    glossary = assistant.glossary
    questions = quiz_questions(wdw, glossary, seed=0)
    assert len(questions) >= 8
    assert len({q.topic for q in questions}) == len(questions)  # one question per topic
    assert len({q.answer for q in questions}) >= 6  # spread over the members
    for q in questions:
        assert len(q.options) == 4 and len(set(q.options)) == 4 and q.answer in q.options
        assert all(glossary.by_name(o).member for o in q.options)
        assert q.cell is wdw.cell(q.topic, q.answer)
        assert "▁▁▁" in q.quote and not glossary.mentions(q.quote, glossary.by_name(q.answer))
        # Exactly one option is right: the map has nothing from the others on this topic.
        assert all(wdw.cell(q.topic, o) is None for o in q.options if o != q.answer)
    assert quiz_questions(wdw, glossary, seed=0) == questions  # the same quiz on every rerun
    assert quiz_questions(wdw, glossary, seed=1) != questions  # "Take another quiz" is another quiz


def test_a_glossary_terms_edit_rebuilds_the_assistant_and_the_map(embeddings, tmp_path):
    """A new [[terms]] synonym re-chunks nothing, so the index revision stayed and the running app kept the old
    glossary and map until a restart. Now the edit itself rebuilds both."""
    import time

    from tests.conftest import fresh_services

    services = fresh_services(tmp_path, embeddings)
    old = services.current()
    glossary = services.settings.corpus_dir / "glossary.toml"
    glossary.write_text(glossary.read_text(encoding="utf-8")
                        + '\n[[terms]]\nwords = ["diaspora", "diasporas", "expatriate communities"]\n',
                        encoding="utf-8")
    fresh = services.current()
    assert fresh is not old and fresh.manifest.revision == old.manifest.revision
    assert ["diaspora", "diasporas", "expatriate communities"] in [list(g) for g in fresh.glossary.term_groups]
    assert services.current() is fresh  # built once per edit
    rebuilt = services.who_does_what(fresh)
    deadline = time.monotonic() + 120
    while rebuilt["result"] is None and rebuilt["error"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Diaspora" in [t.label for t in rebuilt["result"].topics]
    # a glossary saved half-way (invalid TOML): the running assistant goes on answering; one failed try, no retries
    glossary.write_text('[[bodies]]\nname = "ILO\n', encoding="utf-8")
    builds = services.builds
    assert services.current() is fresh and services.current() is fresh
    assert services.builds == builds and services.who_does_what(fresh) is rebuilt
