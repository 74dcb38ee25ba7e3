"""The ``imu-foundation`` command line: each subcommand parses its arguments and calls one library function.

    imu-foundation demo                        # the main job on the embedded defaults (the default subcommand)
    imu-foundation simulate --activity jumping_jacks --sites left_wrist right_ankle --rate 50
    imu-foundation convert-body-model SMPL_NEUTRAL.pkl smpl_neutral.npz

Bad input is one line on stderr and exit status 2; a refusal to overwrite results is exit status 1. Set
``IMU_FOUNDATION_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

DEFAULT_SUBCOMMAND = "demo"


# ----------------------------------------------------------------------------------------------------------------------
# Subcommands: arguments, then a handler that calls the library
# ----------------------------------------------------------------------------------------------------------------------
def _add_demo(commands) -> None:
    demo = _subcommand(
        commands,
        "demo",
        "real wrist IMU -> spectrograms -> frozen ImageNet encoder -> few-shot probes against baselines",
        "imu-foundation demo --max-windows 350 --shots 5 --output-dir outputs/demo",
    )
    demo.add_argument("--output-dir", default="outputs/demo", help="where results go (default: %(default)s)")
    demo.add_argument("--overwrite", action="store_true", help="replace result files already in --output-dir")
    demo.add_argument("--max-windows", type=_positive_int, default=None, help="windows to use (default: all 1737)")
    demo.add_argument("--seed", type=int, default=0, help="seed of subsampling, folds and shots (default: 0)")
    demo.add_argument("--shots", type=_positive_int, default=10, help="training windows per class (default: 10)")
    demo.add_argument("--folds", type=_positive_int, default=5, help="leave-subjects-out folds (default: 5)")
    demo.add_argument("--repeats", type=_positive_int, default=3, help="draws of the shots per fold (default: 3)")
    demo.add_argument(
        "--no-untrained-control", action="store_true", help="skip the untrained-network control (halves encoding)"
    )
    demo.add_argument("--batch-size", type=_positive_int, default=64, help="windows per encoder batch (default: 64)")
    demo.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> None:
    from .data.real_benchmarks import load_wrist_exercises
    from .evaluation.few_shot import FewShotProtocol
    from .evaluation.frozen_features import RESULT_FILES, FrozenProbeSettings, run_frozen_feature_probe
    from .outputs import remove_results

    if args.overwrite:
        remove_results(args.output_dir, RESULT_FILES.values())
    protocol = FewShotProtocol(shots=args.shots, folds=args.folds, repeats=args.repeats, seed=args.seed)
    settings = FrozenProbeSettings(args.max_windows, protocol, not args.no_untrained_control, args.batch_size)
    run_frozen_feature_probe(load_wrist_exercises(), args.output_dir, settings)


def _add_simulate(commands) -> None:
    simulate = _subcommand(
        commands,
        "simulate",
        "simulate IMU readings of a motion on an SMPL body",
        "imu-foundation simulate --activity jumping_jacks --seed 3 --sites left_wrist right_ankle --rate 50\n"
        "  imu-foundation simulate --motion CMU/01/01_01_poses.npz --body-model ~/models/smplh.npz",
    )
    source = simulate.add_mutually_exclusive_group()
    source.add_argument("--activity", default="walking", help="motion library activity (default: walking)")
    source.add_argument("--motion", default=None, help="an AMASS .npz motion file instead of the library")
    simulate.add_argument("--seed", type=int, default=0, help="seed of the motion and sensor errors (default: 0)")
    simulate.add_argument("--duration-s", type=float, default=None, help="motion length (default: drawn)")
    simulate.add_argument("--handedness", choices=("left", "right"), default=None, help="for one-handed activities")
    simulate.add_argument("--sites", nargs="+", default=["left_wrist", "right_wrist"], help="sensor sites")
    simulate.add_argument("--rate", type=float, default=50.0, help="sensor sampling rate in Hz (default: 50)")
    simulate.add_argument("--units", choices=("m/s^2", "g"), default="m/s^2", help="accelerometer units")
    simulate.add_argument("--gravity", choices=("include", "remove"), default="include", help="gravity mode")
    simulate.add_argument("--sensor-errors", action="store_true", help="add consumer MEMS noise, bias, scale, ...")
    simulate.add_argument("--body-model", default=None, help="SMPL-family model file or folder (default: embedded)")
    simulate.add_argument("--model-type", choices=("smpl", "smplh", "smplx"), default=None)
    simulate.add_argument("--gender", choices=("neutral", "male", "female"), default="neutral")
    simulate.add_argument(
        "--trust-pickled-body-model",
        action="store_true",
        help="unpickle a pickled --body-model (.pkl, .npz with object arrays): this runs code from the file, so only "
        "for files you trust; or convert it once with convert-body-model",
    )
    simulate.add_argument("--output-dir", default="outputs/simulate", help="where results go (default: %(default)s)")
    simulate.add_argument("--overwrite", action="store_true", help="replace result files already in --output-dir")
    simulate.set_defaults(handler=_run_simulate)


def _run_simulate(args: argparse.Namespace) -> None:
    from .outputs import refuse_to_overwrite
    from .simulation import (
        ImuErrorModel,
        MotionSequence,
        generate_motion,
        list_activities,
        load_body_model,
        save_simulation,
        simulate_imu,
    )
    from .simulation.recording import SIMULATION_FILES

    if not args.overwrite:  # before any work: nothing is computed for results that cannot be written
        refuse_to_overwrite(args.output_dir, SIMULATION_FILES.values())
    body = load_body_model(
        args.body_model, args.model_type, args.gender, trust_pickled_files=args.trust_pickled_body_model
    )
    if args.motion:
        motion = MotionSequence.from_amass_npz(args.motion)
    elif args.activity not in list_activities():
        raise ValueError(f"unknown --activity {args.activity!r}; choose one of: {', '.join(list_activities())}.")
    else:
        motion = generate_motion(args.activity, args.seed, duration_s=args.duration_s, handedness=args.handedness)
    imu = simulate_imu(
        motion,
        body,
        args.sites,
        sampling_rate_hz=args.rate,
        acc_units=args.units,
        gravity=args.gravity,
        error_model=ImuErrorModel.consumer_mems() if args.sensor_errors else None,
        seed=args.seed,
    )
    paths = save_simulation(imu, motion, args.output_dir, overwrite=args.overwrite)
    print(f"motion: {motion.sequence_id}, {motion.duration_s:.1f} s at {motion.fps:g} fps; body: {body.source}")
    for caption in motion.captions:
        print(f"  caption: {caption}")
    print(
        f"readings: {tuple(imu.acc.shape)} acc ({imu.acc_units}, gravity {imu.gravity}) and gyro (rad/s) at "
        f"{imu.sampling_rate_hz:g} Hz"
    )
    for path in paths.values():
        print(f"wrote {path}")


def _add_convert_body_model(commands) -> None:
    convert = _subcommand(
        commands,
        "convert-body-model",
        "convert a pickled SMPL-family model file once to a pickle-free .npz",
        "imu-foundation convert-body-model ~/Downloads/SMPL_NEUTRAL.pkl ~/models/smpl_neutral.npz",
    )
    convert.add_argument(
        "source", metavar="SOURCE", help="the downloaded .pkl / .npz; it is unpickled: name only files you trust"
    )
    convert.add_argument("target", metavar="TARGET", help="the .npz to write")
    convert.add_argument("--model-type", choices=("smpl", "smplh", "smplx"), default=None, help="default: from SOURCE")
    convert.add_argument("--gender", choices=("neutral", "male", "female"), default=None, help="default: from SOURCE")
    convert.add_argument("--overwrite", action="store_true", help="replace an existing TARGET")
    convert.set_defaults(handler=_run_convert_body_model)


def _run_convert_body_model(args: argparse.Namespace) -> None:
    """Naming a file here is trusting it: it is unpickled once and written without pickles."""
    from .simulation import convert_body_model

    target = convert_body_model(
        args.source, args.target, args.model_type, args.gender, trust_pickled_files=True, overwrite=args.overwrite
    )
    print(f"wrote {target}: pickle-free, loads with no --trust-pickled-body-model")


SUBCOMMANDS: dict[str, Callable] = {
    "demo": _add_demo,
    "simulate": _add_simulate,
    "convert-body-model": _add_convert_body_model,
}


# ----------------------------------------------------------------------------------------------------------------------
# Plumbing
# ----------------------------------------------------------------------------------------------------------------------
def _subcommand(commands, name: str, summary: str, example: str) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=f"{summary}.\n\nexample:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imu-foundation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for add in SUBCOMMANDS.values():
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``imu-foundation`` console script; ``demo`` runs when no subcommand is named."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help")):
        argv = [DEFAULT_SUBCOMMAND, *argv]
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except FileExistsError as error:
        if os.environ.get("IMU_FOUNDATION_DEBUG"):
            raise
        print(f"imu-foundation {args.command}: {error}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError, ImportError) as error:
        if os.environ.get("IMU_FOUNDATION_DEBUG"):
            raise
        print(f"imu-foundation {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
