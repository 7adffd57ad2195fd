"""The `assistant` command: ingest, ask, chat. Runnable as `python -m assistant` and as `assistant`."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated

import typer

from assistant.models import CitedAnswer
from assistant.settings import Settings
from assistant.store import StoreError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="A grounded, citing assistant over the Global Migration Group's notes.")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def _quiet() -> None:
    """Keep library chatter (telemetry notices, model-loading warnings) off the user's terminal."""
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.ERROR)
    for handler in logging.getLogger().handlers:  # bm25s sets its own logger to DEBUG when imported
        handler.setLevel(logging.ERROR)
    for name in ("chromadb", "sentence_transformers", "transformers", "httpx", "bm25s"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # No `import transformers` here: it costs ~0.5 s on a path that may never load it (the ONNX query embedder),
    # and HF_HUB_DISABLE_PROGRESS_BARS above already turns its progress bars off when it is imported later.


# Terminal control characters (ESC sequences can rewrite the screen or the window title, retitle links, hide
# text) and bidi overrides (reorder what is shown) in documents, answers or file names never reach the terminal.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    # A form feed or carriage return between two words (PDF text) still separates them.
    return _UNSAFE.sub("", re.sub(r"[\x0b\x0c\r]+", " ", str(text)))


def json_line(data) -> str:
    """One JSON document for --json output: readable Unicode, but control and bidi characters as \\u escapes
    (json.dumps leaves C1 controls, DEL and bidi overrides raw, and a terminal would act on them)."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def _say(text: str = "", **kwargs) -> None:
    """typer.echo for human-readable output, with control characters removed (--json output is escaped JSON)."""
    typer.echo(terminal_safe(text), **kwargs)


def _fail(message: str, code: int = 1) -> None:
    _say(f"error: {message}", err=True)
    raise typer.Exit(code)


def _services(settings: Settings):
    from assistant.embeddings import build_embeddings
    from assistant.store import build_client, build_store

    # The store's client first: an unreachable server or a damaged index fails before the model loads (seconds).
    client = build_client(settings)
    embeddings = build_embeddings(settings)
    return embeddings, build_store(settings, embeddings, client)


def _progress_bar(enabled: bool):
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="chunk", desc="embedding", file=sys.stderr, leave=False)

    def update(done: int, total: int, source: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_postfix_str(terminal_safe(source[-40:]), refresh=False)
        bar.refresh()

    return update, bar.close


@app.command("ingest")
def ingest_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders inside the corpus (default: all).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit non-zero if any file fails.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Move the index folder aside (a damaged one; it is "
                                          "kept, not deleted) and ingest the corpus afresh.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Load, chunk, embed and index the corpus; only what changed since the last run is touched."""
    from assistant.indexing import run_ingest, set_aside_index

    _quiet()
    settings = Settings()
    try:
        if rebuild and not dry_run and (moved := set_aside_index(settings)) is not None:
            _say(f"The previous index folder was moved to {moved} (delete it once you no longer need it).", err=True)
        embeddings, store = _services(settings)
        progress, close = _progress_bar(not dry_run and sys.stderr.isatty())
        try:
            report = run_ingest(settings, embeddings, store, paths or None, dry_run=dry_run, progress=progress)
        finally:
            close()
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        _fail(str(exc))
    if as_json:
        data = report.to_json()
        typer.echo(json.dumps({k: data[k] for k in ("files", "added", "updated", "removed", "unchanged", "chunks",
                                                    "failed", "skipped", "embedded", "dry_run", "changes",
                                                    "notices")}))
    else:
        verb = "would be" if dry_run else "were"
        for change in report.changes:
            _say(f"  {change['status']:<9} {change['path']}")
        for item in report.skipped:
            _say(f"  skipped   {item['path']}: {item['reason']}")
        for item in report.failed:
            _say(f"  FAILED    {item['error']}")
        for notice in report.notices:
            _say(f"  note      {notice}")
        _say(f"{report.files} files: {report.added} added, {report.updated} updated, {report.removed} removed, "
                   f"{report.unchanged} unchanged ({verb} checked in {report.seconds:.1f}s); "
                   f"{report.chunks} chunks in the index, {report.embedded} embedded now.")
    if strict and report.failed:
        raise typer.Exit(2)


def _print_sources(result: CitedAnswer) -> None:
    for note in result.notes:
        _say(f"Note: {note}")
    listed = result.citations or result.closest
    if listed:
        _say("\nSources:" if result.citations else "\nYou may want to read:")
    for c in listed:
        quote = " ".join(c.text.split())
        _say(f"  [{c.id}] {c.label()}\n      “{quote}”")


def _stream_answer(assistant, question: str, conversation=None, k: int | None = None) -> CitedAnswer:
    """Print the answer as it is written (each sentence once checked), then the notes and the sources."""
    from assistant.answering.llm import Event
    from assistant.conversation import Conversation

    shown, result = "", None
    for event in (conversation or Conversation()).stream(assistant, question, k=k):
        if isinstance(event, Event) and event.kind == "searched":
            _say(f"(searched: {event.text})")
        elif isinstance(event, Event) and event.kind == "text":
            _say(event.text, nl=False)  # click flushes: the sentence shows at once
            shown += event.text
        elif isinstance(event, CitedAnswer):
            result = event
    if shown and result.answer != shown:
        _say("\n[the model stopped before finishing; its partial answer above is replaced by:]")
        _say(result.answer)
    elif shown:
        _say("")
    else:
        _say(result.answer)
    _print_sources(result)
    return result


def _build(settings: Settings):
    from assistant.chain import EmptyIndexError, build_assistant

    try:
        return build_assistant(settings)
    except EmptyIndexError as exc:
        _fail(str(exc))
    except RuntimeError as exc:
        _fail(str(exc))


@app.command("ask")
def ask_command(
    questions: Annotated[list[str], typer.Argument(help="One or more questions (the model loads once).")],
    k: Annotated[int | None, typer.Option("-k", "--top-k", min=1, max=50, help="Passages to retrieve.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer questions from the notes, citing the exact passages (streamed as written, unless --json)."""
    _quiet()
    settings = Settings()
    assistant = _build(settings)
    failed = False
    for i, question in enumerate(questions):
        started = time.perf_counter()
        try:
            if as_json:
                result = assistant.ask(question, k=k)
            else:
                if i:
                    _say("")
                if len(questions) > 1:
                    _say(f"Q: {question}")
                result = _stream_answer(assistant, question, k=k)
        except StoreError as exc:  # the index went bad or the server away: the next questions would fail too
            _fail(str(exc))
        except ValueError as exc:
            failed = True
            if as_json:
                typer.echo(json_line({"question": question, "error": str(exc)}))
            else:
                _say(f"error: {exc}", err=True)
            continue
        result.timings_ms["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        if as_json:
            typer.echo(json_line(result.to_json()))
    if failed:
        raise typer.Exit(1)


@app.command("chat")
def chat_command(
    k: Annotated[int | None, typer.Option("-k", "--top-k", min=1, max=50, help="Passages to retrieve.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Read one question per stdin line; print one JSON object "
                                          "per turn (the `ask --json` fields and `standalone_question`).")] = False,
    save: Annotated[Path | None, typer.Option("--save", metavar="FILE", help="Keep the conversation in FILE as "
                                              "Markdown (questions, answers, their quoted sources), after each "
                                              "answer.")] = None,
) -> None:
    """Chat in the terminal; follow-up questions use the conversation. Ctrl-D exits."""
    from assistant.conversation import Conversation

    _quiet()
    if save is not None and not save.parent.is_dir():
        _fail(f"cannot save to {save}: the folder {save.parent} does not exist")
    settings = Settings()
    assistant = _build(settings)
    conversation = Conversation()
    keep = _saver(save, conversation)
    if as_json:
        _chat_json(assistant, conversation, k, keep)
        return
    import readline

    history_file = settings.data_dir / "chat_history"
    try:
        readline.read_history_file(history_file)
    except OSError:
        pass
    _say("Ask about the GMG notes. Ctrl-D to quit.")
    while True:
        try:
            question = input("\nyou> ")
        except (EOFError, KeyboardInterrupt):
            _say("")
            break
        if not question.strip():
            continue
        try:
            _stream_answer(assistant, question, conversation=conversation, k=k)
        except (ValueError, StoreError) as exc:  # a server restarting answers again in a moment: the chat goes on
            _say(f"error: {exc}")
            continue
        if (problem := keep()) is not None:
            _say(f"error: {problem}")
    try:
        readline.write_history_file(history_file)
    except OSError:
        pass


def _saver(path: Path | None, conversation):
    """A function that rewrites `path` with the whole conversation (through a temporary file, so an interrupted
    write leaves the previous version), called after each answer: a chat that ends in a crash or Ctrl-C keeps every
    answer given. It returns None, or what went wrong in one line (the chat goes on; the next answer tries again)."""
    from assistant.export import conversation_markdown

    def save() -> str | None:
        if path is None or not conversation.turns:
            return None
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_text(conversation_markdown(conversation.turns), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            with contextlib.suppress(OSError):  # a file where a folder should be: unlink fails too
                tmp.unlink(missing_ok=True)
            return f"could not save the conversation to {path}: {exc.strerror or exc}"
        return None

    return save


def _chat_json(assistant, conversation, k: int | None, keep) -> None:
    """One JSON object per stdin line, in order: the turn's answer, or {"question", "error"} for a line that could
    not be answered (an empty or too long question, a failing store); the exit code is then 1. A failed --save is
    said on stderr and also exits 1."""
    failed = False
    for line in sys.stdin:
        question = line.rstrip("\n")
        started = time.perf_counter()
        try:
            result = conversation.ask(assistant, question, k=k)
        except Exception as exc:  # noqa: BLE001 - one bad line must not end the conversation of a script
            failed = True
            message = str(exc) if isinstance(exc, ValueError | StoreError) else f"{type(exc).__name__}: {exc}"
            typer.echo(json_line({"question": question, "error": message}))
            continue
        result.timings_ms["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        typer.echo(json_line(result.to_json()))
        if (problem := keep()) is not None:
            failed = True
            _say(f"error: {problem}", err=True)
    if failed:
        raise typer.Exit(1)


def main() -> None:
    app()
