"""Password checks for the app's optional sign-in (`ASSISTANT_AUTH`); the sign-in form itself is `ui/auth.py`.

With `ASSISTANT_AUTH=password` the password is `ASSISTANT_AUTH_PASSWORD` (shared; the name is then what the user
says it is, recorded on feedback, not proof of identity), or per-user passwords in `.streamlit/secrets.toml`:

    [assistant_auth]
    password = "shared password"        # optional, instead of ASSISTANT_AUTH_PASSWORD
    [assistant_auth.users]
    alice = "her own password"          # when present, only these names can sign in (with their password)

Passwords are compared in constant time (hmac.compare_digest of SHA-256 digests, so lengths do not leak);
after 5 failures a name is locked for 30 s in this process. No Streamlit here: the secrets arrive as a mapping.

Who may change the corpus (the Documents page): `corpus_edit_refusal`.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import unicodedata
from collections.abc import Mapping

from assistant.settings import Settings

MAX_FAILURES = 5
LOCK_SECONDS = 30.0
MAX_NAME = 64


class AuthConfigError(RuntimeError):
    """ASSISTANT_AUTH asks for sign-in but nothing to sign in with is configured."""


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


def _secrets_section(secrets: Mapping | None) -> Mapping:
    try:
        section = (secrets or {}).get("assistant_auth") or {}
        return section if isinstance(section, Mapping) else {}
    except Exception:  # noqa: BLE001 - st.secrets raises when there is no secrets.toml at all
        return {}


def password_config(settings: Settings, secrets: Mapping | None = None) -> tuple[str | None, dict[str, str]]:
    """(shared password or None, {user: password}) from settings and secrets.toml."""
    section = _secrets_section(secrets)
    shared = settings.auth_password.get_secret_value() if settings.auth_password is not None else None
    if not shared and isinstance(section.get("password"), str):
        shared = section["password"]
    users = section.get("users") or {}
    users = {str(k): str(v) for k, v in users.items() if isinstance(v, str) and v} if isinstance(users, Mapping) else {}
    return (shared or None), users


def clean_name(name: str) -> str | None:
    """A user name as recorded: trimmed, NFC, printable, at most 64 characters; None if unusable."""
    name = unicodedata.normalize("NFC", " ".join(str(name or "").split()))
    if not name or len(name) > MAX_NAME or not name.isprintable():
        return None
    return name


def check_password(settings: Settings, user: str, password: str, secrets: Mapping | None = None) -> bool:
    """True when `password` is right for `user`. Always does one constant-time comparison, known user or not."""
    shared, users = password_config(settings, secrets)
    if users:
        expected = users.get(user)
    else:
        expected = shared
    if not (shared or users):
        return False
    # Compare against a dummy when the user is unknown, so the time taken does not tell which names exist.
    matched = hmac.compare_digest(_digest(password or ""), _digest(expected if expected is not None else "\x00"))
    return bool(matched and expected is not None)


class _Throttle:
    """Per-name failure counts in this process: MAX_FAILURES wrong passwords lock the name for LOCK_SECONDS."""

    def __init__(self) -> None:
        self.failures: dict[str, tuple[int, float]] = {}
        self.lock = threading.Lock()

    def locked_for(self, name: str) -> float:
        with self.lock:
            count, since = self.failures.get(name, (0, 0.0))
            if count < MAX_FAILURES:
                return 0.0
            left = LOCK_SECONDS - (time.monotonic() - since)
            if left <= 0:
                del self.failures[name]
                return 0.0
            return left

    def fail(self, name: str) -> None:
        with self.lock:
            count, _ = self.failures.get(name, (0, 0.0))
            self.failures[name] = (count + 1, time.monotonic())

    def succeed(self, name: str) -> None:
        with self.lock:
            self.failures.pop(name, None)


THROTTLE = _Throttle()


def corpus_edit_refusal(settings: Settings, user: str | None, secrets: Mapping | None = None) -> str | None:
    """Why `user` may not add or remove documents, or None when they may.

    Sign-in off: nobody can be told apart, so only ASSISTANT_CORPUS_EDITS (one person on loopback) allows it.
    Sign-in on: only the names in ASSISTANT_CORPUS_EDITORS, and only when a name proves who signed in (OIDC, or
    per-user passwords: with one shared password anyone may type an editor's name)."""
    if settings.auth == "off":
        return None if settings.corpus_edits else (
            "Adding and removing documents is off: sign-in is off, so anyone who can open this page could change "
            "the corpus. For one person on this machine, set ASSISTANT_CORPUS_EDITS=true (`make run` does); for a "
            "shared app, turn sign-in on and name the editors in ASSISTANT_CORPUS_EDITORS.")
    if user is None:
        return "Sign in to change the corpus."
    if settings.auth == "password" and not password_config(settings, secrets)[1]:
        return ("Adding and removing documents needs per-user passwords ([assistant_auth.users] in "
                ".streamlit/secrets.toml): with one shared password, a name does not prove who signed in.")
    if user.casefold() not in settings.editors:
        return (f"Only the editors named in ASSISTANT_CORPUS_EDITORS may add or remove documents; {user} is not "
                "one of them.")
    return None
