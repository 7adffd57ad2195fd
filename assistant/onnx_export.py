"""export_onnx: the bundled model's weights, as sentence-transformers loads them, traced to ONNX for OnnxEmbeddings
(assistant/onnx_embeddings.py), at ingest time where torch is loaded anyway; checked against the model it came
from before anything uses it. The only code of the ONNX path that imports torch (inside the functions).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import warnings
from pathlib import Path

from assistant.onnx_embeddings import (
    FORMAT,
    META,
    MODEL_FILE,
    TOKENIZER_FILE,
    OnnxEmbeddings,
    export_status,
    read_meta,
    source_checksum,
    source_stat,
    write_json,
)

log = logging.getLogger(__name__)

OPSET = 17
# Copied beside model.onnx so the folder describes itself (only tokenizer.json and export.json are read).
COPIED_FILES = ("config.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                "sentence_bert_config.json", "modules.json")
CHECK_TEXTS = (
    "Who handles trafficking victims?",
    "?",
    "",
    "  The Global Migration Group (GMG) is an inter-agency group bringing together heads of agencies.\n",
    "UNODC, as custodian of the Protocol to Prevent, Suppress and Punish Trafficking in Persons, Especially Women "
    "and Children as well as the Protocol against the Smuggling of Migrants by Land, Sea and Air, assists "
    "governments in their ratification and implementation.",
    "Côte d'Ivoire, São Tomé — naïve café “quotes” 1,000,000 USD; 50% of remittances.",
    " ".join(["migration"] * 400),  # longer than the 256-token limit: truncated on both paths
)
MIN_CHECK_COSINE = 0.99999
_EXPORTED: dict[str, Path] = {}  # source checksum → a folder this process exported (copied, not re-traced)


def check_pipeline(model_dir: Path) -> None:
    """Refuse a model this embedder would not reproduce: it must be Transformer → mean Pooling → Normalize."""
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise RuntimeError(f"{model_dir}: modules {kinds}, not Transformer → Pooling → Normalize")
    pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    if modes != {"pooling_mode_mean_tokens"}:
        raise RuntimeError(f"{model_dir}: pooling {sorted(modes)}, not mean pooling")


def export_onnx(model_dir: Path, folder: Path, model=None, *, model_id: str = "", copy_from: Path | None = None
                ) -> Path:
    """Export the weights in `model_dir` to `folder` (model.onnx + tokenizer + export.json) and check them.

    `model` is the SentenceTransformer already loaded from `model_dir`, if any (else it is loaded here). A fresh
    export of the same weights (`copy_from`, or one this process made) is linked or copied instead of re-traced.
    Safe against a concurrent export (file lock) and a crash (written aside, then renamed into place).
    """
    from filelock import FileLock

    model_dir, folder = Path(model_dir), Path(folder)
    check_pipeline(model_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / f".{folder.name}.lock")):
        if export_status(folder, model_dir) is None:
            return folder
        started = time.perf_counter()
        checksum = source_checksum(model_dir)
        tmp = folder.parent / f".{folder.name}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            done = next((d for d in (copy_from, _EXPORTED.get(checksum))
                         if d is not None and Path(d) != folder and export_status(Path(d), model_dir) is None), None)
            if done is not None:
                for name in os.listdir(done):
                    _link_or_copy(Path(done) / name, tmp / name)
                meta = read_meta(tmp)
            else:
                meta = _trace(model_dir, tmp, model)
            meta.update(format=FORMAT, onnx_bytes=(tmp / MODEL_FILE).stat().st_size, model_id=model_id,
                        source=str(model_dir), source_sha256=checksum, source_stat=source_stat(model_dir))
            write_json(tmp / META, meta)
            old = folder.parent / f".{folder.name}.{os.getpid()}.old"
            if folder.exists():
                folder.rename(old)
            tmp.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _EXPORTED[checksum] = folder
        log.info("exported %s to %s in %.1f s", model_dir, folder, time.perf_counter() - started)
        return folder


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _trace(model_dir: Path, out: Path, model=None) -> dict:
    import numpy as np
    import torch

    if model is None:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(model_dir), device="cpu")
    transformer = model[0]
    hf_model = getattr(transformer, "auto_model", None) or transformer.model
    hf_tokenizer = model.tokenizer

    class LastHidden(torch.nn.Module):
        """Calls the model by keyword, so the exported inputs are named and ordered as onnxruntime expects."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    # The exact tokenizer sentence-transformers uses (normaliser, vocabulary, special tokens), as one file.
    hf_tokenizer.backend_tokenizer.save(str(out / TOKENIZER_FILE))
    for name in COPIED_FILES:
        if (model_dir / name).is_file():
            shutil.copy2(model_dir / name, out / name)
    sample = hf_tokenizer(["a short question?", "a somewhat longer sentence about migration and the GMG."],
                          padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    wrapper = LastHidden(hf_model).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, tuple(sample[n] for n in names), str(out / MODEL_FILE), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET,
                          do_constant_folding=True, dynamo=False)
    meta = {"max_seq_length": int(model.max_seq_length), "pad_id": int(hf_tokenizer.pad_token_id or 0),
            "opset": OPSET, "torch": torch.__version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    write_json(out / META, meta)
    # Check the export against the model it came from, before anything uses it.
    reference = model.encode(list(CHECK_TEXTS), batch_size=64, normalize_embeddings=True)
    got = np.asarray(OnnxEmbeddings(out, "check").embed_documents(list(CHECK_TEXTS)), dtype=np.float32)
    cosine = float(np.min(np.sum(reference * got, axis=1)))
    if cosine < MIN_CHECK_COSINE:
        raise RuntimeError(f"The ONNX export disagrees with sentence-transformers (cosine {cosine:.6f})")
    meta.update(dimension=int(got.shape[1]), check_min_cosine=cosine)
    return meta
