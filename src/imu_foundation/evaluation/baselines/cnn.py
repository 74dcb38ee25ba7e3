"""A 1D CNN trained from scratch on the shots: the "1D CNN random init" row of IMG2IMU's table.

The network is a small fully convolutional network in the style of Wang, Yan & Oates (2017), the standard
from-scratch baseline for time-series classification: three convolution-batch-norm-ReLU blocks over time, global
average pooling (so any window length works), a linear head. It trains full-batch (a few shots fit in one batch)
with Adam for a fixed number of steps; nothing is tuned on held-out data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .base import FewShotMethod


class FullyConvolutionalNetwork(nn.Module):
    """``(B, C, T)`` -> ``(B, num_classes)`` logits: conv-BN-ReLU blocks ("same" padding), global average pooling
    over time, linear head."""

    def __init__(
        self,
        num_channels: int,
        num_classes: int,
        widths: Sequence[int] = (32, 64, 32),
        kernels: Sequence[int] = (7, 5, 3),
    ):
        super().__init__()
        if len(widths) != len(kernels) or not widths:
            raise ValueError(f"widths {list(widths)} and kernels {list(kernels)} must be equally long, not empty.")
        blocks, inputs = [], num_channels
        for width, kernel in zip(widths, kernels):
            blocks += [nn.Conv1d(inputs, width, kernel, padding="same", bias=False), nn.BatchNorm1d(width), nn.ReLU()]
            inputs = width
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(inputs, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=2))


class ConvNetFromScratch(FewShotMethod):
    """:class:`FullyConvolutionalNetwork` trained on the shots from a seeded random initialisation.

    Each channel is standardised with the training shots' mean and standard deviation (over windows and time).
    Training: full batch, cross-entropy, Adam (``learning_rate``), ``steps`` steps; then evaluation mode (batch
    norm uses its running statistics). Runs on the CPU; the same seed and thread count give the same predictions.

    Args:
        seed: seeds the initialisation (in a forked RNG: the global torch RNG is left as it was).
        steps: optimiser steps (= epochs, the shots being one batch).
        learning_rate: Adam's step size.
        widths / kernels: the convolution blocks' output channels and kernel lengths (samples).
    """

    min_samples = 1

    def __init__(
        self,
        seed: int = 0,
        steps: int = 200,
        learning_rate: float = 1e-3,
        widths: Sequence[int] = (32, 64, 32),
        kernels: Sequence[int] = (7, 5, 3),
    ):
        super().__init__(seed)
        if steps < 1 or not learning_rate > 0:
            raise ValueError(f"steps must be >= 1 and learning_rate > 0, got {steps} and {learning_rate}.")
        self.steps, self.learning_rate = int(steps), float(learning_rate)
        self.widths, self.kernels = tuple(widths), tuple(kernels)

    def _inputs(self, windows: np.ndarray) -> torch.Tensor:
        """``(n, T, C)`` -> standardised ``(n, C, T)`` float32 tensor."""
        return torch.as_tensor((windows - self.mean_) / self.scale_).transpose(1, 2).contiguous()

    def _fit(self, windows: np.ndarray, labels: np.ndarray) -> None:
        self.mean_ = windows.mean(axis=(0, 1), dtype=np.float64).astype(np.float32)
        std = windows.std(axis=(0, 1), dtype=np.float64)
        self.scale_ = np.where(std > 1e-6 * max(std.max(), 1e-30), std, 1.0).astype(np.float32)  # constant: centred
        inputs, targets = self._inputs(windows), torch.as_tensor(labels)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.network_ = FullyConvolutionalNetwork(windows.shape[2], len(self.classes_), self.widths, self.kernels)
        optimiser = torch.optim.Adam(self.network_.parameters(), lr=self.learning_rate)
        self.network_.train()
        for _ in range(self.steps):
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(self.network_(inputs), targets)
            loss.backward()
            optimiser.step()
        self.network_.eval()
        self.final_training_loss_ = float(loss.detach())

    def _predict(self, windows: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self.network_(self._inputs(windows)).argmax(dim=1).numpy()


__all__ = ["ConvNetFromScratch", "FullyConvolutionalNetwork"]
