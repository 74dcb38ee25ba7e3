"""Evaluation: the few-shot protocol and its probes (``few_shot``), zero-shot classification (``zero_shot``),
text-IMU retrieval (``retrieval``) and the metrics as offline ``evaluate`` modules (``metrics``: accuracy, macro-F1,
retrieval Recall@k / MRR)."""

from .corpora import CorpusSplit, corpus_captions, load_corpus_split
from .few_shot import (
    PROBES,
    FewShotProtocol,
    draw_shots,
    few_shot_scores,
    logistic_regression_predict,
    macro_f1,
    max_shots,
    nearest_class_mean_predict,
    subject_folds,
)
from .metrics import list_metrics, load_metric
from .retrieval import (
    INDEX_KINDS,
    EmbeddingIndex,
    Hit,
    build_caption_index,
    build_imu_index,
    retrieval_metrics,
    search_imu,
    search_text,
)
from .zero_shot import Timeline, ZeroShotResult, classify_corpus, classify_recording, zero_shot_metrics

__all__ = [
    "INDEX_KINDS",
    "PROBES",
    "CorpusSplit",
    "EmbeddingIndex",
    "FewShotProtocol",
    "Hit",
    "Timeline",
    "ZeroShotResult",
    "build_caption_index",
    "build_imu_index",
    "classify_corpus",
    "classify_recording",
    "corpus_captions",
    "draw_shots",
    "few_shot_scores",
    "list_metrics",
    "load_corpus_split",
    "load_metric",
    "logistic_regression_predict",
    "macro_f1",
    "max_shots",
    "nearest_class_mean_predict",
    "retrieval_metrics",
    "search_imu",
    "search_text",
    "subject_folds",
    "zero_shot_metrics",
]
