"""A seeded error model for MEMS accelerometers and gyroscopes (IMUSim-style).

Applied to the ideal readings ``x`` of each sensor, in this order::

    y = clip(S M x + b + n, -range, range), then rounded to the resolution

with ``M = I + E`` the axis misalignment / cross-axis sensitivity (``E`` off-diagonal, small), ``S = diag(1 + s)``
the scale-factor errors, ``b`` a constant bias and ``n`` white noise. ``M``, ``s`` and ``b`` are drawn once per
sensor and sequence (a sensor's calibration errors do not change within a recording); ``n`` per sample. All
draws come from one ``torch.Generator`` seeded by the caller, so every result is reproducible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor

from .motion import STANDARD_GRAVITY_MPS2


@dataclass(frozen=True)
class AxisErrors:
    """Error magnitudes of one sensor type (standard deviations unless said otherwise; 0 disables a term).

    Attributes:
        noise_std: white noise per sample, in the sensor's unit (m/s^2 or rad/s).
        bias_std: constant bias per sensor and sequence, same unit.
        scale_std: scale-factor error per axis, dimensionless (0.01 = 1 %).
        misalignment_std_rad: off-diagonal cross-axis terms of ``M`` (rad, small-angle).
        resolution: quantisation step (one least significant bit), same unit; 0 for none.
        range: saturation limit (absolute value), same unit; ``inf`` for none.
    """

    noise_std: float = 0.0
    bias_std: float = 0.0
    scale_std: float = 0.0
    misalignment_std_rad: float = 0.0
    resolution: float = 0.0
    range: float = float("inf")

    def apply(self, ideal: Tensor, generator: torch.Generator) -> Tensor:
        """``(T, S, 3)`` ideal readings -> readings with these errors (same shape and dtype)."""
        frames, sensors = ideal.shape[:2]
        draw = lambda *shape: torch.randn(*shape, generator=generator, dtype=torch.float64)  # noqa: E731
        cross_axis = draw(sensors, 3, 3) * self.misalignment_std_rad
        M = torch.eye(3, dtype=torch.float64) + cross_axis - torch.diag_embed(torch.diagonal(cross_axis, 0, -2, -1))
        scale = 1 + draw(sensors, 3) * self.scale_std
        bias = draw(sensors, 3) * self.bias_std
        noise = draw(frames, sensors, 3) * self.noise_std
        reading = scale * torch.einsum("sij,tsj->tsi", M, ideal.double()) + bias + noise
        reading = reading.clamp(-self.range, self.range)
        if self.resolution > 0:
            reading = torch.round(reading / self.resolution) * self.resolution
        return reading.to(ideal.dtype)


@dataclass(frozen=True)
class ImuErrorModel:
    """Errors of an accelerometer (m/s^2) and a gyroscope (rad/s); see the module docstring for the model."""

    accelerometer: AxisErrors = AxisErrors()
    gyroscope: AxisErrors = AxisErrors()

    @classmethod
    def consumer_mems(cls) -> ImuErrorModel:
        """Typical smartwatch / phone MEMS figures: +-16 g and +-2000 deg/s, 16-bit, about 1 % scale errors."""
        return cls(
            accelerometer=AxisErrors(
                noise_std=0.02, bias_std=0.05, scale_std=0.01, misalignment_std_rad=0.005,
                resolution=32 * STANDARD_GRAVITY_MPS2 / 2**16, range=16 * STANDARD_GRAVITY_MPS2,
            ),
            gyroscope=AxisErrors(
                noise_std=0.005, bias_std=0.01, scale_std=0.01, misalignment_std_rad=0.005,
                resolution=2 * 34.906585 / 2**16, range=34.906585,
            ),
        )  # fmt: skip

    def apply(self, acc_mps2: Tensor, gyro_radps: Tensor, seed: int) -> tuple[Tensor, Tensor]:
        """Adds the errors to ``(T, S, 3)`` accelerometer (m/s^2) and gyroscope (rad/s) readings, seeded."""
        generator = torch.Generator().manual_seed(seed)
        return self.accelerometer.apply(acc_mps2, generator), self.gyroscope.apply(gyro_radps, generator)

    def to_dict(self) -> dict[str, dict[str, float]]:
        return asdict(self)
