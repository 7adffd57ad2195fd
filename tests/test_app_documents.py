"""The Documents page, driven with AppTest over a real index in a temp folder: the corpus as a table, a document
uploaded and answered from in the Chat, removed and no longer answered from; a bad upload changes nothing; without
the permission setting the page changes nothing; with sign-in on only an editor may change it; uploads of each format
are answered from; markup in an upload is shown as text. Plus the library below it (catalog edits, who may edit).

Every test that adds a document removes it again: the module shares one index, and the table tests count its rows."""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path

import pytest
import streamlit
from conftest import app_index
from markdown_it import MarkdownIt
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest
from upload_files import docx_bytes, html_bytes, pdf_bytes

from assistant import auth
from assistant.auth import corpus_edit_refusal
from ingest.catalog import CatalogError, add_entry, remove_entry
from ingest.chunking import doc_id_for

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 300
DESK = b"""# Harbour Health Desk

The Harbour Health Desk was founded in March 2031 by the port authority of Valletta to screen arriving seafarers
for tuberculosis.

The Harbour Health Desk sends a report on the seafarers it screened to the Ministry of Health every quarter.
"""
QUESTION = "When was the Harbour Health Desk founded?"


@pytest.fixture(scope="module")
def env(tmp_path_factory, embeddings):
    # ASSISTANT_CORPUS_EDITS as `make run` sets it: one person on loopback.
    yield from app_index(tmp_path_factory, "app-documents", embeddings, ASSISTANT_AUTH=None,
                         ASSISTANT_CORPUS_EDITORS=None, ASSISTANT_CORPUS_EDITS="true")


def documents_page(at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    at.switch_page("ui/pages/documents.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Documents"
    return at


def text_of(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "success", "info", "warning")
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for kind in kinds for e in at.get(kind)))


def snapshot(settings) -> dict:
    """Everything an upload could write: the corpus folder's files and the index's manifest."""
    files = {p.relative_to(settings.corpus_dir): p.read_bytes() for p in settings.corpus_dir.rglob("*")
             if p.is_file()}
    manifests = {p.name: p.read_bytes() for p in (settings.data_dir / "manifests").glob("*.json")} \
        if (settings.data_dir / "manifests").is_dir() else {}
    # Not the feedback store: the app creates it on its first run in a data folder, whatever the page does.
    return {"corpus": files, "manifests": manifests,
            "index": sorted(p.name for p in settings.data_dir.rglob("*") if p.is_file() and "chroma" not in p.parts
                            and not p.name.startswith("feedback.sqlite3"))}


def submit(at: AppTest, name: str, data: bytes, title: str = "Harbour Health Desk", date: str = "March 2031",
           body: str = "Port authority of Valletta") -> AppTest:
    [uploader] = at.get("file_uploader")
    uploader.set_value((name, data, "application/octet-stream"))
    for widget in at.text_input:
        value = {"Title": title, "Date": date, "Issuing body (optional)": body}[widget.label]
        widget.set_value(value)
    at.button[[b.label for b in at.button].index("Add and ingest")].click().run()
    assert not at.exception, at.exception
    return at


def remove(at: AppTest, settings, source: str) -> AppTest:
    """Remove `source` with its row's button and the confirmation, as a user does."""
    at.button(key=f"doc-remove-{doc_id_for(source)}").click().run()
    at.button(key="doc-remove-yes").click().run()
    assert not at.exception, at.exception
    assert f"({source})." in [line for line in text_of(at).splitlines() if line.startswith("Removed")][0]
    assert not (settings.corpus_dir / source).exists()
    return at


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def ask(at: AppTest, question: str):
    at.switch_page("ui/pages/chat.py").run()
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at.session_state["messages"][-1]["result"]


def test_the_corpus_as_a_table_with_a_button_to_open_each(env):
    at = documents_page()
    page = text_of(at)
    assert "Global Migration Group: Information Note" in page and "September 2006" in page
    assert "Global Migration Group (GMG)" in page and "gmg-information-note-2006.txt" in page
    assert [b.label for b in at.button].count("Open") == 2
    at.button[[b.label for b in at.button].index("Open")].click().run()
    assert not at.exception, at.exception
    assert "The document as the assistant reads it" in text_of(at)


def test_an_uploaded_document_is_answered_from_and_removing_it_takes_it_out(env):
    at = documents_page()
    before = ask(AppTest.from_file(APP, default_timeout=TIMEOUT).run(), QUESTION)
    assert not any(c.source == "harbour-desk.md" for c in before.citations)

    submit(at, "harbour-desk.md", DESK)
    page = text_of(at)
    assert "Added “Harbour Health Desk” (harbour-desk.md); the chat answers from it now." in page, page
    assert (env.corpus_dir / "harbour-desk.md").read_bytes() == DESK
    catalog = tomllib.loads((env.corpus_dir / "catalog.toml").read_text())
    assert catalog["harbour-desk.md"] == {"title": "Harbour Health Desk", "date": "March 2031",
                                          "body": "Port authority of Valletta"}
    assert "gmg-information-note-2006.txt" in catalog  # the other entries stay
    assert "Harbour Health Desk" in page and "Port authority of Valletta" in page
    assert not [w for w in at.text_input if w.value]  # a fresh form for the next document

    result = ask(at, QUESTION)
    assert "March 2031" in result.answer and not result.abstained
    assert any(c.source == "harbour-desk.md" and c.title == "Harbour Health Desk" for c in result.citations)

    documents_page(at)
    assert [b.label for b in at.button].count("Remove") == 3
    at.button(key=f"doc-remove-{doc_id_for('harbour-desk.md')}").click().run()
    assert "Remove “Harbour Health Desk” (harbour-desk.md)?" in text_of(at)
    at.button[[b.label for b in at.button].index("Remove it")].click().run()
    assert not at.exception, at.exception
    assert "Removed “Harbour Health Desk” (harbour-desk.md)." in text_of(at)
    assert not (env.corpus_dir / "harbour-desk.md").exists()
    assert "harbour-desk.md" not in tomllib.loads((env.corpus_dir / "catalog.toml").read_text())
    assert list((env.data_dir / "removed-documents").glob("*-harbour-desk.md"))

    after = ask(at, QUESTION)
    assert not any(c.source == "harbour-desk.md" for c in after.citations + after.closest)
    assert "March 2031" not in after.answer


def test_a_bad_upload_gets_the_ingest_reason_and_writes_nothing(env, tmp_path, embeddings):
    from conftest import make_settings

    from assistant.indexing import run_ingest
    from assistant.store import build_store

    broken = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>\n%%EOF"
    scratch = make_settings(tmp_path / "data", tmp_path / "corpus")
    scratch.corpus_dir.mkdir()
    (scratch.corpus_dir / "broken.pdf").write_bytes(broken)
    (scratch.corpus_dir / "notes.xlsx").write_bytes(b"PK\x03\x04")
    report = run_ingest(scratch, embeddings, build_store(scratch, embeddings))
    [failed], [skipped] = report.failed, report.skipped

    before = snapshot(env)
    at = documents_page()
    for name, data, message in (("broken.pdf", broken, failed["error"]),
                                ("notes.xlsx", b"PK\x03\x04", f"notes.xlsx: {skipped['reason']}"),
                                ("empty.txt", b"  \n", "empty.txt is empty"),
                                (".hidden.txt", DESK, "The file name '.hidden.txt' cannot be used")):
        submit(at, name, data)
        assert message in [e.value.replace("\\", "") for e in at.error][0], text_of(at)
        assert snapshot(env) == before
    submit(at, "desk.md", DESK, title="")
    assert "Give the document a title." in text_of(at) and snapshot(env) == before


def test_without_the_permission_setting_the_page_changes_nothing(env, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CORPUS_EDITS", "false")
    before = snapshot(env)
    at = documents_page()
    assert "Adding and removing documents is off" in text_of(at)
    assert not at.get("file_uploader") and not [b for b in at.button if b.label in {"Remove", "Add and ingest"}]
    assert [b.label for b in at.button].count("Open") == 2  # reading stays open to all
    assert snapshot(env) == before


USERS = {"alice": "alice's own password", "bob": "bob's own password"}


@pytest.fixture
def sign_in_on(env, monkeypatch):
    """Sign-in with per-user passwords and alice the one editor. ASSISTANT_CORPUS_EDITS stays true from the module:
    with sign-in on it must grant nothing."""
    monkeypatch.setenv("ASSISTANT_AUTH", "password")
    monkeypatch.setenv("ASSISTANT_CORPUS_EDITORS", "alice")
    auth.THROTTLE.failures.clear()
    yield env
    auth.THROTTLE.failures.clear()


def signed_in(name: str) -> AppTest:
    """A new session signed in as `name` through the sign-in form, on the Documents page. The passwords come as
    .streamlit/secrets.toml's [assistant_auth.users] would give them (a shared password never makes an editor)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["assistant_auth"] = {"users": USERS}
    at.run()
    at.text_input[0].input(name)
    at.text_input[1].input(USERS[name])
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["auth_user"] == name
    return documents_page(at)


def test_with_sign_in_on_only_an_editor_may_change_the_corpus(sign_in_on):
    before = snapshot(sign_in_on)
    bob = signed_in("bob")
    [refusal] = [e.value for e in bob.info if "editors" in e.value]
    assert re.sub(r"\\(.)", r"\1", refusal) == ("Only the editors named in ASSISTANT_CORPUS_EDITORS may add or "
                                                "remove documents; bob is not one of them.")
    assert not bob.get("file_uploader") and not {"Remove", "Add and ingest"} & set(labels(bob))
    assert labels(bob).count("Open") == 2  # reading stays open to all
    bob.session_state["doc_remove"] = "gmg-information-note-2006.txt"  # a forged click: no confirmation is drawn
    bob.run()
    assert not bob.exception and "Remove it" not in labels(bob) and snapshot(sign_in_on) == before

    alice = signed_in("alice")
    assert alice.get("file_uploader") and labels(alice).count("Remove") == 2
    assert not [e for e in alice.info if "editors" in e.value]
    submit(alice, "harbour-desk.md", DESK)
    assert "Added “Harbour Health Desk” (harbour-desk.md)" in text_of(alice)
    assert labels(alice).count("Remove") == 3 and (sign_in_on.corpus_dir / "harbour-desk.md").exists()
    remove(alice, sign_in_on, "harbour-desk.md")
    assert snapshot(sign_in_on)["corpus"] == before["corpus"]  # catalog.toml back byte for byte


NASTY = "<img src=x onerror=alert(1)> **bold** [x](javascript:alert(1))"


def shown(markdown: str, allowed: frozenset = frozenset({"p", "br"})) -> str:
    """The text `markdown` shows in a CommonMark renderer (as the questions-set test checks it), asserting it
    draws no element but those `allowed`: no image, link, emphasis or raw HTML."""
    page = MarkdownIt("commonmark").render(markdown)
    drawn = set(re.findall(r"<([a-z][a-z0-9]*)", page))
    assert drawn <= allowed, (drawn, page)
    return html.unescape(re.sub(r"<[^>]+>", "", page)).strip()


def test_markup_in_an_upload_is_shown_as_text(env):
    # check_document refuses < > * : in a file name, so the name carries only the link form of the payload.
    name, title, body = "a [x](javascript-alert(1)) note.md", f"Reef Signal Office {NASTY}", f"Lagoon board {NASTY}"
    content = (f"# {NASTY}\n\nThe Reef Signal Office {NASTY} counts the boats in the lagoon every spring.\n").encode()
    at = submit(documents_page(), name, content, title=title, date="2031", body=body)
    assert not at.error, text_of(at)
    assert shown(at.success[0].value).startswith(f"Added “{title}” ({name}); the chat answers from it now.")
    texts = [shown(e.value) for e in [*at.markdown, *at.caption] if "javascript" in e.value]
    assert title in texts and body in texts and name in texts  # the row's title, body and file name cells

    at.button(key=f"doc-open-{doc_id_for(name)}").click().run()
    assert not at.exception, at.exception
    [heading] = [m.value for m in at.markdown if "Reef" in m.value and m.value.startswith("**")]
    assert shown(heading, frozenset({"p", "strong"})) == f"{title} (2031)"
    assert MarkdownIt("commonmark").render(heading).count("<strong>") == 1  # the heading's own bold only
    assert any(re.fullmatch(rf"{re.escape(f'{body} · {name} · ')}\d+ chunks", shown(c.value)) for c in at.caption)
    [viewer] = at.get("iframe")
    page = viewer.proto.srcdoc
    assert "&lt;img src=x onerror=alert(1)&gt; **bold** [x](javascript:alert(1))" in page
    assert "<img" not in page and "<a " not in page and "<strong" not in page and "default-src 'none'" in page

    at.button(key=f"doc-remove-{doc_id_for(name)}").click().run()
    [confirm] = [w.value for w in at.warning if w.value.startswith("Remove")]
    assert shown(confirm).startswith(f"Remove “{title}” ({name})?")
    at.button(key="doc-remove-yes").click().run()
    assert shown(at.success[0].value).startswith(f"Removed “{title}” ({name}).")

    refused = NASTY + ".md"  # and a name that cannot be used is named in the refusal, as text
    submit(at, refused, content, title=title)
    assert shown(at.error[0].value).startswith(f"The file name {refused!r} cannot be used")


PASSAGES = {
    ".docx": ("Lagoon Water Board", "May 2033", ["The Lagoon Water Board was founded in May 2033 by the city of "
              "Tarawa.", "The Lagoon Water Board tests the drinking water of the atoll for cholera."]),
    ".pdf": ("Alpine Rescue Register", "June 2034", ["The Alpine Rescue Register was founded in June 2034 by the "
             "canton of Uri.", "The Alpine Rescue Register records the hikers reported missing in the Alps."]),
    ".html": ("Coral Census Bureau", "July 2035", ["The Coral Census Bureau was founded in July 2035 by the island "
              "council of Palau.", "The Coral Census Bureau counts the reef fish around the islands."]),
}
BUILDERS = {".docx": docx_bytes, ".pdf": pdf_bytes, ".html": html_bytes}


@pytest.fixture
def progress_calls(monkeypatch) -> list[tuple[float, str]]:
    """(value, text) of every st.progress the page draws and every advance of it. The bar cannot be read from the
    element tree: the page reruns after a change, and AppTest keeps only the last run's elements."""
    calls, make, advance = [], streamlit.progress, DeltaGenerator.progress

    def spy_make(value, text=None, **kwargs):
        calls.append((value, text))
        return make(value, text=text, **kwargs)

    def spy_advance(self, value, text=None, **kwargs):
        calls.append((value, text))
        return advance(self, value, text=text, **kwargs)

    monkeypatch.setattr(streamlit, "progress", spy_make)  # st.progress is bound at import: patch the name
    monkeypatch.setattr(DeltaGenerator, "progress", spy_advance)  # bar.progress(...)
    return calls


@pytest.mark.parametrize("suffix", sorted(PASSAGES))
def test_each_format_is_ingested_with_progress_answered_from_and_removed(env, suffix, progress_calls):
    name, date, paragraphs = PASSAGES[suffix]
    source, question = f"{name.lower().replace(' ', '-')}{suffix}", f"When was the {name} founded?"
    at = submit(documents_page(), source, BUILDERS[suffix](name, paragraphs), title=name, date=date, body="")
    assert f"Added “{name}” ({source})" in text_of(at), text_of(at)
    assert progress_calls[0] == (0.0, "Checking the file and waiting for any other ingest…")
    advances = [(v, re.sub(r"\\(.)", r"\1", t)) for v, t in progress_calls[1:-1]]
    assert advances and all(t.startswith(f"Embedding {source}: ") for _, t in advances), progress_calls
    assert [v for v, _ in advances] == sorted(v for v, _ in advances) and advances[-1][0] == 1.0
    assert progress_calls[-1] == (1.0, "Done")

    result = ask(at, question)
    assert date in " ".join(result.answer.split()) and not result.abstained, result.answer
    assert any(c.source == source and c.title == name for c in result.citations), result.citations

    remove(documents_page(at), env, source)
    after = ask(at, question)
    assert not any(c.source == source for c in after.citations + after.closest)


@pytest.mark.parametrize(("overrides", "user", "users", "allowed"), [
    ({}, None, {}, False),
    ({"corpus_edits": True}, None, {}, True),
    ({"auth": "password", "corpus_editors": "Alice, bob"}, "alice", {"alice": "a", "bob": "b"}, True),
    ({"auth": "password", "corpus_editors": "alice"}, "bob", {"alice": "a", "bob": "b"}, False),
    ({"auth": "password", "auth_password": "shared", "corpus_editors": "alice"}, "alice", {}, False),
    ({"auth": "oidc", "corpus_editors": "alice@example.org", "corpus_edits": True}, "Alice@example.org", {}, True),
    ({"auth": "oidc", "corpus_edits": True}, "alice@example.org", {}, False),
])
def test_who_may_change_the_corpus(overrides, user, users, allowed):
    from conftest import make_settings

    defaults = {"auth": "off", "corpus_edits": False, "corpus_editors": ""}  # not the module's environment
    settings = make_settings(Path("unused-data"), Path("unused-corpus"), **{**defaults, **overrides})
    refusal = corpus_edit_refusal(settings, user, {"assistant_auth": {"users": users}} if users else None)
    assert (refusal is None) == allowed, refusal


def test_catalog_edits_keep_the_rest_of_the_file(tmp_path):
    original = (ROOT / "corpus" / "catalog.toml").read_text()
    (tmp_path / "catalog.toml").write_text(original)
    add_entry(tmp_path, 'odd "name" \\ x.md', {"title": 'A "quoted"\ttitle', "date": "2031", "body": ""})
    data = tomllib.loads((tmp_path / "catalog.toml").read_text())
    assert data['odd "name" \\ x.md'] == {"title": 'A "quoted"\ttitle', "date": "2031"}
    with pytest.raises(CatalogError, match="already has an entry"):
        add_entry(tmp_path, 'odd "name" \\ x.md', {"title": "again"})
    assert remove_entry(tmp_path, 'odd "name" \\ x.md') and not remove_entry(tmp_path, "absent.md")
    assert (tmp_path / "catalog.toml").read_text() == original
    assert remove_entry(tmp_path, "gmg-information-note-2006.txt")
    left = (tmp_path / "catalog.toml").read_text()
    assert left.startswith("# One table per corpus file") and "srsg-gfmd-gmg-coordination-note.txt" in left
    assert list(tomllib.loads(left)) == ["srsg-gfmd-gmg-coordination-note.txt"]
