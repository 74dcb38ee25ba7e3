"""Evaluation: the few-shot protocol and its probes (``few_shot``) and the metrics as offline ``evaluate`` modules
(``metrics``: accuracy, macro-F1, retrieval Recall@k / MRR)."""

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

__all__ = [
    "PROBES",
    "FewShotProtocol",
    "draw_shots",
    "few_shot_scores",
    "list_metrics",
    "load_metric",
    "logistic_regression_predict",
    "macro_f1",
    "max_shots",
    "nearest_class_mean_predict",
    "subject_folds",
]
