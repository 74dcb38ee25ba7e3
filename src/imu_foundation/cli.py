"""The ``imu-foundation`` command line.

``imu-foundation demo`` (the default) runs the package's main job on real data that installs offline: smartwatch
exercise windows -> IMG2IMU spectrogram images -> the ImageNet-initialised Img2Imu EfficientNet-Lite0 encoder ->
embeddings, pictures and a few-shot, leave-subjects-out evaluation of the frozen features against a simple baseline.

    imu-foundation demo --output-dir outputs/demo

``imu-foundation simulate`` simulates wrist (or any) IMU readings from a motion of the generated motion library or
an AMASS file, on the embedded body or the user's SMPL files, and saves them with a plot.

    imu-foundation simulate --activity jumping_jacks --seed 3 --sites left_wrist right_ankle --rate 50
    imu-foundation simulate --motion CMU/01/01_01_poses.npz --body-model ~/models/smplh --model-type smplh

``imu-foundation convert-body-model`` unpickles a downloaded SMPL-family model file once (trusting it) and writes a
pickle-free .npz that --body-model then reads with no --trust-pickled-body-model.

    imu-foundation convert-body-model ~/models/smpl/SMPL_NEUTRAL.pkl ~/models/smpl-npz/SMPL_NEUTRAL.npz

``imu-foundation zero-shot`` labels a recording (.npy / .csv) window by window against free-text labels with a
Multi^3Net checkpoint, or scores a corpus split (a save_to_disk folder or Hub id) against its classes.

    imu-foundation zero-shot walk.csv --labels walking running sitting --sampling-rate 50 --acc-units g
    imu-foundation zero-shot outputs/basic_motions --split test --model path/to/multi3net

``imu-foundation retrieve`` builds a searchable index of a corpus's windows (--build) and finds the windows closest
to a text query.

    imu-foundation retrieve --index outputs/index --build outputs/corpus --model path/to/multi3net
    imu-foundation retrieve --index outputs/index --query "a person climbs stairs" -k 5
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm.auto import tqdm

from .data import load_wrist_exercises
from .evaluation import PROBES, FewShotProtocol, few_shot_scores, max_shots, subject_folds
from .factory import create_feature_extractor, create_model
from .pipelines import DEFAULT_HYPOTHESIS_TEMPLATE
from .plotting import save_embedding_plot, save_spectrogram_preview

MODEL_NAME = "img2imu-efficientnet-lite0-acc-gyro"
RESULT_FILES = {
    "preview": "spectrograms.png",
    "embeddings": "embeddings.safetensors",
    "pca": "embeddings_pca.png",
    "results": "results.json",
}
# Feature sets compared by the demo, in the order they are printed (keys are the safetensors names).
FEATURE_NAMES = {
    "imagenet": "Img2Imu EfficientNet-Lite0, ImageNet weights, frozen",
    "random_init": "control: same encoder, random weights",
    "baseline": "baseline: per-channel mean/std/energy",
}
_SUBCOMMANDS = ("demo", "simulate", "convert-body-model", "zero-shot", "retrieve")
SIMULATION_FILES = {"readings": "imu.safetensors", "plot": "imu.png"}


# --------------------------------------------------------------------------------------------------------------
# Demo steps
# --------------------------------------------------------------------------------------------------------------
def balanced_subsample(labels: np.ndarray, subjects: np.ndarray, max_windows: int, seed: int) -> np.ndarray:
    """Sorted indices of ``max_windows`` windows spread evenly over the (subject, class) cells, seeded.

    Windows are ranked at random within their cell and taken rank by rank, so every cell keeps a window before any
    cell keeps two.
    """
    if max_windows >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    cells = np.unique(subjects, return_inverse=True)[1] * (int(labels.max()) + 1) + labels
    rank = np.empty(len(labels), dtype=np.int64)
    for cell in np.unique(cells):
        members = np.flatnonzero(cells == cell)
        rank[rng.permutation(members)] = np.arange(len(members))
    order = np.lexsort((rng.random(len(labels)), rank))
    return np.sort(order[:max_windows])


def baseline_features(windows: np.ndarray) -> np.ndarray:
    """Per-channel mean, standard deviation and energy (mean square) of raw ``(N, T, C)`` windows -> ``(N, 3C)``."""
    windows = windows.astype(np.float64)
    return np.concatenate([windows.mean(axis=1), windows.std(axis=1), np.square(windows).mean(axis=1)], axis=1)


def encode(
    models: dict[str, torch.nn.Module], extractor, windows: np.ndarray, sampling_rate: float, batch_size: int
) -> dict[str, torch.Tensor]:
    """Pooled features ``(N, hidden_size)`` of ``(N, T, C)`` windows from each model, batch by batch, with a progress
    bar; each batch of spectrogram images is computed once and fed to every model."""
    outputs = {name: [] for name in models}
    with tqdm(total=len(windows), desc="encoding", unit="window") as progress:
        for start in range(0, len(windows), batch_size):
            batch = windows[start : start + batch_size]
            pixel_values = extractor(batch, sampling_rate=sampling_rate)["pixel_values"]
            with torch.inference_mode():
                for name, model in models.items():
                    outputs[name].append(model(pixel_values).pooler_output.float())
            progress.update(len(batch))
    return {name: torch.cat(chunks) for name, chunks in outputs.items()}


def _one_window_per_class(labels: np.ndarray) -> np.ndarray:
    """Index of the first window of every class present in ``labels``, in class order."""
    classes, first = np.unique(labels, return_index=True)
    return first[np.argsort(classes)]


def _existing_results(output_dir: Path) -> list[Path]:
    return [output_dir / name for name in RESULT_FILES.values() if (output_dir / name).exists()]


def _summary(values: Sequence[float]) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def _print_protocol(data, selected: np.ndarray, protocol: FewShotProtocol) -> None:
    subjects = data.subjects[selected]
    folds = subject_folds(subjects, protocol.folds, protocol.seed)
    runs = protocol.folds * protocol.repeats
    window = data.windows.shape[1]
    print("\nFew-shot evaluation of frozen features, leave-subjects-out")
    print(
        f"  data     : {len(selected)} windows of {window / data.sampling_rate_hz:g} s ({window} samples at "
        f"{data.sampling_rate_hz:g} Hz), {len(np.unique(subjects))} subjects, {len(data.label_names)} classes"
    )
    held_out = [group.tolist() for group in folds]
    print(f"  folds    : {protocol.folds}; held-out subjects per fold {held_out} (seed {protocol.seed})")
    print(
        f"  training : {protocol.shots} windows per class ({protocol.shots * len(data.label_names)} in all) from the "
        f"other subjects, {protocol.repeats} draws per fold (seeds ({protocol.seed}, fold, draw))"
    )
    print(
        f"  probes   : logistic regression (L2, C={protocol.C:g}, L-BFGS) and nearest class mean (Euclidean),\n"
        f"             on features z-scored with the training shots' statistics; nothing tuned on held-out subjects"
    )
    print(f"  metric   : macro-F1 over all windows of the held-out subjects; mean ± std over {runs} runs")


def _print_scores(scores: dict[str, dict[str, list[float]]], dims: dict[str, int], num_classes: int) -> None:
    """The table of macro-F1 (mean ± std over runs) and how often the first feature set wins the paired runs."""
    width = max(len(name) for name in scores)
    header = f"  {'feature':<{width}}  {'dim':>5}  " + "  ".join(f"{probe:<26}" for probe in PROBES)
    print("\n" + header.rstrip())
    for name, by_probe in scores.items():
        cells = "  ".join(f"{'macro-F1 ' + _summary(by_probe[probe]):<26}" for probe in PROBES)
        print(f"  {name:<{width}}  {dims[name]:>5}  {cells}".rstrip())
    first, *others = scores
    for other, probe in itertools.product(others, PROBES):
        wins = int(np.sum(np.array(scores[first][probe]) > np.array(scores[other][probe])))
        print(f"  {probe}: ImageNet features beat '{other}' in {wins}/{len(scores[first][probe])} paired runs")
    print(f"  chance level (uniform guessing): macro-F1 about {1 / num_classes:.3f}")


def _save_embeddings(path: Path, features: dict[str, torch.Tensor], data, selected: np.ndarray) -> None:
    """Writes the feature sets ``(N, D)`` with labels, subjects and window indices ``(N,)`` as safetensors."""
    tensors = {name: value.float() for name, value in features.items()}
    tensors |= {
        "labels": torch.as_tensor(data.labels[selected]),
        "subjects": torch.as_tensor(data.subjects[selected].astype(np.int64)),
        "window_index": torch.as_tensor(selected),
    }
    metadata = {
        "model": MODEL_NAME,
        "embeddings": "pooler_output of the Img2Imu EfficientNet-Lite0 encoder with ImageNet weights, frozen",
        "label_names": json.dumps(data.label_names),
        "channel_names": json.dumps(data.channel_names),
        "sampling_rate_hz": str(data.sampling_rate_hz),
        "window_samples": str(data.windows.shape[1]),
    }
    save_file({name: value.contiguous() for name, value in tensors.items()}, str(path), metadata=metadata)


def _save_preview(path: Path, extractor, windows: np.ndarray, labels: np.ndarray, subjects: np.ndarray, data) -> None:
    """One spectrogram image per class, acc tile above gyro tile."""
    chosen = _one_window_per_class(labels)
    save_spectrogram_preview(
        extractor(windows[chosen], sampling_rate=data.sampling_rate_hz)["pixel_values"],
        [f"{data.label_names[labels[i]]} (subject {subjects[i]})" for i in chosen],
        path,
        extractor.image_mean,
        extractor.image_std,
        window_seconds=windows.shape[1] / data.sampling_rate_hz,
        max_frequency_hz=extractor.sampling_rate / 2,
    )


def _encoders(seed: int, random_control: bool) -> dict[str, torch.nn.Module]:
    """The ImageNet-initialised encoder and, as a control, the same architecture with seeded random weights."""
    encoders = {"imagenet": create_model(MODEL_NAME, task="base", pretrained="imagenet").eval()}
    if random_control:
        torch.manual_seed(seed)
        encoders["random_init"] = create_model(MODEL_NAME, task="base").eval()
    return encoders


def run_demo(args: argparse.Namespace) -> int:
    """The ``demo`` subcommand; returns the exit status."""
    output_dir = Path(args.output_dir)
    existing = _existing_results(output_dir)
    if existing and not args.overwrite:
        names = ", ".join(str(path) for path in existing)
        print(
            f"Refusing to overwrite existing results ({names}); pass --overwrite or choose another --output-dir.",
            file=sys.stderr,
        )
        return 1
    started = time.perf_counter()
    data = load_wrist_exercises()
    selected = balanced_subsample(data.labels, data.subjects, args.max_windows or len(data), args.seed)
    windows, labels, subjects = data.windows[selected], data.labels[selected], data.subjects[selected]
    print(f"Loaded {len(data)} real smartwatch windows (seglearn watch data); using {len(selected)}.")
    try:
        available = max_shots(labels, subjects, args.folds, args.seed)
    except ValueError as error:  # more folds than subjects
        print(f"--folds {args.folds}: {error}", file=sys.stderr)
        return 2
    if args.shots > available:
        print(
            f"--shots {args.shots} is too many: with {len(selected)} windows and {args.folds} folds, some class has "
            f"only {available} training windows in some fold. Lower --shots or raise --max-windows.",
            file=sys.stderr,
        )
        return 2

    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {key: output_dir / name for key, name in RESULT_FILES.items()}
    extractor = create_feature_extractor(MODEL_NAME)
    _save_preview(paths["preview"], extractor, windows, labels, subjects, data)

    encoders = _encoders(args.seed, not args.no_random_control)
    encode_start = time.perf_counter()
    features = encode(encoders, extractor, windows, data.sampling_rate_hz, args.batch_size)
    seconds = time.perf_counter() - encode_start
    print(f"Encoded {len(windows)} windows with {len(encoders)} encoder(s) in {seconds:.1f} s.")
    features["baseline"] = torch.as_tensor(baseline_features(windows))
    _save_embeddings(paths["embeddings"], features, data, selected)
    save_embedding_plot(
        features["imagenet"],
        labels,
        data.label_names,
        paths["pca"],
        title="Img2Imu EfficientNet-Lite0 (ImageNet, frozen) embeddings, PCA",
    )

    protocol = FewShotProtocol(shots=args.shots, folds=args.folds, repeats=args.repeats, seed=args.seed)
    named = {FEATURE_NAMES[key]: value.numpy() for key, value in features.items()}
    _print_protocol(data, selected, protocol)
    scores = few_shot_scores(named, labels, subjects, protocol)
    _print_scores(scores, {name: value.shape[1] for name, value in named.items()}, len(data.label_names))

    results = {"protocol": vars(protocol), "num_windows": len(selected), "model": MODEL_NAME, "macro_f1": scores}
    paths["results"].write_text(json.dumps(results, indent=2))
    print("\nWrote:")
    for path in paths.values():
        print(f"  {path}")
    print(f"Done in {time.perf_counter() - started:.1f} s.")
    return 0


# --------------------------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------------------------
def run_simulate(args: argparse.Namespace) -> int:
    """Simulates IMU readings of one motion and saves ``imu.safetensors`` (acc, gyro, pose features) and ``imu.png``."""
    from .plotting import save_imu_plot
    from .simulation import ImuErrorModel, MotionSequence, generate_motion, load_body_model, pose_representation
    from .simulation import simulate_imu as simulate

    output_dir = Path(args.output_dir)
    paths = {key: output_dir / name for key, name in SIMULATION_FILES.items()}
    existing = [path for path in paths.values() if path.exists()]
    if existing and not args.overwrite:
        print(f"Refusing to overwrite {', '.join(map(str, existing))}; pass --overwrite or another --output-dir.")
        return 1
    try:
        body = load_body_model(
            args.body_model, args.model_type, args.gender, trust_pickled_files=args.trust_pickled_body_model
        )
    except (FileNotFoundError, ValueError) as error:  # a refused pickle, a missing or bad file (BodyModelFileError)
        print(f"imu-foundation simulate: {error}", file=sys.stderr)
        return 2
    if args.motion:
        motion = MotionSequence.from_amass_npz(args.motion)
    else:
        motion = generate_motion(args.activity, args.seed, duration_s=args.duration_s, handedness=args.handedness)
    imu = simulate(
        motion,
        body,
        args.sites,
        sampling_rate_hz=args.rate,
        acc_units=args.units,
        gravity=args.gravity,
        error_model=ImuErrorModel.consumer_mems() if args.sensor_errors else None,
        seed=args.seed,
    )
    metadata = {
        "sensor_names": json.dumps(imu.sensor_names),
        "channel_names": json.dumps(imu.channel_names),
        "sampling_rate_hz": str(imu.sampling_rate_hz),
        "acc_units": imu.acc_units,
        "gyro_units": "rad/s",
        "gravity": imu.gravity,
        "captions": json.dumps(motion.captions),
        "activity": motion.activity or "",
        "sequence_id": motion.sequence_id,
        "motion_fps": str(motion.fps),
        "generator": json.dumps(motion.metadata),
        "simulation": json.dumps(imu.metadata),
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    tensors = {"acc": imu.acc.contiguous(), "gyro": imu.gyro.contiguous(), "pose": pose_representation(motion)}
    save_file(tensors, str(paths["readings"]), metadata=metadata)
    title = f"{motion.activity or motion.sequence_id}: " + (motion.captions[0] if motion.captions else "")
    save_imu_plot(imu.acc, imu.gyro, imu.sampling_rate_hz, imu.sensor_names, paths["plot"], imu.acc_units, title)
    print(f"motion: {motion.sequence_id}, {motion.duration_s:.1f} s at {motion.fps:g} fps; body: {body.source}")
    for caption in motion.captions:
        print(f"  caption: {caption}")
    print(
        f"readings: {tuple(imu.acc.shape)} acc ({imu.acc_units}, gravity {imu.gravity}) and gyro (rad/s) at "
        f"{imu.sampling_rate_hz:g} Hz"
    )
    for path in paths.values():
        print(f"wrote {path}")
    return 0


def run_convert_body_model(args: argparse.Namespace) -> int:
    """Converts a model file, which the user trusts by naming it here, to a pickle-free ``.npz``."""
    from .simulation import BodyModelFileError, convert_body_model

    try:
        target = convert_body_model(
            args.source, args.target, args.model_type, args.gender, trust_pickled_files=True, overwrite=args.overwrite
        )
    except (BodyModelFileError, FileExistsError, ValueError) as error:
        print(f"imu-foundation convert-body-model: {error}", file=sys.stderr)
        return 2
    print(f"wrote {target}: pickle-free, loads with no --trust-pickled-body-model")
    return 0


# --------------------------------------------------------------------------------------------------------------
# Zero-shot classification and retrieval (Multi^3Net)
# --------------------------------------------------------------------------------------------------------------
ZERO_SHOT_FILES = {
    "results": "zero_shot.json",
    "timeline": "timeline.png",
    "similarity": "similarity.png",
    "confusion": "confusion.png",
}
RETRIEVAL_FILES = {"hits": "hits.json", "windows": "retrieved.png"}
RECORDING_SUFFIXES = (".npy", ".csv")
_PRINTED_WINDOWS = 20


def read_recording(path: Path, channel_names: Sequence[str] | None) -> tuple[np.ndarray, list[str] | None]:
    """A recording file -> ``(T, C)`` readings and channel names: ``.npy`` (names from ``channel_names``, default the
    model's) or ``.csv`` (a header row names the channels; a ``time_s`` column is ignored)."""
    if not path.is_file():
        raise ValueError(f"No recording file {path}.")
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False), list(channel_names) if channel_names else None
    import pandas as pd

    frame = pd.read_csv(path)
    if channel_names:
        raise ValueError(f"{path}: a CSV names its channels in its header row; drop --channel-names.")
    frame = frame.drop(columns=[column for column in ("time_s",) if column in frame.columns])
    try:
        values = frame.to_numpy(dtype=np.float64)
    except ValueError as error:
        raise ValueError(f"{path}: every column but time_s must hold numbers ({error}).") from error
    return values, [str(column) for column in frame.columns]


def _prepare_output_dir(output_dir: Path, names: dict[str, str], overwrite: bool) -> dict[str, Path] | None:
    """The result paths in ``output_dir`` (created), or None (after a message) when some exist and may not be
    overwritten."""
    paths = {key: output_dir / name for key, name in names.items()}
    existing = [path for path in paths.values() if path.exists()]
    if existing and not overwrite:
        listed = ", ".join(map(str, existing))
        print(f"Refusing to overwrite {listed}; pass --overwrite or another --output-dir.", file=sys.stderr)
        return None
    output_dir.mkdir(parents=True, exist_ok=True)
    return paths


def _zero_shot_recording(args: argparse.Namespace, classifier, paths: dict[str, Path]) -> None:
    from .evaluation.zero_shot import classify_recording, text_window_similarity
    from .plotting import save_label_timeline, save_similarity_heatmap

    if args.sampling_rate is None:
        raise ValueError("--sampling-rate (Hz) is required for a recording file.")
    if not args.labels:
        raise ValueError("--labels is required for a recording file: the classes as free text.")
    values, names = read_recording(Path(args.input), args.channel_names)
    layout = {
        "sampling_rate": args.sampling_rate,
        "channel_names": names,
        "acc_units": args.acc_units,
        "gyro_units": args.gyro_units,
        "gravity": args.gravity,
    }
    options = {"window_stride_s": args.window_stride_s, "batch_size": args.batch_size, "pad_short": args.pad_short}
    timeline = classify_recording(
        classifier, values, args.labels, hypothesis_template=args.template, **options, **layout
    )
    prompts = [(args.template or [DEFAULT_HYPOTHESIS_TEMPLATE])[0].format(label) for label in args.labels]
    similarity, starts = text_window_similarity(classifier, values, prompts, **options, **layout)
    print(f"{args.input}: {len(values)} samples at {args.sampling_rate:g} Hz, {len(timeline.start_s)} windows")
    for start, end, label, score in list(
        zip(timeline.start_s, timeline.end_s, timeline.predicted, timeline.scores.max(axis=1))
    )[:_PRINTED_WINDOWS]:
        print(f"  {start:8.2f} - {end:8.2f} s  {label:<24} {score:.3f}")
    if len(timeline.start_s) > _PRINTED_WINDOWS:
        print(f"  ... {len(timeline.start_s) - _PRINTED_WINDOWS} more windows in {paths['results']}")
    windows = [
        {"start_s": float(start), "end_s": float(end), "scores": dict(zip(timeline.candidate_labels, map(float, row)))}
        for start, end, row in zip(timeline.start_s, timeline.end_s, timeline.scores)
    ]
    record = {"input": str(args.input), "model": classifier.model.name_or_path, "labels": args.labels}
    paths["results"].write_text(json.dumps({**record, "windows": windows}, indent=2) + "\n")
    save_label_timeline(timeline.start_s, timeline.end_s, timeline.scores, timeline.candidate_labels, paths["timeline"])
    save_similarity_heatmap(similarity, prompts, paths["similarity"], window_start_s=starts)
    for key in ("results", "timeline", "similarity"):
        print(f"wrote {paths[key]}")


def _zero_shot_corpus(args: argparse.Namespace, classifier, paths: dict[str, Path]) -> None:
    from .evaluation.zero_shot import classify_corpus
    from .plotting import save_confusion_matrix

    given = [
        flag for flag in ("sampling_rate", "channel_names", "acc_units", "gyro_units", "gravity") if getattr(args, flag)
    ]
    if given:
        flags = ", ".join("--" + flag.replace("_", "-") for flag in given)
        raise ValueError(f"A corpus declares its device layout in its columns; drop {flags}.")
    result = classify_corpus(
        classifier,
        args.input,
        split=args.split,
        candidate_labels=args.labels,
        hypothesis_template=args.template,
        batch_size=args.batch_size,
        pad_short=args.pad_short,
    )
    print(f"{args.input}: {len(result.predictions)} windows, labels {result.candidate_labels}")
    for name, value in result.metrics.items():
        print(f"  {name}: {value:.3f}")
    print(f"  chance level (uniform guessing): accuracy about {1 / len(result.candidate_labels):.3f}")
    record = {
        "input": str(args.input),
        "split": args.split,
        "model": classifier.model.name_or_path,
        "labels": result.candidate_labels,
        "metrics": result.metrics,
        "predictions": result.predictions,
        "references": result.references,
    }
    paths["results"].write_text(json.dumps(record, indent=2) + "\n")
    save_confusion_matrix(
        result.confusion_matrix(), result.candidate_labels, paths["confusion"], title="Zero-shot confusion matrix"
    )
    for key in ("results", "confusion"):
        print(f"wrote {paths[key]}")


def run_zero_shot(args: argparse.Namespace) -> int:
    """The ``zero-shot`` subcommand: a recording file's labels over time, or a corpus split's accuracy / macro-F1."""
    from .pipelines import load_pipeline

    paths = _prepare_output_dir(Path(args.output_dir), ZERO_SHOT_FILES, args.overwrite)
    if paths is None:
        return 1
    try:
        classifier = load_pipeline("zero-shot-imu-classification", model=args.model, device=args.device)
        if Path(args.input).suffix in RECORDING_SUFFIXES:
            _zero_shot_recording(args, classifier, paths)
        else:
            _zero_shot_corpus(args, classifier, paths)
    except ValueError as error:
        print(f"imu-foundation zero-shot: {error}", file=sys.stderr)
        return 2
    return 0


def _print_hits(query: str, hits) -> None:
    print(f"\n{query!r}")
    for rank, hit in enumerate(hits, start=1):
        described = ", ".join(f"{key}={value}" for key, value in hit.metadata.items() if key != "row" and value)
        print(f"  {rank:>3}. score {hit.score:.3f}  row {hit.metadata.get('row', hit.row)}  {described}")


def _save_retrieved_windows(index, hits, query: str, path: Path) -> bool:
    """Plots the retrieved windows, read back from the corpus the index was built from; False if it is unknown."""
    from .evaluation import load_corpus_split
    from .plotting import save_retrieved_windows

    source = index.info.source or {}
    if not source.get("corpus"):
        return False
    dataset = load_corpus_split(source["corpus"], source.get("split")).dataset.with_format("numpy")
    rows = [dataset[int(hit.metadata["row"])] for hit in hits]
    titles = [
        f"{rank}. score {hit.score:.3f}, row {hit.metadata['row']}: " + str(hit.metadata.get("activity", ""))
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


def run_retrieve(args: argparse.Namespace) -> int:
    """The ``retrieve`` subcommand: builds an index of a corpus (``--build``) and searches it by text (``--query``)."""
    from .evaluation import EmbeddingIndex, build_imu_index, search_text
    from .pipelines import load_pipeline

    if not args.build and not args.query:
        print("imu-foundation retrieve: nothing to do; pass --build CORPUS and/or --query TEXT.", file=sys.stderr)
        return 2
    index_dir = Path(args.index)
    try:
        embedder = None
        if args.build:
            if index_dir.exists() and any(index_dir.iterdir()) and not args.overwrite:
                print(f"Refusing to overwrite the index in {index_dir}; pass --overwrite.", file=sys.stderr)
                return 1
            embedder = load_pipeline("imu-feature-extraction", model=args.model, device=args.device)
            started = time.perf_counter()
            index = build_imu_index(args.build, embedder, split=args.split, kind=args.kind, batch_size=args.batch_size)
            index.save(index_dir)
            print(f"indexed {len(index)} windows of {args.build} in {time.perf_counter() - started:.1f} s: {index_dir}")
        else:
            index = EmbeddingIndex.load(index_dir)
        if not args.query:
            return 0
        if embedder is None and args.model:
            embedder = load_pipeline("imu-feature-extraction", model=args.model, device=args.device)
        results = search_text(index, args.query, embedder, k=args.k)
    except ValueError as error:
        print(f"imu-foundation retrieve: {error}", file=sys.stderr)
        return 2
    for query, hits in zip(args.query, results):
        _print_hits(query, hits)
    if args.output_dir:
        paths = _prepare_output_dir(Path(args.output_dir), RETRIEVAL_FILES, args.overwrite)
        if paths is None:
            return 1
        found = [
            {"query": query, "hits": [{"row": h.row, "score": h.score, **h.metadata} for h in hits]}
            for query, hits in zip(args.query, results)
        ]
        paths["hits"].write_text(json.dumps(found, indent=2, default=str) + "\n")
        print(f"\nwrote {paths['hits']}")
        if _save_retrieved_windows(index, results[0], args.query[0], paths["windows"]):
            print(f"wrote {paths['windows']}")
        else:
            print("(no picture: the index does not record the corpus its windows came from)")
    return 0


def _add_zero_shot_parsers(commands) -> None:
    from .evaluation.retrieval import INDEX_KINDS
    from .sensors import ACC_UNITS, GRAVITY_MODES, GYRO_UNITS

    model_help = "Multi^3Net checkpoint folder or Hub id (default: the pre-trained checkpoint shipped with the package)"
    zero_shot = commands.add_parser("zero-shot", help="zero-shot activity labels of a recording or a corpus split")
    zero_shot.add_argument(
        "input", metavar="INPUT", help="a recording (.npy (T, C) or .csv) or a corpus folder / Hub id"
    )
    zero_shot.add_argument("--labels", nargs="+", default=None, help="the classes as free text (corpus: its classes)")
    zero_shot.add_argument("--template", nargs="+", default=None, help="hypothesis template(s) with {} for the label")
    zero_shot.add_argument("--sampling-rate", type=float, default=None, help="the recording's rate in Hz")
    zero_shot.add_argument("--channel-names", nargs="+", default=None, help=".npy channels, <site>_<sensor>_<axis>")
    zero_shot.add_argument("--acc-units", choices=list(ACC_UNITS), default=None, help="default: m/s^2")
    zero_shot.add_argument("--gyro-units", choices=list(GYRO_UNITS), default=None, help="default: rad/s")
    zero_shot.add_argument("--gravity", choices=list(GRAVITY_MODES), default=None, help="default: include")
    zero_shot.add_argument("--window-stride-s", type=float, default=None, help="seconds between window starts")
    zero_shot.add_argument("--pad-short", action="store_true", help="repeat recordings shorter than one window")
    zero_shot.add_argument("--split", default=None, help="corpus split (default: test, or the only one)")
    zero_shot.add_argument("--model", default=None, help=model_help)
    zero_shot.add_argument("--device", default=None, help="cpu, cuda, ... (default: transformers' choice)")
    zero_shot.add_argument("--batch-size", type=int, default=32, help="windows per forward (default: %(default)s)")
    zero_shot.add_argument("--output-dir", default="outputs/zero-shot", help="where results go (default: %(default)s)")
    zero_shot.add_argument("--overwrite", action="store_true", help="replace result files already in --output-dir")
    zero_shot.set_defaults(handler=run_zero_shot)

    retrieve = commands.add_parser("retrieve", help="index a corpus's windows and search them by text")
    retrieve.add_argument("--index", required=True, help="the index folder (written by --build, read otherwise)")
    retrieve.add_argument("--build", metavar="CORPUS", default=None, help="embed this corpus folder / Hub id first")
    retrieve.add_argument("--split", default=None, help="corpus split for --build (default: test, or the only one)")
    retrieve.add_argument("--kind", choices=INDEX_KINDS, default="exact", help="index kind (default: %(default)s)")
    retrieve.add_argument("--query", nargs="+", default=None, help="text queries")
    retrieve.add_argument("-k", type=int, default=5, help="results per query (default: %(default)s)")
    retrieve.add_argument("--model", default=None, help=model_help + "; queries default to the index's model")
    retrieve.add_argument("--device", default=None, help="cpu, cuda, ... (default: transformers' choice)")
    retrieve.add_argument("--batch-size", type=int, default=32, help="windows per forward (default: %(default)s)")
    retrieve.add_argument("--output-dir", default=None, help="write hits.json and retrieved.png here")
    retrieve.add_argument("--overwrite", action="store_true", help="replace an index or result files")
    retrieve.set_defaults(handler=run_retrieve)


# --------------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imu-foundation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="real wrist IMU -> spectrograms -> ImageNet encoder -> few-shot eval")
    demo.add_argument("--output-dir", default="outputs/demo", help="where results go (default: %(default)s)")
    demo.add_argument("--overwrite", action="store_true", help="replace result files already in --output-dir")
    demo.add_argument(
        "--max-windows",
        type=int,
        default=None,
        help="use at most this many windows, spread over subjects and classes (default: all 1737)",
    )
    demo.add_argument("--seed", type=int, default=0, help="seed of subsampling, folds and shots (default: 0)")
    demo.add_argument("--shots", type=int, default=10, help="training windows per class (default: %(default)s)")
    demo.add_argument("--folds", type=int, default=5, help="leave-subjects-out folds (default: %(default)s)")
    demo.add_argument("--repeats", type=int, default=3, help="draws of the shots per fold (default: %(default)s)")
    demo.add_argument(
        "--no-random-control",
        action="store_true",
        help="skip the control encoder with random weights (halves the encoding time)",
    )
    demo.add_argument("--batch-size", type=int, default=64, help="windows per encoder batch (default: %(default)s)")
    demo.set_defaults(handler=run_demo)

    from .simulation import list_activities

    simulate = commands.add_parser("simulate", help="simulate IMU readings of a motion on an SMPL body")
    source = simulate.add_mutually_exclusive_group()
    source.add_argument("--activity", default="walking", choices=list_activities(), help="motion library activity")
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
    simulate.set_defaults(handler=run_simulate)

    convert = commands.add_parser(
        "convert-body-model", help="convert a pickled SMPL-family model file once to a pickle-free .npz"
    )
    convert.add_argument(
        "source", metavar="SOURCE", help="the downloaded .pkl / .npz; it is unpickled: name only files you trust"
    )
    convert.add_argument("target", metavar="TARGET", help="the .npz to write")
    convert.add_argument("--model-type", choices=("smpl", "smplh", "smplx"), default=None, help="default: from SOURCE")
    convert.add_argument("--gender", choices=("neutral", "male", "female"), default=None, help="default: from SOURCE")
    convert.add_argument("--overwrite", action="store_true", help="replace an existing TARGET")
    convert.set_defaults(handler=run_convert_body_model)
    _add_zero_shot_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``imu-foundation`` console script; ``demo`` runs when no subcommand is named."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in _SUBCOMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["demo", *argv]
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        for option in ("shots", "folds", "repeats", "batch_size"):
            if getattr(args, option) < 1:
                build_parser().error(f"--{option.replace('_', '-')} must be >= 1")
        if args.max_windows is not None and args.max_windows < 1:
            build_parser().error("--max-windows must be >= 1")
    if args.command in ("zero-shot", "retrieve") and args.batch_size < 1:
        build_parser().error("--batch-size must be >= 1")
    if args.command == "retrieve" and args.k < 1:
        build_parser().error("-k must be >= 1")
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
