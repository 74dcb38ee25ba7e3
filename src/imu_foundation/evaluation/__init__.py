"""Evaluation: the few-shot protocol and its probes (``few_shot``), baselines (``baselines``), frozen-feature probes
(``frozen_features``); zero-shot classification and retrieval build on the same folds and metrics."""

from .few_shot import (
    PROBES,
    FewShotProtocol,
    balanced_subsample,
    draw_shots,
    few_shot_scores,
    fit_logistic_regression,
    fit_standardisation,
    logistic_regression_predict,
    macro_f1,
    max_shots,
    nearest_class_mean_predict,
    subject_folds,
)

__all__ = [
    "PROBES",
    "FewShotProtocol",
    "balanced_subsample",
    "draw_shots",
    "few_shot_scores",
    "fit_logistic_regression",
    "fit_standardisation",
    "logistic_regression_predict",
    "macro_f1",
    "max_shots",
    "nearest_class_mean_predict",
    "subject_folds",
]
