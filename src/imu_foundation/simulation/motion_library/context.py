"""What a generator gets besides the :class:`~.pose_builder.PoseBuilder`: time, phase, amplitude, randomness."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .curves import smooth_noise


@dataclass
class GeneratorContext:
    """What a generator gets besides the :class:`PoseBuilder`: time, cycle phase, amplitude and randomness.

    Attributes:
        t: ``(T,)`` time (s).
        fps: frame rate (Hz).
        cycle_hz: nominal cycle frequency (Hz); what one cycle is depends on the activity (see its spec).
        amplitude: nominal amplitude factor (1 = typical range of motion).
        phase: ``(T,)`` cycle phase (rad), increasing by 2 pi per cycle; its rate drifts and varies from one
            repetition to the next around ``cycle_hz``, and for activities with rests it pauses at multiples of
            2 pi (the start pose) between repetitions (see :mod:`.variety`).
        freq: ``(T,)`` instantaneous cycle frequency (Hz), the derivative of ``phase / 2 pi`` (0 while resting).
        amp: ``(T,)`` amplitude factor, varying from one repetition to the next around ``amplitude``.
        rng: the generator's own random generator, for its noise; draw from it in a fixed order.
        posture: ``"standing"`` or ``"sitting"`` for activities that can be done in either.
        params: extra generator parameters, recorded in the metadata and available to the captions.
    """

    t: Tensor
    fps: float
    cycle_hz: float
    amplitude: float
    phase: Tensor
    freq: Tensor
    amp: Tensor
    rng: np.random.Generator
    posture: str = "standing"
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return int(self.t.shape[0])

    @property
    def fraction(self) -> Tensor:
        """``(T,)`` position within the current cycle, in ``[0, 1)``."""
        return torch.remainder(self.phase / (2 * math.pi), 1.0)

    def noise(self, channels: int = 1, max_hz: float = 0.5, min_hz: float = 0.05) -> Tensor:
        """``(T, channels)`` smooth noise with unit RMS: a sum of a few sines of random low frequencies.

        Smooth on purpose: the simulator differentiates positions twice, so white noise on poses would turn
        into enormous accelerations.
        """
        return smooth_noise(self.rng, self.t, channels, max_hz=max_hz, min_hz=min_hz)

    def record(self, **params: Any) -> None:
        """Stores generator choices (python scalars) in the metadata."""
        for key, value in params.items():
            self.params[key] = round(float(value), 6) if isinstance(value, float | np.floating) else value
