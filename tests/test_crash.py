"""SIGKILL `assistant ingest` at 20+ points, rerun it, and check the index equals a clean ingest.

Real model, real Chroma on disk, the real CLI (`assistant.cli` → run_ingest → ingest.pipeline). To keep it to a
minute or two, one driver process (this file run as a script) loads the model once and forks a child per run;
each child runs the CLI's `ingest` command with the preloaded model (the driver never runs inference: torch's
thread pool does not survive fork) and batches of 4 chunks, so the corpus (corpus/ plus generated files) spans
a dozen upserts. A kill point is a hook around a call the pipeline makes — inside the model's forward pass,
before/after a Chroma upsert or delete, before/after the manifest's os.replace, in the orphan sweep, while the
BM25 index is saved — or a timer; the hook sends SIGKILL to its own process. One point runs the CLI as a fresh
`python -m assistant ingest` subprocess instead of a fork.

Scenario "fresh": empty index, crash, rerun → must equal a clean ingest of the corpus.
Scenario "changed": index of v1; corpus becomes v2 (a file edited, one deleted, one added, a note extended);
crash; corpus becomes v3 (files change again between the crash and the rerun); rerun → must equal a clean v3.

"Equal" means: the same chunk ids, documents, metadata and (to 1e-4) embeddings; no duplicate ids; no orphans
(every stored id is in the manifest and vice versa); manifest not dirty and equal per file (hash, chunk ids);
saved texts equal; the BM25 index of the manifest's revision lists exactly the stored ids; HNSW queries find
each chunk by its own vector; no temporary files left.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from ingest.chroma_collection import bare_query

REPO = Path(__file__).resolve().parents[1]
BATCH = 4
SLOTS = 2  # jobs run two at a time (one core each)


# -- corpus versions ----------------------------------------------------------------------------------------

_WORDS = ("migration refugees labour remittances protection agencies coordination policy support return "
          "integration trafficking governments partners regional dialogue capacity development data rights "
          "health education women children workers mobility border asylum smuggling standards").split()


def _generated(seed: int, paragraphs: int, heading: str) -> str:
    rng = random.Random(seed)
    parts = [f"# {heading}", ""]
    for _ in range(paragraphs):
        sentences = []
        for _ in range(3):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 14))]
            sentences.append(" ".join(words).capitalize() + ".")
        parts += [" ".join(sentences), ""]
    return "\n".join(parts)


def write_version(corpus: Path, version: int) -> None:
    """corpus/ copied plus generated files; v2 and v3 edit, delete and add files (see the module docstring)."""
    if not corpus.exists():
        shutil.copytree(REPO / "corpus", corpus)
    gen = corpus / "gen"
    gen.mkdir(exist_ok=True)
    note = corpus / "srsg-gfmd-gmg-coordination-note.txt"
    original = (REPO / "corpus" / note.name).read_text(encoding="utf-8")
    files = {
        1: {"a.md": _generated(1, 6, "Alpha"), "b.txt": _generated(2, 6, "Beta"), "c.md": _generated(3, 6, "Gamma")},
        2: {"a.md": _generated(11, 7, "Alpha"), "c.md": _generated(3, 6, "Gamma"), "d.txt": _generated(4, 6, "Delta")},
        3: {"a.md": _generated(21, 5, "Alpha"), "b.txt": _generated(2, 6, "Beta"), "d.txt": _generated(41, 6, "Delta")},
    }[version]
    for old in gen.iterdir():
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        target = gen / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    extended = original + ("\nThe partners agreed to meet twice a year in Geneva to review the joint work plan.\n"
                           if version >= 2 else "")
    if version == 3:
        extended += "\nA short report on the meetings is shared with all GMG members.\n"
    if note.read_text(encoding="utf-8") != extended:
        note.write_text(extended, encoding="utf-8")


# -- the hooks a crash child installs ---------------------------------------------------------------------------

class Hooks:
    """Counts the pipeline's calls by kind; SIGKILLs this process at the `n`-th call of kind `kind`."""

    def __init__(self, kind: str | None = None, n: int = 0, data_dir: Path | None = None):
        self.kind, self.n, self.counts = kind, n, {}
        self.data_dir = Path(data_dir) if data_dir else None

    def hit(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind == self.kind and self.counts[kind] == self.n:
            os.kill(os.getpid(), signal.SIGKILL)

    def install(self, embeddings) -> None:
        import bm25s
        from chromadb.api.models.Collection import Collection

        hooks = self
        upsert, delete, get = Collection.upsert, Collection.delete, Collection.get

        def upsert_hook(coll, *args, **kwargs):
            hooks.hit("before-upsert")
            result = upsert(coll, *args, **kwargs)
            hooks.hit("after-upsert")
            return result

        def delete_hook(coll, *args, **kwargs):
            hooks.hit("before-delete")
            result = delete(coll, *args, **kwargs)
            hooks.hit("after-delete")
            return result

        def get_hook(coll, *args, **kwargs):
            if kwargs.get("ids") is None:  # a full scan: the crash re-check and the orphan sweep
                hooks.hit("scan")
            return get(coll, *args, **kwargs)

        Collection.upsert, Collection.delete, Collection.get = upsert_hook, delete_hook, get_hook
        replace = os.replace

        def replace_hook(src, dst, *args, **kwargs):
            name = os.fspath(dst)
            kind = "manifest" if "manifests" in name else "text" if "texts" in name else None
            if kind:
                hooks.hit(f"before-{kind}-replace")
            replace(src, dst, *args, **kwargs)
            if kind:
                hooks.hit(f"after-{kind}-replace")

        os.replace = replace_hook
        save = bm25s.BM25.save

        def bm25_save(index, *args, **kwargs):
            save(index, *args, **kwargs)
            hooks.hit("bm25-save")

        bm25s.BM25.save = bm25_save
        # Inside the model: after the transformer layers ran, before pooling (mid `encode`).
        embeddings._client[0].register_forward_hook(lambda *_: hooks.hit("forward"))


def cli_ingest(embeddings, data_dir: Path, corpus: Path, hooks: Hooks | None = None, timer: float | None = None):
    """The real `assistant ingest --json` command, in this (forked) process, with the preloaded model."""
    import functools

    import assistant.embeddings
    import assistant.indexing
    import ingest.pipeline
    from assistant.cli import app

    os.environ.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_CORPUS_DIR=str(corpus))
    assistant.embeddings.build_embeddings = lambda settings: embeddings
    assistant.indexing.ingest = functools.partial(ingest.pipeline.ingest, batch_size=BATCH)
    if hooks is not None:
        hooks.install(embeddings)
    if timer is not None:
        import threading

        threading.Timer(timer, os.kill, (os.getpid(), signal.SIGKILL)).start()
    app(["ingest", "--json"], standalone_mode=False)


# -- reading an index back ---------------------------------------------------------------------------------------

def snapshot(embeddings, data_dir: Path, corpus: Path) -> dict:
    from assistant.chain import manifest_path
    from assistant.settings import Settings
    from assistant.store import build_store, collection_name
    from ingest.manifest import Manifest

    settings = Settings(_env_file=None, data_dir=data_dir, corpus_dir=corpus, query_embedder="sentence-transformers")
    name = collection_name(settings.collection, embeddings.model_id)
    store = build_store(settings, embeddings)
    got = store.get(include=["documents", "metadatas", "embeddings"])
    ids = list(got["ids"])
    manifest = Manifest.load(manifest_path(settings, name))
    listed = [cid for entry in manifest.files.values() for cid in entry.chunk_ids]
    bm25 = data_dir / "bm25" / name / f"rev-{manifest.revision}" / "ids.json"
    probe_ids = ids[:: max(1, len(ids) // 6)]
    hnsw_ok = True
    for cid in probe_ids:
        vector = got["embeddings"][ids.index(cid)]
        hit = bare_query(store, vector, 1, include=())
        hnsw_ok &= hit["ids"][0][:1] == [cid]
    texts = data_dir / "texts"
    leftovers = [p.name for p in (data_dir / "manifests").glob("*.tmp*")]
    leftovers += [p.name for p in texts.glob(".*")] if texts.is_dir() else []
    leftovers += [p.name for p in (data_dir / "bm25" / name).glob("*.tmp*")]
    return {
        "ids": sorted(ids),
        "duplicates": len(ids) - len(set(ids)) + len(listed) - len(set(listed)),
        "docs": {cid: [doc, meta] for cid, doc, meta in zip(ids, got["documents"], got["metadatas"], strict=True)},
        "vectors": {cid: [round(float(x), 6) for x in v] for cid, v in zip(ids, got["embeddings"], strict=True)},
        "manifest": {src: [e.sha256, e.fingerprint, e.chunk_ids, e.title] for src, e in manifest.files.items()},
        "dirty": manifest.dirty,
        "manifest_ids": sorted(set(listed)),
        "bm25_ids": sorted(json.loads(bm25.read_text())) if bm25.is_file() else None,
        "hnsw_ok": hnsw_ok,
        "texts": {p.name: p.read_text(encoding="utf-8") for p in sorted(texts.glob("*.txt"))} if texts.is_dir() else {},
        "leftovers": leftovers,
    }


def differences(snap: dict, clean: dict) -> list[str]:
    problems = []
    if snap["ids"] != clean["ids"]:
        extra, missing = set(snap["ids"]) - set(clean["ids"]), set(clean["ids"]) - set(snap["ids"])
        problems.append(f"chunk ids differ: {len(extra)} extra, {len(missing)} missing")
    if snap["duplicates"]:
        problems.append(f"{snap['duplicates']} duplicate ids")
    if snap["manifest_ids"] != snap["ids"]:
        problems.append("manifest and store disagree (orphans or missing chunks)")
    if snap["dirty"]:
        problems.append("manifest left dirty")
    if snap["manifest"] != clean["manifest"]:
        problems.append("manifest entries differ from a clean ingest")
    if snap["docs"] != clean["docs"]:
        problems.append("documents or metadata differ")
    common = set(snap["vectors"]) & set(clean["vectors"])
    worst = max((max(abs(a - b) for a, b in zip(snap["vectors"][c], clean["vectors"][c], strict=True))
                 for c in common), default=0.0)
    if worst > 1e-4:
        problems.append(f"embeddings differ by up to {worst:.2g}")
    if snap["bm25_ids"] != snap["ids"]:
        problems.append("BM25 index of the manifest revision does not list the stored ids")
    if not snap["hnsw_ok"]:
        problems.append("HNSW query does not find chunks by their own vectors")
    if snap["texts"] != clean["texts"]:
        problems.append("saved texts differ")
    if snap["leftovers"]:
        problems.append(f"temporary files left: {snap['leftovers']}")
    return problems


# -- the driver (this file as a script) --------------------------------------------------------------------------

def _fork(target, out: Path, *args, timeout: float = 600) -> int:
    """Run target(*args) in a forked child (its JSON result → out); return the raw wait status."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            log = os.open(str(out.with_suffix(".log")), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            import torch

            torch.set_num_threads(1)
            result = target(*args)
            out.write_text(json.dumps(result))
            code = 0
        except BaseException:  # noqa: BLE001 - the child reports everything, then exits
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -1
        time.sleep(0.05)


def _clean_run(embeddings, data_dir, corpus, counts_from=None):
    hooks = Hooks()
    started = time.perf_counter()
    cli_ingest(embeddings, data_dir, corpus, hooks)
    return {"seconds": time.perf_counter() - started, "counts": hooks.counts,
            "snapshot": snapshot(embeddings, data_dir, corpus)}


def _crash_run(embeddings, data_dir, corpus, kind, n, timer):
    cli_ingest(embeddings, data_dir, corpus, None if kind == "timer" else Hooks(kind, n, data_dir),
               timer if kind == "timer" else None)
    return {"finished": True}


def _rerun(embeddings, data_dir, corpus):
    import io
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        cli_ingest(embeddings, data_dir, corpus)
    report = json.loads(buffer.getvalue().strip().splitlines()[-1])
    return {"report": report, "snapshot": snapshot(embeddings, data_dir, corpus)}


def _subprocess_crash(data_dir: Path, corpus: Path, kind: str, n: int) -> int:
    """A fresh `python -m assistant ingest --json` process, killed by a hook installed before the CLI runs."""
    tests = str(Path(__file__).parent)
    code = (
        f"import sys, functools, runpy; sys.path.insert(0, {tests!r})\n"
        "import test_crash, assistant.indexing, ingest.pipeline\n"
        f"assistant.indexing.ingest = functools.partial(ingest.pipeline.ingest, batch_size={BATCH})\n"
        "import assistant.embeddings as E; _build = E.build_embeddings\n"
        "def build(settings):\n"
        f"    emb = _build(settings); test_crash.Hooks({kind!r}, {n}).install(emb); return emb\n"
        "E.build_embeddings = build\n"
        "sys.argv = ['assistant', 'ingest', '--json']\n"
        "runpy.run_module('assistant', run_name='__main__', alter_sys=True)\n"
    )
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_QUERY_EMBEDDER": "sentence-transformers", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=600)
    return proc.returncode


def _spread(count: int, k: int) -> list[int]:
    """k call numbers spread evenly over 1..count."""
    if count <= 0:
        return []
    return sorted({max(1, min(count, round(1 + i * (count - 1) / max(1, k - 1)))) for i in range(k)})


def _plan(counts: dict, seconds: float, scenario: str) -> list[tuple[str, int, float | None]]:
    c = counts
    if scenario == "fresh":
        points = [("forward", n, None) for n in _spread(c.get("forward", 0), 3)]
        points += [("after-upsert", n, None) for n in _spread(c.get("after-upsert", 0), 3)]
        points += [("before-upsert", max(1, c.get("before-upsert", 0) // 2), None)]
        points += [("before-manifest-replace", n, None) for n in _spread(c.get("before-manifest-replace", 0), 2)]
        points += [("after-manifest-replace", c.get("after-manifest-replace", 0), None)]
        points += [("before-text-replace", 2, None), ("scan", 1, None), ("bm25-save", 1, None)]
        points += [("timer", 0, seconds * 0.4)]
        points += [("subprocess:after-upsert", max(1, c.get("after-upsert", 0) // 2), None)]
    else:
        points = [("forward", n, None) for n in _spread(c.get("forward", 0), 2)]
        points += [("after-upsert", 1, None)]
        points += [("before-delete", n, None) for n in _spread(c.get("before-delete", 0), 2)]
        points += [("after-delete", n, None) for n in _spread(c.get("after-delete", 0), 2)]
        points += [("before-manifest-replace", n, None) for n in _spread(c.get("before-manifest-replace", 0), 2)]
        points += [("timer", 0, seconds * 0.5)]
        # Killed again while the rerun repairs (a run that starts dirty: in its closing sweep), then rerun.
        points += [("double:after-upsert:before-delete", 1, None)]
    return points


def _job(embeddings, base: Path, scenario: str, index: int, point, start_data: Path | None) -> dict:
    """One kill point: prepare, crash (in a child or a subprocess), change the corpus if asked, rerun, read back."""
    kind, n, timer = point
    work = base / f"{scenario}-{index:02d}"
    data, corpus = work / "data", work / "corpus"
    if start_data is not None:
        shutil.copytree(start_data, data)
    write_version(corpus, 1 if scenario == "fresh" else 2)
    started = time.perf_counter()
    if kind.startswith("subprocess:"):
        code = _subprocess_crash(data, corpus, kind.split(":", 1)[1], n)
        killed = code == -signal.SIGKILL
    elif kind.startswith("double:"):
        _, first_kind, second_kind = kind.split(":")
        first = _fork(_crash_run, work / "crash.json", embeddings, data, corpus, first_kind, n, None)
        second = _fork(_crash_run, work / "crash2.json", embeddings, data, corpus, second_kind, n, None)
        killed = all(os.WIFSIGNALED(s) and os.WTERMSIG(s) == signal.SIGKILL for s in (first, second))
    else:
        status = _fork(_crash_run, work / "crash.json", embeddings, data, corpus, kind, n, timer)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    crash_seconds = time.perf_counter() - started
    manifest = next((data / "manifests").glob("*.json"), None) if (data / "manifests").is_dir() else None
    dirty = json.loads(manifest.read_text())["dirty"] if manifest else None
    if scenario == "changed":
        write_version(corpus, 3)
    status = _fork(_rerun, work / "rerun.json", embeddings, data, corpus)
    result = {"scenario": scenario, "point": f"{kind}#{n}" if timer is None else f"timer@{timer:.1f}s",
              "killed": killed, "dirty_after_crash": dirty, "crash_s": round(crash_seconds, 2),
              "rerun_status": status}
    if status == 0:
        rerun = json.loads((work / "rerun.json").read_text())
        result.update(report=rerun["report"], snapshot=rerun["snapshot"])
    else:
        log = work / "rerun.log"
        result["error"] = log.read_text()[-3000:] if log.exists() else "no log"
    return result


def driver(base: Path) -> dict:
    os.environ.update(TOKENIZERS_PARALLELISM="false", ASSISTANT_QUERY_EMBEDDER="sentence-transformers",
                      HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    sys.path.insert(0, str(Path(__file__).parent))
    import bm25s  # noqa: F401 - imported once here, so forked children start fast
    import chromadb  # noqa: F401
    import langchain_chroma  # noqa: F401

    import assistant.cli  # noqa: F401
    import assistant.indexing  # noqa: F401
    from assistant.embeddings import build_embeddings
    from assistant.settings import Settings

    started = time.perf_counter()
    embeddings = build_embeddings(Settings(_env_file=None, query_embedder="sentence-transformers"))
    base.mkdir(parents=True, exist_ok=True)
    # Clean references: v1 from empty (also the start of the "changed" scenario), v3 from empty, v1 → v2.
    refs = {}
    for name, version, start in (("clean-v1", 1, None), ("clean-v3", 3, None), ("count-v2", 2, "clean-v1")):
        work = base / name
        if start:
            shutil.copytree(base / start / "data", work / "data")
        write_version(work / "corpus", 1 if start else version)
        if start:
            write_version(work / "corpus", version)
        status = _fork(_clean_run, work / "out.json", embeddings, work / "data", work / "corpus")
        if status != 0:
            return {"error": f"{name} failed: {(work / 'out.log').read_text()[-3000:]}"}
        refs[name] = json.loads((work / "out.json").read_text())
    jobs = [("fresh", p, None) for p in _plan(refs["clean-v1"]["counts"], refs["clean-v1"]["seconds"], "fresh")]
    jobs += [("changed", p, base / "clean-v1" / "data")
             for p in _plan(refs["count-v2"]["counts"], refs["count-v2"]["seconds"], "changed")]
    results, running = [], {}
    for index, (scenario, point, start) in enumerate(jobs):
        while len(running) >= SLOTS:
            results.append(_reap(running))
        out = base / f"job-{index:02d}.json"
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                out.write_text(json.dumps(_job(embeddings, base, scenario, index, point, start)))
                code = 0
            except BaseException:  # noqa: BLE001
                out.with_suffix(".err").write_text(traceback.format_exc())
            finally:
                os._exit(code)
        running[pid] = out
    while running:
        results.append(_reap(running))
    for r in results:
        if "snapshot" in r:
            clean = refs["clean-v1" if r["scenario"] == "fresh" else "clean-v3"]["snapshot"]
            r["problems"] = differences(r.pop("snapshot"), clean)
    return {"seconds": round(time.perf_counter() - started, 1), "results": results,
            "clean_chunks": {"v1": len(refs["clean-v1"]["snapshot"]["ids"]),
                             "v3": len(refs["clean-v3"]["snapshot"]["ids"])},
            "counts": {"fresh": refs["clean-v1"]["counts"], "changed": refs["count-v2"]["counts"]}}


def _reap(running: dict) -> dict:
    pid, status = os.wait()
    out = running.pop(pid)
    if status == 0 and out.exists():
        return json.loads(out.read_text())
    err = out.with_suffix(".err")
    return {"point": str(out.name), "error": err.read_text()[-3000:] if err.exists() else f"job status {status}"}


# -- the test ----------------------------------------------------------------------------------------------------

def test_sigkill_anywhere_then_rerun_equals_a_clean_ingest(tmp_path):
    proc = subprocess.run([sys.executable, __file__, str(tmp_path / "crash")], capture_output=True, text=True,
                          timeout=850, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "error" not in outcome, outcome["error"]
    results = outcome["results"]
    lines = [f"{r.get('scenario', '?'):8} {r.get('point', '?'):32} killed={r.get('killed')} "
             f"dirty={r.get('dirty_after_crash')} embedded_on_rerun={r.get('report', {}).get('embedded')} "
             f"{'OK' if not r.get('problems') and 'error' not in r else r.get('problems') or r.get('error')}"
             for r in results]
    print(f"\n{len(results)} kill points in {outcome['seconds']} s; clean index {outcome['clean_chunks']} chunks")
    print("\n".join(lines))
    errors = [r for r in results if "error" in r]
    assert not errors, errors[0]["error"]
    killed = [r for r in results if r["killed"]]
    assert len(killed) >= 20, f"only {len(killed)} of {len(results)} points killed the ingest:\n" + "\n".join(lines)
    assert {r["scenario"] for r in killed} == {"fresh", "changed"}
    bad = [line for r, line in zip(results, lines, strict=True) if r.get("problems")]
    assert not bad, "\n".join(bad)


if __name__ == "__main__":
    print(json.dumps(driver(Path(sys.argv[1]))))
