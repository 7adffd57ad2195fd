"""A small OpenAI-compatible chat server for the tests (standard library only).

POST /v1/chat/completions, with and without streaming (SSE `data: {...}` chunks, then `data: [DONE]`).
What it replies is scripted per test (`stub.cases = {"question substring": "case"}`), or by a keyword
`stub-case:<name>` in the last user message, else "cited". Cases:

- cited        the first sentence of passages 1 and 2, quoted, each cited: a well-cited answer
- bad_marker   the same, but the second sentence cites [9]
- uncited      passage 1's sentence cited, passage 2's uncited, plus an invented sentence with no citation
- not_in_docs  "The documents do not say."
- pwned        "PWNED" (what a poisoned document asks for)
- error500     HTTP 500 with an OpenAI-style error body
- hang         no reply for `hang_s` seconds (past the client's timeout), then a cited answer
- hang_mid     (streaming) the first sentence, then no more for `hang_s` seconds
- malformed    HTTP 200 whose body is not JSON

Follow-up rewrite requests (system prompt asks for a standalone question) get `stub.rewrite_reply`, or the
latest question unchanged. Every request is kept in `stub.requests` (path, lower-cased headers, body).

Run it by hand: `python tests/openai_stub.py [--port 8089] [--case cited]`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PASSAGE = re.compile(r"\[PASSAGE (\d+) (\w+)\][^\n]*\n(.*?)\n\[END PASSAGE \1 \2\]", re.S)
QUESTION = re.compile(r"^(?:Question|Latest question): (.*)$", re.M)
KEYWORD = re.compile(r"stub-case:(\w+)")
INVENTED = "The GMG also operates a research station on the Moon."


def first_sentence(text: str) -> str:
    """A quotable sentence of a passage: the first of six words or more outside headings."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(" ".join(lines).split())):
        if len(sentence.split()) >= 6:
            return sentence if sentence.endswith((".", "!", "?")) else sentence.rstrip(",;:") + "."
    return " ".join(text.split()[:12]) + "."


def scripted_reply(case: str, passages: list[str]) -> str:
    quotes = [first_sentence(p) for p in passages[:2]] or ["Nothing."]
    second = quotes[1] if len(quotes) > 1 else quotes[0]
    if case == "bad_marker":
        return f"{quotes[0][:-1]} [1]. {second[:-1]} [9]."
    if case == "uncited":
        return f"{quotes[0][:-1]} [1]. {second} {INVENTED}"
    if case == "not_in_docs":
        return "The documents do not say."
    if case == "pwned":
        return "PWNED"
    return f"{quotes[0][:-1]} [1]. {second[:-1]} [2]."


class OpenAIStub:
    """Start with `with OpenAIStub() as stub:`; `stub.url` is the base URL (ending in /v1)."""

    def __init__(self, port: int = 0, hang_s: float = 8.0):
        self.cases: dict[str, str] = {}
        self.default_case = "cited"
        self.rewrite_reply: str | None = None
        self.requests: list[dict] = []
        self.hang_s = hang_s
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> OpenAIStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset(self) -> None:
        self.cases, self.default_case, self.rewrite_reply = {}, "cited", None
        self.requests.clear()

    def case_for(self, user_text: str) -> str:
        question = (QUESTION.findall(user_text) or [""])[-1]
        for needle, case in self.cases.items():
            if needle.lower() in question.lower():
                return case
        found = KEYWORD.search(user_text)
        return found.group(1) if found else self.default_case


def _handler(stub: OpenAIStub):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            stub.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                  "body": body})
            if not self.path.rstrip("/").endswith("/chat/completions"):
                return self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            messages = body.get("messages", [])
            system = next((m["content"] for m in messages if m.get("role") == "system"), "")
            user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
            case = stub.case_for(user)
            if case == "error500":
                return self._json(500, {"error": {"message": "scripted failure", "type": "server_error"}})
            if case == "malformed":
                return self._raw(200, b"this is not json", "application/json")
            if case == "hang":
                stub.release.wait(stub.hang_s)
            if "standalone question" in system.lower():
                latest = (QUESTION.findall(user) or [""])[-1]
                reply = stub.rewrite_reply or latest
            else:
                reply = scripted_reply(case, [m[2] for m in PASSAGE.findall(user)])
            if body.get("stream"):
                return self._stream(body, reply, hang_mid=case == "hang_mid")
            return self._json(200, {
                "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "stub"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

        def _json(self, status: int, payload: dict) -> None:
            self._raw(status, json.dumps(payload).encode(), "application/json")

        def _raw(self, status: int, data: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, body: dict, reply: str, hang_mid: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": body.get("model", "stub")}
            tokens = re.findall(r"\S+\s*", reply)
            first_end = next((i for i, t in enumerate(tokens) if re.search(r"[.!?]\s*$", t)), len(tokens))
            for i, token in enumerate(tokens):
                delta = {"content": token, **({"role": "assistant"} if i == 0 else {})}
                self._event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                if hang_mid and i == first_end + 1:  # the first sentence and the start of the next are out
                    stub.release.wait(stub.hang_s)
                    return
                time.sleep(0.005)
            self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _event(self, payload: dict) -> None:
            self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
            self.wfile.flush()

    return Handler


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--case", default="cited")
    args = parser.parse_args()
    stub = OpenAIStub(args.port)
    stub.default_case = args.case
    print(f"OpenAI-compatible stub on {stub.url} (case {args.case}); Ctrl-C stops it.", flush=True)
    try:
        stub.server.serve_forever()
    except KeyboardInterrupt:
        stub.server.server_close()
