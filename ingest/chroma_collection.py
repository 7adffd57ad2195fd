"""The one module that reaches into langchain-chroma's `Chroma._collection` (the chromadb Collection under the
vector store) and `Chroma._client`: its count and a bare nearest-neighbour query have no public counterpart on
`Chroma` (`get()` lists every id, which a count of 100k chunks cannot afford), and the state that replicas share
(ingest/shared_state.py) is a collection of the same client. Everything else goes through the public `Chroma` API."""

from __future__ import annotations

from collections.abc import Sequence


def collection(store):
    """The chromadb Collection of a langchain `Chroma` store."""
    return store._collection


def client_of(store):
    """The chromadb client a langchain `Chroma` store was made with (the server's, with a Chroma server)."""
    return store._client


def chunk_count(store) -> int:
    """How many chunks the store holds (one cheap call, also on a Chroma server)."""
    return int(collection(store).count())


def bare_query(store, vector: Sequence[float], n: int, include: Sequence[str] = ("metadatas", "documents",
                                                                                 "distances")) -> dict:
    """One nearest-neighbour query with an embedded question and nothing around it: what the benchmarks time as
    "a bare query", and what the crash test uses to find a chunk by its vector."""
    return collection(store).query(query_embeddings=[list(map(float, vector))], n_results=n, include=list(include))


def name_of(store) -> str:
    """The chromadb collection's name (it differs per embedding model: ingest.manifest)."""
    return collection(store).name
