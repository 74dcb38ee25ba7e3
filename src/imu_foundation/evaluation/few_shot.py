"""Few-shot, leave-subjects-out evaluation: subject folds, n shots per class, linear probes, macro-F1.

The protocol of IMG2IMU's tables (n labelled windows per class, folds split by user), shared by the demo's probes of
frozen features and by ``training/finetune.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class FewShotProtocol:
    """How frozen features are scored: ``shots`` windows per class from training subjects, tested on held-out ones.

    ``folds`` disjoint groups of subjects are held out in turn (assignment seeded with ``seed``); in each fold the
    training shots are drawn ``repeats`` times (seeds ``(seed, fold, repeat)``). ``C`` is the inverse L2 strength of
    the logistic regression (scikit-learn's convention), fixed in advance (no tuning on test subjects).
    """

    shots: int = 10
    folds: int = 5
    repeats: int = 3
    seed: int = 0
    C: float = 1.0


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


def subject_folds(subjects: np.ndarray, folds: int, seed: int) -> list[np.ndarray]:
    """Splits the unique values of ``subjects`` ``(N,)`` into ``folds`` disjoint, seeded groups of held-out subjects."""
    unique = np.unique(subjects)
    if not 2 <= folds <= len(unique):
        raise ValueError(f"folds must be in [2, {len(unique)}] for {len(unique)} subjects, got {folds}.")
    return [np.sort(group) for group in np.array_split(np.random.default_rng(seed).permutation(unique), folds)]


def draw_shots(labels: np.ndarray, candidates: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``shots`` windows per class, drawn without replacement from the indices ``candidates``."""
    chosen = []
    for label in np.unique(labels):
        pool = candidates[labels[candidates] == label]
        if len(pool) < shots:
            raise ValueError(
                f"Class {label} has only {len(pool)} training windows for {shots} shots per class (see max_shots)."
            )
        chosen.append(rng.choice(pool, size=shots, replace=False))
    return np.concatenate(chosen)


def max_shots(labels: np.ndarray, subjects: np.ndarray, folds: int, seed: int) -> int:
    """The most shots per class that every fold of :func:`subject_folds` can draw from its training subjects."""
    counts = [
        np.bincount(labels[~np.isin(subjects, held_out)], minlength=int(labels.max()) + 1)
        for held_out in subject_folds(subjects, folds, seed)
    ]
    return int(np.min(counts))


def fit_standardisation(train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and scale ``(D,)`` that z-score ``(n, D)`` features with the training set's statistics.

    Features (nearly) constant on the training set, relative to the most variable one, get scale 1: only centred.
    """
    mean, std = train.mean(dim=0), train.std(dim=0)
    return mean, torch.where(std > 1e-6 * std.max(), std, torch.ones_like(std))


def _standardise(train: torch.Tensor, test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """z-scores both ``(n, D)`` sets with the training set's statistics (:func:`fit_standardisation`)."""
    mean, std = fit_standardisation(train)
    return (train - mean) / std, (test - mean) / std


def fit_logistic_regression(
    train: torch.Tensor, train_labels: torch.Tensor, num_classes: int, C: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Multinomial L2 logistic regression (L-BFGS, zero start: deterministic): ``(D, K)`` weights, ``(K,)`` bias.

    Minimises ``mean cross-entropy + ||W||^2 / (2 C n)`` (scikit-learn's objective divided by ``n``); the bias is
    not penalised. ``train`` ``(n, D)`` float64, already standardised; ``train_labels`` ``(n,)`` in ``[0, K)``.
    """
    weight = torch.zeros(train.shape[1], num_classes, dtype=train.dtype, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=train.dtype, requires_grad=True)
    optimiser = torch.optim.LBFGS([weight, bias], max_iter=500, tolerance_grad=1e-9, line_search_fn="strong_wolfe")
    penalty = 1.0 / (2.0 * C * train.shape[0])

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(train @ weight + bias, train_labels) + penalty * weight.square().sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return weight.detach(), bias.detach()


def logistic_regression_predict(
    train: torch.Tensor, train_labels: torch.Tensor, test: torch.Tensor, num_classes: int, C: float = 1.0
) -> torch.Tensor:
    """:func:`fit_logistic_regression` on ``train`` ``(n, D)``; returns the ``(m,)`` predictions for ``test`` ``(m, D)``
    (both float64, already standardised)."""
    weight, bias = fit_logistic_regression(train, train_labels, num_classes, C)
    return (test @ weight + bias).argmax(dim=1)


def nearest_class_mean_predict(
    train: torch.Tensor, train_labels: torch.Tensor, test: torch.Tensor, num_classes: int
) -> torch.Tensor:
    """Assigns each ``(m, D)`` test feature to the class whose training mean is closest (Euclidean)."""
    means = torch.stack([train[train_labels == k].mean(dim=0) for k in range(num_classes)])
    return torch.cdist(test, means).argmin(dim=1)


def macro_f1(truth: np.ndarray, predicted: np.ndarray, num_classes: int) -> float:
    """Unweighted mean over the classes present in ``truth`` ``(m,)`` of the per-class F1 score.

    Class indices must lie in ``[0, num_classes)``. The score is the ``macro_f1`` metric's (one implementation).
    """
    # Imported here: the metric module imports evaluate and datasets, which few-shot probing otherwise never needs.
    from .metrics.macro_f1.macro_f1 import macro_f1_score

    for name, labels in (("truth", truth), ("predicted", predicted)):
        if len(labels) and (np.min(labels) < 0 or np.max(labels) >= num_classes):
            raise ValueError(f"{name} holds class indices outside [0, {num_classes}).")
    return macro_f1_score(truth, predicted)


def classification_scores(truth: np.ndarray, predicted: np.ndarray, num_classes: int) -> dict:
    """Accuracy, macro-F1 (over the classes present in ``truth``) and the ``(K, K)`` confusion matrix (rows: true)."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    return {
        "accuracy": float((truth == predicted).mean()),
        "macro_f1": macro_f1(truth, predicted, num_classes),
        "confusion_matrix": confusion.tolist(),
    }


PROBES = {"logistic regression": logistic_regression_predict, "nearest class mean": nearest_class_mean_predict}


def few_shot_scores(
    features: dict[str, np.ndarray], labels: np.ndarray, subjects: np.ndarray, protocol: FewShotProtocol
) -> dict[str, dict[str, list[float]]]:
    """Macro-F1 of every probe on every feature set, ``{feature: {probe: [one score per (fold, repeat)]}}``.

    ``features`` maps names to ``(N, D)`` arrays of the same N windows; every feature set sees the same folds and
    the same training shots, so the scores are paired.
    """
    num_classes = int(labels.max()) + 1
    for name, value in features.items():
        if value.shape[0] != len(labels) or not np.isfinite(value).all():
            raise ValueError(f"Features {name!r} must be finite with one row per label, got shape {value.shape}.")
    scores = {name: {probe: [] for probe in PROBES} for name in features}
    tensors = {name: torch.as_tensor(value, dtype=torch.float64) for name, value in features.items()}
    for fold, held_out in enumerate(subject_folds(subjects, protocol.folds, protocol.seed)):
        is_test = np.isin(subjects, held_out)
        test, candidates = np.flatnonzero(is_test), np.flatnonzero(~is_test)
        for repeat in range(protocol.repeats):
            rng = np.random.default_rng([protocol.seed, fold, repeat])
            train = draw_shots(labels, candidates, protocol.shots, rng)
            train_labels = torch.as_tensor(labels[train])
            for name, value in tensors.items():
                train_x, test_x = _standardise(value[train], value[test])
                for probe, predict in PROBES.items():
                    kwargs = {"C": protocol.C} if probe == "logistic regression" else {}
                    predicted = predict(train_x, train_labels, test_x, num_classes, **kwargs).numpy()
                    scores[name][probe].append(macro_f1(labels[test], predicted, num_classes))
    return scores


__all__ = [
    "PROBES",
    "FewShotProtocol",
    "balanced_subsample",
    "classification_scores",
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
