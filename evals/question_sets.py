"""Your own question set: a CSV or JSONL file of questions, checked row by row, to run like a golden suite.

CSV columns: `question` (required), `facts` (required facts separated by `;`, the spellings of one fact by `|`),
`source` (the expected document's file name, optionally ` > ` and a section heading; several separated by `;`),
`unanswerable` (true/false); optional `id`, `kind`, `forbidden` (`;`-separated). JSONL: one golden case per line
(evals/golden/README.md). The Evaluate page's uploader and `python -m evals run --golden FILE` (any FILE outside
evals/golden/: `is_own_question_set`) both read files through `read_question_set`: a file that cannot be used at
all (not CSV/JSONL, over 5 MB or 2,000 rows, no `question` column) raises QuestionSetError with one message; a bad
row is listed with its reason and skipped, so the good rows still run. Nothing here draws or prints.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from evals.golden_io import GOLDEN_DIR, ExpectedSource, GoldenCase, GoldenError, parse_case
from ingest.loaders import LoadError, load_text

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
FORMATS = (".csv", ".jsonl")
COLUMNS = ("question", "facts", "source", "unanswerable")
OPTIONAL_COLUMNS = ("id", "kind", "forbidden")
TRUE, FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0", ""}
TEMPLATE = ("question,facts,source,unanswerable\n"
            "How many organizations make up the GMG?,10 organizations|ten organizations,"
            "gmg-information-note-2006.txt,false\n"
            "\"When, and by whom, was the GMG established?\",early 2006;Secretary-General,"
            "gmg-information-note-2006.txt > When was the GMG created?,false\n"
            "What is the GMG's annual budget?,,,true\n")


class QuestionSetError(ValueError):
    """A file that cannot be used at all: the message says why, and nothing of it runs."""


@dataclass(frozen=True)
class BadRow:
    where: str  # "row 4" (a spreadsheet's row number: the header is row 1) or "line 4" (JSONL)
    reason: str
    question: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}" + (f" ({_clip(self.question)})" if self.question else "")


@dataclass
class QuestionSet:
    name: str
    cases: list[GoldenCase]
    bad_rows: list[BadRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.cases) + len(self.bad_rows)

    def to_jsonl(self) -> str:
        """The good rows in the golden format (one case per line), e.g. to keep beside a run's report."""
        return "".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in self.cases)


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_own_question_set(path: Path) -> bool:
    """Whether `python -m evals run --golden path` reads `path` as your own question set, as the page reads an
    upload (bad rows listed and skipped, the limits above), rather than as a golden suite, where one bad case
    stops the run: the suites committed in evals/golden/ must load whole, a file of yours need not. A CSV is
    always a question set (a golden suite is JSONL)."""
    path = Path(path)
    return path.suffix.lower() == ".csv" or not path.resolve().is_relative_to(GOLDEN_DIR.resolve())


def load_question_set(path: Path, sources: Collection[str] | None = None,
                      max_question_chars: int | None = None) -> QuestionSet:
    """`read_question_set` of a file on disk (the size is checked before the file is read)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise QuestionSetError(_too_big(path.name, size))
    return read_question_set(path.name, path.read_bytes(), sources, max_question_chars)


def read_question_set(name: str, data: bytes, sources: Collection[str] | None = None,
                      max_question_chars: int | None = None) -> QuestionSet:
    """The cases of an uploaded file, its bad rows listed. `sources`: the corpus's documents, to catch a mistyped
    `source` (None: not checked); `max_question_chars`: the assistant's cap on a question (None: no cap)."""
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise QuestionSetError(f"{name} is not a CSV or JSONL file: save the questions as .csv (UTF-8) or .jsonl.")
    if len(data) > MAX_BYTES:
        raise QuestionSetError(_too_big(name, len(data)))
    if not data.strip():
        raise QuestionSetError(f"{name} is empty.")
    try:
        text = load_text(data).text.removeprefix("\ufeff")  # the BOM Excel writes before "CSV UTF-8"
    except LoadError as exc:  # binary, UTF-16, not UTF-8: the ingest's own one-line reasons
        raise QuestionSetError(f"{name} {exc}.") from None
    check = _RowCheck(sources, max_question_chars)
    qset = _read_csv(name, text, check) if suffix == ".csv" else _read_jsonl(name, text, check)
    if not qset.rows:
        raise QuestionSetError(f"{name} has no questions.")
    return qset


def _too_big(name: str, size: int) -> str:
    return f"{name} is {size / 1024 / 1024:.1f} MB, over the {MAX_BYTES // 1024 // 1024} MB limit for a question set."


def _too_many(name: str, rows: int) -> QuestionSetError:
    return QuestionSetError(f"{name} has {rows:,} questions, over the {MAX_ROWS:,} limit: split it into smaller "
                            "files.")


# -- CSV ------------------------------------------------------------------------------------------------------
def _read_csv(name: str, text: str, check: _RowCheck) -> QuestionSet:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise QuestionSetError(f"{name} is not a readable CSV file ({exc}).") from None
    header = [h.strip().lower() for h in records[0]] if records else []
    if "question" not in header:
        hint = (" It looks separated by semicolons: save it with commas between columns."
                if len(header) == 1 and ";" in header[0] else "")
        raise QuestionSetError(f"{name} has no `question` column: its first row must name the columns "
                               f"({','.join(COLUMNS)}).{hint}")
    rows = [(n, r) for n, r in enumerate(records[1:], start=2) if any(cell.strip() for cell in r)]
    if len(rows) > MAX_ROWS:
        raise _too_many(name, len(rows))
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    qset = QuestionSet(name, [], ignored_columns=[h for h in header if h and h not in known])
    for number, cells in rows:
        where = f"row {number}"
        if len(cells) > len(header):
            qset.bad_rows.append(BadRow(where, f"has {len(cells)} cells but the header names {len(header)} columns "
                                        "(a comma inside a question? put the question in double quotes)",
                                        ",".join(cells)))
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        try:
            qset.cases.append(check.case(_csv_case(row, f"row-{number}")))
        except GoldenError as exc:
            qset.bad_rows.append(BadRow(where, str(exc), row.get("question", "")))
    return qset


def _csv_case(row: dict[str, str], default_id: str) -> GoldenCase:
    question = row.get("question", "")
    if not question:
        raise GoldenError("the question is empty")
    flag = row.get("unanswerable", "").lower()
    if flag not in TRUE | FALSE:
        raise GoldenError(f"unanswerable is {row['unanswerable']!r}: write true or false")
    unanswerable = flag in TRUE
    facts = [spellings for fact in _split(row.get("facts", ""), ";")
             if (spellings := _split(fact, "|"))]
    if unanswerable and facts:
        raise GoldenError("an unanswerable question cannot have required facts: empty `facts` or set "
                          "unanswerable to false")
    return GoldenCase(id=row.get("id") or default_id, kind=row.get("kind") or
                      ("unanswerable" if unanswerable else "answerable"), turns=[question], required_facts=facts,
                      forbidden=_split(row.get("forbidden", ""), ";"),
                      expected_sources=[_source(s) for s in _split(row.get("source", ""), ";")],
                      unanswerable=unanswerable)


def _split(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def _source(text: str) -> ExpectedSource:
    """"note.txt" or "note.txt > Section heading" (› also separates, as the app shows a section)."""
    for mark in (" > ", " › "):
        if mark in text:
            source, section = text.split(mark, 1)
            return ExpectedSource(source.strip(), section.strip() or None)
    return ExpectedSource(text)


# -- JSONL ----------------------------------------------------------------------------------------------------
def _read_jsonl(name: str, text: str, check: _RowCheck) -> QuestionSet:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) > MAX_ROWS:
        raise _too_many(name, len(lines))
    qset = QuestionSet(name, [])
    for number, line in lines:
        where = f"line {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            qset.bad_rows.append(BadRow(where, f"not JSON ({exc.msg})", line))
            continue
        if not isinstance(data, dict):
            qset.bad_rows.append(BadRow(where, "not a JSON object (a golden case is {\"id\": …, \"question\": …})",
                                        line))
            continue
        if data.get("borderline"):  # labelled as half answered by the notes: skipped, as in the golden suites
            continue
        try:
            qset.cases.append(check.case(parse_case(data)))
            continue
        except GoldenError as exc:  # parse_case says "(<id>): <reason>" after an empty `where`
            reason = re.sub(r"^\((.*?)\): ", r"case \1: ", str(exc).strip().lstrip(": "))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:  # a field of the wrong type
            reason = (f"a field has the wrong type ({type(exc).__name__}: {exc}); see the golden format in "
                      "evals/golden/README.md")
        qset.bad_rows.append(BadRow(where, reason, str(data.get("question") or data.get("turns") or "")))
    return qset


# -- checks every row gets, whatever its format ----------------------------------------------------------------
class _RowCheck:
    def __init__(self, sources: Collection[str] | None, max_question_chars: int | None):
        self.sources, self.max_chars, self.ids = sources, max_question_chars, set()

    def case(self, case: GoldenCase) -> GoldenCase:
        """`case` if it can be asked and scored; else GoldenError with the reason."""
        if case.id in self.ids:
            raise GoldenError(f"the id {case.id!r} is used by an earlier row")
        for turn in case.turns:
            if self.max_chars is not None and len(turn) > self.max_chars:
                raise GoldenError(f"the question is {len(turn):,} characters, over the {self.max_chars:,} the "
                                  "assistant accepts")
        if self.sources is not None:
            for expected in case.expected_sources:
                if expected.source not in self.sources:
                    listed = ", ".join(sorted(self.sources)[:6]) or "none"
                    raise GoldenError(f"source {expected.source!r} is not a document of the corpus "
                                      f"(documents: {listed})")
        self.ids.add(case.id)
        return case
