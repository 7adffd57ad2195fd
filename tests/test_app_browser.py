"""The running app in a real browser: `streamlit run app.py` driven with Debian's Chromium via Playwright.

Skipped when /usr/bin/chromium (or the playwright package) is missing, unless ASSISTANT_REQUIRE_BROWSER=1,
which turns the skip into a failure (for CI machines that must run it). Install: apt-get install chromium.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from evals.bench.processes import stop_process

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("ASSISTANT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ANSWER_TIMEOUT_MS = 180_000
PAYLOAD_DOC = """# Harbour Quarantine Office

The Harbour Quarantine Office inspects arriving migrant vessels for cholera <script>window.__pwned=1</script> \
and checks the health certificates of passengers <img src="http://127.0.0.1:9/x.png"> before they land \
![x](http://127.0.0.1:9/y.png) at the harbour.

The Harbour Quarantine Office reports every inspection of migrant vessels to the port authority.
"""
PAYLOAD_QUESTION = "What does the Harbour Quarantine Office inspect?"
NOTE = "gmg-information-note-2006.txt"
QUESTION_SET = ("question,facts,source,unanswerable\n"
                f"Which agency deals with trafficking in persons?,UNODC,{NOTE},false\n"
                f"When did the GMG first meet?,9 May 2006,{NOTE},false\n"
                "What is the GMG's annual budget?,,,true\n")
DESK_SOURCE = "seafarers-desk.md"
DESK_TITLE = "Seafarers' Liaison Desk: Founding Record"
DESK_FACT = "The Seafarers' Liaison Desk opened in Valparaíso in 1998."
DESK_DOC = f"""# Seafarers' Liaison Desk

{DESK_FACT} It helps crews who come ashore at the port to find consular help and a bed for the night.

The Seafarers' Liaison Desk is run by the port chaplaincy and keeps a register of the ships whose crews it helped.
"""
DESK_QUESTION = "When did the Seafarers' Liaison Desk open?"

pytestmark = pytest.mark.browser


def _require_browser():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason, sync_playwright = "the playwright package is not installed (pip install playwright)", None
    if reason is None and not CHROMIUM.is_file():
        reason = f"{CHROMIUM} is missing; install Debian's Chromium with `apt-get install -y chromium`"
    if reason:
        if os.environ.get("ASSISTANT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ASSISTANT_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"streamlit did not become healthy in {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An ingested temp index (corpus + a document full of markup) and `streamlit run app.py` over it, with
    corpus edits allowed (the Documents page changes only this temp copy)."""
    sync_playwright = _require_browser()
    from assistant.embeddings import build_embeddings
    from assistant.indexing import run_ingest
    from assistant.settings import Settings
    from assistant.store import build_store

    base = tmp_path_factory.mktemp("browser-index")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "harbour-quarantine.md").write_text(PAYLOAD_DOC, encoding="utf-8")
    # Corpus edits on, as `make run` sets them (sign-in off, one person on loopback).
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(base / "data"), "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_CORPUS_EDITS": "true", "PYTHONUNBUFFERED": "1"}
    settings = Settings(data_dir=base / "data", corpus_dir=corpus)
    embeddings = build_embeddings(settings)
    report = run_ingest(settings, embeddings, build_store(settings, embeddings))
    assert report.added == 3 and not report.failed, report
    del embeddings

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = base / "streamlit.log"
    launched = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        _wait_healthy(url, proc, log)
        healthy = time.monotonic() - launched
        yield {"url": url, "launched": launched, "healthy_s": healthy, "log": log, "playwright": sync_playwright}
    finally:
        stop_process(proc)


@pytest.fixture
def page(server):
    with server["playwright"]() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.requests = requests
            page.goto(server["url"], wait_until="domcontentloaded")
            yield page
        finally:
            browser.close()


def _ask(page, question: str, until: str = "Sources"):
    """Type `question` in the chat input, press Enter; return the assistant message once it shows `until`."""
    from playwright.sync_api import expect

    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_enabled(timeout=ANSWER_TIMEOUT_MS)
    page.ready_at = time.monotonic()
    box.fill(question)
    box.press("Enter")
    messages = page.get_by_test_id("stChatMessage")
    answer = messages.nth(1)
    expect(answer).to_contain_text(until, timeout=ANSWER_TIMEOUT_MS)
    return answer


def _wait_idle(page, answer) -> None:
    """Wait until the turn is fully drawn (feedback widget shown) and the onboarding has been cleared."""
    from playwright.sync_api import expect

    expect(answer.get_by_role("radio", name="Thumbs up")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_text("The GMG member agencies", exact=True)).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)
    page.get_by_test_id("stChatMessage").first.scroll_into_view_if_needed()


def _open_first_source(page, answer):
    from playwright.sync_api import expect

    quoted = " ".join(answer.locator("blockquote").first.inner_text().split())
    answer.get_by_role("button", name="Open the document at this passage").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=30_000)
    passage = dialog.frame_locator("iframe").locator("#passage")
    expect(passage).to_be_visible(timeout=30_000)
    expect(passage).to_be_in_viewport(timeout=10_000)  # scrolled to, not just somewhere in the document
    return quoted, " ".join(passage.inner_text().split()), dialog


def test_question_gets_a_cited_answer_and_the_source_opens(server, page, tmp_path):
    from playwright.sync_api import expect

    answer = _ask(page, "Who handles trafficking victims?")
    first_answer_s = time.monotonic() - server["launched"]
    expect(answer).to_contain_text("UNODC")
    expect(answer).to_contain_text("[1]")
    _wait_idle(page, answer)
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)

    quoted, highlighted, dialog = _open_first_source(page, answer)
    assert highlighted == quoted
    expect(dialog).to_contain_text("Global Migration Group: Information Note")
    page.screenshot(path=str(tmp_path / "source.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0, timeout=30_000)
    assert quoted in _exported(page, tmp_path)  # the conversation downloads with the passage its answer quotes
    report = (f"launch to first answer visible: {first_answer_s:.1f}s (server healthy after "
              f"{server['healthy_s']:.1f}s, chat input enabled after {page.ready_at - server['launched']:.1f}s); "
              "screenshots: "
              f"{tmp_path / 'answer.png'}, {tmp_path / 'source.png'}")
    print(report)
    (tmp_path / "timing.txt").write_text(report + "\n")


def _exported(page, tmp_path: Path) -> str:
    """Click the sidebar's **Export conversation**; the downloaded Markdown as a viewer shows it, whitespace folded."""
    import html

    from markdown_it import MarkdownIt

    with page.expect_download(timeout=30_000) as download:
        page.get_by_test_id("stSidebar").get_by_role("button", name="Export conversation").click()
    assert download.value.suggested_filename.endswith(".md")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    shown = MarkdownIt("commonmark").render(saved.read_text(encoding="utf-8"))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", shown)).split())


def test_markup_in_documents_is_inert(server, page, tmp_path):
    from playwright.sync_api import expect

    answer = _ask(page, PAYLOAD_QUESTION)
    expect(answer).to_contain_text("Harbour Quarantine Office")
    # The markup is shown as text in the answer and in the quoted passage…
    expect(answer).to_contain_text("<script>window.__pwned=1</script>")
    expect(answer).to_contain_text('<img src="http://127.0.0.1:9/x.png">')
    _wait_idle(page, answer)
    quoted, highlighted, dialog = _open_first_source(page, answer)
    assert highlighted == quoted
    document = dialog.frame_locator("iframe").locator("#doc")
    for markup in ("<script>window.__pwned=1</script>", '<img src="http://127.0.0.1:9/x.png">',
                   "![x](http://127.0.0.1:9/y.png)"):
        expect(document).to_contain_text(markup)
    page.wait_for_timeout(1500)  # give any image or script a chance to load
    page.screenshot(path=str(tmp_path / "payload.png"))

    # …and never runs or loads, in the page or in any frame.
    for frame in page.frames:
        assert frame.evaluate("typeof window.__pwned") == "undefined", frame.url
        assert frame.locator('img[src*="127.0.0.1:9"], a[href*="127.0.0.1:9"]').count() == 0, frame.url
    assert not [u for u in page.requests if "127.0.0.1:9/" in u]
    # No request leaves the app's own origin (no CDN, fonts, telemetry).
    outside = [u for u in page.requests if not u.startswith((server["url"], "data:", "blob:", "about:"))]
    assert not outside, outside


def _open_page(page, name: str):
    """Click `name` in the sidebar's page navigation, which must list exactly the app's pages."""
    from playwright.sync_api import expect

    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    expect(links).to_have_text(["Chat", "Start here", "Who does what", "Evaluate", "Documents"],
                               timeout=ANSWER_TIMEOUT_MS)
    links.filter(has_text=name).click()


def test_evaluator_page_runs_and_shows_the_report(server, page, tmp_path):
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # Chat: default
    _open_page(page, "Evaluate")
    expect(page.get_by_role("heading", name="Evaluate answer quality")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page).to_have_url(server["url"] + "/evaluate")
    expander = page.get_by_test_id("stExpander").first
    expect(expander).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    limit = page.get_by_label("Only the first N matching cases (0: all)")
    try:
        expect(limit).to_be_visible(timeout=10_000)
    except AssertionError:  # the form starts folded when a report exists (e.g. a `make eval` one)
        expander.locator("summary").click()
    limit.fill("2")
    limit.press("Enter")
    page.get_by_text("Also score the baseline", exact=False).click()  # off: ours only, quicker
    page.get_by_role("button", name="Run the evaluation").click()
    expect(page.get_by_text("Evaluation finished", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_test_id("stImage")).to_have_count(3, timeout=30_000)
    page.get_by_text("All questions", exact=True).click()
    expect(page.get_by_text("2 of 2 questions.")).to_be_visible(timeout=30_000)
    # Until the rerun ends, the elements it replaced stay on the page (marked stale): the drilled-in case twice.
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=30_000)
    expect(page.get_by_role("heading", name="ours")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(tmp_path / "evaluate.png"), full_page=True)
    print(f"evaluator page screenshot: {tmp_path / 'evaluate.png'}")
    _open_page(page, "Chat")  # and back: the chat, with its starters, at the app's root
    expect(page.get_by_role("button", name="What is the GFMD?")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Evaluate answer quality")).to_have_count(0)
    expect(page).to_have_url(server["url"] + "/")


def test_start_here_tours_with_live_answers_and_the_map_opens_a_passage(server, page, tmp_path):
    """The two onboarding pages in a real browser: a tour step's cited answer, the next step, then Who does what
    filtered to trafficking, where UNODC's row opens the document at its passage."""
    from playwright.sync_api import expect

    _open_page(page, "Start here")
    expect(page).to_have_url(server["url"] + "/start-here", timeout=ANSWER_TIMEOUT_MS)
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer).to_contain_text("Sources", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text("inter-agency group")
    expect(answer).to_contain_text("[1]")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Step 2 of", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text("Sources", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=30_000)
    page.screenshot(path=str(tmp_path / "start-here.png"), full_page=True)

    _open_page(page, "Who does what")
    expect(page).to_have_url(server["url"] + "/who-does-what", timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Trafficking")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    box = page.get_by_role("textbox", name="Filter")
    box.fill("trafficking")
    box.press("Enter")
    expect(page.get_by_role("heading", name="Remittances")).to_have_count(0, timeout=30_000)
    opener = page.get_by_role("button", name="Open the document at this passage")
    # The innermost block holding UNODC's sentence and a button: its row (ancestors come first in the page).
    row = page.get_by_test_id("stVerticalBlock").filter(has_text="UNODC, as custodian of the Protocol").filter(
        has=opener).last
    expect(row).to_contain_text("Crime, assists governments")
    page.screenshot(path=str(tmp_path / "who-does-what.png"), full_page=True)
    row.get_by_role("button", name="Open the document at this passage").click()
    dialog = page.get_by_role("dialog")
    passage = dialog.frame_locator("iframe").locator("#passage")
    expect(passage).to_contain_text("UNODC, as custodian of the Protocol", timeout=30_000)
    expect(passage).to_be_in_viewport(timeout=10_000)
    page.screenshot(path=str(tmp_path / "who-does-what-passage.png"))
    print(f"screenshots: {tmp_path / 'start-here.png'}, {tmp_path / 'who-does-what.png'}, "
          f"{tmp_path / 'who-does-what-passage.png'}")


def test_evaluate_runs_your_own_question_set_from_an_uploaded_csv(server, page, tmp_path):
    """Evaluate → Your own question set: a CSV of 3 questions uploaded in the browser, checked, run, reported."""
    from playwright.sync_api import expect

    _open_page(page, "Evaluate")
    expect(page.get_by_role("heading", name="Evaluate answer quality")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    own = page.get_by_test_id("stExpander").filter(has_text="Run your own question set")
    own.locator("summary").click()  # folded until a file is uploaded
    uploader = own.get_by_test_id("stFileUploader")
    expect(uploader).to_be_visible(timeout=30_000)
    uploader.locator('input[type="file"]').set_input_files(
        {"name": "questions.csv", "mimeType": "text/csv", "buffer": QUESTION_SET.encode()})
    expect(own.get_by_text("questions.csv: 3 cases ready to run (2 answerable, 1 unanswerable).")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    baseline = own.get_by_role("checkbox")  # untick: ours only, quicker
    _click_until(page, own.get_by_text("Also score the baseline", exact=False),
                 lambda ms: expect(baseline).not_to_be_checked(timeout=ms), baseline.is_checked,
                 "Also score the baseline", clicks=[])
    own.get_by_role("button", name="Run these questions").click()
    expect(page.get_by_text("Evaluation finished", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    headline = page.get_by_text(re.compile(r"^3 cases · pass rate: ours \d\.\d{3} \([0-3] of 3 passed\)$"))
    expect(headline).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Your own question set: reported as a whole", exact=False)).to_be_visible()
    expect(page.get_by_role("combobox", name="Report")).to_have_value(
        re.compile(r"· 3 cases · pass rate \d\.\d{3} · app, your own question set questions\.csv$"))
    page.get_by_text("All questions", exact=True).click()
    expect(page.get_by_text("3 of 3 questions.")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=30_000)
    headline.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "question-set-report.png"), full_page=True)
    page.get_by_text("3 of 3 questions.").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "question-set-questions.png"), full_page=True)
    print(f"{headline.inner_text()}; screenshots: {tmp_path / 'question-set-report.png'}, "
          f"{tmp_path / 'question-set-questions.png'}")


def test_an_uploaded_document_is_answered_from_then_removed(server, page, tmp_path):
    """Documents: upload a note with a made-up fact, the Chat cites it; remove it, a fresh chat no longer does."""
    from playwright.sync_api import expect

    _open_page(page, "Documents")
    expect(page).to_have_url(server["url"] + "/documents", timeout=ANSWER_TIMEOUT_MS)
    form = page.get_by_test_id("stForm")
    expect(form).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    form.locator('input[type="file"]').set_input_files(
        {"name": DESK_SOURCE, "mimeType": "text/markdown", "buffer": DESK_DOC.encode()})
    expect(form.get_by_test_id("stFileChipName")).to_have_text(DESK_SOURCE, timeout=30_000)
    expect(form.get_by_test_id("stFileChipIconSpinner")).to_have_count(0, timeout=30_000)  # the upload is done
    form.get_by_label("Title").fill(DESK_TITLE)
    form.get_by_label("Date").fill("June 1999")
    form.get_by_label("Issuing body (optional)").fill("Port chaplaincy of Valparaíso")
    form.get_by_role("button", name="Add and ingest").click()
    added = page.get_by_text(f"Added “{DESK_TITLE}” ({DESK_SOURCE}); the chat answers from it now.", exact=False)
    expect(added).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    row = page.get_by_test_id("stHorizontalBlock").filter(has_text=DESK_SOURCE)
    expect(row).to_contain_text(DESK_TITLE)
    expect(row).to_contain_text("June 1999")
    added.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "documents-added.png"), full_page=True)

    _open_page(page, "Chat")
    answer = _ask(page, DESK_QUESTION)
    expect(answer).to_contain_text(DESK_FACT)  # quoted from the upload
    expect(answer).to_contain_text("[1]")
    expect(answer).to_contain_text(f"{DESK_TITLE} (June 1999)")  # the source is named by its given title
    _wait_idle(page, answer)
    page.screenshot(path=str(tmp_path / "chat-cites-upload.png"), full_page=True)

    _open_page(page, "Documents")
    row = page.get_by_test_id("stHorizontalBlock").filter(has_text=DESK_SOURCE)
    row.get_by_role("button", name="Remove").click()
    expect(page.get_by_text(f"Remove “{DESK_TITLE}” ({DESK_SOURCE})?", exact=False)).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Remove it").click()
    expect(page.get_by_text(f"Removed “{DESK_TITLE}” ({DESK_SOURCE}).", exact=False)).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_text(DESK_SOURCE, exact=True)).to_have_count(0, timeout=30_000)  # its row is gone
    page.screenshot(path=str(tmp_path / "documents-removed.png"), full_page=True)

    page.goto(server["url"], wait_until="domcontentloaded")  # a new session: a fresh chat
    answer = _ask(page, DESK_QUESTION, until="The documents don't say")
    _wait_idle(page, answer)
    expect(answer).not_to_contain_text("1998")
    expect(answer).not_to_contain_text(DESK_TITLE)
    page.screenshot(path=str(tmp_path / "chat-after-removal.png"), full_page=True)
    print("screenshots: " + ", ".join(str(tmp_path / f"{name}.png") for name in (
        "documents-added", "chat-cites-upload", "documents-removed", "chat-after-removal")))


# Idle: connected, the script not running (Streamlit's stApp carries its run state: the state its status widget is
# drawn from, though that widget is not shown in this app), no status widget showing, and no element left over
# from before the last click (Streamlit marks those `data-stale="true"` until the run redraws or drops them).
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
BUSY = '[data-stale="true"], [data-testid="stStatusWidget"]'
QUIET_S = 0.5  # idle this long in a row: not the gap between a run and the st.rerun() it asks for


def _settle(page, timeout_s: float = ANSWER_TIMEOUT_MS / 1000) -> None:
    """Wait until the app has been idle for QUIET_S, so that the page shows what the last run drew and a click
    starts a fresh run on elements that are current."""
    idle, busy = page.locator(IDLE), page.locator(BUSY)
    deadline, quiet_from = time.monotonic() + timeout_s, None
    while True:
        now = time.monotonic()
        if idle.count() != 1 or busy.count():
            quiet_from = None
        elif quiet_from is None:
            quiet_from = now
        elif now - quiet_from >= QUIET_S:
            return
        if now > deadline:
            app = page.get_by_test_id("stApp")
            raise AssertionError(
                f"the app did not settle in {timeout_s:.0f}s: script {app.get_attribute('data-test-script-state')}, "
                f"connection {app.get_attribute('data-test-connection-state')}, {busy.count()} stale/status element(s)")
        page.wait_for_timeout(100)


def _click_until(page, target, arrived, lost, what: str, clicks: list, patience_ms: int = 5_000) -> None:
    """Click `target` once the app has settled, then wait for `arrived` (an expect(...) taking a timeout).
    If it has not happened after `patience_ms` and, once the app has settled again, `lost()` says the page still
    shows the state before the click (so the click never reached the app), click again; at most 3 clicks.
    Clicking again is safe: the quiz's callbacks set the answer of, or move to, a fixed question."""
    for attempt in range(1, 4):
        _settle(page)
        if attempt > 1:
            if not lost():
                break  # it did arrive, only slowly
            clicks.append(f"{what}: clicked again (attempt {attempt})")
        target.click(timeout=30_000)
        try:
            arrived(patience_ms)
            return
        except AssertionError:
            pass
    arrived(30_000)  # fails with the expectation's own message


def _answer_first_option(page, main, verdict, at: str, clicks: list) -> str:
    """On the question shown (`at`: "Question n of N"), choose the first option and press Check; its label."""
    from playwright.sync_api import expect

    group = main.get_by_role("radiogroup", name="Your answer")
    options = group.get_by_test_id("stRadioOption")
    expect(options).to_have_count(4)
    choice = " ".join(options.first.inner_text().split())
    radio = group.get_by_role("radio", name=choice, exact=True)
    check = main.get_by_role("button", name="Check", exact=True)
    expect(check).to_be_disabled()  # nothing chosen yet
    _click_until(page, options.first, lambda ms: expect(check).to_be_enabled(timeout=ms),
                 lambda: not radio.is_checked() or check.is_disabled(), f"{at}: the first option", clicks)
    _click_until(page, check, lambda ms: expect(verdict).to_be_visible(timeout=ms),
                 lambda: verdict.count() == 0 and radio.is_enabled() and check.is_enabled(), f"{at}: Check", clicks)
    _settle(page)
    expect(radio).to_be_checked()
    expect(radio).to_be_disabled()  # answered
    return choice


def _move_on(page, main, progress, verdict, at: str, then: str | None, clicks: list) -> None:
    """From the answered question `at`, "Next question" to `then` ("Question n+1 of N"), or "See your score" when
    `then` is None. Clicked again only while the page still shows `at` answered: a question is never skipped."""
    from playwright.sync_api import expect

    name = "Next question" if then else "See your score"
    button = main.get_by_role("button", name=name, exact=True)
    score = main.get_by_test_id("stMetric").filter(has_text="Your score")

    def moved_on(ms: int) -> None:
        if then:
            expect(progress).to_contain_text(f"{then} ", timeout=ms)
        else:
            expect(score).to_be_visible(timeout=ms)

    def still_at(timeout: float = 5_000) -> bool:
        return (progress.count() == 1 and progress.inner_text(timeout=timeout).startswith(f"{at} ")
                and verdict.count() == 1 and button.count() == 1)

    _click_until(page, button, moved_on, still_at, f"{at}: {name}", clicks)


def test_check_yourself_quiz_gives_feedback_with_the_passage_and_a_consistent_score(server, page, tmp_path):
    """Start here → Check yourself, answered in the browser: always the first option; after each answer a right or
    wrong verdict naming that choice and the cited passage (the quoted sentence, its name unmasked); at the end a
    score that counts the "Right" verdicts seen. Every click waits for the app to be idle, and is repeated only
    when the page shows after a few seconds that it was lost (an earlier version flaked on a lost "Next question")."""
    from playwright.sync_api import expect

    started = time.monotonic()
    _open_page(page, "Start here")
    expect(page).to_have_url(server["url"] + "/start-here", timeout=ANSWER_TIMEOUT_MS)
    main = page.get_by_test_id("stMain")
    quiz_part = main.get_by_role("radiogroup", name="Part").get_by_text("Check yourself", exact=True)
    expect(quiz_part).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    heading = main.get_by_role("heading", name="Check yourself")
    clicks: list[str] = []
    _click_until(page, quiz_part, lambda ms: expect(heading).to_be_visible(timeout=ms),
                 lambda: heading.count() == 0 and not main.get_by_role("radio", name="Check yourself").is_checked(),
                 "Part: Check yourself", clicks)
    progress = main.get_by_test_id("stProgress")
    expect(progress).to_have_text(re.compile(r"^Question 1 of \d+ · 0 right so far$"), timeout=ANSWER_TIMEOUT_MS)
    total = int(re.search(r"of (\d+)", progress.inner_text()).group(1))
    assert total >= 8, progress.inner_text()
    right, verdicts = 0, []
    verdict = main.get_by_test_id("stAlertContentSuccess").or_(main.get_by_test_id("stAlertContentError"))
    for i in range(total):
        _settle(page)
        at = f"Question {i + 1} of {total}"
        expect(progress).to_have_text(f"{at} · {right} right so far")
        expect(verdict).to_have_count(0)
        quote = " ".join(main.locator("blockquote").inner_text().split())  # the sentence, its agency blanked
        assert "▁▁▁" in quote, quote
        choice = _answer_first_option(page, main, verdict, at, clicks)
        text = " ".join(verdict.get_by_test_id("stMarkdownContainer").inner_text().split())  # not the icon's name
        if text == f"Right: {choice}.":
            right += 1
        else:
            wrong = re.fullmatch(rf"Not quite: you chose {re.escape(choice)}; the notes say this of (.+)\.", text)
            assert wrong and wrong.group(1) != choice, (text, choice)
        verdicts.append(text)
        # The cited passage: the whole sentence (the blank filled in), marked [1], its source named below it.
        opener = page.get_by_role("button", name="Open the document at this passage")  # `has=` is relative
        passage_box = main.get_by_test_id("stVerticalBlock").filter(has=opener).last
        expect(passage_box).to_contain_text("[1]")
        sentence = " ".join(passage_box.get_by_test_id("stMarkdownContainer").first.inner_text().split())
        source = " ".join(passage_box.get_by_test_id("stCaptionContainer").inner_text().split())
        assert sentence.endswith(" [1]") and "▁▁▁" not in sentence, sentence
        filled = ".+?".join(re.escape(part) for part in quote.split("▁▁▁"))
        assert re.fullmatch(filled, sentence.removesuffix(" [1]")), (quote, sentence)
        assert source.startswith("[1] ") and len(source) > 4, source
        if i == 0:
            passage_box.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "quiz-first-answer.png"), full_page=True)
        _move_on(page, main, progress, verdict, at, f"Question {i + 2} of {total}" if i + 1 < total else None, clicks)

    _settle(page)
    score = main.get_by_test_id("stMetric").filter(has_text="Your score")
    expect(score.get_by_test_id("stMetricValue")).to_have_text(f"{right} / {total}")
    expect(main.get_by_role("button", name="Take another quiz")).to_be_visible()
    expect(progress).to_have_count(0)
    page.screenshot(path=str(tmp_path / "quiz-score.png"), full_page=True)
    print(f"quiz: {right} of {total} right ({verdicts}); {len(clicks)} click(s) repeated {clicks}; "
          f"{time.monotonic() - started:.1f}s; screenshots: {tmp_path / 'quiz-first-answer.png'}, "
          f"{tmp_path / 'quiz-score.png'}")


def test_a_conversation_survives_a_reload_and_is_listed_for_this_browser(server, page, tmp_path):
    """Ask two questions, reload: both turns are shown again and a follow-up uses them; a new tab of the same
    browser (its cookie) lists the conversation under Past conversations; another browser does not."""
    from playwright.sync_api import expect

    first = _ask(page, "Which agency is the custodian of the trafficking protocol?")
    expect(first).to_contain_text("UNODC")
    _wait_idle(page, first)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("Who set up the GMG?")
    box.press("Enter")
    messages = page.get_by_test_id("stChatMessage")
    expect(messages.nth(3)).to_contain_text("Sources", timeout=ANSWER_TIMEOUT_MS)
    expect(page).to_have_url(re.compile(r"[?&]c=[0-9a-f]{32}"), timeout=30_000)
    link = page.url

    page.reload(wait_until="domcontentloaded")
    expect(messages).to_have_count(4, timeout=ANSWER_TIMEOUT_MS)
    expect(messages.nth(0)).to_contain_text("Which agency is the custodian of the trafficking protocol?")
    expect(messages.nth(2)).to_contain_text("Who set up the GMG?")
    box.fill("When did it first meet?")
    box.press("Enter")
    expect(messages.nth(5)).to_contain_text("9 May 2006", timeout=ANSWER_TIMEOUT_MS)
    expect(messages.nth(5)).to_contain_text("Searched:")

    jar = page.context.cookies()
    assert [c["name"] for c in jar if re.fullmatch(r"[0-9a-f]{32}", c["value"])] == ["gmg_browser"]
    same_browser = page.context.browser.new_context()
    same_browser.add_cookies(jar)
    tab = same_browser.new_page()  # the same browser (its cookie), without the link
    tab.goto(server["url"], wait_until="domcontentloaded")
    listed = tab.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("Which agency is the custodian"))
    expect(listed).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    listed.click()
    expect(tab.get_by_test_id("stChatMessage")).to_have_count(6, timeout=ANSWER_TIMEOUT_MS)
    tab.screenshot(path=str(tmp_path / "reopened.png"), full_page=True)

    other = page.context.browser.new_context().new_page()  # another browser: no cookie, not its conversation
    other.goto(link, wait_until="domcontentloaded")
    expect(other.get_by_text("does not exist or is not yours")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(other.get_by_test_id("stChatMessage")).to_have_count(0)


def test_two_tabs_of_a_first_visit_end_with_one_list_of_conversations(server, page, tmp_path):
    """A browser's first visit in two tabs at once: each session picks an id before either has set the cookie.
    The script of the one that runs later finds the other's id and that session adopts it, taking along the
    conversation it started, so a new tab of the browser lists both tabs' conversations."""
    from playwright.sync_api import expect

    from ui.past_conversations import COOKIE

    context = page.context.browser.new_context(viewport={"width": 1280, "height": 1000})  # a browser, two tabs
    held = []
    first = context.new_page()
    first.route("**/BidiComponent*.js", lambda route: held.append(route))  # its cookie script waits (below)
    first.goto(server["url"], wait_until="domcontentloaded")
    _wait_idle(first, _ask(first, "What does UNHCR do?"))  # asked under this session's id; no cookie yet
    assert held and COOKIE not in {c["name"] for c in context.cookies()}
    second = context.new_page()  # started without a cookie too: picks its own id and keeps it
    second.goto(server["url"], wait_until="domcontentloaded")
    _wait_idle(second, _ask(second, "What is the GFMD?", until="GFMD"))
    expect(second.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("What is the GFMD"))
           ).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert COOKIE in {c["name"] for c in context.cookies()}

    for route in held:  # the first tab's script runs now, finds the second tab's id, and its session adopts it
        route.continue_()
    listed = first.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("What is the GFMD"))
    expect(listed).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # its list is the browser's list now
    third = context.new_page()  # a later visit of the same browser lists both
    third.goto(server["url"], wait_until="domcontentloaded")
    sidebar = third.get_by_test_id("stSidebar")
    for title in ("What does UNHCR do?", "What is the GFMD?"):
        expect(sidebar.get_by_role("button", name=re.compile(re.escape(title)))).to_be_visible(
            timeout=ANSWER_TIMEOUT_MS)
    third.screenshot(path=str(tmp_path / "one-list.png"), full_page=True)
    context.close()
