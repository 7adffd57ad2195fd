"""requirements.lock is what `make install` installs: it must cover pyproject.toml (a dependency added there without
`make lock` fails here, not on a user's machine next month), carry a sha256 for every pin, and be what this
environment actually holds."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _lock_pins(text: str) -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of hashes) for each `name==version \\` entry and the hash lines under it."""
    pins: dict[str, tuple[Version, int]] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if line and not line[0].isspace() and "==" in line and not line.startswith("#"):
            name, version = line.split(";")[0].rstrip(" \\").split("==")
            current = canonicalize_name(name)
            pins[current] = (Version(version), 0)
        elif stripped.startswith("--hash=sha256:") and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


@pytest.fixture(scope="module")
def pins() -> dict[str, tuple[Version, int]]:
    return _lock_pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))


def _project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]


def test_every_project_requirement_is_pinned_within_its_range(pins):
    missing, outside = [], []
    for req in _project_requirements():
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            missing.append(req.name)
        elif not req.specifier.contains(pinned[0], prereleases=True):
            outside.append(f"{req} (locked {pinned[0]})")
    assert not missing and not outside, f"run `make lock`: not in the lock {missing}, outside the range {outside}"


def test_every_pin_carries_a_hash_and_torch_is_the_cpu_build(pins):
    assert len(pins) > 100
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == []
    assert str(pins["torch"][0]).endswith("+cpu")


def test_this_environment_holds_the_locked_versions(pins):
    """`make install` installed from the lock: each pinned package is installed at exactly its pinned version."""
    wrong = []
    for name, (version, _) in pins.items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} missing")
            continue
        if installed != version:
            wrong.append(f"{name} {installed} != {version}")
    assert wrong == []


def test_the_parser_reads_pins_and_their_hashes():
    text = "# header\nfoo-bar==1.2 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via x\nbaz==2.0+cpu \\\n"
    assert _lock_pins(text) == {"foo-bar": (Version("1.2"), 2), "baz": (Version("2.0+cpu"), 0)}
