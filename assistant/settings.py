"""The one settings object. Built only at the edges (CLI, app, eval runner) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Every field is read from `ASSISTANT_<FIELD>` environment variables or a `.env` file."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".data"), description="Folder for the Chroma index, manifest, BM25 index and feedback.")
    corpus_dir: Path = Field(
        Path("corpus"), description="Folder of documents to ingest (with catalog.toml, glossary.toml)."
    )
    collection: str = Field("gmg", description="Base name of the Chroma collection; the model id is appended.")
    embedding_model: str = Field(
        BUNDLED_MODEL,
        description="Sentence-transformers model: the bundled all-MiniLM-L6-v2 (default), a local path or a name.",
    )
    embedding_device: str = Field("cpu", description="Torch device for the embedding model.")
    allow_model_download: bool = Field(
        False, description="Let sentence-transformers fetch a named model from the Hugging Face Hub (off: offline)."
    )
    chroma_host: str | None = Field(
        None, description="Use a `chroma run` server at this host instead of the local folder."
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server (with ASSISTANT_CHROMA_HOST).")
    top_k: int = Field(6, ge=1, le=50, description="Passages retrieved per question.")
    fusion: Literal["rrf", "convex"] = Field("rrf", description="How dense and BM25 rankings are fused.")
    chunk_max_tokens: int = Field(
        160, ge=32, le=250, description="Largest chunk, in model word pieces (model limit 256)."
    )
    answer_max_words: int = Field(60, ge=10, le=400, description="Soft cap on the length of an extractive answer.")
    abstain_threshold: float = Field(
        0.0, description="Shift added to the calibrated evidence threshold (positive: abstain more often)."
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused with a message.")
    max_history_turns: int = Field(6, ge=0, description="Earlier turns used to rewrite a follow-up question.")
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are skipped at ingest.")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"
