"""MiniRocket + ridge classifier (Dempster, Schmidt & Webb 2021): random convolutional features, strong on small
labelled sets.

The transform is sktime's :class:`~sktime.transformations.rocket.MiniRocketMultivariate` (about 10,000 features: 84
fixed kernels of length 9 at many dilations, each applied to a random subset of the channels, biases from quantiles
of the training windows' convolutions, proportion-of-positive-values pooling). The classifier is the authors' one:
features scaled to unit variance, then ``RidgeClassifierCV`` with alphas ``10^-3 .. 10^3`` chosen by leave-one-out
cross-validation on the training shots. sktime is an optional dependency: ``pip install imu-foundation[baselines]``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

from .base import FewShotMethod

RIDGE_ALPHAS = np.logspace(-3, 3, 10)


def _minirocket_multivariate():
    try:
        module = importlib.import_module("sktime.transformations.rocket")
    except ImportError as error:
        raise ImportError(
            "The MiniRocket baseline needs sktime (and numba): pip install 'imu-foundation[baselines]'"
        ) from error
    return module.MiniRocketMultivariate


@contextmanager
def _torch_threads_kept() -> Iterator[None]:
    """Restores torch's thread count on exit: sktime's transform sets numba's thread count and restores it, which,
    with numba's OpenMP threading layer, sets the OpenMP thread count that torch shares (a torch model trained
    after MiniRocket in the same process would otherwise run on every core, many times slower on a busy machine)."""
    threads = torch.get_num_threads()
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class MiniRocketRidge(FewShotMethod):
    """MiniRocket features of the raw multichannel windows (m/s^2, rad/s) + ridge classifier; seeded.

    Args:
        seed: seeds the transform's dilations' channel subsets and bias draws.
        num_kernels: features of the transform (rounded down to a multiple of 84 by sktime).
    """

    min_samples = 9  # MiniRocket's kernels are 9 samples long

    def __init__(self, seed: int = 0, num_kernels: int = 10_000):
        super().__init__(seed)
        if num_kernels < 84:
            raise ValueError(f"num_kernels must be at least 84 (one set of MiniRocket's kernels), got {num_kernels}.")
        self.num_kernels = int(num_kernels)
        self.transform_ = _minirocket_multivariate()(num_kernels=self.num_kernels, n_jobs=1, random_state=self.seed)

    def _features(self, windows: np.ndarray) -> np.ndarray:
        with _torch_threads_kept():
            return np.asarray(self.transform_.transform(np.ascontiguousarray(windows.transpose(0, 2, 1))))

    def _fit(self, windows: np.ndarray, labels: np.ndarray) -> None:
        from sklearn.linear_model import RidgeClassifierCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        with _torch_threads_kept():
            self.transform_.fit(np.ascontiguousarray(windows.transpose(0, 2, 1)))
        self.classifier_ = make_pipeline(StandardScaler(with_mean=False), RidgeClassifierCV(alphas=RIDGE_ALPHAS))
        self.classifier_.fit(self._features(windows), labels)

    def _predict(self, windows: np.ndarray) -> np.ndarray:
        return self.classifier_.predict(self._features(windows))


__all__ = ["RIDGE_ALPHAS", "MiniRocketRidge"]
