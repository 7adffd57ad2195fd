"""How much of the assistant is hand-written rules, counted from its code and data (`python -m evals rules`).

Issue #13 asks for fewer rules and for what remains to be data: this counts, in the modules that read a question
and choose what to quote (`RULE_MODULES`: `assistant/answering/`, the follow-up rewrite, retrieval, the
conversation, the chain and the canned replies),
- regexes: calls of `re.compile/search/match/fullmatch/sub/subn/finditer/findall/split` with a literal pattern;
- listed words in code: string literals in set, list or tuple literals of three or more short phrases (a word list
  written into a module; a literal list of labels or keys counts too, a list holding an empty string does not),
  and in data: the words of the reviewed lists `assistant/data/*.txt` (not the off-corpus
  questions calibration asks);
- hand-set constants: module-level UPPER_CASE names bound to a number;
- fitted parameters: the weights and constants `make fit-reader` fits into `assistant/data/reader.json`, and apart
  from them the constants it writes there that were chosen on `tune` by evaluation runs (evals/fit_reader.py);
- rules that name a body: regex patterns, listed words and lines of the word lists that contain a glossary body's
  name, acronym or full name as a word, in any case (a body is data: `corpus/glossary.toml`).
`evals/thresholds.toml` `[rules]` pins the counts; `tests/test_rules.py` fails when one grows.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Annotated

import typer

ROOT = Path(__file__).resolve().parents[1]
REGEX_CALLS = frozenset({"compile", "search", "match", "fullmatch", "sub", "subn", "finditer", "findall", "split"})
RULE_MODULES = ("assistant/answering/*.py", "assistant/references.py", "assistant/rewrite.py",
                "assistant/retrieval.py", "assistant/conversation.py", "assistant/chain.py", "assistant/overview.py",
                "assistant/social.py", "assistant/spelling.py", "assistant/ordinals.py", "assistant/answer_requests.py",
                "assistant/preamble.py", "assistant/offers.py", "assistant/others.py", "assistant/words.py",
                "assistant/antecedents.py", "assistant/ellipses.py")
PROBES = frozenset({"null_questions.txt"})  # the off-corpus questions calibration asks: probes, not rules
LABEL = re.compile(r"^\s*\w+:\s")  # "pronoun: it its they …"
PHRASE = re.compile(r"^[\w'’.-]+(?: [\w'’.-]+){0,2}$")  # a listed word: at most three words
FITTED = ("calibration_k", "calibration_k_off_corpus", "neighbour_margin", "max_sentences")
CHOSEN_ON_TUNE = ("selection_words", "detail_margin", "body_overview_words", "context_gain", "item_margin")


def _is_regex_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in REGEX_CALLS
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and bool(node.args)
            and isinstance(node.args[0], ast.Constant | ast.JoinedStr))


def _listed_words(node: ast.AST) -> list[str]:
    if not isinstance(node, ast.Set | ast.List | ast.Tuple) or len(node.elts) < 3:
        return []
    if all(isinstance(e, ast.Constant) and isinstance(e.value, str) and PHRASE.match(e.value) for e in node.elts):
        return [e.value for e in node.elts]
    return []


def _pattern(node: ast.Call) -> str:
    first = node.args[0]
    if isinstance(first, ast.Constant):
        return str(first.value)
    return "".join(str(v.value) for v in first.values if isinstance(v, ast.Constant))  # an f-string's literal parts


def _hand_constant(node: ast.AST) -> str | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        name, value = node.targets[0].id, node.value
        if name.isupper() and isinstance(value, ast.Constant) and type(value.value) in (int, float):
            return name
    return None


def body_names(glossary: Path) -> list[re.Pattern]:
    """A pattern per spelling (of three or more letters) of every glossary body, in any case."""
    from ingest.glossary import Glossary

    spellings = {s for b in Glossary.load(glossary).bodies for s in b.spellings if len(s) > 2}
    return [re.compile(rf"\b{re.escape(s)}\b", re.I) for s in sorted(spellings)]  # "iom" in a list is IOM


def count_module(path: Path, bodies: list[re.Pattern]) -> dict:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    patterns = [_pattern(n) for n in ast.walk(tree) if _is_regex_call(n)]
    words = [w for n in ast.walk(tree) for w in _listed_words(n)]
    constants = [c for n in tree.body if (c := _hand_constant(n))]
    named = sorted({text for text in patterns + words if any(p.search(text) for p in bodies)})
    return {"regexes": len(patterns), "listed_words": len(words), "constants": constants, "bodies_named": named}


def count(root: Path = ROOT, package: str = "assistant", module_globs: tuple[str, ...] = RULE_MODULES) -> dict:
    """The counts over the modules `module_globs` finds under `root`, the word lists `package/data/*.txt`, and the
    fitted reader."""
    bodies = body_names(root / "corpus" / "glossary.toml")
    modules = {p.relative_to(root).as_posix(): count_module(p, bodies)
               for pattern in module_globs for p in sorted(root.glob(pattern))}
    lists = [p for p in sorted((root / package / "data").glob("*.txt")) if p.name not in PROBES]
    data_words = {p.name: _words_in(p) for p in lists}
    named = {f: m["bodies_named"] for f, m in modules.items() if m["bodies_named"]}
    for path in lists:
        lines = [line for line in _lines(path) if any(b.search(line) for b in bodies)]
        if lines:
            named[path.relative_to(root).as_posix()] = lines
    reader = root / package / "data" / "reader.json"
    reader_data = json.loads(reader.read_text(encoding="utf-8")) if reader.is_file() else {}
    fitted = _fitted(reader_data)
    return {
        "regexes": sum(m["regexes"] for m in modules.values()),
        "listed_words_in_code": sum(m["listed_words"] for m in modules.values()),
        "listed_words_in_data": sum(data_words.values()),
        "hand_constants": sum(len(m["constants"]) for m in modules.values()),
        "fitted_parameters": fitted,
        "chosen_on_tune": sum(1 for k in CHOSEN_ON_TUNE if k in reader_data),
        "bodies_named_in_rules": named,
        "per_module": {f: {k: v for k, v in m.items() if k != "bodies_named"} for f, m in modules.items()
                       if m["regexes"] or m["listed_words"] or m["constants"]},
        "word_lists": data_words,
    }


def _words_in(path: Path) -> int:
    """The words (or phrases) a reviewed list holds: one per line, or several on a "kind: a b c" or "a, b | c"
    line; comments aside."""
    return sum(len([w for w in re.split(r"[\s,|]+", LABEL.sub("", line)) if w]) for line in _lines(path))


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _fitted(reader: dict) -> int:
    """The models' weights, the answerability model's bias (the sentence ranking's is 0 by construction) and the
    fitted constants; the standardisation (mean, scale) is the features' own statistics, not counted."""
    weights = sum(len(reader[m]["weights"]) for m in ("sentence", "answerable") if m in reader)
    return weights + ("answerable" in reader) + sum(1 for k in FITTED if k in reader)


def report(counts: dict) -> str:
    named = counts["bodies_named_in_rules"]
    lines = [f"regexes                 {counts['regexes']}",
             f"listed words in code    {counts['listed_words_in_code']}",
             f"listed words in data    {counts['listed_words_in_data']}  ("
             + ", ".join(f"{k} {v}" for k, v in counts["word_lists"].items()) + ")",
             f"hand-set constants      {counts['hand_constants']}",
             f"fitted parameters       {counts['fitted_parameters']}  (assistant/data/reader.json; and "
             f"{counts['chosen_on_tune']} constants chosen on tune by evaluation runs)",
             "rules naming a body     " + (", ".join(f"{f}: {v}" for f, v in named.items()) if named else "none")]
    return "\n".join(lines)


def main(as_json: Annotated[bool, typer.Option("--json", help="Print the counts per module as JSON.")] = False
         ) -> None:
    """How much of the answering is hand-written rules (regexes, listed words, constants, fitted parameters)."""
    counts = count()
    typer.echo(json.dumps(counts, indent=1) if as_json else report(counts))


if __name__ == "__main__":
    typer.run(main)
