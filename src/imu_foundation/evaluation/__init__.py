"""Evaluation: the few-shot protocol and its probes (``few_shot``), baselines (``baselines``), frozen-feature probes
(``frozen_features``), zero-shot classification (``zero_shot``), text-IMU retrieval (``retrieval``) and the metrics as
offline ``evaluate`` modules (``metrics``: accuracy, macro-F1, retrieval Recall@k / MRR).

The zero-shot and retrieval names load on first use: they import ``datasets`` and FAISS, which few-shot probing never
needs.
"""

import importlib
from typing import Any

from .few_shot import (
    PROBES,
    FewShotProtocol,
    balanced_subsample,
    draw_shots,
    few_shot_scores,
    logistic_regression_predict,
    macro_f1,
    max_shots,
    nearest_class_mean_predict,
    subject_folds,
)
from .metrics import list_metrics, load_metric

_LAZY = {
    **dict.fromkeys(("CorpusSplit", "corpus_captions", "load_corpus_split"), "corpora"),
    **dict.fromkeys(
        (
            "INDEX_KINDS",
            "EmbeddingIndex",
            "Hit",
            "build_caption_index",
            "build_imu_index",
            "retrieval_metrics",
            "run_retrieval",
            "search_imu",
            "search_text",
        ),
        "retrieval",
    ),
    **dict.fromkeys(
        ("Timeline", "ZeroShotResult", "classify_corpus", "classify_recording", "run_zero_shot", "zero_shot_metrics"),
        "zero_shot",
    ),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PROBES",
    "FewShotProtocol",
    "balanced_subsample",
    "draw_shots",
    "few_shot_scores",
    "list_metrics",
    "load_metric",
    "logistic_regression_predict",
    "macro_f1",
    "max_shots",
    "nearest_class_mean_predict",
    "subject_folds",
    *_LAZY,
]
