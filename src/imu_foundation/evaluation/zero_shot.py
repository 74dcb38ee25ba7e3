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

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .corpora import CorpusSplit, load_corpus_split, reference_labels, run_over_corpus
from .metrics import load_metric


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


def _in_order(ranked: list[dict], labels: list[str]) -> np.ndarray:
    """A pipeline result (sorted by score) -> ``(K,)`` scores in ``labels`` order."""
    scores = {entry["label"]: entry["score"] for entry in ranked}
    return np.array([scores[label] for label in labels])


__all__ = [
    "Timeline",
    "ZeroShotResult",
    "classify_corpus",
    "classify_recording",
    "text_window_similarity",
    "zero_shot_metrics",
]
