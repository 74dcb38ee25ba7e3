"""Band-limited resampling of sensor signals between any two rates, without aliasing.

Each output sample is a windowed-sinc interpolation of the input (the continuous signal that the input samples
describe, low-pass filtered below the lower of the two Nyquist frequencies), so downsampling from a 120 Hz mocap
rate to a 20 Hz sensor rate removes what a 20 Hz sensor cannot represent instead of folding it back. The weights
of each output sample are normalised to sum to one, so constants (gravity) pass through exactly. Ends are
extended by odd reflection about the first and last samples, which continues slopes smoothly.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

ROLLOFF = 0.9  # passband edge as a fraction of the lower Nyquist frequency
ZERO_CROSSINGS = 16  # half-width of the sinc kernel, in zero crossings of the cutoff
KAISER_BETA = 8.6  # side lobes below about -90 dB
_OUTPUT_CHUNK = 8192  # output samples per gather, to bound memory on long sequences


def num_resampled_frames(num_frames: int, rate_in_hz: float, rate_out_hz: float) -> int:
    """Output samples at ``rate_out_hz`` that fall within the time span of ``num_frames`` input samples."""
    return int(math.floor((num_frames - 1) * rate_out_hz / rate_in_hz + 1e-9)) + 1


def resample(signal: Tensor, rate_in_hz: float, rate_out_hz: float) -> Tensor:
    """Resamples along the first (time) axis.

    Args:
        signal: ``(T, ...)`` samples at ``rate_in_hz``; output sample ``k`` is at time ``k / rate_out_hz`` s,
            with input sample ``n`` at ``n / rate_in_hz`` s.
        rate_in_hz / rate_out_hz: sampling rates (Hz), positive.
    Returns:
        ``(num_resampled_frames(T, rate_in_hz, rate_out_hz), ...)`` in the input's dtype.
    """
    if not (rate_in_hz > 0 and rate_out_hz > 0 and math.isfinite(rate_in_hz) and math.isfinite(rate_out_hz)):
        raise ValueError(f"sampling rates must be positive and finite, got {rate_in_hz} -> {rate_out_hz} Hz.")
    if signal.shape[0] < 2:
        raise ValueError(f"resampling needs at least 2 samples, got {signal.shape[0]}.")
    if rate_in_hz == rate_out_hz:
        return signal.clone()
    frames = signal.shape[0]
    flat = signal.reshape(frames, -1)
    cutoff_hz = ROLLOFF * min(rate_in_hz, rate_out_hz) / 2
    half_width = int(math.ceil(ZERO_CROSSINGS / (2 * cutoff_hz) * rate_in_hz))  # input samples
    padded = _odd_reflect_pad(flat, half_width + 1)

    num_out = num_resampled_frames(frames, rate_in_hz, rate_out_hz)
    taps = torch.arange(-half_width, half_width + 1)
    outputs = []
    for start in range(0, num_out, _OUTPUT_CHUNK):
        position = torch.arange(start, min(start + _OUTPUT_CHUNK, num_out), dtype=torch.float64) * (
            rate_in_hz / rate_out_hz
        )  # fractional input index of each output sample
        nearest = torch.round(position).long()
        neighbours = nearest[:, None] + taps  # (K, taps) input indices
        offset_s = (position[:, None] - neighbours) / rate_in_hz
        weights = _windowed_sinc(offset_s, cutoff_hz, half_width / rate_in_hz)
        weights = weights / weights.sum(dim=1, keepdim=True)  # unit DC gain: constants stay exact
        gathered = padded[neighbours + half_width + 1]  # (K, taps, D)
        outputs.append(torch.einsum("kn,knd->kd", weights.to(flat.dtype), gathered))
    return torch.cat(outputs).reshape(num_out, *signal.shape[1:])


def _windowed_sinc(offset_s: Tensor, cutoff_hz: float, half_width_s: float) -> Tensor:
    """Kaiser-windowed ideal low-pass impulse response at time offsets (s); zero beyond the half width."""
    sinc = torch.sinc(2 * cutoff_hz * offset_s)
    ratio = (offset_s / half_width_s).clamp(-1, 1)
    window = torch.special.i0(KAISER_BETA * torch.sqrt(1 - ratio**2)) / torch.special.i0(torch.tensor(KAISER_BETA))
    return sinc * window


def _odd_reflect_pad(x: Tensor, pad: int) -> Tensor:
    """``(T, D)`` -> ``(T + 2 pad, D)``: ``x[-k] = 2 x[0] - x[k]`` and likewise at the end (edge-held if short)."""
    reach = min(pad, x.shape[0] - 1)
    head = 2 * x[:1] - x[1 : reach + 1].flip(0)
    tail = 2 * x[-1:] - x[-reach - 1 : -1].flip(0)
    head = torch.cat([head[:1].expand(pad - reach, -1), head])
    tail = torch.cat([tail, tail[-1:].expand(pad - reach, -1)])
    return torch.cat([head, x, tail])
