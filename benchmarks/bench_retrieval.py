"""Build time and single-query latency of the retrieval index (``EmbeddingIndex``) against brute force.

For each collection size (10k, 100k and 1M windows by default) the script makes random unit embeddings of the
model's width (256, Multi^3Net's ``projection_dim``) and times:

* ``exact`` (the default kind): a FAISS float16 scan for candidates, float64 re-scoring, candidates widened until
  they provably hold the top k;
* ``flat``: ``faiss.IndexFlatIP``, the float32 scan;
* ``numpy``: the baseline, brute force per query (``vectors @ query``, then ``argpartition`` for the top k).

Each query is searched alone (``index.search(query, k)``), as an interactive search would, on ``--threads`` threads
(default 1: one core per query, the other cores free for concurrent queries; on a shared machine a second thread
that a neighbour's process delays stalls the scan at its barrier, measured at about 20 ms per query under load);
the figures are the median (p50) and 95th percentile (p95) over the queries. Before timing, the results of both kinds on
``--check-queries`` queries are compared with brute force: the same rows (up to exact ties) and scores within 1e-5.
``--json PATH`` writes one flat JSON object (``p50_ms_at_1m`` is the exact kind's median at 1M windows, or at the
largest size run).

Usage::

    python benchmarks/bench_retrieval.py                 # 10k, 100k and 1M windows
    python benchmarks/bench_retrieval.py --quick         # 10k and 100k (well under a minute)
    python benchmarks/bench_retrieval.py --json bench.json --threads 2 --sizes 10000 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

import datasets
import faiss
import numpy as np
import torch
from bench_spectrogram import OtherLoad
from threadpoolctl import threadpool_limits

from imu_foundation.evaluation.retrieval import EmbeddingIndex

KINDS = ("exact", "flat")


def unit_vectors(count: int, dim: int, seed: int, chunk: int = 100_000) -> np.ndarray:
    """``(count, dim)`` float32 random unit vectors, made in chunks (no float64 copy of the whole set)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, chunk):
        block = rng.standard_normal((min(chunk, count - start), dim), dtype=np.float32)
        out[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def numpy_top_k(vectors: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: every score, then the top ``k`` by ``argpartition`` and a sort of those."""
    scores = vectors @ query
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return scores[top], top


def check_against_brute_force(index: EmbeddingIndex, vectors: np.ndarray, queries: np.ndarray, k: int) -> float:
    """Asserts the index's top ``k`` equals brute force's (rows, up to ties within 1e-5; scores within 1e-5).

    Returns the largest score difference.
    """
    scores, rows = index.search(queries, k)
    worst = 0.0
    for query, found_scores, found_rows in zip(queries, scores, rows):
        exact = vectors[found_rows].astype(np.float64) @ query.astype(np.float64)
        reference_scores, reference_rows = numpy_top_k(vectors, query, k)
        np.testing.assert_allclose(found_scores, reference_scores, rtol=0, atol=1e-5)
        np.testing.assert_allclose(found_scores, exact, rtol=0, atol=1e-5)
        differing = found_rows != reference_rows
        if differing.any():  # only exact ties may swap places
            assert np.abs(found_scores[differing] - reference_scores[differing]).max() < 1e-5, "rows differ"
        worst = max(worst, float(np.abs(found_scores - reference_scores).max()))
    return worst


def latencies_ms(search, queries: np.ndarray, warmup: int = 3) -> np.ndarray:
    """Milliseconds of ``search(query)`` for each query alone."""
    for query in queries[:warmup]:
        search(query)
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query)
        times.append(1000 * (time.perf_counter() - start))
    return np.asarray(times)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="windows indexed (default 10k 100k 1M)")
    parser.add_argument("--dim", type=int, default=256, help="embedding width (default 256, Multi^3Net's)")
    parser.add_argument("--k", type=int, default=10, help="results per query (default 10)")
    parser.add_argument("--queries", type=int, default=200, help="timed single queries per size (default 200)")
    parser.add_argument("--baseline-queries", type=int, default=30, help="timed numpy brute-force queries")
    parser.add_argument("--check-queries", type=int, default=20, help="queries compared with brute force")
    parser.add_argument("--threads", type=int, default=1, help="FAISS / torch / BLAS threads per query (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="10k and 100k only: well under a minute")
    parser.add_argument("--json", type=Path, default=None, help="write the results as a flat JSON object here")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    if min(args.sizes) < args.k or args.k < 1 or args.queries < 1 or args.threads < 1:
        parser.error("sizes must be >= k >= 1; --queries and --threads must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    datasets.disable_progress_bars()
    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):  # NumPy's BLAS and OpenMP runtimes too
        return run(args)


def run(args: argparse.Namespace) -> int:
    print(
        f"unit embeddings of {args.dim} (float32), top {args.k} by inner product; one query per search; "
        f"{args.threads} threads (FAISS, torch) on {os.cpu_count()} CPUs; faiss {faiss.__version__}"
    )
    record: dict[str, object] = {"dim": args.dim, "k": args.k, "threads": args.threads, "cpu_count": os.cpu_count()}
    header = f"{'windows':>10} {'kind':<7}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'max |diff|':>12}"
    print(header)
    for size in args.sizes:
        vectors = unit_vectors(size, args.dim, args.seed)
        queries = unit_vectors(args.queries + args.check_queries, args.dim, args.seed + 1)
        timed, checked = queries[: args.queries], queries[args.queries :]
        for kind in KINDS:
            start = time.perf_counter()
            index = EmbeddingIndex.from_embeddings(vectors, modality="imu", kind=kind)
            build_s = time.perf_counter() - start
            worst = check_against_brute_force(index, vectors, checked, args.k)
            count = args.queries if kind == "exact" or size < 1_000_000 else max(1, args.queries // 4)
            with OtherLoad() as load:
                ms = latencies_ms(lambda q, index=index: index.search(q, args.k), timed[:count])
            p50, p95 = float(np.percentile(ms, 50)), float(np.percentile(ms, 95))
            line = f"{size:>10,} {kind:<7}{build_s:>9.2f}{p50:>9.2f}{p95:>9.2f}{count:>9}{worst:>12.1e}"
            print(line)
            record |= {
                f"{kind}_build_s_{size}": build_s,
                f"{kind}_p50_ms_{size}": p50,
                f"{kind}_p95_ms_{size}": p95,
                f"{kind}_max_abs_diff_{size}": worst,
                f"{kind}_other_processes_cpu_fraction_{size}": load.fraction,
            }
            del index
            gc.collect()
        count = min(args.baseline_queries, args.queries)
        with OtherLoad() as load:
            ms = latencies_ms(lambda q, vectors=vectors: numpy_top_k(vectors, q, args.k), timed[:count])
        p50, p95 = float(np.percentile(ms, 50)), float(np.percentile(ms, 95))
        print(f"{size:>10,} {'numpy':<7}{'':>9}{p50:>9.2f}{p95:>9.2f}{count:>9}")
        record |= {f"numpy_p50_ms_{size}": p50, f"numpy_p95_ms_{size}": p95}
        record[f"exact_speedup_vs_numpy_{size}"] = p50 / record[f"exact_p50_ms_{size}"]
        record[f"exact_speedup_vs_flat_{size}"] = record[f"flat_p50_ms_{size}"] / record[f"exact_p50_ms_{size}"]
        del vectors
        gc.collect()

    largest = max(args.sizes)
    record |= {
        "sizes": ",".join(map(str, args.sizes)),
        "largest_size": largest,
        "p50_ms_at_1m": record[f"exact_p50_ms_{largest}"],
        "p95_ms_at_1m": record[f"exact_p95_ms_{largest}"],
        "quick": args.quick,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "faiss": faiss.__version__,
    }
    print()
    for size in args.sizes:
        print(
            f"{size:>10,} windows: exact p50 {record[f'exact_p50_ms_{size}']:.2f} ms, "
            f"{record[f'exact_speedup_vs_numpy_{size}']:.1f}x numpy brute force, "
            f"{record[f'exact_speedup_vs_flat_{size}']:.1f}x IndexFlatIP"
        )
    if largest != 1_000_000:
        print(f"(p50_ms_at_1m is measured at the largest size run, {largest:,} windows)")
    shares = [v for key, v in record.items() if "other_processes" in key and v is not None]
    if shares and max(shares) > 0.05:
        print(f"other processes took up to {max(shares):.0%} of the CPUs while timing: latencies are upper bounds")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
