"""Synthetic-corpus build speed and memory: streamed to Arrow in parallel shards, against a naive in-memory build.

For each size, a fresh Python process builds a corpus of that many windows from the generated motion library with
``build_synthetic_corpus`` (default settings: 2 wrist sensors at 50 Hz, 2 s windows half overlapping, pose at
20 Hz), ``--num-proc`` processes, examples streamed by ``Dataset.from_generator`` to Arrow files in a temporary
folder. It reports windows per second (the build alone, imports excluded) and peak resident memory: the largest
single process (``getrusage`` of the process and of its children, stdlib) and, with psutil installed, the peak sum
over the process tree (proportional set size) sampled every 0.2 s. A fresh process per size matters: ``ru_maxrss``
never goes down.

The baseline is the naive build: the same examples collected in Python lists in one process, then
``Dataset.from_dict``. Its memory grows with the corpus; the streamed build's stays flat. The ratio of peak
memories is the point; the windows/s ratio also reflects the process count (baseline: 1).

Usage::

    python benchmarks/bench_corpus.py                  # 10,000 and 100,000 windows; baseline at 10,000 (minutes)
    python benchmarks/bench_corpus.py --quick          # 1,000 and 2,000 windows; baseline at 1,000 (< 1 minute)
    python benchmarks/bench_corpus.py --json bench.json --num-proc 2 --baseline-sizes 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident set size (MB) of this process and of its largest finished child (Linux: ru_maxrss in KB)."""
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale
    return own, children


class TreeMemorySampler:
    """Samples the summed memory of this process and its descendants (needs psutil; otherwise reports None).

    Uses the proportional set size (PSS) where the OS reports it: forked workers share the parent's pages, and
    summing their RSS would count those pages once per process.
    """

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s, self.peak_mb = interval_s, None
        self._stop = threading.Event()
        try:
            import psutil

            self._process = psutil.Process()
        except ImportError:
            self._process = None

    def __enter__(self) -> TreeMemorySampler:
        if self._process is not None:
            self.peak_mb = 0.0
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._process is not None:
            self._thread.join()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for process in [self._process, *self._process.children(recursive=True)]:
                try:
                    info = process.memory_full_info()
                    total += getattr(info, "pss", info.rss)
                except psutil.Error:
                    pass
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self.interval_s)


def run_streamed(size: int, num_proc: int, seed: int) -> dict:
    """Builds ``size`` windows with ``build_synthetic_corpus`` in this process; returns its measurements."""
    import datasets

    from imu_foundation.data.synthetic_corpus import LibrarySource, build_synthetic_corpus

    datasets.disable_progress_bars()
    cache = tempfile.mkdtemp(prefix="bench-corpus-")
    try:
        with TreeMemorySampler() as sampler:
            start = time.perf_counter()
            corpus = build_synthetic_corpus(
                LibrarySource(), seed=seed, num_windows=size, num_proc=num_proc, cache_dir=cache
            )
            seconds = time.perf_counter() - start
        windows = sum(len(d) for d in corpus.dataset.values())
        disk = sum(f.stat().st_size for f in Path(cache).rglob("*.arrow"))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    own, children = peak_rss_mb()
    return {
        "windows": windows,
        "seconds": seconds,
        "peak_rss_mb": max(own, children),
        "main_rss_mb": own,
        "worker_rss_mb": children,
        "tree_pss_mb": sampler.peak_mb,
        "arrow_bytes_per_window": disk / windows,
    }


def run_naive(size: int, seed: int) -> dict:
    """The baseline: every example in Python lists, then ``Dataset.from_dict`` (one process)."""
    from dataclasses import asdict

    import datasets

    from imu_foundation.data.schema import imu_features
    from imu_foundation.data.synthetic_corpus import CorpusSettings, LibrarySource, generate_examples

    datasets.disable_progress_bars()
    settings = CorpusSettings()
    with TreeMemorySampler() as sampler:
        start = time.perf_counter()
        refs = LibrarySource().plan(seed, settings, size)
        shard = {
            "refs": refs,
            "settings": asdict(settings) | {"sites": list(settings.sites)},
            "context": {"seed": seed},
        }
        features = imu_features(len(settings.channel_names))
        columns: dict[str, list] = {key: [] for key in features}
        for example in generate_examples([shard]):
            for key, value in example.items():
                columns[key].append(value)
        dataset = datasets.Dataset.from_dict(columns, features=features)
        seconds = time.perf_counter() - start
    own, _ = peak_rss_mb()
    return {"windows": len(dataset), "seconds": seconds, "peak_rss_mb": own, "tree_pss_mb": sampler.peak_mb}


def measure(kind: str, size: int, num_proc: int, seed: int) -> dict:
    """Runs one measurement in a fresh interpreter (so peak memory belongs to this run alone)."""
    options = {"--child": kind, "--sizes": size, "--num-proc": num_proc, "--seed": seed}
    command = [sys.executable, __file__, *(str(item) for pair in options.items() for item in pair)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} build of {size} windows failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["windows_per_s"] = result["windows"] / result["seconds"]
    return result


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="corpus sizes (default 10000 100000)")
    parser.add_argument(
        "--baseline-sizes",
        type=int,
        nargs="*",
        default=None,
        help="sizes for the naive baseline (default: the smallest size)",
    )
    parser.add_argument("--num-proc", type=int, default=2, help="processes for the streamed build (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="under a minute: 1,000 and 2,000 windows")
    parser.add_argument("--json", type=Path, default=None, help="write the results as a flat JSON object here")
    parser.add_argument("--child", choices=("streamed", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = args.sizes or ([1_000, 2_000] if args.quick else [10_000, 100_000])
    if args.baseline_sizes is None:
        args.baseline_sizes = [min(args.sizes)]
    return args


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} MB"


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        run = (
            run_streamed(args.sizes[0], args.num_proc, args.seed)
            if args.child == "streamed"
            else run_naive(args.sizes[0], args.seed)
        )
        print(json.dumps(run))
        return 0

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    record: dict = {"num_proc": args.num_proc, "seed": args.seed}
    streamed = {}
    for size in sorted(args.sizes):
        streamed[size] = result = measure("streamed", size, args.num_proc, args.seed)
        print(
            f"streamed  {size:>7,} windows, {args.num_proc} processes: {result['windows_per_s']:7.1f} windows/s "
            f"({result['seconds']:.1f} s), peak RSS {_mb(result['peak_rss_mb'])} per process "
            f"(main {_mb(result['main_rss_mb'])}, workers {_mb(result['worker_rss_mb'])}), "
            f"tree PSS {_mb(result['tree_pss_mb'])}, {result['arrow_bytes_per_window'] / 1024:.1f} KiB/window on disk"
        )
        for key in ("windows_per_s", "peak_rss_mb", "tree_pss_mb", "seconds"):
            record[f"{key}_{size}"] = result[key]
    for size in sorted(args.baseline_sizes):
        naive = measure("naive", size, 1, args.seed)
        print(
            f"naive     {size:>7,} windows, 1 process:   {naive['windows_per_s']:7.1f} windows/s "
            f"({naive['seconds']:.1f} s), peak RSS {_mb(naive['peak_rss_mb'])}"
        )
        record[f"baseline_windows_per_s_{size}"] = naive["windows_per_s"]
        record[f"baseline_peak_rss_mb_{size}"] = naive["peak_rss_mb"]
        record[f"baseline_tree_pss_mb_{size}"] = naive["tree_pss_mb"]
        if size in streamed:
            ours = streamed[size]
            memory_ratio = naive["peak_rss_mb"] / ours["peak_rss_mb"]
            tree = ours["tree_pss_mb"]
            print(
                f"  at {size:,} windows: streamed/naive speed {ours['windows_per_s'] / naive['windows_per_s']:.2f}x; "
                f"naive/streamed peak memory {memory_ratio:.2f}x per process"
                + (
                    f", {naive['tree_pss_mb'] / tree:.2f}x summed over processes (PSS)"
                    if tree and naive["tree_pss_mb"]
                    else ""
                )
            )
            record[f"speed_ratio_vs_baseline_{size}"] = ours["windows_per_s"] / naive["windows_per_s"]
            record[f"peak_rss_ratio_baseline_over_streamed_{size}"] = memory_ratio
    largest = streamed[max(streamed)]
    record.update(num_windows=max(streamed), windows_per_s=largest["windows_per_s"], peak_rss_mb=largest["peak_rss_mb"])
    if len(streamed) > 1:
        smallest = streamed[min(streamed)]
        record["peak_rss_growth_largest_over_smallest"] = largest["peak_rss_mb"] / smallest["peak_rss_mb"]
        print(
            f"peak RSS per process grows {record['peak_rss_growth_largest_over_smallest']:.2f}x from "
            f"{min(streamed):,} to {max(streamed):,} windows ({max(streamed) / min(streamed):.0f}x more windows)"
        )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
