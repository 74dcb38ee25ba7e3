"""Motion variety: so that one activity is not one waveform.

People do not repeat a movement like a metronome. Per motion, seeded and recorded in the metadata:

* ``tempo_drift``: the cadence changes steadily over the sequence (``+0.1``: 10 % faster at the end than at the
  start, the mean cadence staying ``cycle_hz``);
* ``tempo_jitter`` / ``amplitude_jitter``: each repetition is a little faster or slower, larger or smaller
  (standard deviations of per-repetition factors, blended smoothly from one repetition to the next);
* ``rest_fraction``: for activities done in repetitions, the share of each cycle spent resting in the start pose
  between repetitions (0 = continuous). Each repetition then starts and ends at rest (an eased time warp), and
  ``cycle_hz`` stays the number of repetitions per second, rests included;
* ``arm_asymmetry``: one arm moves through a larger range than the other (``+0.1``: the left arm's motion is
  10 % larger than the right arm's, in the generator's right-handed frame, before any mirroring).

Everything here is C2 in time and independent of the frame rate, so the simulated accelerations stay continuous
and converge as the frame rate rises.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import Tensor

from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .curves import DTYPE, cumulative
from .pose_builder import J

_ARM_JOINTS = ("shoulder", "elbow", "wrist")
# Cubic B-spline values of i.i.d. unit coefficients have an RMS of sqrt(0.479); this rescales them to about 1.
_BSPLINE_RMS = math.sqrt(0.4794)


@dataclass(frozen=True)
class Variety:
    """How one motion departs from its activity's regular waveform (see the module docstring)."""

    tempo_drift: float = 0.0
    tempo_jitter: float = 0.0
    amplitude_jitter: float = 0.0
    rest_fraction: float = 0.0
    arm_asymmetry: float = 0.0

    def to_dict(self) -> dict[str, float]:
        return {key: round(value, 6) for key, value in asdict(self).items()}


def draw_variety(rng: np.random.Generator, rests: bool, variability: float) -> Variety:
    """The variety of one motion; every draw is made whatever ``variability`` (0 gives a regular waveform)."""
    drift = rng.uniform(-0.15, 0.15)
    tempo_jitter, amplitude_jitter = rng.uniform(0.01, 0.06), rng.uniform(0.02, 0.10)
    resting = rng.random() < 0.5
    rest = rng.uniform(0.1, 0.3)
    asymmetry = rng.uniform(-0.15, 0.15)
    return Variety(
        tempo_drift=float(drift * variability),
        tempo_jitter=float(tempo_jitter * variability),
        amplitude_jitter=float(amplitude_jitter * variability),
        rest_fraction=float(rest * min(variability, 1.0)) if rests and resting and variability > 0 else 0.0,
        arm_asymmetry=float(asymmetry * variability),
    )


class RepetitionCurve:
    """Random values that change once per ``spacing_s`` (about unit RMS), joined by a uniform cubic B-spline.

    The coefficients sit on a fixed grid in time, drawn in order from a generator used for nothing else, so the
    curve at a given time is the same at every frame rate and for every length; it is C2. Call it with ``(T,)``
    times (s).
    """

    def __init__(self, rng: np.random.Generator, duration_s: float, spacing_s: float) -> None:
        self.start_s, self.spacing_s = -2 * spacing_s, spacing_s
        count = int(math.ceil((duration_s - self.start_s) / spacing_s)) + 4
        self.coefficients = torch.from_numpy(rng.standard_normal(count))

    def __call__(self, t: Tensor) -> Tensor:
        x = (t - self.start_s) / self.spacing_s  # position on the knot grid
        base = torch.floor(x).long()
        total = torch.zeros_like(t)
        for offset in range(-1, 3):  # the 4 B-splines that overlap each point
            index = (base + offset).clamp(0, len(self.coefficients) - 1)
            total += self.coefficients[index] * _cubic_bspline(x - (base + offset))
        return total / _BSPLINE_RMS


def _cubic_bspline(x: Tensor) -> Tensor:
    """The uniform cubic B-spline centred at 0 (support [-2, 2], C2)."""
    a = x.abs()
    inner = 2 / 3 - a**2 + a**3 / 2
    outer = (2 - a).clamp_min(0) ** 3 / 6
    return torch.where(a < 1, inner, outer)


class Tempo:
    """Cadence (Hz) and amplitude factor over time: a steady drift plus per-repetition variation."""

    def __init__(
        self,
        rngs: tuple[np.random.Generator, np.random.Generator],
        cycle_hz: float,
        amplitude: float,
        duration_s: float,
        variety: Variety,
    ) -> None:
        """``rngs``: one generator for the cadence and one for the amplitude, each used by nothing else, so that
        their values at a given time do not depend on how many repetitions a longer sequence draws."""
        spacing_s = max(1.0 / cycle_hz, 0.5)  # per repetition, but no faster than twice a second
        self.cycle_hz, self.amplitude, self.duration_s, self.variety = cycle_hz, amplitude, duration_s, variety
        self._tempo = RepetitionCurve(rngs[0], duration_s, spacing_s)
        self._size = RepetitionCurve(rngs[1], duration_s, spacing_s)

    def freq(self, t: Tensor) -> Tensor:
        """``(T,)`` cadence (Hz); the drift is zero on average over the sequence."""
        drift = self.variety.tempo_drift * (2 * t / self.duration_s - 1)
        jitter = self.variety.tempo_jitter * self._tempo(t)
        return (self.cycle_hz * (1 + drift) * (1 + jitter)).clamp_min(0.2 * self.cycle_hz)

    def amp(self, t: Tensor) -> Tensor:
        """``(T,)`` amplitude factor."""
        return (self.amplitude * (1 + self.variety.amplitude_jitter * self._size(t))).clamp_min(0.2 * self.amplitude)


def continuous_phase(freq: Tensor, fps: float, phase_rad: float) -> Tensor:
    """``(T,)`` phase (rad) of a continuous cycle at cadence ``freq`` (Hz), ``phase_rad`` at the first frame."""
    return phase_rad + 2 * math.pi * cumulative(freq, fps)


def resting_phase(
    rng: np.random.Generator, t: Tensor, tempo: Tempo, phase_rad: float, rest_fraction: float
) -> tuple[Tensor, Tensor]:
    """Repetitions separated by rests in the start pose: ``(T,)`` phase (rad) and its rate (Hz).

    ``rng`` draws the rests, one per repetition, and nothing else.

    Each cycle lasts ``1 / freq`` (taken at the cycle's start): it moves for ``1 - rest`` of it and rests for the
    remainder, ``rest`` jittering by +-30 % around ``rest_fraction`` from one repetition to the next. Within the
    moving part the phase advances at a steady rate that ramps up from and down to zero (:func:`_start_and_stop`),
    so it leaves and reaches the start pose with zero speed and zero acceleration: resting is C2.
    ``phase_rad / 2 pi`` is the share of the first repetition already done at the first frame.
    """
    rests = rest_fraction * rng.uniform(0.7, 1.3, size=int(tempo.duration_s * tempo.cycle_hz * 5) + 8)
    rests = np.minimum(rests, 0.9)
    end_s = tempo.duration_s + 1.0
    starts, moving = [], []
    period = 1.0 / float(tempo.freq(torch.zeros(1, dtype=DTYPE)))
    start = -(phase_rad / (2 * math.pi)) * (1 - rests[0]) * period
    for rest in rests:
        if start >= end_s:
            break
        period = 1.0 / float(tempo.freq(torch.tensor([max(start, 0.0)], dtype=DTYPE)))
        starts.append(start)
        moving.append((1 - rest) * period)
        start += period
    starts_t, moving_t = torch.tensor(starts, dtype=DTYPE), torch.tensor(moving, dtype=DTYPE)
    index = (torch.searchsorted(starts_t, t.contiguous(), right=True) - 1).clamp_min(0)
    tau = ((t - starts_t[index]) / moving_t[index]).clamp(0, 1)
    progress, rate = _start_and_stop(tau)
    return 2 * math.pi * (index.to(DTYPE) + progress), rate / moving_t[index]


def _start_and_stop(tau: Tensor, ramp: float = 0.2) -> tuple[Tensor, Tensor]:
    """A repetition's progress over its moving time ``tau`` in [0, 1], and its rate ``d progress / d tau``.

    The rate ramps up from 0 over the first ``ramp`` of the repetition and back down over the last (smootherstep
    ramps, so progress is C3), and is constant in between: the repetition keeps its usual shape and is only
    eased where it leaves and reaches the rest (a smootherstep over the whole repetition would squeeze the
    movement into its middle and move much of the signal to the harmonics).
    """

    def ramp_rate(x: Tensor) -> Tensor:  # smootherstep
        x = x.clamp(0, 1)
        return x**3 * (x * (6 * x - 15) + 10)

    def ramp_area(x: Tensor) -> Tensor:  # its integral from 0: x^6 - 3 x^5 + 2.5 x^4, then 0.5 + (x - 1)
        inside = x.clamp(0, 1)
        return inside**4 * (inside * (inside - 3) + 2.5) + (x - 1).clamp_min(0)

    scale = 1 / (1 - ramp)  # the rate's plateau, so that progress reaches 1
    rate = scale * ramp_rate(tau / ramp) * ramp_rate((1 - tau) / ramp)
    rising = ramp * ramp_area(tau / ramp)  # area under the rate without the final ramp
    falling = (1 - ramp) - ramp * ramp_area((1 - tau) / ramp)  # the whole area less what is still to come
    progress = scale * torch.where(tau <= 0.5, rising, falling)
    return progress, rate


def scale_arm_asymmetry(rot: Tensor, asymmetry: float) -> None:
    """Scales the left arm's motion by ``1 + a / 2`` and the right arm's by ``1 - a / 2``, in place.

    Each arm joint's rotation is split into its mean over the sequence and the deviation from it; the deviation's
    rotation vector is scaled. Smooth wherever the deviation stays below half a turn.
    """
    if asymmetry == 0:
        return
    for side, factor in (("left", 1 + asymmetry / 2), ("right", 1 - asymmetry / 2)):
        for name in _ARM_JOINTS:
            joint = J[f"{side}_{name}"]
            R = rot[:, joint]
            U, _, Vh = torch.linalg.svd(R.mean(dim=0))  # the rotation closest to the mean (chordal mean)
            mean = U @ torch.diag(torch.tensor([1.0, 1.0, float(torch.det(U @ Vh))], dtype=R.dtype)) @ Vh
            deviation = matrix_to_axis_angle(mean.T @ R)
            rot[:, joint] = mean @ axis_angle_to_matrix(factor * deviation)
