"""Sign-in: off by default, constant-time password checks (assistant/auth.py), the sign-in form (ui/auth.py)
driven with AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from assistant import auth
from assistant.settings import Settings
from ui import auth as sign_in


@pytest.fixture(autouse=True)
def _fresh_throttle():
    auth.THROTTLE.failures.clear()
    yield
    auth.THROTTLE.failures.clear()


def test_auth_is_off_by_default_and_draws_nothing():
    class NoStreamlit:
        def __getattr__(self, name):
            raise AssertionError(f"require_login touched st.{name} with auth off")

    settings = Settings(_env_file=None)
    assert settings.auth == "off" and settings.auth_password is None
    assert sign_in.require_login(settings, st=NoStreamlit()) is None


def test_settings_read_auth_from_the_environment_and_never_print_the_password(monkeypatch):
    monkeypatch.setenv("ASSISTANT_AUTH", "password")
    monkeypatch.setenv("ASSISTANT_AUTH_PASSWORD", "correct horse")
    settings = Settings(_env_file=None)
    assert settings.auth == "password"
    assert settings.auth_password.get_secret_value() == "correct horse"
    assert "correct horse" not in settings.model_dump_json() and "correct horse" not in repr(settings)
    monkeypatch.setenv("ASSISTANT_AUTH", "maybe")
    with pytest.raises(ValueError):
        Settings(_env_file=None)


def test_password_checks_are_constant_time_and_exact(monkeypatch):
    calls = []
    real = auth.hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    settings = Settings(_env_file=None, auth="password", auth_password="s3cret pass")
    assert auth.check_password(settings, "alice", "s3cret pass")
    assert not auth.check_password(settings, "alice", "s3cret pas")
    assert not auth.check_password(settings, "alice", "")
    assert not auth.check_password(settings, "alice", "S3CRET PASS")
    assert calls and all(a == b == 32 for a, b in calls)  # digests: equal lengths, nothing leaks by length


def test_per_user_passwords_from_secrets_restrict_the_names():
    settings = Settings(_env_file=None, auth="password")
    secrets = {"assistant_auth": {"users": {"alice": "wonder", "bob": "builder"}}}
    assert auth.check_password(settings, "alice", "wonder", secrets)
    assert not auth.check_password(settings, "alice", "builder", secrets)
    assert not auth.check_password(settings, "mallory", "wonder", secrets)
    assert not auth.check_password(settings, "alice", "anything")  # no password configured at all
    shared = {"assistant_auth": {"password": "from secrets"}}
    assert auth.check_password(settings, "anyone", "from secrets", shared)


def test_names_are_cleaned():
    assert auth.clean_name("  Ada   Lovelace ") == "Ada Lovelace"
    assert auth.clean_name("") is None and auth.clean_name("x" * 65) is None
    assert auth.clean_name("bad\x1bname") is None


def _login_app(password: str = "s3cret", mode: str = "password"):
    def script(password, mode):
        import streamlit as st

        from assistant.settings import Settings
        from ui.auth import require_login

        user = require_login(Settings(_env_file=None, auth=mode, auth_password=password or None))
        st.write(f"Signed in as {user}")

    return AppTest.from_function(script, kwargs={"password": password, "mode": mode}, default_timeout=30)


def _submit(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def _texts(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(e.value for e in at.error)


def test_sign_in_form_blocks_the_app_until_the_right_password():
    at = _login_app().run()
    assert not at.exception
    assert "Signed in as" not in _texts(at) and len(at.text_input) == 2
    at = _submit(at, "alice", "wrong")
    assert "Wrong name or password" in _texts(at) and "Signed in as" not in _texts(at)
    at = _submit(at, "alice", "s3cret")
    assert "Signed in as alice" in _texts(at)
    assert at.session_state[sign_in.SESSION_KEY] == "alice"


def test_repeated_failures_lock_the_name():
    at = _login_app().run()
    for _ in range(auth.MAX_FAILURES):
        at = _submit(at, "eve", "guess")
    at = _submit(at, "eve", "s3cret")  # even the right password is refused while locked
    assert "Too many wrong passwords" in _texts(at) and "Signed in as" not in _texts(at)


def test_password_mode_without_a_password_says_what_to_set():
    at = _login_app(password="").run()
    assert "ASSISTANT_AUTH_PASSWORD" in _texts(at) and "Signed in as" not in _texts(at)
