"""build_chat_model(settings): the LangChain chat model ASSISTANT_LLM names, or None for the extractive default.

Backends are optional extras, imported only in their branch: `pip install -e ".[ollama]"` or `".[openai]"`.
Nothing is contacted here (no probe at start-up); a server that is down shows up at the first answer, which
then falls back to the extractive answerer with a note built by `describe_failure`.

Requests go only where the settings say: the base URL and API key are always passed explicitly, so
OPENAI_BASE_URL / OPENAI_API_KEY / OLLAMA_HOST in the environment are never picked up by the client libraries
(an OpenAI key is never sent to a local server, a local setup never reaches api.openai.com by default).
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from assistant.settings import Settings

OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434"
MODES = ("extractive", "ollama", "openai")


class LLMConfigError(RuntimeError):
    """ASSISTANT_LLM cannot be used as configured; the message says what to change."""


def parse_llm(spec: str) -> tuple[str, str | None]:
    """"extractive" → ("extractive", None); "ollama:llama3.2" → ("ollama", "llama3.2"); anything else raises."""
    text = (spec or "").strip()
    if text.lower() in {"", "extractive", "none", "off"}:
        return "extractive", None
    mode, _, model = text.partition(":")
    mode, model = mode.strip().lower(), model.strip()
    if mode not in MODES[1:] or not model:
        raise LLMConfigError(
            f"ASSISTANT_LLM={spec!r} is not understood; use `extractive`, `ollama:<model>` (e.g. ollama:llama3.2) "
            "or `openai:<model>` (e.g. openai:gpt-4o-mini)."
        )
    return mode, model


def llm_base_url(settings: Settings) -> str | None:
    mode, _ = parse_llm(settings.llm)
    if mode == "ollama":
        return (settings.llm_base_url or OLLAMA_DEFAULT_URL).rstrip("/")
    return settings.llm_base_url.rstrip("/") if settings.llm_base_url else None


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model for settings.llm (None for `extractive`); raises LLMConfigError naming the fix."""
    mode, model = parse_llm(settings.llm)
    if mode == "extractive":
        return None
    if mode == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError:
            raise LLMConfigError(
                f"ASSISTANT_LLM={settings.llm} needs the langchain-ollama package: run "
                "`pip install -e \".[ollama]\"` (or set ASSISTANT_LLM=extractive)."
            ) from None
        return ChatOllama(
            model=model,
            base_url=llm_base_url(settings),
            temperature=settings.llm_temperature,
            num_predict=settings.llm_max_tokens,
            client_kwargs={"timeout": settings.llm_timeout_s},
            validate_model_on_init=False,
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise LLMConfigError(
            f"ASSISTANT_LLM={settings.llm} needs the langchain-openai package: run "
            "`pip install -e \".[openai]\"` (or set ASSISTANT_LLM=extractive)."
        ) from None
    if not settings.llm_base_url:
        raise LLMConfigError(
            f"ASSISTANT_LLM={settings.llm} needs ASSISTANT_LLM_BASE_URL, the server's URL ending in /v1 "
            "(e.g. http://127.0.0.1:8080/v1 for llama.cpp, https://api.openai.com/v1 for OpenAI)."
        )
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return ChatOpenAI(
        model=model,
        base_url=llm_base_url(settings),
        api_key=key,
        timeout=settings.llm_timeout_s,
        max_retries=0,  # a failed call falls back at once; retrying would multiply the user's wait
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        use_responses_api=False,  # /v1/chat/completions: what every OpenAI-compatible server implements
        stream_usage=False,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 8:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def failure_kind(exc: BaseException) -> str:
    """timeout | unreachable | http | malformed, from the exception and its causes (no client imports)."""
    for err in _chain(exc):
        names = [cls.__name__ for cls in type(err).__mro__]
        if any("Timeout" in n for n in names) or isinstance(err, TimeoutError):
            return "timeout"
    for err in _chain(exc):
        if isinstance(getattr(err, "status_code", None), int) and getattr(err, "status_code", 0) >= 400:
            return "http"
    for err in _chain(exc):
        names = [cls.__name__ for cls in type(err).__mro__]
        if isinstance(err, ConnectionError | OSError) or any(n in {"ConnectError", "APIConnectionError",
                                                                    "RemoteProtocolError"} for n in names):
            return "unreachable"
    return "malformed"


def describe_failure(exc: BaseException, settings: Settings) -> str:
    """One sentence: what went wrong with the model server and how to fix it."""
    mode, model = parse_llm(settings.llm)
    where = llm_base_url(settings) or "(no URL)"
    kind = failure_kind(exc)
    if kind == "timeout":
        return (f"the model server at {where} did not answer within {settings.llm_timeout_s:g} s; check that it "
                "is running and not overloaded, or raise ASSISTANT_LLM_TIMEOUT_S.")
    if kind == "unreachable":
        fix = "start it with `ollama serve`" if mode == "ollama" else "start the server"
        return f"the model server at {where} could not be reached; {fix} or fix ASSISTANT_LLM_BASE_URL."
    if kind == "http":
        status = next(e.status_code for e in _chain(exc) if isinstance(getattr(e, "status_code", None), int))
        if status in (401, 403):
            fix = "check ASSISTANT_LLM_API_KEY"
        elif status == 404:
            fix = (f"check the model name (`ollama pull {model}`)" if mode == "ollama"
                   else "check the model name in ASSISTANT_LLM and that ASSISTANT_LLM_BASE_URL ends in /v1")
        else:
            fix = "check the server's log"
        return f"the model server at {where} answered with HTTP error {status}; {fix}."
    detail = " ".join(str(exc).split())[:120] or type(exc).__name__
    return (f"the model server at {where} sent a reply that could not be used ({type(exc).__name__}: {detail}); "
            "check that it is an OpenAI-compatible (or Ollama) chat endpoint.")
