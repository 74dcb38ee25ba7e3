"""Strong simple baselines that every learned representation is compared with, under the same protocol."""

from __future__ import annotations

import numpy as np


def hand_crafted_features(windows: np.ndarray) -> np.ndarray:
    """Per-channel mean, standard deviation and energy (mean square) of raw ``(N, T, C)`` windows -> ``(N, 3C)``.

    On wrist data these carry much of the class information: the level and orientation of the signal (the means,
    with gravity included) and its intensity (std, energy).
    """
    windows = np.asarray(windows, dtype=np.float64)
    return np.concatenate([windows.mean(axis=1), windows.std(axis=1), np.square(windows).mean(axis=1)], axis=1)


__all__ = ["hand_crafted_features"]
