"""The one result type: a CitedAnswer and its Citations, consumed by the CLI, the app and the evals."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Citation(BaseModel):
    id: int = Field(description="The n of the [n] marker in the answer.")
    source: str = Field(description="Path relative to the corpus root.")
    title: str
    section: str | None = None
    page: int | None = None
    start: int
    end: int
    text: str = Field(description="Exactly source_text[start:end].")
    date: str | None = None
    doc_id: str = ""
    chunk_id: str = ""
    focus: tuple[int, int] | None = Field(
        None, description="Inside a quote of several sentences, the source span of the one the answer was built on "
        "(what a shorter answer keeps); None when the quote is that sentence or nobody said (not in to_json).")

    def label(self) -> str:
        parts = [self.title + (f" ({self.date})" if self.date else "")]
        if self.section:
            parts.append(self.section)
        if self.page:
            parts.append(f"p. {self.page}")
        return " · ".join(parts)


INTERNAL = {"date", "doc_id", "chunk_id", "focus"}  # citation fields the JSON contract leaves out
NOT_ANSWERED = "The documents don't say."  # how every abstention opens, whichever backend wrote it


def is_abstention(answer: str) -> bool:
    """Whether an answer's text (as a conversation's history holds it) is an abstention."""
    return answer.startswith(NOT_ANSWERED)


class CitedAnswer(BaseModel):
    question: str
    answer: str
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    # For an abstention: the closest passages, for the user to check (not cited by the answer).
    closest: list[Citation] = Field(default_factory=list)
    standalone_question: str | None = Field(
        None, description="The follow-up rewritten with the conversation (None: the question was used as asked).")
    core_question: str | None = Field(
        None, description="A rewritten follow-up's own meaning without the earlier question it carries as context: "
        "what later follow-ups build on (not in to_json).")
    suggested_question: str | None = Field(
        None, description="For a chat question the documents do not answer: the question read with the previous "
        "one, which they do answer (offered to the user, not asked).")
    suggested_core: str | None = Field(
        None, description="The suggested question's own meaning, its core_question once asked (not in to_json).")
    evidence: float = Field(0.0, description="Evidence score the abstention decision was made on.")
    social: bool = Field(False, description="A reply to a greeting, thanks or a question about the assistant "
                         "itself (assistant/social.py): nothing was searched or cited.")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    backend: str = Field("extractive", description="Who wrote the answer: `extractive` or the ASSISTANT_LLM model.")
    notes: list[str] = Field(default_factory=list, description="Notes for the reader (fallbacks, what checks changed).")
    checks: dict = Field(default_factory=dict, description="Outcome of the citation checks on a model's answer.")

    def to_json(self) -> dict:
        data = self.model_dump(include={"question", "answer", "abstained", "timings_ms", "standalone_question",
                                        "suggested_question", "social"})
        data["citations"] = [c.model_dump(exclude=INTERNAL) for c in self.citations]
        data["closest"] = [c.model_dump(exclude=INTERNAL) for c in self.closest]
        data.update(backend=self.backend, notes=list(self.notes), checks=self.checks)
        return data
