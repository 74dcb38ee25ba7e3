"""IMU recordings -> Multi^3Net model inputs: checks, units, band-limited resampling, windowing, normalisation.

Steps, per recording ``(T, C)`` described by its channel names, rate, units and gravity mode (a
:class:`~imu_foundation.sensors.DeviceLayout`, or the same fields as keyword arguments):

1. checks: real, finite, float32-representable numbers, ``C`` channels; units that the readings cannot be in (an
   accelerometer beyond 32 g, a gravity-including accelerometer whose median is not about 1 g, a gyroscope beyond
   2000 deg/s) are rejected with an explanation;
2. units: accelerometers to ``acc_units``, gyroscopes to ``gyro_units`` (the model's);
3. resampling to ``sampling_rate`` (band-limited, no aliasing; constants such as gravity pass exactly);
4. windows of ``window_length`` samples every ``window_stride`` samples; a shorter tail is dropped; a recording
   shorter than one window is an error unless ``pad_short=True`` (then it is repeated to fill one window). With
   ``whole=True`` each recording is one window as long as it is (already-cut windows; the IMU tower takes any
   length up to ``max_time_patches`` patches);
5. per-channel normalisation ``(x - mean) / std``. Unset statistics default by sensor: mean 0 and a scale of 1 g for
   accelerometers, 1 rad/s for gyroscopes, 1 otherwise, so the gravity direction (the sensor's orientation) is kept.

The channel ids tell the model each channel's site, sensor and axis; an accelerometer with gravity removed gets the
``linear_acc`` sensor row, so the model knows which kind of reading it sees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from transformers.feature_extraction_sequence_utils import SequenceFeatureExtractor
from transformers.feature_extraction_utils import BatchFeature

from .configuration_multi3net import DEFAULT_CHANNEL_NAMES
from .sensors import (
    ACC_UNITS,
    GYRO_UNITS,
    DeviceLayout,
    channel_ids,
    check_imu_array,
    check_plausible_units,
    check_sampling_rate,
    parse_channel_name,
    resample,
    sliding_window_starts,
)


class Multi3NetFeatureExtractor(SequenceFeatureExtractor):
    r"""Turns IMU recordings into normalised windows ``imu_values (N, window_length, C)`` and ``imu_channel_ids``.

    Args:
        channel_names: the default input layout, ``<site>_<sensor>_<axis>`` (e.g. ``"left_wrist_acc_x"``). A call may
            describe its input with other ``channel_names`` (any count and order) or a ``layout``.
        sampling_rate: the model's rate in Hz; inputs at other rates are resampled (``do_resample``).
        window_length: samples per window at ``sampling_rate``.
        window_stride: samples between consecutive window starts (``< window_length`` overlaps them).
        acc_units: the accelerometer unit the model works in, ``"m/s^2"`` (default) or ``"g"``.
        gyro_units: the gyroscope unit the model works in, ``"rad/s"`` (default) or ``"deg/s"``.
        channel_mean, channel_std: per-channel statistics (in ``acc_units`` / ``gyro_units``) in the order of
            ``channel_names``; ``None`` uses the per-sensor defaults (see the module docstring).
        do_normalize: apply the normalisation.
        do_resample: resample inputs at another rate (otherwise they are rejected).
        check_units: reject readings that cannot be in their declared units.
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
        sampling_rate = check_sampling_rate(sampling_rate)
        super().__init__(feature_size=feature_size, sampling_rate=sampling_rate, padding_value=padding_value, **kwargs)
        DeviceLayout(tuple(channel_names), sampling_rate, acc_units, gyro_units)  # checks names, rate and units
        if isinstance(window_length, bool) or not isinstance(window_length, int) or window_length < 1:
            raise ValueError(f"window_length must be a positive number of samples, got {window_length!r}.")
        if isinstance(window_stride, bool) or not isinstance(window_stride, int) or window_stride < 1:
            raise ValueError(f"window_stride must be a positive number of samples, got {window_stride!r}.")
        self.channel_names = channel_names
        self.window_length = window_length
        self.window_stride = window_stride
        self.acc_units = acc_units
        self.gyro_units = gyro_units
        self.channel_mean = _statistic(channel_mean, "channel_mean", len(channel_names))
        self.channel_std = _statistic(channel_std, "channel_std", len(channel_names))
        if self.channel_std is not None and min(self.channel_std) <= 0:
            raise ValueError("channel_std values must be positive.")
        self.do_normalize = do_normalize
        self.do_resample = do_resample
        self.check_units = check_units

    # ------------------------------------------------------------------------------------------------------------
    # Normalisation statistics
    # ------------------------------------------------------------------------------------------------------------
    def _default_scale(self, name: str) -> float:
        """One g for accelerometers, one rad/s for gyroscopes, in the extractor's units; 1 otherwise."""
        sensor = parse_channel_name(name).sensor
        if sensor == "acc":
            return ACC_UNITS["g"] / ACC_UNITS[self.acc_units]
        if sensor == "gyro":
            return GYRO_UNITS["rad/s"] / GYRO_UNITS[self.gyro_units]
        return 1.0

    def statistics(self, channel_names: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(C,)`` mean and std of the named channels: the fitted value of a known name, else the default."""
        mean, std = [], []
        for name in channel_names:
            index = self.channel_names.index(name) if name in self.channel_names else None
            fitted = index is not None
            mean.append(self.channel_mean[index] if fitted and self.channel_mean is not None else 0.0)
            std.append(
                self.channel_std[index] if fitted and self.channel_std is not None else self._default_scale(name)
            )
        return torch.tensor(mean, dtype=torch.float64), torch.tensor(std, dtype=torch.float64)

    def fit_normalization(self, imu, min_std: float = 1e-3, **layout) -> Multi3NetFeatureExtractor:
        """Sets ``channel_mean`` / ``channel_std`` from recordings in the extractor's channel layout.

        ``layout`` describes the input as in :meth:`__call__` (``sampling_rate=`` at least). Statistics are taken
        after unit conversion and resampling, over all samples; a channel whose spread is below ``min_std`` (a
        constant channel) keeps a std of ``min_std``. Returns ``self``.
        """
        layout = self.input_layout(**{"channel_names": self.channel_names, **layout})
        if list(layout.channel_names) != self.channel_names:
            raise ValueError("fit_normalization needs recordings in the extractor's own channel_names.")
        recordings = self._prepare(imu, layout, check_units=self.check_units)
        samples = torch.cat(recordings)
        self.channel_mean = samples.mean(0).tolist()
        self.channel_std = samples.std(0, correction=0).clamp(min=min_std).tolist()
        return self

    # ------------------------------------------------------------------------------------------------------------
    # Inputs
    # ------------------------------------------------------------------------------------------------------------
    def input_layout(
        self,
        layout: DeviceLayout | None = None,
        sampling_rate: float | None = None,
        channel_names: Sequence[str] | None = None,
        acc_units: str | None = None,
        gyro_units: str | None = None,
        gravity: str | None = None,
    ) -> DeviceLayout:
        """The input's :class:`DeviceLayout`: ``layout``, or one built from the fields (unset fields take the
        extractor's channel names and units and ``gravity="include"``). ``sampling_rate`` is required."""
        fields = {
            "sampling_rate_hz": sampling_rate,
            "channel_names": channel_names,
            "acc_units": acc_units,
            "gyro_units": gyro_units,
            "gravity": gravity,
        }
        if layout is not None:
            given = sorted(name for name, value in fields.items() if value is not None)
            if given:
                raise ValueError(f"Pass either layout= or the fields {given}, not both.")
            if not isinstance(layout, DeviceLayout):
                layout = DeviceLayout.from_dict(dict(layout))
        else:
            defaults = {"channel_names": self.channel_names, "acc_units": self.acc_units}
            defaults |= {"gyro_units": self.gyro_units, "gravity": "include"}
            layout = DeviceLayout(**{k: v if v is not None else defaults.get(k) for k, v in fields.items()})
        if layout.sampling_rate_hz is None:
            raise ValueError(
                f"Pass sampling_rate= (Hz) with the IMU recordings; the model works at {self.sampling_rate} Hz and "
                "cannot check the input's rate otherwise."
            )
        return layout

    def _as_recordings(self, imu, num_channels: int) -> list[np.ndarray]:
        """A ``(T, C)`` recording, a ``(B, T, C)`` batch or a list of ``(T, C)`` recordings -> checked float32."""
        if isinstance(imu, (list, tuple)) and imu and not isinstance(imu[0], (int, float)):
            if not all(np.ndim(r) == 2 for r in imu):
                shapes = [np.shape(r) for r in imu][:5]
                raise ValueError(f"A list of recordings must hold (T, C) arrays; got shapes {shapes}.")
            return [check_imu_array(r, num_channels, ndims=(2,), what=f"Recording {i}") for i, r in enumerate(imu)]
        if isinstance(imu, (list, tuple)) and not imu:
            raise ValueError("The IMU input is empty: pass at least one recording.")
        array = check_imu_array(imu, num_channels)
        return [array] if array.ndim == 2 else list(array)

    def _prepare(self, imu, layout: DeviceLayout, check_units: bool) -> list[torch.Tensor]:
        """Checked recordings in the model's units and rate, float64, unnormalised."""
        recordings = self._as_recordings(imu, layout.num_channels)
        if check_units:
            for recording in recordings:
                check_plausible_units(
                    recording, layout.channel_names, layout.acc_units, layout.gyro_units, layout.gravity
                )
        scale = torch.from_numpy(layout.unit_scale_to(self.acc_units, self.gyro_units))
        recordings = [torch.from_numpy(r).double() * scale for r in recordings]
        if layout.sampling_rate_hz != self.sampling_rate:
            if not self.do_resample:
                raise ValueError(
                    f"The IMU input is sampled at {layout.sampling_rate_hz} Hz but the model works at "
                    f"{self.sampling_rate} Hz and do_resample=False. Resample the data or set do_resample=True."
                )
            short = [i for i, r in enumerate(recordings) if r.shape[0] < 2]
            if short:
                raise ValueError(f"Recording {short[0]} has a single sample: it cannot be resampled.")
            recordings = [resample(r, layout.sampling_rate_hz, self.sampling_rate) for r in recordings]
        return recordings

    def window(self, recording: torch.Tensor, pad_short: bool = False) -> torch.Tensor:
        """``(T, C)`` -> ``(N, window_length, C)`` windows every ``window_stride`` samples (tail dropped).

        A recording shorter than one window is an error, or with ``pad_short`` is repeated (wrapped around) to fill
        one window, as UniMTS pads short recordings.
        """
        length = recording.shape[0]
        if length < self.window_length:
            if not pad_short:
                seconds = self.window_length / self.sampling_rate
                raise ValueError(
                    f"A recording has {length} samples at {self.sampling_rate:g} Hz, fewer than one window of "
                    f"window_length={self.window_length} ({seconds:g} s). Pass pad_short=True to repeat it to "
                    "one window, or give longer recordings."
                )
            recording = recording[torch.arange(self.window_length) % length]
        starts = torch.tensor(sliding_window_starts(recording.shape[0], self.window_length, self.window_stride))
        return recording[starts[:, None] + torch.arange(self.window_length)]

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
        gravity: str | None = None,
        layout: DeviceLayout | None = None,
        pad_short: bool = False,
        whole: bool = False,
        check_units: bool | None = None,
        return_recording_index: bool = False,
        return_tensors: str | None = "pt",
        **kwargs,
    ) -> BatchFeature:
        """Model inputs for IMU recordings.

        Args:
            imu: a ``(T, C)`` recording, a ``(B, T, C)`` batch or a list of ``(T, C)`` recordings (lengths may
                differ); real numbers in the declared units.
            sampling_rate: the input's rate in Hz (required, unless ``layout`` has it).
            channel_names: the input's channel names (default: the extractor's ``channel_names``).
            acc_units / gyro_units: the input's units (default: the extractor's, ``"m/s^2"`` and ``"rad/s"``).
            gravity: ``"include"`` (default; what accelerometers measure) or ``"remove"`` (linear acceleration).
            layout: a :class:`DeviceLayout` declaring all of the above at once.
            pad_short: repeat a recording shorter than one window to fill it (otherwise an error).
            whole: keep each recording as one window of its own length (recordings of one call must then have the
                same length); for windows already cut, e.g. a benchmark's.
            check_units: reject readings that cannot be in the declared units (default: the extractor's setting).
            return_recording_index: also return ``recording_index (N,)``, the input recording of each window.
            return_tensors: ``"pt"`` or ``"np"``.
        Returns:
            ``BatchFeature`` with ``imu_values (N, window_length, C)`` float32 and ``imu_channel_ids (C, 3)`` int64
            (site, sensor, axis rows of each channel).
        """
        if return_tensors not in ("pt", "np", None):
            raise ValueError(f"return_tensors must be 'pt' or 'np', got {return_tensors!r}.")
        layout = self.input_layout(layout, sampling_rate, channel_names, acc_units, gyro_units, gravity)
        check = self.check_units if check_units is None else check_units
        recordings = self._prepare(imu, layout, check_units=check)
        if whole:
            lengths = sorted({r.shape[0] for r in recordings})
            if len(lengths) > 1:
                raise ValueError(f"whole=True needs recordings of one length at the model's rate, got {lengths}.")
            windows = [r[None] for r in recordings]
        else:
            windows = [self.window(r, pad_short) for r in recordings]
        index = torch.cat([torch.full((len(w),), i, dtype=torch.long) for i, w in enumerate(windows)])
        values = torch.cat(windows)
        if self.do_normalize:
            mean, std = self.statistics(layout.channel_names)
            values = (values - mean) / std
        data = {
            "imu_values": values.float(),
            "imu_channel_ids": torch.tensor(channel_ids(layout.channel_names, layout.gravity), dtype=torch.long),
        }
        if return_recording_index:
            data["recording_index"] = index
        if return_tensors == "np":
            data = {k: v.numpy() for k, v in data.items()}
        return BatchFeature(data, tensor_type=return_tensors)


def _statistic(values: Sequence[float] | None, name: str, count: int) -> list[float] | None:
    if values is None:
        return None
    values = [float(v) for v in values]
    if len(values) != count:
        raise ValueError(f"{name} needs one value per channel ({count}), got {len(values)}.")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name} must be finite numbers, got {values}.")
    return values


__all__ = ["Multi3NetFeatureExtractor"]
