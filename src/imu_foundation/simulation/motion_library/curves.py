"""Time curves that generators shape joint angles with: periodic bumps, keyframes, smooth noise, hops.

Everything here is at least C2 (continuous up to the second derivative) on purpose: the IMU simulator
differentiates positions twice, so a corner in a joint trajectory becomes a spike in the simulated acceleration
whose height grows with the frame rate, and a jump in curvature becomes a step. Limit values with
:func:`soft_max_limit`, ramp with :func:`smootherstep`, never with ``clamp``, ``abs`` or piecewise-linear ramps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from ..motion import STANDARD_GRAVITY_MPS2

DTYPE = torch.float64


def bump(phase: Tensor, center: float, kappa: float) -> Tensor:
    """Periodic bump of height 1 centred at cycle fraction ``center``; larger ``kappa`` = narrower (von Mises)."""
    return torch.exp(kappa * (torch.cos(phase - 2 * math.pi * center) - 1))


def rise(phase: Tensor) -> Tensor:
    """``0.5 (1 - cos(phase))``: 0 at the start of each cycle, 1 half-way; a smooth out-and-back repetition."""
    return 0.5 * (1 - torch.cos(phase))


def soft_max_limit(x: Tensor, limit: float, width: float) -> Tensor:
    """``min(x, limit)`` with the corner rounded over about ``width``: a hard clamp would put a kink in the
    trajectory, i.e. a spike in the simulated acceleration."""
    return limit - width * torch.nn.functional.softplus((limit - x) / width)


def smootherstep(x: Tensor) -> Tensor:
    """0 below 0, 1 above 1, and ``6 x^5 - 15 x^4 + 10 x^3`` between: a ramp whose slope and curvature are zero at
    both ends, so it is C2 (the cubic smoothstep's curvature jumps at the ends)."""
    x = x.clamp(0, 1)
    return x**3 * (x * (6 * x - 15) + 10)


def keyframes(fraction: Tensor, knots: Sequence[float], values: Sequence[Sequence[float]]) -> Tensor:
    """Periodic, monotone, C2 interpolation of keyframed channels over a cycle.

    Between two keys a quintic Hermite polynomial matches the keys, PCHIP tangents (zero at local extrema and
    holds, limited to twice the neighbouring secants so that no segment overshoots) and zero curvature at both
    ends. So holds (two equal keys) stay still, nothing overshoots, and the curve is C2: accelerations stay
    continuous.

    Args:
        fraction: ``(T,)`` position in the cycle, in ``[0, 1)``.
        knots: ``K`` increasing cycle fractions, the first 0; the cycle wraps from the last back to the first.
        values: ``(K, C)`` channel values at the knots.

    Returns:
        ``(T, C)`` interpolated channels.
    """
    k = np.asarray(knots, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if k[0] != 0 or np.any(np.diff(k) <= 0) or k[-1] >= 1:
        raise ValueError(f"knots must increase from 0 and stay below 1, got {list(k)}")
    h = np.diff(np.append(k, 1.0))  # (K,) interval lengths, the last wrapping around
    slope = (np.roll(v, -1, axis=0) - v) / h[:, None]  # (K, C) secant of interval i -> i+1
    prev_slope, prev_h = np.roll(slope, 1, axis=0), np.roll(h, 1)[:, None]
    # Fritsch-Butland weighted harmonic mean (scipy's PCHIP), zero at local extrema; at most twice either secant,
    # which keeps the quintic segments monotone.
    w1, w2 = 2 * h[:, None] + prev_h, h[:, None] + 2 * prev_h
    same_sign = prev_slope * slope > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        tangent = np.where(same_sign, (w1 + w2) / (w1 / prev_slope + w2 / slope), 0.0)
    tangent = np.sign(tangent) * np.minimum(np.abs(tangent), 2 * np.minimum(np.abs(prev_slope), np.abs(slope)))
    knots_t, h_t = torch.from_numpy(k), torch.from_numpy(h)
    values_t, tangent_t = torch.from_numpy(v), torch.from_numpy(tangent)
    index = (torch.searchsorted(knots_t, fraction.contiguous(), right=True) - 1).clamp(0, len(k) - 1)
    nxt = (index + 1) % len(k)
    width = h_t[index][:, None]
    s = ((fraction - knots_t[index]) / h_t[index]).clamp(0, 1)[:, None]
    # Quintic Hermite basis with zero end curvature: values (h0, h5) and tangents (h1, h4).
    h5 = s**3 * (10 - 15 * s + 6 * s**2)
    h1 = s - 6 * s**3 + 8 * s**4 - 3 * s**5
    h4 = -4 * s**3 + 7 * s**4 - 3 * s**5
    return (1 - h5) * values_t[index] + h5 * values_t[nxt] + width * (h1 * tangent_t[index] + h4 * tangent_t[nxt])


def cumulative(rate: Tensor, fps: float) -> Tensor:
    """Trapezoidal running integral over time of ``(T, ...)`` rates, 0 at the first frame."""
    steps = (rate[1:] + rate[:-1]) / (2 * fps)
    return torch.cat([torch.zeros_like(rate[:1]), torch.cumsum(steps, dim=0)])


def smooth_noise(
    rng: np.random.Generator, t: Tensor, channels: int, *, max_hz: float = 0.5, min_hz: float = 0.05, terms: int = 4
) -> Tensor:
    """``(T, channels)`` sum of ``terms`` sines per channel with frequencies in ``[min_hz, max_hz]``, unit RMS."""
    max_hz = max(max_hz, min_hz)
    freqs = rng.uniform(min_hz, max_hz, size=(terms, channels))
    phases = rng.uniform(0, 2 * math.pi, size=(terms, channels))
    weights = rng.uniform(0.5, 1.5, size=(terms, channels))
    weights = weights / np.sqrt((weights**2).sum(axis=0, keepdims=True) / 2)  # RMS of the sum = 1
    arg = 2 * math.pi * t[:, None, None] * torch.from_numpy(freqs) + torch.from_numpy(phases)
    return (torch.from_numpy(weights) * torch.sin(arg)).sum(dim=1)


def hop_height(fraction: Tensor, flight: float, period_s: float) -> Tensor:
    """Vertical root motion of repeated hops: a ballistic flight and a stance with a half-sine ground force.

    In stance the ground reaction force rises from zero and falls back to zero as a half sine whose impulse
    carries the body weight over the whole hop (peak ``pi T / (2 T_contact)`` body weights, ~2.2 for running), so
    the height is C2: the vertical acceleration is -g in the air and at touch-down, up to a few g at mid-stance.

    Args:
        fraction: ``(T,)`` position in the hop cycle, stance from 0 (touch-down) to ``1 - flight`` (take-off).
        flight: fraction of the hop in the air.
        period_s: nominal hop period (s).

    Returns:
        ``(T,)`` height (m), 0 at touch-down and take-off, negative in stance.
    """
    g = STANDARD_GRAVITY_MPS2
    contact_s, flight_s = (1.0 - flight) * period_s, flight * period_s
    v0 = g * flight_s / 2  # take-off speed of a flight lasting flight_s
    peak = g * math.pi * period_s / (2 * contact_s)  # peak ground force per unit mass

    def stance(tau: Tensor) -> Tensor:
        w = math.pi / contact_s
        return -v0 * tau + peak / w * (tau - torch.sin(w * tau) / w) - 0.5 * g * tau**2

    in_contact = fraction < 1.0 - flight
    tau_c = (fraction * period_s).clamp(max=contact_s)
    tau_f = ((fraction - (1.0 - flight)) * period_s).clamp_min(0)
    return torch.where(in_contact, stance(tau_c), v0 * tau_f - 0.5 * g * tau_f**2)
