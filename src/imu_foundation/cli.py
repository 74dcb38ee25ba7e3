"""The ``imu-foundation`` command line: each subcommand parses its arguments and calls one library function.

    imu-foundation demo                        # the whole story on the embedded defaults (the default subcommand)
    imu-foundation probe-imagenet              # frozen ImageNet spectrogram features against hand-crafted ones
    imu-foundation simulate --activity jumping_jacks --sites left_wrist right_ankle --rate 50
    imu-foundation convert-body-model SMPL_NEUTRAL.pkl smpl_neutral.npz
    imu-foundation zero-shot walk.csv --labels walking running sitting --sampling-rate 50 --acc-units g
    imu-foundation retrieve --index outputs/index --build outputs/corpus --query "a person climbs stairs"
    imu-foundation build-corpus corpora/pretrain-20k --windows 20000 --num-proc 2
    imu-foundation evaluate runs/multi3net-small --corpus corpora/pretrain-20k
    imu-foundation push runs/wrist --repo-id my-org/multi3net-wrist

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
        "the whole story on the embedded defaults: the shipped pre-trained Multi^3Net classifies real IMU zero-shot, "
        "retrieves simulated windows from text, is fine-tuned on 10 labels per class against a hand-crafted baseline, "
        "and is published to a loopback Hub and loaded back",
        "imu-foundation demo --output-dir outputs/demo --corpus-windows 240 --shots 10",
    )
    demo.add_argument("--output-dir", default="outputs/demo", help="where results go (default: %(default)s)")
    demo.add_argument("--overwrite", action="store_true", help="replace the results of an earlier demo there")
    demo.add_argument("--corpus-windows", type=_positive_int, default=240, help="simulated windows (default: 240)")
    demo.add_argument("--shots", type=_positive_int, default=10, help="labels per class to fine-tune on (default: 10)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the corpus, the shots and training (default: 0)")
    demo.add_argument("--no-publish", action="store_true", help="skip step 5 (the loopback Hub round trip)")
    demo.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> None:
    from .story import StorySettings, run_story

    settings = StorySettings(args.corpus_windows, args.shots, seed=args.seed, publish=not args.no_publish)
    run_story(args.output_dir, settings, overwrite=args.overwrite)


def _add_probe_imagenet(commands) -> None:
    probe = _subcommand(
        commands,
        "probe-imagenet",
        "real wrist IMU -> spectrograms -> frozen ImageNet encoder -> few-shot probes against baselines",
        "imu-foundation probe-imagenet --max-windows 350 --shots 5 --output-dir outputs/probe-imagenet",
    )
    probe.add_argument("--output-dir", default="outputs/probe-imagenet", help="where results go (default: %(default)s)")
    probe.add_argument("--overwrite", action="store_true", help="replace result files already in --output-dir")
    probe.add_argument("--max-windows", type=_positive_int, default=None, help="windows to use (default: all 1737)")
    probe.add_argument("--seed", type=int, default=0, help="seed of subsampling, folds and shots (default: 0)")
    probe.add_argument("--shots", type=_positive_int, default=10, help="training windows per class (default: 10)")
    probe.add_argument("--folds", type=_positive_int, default=5, help="leave-subjects-out folds (default: 5)")
    probe.add_argument("--repeats", type=_positive_int, default=3, help="draws of the shots per fold (default: 3)")
    probe.add_argument(
        "--no-untrained-control", action="store_true", help="skip the untrained-network control (halves encoding)"
    )
    probe.add_argument("--batch-size", type=_positive_int, default=64, help="windows per encoder batch (default: 64)")
    probe.set_defaults(handler=_run_probe_imagenet)


def _run_probe_imagenet(args: argparse.Namespace) -> None:
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


def _add_zero_shot(commands) -> None:
    zero_shot = _subcommand(
        commands,
        "zero-shot",
        "zero-shot activity labels of a recording window by window, or of a corpus split with its accuracy and "
        "macro-F1, from a Multi^3Net checkpoint",
        "imu-foundation zero-shot walk.csv --labels walking running sitting --sampling-rate 50 --acc-units g\n"
        "  imu-foundation zero-shot outputs/basic_motions --split test --model path/to/multi3net",
    )
    zero_shot.add_argument("input", metavar="INPUT", help="a recording (.npy (T, C) or .csv), or a corpus / Hub id")
    zero_shot.add_argument("--labels", nargs="+", default=None, help="the classes as free text (corpus: its classes)")
    zero_shot.add_argument("--template", nargs="+", default=None, help="hypothesis template(s), {} for the label")
    zero_shot.add_argument("--sampling-rate", type=float, default=None, help="the recording's rate in Hz")
    zero_shot.add_argument("--channel-names", nargs="+", default=None, help=".npy channels (default: the model's)")
    zero_shot.add_argument("--acc-units", default=None, help="m/s^2 (default) or g")
    zero_shot.add_argument("--gyro-units", default=None, help="rad/s (default) or deg/s")
    zero_shot.add_argument("--gravity", default=None, help="include (default: an accelerometer's reading) or remove")
    zero_shot.add_argument("--window-stride-s", type=float, default=None, help="seconds between window starts")
    zero_shot.add_argument("--pad-short", action="store_true", help="repeat recordings shorter than one window")
    zero_shot.add_argument("--split", default=None, help="corpus split (default: test, or the only one)")
    zero_shot.add_argument("--model", default=None, help=_MODEL_HELP)
    zero_shot.add_argument("--device", default=None, help="cpu, cuda, ... (default: transformers' choice)")
    zero_shot.add_argument("--batch-size", type=_positive_int, default=32, help="windows per forward (default: 32)")
    zero_shot.add_argument("--output-dir", default="outputs/zero-shot", help="where results go (default: %(default)s)")
    zero_shot.add_argument("--overwrite", action="store_true", help="replace result files already in --output-dir")
    zero_shot.set_defaults(handler=_run_zero_shot)


def _run_zero_shot(args: argparse.Namespace) -> None:
    from .evaluation.zero_shot import ZERO_SHOT_FILES, run_zero_shot
    from .outputs import remove_results

    if args.overwrite:
        remove_results(args.output_dir, ZERO_SHOT_FILES.values())
    run_zero_shot(
        args.input,
        args.output_dir,
        model=args.model,
        labels=args.labels,
        templates=args.template,
        split=args.split,
        window_stride_s=args.window_stride_s,
        pad_short=args.pad_short,
        batch_size=args.batch_size,
        device=args.device,
        sampling_rate=args.sampling_rate,
        channel_names=args.channel_names,
        acc_units=args.acc_units,
        gyro_units=args.gyro_units,
        gravity=args.gravity,
    )


def _add_retrieve(commands) -> None:
    retrieve = _subcommand(
        commands,
        "retrieve",
        "index a corpus's IMU windows with a Multi^3Net checkpoint and find the windows closest to text queries",
        "imu-foundation retrieve --index outputs/index --build outputs/corpus --model path/to/multi3net\n"
        '  imu-foundation retrieve --index outputs/index --query "a person climbs stairs" -k 5 --output-dir out',
    )
    retrieve.add_argument("--index", required=True, help="the index folder (written by --build, read otherwise)")
    retrieve.add_argument("--build", metavar="CORPUS", default=None, help="embed this corpus folder / Hub id first")
    retrieve.add_argument("--split", default=None, help="corpus split for --build (default: test, or the only one)")
    retrieve.add_argument("--kind", default="exact", help="exact (default), flat, hnsw or ivf; see docs/zero_shot.md")
    retrieve.add_argument("--query", nargs="+", default=None, help="text queries")
    retrieve.add_argument("-k", type=_positive_int, default=5, help="results per query (default: 5)")
    retrieve.add_argument("--model", default=None, help=_MODEL_HELP + "; queries default to the index's model")
    retrieve.add_argument("--device", default=None, help="cpu, cuda, ... (default: transformers' choice)")
    retrieve.add_argument("--batch-size", type=_positive_int, default=32, help="windows per forward (default: 32)")
    retrieve.add_argument("--output-dir", default=None, help="write hits.json and retrieved.png here")
    retrieve.add_argument("--overwrite", action="store_true", help="replace the index (--build) or result files")
    retrieve.set_defaults(handler=_run_retrieve)


def _run_retrieve(args: argparse.Namespace) -> None:
    from .evaluation.retrieval import RETRIEVAL_FILES, run_retrieval
    from .outputs import remove_results

    if args.overwrite and args.output_dir:
        remove_results(args.output_dir, RETRIEVAL_FILES.values())
    run_retrieval(
        args.index,
        build=args.build,
        split=args.split,
        kind=args.kind,
        queries=args.query,
        k=args.k,
        model=args.model,
        output_dir=args.output_dir,
        overwrite=args.overwrite,
        batch_size=args.batch_size,
        device=args.device,
    )


def _add_push(commands) -> None:
    push = _subcommand(
        commands,
        "push",
        "publish a checkpoint folder or a corpus folder (save_to_disk) to the Hugging Face Hub, with its card",
        "imu-foundation push runs/wrist --repo-id my-org/multi3net-wrist\n"
        "  imu-foundation push corpora/library-20k --repo-id my-org/imu-library-20k --private",
    )
    push.add_argument("path", metavar="PATH", help="a checkpoint (config.json) or a corpus (dataset_dict.json) folder")
    push.add_argument("--repo-id", required=True, help="the repo, namespace/name (created when missing)")
    push.add_argument("--private", action="store_true", help="create the repo private (an existing repo keeps its own)")
    push.add_argument("--token", default=None, help="Hub token (default: HF_TOKEN, or the one `hf auth login` stored)")
    push.set_defaults(handler=_run_push)


def _run_push(args: argparse.Namespace) -> None:
    from .publishing import push_folder

    pushed = push_folder(args.path, args.repo_id, private=args.private, token=args.token)
    print(f"pushed the {pushed['kind']} {args.path} to {pushed['url']}: {', '.join(pushed['files'])}")


def _add_build_corpus(commands) -> None:
    build = _subcommand(
        commands,
        "build-corpus",
        "build the package's pre-training corpus: library motions simulated at every usual device site, 20 Hz, "
        "10 s windows, captions and pose at the default model's pose rate; train / validation split by motion",
        "imu-foundation build-corpus corpora/library-20k --windows 20000 --seed 0 --num-proc 2",
    )
    build.add_argument("output", metavar="OUTPUT", help="the corpus folder to write (save_to_disk)")
    build.add_argument("--windows", type=_positive_int, required=True, help="number of windows in the corpus")
    build.add_argument("--seed", type=int, default=0, help="seed of the motions and sensors (default: 0)")
    build.add_argument("--num-proc", type=_positive_int, default=1, help="processes to simulate on (default: 1)")
    build.add_argument("--overwrite", action="store_true", help="replace an OUTPUT this package wrote")
    build.set_defaults(handler=_run_build_corpus)


def _run_build_corpus(args: argparse.Namespace) -> None:
    from .pretraining import DEFAULT_VARIANT, build_pretraining_corpus, pose_fps_of

    pose_fps = pose_fps_of(DEFAULT_VARIANT)
    path = build_pretraining_corpus(args.output, args.windows, pose_fps, args.seed, args.num_proc, args.overwrite)
    print(f"wrote {args.windows} windows (pose at {pose_fps:g} fps, for {DEFAULT_VARIANT}) to {path}")


def _add_evaluate(commands) -> None:
    evaluate = _subcommand(
        commands,
        "evaluate",
        "zero-shot accuracy and macro-F1 of a Multi^3Net checkpoint on the real benchmarks (BasicMotions, wrist "
        "exercises) against chance, and with --corpus text-IMU retrieval on its held-out split",
        "imu-foundation evaluate runs/small --corpus corpora/library-20k --json outputs/evaluate.json",
    )
    evaluate.add_argument("model", metavar="MODEL", help="Multi^3Net checkpoint folder or Hub id")
    evaluate.add_argument("--corpus", default=None, help="a corpus folder / Hub id for retrieval on --split")
    evaluate.add_argument("--split", default="validation", help="the corpus's held-out split (default: %(default)s)")
    evaluate.add_argument(
        "--prompts", choices=("class names", "label strings"), default="class names", help="(default: %(default)s)"
    )
    evaluate.add_argument("--json", default=None, help="write the scores to this JSON file")
    evaluate.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    evaluate.set_defaults(handler=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> None:
    import json
    from pathlib import Path

    from .evaluation.zero_shot_benchmarks import evaluate_checkpoint, results_table
    from .outputs import refuse_to_overwrite

    target = Path(args.json) if args.json else None
    if target is not None and not args.overwrite:  # before any work
        refuse_to_overwrite(target.parent, [target.name])
    scores = evaluate_checkpoint(args.model, args.corpus, args.prompts, args.split)
    print(f"{args.model}, prompts: {args.prompts}")
    print(results_table(scores))
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        record = {"model": args.model, "corpus": args.corpus, "split": args.split, "prompts": args.prompts}
        target.write_text(json.dumps({**record, "scores": scores}, indent=2) + "\n")
        print(f"wrote {target}")


_MODEL_HELP = "Multi^3Net checkpoint folder or Hub id (default: the pre-trained checkpoint shipped with the package)"


# Commands whose words go straight to a library ``main`` that parses them with ``TrainingArguments`` (every field is
# an option; ``--help`` lists them): they are listed in the help below but not parsed here.
TRAINER_COMMANDS = {
    "pretrain": (
        ".pretraining",
        "pre-train Multi^3Net on a synthetic corpus (built first when missing) with the Trainer; any "
        "TrainingArguments field is an option, e.g. --corpus corpora/library-20k --corpus_windows 20000 "
        "--output_dir runs/small",
    ),
    "finetune": (
        ".finetuning",
        "fine-tune Img2Imu or Multi^3Net on a few labelled windows (one fold of the few-shot protocol) with the "
        "Trainer, e.g. --model pretrained --dataset wrist_exercises --shots 10 --output_dir runs/wrist",
    ),
}


def _run_trainer_command(name: str, arguments: list[str]) -> None:
    import importlib

    module = importlib.import_module(TRAINER_COMMANDS[name][0], __package__)
    module.main(arguments, prog=f"imu-foundation {name}")


SUBCOMMANDS: dict[str, Callable] = {
    "demo": _add_demo,
    "probe-imagenet": _add_probe_imagenet,
    "simulate": _add_simulate,
    "convert-body-model": _add_convert_body_model,
    "zero-shot": _add_zero_shot,
    "retrieve": _add_retrieve,
    "push": _add_push,
    "build-corpus": _add_build_corpus,
    "evaluate": _add_evaluate,
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
    for name, (_, summary) in TRAINER_COMMANDS.items():
        commands.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``imu-foundation`` console script; ``demo`` runs when no subcommand is named."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in {**SUBCOMMANDS, **TRAINER_COMMANDS} and argv[0] not in ("-h", "--help")):
        argv = [DEFAULT_SUBCOMMAND, *argv]
    if argv[0] in TRAINER_COMMANDS:
        args = argparse.Namespace(command=argv[0], handler=lambda _: _run_trainer_command(argv[0], argv[1:]))
    else:
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
