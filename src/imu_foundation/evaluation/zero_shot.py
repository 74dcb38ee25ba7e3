"""Zero-shot activity recognition with a Multi^3Net checkpoint: a recording's labels over time, or a whole corpus
split scored against its true classes (accuracy and macro-F1 through the package's ``evaluate`` metrics).

    >>> classifier = load_pipeline("zero-shot-imu-classification", model=folder)
    >>> timeline = classify_recording(classifier, recording, ["walking", "running", "sitting"],
    ...                               sampling_rate=50, channel_names=[...], acc_units="g")
    >>> timeline.predicted[:3], timeline.start_s[:3]
    >>> result = classify_corpus(classifier, "path/to/benchmark", split="test")   # class names as labels
    >>> result.metrics
    {'accuracy': 0.41, 'macro_f1': 0.33}

Both run the ``zero-shot-imu-classification`` pipeline (:mod:`imu_foundation.pipelines`): scores are
``softmax(logit_scale * cos(imu, text))`` over the candidate labels written into ``hypothesis_template``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..outputs import refuse_to_overwrite
from .corpora import CorpusSplit, load_corpus_split, reference_labels, run_over_corpus
from .metrics import load_metric

# What ``imu-foundation zero-shot`` writes (a recording: results, timeline, similarity; a corpus: results, confusion).
ZERO_SHOT_FILES = {
    "results": "zero_shot.json",
    "timeline": "timeline.png",
    "similarity": "similarity.png",
    "confusion": "confusion.png",
}
RECORDING_SUFFIXES = (".npy", ".csv")
LAYOUT_ARGUMENTS = ("sampling_rate", "channel_names", "acc_units", "gyro_units", "gravity")
_PRINTED_WINDOWS = 20


@dataclass
class Timeline:
    """A recording's zero-shot scores window by window.

    Attributes:
        candidate_labels: the ``K`` labels, in the order of ``scores``' columns.
        start_s, end_s: ``(N,)`` start and end of each window, seconds from the start of the recording.
        scores: ``(N, K)`` probabilities (rows sum to 1).
    """

    candidate_labels: list[str]
    start_s: np.ndarray
    end_s: np.ndarray
    scores: np.ndarray

    @property
    def predicted(self) -> list[str]:
        """The best label of each window."""
        return [self.candidate_labels[i] for i in self.scores.argmax(axis=1)]


@dataclass
class ZeroShotResult:
    """Zero-shot predictions for every window of a corpus split.

    Attributes:
        candidate_labels: the ``K`` labels, in the order of ``scores``' columns.
        scores: ``(N, K)`` probabilities.
        predictions: the best label of each window.
        references: the true class of each window (``None`` when not scored).
        metrics: ``accuracy`` and ``macro_f1`` (empty when not scored).
    """

    candidate_labels: list[str]
    scores: np.ndarray
    predictions: list[str]
    references: list[str] | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    def confusion_matrix(self) -> np.ndarray:
        """``(K, K)`` counts, rows: true label, columns: predicted label (in ``candidate_labels`` order)."""
        if self.references is None:
            raise ValueError("This result has no references: there is no confusion matrix.")
        position = {label: i for i, label in enumerate(self.candidate_labels)}
        matrix = np.zeros((len(position), len(position)), dtype=np.int64)
        np.add.at(matrix, ([position[r] for r in self.references], [position[p] for p in self.predictions]), 1)
        return matrix


def classify_recording(
    classifier,
    recording: np.ndarray,
    candidate_labels: Sequence[str],
    *,
    hypothesis_template: str | Sequence[str] | None = None,
    window_stride_s: float | None = None,
    batch_size: int = 32,
    pad_short: bool = False,
    **layout,
) -> Timeline:
    """Labels of one ``(T, C)`` recording window by window.

    Args:
        classifier: a ``zero-shot-imu-classification`` pipeline.
        candidate_labels: the classes as free text.
        hypothesis_template: see the pipeline (default ``"a person is {}."``).
        window_stride_s: seconds between window starts (default: the model's stride).
        layout: ``sampling_rate=``, ``channel_names=``, ``acc_units=``, ``gyro_units=``, ``gravity=`` or ``layout=``.
    """
    windows = classifier(
        recording,
        candidate_labels=candidate_labels,
        hypothesis_template=hypothesis_template,
        return_timestamps=True,
        window_stride_s=window_stride_s,
        batch_size=batch_size,
        pad_short=pad_short,
        **layout,
    )
    labels = list(candidate_labels)
    return Timeline(
        candidate_labels=labels,
        start_s=np.array([w["start_s"] for w in windows]),
        end_s=np.array([w["end_s"] for w in windows]),
        scores=np.stack([_in_order(w["labels"], labels) for w in windows]),
    )


def text_window_similarity(
    classifier,
    recording: np.ndarray,
    texts: Sequence[str],
    *,
    hypothesis_template: str | Sequence[str] = "{}",
    window_stride_s: float | None = None,
    batch_size: int = 32,
    pad_short: bool = False,
    **layout,
) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity ``(K, N)`` of ``K`` texts with the ``N`` windows of a recording, and the windows' start
    times ``(N,)`` (s): what the zero-shot scores are a softmax of, before the logit scale."""
    from ..pipelines import ImuFeatureExtractionPipeline

    embedder = ImuFeatureExtractionPipeline(  # shares the classifier's model, tokenizer and feature extractor
        model=classifier.model,
        tokenizer=classifier.tokenizer,
        feature_extractor=classifier.feature_extractor,
        device=classifier.device,
    )
    windows = embedder(
        recording,
        return_timestamps=True,
        window_stride_s=window_stride_s,
        batch_size=batch_size,
        pad_short=pad_short,
        **layout,
    )
    text = embedder.embed_text(texts, hypothesis_template).numpy()
    return text @ windows["embeddings"].T, windows["start_s"]


def classify_corpus(
    classifier,
    corpus,
    *,
    split: str | None = None,
    candidate_labels: Sequence[str] | None = None,
    label_column: str | None = None,
    with_metrics: bool = True,
    hypothesis_template: str | Sequence[str] | None = None,
    batch_size: int = 32,
    pad_short: bool = False,
) -> ZeroShotResult:
    """Zero-shot predictions for every window of a corpus split, scored against its classes.

    Each row (window) of the corpus is one example; a row longer than the model's window is scored on the mean of
    its window embeddings.

    Args:
        classifier: a ``zero-shot-imu-classification`` pipeline.
        corpus: a ``save_to_disk`` folder, a Hub dataset id, a ``Dataset`` / ``DatasetDict`` in the package's schema.
        split: the split (default ``"test"`` or the only one).
        candidate_labels: the classes as free text (default: the corpus's class names).
        label_column: where the true classes are (default: the ``label`` ClassLabel, else ``activity``).
        with_metrics: score against the true classes (accuracy, macro-F1); they must all be candidate labels.
    Raises:
        ValueError: unknown split or columns; true classes that are not candidate labels; a row the model refuses.
    """
    corpus = corpus if isinstance(corpus, CorpusSplit) else load_corpus_split(corpus, split)
    references = None
    if with_metrics or candidate_labels is None:
        references, class_names = reference_labels(corpus.dataset, label_column)
        candidate_labels = class_names if candidate_labels is None else candidate_labels
    labels = list(candidate_labels)
    if with_metrics:
        missing = sorted(set(references) - set(labels))
        if missing:
            raise ValueError(
                f"The corpus's classes {missing} are not among candidate_labels {labels}: they could never be "
                "predicted. Pass candidate_labels naming every class, or with_metrics=False."
            )
    outputs = run_over_corpus(
        classifier,
        corpus.dataset,
        batch_size=batch_size,
        desc="zero-shot",
        candidate_labels=labels,
        hypothesis_template=hypothesis_template,
        pad_short=pad_short,
    )
    scores = np.stack([_in_order(output, labels) for output in outputs])
    predictions = [labels[i] for i in scores.argmax(axis=1)]
    metrics = zero_shot_metrics(references, predictions) if with_metrics else {}
    return ZeroShotResult(labels, scores, predictions, references if with_metrics else None, metrics)


def zero_shot_metrics(references: Sequence[str], predictions: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 (over the classes present in ``references``) of class-name predictions."""
    import evaluate

    metrics = evaluate.combine([load_metric("accuracy"), load_metric("macro_f1")])
    return metrics.compute(predictions=list(predictions), references=list(references))


def read_recording(path: str | Path, channel_names: Sequence[str] | None = None) -> tuple[np.ndarray, list[str] | None]:
    """A recording file -> ``(T, C)`` readings and channel names.

    ``.npy``: a ``(T, C)`` array, named by ``channel_names`` (``None``: the model's). ``.csv``: a header row names
    the channels; a ``time_s`` column is dropped.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No recording file {path}.")
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False), list(channel_names) if channel_names else None
    if channel_names:
        raise ValueError(f"{path}: a CSV names its channels in its header row; pass no channel names.")
    import pandas as pd

    frame = pd.read_csv(path)
    frame = frame.drop(columns=[column for column in ("time_s",) if column in frame.columns])
    try:
        values = frame.to_numpy(dtype=np.float64)
    except ValueError as error:
        raise ValueError(f"{path}: every column but time_s must hold numbers ({error}).") from error
    return values, [str(column) for column in frame.columns]


def run_zero_shot(
    source: str | Path,
    output_dir: str | Path,
    *,
    model: str | Path | None = None,
    labels: Sequence[str] | None = None,
    templates: Sequence[str] | None = None,
    split: str | None = None,
    window_stride_s: float | None = None,
    pad_short: bool = False,
    batch_size: int = 32,
    device: str | None = None,
    report: Callable[[str], None] = print,
    **layout,
) -> dict:
    """The job of ``imu-foundation zero-shot``: writes :data:`ZERO_SHOT_FILES` into ``output_dir`` (which must not
    hold them) and returns what ``zero_shot.json`` holds.

    A recording file (``.npy`` / ``.csv``, see :func:`read_recording`; ``layout``: ``sampling_rate`` and the other
    fields of the pipeline) gets labels window by window, a timeline and a texts x windows similarity heatmap. A
    corpus (a folder or Hub id; its columns declare its layout) gets accuracy, macro-F1 and a confusion matrix.

    Args:
        model: a checkpoint folder or Hub id (default: the shipped pre-trained checkpoint).
        labels: the classes as free text (required for a recording; a corpus defaults to its classes).
        templates: hypothesis template(s) (default ``"a person is {}."``).
    """
    from ..pipelines import DEFAULT_HYPOTHESIS_TEMPLATE, load_pipeline

    unknown = sorted(set(layout) - set(LAYOUT_ARGUMENTS))
    if unknown:
        raise TypeError(f"run_zero_shot got unexpected arguments {unknown}.")
    output_dir = Path(output_dir)
    paths = {key: output_dir / name for key, name in ZERO_SHOT_FILES.items()}
    refuse_to_overwrite(output_dir, ZERO_SHOT_FILES.values())
    templates = list(templates) if templates else [DEFAULT_HYPOTHESIS_TEMPLATE]
    is_recording = Path(source).suffix in RECORDING_SUFFIXES
    given = [name for name in LAYOUT_ARGUMENTS if layout.get(name) is not None]
    if is_recording and layout.get("sampling_rate") is None:
        raise ValueError("A recording file needs its sampling rate (sampling_rate, --sampling-rate, in Hz).")
    if is_recording and not labels:
        raise ValueError("A recording file needs candidate labels (labels, --labels): the classes as free text.")
    if not is_recording and given:
        raise ValueError(f"A corpus declares its device layout in its columns; drop {', '.join(given)}.")
    if not is_recording and window_stride_s is not None:
        raise ValueError("window_stride_s (--window-stride-s) applies to a recording file, not to a corpus.")
    classifier = load_pipeline("zero-shot-imu-classification", model=model, device=device)
    options = {"window_stride_s": window_stride_s, "batch_size": batch_size, "pad_short": pad_short}
    output_dir.mkdir(parents=True, exist_ok=True)
    if is_recording:
        values, names = read_recording(source, layout.pop("channel_names", None))
        layout = {key: value for key, value in layout.items() if value is not None} | {"channel_names": names}
        timeline = classify_recording(classifier, values, labels, hypothesis_template=templates, **options, **layout)
        prompts = [templates[0].format(label) for label in labels]
        similarity, starts = text_window_similarity(classifier, values, prompts, **options, **layout)
        report(f"{source}: {len(values)} samples at {layout['sampling_rate']:g} Hz, {len(timeline.start_s)} windows")
        rows = list(zip(timeline.start_s, timeline.end_s, timeline.predicted, timeline.scores.max(axis=1)))
        for start, end, label, score in rows[:_PRINTED_WINDOWS]:
            report(f"  {start:8.2f} - {end:8.2f} s  {label:<24} {score:.3f}")
        if len(rows) > _PRINTED_WINDOWS:
            report(f"  ... {len(rows) - _PRINTED_WINDOWS} more windows in {paths['results']}")
        results = {
            "input": str(source),
            "model": classifier.model.name_or_path,
            "labels": list(labels),
            "templates": templates,
            "windows": [
                {"start_s": float(start), "end_s": float(end), "scores": dict(zip(labels, map(float, scores)))}
                for start, end, scores in zip(timeline.start_s, timeline.end_s, timeline.scores)
            ],
        }
        from ..plotting import save_label_timeline, save_similarity_heatmap

        save_label_timeline(timeline.start_s, timeline.end_s, timeline.scores, list(labels), paths["timeline"])
        save_similarity_heatmap(similarity, prompts, paths["similarity"], window_start_s=starts)
        written = ("results", "timeline", "similarity")
    else:
        result = classify_corpus(
            classifier,
            source,
            split=split,
            candidate_labels=labels,
            hypothesis_template=templates,
            batch_size=batch_size,
            pad_short=pad_short,
        )
        report(f"{source}: {len(result.predictions)} windows, labels {result.candidate_labels}")
        for name, value in result.metrics.items():
            report(f"  {name}: {value:.3f}")
        report(f"  chance level (uniform guessing): accuracy about {1 / len(result.candidate_labels):.3f}")
        results = {
            "input": str(source),
            "split": split,
            "model": classifier.model.name_or_path,
            "labels": result.candidate_labels,
            "templates": templates,
            "metrics": result.metrics,
            "predictions": result.predictions,
            "references": result.references,
        }
        from ..plotting import save_confusion_matrix

        title = "Zero-shot confusion matrix"
        save_confusion_matrix(result.confusion_matrix(), result.candidate_labels, paths["confusion"], title=title)
        written = ("results", "confusion")
    paths["results"].write_text(json.dumps(results, indent=2) + "\n")
    report("\n".join(f"wrote {paths[key]}" for key in written))
    return results


def _in_order(ranked: list[dict], labels: list[str]) -> np.ndarray:
    """A pipeline result (sorted by score) -> ``(K,)`` scores in ``labels`` order."""
    scores = {entry["label"]: entry["score"] for entry in ranked}
    return np.array([scores[label] for label in labels])


__all__ = [
    "ZERO_SHOT_FILES",
    "Timeline",
    "ZeroShotResult",
    "classify_corpus",
    "classify_recording",
    "read_recording",
    "run_zero_shot",
    "text_window_similarity",
    "zero_shot_metrics",
]
