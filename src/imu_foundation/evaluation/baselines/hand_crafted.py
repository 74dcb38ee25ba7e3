"""Hand-crafted statistics of the raw signal + logistic regression: the first baseline a learned model must beat.

On wrist data simple statistics carry much of the class information: the level and orientation of the signal (the
means, with gravity included), its intensity (std, energy, range) and its rhythm (crossing rate, dominant
frequency). The feature set is the usual one of activity-recognition work (Bao & Intille 2004: mean, energy,
correlation between axes; Figo et al. 2010: percentiles, crossing rates, dominant frequency).
"""

from __future__ import annotations

import numpy as np
import torch

from ...sensors import DeviceLayout, split_channel_name, xyz_columns
from ..few_shot import fit_logistic_regression, fit_standardisation
from .base import FewShotMethod

PERCENTILES = (10, 25, 50, 75, 90)
# Statistics computed for every signal (each channel and each triad's magnitude), in feature order.
SIGNAL_STATISTICS = (
    "mean",
    "std",
    "energy",  # mean square
    "min",
    "max",
    *(f"p{q}" for q in PERCENTILES),
    "mean_crossing_rate_hz",  # crossings of the window's mean per second
    "dominant_frequency_hz",  # the strongest non-zero FFT bin of the mean-removed signal
)
AXIS_PAIRS = ((0, 1), (0, 2), (1, 2))  # x-y, x-z, y-z correlations within each triad


def hand_crafted_features(windows: np.ndarray) -> np.ndarray:
    """Per-channel mean, standard deviation and energy (mean square) of raw ``(N, T, C)`` windows -> ``(N, 3C)``.

    The three statistics the frozen-feature probe reports as its baseline; :func:`statistical_features` is the
    fuller set of the few-shot study.
    """
    windows = np.asarray(windows, dtype=np.float64)
    return np.concatenate([windows.mean(axis=1), windows.std(axis=1), np.square(windows).mean(axis=1)], axis=1)


def _signals(windows: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, list[str], list[list[int]]]:
    """The channels followed by the magnitude of every accelerometer / gyroscope triad (orientation-free),
    ``(N, T, C + triads)``, their names, and the triads' columns."""
    triads = xyz_columns(names, "acc") + xyz_columns(names, "gyro")
    magnitudes = [np.linalg.norm(windows[:, :, columns], axis=2) for columns in triads]
    signal_names = list(names) + [_triad_name(names[columns[0]]) + "_norm" for columns in triads]
    return np.concatenate([windows, *[m[:, :, None] for m in magnitudes]], axis=2), signal_names, triads


def _triad_name(channel: str) -> str:
    site, sensor, _ = split_channel_name(channel)
    return f"{site}_{sensor}"


def statistical_feature_names(layout: DeviceLayout) -> list[str]:
    """Names of the columns of :func:`statistical_features` for windows of ``layout``."""
    names = layout.channel_names
    triads = xyz_columns(names, "acc") + xyz_columns(names, "gyro")
    _, signal_names, _ = _signals(np.zeros((1, 2, len(names))), names)
    columns = [f"{signal}_{statistic}" for statistic in SIGNAL_STATISTICS for signal in signal_names]
    for columns_of_triad in triads:
        triad = _triad_name(names[columns_of_triad[0]])
        columns += [f"{triad}_corr_{'xyz'[a]}{'xyz'[b]}" for a, b in AXIS_PAIRS]
    return columns


def statistical_features(windows: np.ndarray, layout: DeviceLayout) -> np.ndarray:
    """Hand-crafted statistics of ``(N, T, C)`` windows in ``layout`` -> ``(N, D)`` float64.

    For each channel and each accelerometer / gyroscope triad's magnitude: :data:`SIGNAL_STATISTICS` (mean, std,
    energy, min, max, 10/25/50/75/90th percentiles, mean-crossing rate and dominant frequency, both in Hz from the
    layout's rate); then, for each triad, the correlations between its axes (0 where an axis is constant).
    Columns are named by :func:`statistical_feature_names`. Values are in the windows' units.
    """
    windows = np.asarray(windows, dtype=np.float64)
    num_samples = windows.shape[1]
    duration_s = num_samples / layout.sampling_rate_hz
    signals, _, triads = _signals(windows, layout.channel_names)
    mean = signals.mean(axis=1)
    centred = signals - mean[:, None, :]
    crossings = np.count_nonzero(np.diff(np.signbit(centred), axis=1), axis=1)
    power = np.abs(np.fft.rfft(centred, axis=1)[:, 1:]) ** 2  # DC bin dropped: it is the mean, zero here
    if power.shape[1]:
        dominant_hz = (power.argmax(axis=1) + 1) * layout.sampling_rate_hz / num_samples
    else:
        dominant_hz = np.zeros_like(mean)
    statistics = [
        mean,
        signals.std(axis=1),
        np.square(signals).mean(axis=1),
        signals.min(axis=1),
        signals.max(axis=1),
        *np.percentile(signals, PERCENTILES, axis=1),
        crossings / duration_s,
        dominant_hz,
    ]
    correlations = []
    for columns in triads:
        axes = centred[:, :, columns]  # (N, T, 3)
        norms = np.sqrt(np.square(axes).sum(axis=1))  # (N, 3)
        for a, b in AXIS_PAIRS:
            products = (axes[:, :, a] * axes[:, :, b]).sum(axis=1)
            denominator = norms[:, a] * norms[:, b]
            correlations.append(np.divide(products, denominator, out=np.zeros_like(products), where=denominator > 0))
    return np.concatenate([*statistics, np.stack(correlations, axis=1) if correlations else mean[:, :0]], axis=1)


class HandCraftedLogisticRegression(FewShotMethod):
    """:func:`statistical_features` z-scored with the training shots' statistics, then the package's L-BFGS
    logistic regression probe (:func:`~imu_foundation.evaluation.fit_logistic_regression`, inverse L2 strength
    ``C``, fixed in advance). Deterministic: the seed is accepted for the common interface and unused."""

    min_samples = 2

    def __init__(self, seed: int = 0, C: float = 1.0):
        super().__init__(seed)
        if not C > 0:
            raise ValueError(f"C must be positive, got {C!r}.")
        self.C = float(C)

    def _features(self, windows: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(statistical_features(windows, self.layout_), dtype=torch.float64)

    def _fit(self, windows: np.ndarray, labels: np.ndarray) -> None:
        features = self._features(windows)
        self.mean_, self.scale_ = fit_standardisation(features)
        self.weight_, self.bias_ = fit_logistic_regression(
            (features - self.mean_) / self.scale_, torch.as_tensor(labels), len(self.classes_), self.C
        )

    def _predict(self, windows: np.ndarray) -> np.ndarray:
        features = (self._features(windows) - self.mean_) / self.scale_
        return (features @ self.weight_ + self.bias_).argmax(dim=1).numpy()


__all__ = [
    "SIGNAL_STATISTICS",
    "HandCraftedLogisticRegression",
    "hand_crafted_features",
    "statistical_feature_names",
    "statistical_features",
]
