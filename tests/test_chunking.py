"""Chunks of the real notes: exact offsets, model-sized, and the right section labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.chunking import Chunker
from ingest.glossary import Glossary
from ingest.loaders import LoadedText
from ingest.sections import segment

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
NOTES = sorted(CORPUS.glob("*.txt"))


@pytest.fixture(scope="module")
def glossary():
    return Glossary.load(CORPUS / "glossary.toml")


@pytest.fixture(scope="module")
def chunks(embeddings, glossary):
    chunker = Chunker(count_tokens=embeddings.count_tokens, glossary=glossary)
    out = {}
    for path in NOTES:
        text = path.read_bytes().decode("utf-8")
        out[path.name] = (text, chunker.chunk(path.name, path.stem, LoadedText(text)))
    return out


def test_every_chunk_is_an_exact_slice_of_its_source(chunks):
    for name, (text, doc_chunks) in chunks.items():
        assert doc_chunks, name
        for chunk in doc_chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            for a, b, _kind in chunk.units:
                assert chunk.start <= a < b <= chunk.end


def test_chunks_fit_the_model_window(chunks, embeddings):
    for _name, (_text, doc_chunks) in chunks.items():
        for chunk in doc_chunks:
            assert embeddings.count_tokens(chunk.text) <= 256


def test_chunks_cover_all_prose(chunks):
    """No sentence is lost: every non-space character of a note lies in some chunk or heading."""
    for name, (text, doc_chunks) in chunks.items():
        covered = set()
        for chunk in doc_chunks:
            covered.update(range(chunk.start, chunk.end))
        missing = [i for i, ch in enumerate(text) if not ch.isspace() and i not in covered]
        stray = "".join(text[i] for i in missing)
        # Only heading-only sections (a heading with no text under it) may be left out of chunks.
        assert len(stray) < 200, (name, stray[:200])


def _section_of(chunks, name, phrase):
    text, doc_chunks = chunks[name]
    at = text.index(phrase)
    return {c.section for c in doc_chunks if c.start <= at < c.end}


@pytest.mark.parametrize(
    ("phrase", "section"),
    [
        ("ILO, the UN specialized agency", "ILO"),
        ("IOM is dedicated to promoting", "IOM"),
        ("OHCHR promotes a human rights approach", "OHCHR"),
        ("UNCTAD, the UN focal point", "UNCTAD"),
        ("The Department of Economic and Social Affairs of the UN Secretariat", "UNDESA"),
        ("UNDP's aim is to maximize", "UNDP"),
        ("International migration has important implications", "UNFPA"),
        ("They include contributing to the work of regional fora", "UNHCR"),
        ("Victim support and witness protection", "UNODC"),
        ("Operational work to date has focused", "World Bank"),
        ("The GMG consists of 10 organizations", "Who is the GMG?"),
    ],
)
def test_agency_paragraphs_get_clean_section_names(chunks, phrase, section):
    assert _section_of(chunks, "gmg-information-note-2006.txt", phrase) == {section}


def test_coordination_note_headings(chunks):
    name = "srsg-gfmd-gmg-coordination-note.txt"
    assert _section_of(chunks, name, "The GFMD is a voluntary") == {"Functions of the GFMD"}
    assert _section_of(chunks, name, "Peter Sutherland is the Special") == {"Functions of SRSG Sutherland"}
    assert _section_of(chunks, name, "The trilateral meetings") == {"Substantive areas of cooperation"}


def test_sentence_broken_by_a_page_break_stays_one_unit(glossary):
    text = (CORPUS / "gmg-information-note-2006.txt").read_text(encoding="utf-8")
    _sections, units = segment(text, glossary)
    spans = [text[u.start : u.end] for u in units]
    assert any("voluntary repatriation\n\nand reintegration of refugees" in s for s in spans)


def test_a_pdf_footnote_is_kept_in_the_text_but_not_as_a_sentence(glossary):
    text = (CORPUS / "srsg-gfmd-gmg-coordination-note.txt").read_text(encoding="utf-8")
    _sections, units = segment(text, glossary)
    footnotes = [text[u.start : u.end] for u in units if u.kind == "footnote"]
    assert len(footnotes) == 1 and footnotes[0].startswith("1 Paragraph 29 of the Declaration of the High-level")

    def kinds(made_up: str) -> list[str]:
        return [u.kind for u in segment(made_up, glossary)[1]]

    assert kinds("The board meets in Geneva2.\n\n2 Its rules of procedure, adopted in 2009.\n") == [
        "sentence", "footnote"]
    assert kinds("It was noted in the Declaration1,2 of the Dialogue.\n\n1 Paragraph 29.\n\n2 Paragraph 30.\n") == [
        "sentence", "footnote", "footnote"]
    # Numbers that belong to a name or a reference are no marks; a number may open an ordinary paragraph.
    for before, after in [("The report A/61/515/Rev.1 was adopted.", "1 Member States agreed to meet."),
                          ("See the annex (p.2) for details.", "2 UN agencies joined the group."),
                          ("It ratified Convention No.1 in 1920.", "1 Agency left the group."),
                          ("The G8 summit met in Italy.", "8 Agencies attended the meeting."),
                          ("Staff and agencies meet each year.", "2 Agencies report to the board each spring.")]:
        assert kinds(f"{before}\n\n{after}\n") == ["sentence", "sentence"], before
    far = "The board meets in Geneva2. " + "It meets again. " * 300
    assert kinds(f"{far}\n\n2 Its rules of procedure.\n")[-1] == "sentence"  # the mark is pages before it


def test_metadata_is_flat_and_complete(chunks):
    _text, doc_chunks = chunks["gmg-information-note-2006.txt"]
    meta = doc_chunks[0].metadata("test-model")
    assert {"doc_id", "source", "title", "start", "end", "hash", "model", "units"} <= set(meta)
    assert all(isinstance(v, str | int | float | bool) for v in meta.values())
    assert json.loads(meta["units"])


def test_an_overlong_sentence_is_split_to_fit(embeddings):
    chunker = Chunker(count_tokens=embeddings.count_tokens, max_tokens=40)
    text = "Intro.\n\n" + "; ".join(f"clause number {i} about remittances and migration" for i in range(30)) + "."
    for chunk in chunker.chunk("long.txt", "Long", LoadedText(text)):
        assert text[chunk.start : chunk.end] == chunk.text
        assert embeddings.count_tokens(chunk.text) <= 40
