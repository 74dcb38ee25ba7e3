"""Few-shot study on real IMU data: every registered method under one protocol, side by side.

Datasets (``imu_foundation.evaluation.few_shot_study.DATASETS``):

* ``basic_motions``: BasicMotions, all 80 ten-second recordings pooled (10 Hz, wrist acc + gyro, 4 classes); no
  subject ids, so the folds hold out recordings;
* ``wrist_exercises``: seglearn's smartwatch shoulder exercises, 5 s windows at 50 Hz, half overlapping (7 classes,
  10 subjects); the folds hold out subjects.

Protocol: shots 1, 5 and 10 windows per class, 5 leave-groups-out folds, seeds 0, 1 and 2 (each seed its own fold
assignment and draws): 15 runs per cell, every method on the same folds and shots. Metric: macro-F1 over the held-out
windows (and accuracy), mean ± std over the runs. Windows keep their dataset's rate and length; the methods see them
in m/s^2 and rad/s.

Methods (``METHODS``): ``hand_crafted_lr`` (statistics + logistic regression), ``minirocket_ridge`` (MiniRocket +
ridge; needs the ``baselines`` extra, sktime: without it the study stops before training, naming the install
command; leave it out with ``--methods``), ``cnn_scratch`` (1D CNN trained from random init), the shipped Multi^3Net
(frozen, fine-tuned, and its architecture from scratch) and Img2Imu from ImageNet (frozen final or mid-level features,
fully fine-tuned). Methods that start from a checkpoint the package does not ship (Img2Imu after sensor-aware MoCo on
simulated spectrograms; Multi^3Net with the Img2Imu tower) run when ``--checkpoint NAME=FOLDER`` says where it is
(``CHECKPOINT_RECIPES`` holds the command that makes each); by default the others run and these are named as left
out. More methods join with ``register_method`` in a module named by ``--import-methods``.

Writes ``fewshot.json`` (protocol, datasets, every run's scores and seconds, summary, environment), ``fewshot.md``
(macro-F1 and accuracy tables to paste into docs/results.md) and ``fewshot.png`` (macro-F1 against shots) into
``--output-dir`` (default ``outputs/fewshot``); ``--json`` / ``--markdown`` / ``--plot`` put them elsewhere. Scores
are seeded: two runs with the same options and thread count write the same scores (times differ).

Usage::

    python benchmarks/fewshot.py                       # the full study (minutes)
    python benchmarks/fewshot.py --quick               # 1 and 5 shots, 2 folds, one seed, fast methods (a minute)
    python benchmarks/fewshot.py --methods hand_crafted_lr,cnn_scratch --datasets wrist_exercises
    python benchmarks/fewshot.py --import-methods my_package.fewshot_methods --markdown docs/fewshot_table.md
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from imu_foundation.evaluation.few_shot_study import (
    CHECKPOINT_RECIPES,
    DATASETS,
    METHODS,
    StudyProtocol,
    available_methods,
    check_datasets,
    check_methods,
    markdown_table,
    plot_curves,
    run_study,
    set_checkpoint,
)
from imu_foundation.plotting import save_few_shot_plot

QUICK = StudyProtocol(shots=(1, 5), folds=2, seeds=(0,))
# --quick without --methods: the baselines and the shipped model's cheapest uses (fine-tuning a network is minutes).
QUICK_METHODS = ("hand_crafted_lr", "minirocket_ridge", "cnn_scratch", "statistics_plus_multi3net", "multi3net_frozen")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 and 5 shots, 2 folds, one seed, the fast methods: about a minute"
    )
    parser.add_argument("--methods", default=None, help="comma-separated method names (default: all registered)")
    parser.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated, from {list(DATASETS)}")
    parser.add_argument("--shots", default=None, help="comma-separated shots per class (default 1,5,10)")
    parser.add_argument("--folds", type=int, default=None, help="folds per seed (default 5)")
    parser.add_argument("--seeds", default=None, help="comma-separated protocol seeds (default 0,1,2)")
    parser.add_argument("--output-dir", type=Path, default=Path("outputs/fewshot"), help="where outputs go")
    parser.add_argument("--json", type=Path, default=None, help="the JSON (default OUTPUT_DIR/fewshot.json)")
    parser.add_argument("--markdown", type=Path, default=None, help="the tables (default OUTPUT_DIR/fewshot.md)")
    parser.add_argument("--plot", type=Path, default=None, help="the PNG (default OUTPUT_DIR/fewshot.png)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: steady on a shared CPU)")
    parser.add_argument(
        "--import-methods", action="append", default=[], help="a module whose import registers more methods"
    )
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="NAME=FOLDER",
        help=f"where an unshipped checkpoint some methods start from is ({', '.join(CHECKPOINT_RECIPES)})",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise SystemExit(f"--{what} must be comma-separated integers, got {text!r}.") from error


def protocol_from(args: argparse.Namespace) -> StudyProtocol:
    base = QUICK if args.quick else StudyProtocol()
    return StudyProtocol(
        shots=_ints(args.shots, "shots") if args.shots else base.shots,
        folds=args.folds if args.folds is not None else base.folds,
        seeds=_ints(args.seeds, "seeds") if args.seeds else base.seeds,
    )


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def main(argv=None) -> dict:
    args = parse_args(argv)
    for module in args.import_methods:
        importlib.import_module(module)
    for item in args.checkpoint:
        name, separator, folder = item.partition("=")
        if not separator:
            raise SystemExit(f"--checkpoint takes NAME=FOLDER, got {item!r}.")
        set_checkpoint(name, folder)
    torch.set_num_threads(args.threads)
    if args.methods:
        methods = check_methods(args.methods.split(","))
    elif args.quick:
        methods = [m for m in QUICK_METHODS if m != "minirocket_ridge" or importlib.util.find_spec("sktime")]
    else:
        methods = available_methods()
        left_out = sorted(set(METHODS) - set(methods))
        if left_out:
            print(f"Left out (their checkpoints were not given with --checkpoint): {', '.join(left_out)}.")
    dataset_names = check_datasets(args.datasets.split(","))
    protocol = protocol_from(args)
    paths = {
        "json": args.json or args.output_dir / "fewshot.json",
        "markdown": args.markdown or args.output_dir / "fewshot.md",
        "plot": args.plot or args.output_dir / "fewshot.png",
    }
    load_start = os.getloadavg()
    started = time.perf_counter()
    datasets = {name: DATASETS[name]() for name in dataset_names}
    loaded = time.perf_counter()
    result = run_study(datasets, methods, protocol, progress=not args.no_progress)
    wall_s = time.perf_counter() - started

    tables = markdown_table(result, "macro_f1") + "\n" + markdown_table(result, "accuracy")
    print("\n" + tables)
    seconds: dict[str, dict[str, float]] = {}
    counts: dict[tuple[str, str], int] = {}
    for run in result.runs:
        per_dataset = seconds.setdefault(run["dataset"], {})
        per_dataset[run["method"]] = per_dataset.get(run["method"], 0.0) + run["fit_s"] + run["predict_s"]
        counts[run["dataset"], run["method"]] = counts.get((run["dataset"], run["method"]), 0) + 1
    print("Seconds per method (fit + predict, all runs):")
    for dataset, by_method in seconds.items():
        cells = ", ".join(f"{m} {s:.1f} s ({s / counts[dataset, m]:.2f} s/run)" for m, s in by_method.items())
        print(f"  {dataset}: {cells}")
    load_end = os.getloadavg()
    print(
        f"Wall time {wall_s:.0f} s (loading the data {loaded - started:.0f} s) on {os.cpu_count()} CPUs, "
        f"{args.threads} torch thread(s); load average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end."
    )

    output = result.to_json()
    output["environment"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "torch_threads": args.threads,
        "load_average_start": list(load_start),
        "load_average_end": list(load_end),
        "wall_s": wall_s,
        "versions": {p: _version(p) for p in ("imu-foundation", "torch", "numpy", "scikit-learn", "sktime", "numba")},
        "command": " ".join(sys.argv),
    }
    output["seconds"] = seconds
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    paths["json"].write_text(json.dumps(output, indent=1))
    paths["markdown"].write_text(tables)
    chance = {name: 1.0 / info["num_classes"] for name, info in result.datasets.items()}
    save_few_shot_plot(plot_curves(result), paths["plot"], chance=chance)
    print("Wrote " + ", ".join(str(p) for p in paths.values()))
    return output


if __name__ == "__main__":
    main()
