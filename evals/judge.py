"""LLM-judged metrics of our answers, RAGAS style (a trend to watch, never a gate), for `evals run --judge`.

faithfulness = claims of the answer (split by the judge) that its cited passages support (per the judge) / claims;
answer relevancy = mean cosine of N questions the judge writes for the answer to the asked question, 0 when the
judge finds the answer noncommittal. Averaged over runs, each asking again. Each reply is the model's structured
output (`with_structured_output` of the pydantic schemas below); one that does not fit its schema is a failed
judgement, and a failing server stops the judge with the reason recorded. Prompts: evals/prompts/judge_*.txt.
"""

from __future__ import annotations

import math
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, field_validator

from assistant.markers import strip_markers

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

Reply = TypeVar("Reply", bound=BaseModel)

N_QUESTIONS = 3
DEFAULT_RUNS = 3
METRICS = ("faithfulness", "answer_relevancy")


class Malformed(ValueError):
    """The judge's reply did not fit the structure asked for (a failed judgement)."""


class JudgeUnavailable(RuntimeError):
    """The model server failed (unreachable, timeout, HTTP error): the judge stops."""


# -- what the judge replies: the schemas of its structured output ---------------------------------------------

def _tidy(texts: list[str]) -> list[str]:
    return [" ".join(t.split()) for t in texts if t.strip()]


class Claims(BaseModel):
    """The atomic claims of the answer."""

    claims: list[str]

    @field_validator("claims")
    @classmethod
    def _some_claims(cls, claims: list[str]) -> list[str]:
        if not _tidy(claims):
            raise ValueError("no claims")
        return _tidy(claims)


class Verdict(BaseModel):
    """Whether the passages support one numbered claim (1) or not (0)."""

    claim: int
    reason: str
    verdict: Literal[0, 1]


class Verdicts(BaseModel):
    """One verdict per claim, in the order of the claims."""

    verdicts: list[Verdict]

    def in_claim_order(self, n: int) -> list[int]:
        """The n verdicts, by claim number when they are numbered 1..n (models sometimes reorder them)."""
        if len(self.verdicts) != n:
            raise Malformed(f"{len(self.verdicts)} verdict(s) for {n} claim(s)")
        by_number = {v.claim: v for v in self.verdicts}
        numbered = sorted(by_number) == list(range(1, n + 1))
        return [v.verdict for v in ([by_number[i] for i in range(1, n + 1)] if numbered else self.verdicts)]


class GeneratedQuestions(BaseModel):
    """Questions the answer answers, and whether the answer is noncommittal (1) or not (0)."""

    questions: list[str]
    noncommittal: Literal[0, 1]

    @field_validator("questions")
    @classmethod
    def _tidy_questions(cls, questions: list[str]) -> list[str]:
        return _tidy(questions)


@cache
def prompt(name: str) -> Template:
    return Template(resources.files("evals").joinpath(f"prompts/{name}.txt").read_text(encoding="utf-8"))


def _fence(text: str) -> str:
    """Data cannot fake the blocks' delimiters."""
    text = text.replace("<<<", "‹‹‹").replace(">>>", "›››")
    return re.sub(r"\[(END) (PASSAGE|CLAIMS|ANSWER|QUESTION)", r"[\1-\2", " ".join(text.split()), flags=re.I)


def cosine(a: list[float], b: list[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


@dataclass
class Item:
    id: str
    question: str
    answer: str
    passages: list[tuple[str, str]]  # (label, text)


def judge_items(records: list[dict]) -> list[Item]:
    """Our answered records (not abstained, no error, some text): question, answer without markers, passages."""
    items = []
    for rec in records:
        ans = rec.get("answer") or {}
        text = strip_markers(ans.get("answer") or "")
        if ans.get("abstained") or ans.get("error") or rec.get("error") or not text:
            continue
        question = ans.get("standalone_question") or (rec.get("turns") or [ans.get("question", "")])[-1]
        seen, passages = set(), []
        for c in ans.get("citations") or ans.get("closest") or []:
            key = (c.get("source"), c.get("start"), c.get("end"))
            if key not in seen and c.get("text"):
                seen.add(key)
                passages.append((f"{c.get('source', '')}; section: {c.get('section') or '-'}", c["text"]))
        items.append(Item(str(rec["id"]), question, text, passages))
    return items


def _blocks(passages: list[tuple[str, str]], tag: str) -> str:
    return "\n\n".join(f"[PASSAGE {n} {tag}] (document: {_fence(label)})\n{_fence(text)}\n[END PASSAGE {n} {tag}]"
                       for n, (label, text) in enumerate(passages, 1))


class Judge:
    """Asks the chat model for each judgement as structured output (`with_structured_output` of the schemas above).

    The model's own structured-output support (JSON schema, tool calling) shapes the reply; a model without any
    raises NotImplementedError here, at once, rather than failing every judgement."""

    def __init__(self, model: BaseChatModel, embeddings: Embeddings, n_questions: int = N_QUESTIONS):
        self.embeddings, self.n_questions = embeddings, n_questions
        self.models = {schema: model.with_structured_output(schema) for schema in (Claims, Verdicts,
                                                                                   GeneratedQuestions)}

    def ask(self, name: str, schema: type[Reply], tag: str, **fields) -> Reply:
        """The reply to prompt `name` as a `schema`; JudgeUnavailable when the server fails, Malformed otherwise."""
        from langchain_core.messages import HumanMessage

        from assistant.llm import failure_kind

        try:
            reply = self.models[schema].invoke([HumanMessage(prompt(name).substitute(fields, tag=tag))])
        except Exception as exc:
            if failure_kind(exc) in {"timeout", "unreachable", "http"}:
                raise JudgeUnavailable(str(exc)) from exc
            raise Malformed(f"{type(exc).__name__}: {exc}") from exc
        if reply is None:  # a reply in prose, with no structured part
            raise Malformed(f"no {schema.__name__} in the reply")
        return reply

    def faithfulness(self, item: Item) -> tuple[float, list[str], list[str]]:
        """(score, claims, unsupported claims)."""
        tag = secrets.token_hex(4)
        claims = self.ask("judge_claims", Claims, tag, question=_fence(item.question),
                          answer=_fence(item.answer)).claims
        if not item.passages:
            return 0.0, claims, claims
        tag = secrets.token_hex(4)
        listed = "\n".join(f"{n}. {_fence(claim)}" for n, claim in enumerate(claims, 1))
        reply = self.ask("judge_verdicts", Verdicts, tag, passages=_blocks(item.passages, tag), claims=listed)
        verdicts = reply.in_claim_order(len(claims))
        unsupported = [c for c, v in zip(claims, verdicts, strict=True) if not v]
        return sum(verdicts) / len(claims), claims, unsupported

    def relevancy(self, item: Item) -> float:
        """Mean cosine of the generated questions to the asked one; 0 for a noncommittal answer."""
        reply = self.ask("judge_questions", GeneratedQuestions, secrets.token_hex(4), n=self.n_questions,
                         answer=_fence(item.answer))
        if reply.noncommittal:
            return 0.0
        if not reply.questions:
            raise Malformed("no questions")
        asked = self.embeddings.embed_query(item.question)
        generated = self.embeddings.embed_documents(reply.questions[: self.n_questions])
        return sum(cosine(asked, g) for g in generated) / len(generated)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def _judge_one(judge: Judge, item: Item, run: int) -> dict:
    """One item, one run: both scores (None when the judgement failed) and why."""
    out: dict = {"failures": []}
    for metric in METRICS:
        try:
            if metric == "faithfulness":
                out[metric], claims, out["unsupported"] = judge.faithfulness(item)
                out["claims"] = len(claims)
            else:
                out[metric] = judge.relevancy(item)
        except JudgeUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - an odd reply (NaN, Infinity, a huge number) is one failed judgement
            out[metric] = None
            out["failures"].append(f"run {run} {metric}: {exc if isinstance(exc, Malformed) else repr(exc)}")
    return out


def run_judge(model: BaseChatModel, embeddings: Embeddings, records: list[dict], *, runs: int = DEFAULT_RUNS,
              backend: str = "", n_questions: int = N_QUESTIONS, progress: bool = False,
              describe: Callable[[BaseException], str] | None = None) -> dict:
    """The results["judge"] section for our system's records. Never raises for the model's sake: a failing
    server ends the judge with `error` set, keeping the runs completed before it."""
    items = judge_items(records)
    judge = Judge(model, embeddings, n_questions)
    error = None
    completed: list[list[dict]] = []  # per run, per item
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=runs * len(items), desc="judge", unit="answer", file=sys.stderr, leave=False)
    try:
        for run in range(1, runs + 1):
            done = []
            for item in items:
                done.append(_judge_one(judge, item, run))
                if bar is not None:
                    bar.update(1)
            completed.append(done)
    except JudgeUnavailable as exc:
        reason = describe(exc.__cause__ or exc) if describe else str(exc)
        error = f"the LLM judge stopped in run {run} of {runs}: {reason}"
    finally:
        if bar is not None:
            bar.close()
    per_run = [{"run": r, "failed": sum(len(o["failures"]) for o in done), **{m: _mean(o[m] for o in done)
                                                                            for m in METRICS}}
               for r, done in enumerate(completed, 1)]
    per_question = {}
    for i, item in enumerate(items):
        ones = [done[i] for done in completed]
        last = next((o for o in reversed(ones) if "claims" in o), {})
        per_question[item.id] = {
            "question": item.question, **{m: _mean(o[m] for o in ones) for m in METRICS},
            **{f"{m}_runs": [_mean([o[m]]) for o in ones] for m in METRICS},
            "claims": last.get("claims"), "unsupported": last.get("unsupported", []),
            "failures": [f for o in ones for f in o["failures"]]}
    return {"backend": backend, "runs": runs, "answers": len(items),
            **{m: _mean(r[m] for r in per_run) for m in METRICS}, "per_run": per_run, "per_question": per_question,
            "failed_judgements": sum(r["failed"] for r in per_run), "error": error}


# -- report pieces (used by evals/report.py) -------------------------------------------------------------
TITLE = "LLM-judged (trend only, not gated)"


def judge_rows(section: dict) -> tuple[list[str], list[list[str]]]:
    """metric | mean | run 1 | run 2 | …"""
    runs = section.get("per_run") or []

    def f(v) -> str:
        return "–" if v is None else f"{v:.3f}"

    rows = [[label, f(section.get(key)), *(f(r.get(key)) for r in runs)]
            for key, label in (("faithfulness", "faithfulness"), ("answer_relevancy", "answer relevancy"))]
    rows.append(["failed judgements", str(section.get("failed_judgements", 0)), *(str(r["failed"]) for r in runs)])
    return ["metric", "mean", *(f"run {r['run']}" for r in runs)], rows


def judge_note(section: dict) -> str:
    done = len(section.get("per_run") or [])
    note = (f"Ours only, judged by {section.get('backend') or 'the configured LLM'}: {done} of {section.get('runs')} "
            f"run(s) over {section.get('answers')} answered question(s). A trend to watch, not gated by "
            "evals/thresholds.toml.")
    return note + (f" Error: {section['error']}" if section.get("error") else "")
