"""Sensor variety for pre-training: a simulated multi-site window made to look like what one real device records.

A synthetic corpus stores every sensor site of a motion, ideal and at one rate. Real recordings come from one watch
or two, worn a little tilted or upside down, with gravity removed by a phone's fusion (imperfectly), with noise and
bias, sampled at 10-100 Hz, in windows of any length. :class:`SensorVariety` draws these per example, batched, from
the ``torch.Generator`` it is given, and returns the channel names and gravity mode of what it made, so the model is
told what it sees through the channel ids.

Order of the steps, each in physical units (m/s^2, rad/s) on ``(B, T, S, 3)`` accelerometer and gyroscope arrays:

1. ``choose_sites``: ``k`` sites per example (``k`` per batch: most often one), their side sometimes dropped from
   the name (a watch on "the wrist");
2. ``mount``: the sensor frame turned by a tilt of ~N(0, 25 deg) about a random axis, sometimes flipped 180 degrees
   about one axis (a watch worn upside down, a phone in the other pocket);
3. ``remove_gravity``: for some examples, gravity estimated by a low-pass filter and subtracted (what phones report
   as linear acceleration; slow rotations leak through, as they do on devices);
4. ``add_sensor_errors``: consumer MEMS noise, bias, scale and cross-axis errors per example and site;
5. ``limit_bandwidth``: the batch low-passed to what a slower device rate (10, 12.5, 25 Hz...) records, so the
   model also sees windows that lost what a slow device cannot record;
6. ``crop``: one window length per batch, a random start per example.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..sensors import channel_names, side_agnostic_site
from ..simulation.rotations import axis_angle_to_matrix
from ..simulation.sensor_errors import ImuErrorModel


@dataclass(frozen=True)
class AugmentedBatch:
    """What :meth:`SensorVariety.__call__` returns.

    Attributes:
        acc, gyro: ``(B, T', k, 3)`` in m/s^2 and rad/s.
        channel_names: per example, the ``6k`` (or ``3k`` with ``acc_only``) names in the order of :meth:`channels`.
        gravity: per example, ``"include"`` or ``"remove"``.
        start: ``(B,)`` first sample of each crop in the input windows (to cut aligned pose windows).
        acc_only: whether the batch has accelerometer channels only.
    """

    acc: torch.Tensor
    gyro: torch.Tensor
    channel_names: list[list[str]]
    gravity: list[str]
    start: torch.Tensor
    acc_only: bool

    def channels(self) -> torch.Tensor:
        """``(B, T', C)``: per site, acc x y z then gyro x y z (acc only when ``acc_only``)."""
        parts = (self.acc,) if self.acc_only else (self.acc, self.gyro)
        stacked = torch.stack(parts, dim=3)  # (B, T, k, sensors, 3)
        return stacked.flatten(2)


@dataclass(frozen=True)
class SensorVariety:
    """How simulated windows are varied into device-like recordings (see the module docstring).

    Attributes:
        sites_per_example: probabilities of 1, 2, 3, ... sites in an example (one draw per batch).
        side_unknown_probability: chance that a limb site loses its side in the name (``left_wrist`` -> ``wrist``).
        acc_only_probability: chance that a batch has accelerometers only (devices without gyroscope).
        tilt_std_deg: standard deviation of the mounting tilt about a random axis (clipped at twice that).
        flip_probability: chance of a 180-degree turn of the sensor about x, y or z.
        gravity_removed_probability: chance that an example reports linear acceleration.
        gravity_cutoff_hz: range of the low-pass cutoff of the gravity estimate.
        sensor_errors: add consumer MEMS errors (:meth:`ImuErrorModel.consumer_mems`).
        device_rates_hz: rates a batch may pass through (its rate is the model's when no slower one is drawn).
        window_s: range of the window length of a batch, in seconds.
    """

    sites_per_example: tuple[float, ...] = (0.6, 0.25, 0.15)
    side_unknown_probability: float = 0.5
    acc_only_probability: float = 0.15
    tilt_std_deg: float = 25.0
    flip_probability: float = 0.3
    gravity_removed_probability: float = 0.3
    gravity_cutoff_hz: tuple[float, float] = (0.1, 0.6)
    sensor_errors: bool = True
    device_rates_hz: tuple[float, ...] = (10.0, 12.5, 25.0, 50.0)
    window_s: tuple[float, float] = (4.0, 10.0)

    def __post_init__(self):
        if not self.sites_per_example or abs(sum(self.sites_per_example) - 1) > 1e-6:
            raise ValueError(f"sites_per_example must be probabilities summing to 1, got {self.sites_per_example}.")
        if not 0 < self.window_s[0] <= self.window_s[1]:
            raise ValueError(f"window_s must be a range of positive seconds, got {self.window_s}.")

    def __call__(
        self,
        acc: torch.Tensor,
        gyro: torch.Tensor,
        sites: list[str],
        sampling_rate_hz: float,
        gravity: str = "include",
        generator: torch.Generator | None = None,
    ) -> AugmentedBatch:
        """Varies ``(B, T, S, 3)`` readings of ``sites`` (m/s^2, gravity as given; rad/s) at ``sampling_rate_hz``."""
        batch, samples, num_sites, _ = acc.shape
        if num_sites != len(sites):
            raise ValueError(f"acc has {num_sites} sites but {len(sites)} site names were given.")
        g = generator
        acc, gyro, names = self.choose_sites(acc.float(), gyro.float(), sites, g)
        acc, gyro = self.mount(acc, gyro, g)
        removed = torch.zeros(batch, dtype=torch.bool)
        if gravity == "include":
            removed = torch.rand(batch, generator=g) < self.gravity_removed_probability
            acc = torch.where(removed[:, None, None, None], self.remove_gravity(acc, sampling_rate_hz, g), acc)
        if self.sensor_errors:
            acc, gyro = self.add_sensor_errors(acc, gyro, g)
        acc, gyro = self.limit_bandwidth(acc, gyro, sampling_rate_hz, g)
        acc, gyro, start = self.crop(acc, gyro, sampling_rate_hz, g)
        acc_only = bool(torch.rand((), generator=g) < self.acc_only_probability)
        sensors = ("acc",) if acc_only else ("acc", "gyro")
        return AugmentedBatch(
            acc=acc,
            gyro=gyro,
            channel_names=[channel_names(example_sites, sensors) for example_sites in names],
            gravity=["remove" if r or gravity == "remove" else "include" for r in removed.tolist()],
            start=start,
            acc_only=acc_only,
        )

    # -- the steps ------------------------------------------------------------------------------------------------
    def choose_sites(
        self, acc: torch.Tensor, gyro: torch.Tensor, sites: list[str], generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, list[list[str]]]:
        """``k`` random sites per example (one ``k`` per batch), some renamed without their side."""
        batch = acc.shape[0]
        weights = torch.tensor(self.sites_per_example[: len(sites)], dtype=torch.float64)
        k = int(torch.multinomial(weights, 1, generator=generator)) + 1
        chosen = torch.rand(batch, len(sites), generator=generator).argsort(dim=1)[:, :k]  # (B, k) distinct sites
        index = chosen[:, None, :, None].expand(-1, acc.shape[1], -1, 3)
        acc, gyro = acc.gather(2, index), gyro.gather(2, index)
        unknown_side = torch.rand(batch, k, generator=generator) < self.side_unknown_probability
        names = [
            [side_agnostic_site(sites[s]) if drop else sites[s] for s, drop in zip(row.tolist(), drops.tolist())]
            for row, drops in zip(chosen, unknown_side)
        ]
        # Two sites of one example named alike ("wrist" twice) would be indistinguishable: keep their sides then.
        for row, example in zip(chosen, names):
            if len(set(example)) < len(example):
                example[:] = [sites[s] for s in row.tolist()]
        return acc, gyro, names

    def mount(
        self, acc: torch.Tensor, gyro: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Turns each (example, site) sensor frame: ``v_sensor' = R^T v_sensor`` with ``R = R_flip R_tilt``."""
        batch, _, k, _ = acc.shape
        axis = torch.nn.functional.normalize(torch.randn(batch, k, 3, generator=generator), dim=-1)
        limit = 2 * self.tilt_std_deg
        angle = (torch.randn(batch, k, 1, generator=generator) * self.tilt_std_deg).clamp(-limit, limit)
        R = axis_angle_to_matrix(axis * angle * math.pi / 180)
        flip = torch.rand(batch, k, generator=generator) < self.flip_probability
        flip_axis = torch.nn.functional.one_hot(torch.randint(0, 3, (batch, k), generator=generator), 3).float()
        R_flip = axis_angle_to_matrix(flip_axis * math.pi * flip[..., None])
        R = (R_flip @ R).to(acc.dtype)  # (B, k, 3, 3)
        turn = lambda v: torch.einsum("bkji,btkj->btki", R, v)  # noqa: E731 - R^T v per (example, site)
        return turn(acc), turn(gyro)

    def remove_gravity(
        self, acc: torch.Tensor, sampling_rate_hz: float, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``acc`` minus its low-passed self (a gravity estimate), with a cutoff drawn per example."""
        cutoff = torch.empty(acc.shape[0]).uniform_(*self.gravity_cutoff_hz, generator=generator)
        return acc - lowpass(acc, sampling_rate_hz, cutoff, order=2)

    def add_sensor_errors(
        self, acc: torch.Tensor, gyro: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Consumer MEMS errors, drawn per (example, site)."""
        batch, samples, k, _ = acc.shape
        model = ImuErrorModel.consumer_mems()
        generator = generator or torch.Generator().manual_seed(int(torch.randint(0, 2**62, ())))
        as_sensors = lambda v: v.permute(1, 0, 2, 3).reshape(samples, batch * k, 3)  # noqa: E731
        back = lambda v: v.reshape(samples, batch, k, 3).permute(1, 0, 2, 3)  # noqa: E731
        acc = back(model.accelerometer.apply(as_sensors(acc), generator))
        return acc, back(model.gyroscope.apply(as_sensors(gyro), generator))

    def limit_bandwidth(
        self, acc: torch.Tensor, gyro: torch.Tensor, sampling_rate_hz: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Keeps what one slower device rate of the batch can record: a low-pass at 0.45 x that rate, the band the
        package's resampler keeps (unchanged when the model's own rate is drawn)."""
        slower = [rate for rate in self.device_rates_hz if rate < sampling_rate_hz]
        choice = int(torch.randint(0, len(slower) + 1, (), generator=generator))
        if choice == len(slower):
            return acc, gyro
        cutoff = torch.full((acc.shape[0],), 0.45 * slower[choice])
        return lowpass(acc, sampling_rate_hz, cutoff, order=8), lowpass(gyro, sampling_rate_hz, cutoff, order=8)

    def crop(
        self, acc: torch.Tensor, gyro: torch.Tensor, sampling_rate_hz: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One window length per batch (within ``window_s`` and the input), a random start per example."""
        batch, samples = acc.shape[:2]
        low, high = (min(samples, max(1, round(s * sampling_rate_hz))) for s in self.window_s)
        length = int(torch.randint(low, high + 1, (), generator=generator))
        start = (torch.rand(batch, generator=generator) * (samples - length + 1)).long()
        index = (start[:, None] + torch.arange(length))[:, :, None, None].expand(-1, -1, *acc.shape[2:])
        return acc.gather(1, index), gyro.gather(1, index), start


def lowpass(values: torch.Tensor, sampling_rate_hz: float, cutoff_hz: torch.Tensor, order: int) -> torch.Tensor:
    """Zero-phase low-pass of ``(B, T, ...)`` along time, cutoff ``(B,)`` per example: the gain
    ``1 / sqrt(1 + (f / cutoff)^(2 order))`` of a Butterworth filter applied forward and backward, on the mirrored
    window (no jump where the FFT wraps around)."""
    samples = values.shape[1]
    padded = torch.cat([values, values.flip(1)], dim=1)
    frequency = torch.fft.rfftfreq(2 * samples, d=1 / sampling_rate_hz)
    gain = 1 / (1 + (frequency[None, :] / cutoff_hz[:, None]) ** (2 * order))
    gain = gain.reshape(*gain.shape, *([1] * (values.ndim - 2))).to(values.dtype)
    return torch.fft.irfft(torch.fft.rfft(padded, dim=1) * gain, n=2 * samples, dim=1)[:, :samples]


__all__ = ["AugmentedBatch", "SensorVariety", "lowpass"]
