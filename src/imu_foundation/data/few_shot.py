"""Few-shot splits of labelled windows: ``shots`` per class for training, k seeded folds, no group leakage.

A fold holds out a group of subjects (when every window has one) or of source sequences (otherwise), draws
``shots`` training windows per class from the other groups, and tests on every window of the held-out groups. So a
subject, or a recording whose overlapping windows look alike, is never on both sides. The windows of training
groups that are not drawn as shots are left out of the fold (``unused``): testing on them would leak the subject.

The fold assignment and the draws reuse :func:`imu_foundation.evaluation.subject_folds` and
:func:`~imu_foundation.evaluation.draw_shots`, so these folds are the ones the package's evaluation protocol scores.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from datasets import Dataset, DatasetDict

from ..evaluation import draw_shots, subject_folds


@dataclass(frozen=True)
class FewShotFold:
    """One fold: indices into the windows.

    Attributes:
        fold: fold number, ``0 .. folds - 1``.
        train: ``(shots * classes,)`` training windows, ``shots`` per class.
        test: every window of the held-out groups.
        unused: windows of training groups not drawn as shots.
        held_out: the held-out group ids (subjects or sequence ids).
        group_by: ``"subject"`` or ``"sequence_id"``.
    """

    fold: int
    train: np.ndarray
    test: np.ndarray
    unused: np.ndarray
    held_out: tuple[str, ...]
    group_by: str


def few_shot_folds(
    labels: Sequence[int] | np.ndarray,
    *,
    shots: int,
    folds: int,
    seed: int = 0,
    subjects: Sequence[str] | None = None,
    sequence_ids: Sequence[str] | None = None,
) -> list[FewShotFold]:
    """``folds`` seeded few-shot folds with ``shots`` labelled windows per class and no group leakage.

    Args:
        labels: ``(N,)`` integer class of each window.
        shots: training windows per class in each fold.
        folds: number of folds (held-out groups), at least 2.
        seed: seeds the held-out groups and the draws (fold ``k`` draws with ``default_rng([seed, k])``).
        subjects: ``(N,)`` subject ids; used as groups when none is empty.
        sequence_ids: ``(N,)`` source recordings; the groups when subjects are unknown (required then).
    Raises:
        ValueError: mismatched lengths, too few groups for ``folds``, or a class with fewer than ``shots`` windows
            among a fold's training groups.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}.")
    if shots < 1:
        raise ValueError(f"shots must be >= 1, got {shots}.")
    groups, group_by = _groups(len(labels), subjects, sequence_ids)
    result = []
    for fold, held_out in enumerate(subject_folds(groups, folds, seed)):
        is_test = np.isin(groups, held_out)
        test, candidates = np.flatnonzero(is_test), np.flatnonzero(~is_test)
        try:
            train = np.sort(draw_shots(labels, candidates, shots, np.random.default_rng([seed, fold])))
        except ValueError as error:
            raise ValueError(f"fold {fold} (held out {group_by}s {list(held_out)[:5]}...): {error}") from error
        unused = np.setdiff1d(candidates, train)
        result.append(FewShotFold(fold, train, test, unused, tuple(map(str, held_out)), group_by))
    return result


def _groups(count: int, subjects: Sequence[str] | None, sequence_ids: Sequence[str] | None) -> tuple[np.ndarray, str]:
    for name, values in (("subjects", subjects), ("sequence_ids", sequence_ids)):
        if values is not None and len(values) != count:
            raise ValueError(f"{name} has {len(values)} entries for {count} labels.")
    if subjects is not None and all(str(s) for s in subjects):
        return np.asarray([str(s) for s in subjects]), "subject"
    if sequence_ids is None:
        raise ValueError("subjects are unknown: pass sequence_ids so that windows of one recording stay together.")
    return np.asarray([str(s) for s in sequence_ids]), "sequence_id"


def few_shot_datasets(
    dataset: Dataset, *, shots: int, folds: int, seed: int = 0, label_column: str = "label"
) -> Iterator[DatasetDict]:
    """Yields, per fold, a ``DatasetDict`` with ``train`` (the shots) and ``test`` (the held-out groups).

    ``dataset`` is a split of a corpus in the package schema: ``subject`` and ``sequence_id`` columns decide the
    groups (see :func:`few_shot_folds`).
    """
    for fold in few_shot_folds(
        dataset[label_column],
        shots=shots,
        folds=folds,
        seed=seed,
        subjects=dataset["subject"],
        sequence_ids=dataset["sequence_id"],
    ):
        yield DatasetDict({"train": dataset.select(fold.train), "test": dataset.select(fold.test)})


__all__ = ["FewShotFold", "few_shot_datasets", "few_shot_folds"]
