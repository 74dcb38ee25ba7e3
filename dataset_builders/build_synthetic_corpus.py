#!/usr/bin/env python
"""Builds a synthetic-IMU corpus (motion + text -> simulated IMU windows) and saves it / pushes it to the Hub.

Examples::

    # 10,000 windows from the generated motion library, 2 processes
    python dataset_builders/build_synthetic_corpus.py --output corpora/library-10k --num-windows 10000 --num-proc 2

    # your AMASS files with HumanML3D captions, published privately
    python dataset_builders/build_synthetic_corpus.py --source amass --amass-root ~/amass --texts ~/HumanML3D/texts \
        --body-model ~/models/smplh --output corpora/amass --push-to-hub me/amass-imu --private

    # How2Sign-style SMPL-X clips with sentences
    python dataset_builders/build_synthetic_corpus.py --source how2sign --smplx-root ~/how2sign/smplx \
        --sentences ~/how2sign/how2sign_realigned_train.csv --fps 24 --smoothing-frames 4 --output corpora/how2sign

The library code is ``imu_foundation.data.synthetic_corpus``; see dataset_builders/README.md for the layouts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from imu_foundation.data.synthetic_corpus import (
    AmassSource,
    CorpusSettings,
    LibrarySource,
    SmplxSentencesSource,
    build_synthetic_corpus,
)
from imu_foundation.outputs import building_folder, check_replaceable
from imu_foundation.simulation import BodyModelFileError, PickledBodyModelError

ARROW_CACHE = ".arrow-cache"  # inside the folder being built, removed once the corpus is saved


def _splits(text: str) -> dict[str, float]:
    """``"train=0.9,validation=0.05,test=0.05"`` -> dict."""
    try:
        return {name.strip(): float(value) for name, value in (item.split("=") for item in text.split(","))}
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected name=fraction,... got {text!r}") from error


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, required=True, help="folder for save_to_disk (must not exist)")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an --output folder that this package wrote (nothing else)"
    )
    source = parser.add_argument_group("motion source")
    source.add_argument("--source", choices=("library", "amass", "how2sign"), default="library")
    source.add_argument("--num-windows", type=int, help="exact corpus size (library)")
    source.add_argument("--num-motions", type=int, help="number of motions (library) or files to use (others)")
    source.add_argument("--activities", help="comma-separated library activities (default: all 25)")
    source.add_argument("--amass-root", help="AMASS folder of *.npz (source amass)")
    source.add_argument("--texts", help="HumanML3D-style texts folder (source amass)")
    source.add_argument("--require-text", action="store_true", help="skip AMASS files without captions")
    source.add_argument("--smplx-root", help="folder of SMPL-X clips (source how2sign)")
    source.add_argument("--sentences", help="How2Sign sentences CSV (source how2sign)")
    source.add_argument("--fps", type=float, help="frame rate of the SMPL-X clips (source how2sign)")
    source.add_argument("--up-axis", choices=("y", "z"), default="y", help="up axis of the SMPL-X world")
    sim = parser.add_argument_group("simulation and windows")
    sim.add_argument("--sites", default="left_wrist,right_wrist", help="comma-separated sensor sites")
    sim.add_argument("--sampling-rate", type=float, default=50.0, help="IMU rate (Hz)")
    sim.add_argument("--acc-units", choices=("m/s^2", "g"), default="m/s^2")
    sim.add_argument("--gravity", choices=("include", "remove"), default="include")
    sim.add_argument("--error-model", choices=("none", "consumer_mems"), default="none")
    sim.add_argument("--smoothing-frames", type=int, default=1, help="finite-difference half-width (4 for video)")
    sim.add_argument("--window-s", type=float, default=2.0)
    sim.add_argument("--overlap", type=float, default=0.5)
    sim.add_argument("--pose-rate", type=float, default=20.0, help="pose frames per second (0: no pose)")
    sim.add_argument("--body-model", help="SMPL / SMPL-H / SMPL-X model file or folder (default: embedded body)")
    sim.add_argument(
        "--trust-pickled-body-model",
        action="store_true",
        help="unpickle a pickled --body-model (.pkl, .npz with object arrays): this runs code from the file, so only "
        "for files you trust; or convert it once with `imu-foundation convert-body-model`",
    )
    run = parser.add_argument_group("build and publish")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--splits", type=_splits, default=None, help="e.g. train=0.9,validation=0.05,test=0.05")
    run.add_argument("--split-seed", type=int, default=0)
    run.add_argument("--num-proc", type=int, default=os.cpu_count() or 1)
    run.add_argument("--cache-dir", help="keep the Arrow cache here (default: a temporary folder, removed)")
    run.add_argument("--push-to-hub", metavar="REPO_ID", help="also publish to the Hub as this dataset repo")
    run.add_argument("--private", action="store_true", help="make the Hub repo private")
    run.add_argument("--token", help="Hub token (default: the logged-in one)")
    args = parser.parse_args(argv)
    if args.source == "library" and args.num_windows is None and args.num_motions is None:
        parser.error("the library source needs --num-windows or --num-motions")
    if args.source == "amass" and not args.amass_root:
        parser.error("--source amass needs --amass-root")
    if args.source == "how2sign" and not (args.smplx_root and args.sentences and args.fps):
        parser.error("--source how2sign needs --smplx-root, --sentences and --fps")
    return args


def make_source(args: argparse.Namespace) -> LibrarySource | AmassSource | SmplxSentencesSource:
    if args.source == "library":
        activities = tuple(a.strip() for a in args.activities.split(",")) if args.activities else None
        return LibrarySource(num_motions=None if args.num_windows else args.num_motions, activities=activities)
    if args.source == "amass":
        return AmassSource(args.amass_root, args.texts, args.require_text, args.num_motions)
    return SmplxSentencesSource(args.smplx_root, args.sentences, args.fps, args.up_axis, args.num_motions)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return build(args)
    except FileExistsError as error:
        print(f"build_synthetic_corpus: {error}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError, PickledBodyModelError, BodyModelFileError) as error:
        print(f"build_synthetic_corpus: {error}", file=sys.stderr)
        return 2


def build(args: argparse.Namespace) -> int:
    check_replaceable(args.output, args.overwrite)  # before any work; nothing is deleted that we did not write
    settings = CorpusSettings(
        sites=tuple(s.strip() for s in args.sites.split(",")),
        sampling_rate_hz=args.sampling_rate,
        acc_units=args.acc_units,
        gravity=args.gravity,
        smoothing_frames=args.smoothing_frames,
        error_model=None if args.error_model == "none" else args.error_model,
        window_s=args.window_s,
        overlap=args.overlap,
        pose_rate_hz=args.pose_rate,
        body_model=args.body_model,
        trust_pickled_body_model=args.trust_pickled_body_model,
    )
    started = time.perf_counter()
    # Everything, the Arrow cache included, is written in a folder beside --output that becomes --output when the
    # build is complete; a killed build leaves only that folder, which the next build of --output removes.
    with building_folder(args.output, "synthetic IMU corpus", args.overwrite) as partial:
        corpus = build_synthetic_corpus(
            make_source(args),
            settings,
            seed=args.seed,
            num_windows=args.num_windows if args.source == "library" else None,
            split_fractions=args.splits,
            split_seed=args.split_seed,
            num_proc=args.num_proc,
            cache_dir=args.cache_dir or str(partial / ARROW_CACHE),
        )
        built = time.perf_counter() - started
        corpus.write_to(partial)
    if args.push_to_hub:
        url = corpus.push_to_hub(args.push_to_hub, private=args.private or None, token=args.token)
        print(f"pushed to {url}")
    shutil.rmtree(args.output / ARROW_CACHE, ignore_errors=True)
    total = sum(corpus.config["num_windows"].values())
    print(f"{total:,} windows ({corpus.config['num_windows']}) in {built:.1f} s ({total / built:.0f} windows/s)")
    print(f"saved to {args.output}; load with datasets.load_from_disk({str(args.output)!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
