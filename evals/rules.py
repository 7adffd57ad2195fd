"""How much of the assistant is hand-written rules, counted from its code and data (`python -m evals rules`).

Issue #13 asks for fewer rules and for what remains to be data: this counts, in the modules that read a question
and choose what to quote (`RULE_MODULES`: `assistant/answering/`, the follow-up rewrite, retrieval, the
conversation, the chain and the canned replies),
- regexes: calls of `re.compile/search/match/fullmatch/sub/subn/finditer/findall/split` with a literal pattern;
- listed words in code: string literals in set, list or tuple literals of three or more short phrases (a word list
  written into a module), and in data: the words of the reviewed lists `assistant/data/*.txt` (not the off-corpus
  questions calibration asks);
- hand-set constants: module-level UPPER_CASE names bound to a number;
- fitted parameters: the numbers `make fit-reader` writes to `assistant/data/reader.json`;
- rules that name a body: regex patterns and listed words that contain a glossary body's name, acronym or full
  name as a word (a body is data: `corpus/glossary.toml`).
`evals/thresholds.toml` `[rules]` pins the counts; `tests/test_rules.py` fails when one grows.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path
from typing import Annotated

import typer

ROOT = Path(__file__).resolve().parents[1]
REGEX_CALLS = frozenset({"compile", "search", "match", "fullmatch", "sub", "subn", "finditer", "findall", "split"})
RULE_MODULES = ("assistant/answering/*.py", "assistant/references.py", "assistant/rewrite.py",
                "assistant/retrieval.py", "assistant/conversation.py", "assistant/chain.py", "assistant/overview.py",
                "assistant/social.py")
PROBES = frozenset({"null_questions.txt"})  # the off-corpus questions calibration asks: probes, not rules
LABEL = re.compile(r"^\s*\w+:\s")  # "pronoun: it its they …"
PHRASE = re.compile(r"^[\w'’.-]+(?: [\w'’.-]+){0,2}$")  # a listed word: at most three words


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
    """A pattern per spelling of every glossary body: acronyms as written, longer names in any case."""
    bodies = tomllib.loads(glossary.read_text(encoding="utf-8"))["bodies"]
    spellings = {s for b in bodies for s in (b["name"], b.get("full", ""), *b.get("variants", [])) if len(s) > 2}
    return [re.compile(rf"\b{re.escape(s)}\b", 0 if " " not in s else re.I) for s in sorted(spellings)]


def count_module(path: Path, bodies: list[re.Pattern]) -> dict:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    patterns = [_pattern(n) for n in ast.walk(tree) if _is_regex_call(n)]
    words = [w for n in ast.walk(tree) for w in _listed_words(n)]
    constants = [c for n in tree.body if (c := _hand_constant(n))]
    named = sorted({text for text in patterns + words if any(p.search(text) for p in bodies)})
    return {"regexes": len(patterns), "listed_words": len(words), "constants": constants, "bodies_named": named}


def count(root: Path = ROOT, package: str = "assistant", modules: tuple[str, ...] = RULE_MODULES) -> dict:
    """The counts over the `modules` under `root` and the word lists `package/data/*.txt`, and the fitted reader."""
    bodies = body_names(root / "corpus" / "glossary.toml")
    modules = {p.relative_to(root).as_posix(): count_module(p, bodies)
               for pattern in modules for p in sorted(root.glob(pattern))}
    data_words = {p.name: _words_in(p) for p in sorted((root / package / "data").glob("*.txt"))
                  if p.name not in PROBES}
    reader = root / package / "data" / "reader.json"
    fitted = _fitted(json.loads(reader.read_text(encoding="utf-8"))) if reader.is_file() else 0
    return {
        "regexes": sum(m["regexes"] for m in modules.values()),
        "listed_words_in_code": sum(m["listed_words"] for m in modules.values()),
        "listed_words_in_data": sum(data_words.values()),
        "hand_constants": sum(len(m["constants"]) for m in modules.values()),
        "fitted_parameters": fitted,
        "bodies_named_in_rules": {f: m["bodies_named"] for f, m in modules.items() if m["bodies_named"]},
        "per_module": {f: {k: v for k, v in m.items() if k != "bodies_named"} for f, m in modules.items()
                       if m["regexes"] or m["listed_words"] or m["constants"]},
        "word_lists": data_words,
    }


def _words_in(path: Path) -> int:
    """The words (or phrases) a reviewed list holds: one per line, or several on a "kind: a b c" or "a, b | c"
    line; comments aside."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    return sum(len([w for w in re.split(r"[\s,|]+", LABEL.sub("", line)) if w]) for line in lines)


def _fitted(reader: dict) -> int:
    models = sum(len(reader[m]["weights"]) + 1 for m in ("sentence", "answerable"))  # weights and a bias each
    return models + sum(1 for k in ("calibration_k", "calibration_k_off_corpus", "neighbour_margin", "max_sentences")
                        if k in reader)


def report(counts: dict) -> str:
    named = counts["bodies_named_in_rules"]
    lines = [f"regexes                 {counts['regexes']}",
             f"listed words in code    {counts['listed_words_in_code']}",
             f"listed words in data    {counts['listed_words_in_data']}  ("
             + ", ".join(f"{k} {v}" for k, v in counts["word_lists"].items()) + ")",
             f"hand-set constants      {counts['hand_constants']}",
             f"fitted parameters       {counts['fitted_parameters']}  (assistant/data/reader.json)",
             "rules naming a body     " + (", ".join(f"{f}: {v}" for f, v in named.items()) if named else "none")]
    return "\n".join(lines)


def main(as_json: Annotated[bool, typer.Option("--json", help="Print the counts per module as JSON.")] = False
         ) -> None:
    """How much of the answering is hand-written rules (regexes, listed words, constants, fitted parameters)."""
    counts = count()
    typer.echo(json.dumps(counts, indent=1) if as_json else report(counts))


if __name__ == "__main__":
    typer.run(main)
