"""Text-to-IMU and IMU-to-text search: embeddings kept with their metadata in a ``datasets.Dataset`` with a FAISS index.

    >>> embedder = load_pipeline("imu-feature-extraction", model=folder)
    >>> windows = build_imu_index("path/to/corpus", embedder, split="test")   # or a Hub id, or a Dataset
    >>> windows.save("outputs/index")
    >>> windows = EmbeddingIndex.load("outputs/index")
    >>> search_text(windows, "a person climbs stairs", k=5)[0]                 # -> the 5 best windows, with metadata
    >>> captions = build_caption_index(corpus_captions(dataset), embedder)
    >>> search_imu(captions, recording, embedder, k=3, sampling_rate=50, channel_names=[...])

An :class:`EmbeddingIndex` holds unit embeddings of one modality (IMU windows or captions) in the ``embedding``
column of a dataset whose other columns are their metadata (for IMU windows: the row of the source corpus, activity,
captions, subject, ...). A FAISS index is attached to that column (``Dataset.add_faiss_index_from_external_arrays``,
``save_faiss_index`` / ``load_faiss_index``); scores are inner products, i.e. cosine similarities.

Index kinds:

- ``"exact"`` (default): every embedding is scored. FAISS scans a float16 copy (half the memory traffic of float32,
  the bound of a scan), then the candidates are re-scored in float64 from the float32 embeddings. float16 storage
  moves an inner product by at most ``2**-10 |q| max|x|``, so every true top-k item scores within twice that of
  the k-th scanned score; the candidate list is widened until it provably holds all of them. The results are those
  of brute force (ties aside).
- ``"flat"``: ``faiss.IndexFlatIP``, a float32 scan (exact, about twice the scan time of ``"exact"``).
- ``"hnsw"``: ``HNSW32,Flat`` graph (approximate; ``efSearch=128``). Build time grows with the collection
  (minutes per million windows); queries take about a millisecond.
- ``"ivf"``: ``IVF{nlist},Flat`` with ``nlist = 4 sqrt(N)`` lists trained on a random sample (approximate;
  ``nprobe = max(16, nlist / 8)``). Fast to build; a query scans ``nprobe / nlist`` of the collection, which
  finds the neighbours when the embeddings cluster (as activities do) and misses many on unclustered data.

Past a few million windows an exact scan exceeds tens of milliseconds per query on a few cores: use ``"hnsw"`` (or
``"ivf"`` when build time matters) and tune ``search_parameters`` (FAISS ``ParameterSpace`` syntax, e.g.
``"efSearch=256"`` or ``"nprobe=64"``) against the exact index on a sample of queries.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from datasets import Dataset, Features, List, Value, load_from_disk
from datasets.fingerprint import generate_random_fingerprint
from tqdm.auto import tqdm

from ..outputs import building_folder, check_replaceable, refuse_to_overwrite
from .corpora import CorpusSplit, load_corpus_split, metadata_columns, run_over_corpus
from .metrics import load_metric

EMBEDDING_COLUMN = "embedding"
RETRIEVAL_FILES = {"hits": "hits.json", "windows": "retrieved.png"}  # what imu-foundation retrieve writes
INDEX_KINDS = ("exact", "flat", "hnsw", "ivf")
FILES = {"dataset": "dataset", "index": "index.faiss", "info": "index_info.json"}
INDEX_FORMAT = "imu-foundation-embedding-index"
# Largest change of a stored unit vector's inner product with a query q from its float16 copy, in units of |q|:
# rounding to float16 moves each component by at most 2**-11 of itself, and the float32 sums of D <= 4096 products
# add less than another 2**-11.
FLOAT16_SCORE_ERROR = 2.0**-10
MAX_EXACT_DIM = 4096
UNIT_NORM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class IndexInfo:
    """What an :class:`EmbeddingIndex` holds, saved as ``index_info.json``.

    Attributes:
        modality: ``"imu"`` (windows) or ``"text"`` (captions).
        kind: one of :data:`INDEX_KINDS`.
        dim: embedding size.
        count: number of embeddings.
        model: the checkpoint (folder or Hub id) that made the embeddings; queries must use the same.
        source: the corpus (folder or Hub id) and split of IMU windows (``row`` is their position in it).
        factory: the FAISS index description.
        search_parameters: FAISS ``ParameterSpace`` settings applied after loading (approximate kinds).
    """

    modality: str
    kind: str
    dim: int
    count: int
    model: str | None = None
    source: dict[str, str | None] | None = None
    factory: str = ""
    search_parameters: str = ""


@dataclass(frozen=True)
class Hit:
    """One search result: ``row`` in the index, its cosine ``score`` and its metadata (a dict of columns)."""

    row: int
    score: float
    metadata: dict[str, Any]


class EmbeddingIndex:
    """Unit embeddings with their metadata in a ``datasets.Dataset``, searchable through a FAISS index.

    Build with :meth:`from_embeddings`, :func:`build_imu_index` or :func:`build_caption_index`; keep with
    :meth:`save` / :meth:`load`.
    """

    def __init__(self, dataset: Dataset, info: IndexInfo, vectors: np.ndarray):
        # dataset: the metadata and embedding columns, FAISS index attached; vectors: the embedding column as (N, D).
        self.dataset = dataset
        self.info = info
        self._vectors = vectors
        self._max_norm = float(np.sqrt(_squared_norms(vectors).max()))

    # ------------------------------------------------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------------------------------------------------
    @classmethod
    def from_embeddings(
        cls,
        embeddings: np.ndarray,
        metadata: Dataset | dict[str, Sequence] | None = None,
        *,
        modality: str,
        kind: str = "exact",
        model: str | None = None,
        source: dict[str, str | None] | None = None,
        seed: int = 0,
        copy: bool = True,
    ) -> EmbeddingIndex:
        """An index of ``embeddings (N, D)`` (unit vectors) with ``metadata`` (N rows of columns).

        Args:
            modality: ``"imu"`` or ``"text"``.
            kind: one of :data:`INDEX_KINDS` (see the module docstring).
            model: the checkpoint that made the embeddings (recorded, for queries).
            source: ``{"corpus": ..., "split": ...}`` of IMU windows.
            seed: the random training sample of ``"ivf"``.
            copy: ``False`` lets the index use the memory of ``embeddings`` when they are C-contiguous float32
                (then they must not change afterwards); ``True`` gives it its own copy.
        """
        vectors = _check_embeddings(embeddings, copy)
        if modality not in ("imu", "text"):
            raise ValueError(f"modality must be 'imu' or 'text', got {modality!r}.")
        dataset = _with_embedding_column(metadata, vectors)
        vectors = _column_matrix(dataset)  # the Arrow column's own memory, not a second copy
        index, factory, parameters = _new_faiss_index(kind, vectors, seed)
        # Filled here, attached below with no further vectors: datasets would first copy the whole array (astype),
        # then grow FAISS's storage batch by batch (together 5 of 6 seconds per million embeddings).
        index.add(vectors)
        dataset.add_faiss_index_from_external_arrays(vectors[:0], EMBEDDING_COLUMN, custom_index=index)
        _set_search_parameters(dataset, parameters)
        info = IndexInfo(modality, kind, vectors.shape[1], len(vectors), model, source, factory, parameters)
        return cls(dataset, info, vectors)

    # ------------------------------------------------------------------------------------------------------------
    # Searching
    # ------------------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.info.count

    @property
    def embeddings(self) -> np.ndarray:
        """``(N, D)`` float32 unit embeddings (read-only view)."""
        view = self._vectors.view()
        view.flags.writeable = False
        return view

    def search(self, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best rows for each query ``(D,)`` or ``(Q, D)``.

        Returns:
            scores ``(Q, k)`` float32 (descending) and rows ``(Q, k)`` int64; ``k`` past the index's size is reduced.
        """
        queries = _check_queries(queries, self.info.dim)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive number of results, got {k!r}.")
        k = min(int(k), len(self))
        if self.info.kind == "exact":
            return self._exact_search(queries, k)
        found = self.dataset.search_batch(EMBEDDING_COLUMN, queries, k)
        return np.asarray(found.total_scores, dtype=np.float32), np.asarray(found.total_indices, dtype=np.int64)

    def hits(self, queries: np.ndarray, k: int = 10) -> list[list[Hit]]:
        """:meth:`search` with each result's metadata: one list of ``k`` :class:`Hit` per query."""
        scores, rows = self.search(queries, k)
        columns = [name for name in self.dataset.column_names if name != EMBEDDING_COLUMN]
        metadata = self.dataset.select_columns(columns)
        results = []
        for query_scores, query_rows in zip(scores, rows):
            found = metadata[query_rows.tolist()] if columns else {}
            results.append(
                [
                    Hit(int(row), float(score), {name: found[name][i] for name in columns})
                    for i, (row, score) in enumerate(zip(query_rows, query_scores))
                ]
            )
        return results

    def _exact_search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Float16 scan for candidates, float64 re-scoring; candidates widen until they provably hold the top k."""
        margin = 2 * FLOAT16_SCORE_ERROR * np.linalg.norm(queries, axis=1) * self._max_norm  # (Q,)
        scores = np.empty((len(queries), k), dtype=np.float32)
        rows = np.empty((len(queries), k), dtype=np.int64)
        pending, candidates = np.arange(len(queries)), min(len(self), max(4 * k, 32))
        while len(pending):
            scanned = self.dataset.search_batch(EMBEDDING_COLUMN, queries[pending], candidates)
            scanned_scores = np.asarray(scanned.total_scores)
            # Complete: everything scoring within `margin` of the k-th scanned score is among the candidates.
            complete = (candidates == len(self)) | (scanned_scores[:, -1] < scanned_scores[:, k - 1] - margin[pending])
            done, ids = pending[complete], np.asarray(scanned.total_indices)[complete]
            exact = np.einsum("qcd,qd->qc", self._vectors[ids].astype(np.float64), queries[done].astype(np.float64))
            order = np.argsort(-exact, axis=1, kind="stable")[:, :k]
            scores[done] = np.take_along_axis(exact, order, axis=1)
            rows[done] = np.take_along_axis(ids, order, axis=1)
            pending, candidates = pending[~complete], min(len(self), 4 * candidates)
        return scores, rows

    # ------------------------------------------------------------------------------------------------------------
    # Disk
    # ------------------------------------------------------------------------------------------------------------
    def save(self, folder: str | Path, overwrite: bool = False) -> Path:
        """Writes ``dataset/`` (metadata and embeddings), ``index.faiss`` and ``index_info.json`` into a new
        ``folder``, built beside it and moved into place when complete (``overwrite`` replaces an index the package
        wrote; see :func:`imu_foundation.outputs.building_folder`)."""
        with building_folder(folder, "embedding index", overwrite) as partial:
            self.dataset.save_faiss_index(EMBEDDING_COLUMN, str(partial / FILES["index"]))
            # save_to_disk refuses a dataset with an attached index: save an index-free view of the same table.
            view = Dataset(self.dataset.data, info=self.dataset.info, fingerprint=generate_random_fingerprint())
            view.save_to_disk(str(partial / FILES["dataset"]))
            info = {"format": INDEX_FORMAT, "version": 1, **asdict(self.info)}
            (partial / FILES["info"]).write_text(json.dumps(info, indent=2) + "\n")
        return Path(folder)

    @classmethod
    def load(cls, folder: str | Path) -> EmbeddingIndex:
        """An index written by :meth:`save`.

        Raises:
            ValueError: a missing file, or a folder that is not an embedding index.
        """
        folder = Path(folder)
        for name in FILES.values():
            if not (folder / name).exists():
                raise ValueError(f"{folder} is not a saved embedding index: {name} is missing.")
        fields = json.loads((folder / FILES["info"]).read_text())
        if fields.pop("format", None) != INDEX_FORMAT or fields.pop("version", None) != 1:
            raise ValueError(f"{folder / FILES['info']} is not an {INDEX_FORMAT} (version 1) description.")
        info = IndexInfo(**fields)
        dataset = load_from_disk(str(folder / FILES["dataset"]))
        dataset.load_faiss_index(EMBEDDING_COLUMN, str(folder / FILES["index"]))
        _set_search_parameters(dataset, info.search_parameters)
        vectors = _column_matrix(dataset)
        if vectors.shape != (info.count, info.dim):
            raise ValueError(
                f"{folder}: the embeddings are {vectors.shape}, the description says ({info.count}, {info.dim})."
            )
        return cls(dataset, info, vectors)

    def __repr__(self) -> str:
        return f"EmbeddingIndex({self.info.count} {self.info.modality} embeddings of {self.info.dim}, {self.info.kind})"


# ----------------------------------------------------------------------------------------------------------------------
# Building from corpora and captions, searching with a model
# ----------------------------------------------------------------------------------------------------------------------
def embed_corpus(embedder, corpus: CorpusSplit, *, batch_size: int = 32, pad_short: bool = False) -> np.ndarray:
    """``(N, D)`` unit embeddings of every window of a corpus split (an ``imu-feature-extraction`` pipeline)."""
    outputs = run_over_corpus(embedder, corpus.dataset, batch_size=batch_size, desc="embedding", pad_short=pad_short)
    return np.stack(outputs).astype(np.float32)


def build_imu_index(
    corpus,
    embedder,
    *,
    split: str | None = None,
    kind: str = "exact",
    batch_size: int = 32,
    pad_short: bool = False,
) -> EmbeddingIndex:
    """Embeds every window of a corpus split once and indexes it with its metadata (``row``: its position).

    Args:
        corpus: a ``save_to_disk`` folder, a Hub dataset id, a ``Dataset`` or ``DatasetDict`` in the package's schema.
        embedder: an ``imu-feature-extraction`` pipeline (:func:`imu_foundation.pipelines.load_pipeline`).
        split: the split (default: ``"test"``, or the only one).
        kind: the index kind (:data:`INDEX_KINDS`).
        batch_size: windows per model forward.
        pad_short: repeat windows shorter than the model's window (otherwise an error).
    """
    _check_kind(kind)  # before the long embedding
    corpus = corpus if isinstance(corpus, CorpusSplit) else load_corpus_split(corpus, split)
    embeddings = embed_corpus(embedder, corpus, batch_size=batch_size, pad_short=pad_short)
    metadata = corpus.dataset.select_columns(metadata_columns(corpus.dataset)).flatten_indices()
    metadata = metadata.add_column("row", np.arange(len(metadata)))
    source = {"corpus": corpus.source, "split": corpus.split}
    return EmbeddingIndex.from_embeddings(
        embeddings, metadata, modality="imu", kind=kind, model=_model_name(embedder), source=source, copy=False
    )


def build_caption_index(
    captions: Sequence[str], embedder, *, kind: str = "exact", batch_size: int = 256
) -> EmbeddingIndex:
    """Embeds a caption set (duplicates dropped, order kept) and indexes it (column ``caption``)."""
    if isinstance(captions, str):
        raise ValueError("captions must be a list of strings, not one string.")
    _check_kind(kind)
    captions = list(dict.fromkeys(captions))
    if not captions:
        raise ValueError("The caption set is empty.")
    chunks = []
    for start in tqdm(range(0, len(captions), batch_size), desc="embedding captions", unit="batch"):
        chunks.append(embedder.embed_text(captions[start : start + batch_size]).numpy())
    return EmbeddingIndex.from_embeddings(
        np.concatenate(chunks), {"caption": captions}, modality="text", kind=kind, model=_model_name(embedder)
    )


def search_text(index: EmbeddingIndex, queries: str | Sequence[str], embedder=None, *, k: int = 10) -> list[list[Hit]]:
    """The ``k`` IMU windows of ``index`` closest to each text query (``embedder``: default, the index's model)."""
    if index.info.modality != "imu":
        raise ValueError("search_text searches an index of IMU windows; this one holds captions (use search_imu).")
    embedder = embedder or _embedder_of(index)
    texts = [queries] if isinstance(queries, str) else list(queries)
    return index.hits(embedder.embed_text(texts).numpy(), k)


def search_imu(index: EmbeddingIndex, recordings, embedder=None, *, k: int = 10, **layout) -> list[list[Hit]]:
    """The ``k`` captions of ``index`` closest to each recording (``layout``: ``sampling_rate=``, ... as for the
    pipeline); ``recordings`` is one ``(T, C)`` array, a batch or a list."""
    if index.info.modality != "text":
        raise ValueError("search_imu searches an index of captions; this one holds IMU windows (use search_text).")
    embedder = embedder or _embedder_of(index)
    embeds = embedder(recordings, **layout)
    queries = np.stack(embeds) if isinstance(embeds, list) else np.asarray(embeds)[None]
    return index.hits(queries, k)


def retrieval_metrics(
    text_embeddings: np.ndarray,
    text_labels: Sequence,
    imu_embeddings: np.ndarray,
    imu_labels: Sequence,
    k: Sequence[int] = (1, 5, 10),
) -> dict[str, float]:
    """Recall@k and MRR both ways (the ``retrieval`` metric) of texts ``(Q, D)`` against IMU windows ``(N, D)``;
    a window is relevant to a text when their labels are equal."""
    similarity = np.asarray(text_embeddings, dtype=np.float64) @ np.asarray(imu_embeddings, dtype=np.float64).T
    metric = load_metric("retrieval")
    return metric.compute(predictions=similarity, references=list(text_labels), imu_labels=list(imu_labels), k=list(k))


def run_retrieval(
    index_dir: str | Path,
    *,
    build: str | Path | None = None,
    split: str | None = None,
    kind: str = "exact",
    queries: Sequence[str] | None = None,
    k: int = 5,
    model: str | Path | None = None,
    output_dir: str | Path | None = None,
    overwrite: bool = False,
    batch_size: int = 32,
    device: str | None = None,
    report: Callable[[str], None] = print,
) -> list[list[Hit]]:
    """The job of ``imu-foundation retrieve``: with ``build``, embeds that corpus and saves its index in
    ``index_dir``; with ``queries``, searches the index by text (the index's model, unless ``model`` is given) and
    prints the hits; with ``output_dir`` also writes :data:`RETRIEVAL_FILES` (the first query's windows plotted).

    Returns the hits of each query.
    """
    from ..pipelines import load_pipeline

    if not build and not queries:
        raise ValueError("Nothing to do: pass a corpus to build an index from (--build) and/or text queries (--query).")
    _check_kind(kind)
    if isinstance(queries, str):
        queries = [queries]
    if output_dir is not None and queries:
        refuse_to_overwrite(output_dir, RETRIEVAL_FILES.values())
    embedder = None
    if build:
        check_replaceable(index_dir, overwrite)  # before the long embedding
        embedder = load_pipeline("imu-feature-extraction", model=model, device=device)
        started = time.perf_counter()
        index = build_imu_index(build, embedder, split=split, kind=kind, batch_size=batch_size)
        index.save(index_dir, overwrite=overwrite)
        report(f"indexed {len(index)} windows of {build} in {time.perf_counter() - started:.1f} s: {index_dir}")
    else:
        index = EmbeddingIndex.load(index_dir)
    if not queries:
        return []
    if embedder is None and model is not None:
        embedder = load_pipeline("imu-feature-extraction", model=model, device=device)
    results = search_text(index, queries, embedder, k=k)
    for query, hits in zip(queries, results):
        report(f"\n{query!r}")
        for rank, hit in enumerate(hits, start=1):
            described = ", ".join(f"{key}={value}" for key, value in hit.metadata.items() if key != "row" and value)
            report(f"  {rank:>3}. score {hit.score:.3f}  row {hit.metadata.get('row', hit.row)}  {described}")
    if output_dir is not None:
        paths = {key: Path(output_dir) / name for key, name in RETRIEVAL_FILES.items()}
        paths["hits"].parent.mkdir(parents=True, exist_ok=True)
        found = [
            {"query": query, "hits": [{"score": hit.score, **hit.metadata, "index_row": hit.row} for hit in hits]}
            for query, hits in zip(queries, results)
        ]
        paths["hits"].write_text(json.dumps(found, indent=2, default=str) + "\n")
        report(f"\nwrote {paths['hits']}")
        if _plot_retrieved_windows(index, results[0], queries[0], paths["windows"]):
            report(f"wrote {paths['windows']}")
        else:
            report("(no picture: the index does not record the corpus its windows came from)")
    return results


def _plot_retrieved_windows(index: EmbeddingIndex, hits: list[Hit], query: str, path: Path) -> bool:
    """Plots the retrieved windows, read back from the corpus the index was built from; False if it is unknown."""
    from ..plotting import save_retrieved_windows

    source = index.info.source or {}
    if not source.get("corpus"):
        return False
    dataset = load_corpus_split(source["corpus"], source.get("split")).dataset.with_format("numpy")
    rows = [dataset[int(hit.metadata["row"])] for hit in hits]
    titles = [
        f"{rank}. score {hit.score:.3f}, row {hit.metadata['row']}: {hit.metadata.get('activity', '')}"
        for rank, hit in enumerate(hits, start=1)
    ]
    save_retrieved_windows(
        [row["imu"] for row in rows],
        [list(row["channel_names"]) for row in rows],
        [float(row["sampling_rate_hz"]) for row in rows],
        titles,
        path,
        title=f"Windows closest to {query!r}",
    )
    return True


# ----------------------------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------------------------
def _check_embeddings(embeddings: np.ndarray, copy: bool = True) -> np.ndarray:
    """Finite unit vectors ``(N, D)`` as C-contiguous float32 (a copy unless ``copy=False`` allows a view)."""
    vectors = np.asarray(embeddings)
    if vectors.ndim != 2 or 0 in vectors.shape or vectors.dtype.kind not in "fiu":
        raise ValueError(
            f"embeddings must be a non-empty (N, D) array of numbers, got {vectors.dtype} {vectors.shape}."
        )
    vectors = np.array(vectors, dtype=np.float32, order="C", copy=True if copy else None)
    norms = np.sqrt(_squared_norms(vectors))  # NaN or inf anywhere in a row makes its norm so
    if not np.isfinite(norms).all():
        raise ValueError(f"embeddings must be finite; row {int(np.argmin(np.isfinite(norms)))} is not.")
    worst = int(np.argmax(np.abs(norms - 1.0)))
    if abs(norms[worst] - 1.0) > UNIT_NORM_TOLERANCE:
        raise ValueError(
            f"embeddings must be unit vectors (inner product = cosine); row {worst} has norm {norms[worst]:.4g}."
        )
    return vectors


def _check_queries(queries: np.ndarray, dim: int) -> np.ndarray:
    queries = np.asarray(queries)
    queries = queries[None] if queries.ndim == 1 else queries
    if queries.ndim != 2 or queries.shape[1] != dim or len(queries) == 0:
        raise ValueError(f"queries must have shape ({dim},) or (Q, {dim}), got {np.shape(queries)}.")
    if queries.dtype.kind not in "fiu" or not np.isfinite(queries).all():
        raise ValueError("queries must be finite real numbers.")
    return np.ascontiguousarray(queries, dtype=np.float32)


def _with_embedding_column(metadata: Dataset | dict | None, vectors: np.ndarray) -> Dataset:
    """The metadata rows plus an ``embedding`` column (Arrow fixed-size list of float32) holding ``vectors``."""
    if metadata is None:
        metadata = {"row": np.arange(len(vectors))}
    if not isinstance(metadata, Dataset):
        metadata = Dataset.from_dict(dict(metadata))
    if len(metadata) != len(vectors):
        raise ValueError(f"metadata has {len(metadata)} rows for {len(vectors)} embeddings.")
    if EMBEDDING_COLUMN in metadata.column_names:
        raise ValueError(f"metadata must not have a column named {EMBEDDING_COLUMN!r}.")
    # A selected / shuffled dataset maps rows through an indices table: write the mapped rows out (else no copy).
    metadata = metadata.flatten_indices() if metadata._indices is not None else metadata
    column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])
    features = Features({**metadata.features, EMBEDDING_COLUMN: List(Value("float32"), length=vectors.shape[1])})
    table = metadata.data.table.append_column(EMBEDDING_COLUMN, column)
    # A random fingerprint: the default one hashes the whole table (seconds per million embeddings).
    return Dataset(table, info=_info_with(metadata, features), fingerprint=generate_random_fingerprint())


def _squared_norms(vectors: np.ndarray) -> np.ndarray:
    """``(N,)`` squared row norms of ``(N, D)`` vectors, without an ``(N, D)`` temporary."""
    return np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64)


def _info_with(dataset: Dataset, features: Features):
    info = dataset.info.copy()
    info.features = features
    return info


def _column_matrix(dataset: Dataset) -> np.ndarray:
    """The embedding column as a ``(N, D)`` float32 array, without a copy when the column is one Arrow chunk."""
    column = dataset.data.column(EMBEDDING_COLUMN)
    dim = column.type.list_size
    chunks = [chunk.flatten().to_numpy(zero_copy_only=False) for chunk in column.chunks]
    flat = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
    return flat.reshape(-1, dim)


def _new_faiss_index(kind: str, vectors: np.ndarray, seed: int):
    """An empty (trained) FAISS index of ``kind`` for ``vectors``, its description and its search parameters."""
    import faiss

    _check_kind(kind)
    count, dim = vectors.shape
    if kind == "exact":
        if dim > MAX_EXACT_DIM:
            raise ValueError(
                f"kind='exact' bounds float16 error for D <= {MAX_EXACT_DIM}; use kind='flat' for D={dim}."
            )
        return (
            faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT),
            "SQfp16 (+ float64 re-scoring)",
            "",
        )
    if kind == "flat":
        return faiss.IndexFlatIP(dim), "Flat", ""
    if kind == "hnsw":
        index = faiss.index_factory(dim, "HNSW32,Flat", faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        return index, "HNSW32,Flat", "efSearch=128"
    # "ivf"
    nlist = max(1, min(round(4 * math.sqrt(count)), count // 39))  # FAISS wants >= 39 training points per list
    index = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(seed).permutation(count)[: 256 * nlist]
    index.train(vectors[np.sort(sample)])
    return index, f"IVF{nlist},Flat", f"nprobe={max(16, nlist // 8)}"


def _check_kind(kind: str) -> None:
    if kind not in INDEX_KINDS:
        raise ValueError(f"kind must be one of {INDEX_KINDS}, got {kind!r}.")


def _set_search_parameters(dataset: Dataset, parameters: str) -> None:
    if parameters:
        import faiss

        faiss.ParameterSpace().set_index_parameters(dataset.get_index(EMBEDDING_COLUMN).faiss_index, parameters)


def _model_name(embedder) -> str | None:
    return getattr(embedder.model, "name_or_path", None) or None


def _embedder_of(index: EmbeddingIndex):
    from ..pipelines import load_pipeline

    if not index.info.model:
        raise ValueError("The index does not record the model that made it: pass the embedder.")
    return load_pipeline("imu-feature-extraction", model=index.info.model)


__all__ = [
    "EMBEDDING_COLUMN",
    "INDEX_KINDS",
    "RETRIEVAL_FILES",
    "EmbeddingIndex",
    "Hit",
    "IndexInfo",
    "build_caption_index",
    "build_imu_index",
    "embed_corpus",
    "retrieval_metrics",
    "run_retrieval",
    "search_imu",
    "search_text",
]
