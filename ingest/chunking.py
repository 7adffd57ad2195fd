"""Sections and sentences → chunks sized for the embedding model, with exact character offsets."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.glossary import Glossary
from ingest.loaders import LoadedText
from ingest.sections import Section, Unit, segment

CHUNKER_VERSION = 10  # bump when the chunking logic changes: the manifest re-chunks every file


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    source: str
    title: str
    section: str | None
    page: int | None
    start: int
    end: int
    text: str
    hash: str
    # (start, end, kind) of every sentence/heading unit inside the chunk, absolute offsets.
    units: tuple[tuple[int, int, str], ...] = ()
    extra: dict = field(default_factory=dict)

    def metadata(self, model_id: str) -> dict:
        """Flat, scalar-only metadata for Chroma (None values are dropped: Chroma rejects them)."""
        meta = {
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "hash": self.hash,
            "model": model_id,
            "units": json.dumps(self.units),
            **self.extra,
        }
        return {k: v for k, v in meta.items() if v is not None}


def doc_id_for(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


@dataclass
class Chunker:
    """Packs whole sentences of one section into chunks of at most `max_tokens` model tokens.

    LangChain's splitters return text pieces, not sentence-aligned offset spans, so packing is done here
    (sentences come from pysbd); a single sentence longer than the limit is split by LangChain's
    RecursiveCharacterTextSplitter with the model's token count as the length function.
    """

    count_tokens: Callable[[str], int]
    glossary: Glossary = field(default_factory=Glossary)
    max_tokens: int = 160
    overlap_sentences: int = 1

    @property
    def fingerprint(self) -> str:
        return f"v{CHUNKER_VERSION}:max{self.max_tokens}:ov{self.overlap_sentences}:gl{self.glossary.digest}"

    def chunk(self, source: str, title: str, loaded: LoadedText, extra: dict | None = None) -> list[Chunk]:
        text = loaded.text
        sections, units = segment(text, self.glossary)
        chunks: list[Chunk] = []
        for index, section in enumerate(sections):
            members = self._fit([u for u in units if u.section == index], text)
            for group in self._pack(members, text):
                chunks.append(self._make(source, title, section, group, loaded, extra or {}))
        return chunks

    def _fit(self, units: list[Unit], text: str) -> list[Unit]:
        """Split any unit longer than the token limit into pieces that fit."""
        fitted: list[Unit] = []
        for unit in units:
            if self.count_tokens(text[unit.start : unit.end]) <= self.max_tokens:
                fitted.append(unit)
                continue
            from langchain_text_splitters import RecursiveCharacterTextSplitter

            splitter = RecursiveCharacterTextSplitter(
                chunk_size=self.max_tokens,
                chunk_overlap=0,
                length_function=self.count_tokens,
                separators=["; ", ", ", " ", ""],
                keep_separator="end",
                add_start_index=True,
            )
            for doc in splitter.create_documents([text[unit.start : unit.end]]):
                a = unit.start + doc.metadata["start_index"]
                fitted.append(Unit(a, a + len(doc.page_content), unit.kind, unit.section))
        return fitted

    def _pack(self, units: list[Unit], text: str) -> list[list[Unit]]:
        # WordPiece splits on whitespace first, so a span's count is the sum of its units' counts (each unit
        # counted once, less the two special tokens it was counted with, plus two for the whole chunk).
        # Each unit is counted with the text between it and the previous unit (list markers live there).
        cost = {u: self.count_tokens(text[(units[i - 1].end if i else u.start) : u.end]) - 2
                for i, u in enumerate(units)}

        def size(group: list[Unit]) -> int:
            return sum(cost[u] for u in group) + 2

        groups: list[list[Unit]] = []
        current: list[Unit] = []
        for index, unit in enumerate(units):
            if current and self._starts_list(units, index, text) and size([*current, unit]) > self.max_tokens // 2:
                # Keep a list with its introduction: start a fresh chunk at the intro, not mid-list.
                lead = [current.pop()] if self._short_intro(unit, text) and current else []
                if current:
                    groups.append(current)
                current = lead
            candidate = [*current, unit]
            if current and size(candidate) > self.max_tokens:
                groups.append(current)
                carried = [u for u in current[-self.overlap_sentences :] if u.kind == "sentence"]
                if self.overlap_sentences <= 0:
                    carried = []
                candidate = [*carried, unit]
                if size(candidate) > self.max_tokens:
                    candidate = [unit]
            current = candidate
        if current:
            groups.append(current)
        # A section that is only its heading is not worth a chunk of its own (footnotes are: they stay searchable).
        return [g for g in groups if any(u.kind != "heading" for u in g)]

    @staticmethod
    def _short_intro(unit: Unit, text: str) -> bool:
        """ "These include:" — a list intro too short to stand without the sentence before it."""
        return len(text[unit.start : unit.end].split()) <= 6

    @staticmethod
    def _starts_list(units: list[Unit], index: int, text: str) -> bool:
        body = text[units[index].start : units[index].end].rstrip()
        return units[index].kind == "sentence" and body.endswith(":") and index + 1 < len(units)

    def _make(
        self, source: str, title: str, section: Section, group: list[Unit], loaded: LoadedText, extra: dict
    ) -> Chunk:
        start, end = group[0].start, group[-1].end
        body = loaded.text[start:end]
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        chunk_id = hashlib.sha1(f"{source}\x00{start}\x00{end}\x00{digest}".encode()).hexdigest()
        return Chunk(
            id=chunk_id,
            doc_id=doc_id_for(source),
            source=source,
            title=title,
            section=section.name,
            page=loaded.page_at(start),
            start=start,
            end=end,
            text=body,
            hash=digest[:16],
            units=tuple((u.start, u.end, u.kind) for u in group),
            extra=extra,
        )
