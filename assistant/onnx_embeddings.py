"""OnnxEmbeddings: the bundled all-MiniLM-L6-v2 run by onnxruntime + tokenizers, so queries never load torch.

The ONNX file is exported once from the very weights sentence-transformers loads (`export_onnx` in
assistant/onnx_export.py, at ingest time, where torch is loaded anyway) into the data folder, with the checksum of
those weights; `export_status` says whether an export is there and still matches them. The embedder reproduces
sentence-transformers' pipeline for this model: newlines folded as HuggingFaceEmbeddings does, the same tokenizer
(saved from the loaded one), truncation at `max_seq_length`, mean pooling over the attention mask and L2
normalisation (cosine ≥ 0.99999 to the reference, checked after every export; tests/test_onnx.py checks vectors,
token counts and the golden set's answers). Batches are sorted longest first like sentence-transformers', but cut
where padding would grow: a query embeds ~30 candidate sentences of 10-150 tokens, and padding them all to the
longest tripled the work.

We do not use chromadb's `ONNXMiniLM_L6_V2`: it pads every batch to 256 tokens (4-10x the work for our short
sentences), downloads its own weights when a file is missing, and is not a LangChain `Embeddings`.

Nothing here imports torch or sentence-transformers: the export, which needs them, is assistant/onnx_export.py.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import threading
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

FORMAT = 1
META = "export.json"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
# Files whose content decides the embeddings: any change means a new export.
SOURCE_FILES = ("model.safetensors", "pytorch_model.bin", "config.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "vocab.txt", "sentence_bert_config.json", "modules.json",
                "1_Pooling/config.json")


# -- freshness ------------------------------------------------------------------------------------------------

def _source_files(model_dir: Path) -> list[Path]:
    return [model_dir / name for name in SOURCE_FILES if (model_dir / name).is_file()]


def source_stat(model_dir: Path) -> dict[str, list[int]]:
    stats = {}
    for path in _source_files(model_dir):
        st = path.stat()
        stats[path.relative_to(model_dir).as_posix()] = [st.st_size, st.st_mtime_ns]
    return stats


def source_checksum(model_dir: Path) -> str:
    """sha256 over the names and contents of the files that decide the embeddings."""
    digest = hashlib.sha256()
    for path in _source_files(model_dir):
        digest.update(path.relative_to(model_dir).as_posix().encode() + b"\0")
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def read_meta(folder: Path) -> dict | None:
    try:
        return json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def export_status(folder: Path, model_dir: Path) -> str | None:
    """None when `folder` holds a usable export of the weights in `model_dir`, else why not.

    Cheap on the query path: the sizes and modification times of the source files are compared first; the
    checksum is computed only when they differ (a reinstall that kept the same weights stays fresh).
    """
    meta = read_meta(folder)
    if meta is None:
        return "no ONNX export yet"
    if meta.get("format") != FORMAT:
        return "the ONNX export is from an older version"
    try:
        complete = (folder / MODEL_FILE).stat().st_size == meta.get("onnx_bytes")
        complete = complete and (folder / TOKENIZER_FILE).is_file()
    except OSError:
        complete = False
    if not complete:
        return "the ONNX export is incomplete"
    model_dir = Path(model_dir)
    stat = source_stat(model_dir)
    if not stat:
        return f"no model weights in {model_dir}"
    if stat == meta.get("source_stat"):
        return None
    if source_checksum(model_dir) != meta.get("source_sha256"):
        return "the model weights changed since the ONNX export"
    meta["source_stat"] = stat  # same weights, new files (a reinstall): remember, so the next check is cheap
    try:
        write_json(folder / META, meta)
    except OSError:
        pass
    return None


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


# -- the embedder ---------------------------------------------------------------------------------------------

class OnnxEmbeddings(Embeddings):
    """A LangChain embedder with the interface of `SentenceEmbeddings` (model_id, count_tokens, a query cache),
    safe to share between threads.

    The onnxruntime session is created in a background thread as soon as the object exists (it releases the GIL
    while it reads the weights), so it loads while the caller opens the index; the first embedding waits for it.
    """

    def __init__(self, folder: Path, model_id: str, *, batch_size: int = 64, threads: int | None = None):
        import numpy as np
        from tokenizers import Tokenizer

        self._np = np
        self.folder = Path(folder)
        meta = read_meta(self.folder)
        if meta is None or not (self.folder / MODEL_FILE).is_file():
            raise RuntimeError(f"No ONNX export in {self.folder}: run `assistant ingest` to create it.")
        self.model_id = model_id
        self.model_name = meta.get("source", "")  # the weights it was exported from (as in SentenceEmbeddings)
        self.max_seq_length = int(meta["max_seq_length"])
        self.batch_size = batch_size
        self.encode_kwargs = {"normalize_embeddings": True, "batch_size": batch_size}
        self._pad_id = int(meta.get("pad_id", 0))
        self._threads = threads
        self._lock = threading.Lock()
        self._session = None
        self._session_error: BaseException | None = None
        self._loading = threading.Thread(target=self._load_session, name="onnx-session", daemon=True)
        self._loading.start()
        atexit.register(self._loading.join)  # never exit while onnxruntime is half-way through loading
        self._tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_seq_length)
        self._counter = None  # an untruncated copy for count_tokens (ingest only), made on first use
        self._cached_query = lru_cache(maxsize=1024)(self._embed_query)

    def _load_session(self) -> None:
        try:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.log_severity_level = 3
            # No busy-waiting between the small runs of a query: leaves the CPU to the app and the other threads.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            if self._threads:
                options.intra_op_num_threads = self._threads
            self._session = ort.InferenceSession(str(self.folder / MODEL_FILE), sess_options=options,
                                                 providers=["CPUExecutionProvider"])
        except BaseException as exc:  # re-raised on first use, in the caller's thread
            self._session_error = exc

    @property
    def session(self):
        if self._session is None:
            self._loading.join()
            if self._session is None:
                raise RuntimeError(f"Cannot load {self.folder / MODEL_FILE}: {self._session_error}")
        return self._session

    def wait_ready(self) -> OnnxEmbeddings:
        """Block until the model is loaded (raises if it cannot be)."""
        self.session  # noqa: B018 - the property joins the loader thread
        return self

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indices longest first (as sentence-transformers sorts them), cut into batches of at most batch_size
        whose padding stays small: a batch ends where the next text is much shorter than its first."""
        order = self._np.argsort([-n for n in lengths], kind="stable")
        batches: list[list[int]] = []
        for i in order.tolist():
            if not batches or len(batches[-1]) >= self.batch_size or lengths[batches[-1][0]] > 1.25 * lengths[i] + 8:
                batches.append([])
            batches[-1].append(i)
        return batches

    def _encode(self, texts: list[str], tokens: list | None = None):
        """The same text in as HuggingFaceEmbeddings → SentenceTransformer.encode, the same vectors out.
        With `tokens` (a list), each text's (token vectors, character offsets) are appended to it as well."""
        np = self._np
        texts = [t.replace("\n", " ") for t in texts]
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        session = self.session
        out = None
        per_text: dict[int, tuple] = {}
        for batch in self._batches(lengths):
            width = lengths[batch[0]]
            ids = np.full((len(batch), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, : lengths[i]] = encodings[i].ids
                mask[row, : lengths[i]] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.zeros_like(ids)})[0]
            if tokens is not None:
                for row, i in enumerate(batch):
                    per_text[i] = token_vectors(hidden[row, : lengths[i]], encodings[i].offsets)
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            out[batch] = pooled / np.maximum(norms, 1e-12)
        if tokens is not None:
            tokens.extend(per_text[i] for i in range(len(texts)))
        return out

    def encode_tokens(self, texts: list[str]) -> list[tuple]:
        """Per text: (contextual token vectors, L2-normalised, one row per word piece without [CLS]/[SEP]; their
        (start, end) character offsets in the text). Newlines count as one character, as in the text."""
        tokens: list[tuple] = []
        if texts:
            self._encode(list(texts), tokens)
        return tokens

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return list(self._cached_query(text))

    def _embed_query(self, text: str) -> tuple[float, ...]:
        return tuple(self._encode([text])[0].tolist())

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, including [CLS] and [SEP]."""
        with self._lock:
            if self._counter is None:
                from tokenizers import Tokenizer

                self._counter = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
                self._counter.no_padding()
                self._counter.no_truncation()
            return len(self._counter.encode(text).ids)

    def __repr__(self) -> str:
        return f"OnnxEmbeddings(model_id={self.model_id!r}, folder={str(self.folder)!r})"


def token_vectors(hidden, offsets) -> tuple:
    """(normalised vectors, offsets) of the word pieces of one text: special tokens (offset (0, 0)) dropped."""
    import numpy as np

    keep = [i for i, (a, b) in enumerate(offsets) if b > a]
    vectors = np.asarray(hidden, dtype=np.float32)[keep]
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors, [tuple(offsets[i]) for i in keep]
