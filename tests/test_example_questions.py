"""The corpus' example questions (corpus/example_questions.jsonl): read as data, matched to the sentences the reader
splits, and compared with the user's question by the reader (`dense_asked`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import CORPUS
from langchain_core.documents import Document

from assistant.answering.example_questions import EXAMPLE_QUESTIONS, ExampleQuestions, ExampleQuestionsError, fold
from assistant.answering.reader import Reader


def _documents(assistant) -> list[Document]:
    got = assistant.store.get(include=["documents", "metadatas"])
    return [Document(page_content=text, metadata=meta, id=i)
            for i, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]


def test_every_example_question_belongs_to_a_sentence_the_reader_splits(assistant):
    """A sentence edited in the notes leaves its questions behind: this fails until the file follows."""
    examples = ExampleQuestions.load(CORPUS / EXAMPLE_QUESTIONS)
    sentences = {(c.source, fold(c.text)) for c in assistant.answerer.reader.candidates(_documents(assistant))}
    assert len(examples) > 100
    assert set(examples.by_sentence) <= sentences, sorted(set(examples.by_sentence) - sentences)[:3]
    # 5 each; the GMG sentence a footnote had split in two (2026-12-04) kept both halves' questions: 10
    rejoined = [k for k, q in examples.by_sentence.items() if len(q) == 10]
    assert [(source, s[:40]) for source, s in rejoined] == [
        ("srsg-gfmd-gmg-coordination-note.txt", "The Global Migration Group (GMG) is an i")]
    assert all(len(q) == 5 for k, q in examples.by_sentence.items() if k not in rejoined)


def test_the_reader_compares_the_question_with_a_sentences_example_questions(assistant):
    reader = assistant.answerer.reader
    assert len(reader.examples) > 100, "the assistant reads with the corpus' example questions"
    source, sentence = next(k for k, qs in reader.examples.by_sentence.items() if "statistics" in k[1])
    question = next(q for q in reader.examples.of(source, sentence) if "statistics" not in q.lower())
    docs = _documents(assistant)
    holding = [d for d in docs if sentence in fold(d.page_content)]
    candidates = reader.candidates(holding[:1] + [d for d in docs if d not in holding][:2])
    reader.featurize(question, candidates)
    (cand,) = [c for c in candidates if (c.source, fold(c.text)) == (source, sentence)]
    assert cand.features["dense_asked"] > cand.features["dense_alone"] + 0.2  # asked in the very words
    others = [c for c in candidates if not reader.examples.of(c.source, c.text)]
    assert others and all(c.features["dense_asked"] == c.features["dense_alone"] for c in others)


def test_without_the_file_a_reader_reads_each_sentence_alone(assistant):
    reader = assistant.answerer.reader
    plain = Reader(reader.embeddings, reader.keyword, reader.glossary, reader.model)
    candidates = plain.candidates(_documents(assistant)[:4])
    plain.featurize("who counts migrants worldwide?", candidates)
    assert len(plain.examples) == 0
    assert all(c.features["dense_asked"] == c.features["dense_alone"] for c in candidates)


def test_the_file_is_read_as_data(tmp_path):
    assert len(ExampleQuestions.load(tmp_path / "missing.jsonl")) == 0
    path = tmp_path / EXAMPLE_QUESTIONS
    path.write_text("\n".join([
        json.dumps({"about": "how it was made"}),
        json.dumps({"source": "a.txt", "sentence": "The  GMG\nmeets.", "questions": ["when does it meet?", " "]}),
        "",
        json.dumps({"source": "a.txt", "sentence": "The GMG meets.", "questions": ["how often  does it meet?"]}),
    ]), encoding="utf-8")
    examples = ExampleQuestions.load(path)
    assert examples.of("a.txt", "The GMG\n  meets.") == ("when does it meet?", "how often does it meet?")
    assert examples.of("b.txt", "The GMG meets.") == ()
    assert examples.digest != ExampleQuestions().digest


@pytest.mark.parametrize("line", ['{"source": "a.txt", "sentence": "x"}', '{"sentence": "x", "questions": []}',
                                  "not json", '{"source": "a.txt", "sentence": "x", "questions": [1]}',
                                  '{"source": "a.txt", "sentence": "x", "questions": "one question"}',
                                  '{"source": "a.txt", "sentence": "x\xe9", "questions": []}'])
def test_a_bad_line_is_refused_in_one_line_naming_it(tmp_path, line):
    path = tmp_path / EXAMPLE_QUESTIONS
    data = (json.dumps({"about": "header"}) + "\n" + line + "\n").encode("utf-8")
    path.write_bytes(data.replace("\xe9".encode(), b"\xe9"))  # a Latin-1 byte: not UTF-8
    with pytest.raises(ExampleQuestionsError) as err:
        ExampleQuestions.load(path)
    assert f"{path}:2 " in str(err.value) and "\n" not in str(err.value)


def test_a_threshold_calibrated_with_other_example_questions_is_not_reused(assistant, ingested, tmp_path):
    """The example questions move the answerability logits, so a saved calibration is keyed to them too."""
    from assistant.chain import calibrated

    settings = ingested.model_copy(update={"data_dir": tmp_path})
    answerer = assistant.answerer
    args = (settings, "gmg", assistant.manifest, assistant.retriever, answerer)
    calibrated(*args)
    saved = tmp_path / "profiles" / "gmg.json"
    with_examples = json.loads(saved.read_text())["model"]
    reader = answerer.reader
    try:
        answerer.reader = replace_examples(reader, ExampleQuestions())
        without = calibrated(*args)
        assert json.loads(saved.read_text())["model"] != with_examples
        assert without.model.endswith("-none")
    finally:
        answerer.reader = reader


def replace_examples(reader: Reader, examples: ExampleQuestions) -> Reader:
    return Reader(reader.embeddings, reader.keyword, reader.glossary, reader.model, examples)


def test_the_example_questions_rank_passages_at_search_time(assistant, embeddings):
    """doc2query at retrieval: a chunk is found through the questions written for its sentences (a third ranking
    fused with the dense and BM25 ones), whatever words the question shares with it."""
    asked = assistant.retriever.asked
    examples = assistant.answerer.reader.examples
    assert asked is not None and len(set(asked.chunk_ids)) > 30 and len(asked.chunk_ids) >= 5 * len(examples)
    (source, sentence), questions = next((k, qs) for k, qs in examples.by_sentence.items() if "statistics" in k[1])
    question = next(q for q in questions if "statistics" not in q.lower())
    hits = asked.search(embeddings.embed_query(question), k=3)
    got = assistant.store.get(ids=[c for c, _ in hits])
    texts = dict(zip(got["ids"], got["documents"], strict=True))
    assert sentence in fold(texts[hits[0][0]]), "its own sentence's chunk comes first"
    assert hits[0][1] > hits[1][1]
    assert asked.search(embeddings.embed_query(question), k=3, allowed={hits[1][0]}) == [hits[1]]  # a filter holds
    found = assistant.retriever.invoke(question)
    assert any(sentence in fold(d.page_content) for d in found[: assistant.settings.top_k])


def test_a_corpus_without_example_questions_has_no_third_ranking(assistant):
    from assistant.answering.example_questions import AskedIndex
    from assistant.retrieval import fuse

    assert AskedIndex.build(replace_examples(assistant.answerer.reader, ExampleQuestions()), assistant.store) is None
    dense, keyword = ["a", "b", "c"], ["c", "d"]
    two = fuse(dense, keyword, {}, {}, "rrf")
    assert two == fuse(dense, keyword, {}, {}, "rrf", asked=[])
    three = fuse(dense, keyword, {}, {}, "rrf", asked=["d"])
    assert three["d"] > two["d"] and three["a"] == two["a"]


def test_the_question_vectors_are_saved_once_and_read_back_at_the_next_start(assistant, ingested, tmp_path):
    """A start reads the vectors an earlier build saved beside the calibration instead of encoding every example
    question again (about a second); a file for other questions, or a damaged one, is not used."""
    import shutil

    from assistant.chain import build_assistant

    data = shutil.copytree(ingested.data_dir, tmp_path / "data")
    built = build_assistant(ingested.model_copy(update={"data_dir": data}), embeddings=assistant.embeddings)
    kind = type(built.embeddings).__name__
    (saved,) = (data / "profiles").glob(f"*.examples-*-{kind}-*.npz")  # this file, embedder and code
    examples = ExampleQuestions.load(CORPUS / EXAMPLE_QUESTIONS)
    assert examples.digest in saved.name and examples.load_vectors(saved)
    key = next(iter(examples.by_sentence))
    fresh = ExampleQuestions(examples.by_sentence)
    fresh.prepare([key], assistant.answerer.reader.encoder)  # encoded now, by the model
    assert np.allclose(examples.vectors(*key, encoder=None), fresh.vectors(*key, encoder=None), atol=1e-5)
    other = tmp_path / EXAMPLE_QUESTIONS
    other.write_text(json.dumps({"source": "a.txt", "sentence": "The GMG meets.", "questions": ["when?"]}) + "\n",
                     encoding="utf-8")
    assert not ExampleQuestions.load(other).load_vectors(saved)
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(saved.read_bytes()[:100])
    assert not ExampleQuestions.load(CORPUS / EXAMPLE_QUESTIONS).load_vectors(damaged)
    assert not ExampleQuestions.load(CORPUS / EXAMPLE_QUESTIONS).load_vectors(tmp_path / "missing.npz")


def test_a_sentence_is_found_in_the_chunks_holding_it_not_in_those_naming_it(assistant):
    """The members list's item "World Bank" has example questions; the World Bank's own section names the bank in
    every sentence but does not hold that item, so its questions rank only the list's chunk."""
    from assistant.answering.example_questions import sentence_chunks

    held = sentence_chunks(assistant.answerer.reader, assistant.store)
    (key,) = [k for k in held if k[1] == "World Bank"]
    got = assistant.store.get(ids=held[key], include=["metadatas"])
    assert [m["section"] for m in got["metadatas"]] == ["Who is the GMG?"]
    assert set(held) == set(assistant.answerer.reader.examples.by_sentence)  # the shipped file names no stale one


def test_a_sentence_listed_with_no_questions_is_skipped(tmp_path):
    path = tmp_path / EXAMPLE_QUESTIONS
    line = json.dumps({"source": "a.txt", "sentence": "See page 2.", "questions": []})
    path.write_text(line + "\n", encoding="utf-8")
    assert len(ExampleQuestions.load(path)) == 0


def test_vectors_that_cannot_be_saved_are_skipped_and_leave_nothing(tmp_path):
    """A data folder that cannot be written (here a file stands where the profiles folder would be: a read-only
    mount does the same, and root ignores permission bits) costs the next start an encode, never the start."""

    class Pooled:
        def __init__(self, n: int):
            self.vector = np.full(3, float(n), dtype=np.float32)

        def pooled(self):
            return self.vector

    class Encoder:
        def encode(self, texts):
            return [Pooled(i) for i, _ in enumerate(texts)]

    examples = ExampleQuestions({("a.txt", "The GMG meets."): ("when?", "how often?")})
    examples.prepare(list(examples.by_sentence), Encoder())
    blocker = tmp_path / "data"
    blocker.write_text("not a folder", encoding="utf-8")
    examples.save_vectors(blocker / "profiles" / "gmg.examples.npz")  # no error (it raised before 2026-12-04)
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    taken = tmp_path / "taken" / "gmg.examples.npz"
    taken.mkdir(parents=True)  # the temporary file is written, then cannot replace a folder: it is removed
    examples.save_vectors(taken)
    assert taken.is_dir() and [p.name for p in taken.parent.iterdir()] == ["gmg.examples.npz"]
    examples.save_vectors(tmp_path / "ok" / "gmg.examples.npz")  # a folder that can be written: saved, read back
    again = ExampleQuestions(examples.by_sentence)
    assert again.load_vectors(tmp_path / "ok" / "gmg.examples.npz")
    assert again.vectors("a.txt", "The GMG meets.", encoder=None).tolist() == [[0.0] * 3, [1.0] * 3]


def test_the_search_takes_each_chunks_best_question_ties_by_id():
    from assistant.answering.example_questions import AskedIndex

    index = AskedIndex(("b", "a", "b", "c"), np.eye(4, dtype=np.float32)[[0, 0, 1, 2]])  # "b" has two rows
    query = np.array([1.0, 1.0, 0.0, 0.0], dtype=np.float32)  # a tie: "a" and "b" both at 0.707
    assert [cid for cid, _ in index.search(query, 10)] == ["a", "b", "c"]  # k beyond the chunks: all of them
    assert [cid for cid, _ in index.search(query, 1)] == ["a"]
    assert index.search(np.array([0.0, 1.0, 0.0, 0.0]), 1) == [("b", 1.0)]  # its second row
    assert [cid for cid, _ in index.search(query, 10, {"c", "elsewhere"})] == ["c"]
    assert index.search(query, 10, set()) == []
    with pytest.raises(ValueError, match="2 chunk ids for 1 question vectors"):
        AskedIndex(("a", "b"), np.ones((1, 4), dtype=np.float32))
