"""Real wrist IMU recordings, cut into fixed-length windows.

The recordings come from ``seglearn.datasets.load_watch()`` (Burns et al. 2018, https://arxiv.org/abs/1802.01489):
140 recordings of a smartwatch worn by 10 subjects doing 7 shoulder exercises (20 repetitions a set, left and
right arm), 6 channels ``ax, ay, az`` (g) and ``wx, wy, wz`` (rad/s) at 50 Hz. The data ships inside the
``seglearn`` package, so nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WATCH_SAMPLING_RATE_HZ = 50.0
WATCH_UNITS = {"acc": "g", "gyro": "rad/s"}


@dataclass(frozen=True)
class WristExerciseWindows:
    """Windows of the seglearn smartwatch exercise recordings.

    Attributes:
        windows: ``(N, T, 6)`` float32, channels ``ax, ay, az`` (g) then ``wx, wy, wz`` (rad/s).
        labels: ``(N,)`` int64 exercise class in ``0 .. len(label_names) - 1``.
        subjects: ``(N,)`` int64 subject number (1..10).
        recordings: ``(N,)`` int64 index of the source recording (0..139): windows of one recording overlap.
        label_names: exercise names, indexed by label (PEN, ABD, FEL, IR, ER, TRAP, ROW).
        channel_names: the 6 channel names, in the order of the last axis of ``windows``.
        sampling_rate_hz: sampling rate of ``windows`` (50 Hz).
        units: physical unit of each sensor, ``{"acc": "g", "gyro": "rad/s"}``.
    """

    windows: np.ndarray
    labels: np.ndarray
    subjects: np.ndarray
    recordings: np.ndarray
    label_names: list[str]
    channel_names: list[str]
    sampling_rate_hz: float = WATCH_SAMPLING_RATE_HZ
    units: dict[str, str] = field(default_factory=lambda: dict(WATCH_UNITS))

    def __len__(self) -> int:
        return int(self.windows.shape[0])


def sliding_windows(signal: np.ndarray, window: int, step: int) -> np.ndarray:
    """Cuts a multichannel signal into windows with a strided view (no copy per sample).

    Args:
        signal: ``(T, C)`` samples; must be finite.
        window: samples per window (>= 1).
        step: samples between the starts of consecutive windows (>= 1; ``step < window`` overlaps them).
    Returns:
        ``(N, window, C)`` contiguous copy, ``N = (T - window) // step + 1``; trailing samples that do not fill a
        whole window are dropped.
    Raises:
        ValueError: if ``signal`` is not 2-D, is shorter than ``window``, contains NaN/inf, or window/step < 1.
    """
    signal = np.asarray(signal)
    if signal.ndim != 2:
        raise ValueError(f"signal must have shape (T, C), got {signal.shape}.")
    if window < 1 or step < 1:
        raise ValueError(f"window and step must be >= 1, got window={window}, step={step}.")
    if signal.shape[0] < window:
        raise ValueError(f"signal has {signal.shape[0]} samples, fewer than one window of {window}.")
    if not np.isfinite(signal).all():
        raise ValueError("signal contains NaN or inf; clean or interpolate it before windowing.")
    view = np.lib.stride_tricks.sliding_window_view(signal, window, axis=0)[::step]  # (N, C, window)
    return np.ascontiguousarray(view.transpose(0, 2, 1))


def _load_watch() -> dict:
    try:
        from seglearn.datasets import load_watch
    except ImportError as error:
        raise ImportError(
            "load_wrist_exercises needs the package 'seglearn', which ships the smartwatch recordings: "
            "pip install seglearn"
        ) from error
    return load_watch()


def load_wrist_exercises(window_seconds: float = 5.0, overlap: float = 0.5) -> WristExerciseWindows:
    """Loads the seglearn smartwatch exercise recordings as fixed-length windows.

    Args:
        window_seconds: window length in seconds (250 samples at 50 Hz for the default 5 s).
        overlap: fraction of a window shared by consecutive windows of a recording, in ``[0, 1)``.
    Returns:
        :class:`WristExerciseWindows`; recordings shorter than one window contribute nothing.
    """
    if window_seconds <= 0:
        raise ValueError(f"window_seconds must be positive, got {window_seconds}.")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}.")
    window = max(1, int(round(window_seconds * WATCH_SAMPLING_RATE_HZ)))
    step = max(1, int(round(window * (1.0 - overlap))))
    data = _load_watch()

    chunks, labels, subjects, recordings = [], [], [], []
    for index, recording in enumerate(data["X"]):
        if len(recording) < window:
            continue
        cut = sliding_windows(np.asarray(recording, dtype=np.float32), window, step)
        chunks.append(cut)
        labels.append(np.full(len(cut), data["y"][index], dtype=np.int64))
        subjects.append(np.full(len(cut), data["subject"][index], dtype=np.int64))
        recordings.append(np.full(len(cut), index, dtype=np.int64))
    if not chunks:
        raise ValueError(f"No recording is as long as one window of {window_seconds} s.")
    return WristExerciseWindows(
        windows=np.concatenate(chunks),
        labels=np.concatenate(labels),
        subjects=np.concatenate(subjects),
        recordings=np.concatenate(recordings),
        label_names=list(data["y_labels"]),
        channel_names=list(data["X_labels"]),
    )


__all__ = ["WristExerciseWindows", "load_wrist_exercises", "sliding_windows"]
