"""Evaluation: the few-shot protocol and its probes (``few_shot``); zero-shot and retrieval build on the same folds."""

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

__all__ = [
    "PROBES",
    "FewShotProtocol",
    "draw_shots",
    "few_shot_scores",
    "logistic_regression_predict",
    "macro_f1",
    "max_shots",
    "nearest_class_mean_predict",
    "subject_folds",
]
