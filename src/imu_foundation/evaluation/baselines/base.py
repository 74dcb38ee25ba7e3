"""The interface every method of the few-shot study implements: ``fit`` on a few labelled windows, ``predict``.

A method sees raw windows ``(n, T, C)`` with the :class:`~imu_foundation.sensors.DeviceLayout` that says what they
hold (channels, rate, units, gravity mode). :class:`FewShotMethod` checks both once, brings the accelerometer to
m/s^2 and the gyroscope to rad/s (so a method sees one set of units whatever the dataset declares), and maps the
labels to ``0 .. K-1``; subclasses implement ``_fit`` and ``_predict`` on checked arrays.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ...sensors import DeviceLayout, check_imu_array


class FewShotMethod(ABC):
    """A classifier trained from a few labelled windows; seeded, so the same seed gives the same predictions.

    Subclasses set :attr:`min_samples` (the shortest window they can use) and implement :meth:`_fit` and
    :meth:`_predict`.

    Attributes (after ``fit``):
        classes_: ``(K,)`` the sorted class labels seen in training; predictions are among them.
        layout_: the layout of the training windows; ``predict`` expects windows of the same channels and rate.
    """

    min_samples: int = 2

    def __init__(self, seed: int = 0):
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
        self.seed = int(seed)
        self.classes_: np.ndarray | None = None
        self.layout_: DeviceLayout | None = None

    def fit(self, windows: np.ndarray, labels: np.ndarray, layout: DeviceLayout) -> FewShotMethod:
        """Trains on ``windows`` ``(n, T, C)`` (in ``layout``'s units and rate) labelled ``labels`` ``(n,)`` (ints)."""
        if not isinstance(layout, DeviceLayout):
            raise ValueError(f"layout must be a DeviceLayout, got {type(layout).__name__}.")
        if layout.sampling_rate_hz is None:
            raise ValueError("the layout has no sampling_rate_hz; few-shot methods need the rate of the windows.")
        windows_si = self._check_windows(windows, layout, "training windows")
        labels = np.asarray(labels)
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}.")
        if len(labels) != len(windows_si):
            raise ValueError(f"got {len(labels)} labels for {len(windows_si)} training windows.")
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(f"training needs at least 2 classes, got only {classes.tolist()}.")
        self.classes_, self.layout_ = classes, layout
        self._fit(windows_si, np.searchsorted(classes, labels))
        return self

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """``(m,)`` predicted labels (from ``classes_``) of ``windows`` ``(m, T, C)`` in the training layout."""
        if self.classes_ is None or self.layout_ is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(windows, labels, layout) first.")
        predicted = np.asarray(self._predict(self._check_windows(windows, self.layout_, "windows to predict")))
        return self.classes_[predicted]

    def _check_windows(self, windows: np.ndarray, layout: DeviceLayout, what: str) -> np.ndarray:
        """Checked ``(n, T, C)`` float32 windows in m/s^2 and rad/s."""
        array = check_imu_array(windows, layout.num_channels, ndims=(3,), what=f"The {what}")
        if array.shape[1] < self.min_samples:
            raise ValueError(
                f"The {what} have {array.shape[1]} samples; {type(self).__name__} needs at least {self.min_samples}."
            )
        return (array * layout.unit_scale_to().astype(np.float32)).astype(np.float32)

    @abstractmethod
    def _fit(self, windows: np.ndarray, labels: np.ndarray) -> None:
        """Trains on checked windows ``(n, T, C)`` float32 (SI units) and labels ``(n,)`` in ``[0, K)``."""

    @abstractmethod
    def _predict(self, windows: np.ndarray) -> np.ndarray:
        """``(m,)`` class indices in ``[0, K)`` of checked windows ``(m, T, C)`` float32 (SI units)."""


__all__ = ["FewShotMethod"]
