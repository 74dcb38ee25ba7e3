"""Frozen-feature probes on real wrist data: spectrogram images -> a frozen Img2Imu encoder -> few-shot probes.

The experiment behind ``imu-foundation probe-imagenet``: the seglearn smartwatch windows become IMG2IMU spectrograms,
the ImageNet-initialised EfficientNet-Lite0 encoder embeds them, and few-shot, leave-subjects-out probes score those
frozen features beside controls that say what the encoder adds: the same network untrained, the spectrogram pixels
with no network, and hand-crafted statistics of the raw signal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm.auto import tqdm

from ..data.real_benchmarks import LabelledWindows
from ..outputs import refuse_to_overwrite
from .baselines import hand_crafted_features
from .few_shot import PROBES, FewShotProtocol, balanced_subsample, few_shot_scores, subject_folds

MODEL_NAME = "img2imu-efficientnet-lite0-acc-gyro"
RESULT_FILES = {
    "preview": "spectrograms.png",
    "embeddings": "embeddings.safetensors",
    "pca": "embeddings_pca.png",
    "results": "results.json",
}
# Feature sets in the order they are reported (keys are the safetensors names).
FEATURE_NAMES = {
    "imagenet": "Img2Imu EfficientNet-Lite0, ImageNet weights, frozen",
    "untrained": "control: same network, untrained (random weights)",
    "pixels": "control: spectrogram pixels, no network",
    "hand_crafted": "baseline: per-channel mean/std/energy",
}


@dataclass(frozen=True)
class FrozenProbeSettings:
    """What the probe runs: how many windows, the few-shot protocol, which controls, the encoder batch size."""

    max_windows: int | None = None
    protocol: FewShotProtocol = FewShotProtocol()
    untrained_control: bool = True
    batch_size: int = 64


def encode(
    models: dict[str, torch.nn.Module], extractor, windows: np.ndarray, sampling_rate: float, batch_size: int
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Pooled features ``(N, hidden_size)`` of ``(N, T, C)`` windows from each model, and the images' pixels
    ``(N, 3 H W)`` downsampled 4x (the no-network control); each batch of images is computed once."""
    outputs: dict[str, list[torch.Tensor]] = {name: [] for name in models}
    pixels = []
    with tqdm(total=len(windows), desc="encoding", unit="window") as progress:
        for start in range(0, len(windows), batch_size):
            pixel_values = extractor(windows[start : start + batch_size], sampling_rate=sampling_rate)["pixel_values"]
            with torch.inference_mode():
                for name, model in models.items():
                    outputs[name].append(model(pixel_values).pooler_output.float())
            pixels.append(torch.nn.functional.avg_pool2d(pixel_values, 4).flatten(1))
            progress.update(len(pixel_values))
    return {name: torch.cat(chunks) for name, chunks in outputs.items()}, torch.cat(pixels)


def run_frozen_feature_probe(
    data: LabelledWindows,
    output_dir: str | Path,
    settings: FrozenProbeSettings = FrozenProbeSettings(),
    report: Callable[[str], None] = print,
) -> dict:
    """Runs the probe on ``data`` and writes :data:`RESULT_FILES` into ``output_dir`` (which must not hold them).

    Returns the results written to ``results.json``: the protocol, and macro-F1 per feature set and probe (one
    score per fold and draw).
    """
    from ..factory import create_feature_extractor, create_model
    from ..plotting import save_embedding_plot, save_spectrogram_preview

    protocol = settings.protocol
    output_dir = Path(output_dir)
    paths = {key: output_dir / name for key, name in RESULT_FILES.items()}
    refuse_to_overwrite(output_dir, RESULT_FILES.values())
    started = time.perf_counter()
    selected = balanced_subsample(data.labels, data.subjects, settings.max_windows or len(data), protocol.seed)
    windows, labels, subjects = data.windows[selected], data.labels[selected], data.subjects[selected]
    report(f"Loaded {len(data)} real smartwatch windows (seglearn watch data); using {len(selected)}.")
    _check_shots(labels, subjects, protocol)

    output_dir.mkdir(parents=True, exist_ok=True)
    extractor = create_feature_extractor(MODEL_NAME)
    chosen = np.unique(labels, return_index=True)[1]  # one window per class, in class order
    save_spectrogram_preview(
        extractor(windows[chosen], sampling_rate=data.sampling_rate_hz)["pixel_values"],
        [f"{data.label_names[labels[i]]} (subject {subjects[i]})" for i in chosen],
        paths["preview"],
        extractor.image_mean,
        extractor.image_std,
        window_seconds=windows.shape[1] / data.sampling_rate_hz,
        max_frequency_hz=extractor.sampling_rate / 2,
    )
    encoders = {"imagenet": create_model(MODEL_NAME, pretrained="imagenet").eval()}
    if settings.untrained_control:
        torch.manual_seed(protocol.seed)
        encoders["untrained"] = create_model(MODEL_NAME).eval()
    encode_started = time.perf_counter()
    features, pixels = encode(encoders, extractor, windows, data.sampling_rate_hz, settings.batch_size)
    seconds = time.perf_counter() - encode_started
    report(f"Encoded {len(windows)} windows with {len(encoders)} encoder(s) in {seconds:.1f} s.")
    features["pixels"] = pixels
    features["hand_crafted"] = torch.as_tensor(hand_crafted_features(windows))
    _save_embeddings(paths["embeddings"], features, labels, subjects, selected, data)
    title = "Img2Imu EfficientNet-Lite0 (ImageNet, frozen) embeddings, PCA"
    save_embedding_plot(features["imagenet"], labels, data.label_names, paths["pca"], title=title)

    named = {FEATURE_NAMES[key]: features[key].numpy() for key in FEATURE_NAMES if key in features}
    report(describe_protocol(data, subjects, protocol))
    scores = few_shot_scores(named, labels, subjects, protocol)
    report(score_table(scores, {name: value.shape[1] for name, value in named.items()}, len(data.label_names)))
    results = {"protocol": asdict(protocol), "num_windows": len(selected), "model": MODEL_NAME, "macro_f1": scores}
    paths["results"].write_text(json.dumps(results, indent=2))
    report("\nWrote:\n" + "\n".join(f"  {path}" for path in paths.values()))
    report(f"Done in {time.perf_counter() - started:.1f} s.")
    return results


def _check_shots(labels: np.ndarray, subjects: np.ndarray, protocol: FewShotProtocol) -> None:
    from .few_shot import max_shots

    available = max_shots(labels, subjects, protocol.folds, protocol.seed)
    if protocol.shots > available:
        raise ValueError(
            f"{protocol.shots} shots per class is too many: with {len(labels)} windows and {protocol.folds} folds, "
            f"some class has only {available} training windows in some fold. Use fewer shots or more windows."
        )


def describe_protocol(data: LabelledWindows, subjects: np.ndarray, protocol: FewShotProtocol) -> str:
    """The protocol in words, to print next to its numbers."""
    folds = subject_folds(subjects, protocol.folds, protocol.seed)
    window = data.windows.shape[1]
    return "\n".join(
        [
            "\nFew-shot evaluation of frozen features, leave-subjects-out",
            f"  data     : {len(subjects)} windows of {window / data.sampling_rate_hz:g} s ({window} samples at "
            f"{data.sampling_rate_hz:g} Hz), {len(np.unique(subjects))} subjects, {len(data.label_names)} classes",
            f"  folds    : {protocol.folds}; held-out subjects per fold {[g.tolist() for g in folds]} "
            f"(seed {protocol.seed})",
            f"  training : {protocol.shots} windows per class from the other subjects, {protocol.repeats} draws per "
            f"fold (seeds (seed, fold, draw))",
            f"  probes   : logistic regression (L2, C={protocol.C:g}, L-BFGS) and nearest class mean (Euclidean),",
            "             on features z-scored with the training shots' statistics; nothing tuned on held-out subjects",
            f"  metric   : macro-F1 over all windows of the held-out subjects; mean ± std over "
            f"{protocol.folds * protocol.repeats} runs",
        ]
    )


def score_table(scores: dict[str, dict[str, list[float]]], dims: dict[str, int], num_classes: int) -> str:
    """Macro-F1 (mean ± std over runs) per feature set and probe, and the first set's paired wins."""
    summary = lambda values: f"{np.mean(values):.3f} ± {np.std(values):.3f}"  # noqa: E731
    width = max(len(name) for name in scores)
    lines = ["\n" + (f"  {'feature':<{width}}  {'dim':>5}  " + "  ".join(f"{p:<26}" for p in PROBES)).rstrip()]
    for name, by_probe in scores.items():
        cells = "  ".join(f"{'macro-F1 ' + summary(by_probe[probe]):<26}" for probe in PROBES)
        lines.append(f"  {name:<{width}}  {dims[name]:>5}  {cells}".rstrip())
    first, *others = scores
    for other in others:
        for probe in PROBES:
            wins = int(np.sum(np.array(scores[first][probe]) > np.array(scores[other][probe])))
            lines.append(f"  {probe}: '{first}' beats '{other}' in {wins}/{len(scores[first][probe])} paired runs")
    lines.append(f"  chance level (uniform guessing): macro-F1 about {1 / num_classes:.3f}")
    return "\n".join(lines)


def _save_embeddings(
    path: Path,
    features: dict[str, torch.Tensor],
    labels: np.ndarray,
    subjects: np.ndarray,
    selected: np.ndarray,
    data: LabelledWindows,
) -> None:
    """The feature sets ``(N, D)`` with labels, subject indices and window indices ``(N,)`` as safetensors."""
    subject_names, subject_index = np.unique(subjects, return_inverse=True)
    tensors = {name: value.float().contiguous() for name, value in features.items()}
    tensors |= {
        "labels": torch.as_tensor(labels),
        "subjects": torch.as_tensor(subject_index),
        "window_index": torch.as_tensor(selected),
    }
    metadata = {
        "model": MODEL_NAME,
        "feature_sets": json.dumps(FEATURE_NAMES),
        "label_names": json.dumps(data.label_names),
        "subject_names": json.dumps(subject_names.tolist()),
        "layout": json.dumps(data.layout.to_dict()),
        "window_samples": str(data.windows.shape[1]),
    }
    save_file(tensors, str(path), metadata=metadata)


__all__ = ["FEATURE_NAMES", "RESULT_FILES", "FrozenProbeSettings", "encode", "run_frozen_feature_probe"]
