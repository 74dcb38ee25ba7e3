"""IMU recordings -> Multi^3Net model inputs: unit checks, band-limited resampling, windowing, normalisation.

Steps, per recording ``(T, C)`` in the order the channels are named:

1. units: accelerometer channels are converted to the extractor's ``acc_units`` (``"m/s^2"`` or ``"g"``, 1 g =
   9.80665 m/s^2) and gyroscope channels to ``gyro_units`` (``"rad/s"`` or ``"deg/s"``) when the caller declares
   the input's units; when it does not, inputs that look like the wrong unit (an accelerometer whose median
   magnitude is ~1 where m/s^2 is expected, a gyroscope beyond 35 rad/s) are rejected with an explanation;
2. resampling to ``sampling_rate`` with a Kaiser-windowed sinc low-pass below the lower Nyquist rate (no aliasing;
   constants such as gravity pass exactly), output sample ``k`` at ``k / sampling_rate`` s;
3. windows of ``window_length`` samples every ``window_stride`` samples (overlap = length - stride); a trailing
   part shorter than a window is dropped; a recording shorter than one window is an error;
4. per-channel normalisation ``(x - channel_mean) / channel_std`` in the units above. Unset statistics default by
   modality: mean 0 and a scale of 1 g for accelerometers, 1 rad/s for gyroscopes, 1 for other channels, so the
   gravity direction (the sensor's orientation) is kept. :meth:`fit_normalization` sets them from data.

This file is self-contained (numpy, torch, transformers and the folder's configuration) so it loads as remote code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from transformers.feature_extraction_sequence_utils import SequenceFeatureExtractor
from transformers.feature_extraction_utils import BatchFeature

from .configuration_multi3net import DEFAULT_CHANNEL_NAMES, channel_ids_from_names, parse_channel_name

STANDARD_GRAVITY_MPS2 = 9.80665
DEG_PER_RAD = 180.0 / math.pi
ACC_UNITS = {"m/s^2": 1.0, "g": STANDARD_GRAVITY_MPS2}  # value of one unit in m/s^2
GYRO_UNITS = {"rad/s": 1.0, "deg/s": 1.0 / DEG_PER_RAD}  # value of one unit in rad/s
# A gravity-including accelerometer read in g has a median magnitude near 1; in m/s^2 near 9.8.
_G_LIKE_MEDIAN_NORM = (0.5, 2.0)
_MPS2_LIKE_MEDIAN_NORM = (5.0, 20.0)
# Consumer gyroscopes saturate at 2000 deg/s = 34.9 rad/s: larger readings are degrees.
_MAX_PLAUSIBLE_RAD_PER_S = 35.0

# Resampler (the algorithm of imu_foundation.simulation.resample, repeated here so the file stands alone).
_ROLLOFF = 0.9  # passband edge as a fraction of the lower Nyquist frequency
_ZERO_CROSSINGS = 16  # half-width of the sinc kernel in zero crossings of the cutoff
_KAISER_BETA = 8.6  # side lobes below about -90 dB


def num_resampled_samples(num_samples: int, rate_in_hz: float, rate_out_hz: float) -> int:
    """Samples at ``rate_out_hz`` that fall within the time span of ``num_samples`` samples at ``rate_in_hz``."""
    return int(math.floor((num_samples - 1) * rate_out_hz / rate_in_hz + 1e-9)) + 1


def resample_sinc(signal: torch.Tensor, rate_in_hz: float, rate_out_hz: float) -> torch.Tensor:
    """Band-limited resampling along the first (time) axis.

    Args:
        signal: ``(T, ...)`` float samples at ``rate_in_hz`` (sample ``n`` at ``n / rate_in_hz`` s), ``T >= 2``.
    Returns:
        ``(num_resampled_samples(T, rate_in_hz, rate_out_hz), ...)``; sample ``k`` at ``k / rate_out_hz`` s. Each
        output is a Kaiser-windowed sinc interpolation low-passed at 0.9 x the lower Nyquist frequency, with the
        weights normalised to unit DC gain; the ends are extended by odd reflection.
    """
    if rate_in_hz == rate_out_hz:
        return signal.clone()
    if signal.shape[0] < 2:
        raise ValueError(f"Resampling needs at least 2 samples, got {signal.shape[0]}.")
    frames, flat = signal.shape[0], signal.reshape(signal.shape[0], -1).double()
    cutoff_hz = _ROLLOFF * min(rate_in_hz, rate_out_hz) / 2
    half_width = int(math.ceil(_ZERO_CROSSINGS / (2 * cutoff_hz) * rate_in_hz))  # in input samples
    padded = _odd_reflect_pad(flat, half_width + 1)
    num_out = num_resampled_samples(frames, rate_in_hz, rate_out_hz)
    position = torch.arange(num_out, dtype=torch.float64) * (rate_in_hz / rate_out_hz)  # fractional input index
    neighbours = torch.round(position).long()[:, None] + torch.arange(-half_width, half_width + 1)
    offset_s = (position[:, None] - neighbours) / rate_in_hz
    ratio = (offset_s / (half_width / rate_in_hz)).clamp(-1, 1)
    window = torch.special.i0(_KAISER_BETA * torch.sqrt(1 - ratio**2)) / torch.special.i0(
        torch.tensor(_KAISER_BETA, dtype=torch.float64)
    )
    weights = torch.sinc(2 * cutoff_hz * offset_s) * window
    weights = weights / weights.sum(dim=1, keepdim=True)  # unit DC gain: constants stay exact
    out = torch.einsum("kn,knd->kd", weights, padded[neighbours + half_width + 1])
    return out.to(signal.dtype).reshape(num_out, *signal.shape[1:])


def _odd_reflect_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """``(T, D)`` -> ``(T + 2 pad, D)``: ``x[-k] = 2 x[0] - x[k]`` and likewise at the end (edge-held if short)."""
    reach = min(pad, x.shape[0] - 1)
    head = 2 * x[:1] - x[1 : reach + 1].flip(0)
    tail = 2 * x[-1:] - x[-reach - 1 : -1].flip(0)
    head = torch.cat([head[:1].expand(pad - reach, -1), head])
    tail = torch.cat([tail, tail[-1:].expand(pad - reach, -1)])
    return torch.cat([head, x, tail])


class Multi3NetFeatureExtractor(SequenceFeatureExtractor):
    r"""Turns IMU recordings into normalised windows ``imu_values (N, window_length, C)`` and ``imu_channel_ids``.

    Args:
        channel_names: the channel layout, ``<site>_<acc|gyro>_<x|y|z>`` (e.g. ``"left_wrist_acc_x"``); the
            number of names is ``feature_size``. A call may pass other ``channel_names`` (any count).
        sampling_rate: the model's rate in Hz; inputs at other rates are resampled (``do_resample``).
        window_length: samples per window at ``sampling_rate``.
        window_stride: samples between consecutive window starts (``< window_length`` overlaps them).
        acc_units: the accelerometer unit the model works in, ``"m/s^2"`` (default) or ``"g"``.
        gyro_units: the gyroscope unit the model works in, ``"rad/s"`` (default) or ``"deg/s"``.
        channel_mean, channel_std: per-channel statistics (in ``acc_units`` / ``gyro_units``) in the order of
            ``channel_names``; ``None`` uses the per-modality defaults (see the module docstring).
        do_normalize: apply the normalisation.
        do_resample: resample inputs at another rate (otherwise they are rejected).
        check_units: reject inputs whose magnitudes look like another unit when the call does not declare units.
    """

    model_input_names = ["imu_values", "imu_channel_ids"]

    def __init__(
        self,
        channel_names: Sequence[str] = DEFAULT_CHANNEL_NAMES,
        sampling_rate: float = 30.0,
        window_length: int = 60,
        window_stride: int = 30,
        acc_units: str = "m/s^2",
        gyro_units: str = "rad/s",
        channel_mean: Sequence[float] | None = None,
        channel_std: Sequence[float] | None = None,
        do_normalize: bool = True,
        do_resample: bool = True,
        check_units: bool = True,
        padding_value: float = 0.0,
        **kwargs,
    ):
        channel_names = list(channel_names)
        feature_size = kwargs.pop("feature_size", len(channel_names))
        if feature_size != len(channel_names):
            raise ValueError(f"feature_size={feature_size} but {len(channel_names)} channel_names were given.")
        super().__init__(feature_size=feature_size, sampling_rate=sampling_rate, padding_value=padding_value, **kwargs)
        if not channel_names:
            raise ValueError("channel_names must name at least one channel.")
        if acc_units not in ACC_UNITS or gyro_units not in GYRO_UNITS:
            raise ValueError(
                f"acc_units must be one of {list(ACC_UNITS)} and gyro_units one of {list(GYRO_UNITS)}, "
                f"got {acc_units!r} and {gyro_units!r}."
            )
        if window_length < 1 or window_stride < 1:
            raise ValueError(f"window_length and window_stride must be >= 1, got {window_length}, {window_stride}.")
        if not (sampling_rate > 0 and math.isfinite(sampling_rate)):
            raise ValueError(f"sampling_rate must be a positive number of Hz, got {sampling_rate}.")
        self.channel_names = channel_names
        self.window_length = int(window_length)
        self.window_stride = int(window_stride)
        self.acc_units = acc_units
        self.gyro_units = gyro_units
        self.channel_mean = None if channel_mean is None else [float(v) for v in channel_mean]
        self.channel_std = None if channel_std is None else [float(v) for v in channel_std]
        for name, stats in (("channel_mean", self.channel_mean), ("channel_std", self.channel_std)):
            if stats is not None and len(stats) != len(channel_names):
                raise ValueError(f"{name} needs one value per channel ({len(channel_names)}), got {len(stats)}.")
        if self.channel_std is not None and min(self.channel_std) <= 0:
            raise ValueError("channel_std values must be positive.")
        self.do_normalize = do_normalize
        self.do_resample = do_resample
        self.check_units = check_units

    # ------------------------------------------------------------------------------------------------------------
    # Normalisation statistics
    # ------------------------------------------------------------------------------------------------------------
    def _default_scale(self, name: str) -> float:
        modality = parse_channel_name(name)[1]
        if modality == "acc":
            return 1.0 if self.acc_units == "g" else STANDARD_GRAVITY_MPS2
        if modality == "gyro":
            return 1.0 if self.gyro_units == "rad/s" else DEG_PER_RAD
        return 1.0

    def statistics(self, channel_names: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(C,)`` mean and std of the named channels: the fitted value of a known name, else the default."""
        mean, std = [], []
        for name in channel_names:
            known = name in self.channel_names
            index = self.channel_names.index(name) if known else -1
            mean.append(self.channel_mean[index] if known and self.channel_mean is not None else 0.0)
            std.append(self.channel_std[index] if known and self.channel_std is not None else self._default_scale(name))
        return torch.tensor(mean, dtype=torch.float64), torch.tensor(std, dtype=torch.float64)

    def fit_normalization(
        self,
        imu,
        sampling_rate: float,
        acc_units: str | None = None,
        gyro_units: str | None = None,
        min_std: float = 1e-3,
    ) -> Multi3NetFeatureExtractor:
        """Sets ``channel_mean`` / ``channel_std`` from recordings in the extractor's channel layout.

        Statistics are taken after unit conversion and resampling, over all samples; a channel whose spread is
        below ``min_std`` (a constant channel) keeps a std of ``min_std``. Returns ``self``.
        """
        windows = self._prepare(imu, sampling_rate, self.channel_names, acc_units, gyro_units)
        samples = torch.cat([w.reshape(-1, w.shape[-1]) for w in windows])
        self.channel_mean = samples.mean(0).tolist()
        self.channel_std = samples.std(0, correction=0).clamp(min=min_std).tolist()
        return self

    # ------------------------------------------------------------------------------------------------------------
    # Input checking and units
    # ------------------------------------------------------------------------------------------------------------
    def _as_recordings(self, imu, channel_names: Sequence[str]) -> list[torch.Tensor]:
        """A ``(T, C)`` recording, a ``(B, T, C)`` batch or a list of ``(T, C)`` recordings -> float64 list."""
        if isinstance(imu, (np.ndarray, torch.Tensor)):
            imu = torch.as_tensor(imu)
            if imu.ndim == 2:
                recordings = [imu]
            elif imu.ndim == 3:
                recordings = list(imu.unbind(0))
            else:
                raise ValueError(f"IMU input must be (T, C) or (B, T, C), got shape {tuple(imu.shape)}.")
        elif isinstance(imu, (list, tuple)):
            recordings = [torch.as_tensor(np.asarray(r)) if not isinstance(r, torch.Tensor) else r for r in imu]
            for i, r in enumerate(recordings):
                if r.ndim != 2:
                    raise ValueError(f"Recording {i} has shape {tuple(r.shape)}; each recording must be (T, C).")
        else:
            raise ValueError(f"IMU input must be an array, a tensor or a list of (T, C) recordings, got {type(imu)}.")
        if not recordings:
            raise ValueError("The IMU input is empty: pass at least one recording.")
        num_channels = len(channel_names)
        preview = ", ".join(list(channel_names[:3]) + (["..."] if num_channels > 3 else []))
        for i, r in enumerate(recordings):
            if r.shape[-1] != num_channels:
                raise ValueError(
                    f"Recording {i} has {r.shape[-1]} channels but {num_channels} channel names are configured "
                    f"({preview}); channels are the last axis, (T, C). Pass "
                    f"channel_names= for another layout."
                )
            if r.dtype.is_complex or r.dtype == torch.bool:
                raise ValueError(f"Recording {i} has dtype {r.dtype}; IMU samples must be real numbers.")
            if r.shape[0] == 0:
                raise ValueError(f"Recording {i} has no samples.")
        recordings = [r.detach().cpu().double() for r in recordings]
        for i, r in enumerate(recordings):
            if not torch.isfinite(r).all():
                sample, channel = (~torch.isfinite(r)).nonzero()[0].tolist()
                raise ValueError(
                    f"The IMU input contains NaN or inf (recording {i}, sample {sample}, channel {channel})."
                )
        return recordings

    def _convert_units(
        self,
        recordings: list[torch.Tensor],
        channel_names: Sequence[str],
        acc_units: str | None,
        gyro_units: str | None,
    ) -> list[torch.Tensor]:
        modalities = [parse_channel_name(n)[1] for n in channel_names]
        acc = torch.tensor([m == "acc" for m in modalities])
        gyro = torch.tensor([m == "gyro" for m in modalities])
        if acc_units is None and self.check_units and acc.any():
            self._check_acc_units(recordings, channel_names)
        if gyro_units is None and self.check_units and gyro.any():
            self._check_gyro_units(recordings, gyro)
        for declared, table, kind in ((acc_units, ACC_UNITS, "acc_units"), (gyro_units, GYRO_UNITS, "gyro_units")):
            if declared is not None and declared not in table:
                raise ValueError(f"{kind} must be one of {list(table)}, got {declared!r}.")
        scale = torch.ones(len(channel_names), dtype=torch.float64)
        if acc_units is not None:
            scale[acc] = ACC_UNITS[acc_units] / ACC_UNITS[self.acc_units]
        if gyro_units is not None:
            scale[gyro] = GYRO_UNITS[gyro_units] / GYRO_UNITS[self.gyro_units]
        return [r * scale for r in recordings] if (scale != 1).any() else recordings

    def _check_acc_units(self, recordings: list[torch.Tensor], channel_names: Sequence[str]) -> None:
        triples = _xyz_triples(channel_names, "acc")
        if not triples:
            return
        norms = torch.cat([r[:, t].norm(dim=-1) for r in recordings for t in triples])
        median = float(norms.median())
        looks_g = _G_LIKE_MEDIAN_NORM[0] <= median <= _G_LIKE_MEDIAN_NORM[1]
        looks_mps2 = _MPS2_LIKE_MEDIAN_NORM[0] <= median <= _MPS2_LIKE_MEDIAN_NORM[1]
        if (self.acc_units == "m/s^2" and looks_g) or (self.acc_units == "g" and looks_mps2):
            other = "g" if self.acc_units == "m/s^2" else "m/s^2"
            raise ValueError(
                f"The accelerometer channels look like they are in {other} (median magnitude {median:.2f}) but "
                f"this feature extractor works in {self.acc_units}. Pass acc_units='{other}' to convert, or "
                f"acc_units='{self.acc_units}' to confirm the input's unit."
            )

    def _check_gyro_units(self, recordings: list[torch.Tensor], gyro: torch.Tensor) -> None:
        largest = max(float(r[:, gyro].abs().max()) for r in recordings) / GYRO_UNITS[self.gyro_units]  # rad/s
        if largest > _MAX_PLAUSIBLE_RAD_PER_S:
            raise ValueError(
                f"The gyroscope reaches {largest:.0f} rad/s, beyond any wearable gyroscope's range: it looks like "
                f"deg/s. Pass gyro_units='deg/s' to convert, or gyro_units='{self.gyro_units}' to confirm."
            )

    def _prepare(self, imu, sampling_rate, channel_names, acc_units, gyro_units) -> list[torch.Tensor]:
        """Checked, unit-converted recordings resampled to the model rate (float64, unnormalised)."""
        if sampling_rate is None:
            raise ValueError(
                f"Pass sampling_rate= (Hz) with the IMU recordings; the model works at {self.sampling_rate} Hz and "
                "cannot check the input's rate otherwise."
            )
        if not (math.isfinite(sampling_rate) and sampling_rate > 0):
            raise ValueError(f"sampling_rate must be a positive number of Hz, got {sampling_rate}.")
        recordings = self._as_recordings(imu, channel_names)
        recordings = self._convert_units(recordings, channel_names, acc_units, gyro_units)
        if abs(float(sampling_rate) - float(self.sampling_rate)) > 1e-9:
            if not self.do_resample:
                raise ValueError(
                    f"The IMU input is sampled at {sampling_rate} Hz but the model works at {self.sampling_rate} Hz "
                    "and do_resample=False. Resample the data or set do_resample=True."
                )
            recordings = [resample_sinc(r, float(sampling_rate), float(self.sampling_rate)) for r in recordings]
        return recordings

    def window(self, recording: torch.Tensor) -> torch.Tensor:
        """``(T, C)`` -> ``(N, window_length, C)`` windows every ``window_stride`` samples (tail dropped)."""
        if recording.shape[0] < self.window_length:
            raise ValueError(
                f"A recording has {recording.shape[0]} samples at {self.sampling_rate} Hz, fewer than one window "
                f"of window_length={self.window_length}."
            )
        return recording.unfold(0, self.window_length, self.window_stride).transpose(1, 2)

    # ------------------------------------------------------------------------------------------------------------
    # Call
    # ------------------------------------------------------------------------------------------------------------
    def __call__(
        self,
        imu,
        sampling_rate: float | None = None,
        channel_names: Sequence[str] | None = None,
        acc_units: str | None = None,
        gyro_units: str | None = None,
        return_recording_index: bool = False,
        return_tensors: str | None = "pt",
        **kwargs,
    ) -> BatchFeature:
        """Model inputs for IMU recordings.

        Args:
            imu: a ``(T, C)`` recording, a ``(B, T, C)`` batch or a list of ``(T, C)`` recordings (lengths may
                differ); float, in the units below.
            sampling_rate: the input's rate in Hz (required).
            channel_names: the input's channel names (default: the extractor's ``channel_names``).
            acc_units: the input's accelerometer unit (``"m/s^2"`` or ``"g"``); ``None`` means the extractor's
                ``acc_units``, checked for plausibility when ``check_units``.
            gyro_units: the input's gyroscope unit (``"rad/s"`` or ``"deg/s"``), likewise.
            return_recording_index: also return ``recording_index (N,)``, the input recording of each window.
            return_tensors: ``"pt"`` or ``"np"``.
        Returns:
            ``BatchFeature`` with ``imu_values (N, window_length, C)`` float32 and ``imu_channel_ids (C, 3)`` int64
            (site, modality, axis of each channel).
        """
        channel_names = list(self.channel_names if channel_names is None else channel_names)
        recordings = self._prepare(imu, sampling_rate, channel_names, acc_units, gyro_units)
        windows = [self.window(r) for r in recordings]
        index = torch.cat([torch.full((len(w),), i, dtype=torch.long) for i, w in enumerate(windows)])
        values = torch.cat(windows)
        if self.do_normalize:
            mean, std = self.statistics(channel_names)
            values = (values - mean) / std
        data = {
            "imu_values": values.float(),
            "imu_channel_ids": torch.tensor(channel_ids_from_names(channel_names), dtype=torch.long),
        }
        if return_recording_index:
            data["recording_index"] = index
        if return_tensors == "np":
            data = {k: v.numpy() for k, v in data.items()}
        elif return_tensors not in ("pt", None):
            raise ValueError(f"return_tensors must be 'pt' or 'np', got {return_tensors!r}.")
        return BatchFeature(data, tensor_type=return_tensors)


def _xyz_triples(channel_names: Sequence[str], modality: str) -> list[list[int]]:
    """Column indices ``[x, y, z]`` of each site that has all three axes of ``modality``."""
    columns: dict[str, dict[str, int]] = {}
    for i, name in enumerate(channel_names):
        site, kind, axis = parse_channel_name(name)
        if kind == modality and axis in "xyz":
            # Unknown sites keep their own name as key, so two unknown sensors are not merged.
            key = name.rsplit("_", 2)[0] if site == "unknown" else site
            columns.setdefault(key, {})[axis] = i
    return [[axes[a] for a in "xyz"] for axes in columns.values() if len(axes) == 3]


__all__ = ["Multi3NetFeatureExtractor", "num_resampled_samples", "resample_sinc"]
