"""The app's sign-in (`ASSISTANT_AUTH`, off by default): the form, Streamlit's OIDC login, and signing out.

app.py calls `require_login(settings)` before anything else is drawn. The checks themselves (passwords from
settings or `.streamlit/secrets.toml`, compared in constant time; the per-name lock after repeated failures)
are plain functions in `assistant/auth.py`; this module only draws and keeps the signed-in name in the user's
Streamlit session (`st.session_state["auth_user"]`).

- `off`: `require_login` returns None and draws nothing.
- `password`: a sign-in form (name + password); see `assistant/auth.py` for where passwords come from.
- `oidc`: Streamlit's own `st.login()` with the `[auth]` section of `.streamlit/secrets.toml` (client id and
  secret, server_metadata_url, redirect_uri, cookie_secret); the user is `st.user.email` (or name).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit

from assistant.auth import MAX_NAME, THROTTLE, check_password, clean_name, corpus_edit_refusal, password_config
from assistant.settings import Settings
from ui.render import escape_markdown

SESSION_KEY = "auth_user"


def require_login(settings: Settings, st=streamlit) -> str | None:
    """The signed-in user's name, None when sign-in is off; otherwise draws the sign-in UI and stops the run.

    `st` is the streamlit module; a test passes a stand-in to prove that nothing is drawn when sign-in is off.
    """
    if settings.auth == "off":
        return None
    if settings.auth == "oidc":
        return _oidc(st)
    return st.session_state.get(SESSION_KEY) or _password_form(settings, st)


def _secrets(st) -> Mapping | None:
    try:
        return st.secrets
    except Exception:  # noqa: BLE001 - st.secrets raises when there is no secrets.toml at all
        return None


def _password_form(settings: Settings, st) -> None:
    """The name + password form; a right password signs in and reruns, anything else stops the run here."""
    secrets = _secrets(st)
    shared, users = password_config(settings, secrets)
    if not (shared or users):
        st.error("Sign-in is on (ASSISTANT_AUTH=password) but no password is set: set ASSISTANT_AUTH_PASSWORD or "
                 "[assistant_auth] in .streamlit/secrets.toml.")
        st.stop()
    st.title("Sign in")
    with st.form("assistant-login"):
        name = st.text_input("Your name", max_chars=MAX_NAME)
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        _sign_in(settings, st, name, password, secrets)
    st.stop()


def _sign_in(settings: Settings, st, name: str, password: str, secrets: Mapping | None) -> None:
    cleaned = clean_name(name)
    wait = THROTTLE.locked_for(cleaned or "")
    if cleaned is None:
        st.error("Type your name (at most 64 printable characters).")
    elif wait:
        st.error(f"Too many wrong passwords for this name; try again in {wait:.0f} s.")
    elif check_password(settings, cleaned, password, secrets):
        THROTTLE.succeed(cleaned)
        st.session_state[SESSION_KEY] = cleaned
        st.rerun()
    else:
        THROTTLE.fail(cleaned)
        st.error("Wrong name or password.")


def name_is_proven(settings: Settings) -> bool:
    """Whether the signed-in name is the person's own: OIDC, or a password of that user's own; with one shared
    password anyone who knows it can type any name."""
    return settings.auth == "oidc" or (settings.auth == "password" and bool(password_config(settings,
                                                                                             _secrets(streamlit))[1]))


def _oidc(st) -> str | None:
    if getattr(st.user, "is_logged_in", False):
        return str(st.user.get("email") or st.user.get("name") or st.user.get("sub") or "signed-in user")
    st.title("Sign in")
    try:
        if st.button("Sign in with your organisation's account"):
            st.login()
    except Exception as exc:  # noqa: BLE001 - Streamlit raises when [auth] is missing from secrets.toml
        st.error(f"Sign-in is on (ASSISTANT_AUTH=oidc) but not configured: {exc}. Add an [auth] section to "
                 ".streamlit/secrets.toml (see Streamlit's st.login documentation).")
    st.stop()
    return None


def logout(settings: Settings, st=streamlit) -> None:
    # Everything of the session goes, not only the name: the next person to sign in on this tab must not see
    # (or rate, or continue) the previous user's conversation.
    st.session_state.clear()
    if settings.auth == "oidc":
        st.logout()


def render_account(settings: Settings, user: str | None) -> None:
    """Who is signed in and a Sign out button (in the sidebar, on every page); nothing when sign-in is off."""
    if user is None:
        return
    streamlit.caption(f"Signed in as **{escape_markdown(user)}**")
    if streamlit.button("Sign out", icon=":material/logout:", key="sign-out"):
        logout(settings)
        streamlit.rerun()


def corpus_refusal(settings: Settings, user: str | None) -> str | None:
    """Why this user may not add or remove documents (None: they may), with this app's secrets.toml."""
    return corpus_edit_refusal(settings, user, _secrets(streamlit))
