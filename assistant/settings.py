"""The one settings object. Built only at the edges (CLI, app, eval runner) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Every field is read from `ASSISTANT_<FIELD>` environment variables or a `.env` file."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".data"), description="Folder for the Chroma index, manifest, BM25 index and feedback.")
    corpus_dir: Path = Field(
        Path("corpus"),
        description="Folder of documents to ingest (with catalog.toml, glossary.toml, example_questions.jsonl).",
    )
    collection: str = Field("gmg", description="Base name of the Chroma collection; the model id is appended.")
    embedding_model: str = Field(
        BUNDLED_MODEL,
        description="Sentence-transformers model: the bundled all-MiniLM-L6-v2 (default), a local path or a name.",
    )
    embedding_device: str = Field("cpu", description="Torch device for the embedding model.")
    query_embedder: Literal["auto", "onnx", "sentence-transformers"] = Field(
        "auto",
        description="Runtime for the bundled model: auto (ONNX when ingest exported it, else sentence-transformers), "
        "onnx (export now if missing) or sentence-transformers (the reference; always used for other models).",
    )
    allow_model_download: bool = Field(
        False, description="Let sentence-transformers fetch a named model from the Hugging Face Hub (off: offline)."
    )
    chroma_host: str | None = Field(
        None, description="Use a `chroma run` server at this host instead of the local folder."
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server (with ASSISTANT_CHROMA_HOST).")
    top_k: int = Field(6, ge=1, le=50, description=(
        "Passages the hybrid search ranks per question; the answer step also reads up to 6 more chunks of the "
        "section when the two best share one (HybridRetriever.section_extra)."))
    fusion: Literal["rrf", "convex"] = Field("rrf", description="How dense and BM25 rankings are fused.")
    chunk_max_tokens: int = Field(
        160, ge=32, le=250, description="Largest chunk, in model word pieces (model limit 256)."
    )
    answer_max_words: int = Field(
        79, ge=10, le=400, description="Cap on an extractive answer in words (a list asked for may be longer; one "
        "member body's overview takes up to `body_overview_words` of `reader.json`, 140, when that is more)."
    )
    abstain_threshold: float = Field(
        0.0, description="Shift added to the index's calibrated abstention threshold (positive: abstain more often)."
    )
    reader_model: Path | None = Field(
        None, description="A reader.json to answer with instead of the shipped assistant/data/reader.json (one "
        "`python -m evals fit-reader --out FILE` wrote; `python -m evals cross-fit` answers with its folds' readers)."
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused with a message.")
    max_history_turns: int = Field(6, ge=0, description="Earlier turns used to rewrite a follow-up question.")
    conversation_retention_days: int = Field(
        90, ge=1, description="The app keeps each conversation this many days after its last question "
        "(data_dir/conversations.sqlite3); older ones are removed when the app starts.")
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are skipped at ingest.")
    max_top_k: int = Field(
        20, ge=1, le=50, description="Largest top-k a question may ask for (app slider, `ask -k`); more is capped."
    )
    max_answer_chars: int = Field(
        4000, ge=200, description="Hard cap on an answer's length; longer answers are cut at a cited sentence."
    )
    auth: Literal["off", "password", "oidc"] = Field(
        "off",
        description="Sign-in for the app: off, password (ASSISTANT_AUTH_PASSWORD or .streamlit/secrets.toml) or oidc "
        "(Streamlit's st.login with the [auth] section of .streamlit/secrets.toml).",
    )
    auth_password: SecretStr | None = Field(
        None, description="Shared app password for ASSISTANT_AUTH=password (compared in constant time)."
    )
    corpus_edits: bool = Field(
        False, description="With sign-in off: let the Documents page add and remove documents (only for one person "
        "on loopback; `make run` sets it). With sign-in on, ASSISTANT_CORPUS_EDITORS decides instead."
    )
    corpus_editors: str = Field(
        "", description="With sign-in on: the users who may add and remove documents on the Documents page, "
        "comma-separated (names with their own password in secrets.toml, or OIDC e-mail addresses)."
    )
    llm: str = Field(
        "extractive",
        description="Answer backend: `extractive` (offline default), `ollama:<model>` or `openai:<model>` "
        "(any OpenAI-compatible server).",
    )
    llm_base_url: str | None = Field(
        None,
        description="URL of the model server: default http://127.0.0.1:11434 for ollama; required for openai "
        "(the URL ending in /v1).",
    )
    llm_api_key: SecretStr | None = Field(
        None, description="API key sent to the openai: server (only to ASSISTANT_LLM_BASE_URL); none for ollama."
    )
    llm_timeout_s: float = Field(
        60.0, gt=0, description="Seconds the model server may stay silent before the extractive answer is given "
        "instead."
    )
    llm_max_tokens: int = Field(512, ge=16, le=32768, description="Largest answer the model may write, in tokens.")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature of the model (0: steadiest).")

    @property
    def editors(self) -> set[str]:
        """ASSISTANT_CORPUS_EDITORS as a set of case-folded names."""
        return {name.strip().casefold() for name in self.corpus_editors.split(",") if name.strip()}

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"
