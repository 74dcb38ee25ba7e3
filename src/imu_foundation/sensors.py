"""IMU conventions: the one home of sensor sites, sensor types, axes, units, gravity mode, channel names and rates.

A recording is a ``(T, C)`` array: ``T`` samples at ``sampling_rate_hz`` of ``C`` channels named
``<site>_<sensor>_<axis>`` (``"left_wrist_acc_x"``). A :class:`DeviceLayout` declares a device once (its channels,
rate, units and gravity mode) and every part of the package takes it: the simulator writes it, the datasets store
it, the processors and pipelines bring a recording from it to the layout a model works in.

    >>> watch = DeviceLayout.from_sites(["wrist"], sampling_rate_hz=50, acc_units="g")
    >>> watch.channel_names[:3]
    ('wrist_acc_x', 'wrist_acc_y', 'wrist_acc_z')
    >>> acc_mps2 = convert_units(readings, watch.channel_names, acc_from="g", acc_to="m/s^2")

Units are SI unless declared: accelerometers in m/s^2 (or g), gyroscopes in rad/s (or deg/s). ``gravity="include"``
is what an accelerometer measures (specific force: +1 g upward at rest), ``"remove"`` is linear acceleration (as
phones' linear-acceleration sensors and some datasets report).

This module needs only NumPy and torch: model folders link to it (``models/*/sensors.py``) so that a saved
checkpoint carries it as remote code and loads with ``trust_remote_code=True`` where the package is not installed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import torch

STANDARD_GRAVITY_MPS2 = 9.80665

# ----------------------------------------------------------------------------------------------------------------------
# Vocabulary. Append-only: the position of a name is its embedding row in saved Multi^3Net checkpoints.
# ----------------------------------------------------------------------------------------------------------------------
SITES: tuple[str, ...] = (
    "unknown",
    "left_wrist",
    "right_wrist",
    "left_forearm",
    "right_forearm",
    "left_upper_arm",
    "right_upper_arm",
    "left_thigh",
    "right_thigh",
    "left_shank",
    "right_shank",
    "left_ankle",
    "right_ankle",
    "left_foot",
    "right_foot",
    "pelvis",
    "chest",
    "back",
    "head",
    # Limb sites whose side is not known (a watch on "the wrist", a phone in "a trouser pocket" = thigh).
    "wrist",
    "forearm",
    "upper_arm",
    "thigh",
    "shank",
    "ankle",
    "foot",
)
SENSORS: tuple[str, ...] = ("other", "acc", "gyro", "mag")
AXES: tuple[str, ...] = ("other", "x", "y", "z")
SENSOR_ALIASES = {"accelerometer": "acc", "gyroscope": "gyro", "magnetometer": "mag"}
INERTIAL_SENSORS: tuple[str, ...] = ("acc", "gyro")  # the six channels per site of the package's corpora
# Rows of a model's sensor embedding: the sensors, and an accelerometer with gravity removed, which reads linear
# acceleration rather than specific force (a different quantity, so the model is told).
SENSOR_ROWS: tuple[str, ...] = (*SENSORS, "linear_acc")

# Value of one unit in SI (m/s^2 for accelerometers, rad/s for gyroscopes).
ACC_UNITS: dict[str, float] = {"m/s^2": 1.0, "g": STANDARD_GRAVITY_MPS2}
GYRO_UNITS: dict[str, float] = {"rad/s": 1.0, "deg/s": math.pi / 180.0}
GRAVITY_MODES: tuple[str, ...] = ("include", "remove")

# Plausibility of declared rates and units (what wearable IMUs can record).
MIN_SAMPLING_RATE_HZ = 1.0  # below this it is not an IMU rate (a rate in kHz passed as Hz, say)
MAX_SAMPLING_RATE_HZ = 10_000.0
MAX_PLAUSIBLE_ACC_MPS2 = 32 * STANDARD_GRAVITY_MPS2  # wearable accelerometers saturate at 16-32 g
MAX_PLAUSIBLE_GYRO_RADPS = 40.0  # 2000 deg/s (34.9 rad/s), the largest consumer range, with room for scale error
GRAVITY_MEDIAN_MPS2 = (4.0, 60.0)  # median |acc| of a worn, gravity-including sensor, m/s^2: ~1 g, to ~6 g in sport


# ----------------------------------------------------------------------------------------------------------------------
# Channel names: <site>_<sensor>_<axis>
# ----------------------------------------------------------------------------------------------------------------------
class Channel(NamedTuple):
    """A parsed channel name; parts that are not in the vocabulary are ``"unknown"`` / ``"other"``."""

    site: str
    sensor: str
    axis: str


def channel_name(site: str, sensor: str, axis: str) -> str:
    """``("left_wrist", "acc", "x")`` -> ``"left_wrist_acc_x"``."""
    return f"{site}_{sensor}_{axis}"


def channel_names(sites: Sequence[str], sensors: Sequence[str] = INERTIAL_SENSORS) -> list[str]:
    """Per site, per sensor, x y z: ``["<site>_acc_x", ..., "<site>_gyro_z", ...]`` (the simulator's order)."""
    if isinstance(sites, str):
        raise TypeError("sites must be a list of site names, not one string.")
    return [channel_name(site, sensor, axis) for site in sites for sensor in sensors for axis in "xyz"]


def split_channel_name(name: str) -> tuple[str, str, str] | None:
    """``"<site>_<sensor>_<axis>"`` -> its three parts as written, or ``None`` if the name does not follow it."""
    parts = name.strip().lower().split("_")
    if len(parts) < 3 or not parts[0]:
        return None
    sensor = SENSOR_ALIASES.get(parts[-2], parts[-2])
    if parts[-1] not in AXES[1:] or sensor not in SENSORS[1:]:
        return None
    return "_".join(parts[:-2]), sensor, parts[-1]


def parse_channel_name(name: str) -> Channel:
    """Any channel name -> :class:`Channel`; lenient, for models that must accept any layout.

    ``"atr01_acc_x"`` is an accelerometer x axis at an unknown site, ``"temperature"`` an unknown site, sensor and
    axis. Sensor aliases are accepted (``"left_wrist_accelerometer_x"``).
    """
    parts = name.strip().lower().split("_")
    axis = parts.pop() if len(parts) > 1 and parts[-1] in AXES[1:] else "other"
    sensor = "other"
    if len(parts) > 1 or (parts and axis != "other"):
        candidate = SENSOR_ALIASES.get(parts[-1], parts[-1])
        if candidate in SENSORS[1:]:
            sensor = candidate
            parts.pop()
    site = "_".join(parts)
    return Channel(site if site in SITES else "unknown", sensor, axis)


def channel_ids(names: Sequence[str], gravity: str = "include") -> list[list[int]]:
    """``(C, 3)`` embedding rows ``[site, sensor, axis]`` of each channel name (:data:`SITES`, :data:`SENSOR_ROWS`,
    :data:`AXES`); with ``gravity="remove"`` accelerometers take the ``linear_acc`` row."""
    if isinstance(names, str):
        raise TypeError("channel names must be a list of strings, not one string.")
    if gravity not in GRAVITY_MODES:
        raise ValueError(f"gravity must be one of {list(GRAVITY_MODES)}, got {gravity!r}.")
    ids = []
    for site, sensor, axis in map(parse_channel_name, names):
        sensor = "linear_acc" if sensor == "acc" and gravity == "remove" else sensor
        ids.append([SITES.index(site), SENSOR_ROWS.index(sensor), AXES.index(axis)])
    return ids


def side_agnostic_site(site: str) -> str:
    """``"left_wrist"`` -> ``"wrist"``: the site with its side dropped (unchanged for central sites)."""
    for side in ("left_", "right_"):
        if site.startswith(side) and site[len(side) :] in SITES:
            return site[len(side) :]
    return site


def xyz_columns(names: Sequence[str], sensor: str) -> list[list[int]]:
    """Column indices ``[x, y, z]`` of every site that has all three axes of ``sensor``, in order of appearance."""
    columns: dict[str, dict[str, int]] = {}
    for index, name in enumerate(names):
        parts = split_channel_name(name)
        if parts is not None and parts[1] == sensor:
            columns.setdefault(parts[0], {})[parts[2]] = index
    return [[axes[a] for a in "xyz"] for axes in columns.values() if len(axes) == 3]


# ----------------------------------------------------------------------------------------------------------------------
# Units, rates and arrays
# ----------------------------------------------------------------------------------------------------------------------
def check_units(acc_units: str, gyro_units: str, gravity: str = "include") -> None:
    """Raises ``ValueError`` for a unit or gravity mode outside the vocabulary, listing the accepted ones."""
    for value, accepted, what in (
        (acc_units, ACC_UNITS, "acc_units"),
        (gyro_units, GYRO_UNITS, "gyro_units"),
        (gravity, GRAVITY_MODES, "gravity"),
    ):
        if value not in accepted:
            raise ValueError(f"{what} must be one of {list(accepted)}, got {value!r}.")


def check_sampling_rate(rate_hz: Any, what: str = "sampling_rate") -> float:
    """A sampling rate in Hz as a float; ``ValueError`` for a non-number, a non-finite or implausible value."""
    if isinstance(rate_hz, bool) or not isinstance(rate_hz, (int, float, np.integer, np.floating)):
        raise ValueError(f"{what} must be a number of Hz, got {rate_hz!r} ({type(rate_hz).__name__}).")
    rate_hz = float(rate_hz)
    if not math.isfinite(rate_hz) or rate_hz <= 0:
        raise ValueError(f"{what} must be a positive number of Hz, got {rate_hz}.")
    if not MIN_SAMPLING_RATE_HZ <= rate_hz <= MAX_SAMPLING_RATE_HZ:
        raise ValueError(
            f"{what}={rate_hz:g} Hz is outside the range of IMU sampling rates ({MIN_SAMPLING_RATE_HZ:g}-"
            f"{MAX_SAMPLING_RATE_HZ:g} Hz); give the rate in Hz (samples per second), not kHz or a period."
        )
    return rate_hz


def unit_scale(
    names: Sequence[str],
    acc_from: str = "m/s^2",
    acc_to: str = "m/s^2",
    gyro_from: str = "rad/s",
    gyro_to: str = "rad/s",
) -> np.ndarray:
    """``(C,)`` float64 factors that convert each named channel from one unit to another (1 for other sensors)."""
    check_units(acc_from, gyro_from)
    check_units(acc_to, gyro_to)
    factors = {"acc": ACC_UNITS[acc_from] / ACC_UNITS[acc_to], "gyro": GYRO_UNITS[gyro_from] / GYRO_UNITS[gyro_to]}
    return np.array([factors.get(parse_channel_name(name).sensor, 1.0) for name in names], dtype=np.float64)


def convert_units(values: np.ndarray, names: Sequence[str], **units: str) -> np.ndarray:
    """``(..., C)`` readings converted channel by channel (see :func:`unit_scale`); a new float32 array."""
    return (np.asarray(values, dtype=np.float64) * unit_scale(names, **units)).astype(np.float32)


def check_imu_array(
    values: Any, num_channels: int | None = None, *, ndims: tuple[int, ...] = (2, 3), what: str = "The IMU input"
) -> np.ndarray:
    """Checks one IMU array and returns it as a float32 NumPy array (a view when it already is one).

    Accepts NumPy arrays, torch tensors and nested lists of real numbers. ``ValueError`` names the problem: a
    non-real dtype (complex, bool, text), the number of dimensions, the channel count (last axis), an empty axis,
    NaN/inf (with its position), or values beyond float32's range.
    """
    if isinstance(values, torch.Tensor):
        if values.dtype.is_complex or values.dtype == torch.bool:
            raise ValueError(f"{what} has dtype {values.dtype}; IMU samples must be real numbers.")
        array = values.detach().cpu().numpy() if values.dtype != torch.bfloat16 else values.float().cpu().numpy()
    else:
        try:
            array = np.asarray(values)
        except ValueError as error:  # ragged nested lists
            raise ValueError(f"{what} is not a rectangular array of numbers: {error}") from error
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{what} has dtype {array.dtype}; IMU samples must be real numbers.")
    shapes = " or ".join({2: "(T, C)", 3: "(B, T, C)", 1: "(T,)"}.get(n, f"{n}-D") for n in ndims)
    if array.ndim not in ndims:
        raise ValueError(f"{what} must have shape {shapes}, got {array.shape}.")
    if 0 in array.shape:
        raise ValueError(f"{what} is empty (shape {array.shape}).")
    if num_channels is not None and array.shape[-1] != num_channels:
        raise ValueError(
            f"{what} has {array.shape[-1]} channels (last axis) but {num_channels} are expected; arrays are "
            f"{shapes} with channels last."
        )
    with np.errstate(over="ignore"):  # an overflow becomes inf here and is reported below with its position
        as_float32 = array.astype(np.float32, copy=False)
    finite = np.isfinite(as_float32)
    if not finite.all():
        where = np.argwhere(~finite)[0].tolist()
        source_finite = bool(np.isfinite(array[tuple(where)]))
        axes = ["window", "sample", "channel"][-array.ndim :] if array.ndim <= 3 else [f"axis {i}" for i in range(3)]
        position = ", ".join(f"{name} {index}" for name, index in zip(axes, where))
        problem = "a value beyond float32's range (~3.4e38)" if source_finite else "NaN or inf"
        raise ValueError(f"{what} contains {problem} at {position}.")
    return as_float32


def check_imu_tensor(
    values: torch.Tensor,
    num_channels: int | None = None,
    *,
    ndims: tuple[int, ...] = (2, 3),
    what: str = "The IMU input",
) -> torch.Tensor:
    """:func:`check_imu_array` for a tensor that stays where it is: the same checks and errors, and a float32 tensor
    on the input's device (detached; sharing the input's memory when it already is float32).

    Only the finiteness check reads the values (one device synchronisation); a tensor that fails any check goes to
    :func:`check_imu_array`, which names the problem (and the position of a bad value).
    """
    valid = (
        not (values.dtype.is_complex or values.dtype == torch.bool)
        and values.ndim in ndims
        and values.numel() > 0
        and (num_channels is None or values.shape[-1] == num_channels)
    )
    if valid:
        as_float32 = values.detach().to(torch.float32)  # beyond float32's range becomes inf: refused below
        if bool(torch.isfinite(as_float32).all()):
            return as_float32
    check_imu_array(values, num_channels, ndims=ndims, what=what)
    raise AssertionError(f"check_imu_array accepted a tensor that check_imu_tensor refused: {what}")


def check_plausible_units(
    values: np.ndarray, names: Sequence[str], acc_units: str, gyro_units: str, gravity: str
) -> None:
    """Raises ``ValueError`` when readings cannot be in their declared units.

    Accelerometers: no wearable reads beyond 32 g, so larger readings are in mg, cm/s^2 or similar; with gravity
    included the median magnitude is about 1 g, which tells g from m/s^2 and catches a wrong gravity mode.
    Gyroscopes: no consumer gyroscope reads beyond 2000 deg/s (34.9 rad/s), so much larger rad/s readings are deg/s.
    """
    check_units(acc_units, gyro_units, gravity)
    values = np.asarray(values, dtype=np.float64).reshape(-1, len(names))
    for columns in xyz_columns(names, "acc"):
        norm_mps2 = np.linalg.norm(values[:, columns], axis=1) * ACC_UNITS[acc_units]
        peak, median = float(np.percentile(norm_mps2, 99)), float(np.median(norm_mps2))
        if peak > MAX_PLAUSIBLE_ACC_MPS2:
            raise ValueError(
                f"The accelerometer ({names[columns[0]]}...) reaches {peak / STANDARD_GRAVITY_MPS2:.0f} g with "
                f"acc_units={acc_units!r}, beyond any wearable accelerometer's range (32 g): the data look like "
                "mg or cm/s^2. Convert them to m/s^2 or g first."
            )
        if gravity == "include" and not GRAVITY_MEDIAN_MPS2[0] <= median <= GRAVITY_MEDIAN_MPS2[1]:
            declared = median / ACC_UNITS[acc_units]  # the median in the declared unit
            fits = [
                u for u, si in ACC_UNITS.items() if GRAVITY_MEDIAN_MPS2[0] <= declared * si <= GRAVITY_MEDIAN_MPS2[1]
            ]
            hint = f"it looks like {fits[0]}: pass acc_units={fits[0]!r}" if fits else "check acc_units and gravity"
            raise ValueError(
                f"The accelerometer ({names[columns[0]]}...) has a median magnitude of {declared:.3g} {acc_units} "
                f"with gravity='include', where a worn sensor reads about 1 g; {hint} (gravity='remove' for linear "
                "acceleration)."
            )
    for columns in xyz_columns(names, "gyro"):
        peak_radps = float(np.abs(values[:, columns]).max()) * GYRO_UNITS[gyro_units]
        if peak_radps > MAX_PLAUSIBLE_GYRO_RADPS:
            raise ValueError(
                f"The gyroscope ({names[columns[0]]}...) reaches {peak_radps:.0f} rad/s with gyro_units="
                f"{gyro_units!r}, beyond any wearable gyroscope's range (2000 deg/s = 34.9 rad/s): it looks like deg/s."
            )


def sliding_window_starts(num_samples: int, window: int, step: int) -> range:
    """Start samples of the windows of ``window`` samples every ``step`` samples; a short tail is dropped."""
    if window < 1 or step < 1:
        raise ValueError(f"window and step must be >= 1 samples, got {window} and {step}.")
    return range(0, max(0, num_samples - window + 1), step)


# ----------------------------------------------------------------------------------------------------------------------
# Band-limited resampling
# ----------------------------------------------------------------------------------------------------------------------
RESAMPLE_ROLLOFF = 0.9  # passband edge as a fraction of the lower Nyquist frequency
RESAMPLE_ZERO_CROSSINGS = 16  # half-width of the sinc kernel, in zero crossings of the cutoff
RESAMPLE_KAISER_BETA = 8.6  # side lobes below about -90 dB
_RESAMPLE_CHUNK = 8192  # output samples per gather, to bound memory on long sequences


def num_resampled_samples(num_samples: int, rate_in_hz: float, rate_out_hz: float) -> int:
    """Samples at ``rate_out_hz`` that fall within the time span of ``num_samples`` samples at ``rate_in_hz``."""
    return int(math.floor((num_samples - 1) * rate_out_hz / rate_in_hz + 1e-9)) + 1


def resample(signal: torch.Tensor, rate_in_hz: float, rate_out_hz: float) -> torch.Tensor:
    """Band-limited resampling along the first (time) axis, without aliasing.

    Each output sample is a Kaiser-windowed sinc interpolation of the input, low-passed at 0.9 x the lower of the
    two Nyquist frequencies, so downsampling removes what the slower rate cannot represent instead of folding it
    back. The weights of each output are normalised to sum to one (constants such as gravity pass exactly); the ends
    are extended by odd reflection, which continues slopes smoothly.

    Args:
        signal: ``(T, ...)`` samples at ``rate_in_hz`` (sample ``n`` at ``n / rate_in_hz`` s), ``T >= 2``.
    Returns:
        ``(num_resampled_samples(T, rate_in_hz, rate_out_hz), ...)`` in the input's dtype and device; output sample
        ``k`` at ``k / rate_out_hz`` s.
    """
    if not (rate_in_hz > 0 and rate_out_hz > 0 and math.isfinite(rate_in_hz) and math.isfinite(rate_out_hz)):
        raise ValueError(f"sampling rates must be positive and finite, got {rate_in_hz} -> {rate_out_hz} Hz.")
    if signal.shape[0] < 2:
        raise ValueError(f"resampling needs at least 2 samples, got {signal.shape[0]}.")
    if rate_in_hz == rate_out_hz:
        return signal.clone()
    frames, device = signal.shape[0], signal.device
    flat = signal.reshape(frames, -1)
    cutoff_hz = RESAMPLE_ROLLOFF * min(rate_in_hz, rate_out_hz) / 2
    half_width = int(math.ceil(RESAMPLE_ZERO_CROSSINGS / (2 * cutoff_hz) * rate_in_hz))  # input samples
    padded = _odd_reflect_pad(flat, half_width + 1)
    num_out = num_resampled_samples(frames, rate_in_hz, rate_out_hz)
    taps = torch.arange(-half_width, half_width + 1, device=device)
    outputs = []
    for start in range(0, num_out, _RESAMPLE_CHUNK):
        stop = min(start + _RESAMPLE_CHUNK, num_out)
        position = torch.arange(start, stop, dtype=torch.float64, device=device) * (rate_in_hz / rate_out_hz)
        neighbours = torch.round(position).long()[:, None] + taps  # (K, taps) input indices
        offset_s = (position[:, None] - neighbours) / rate_in_hz
        weights = _windowed_sinc(offset_s, cutoff_hz, half_width / rate_in_hz)
        weights = weights / weights.sum(dim=1, keepdim=True)  # unit DC gain: constants stay exact
        gathered = padded[neighbours + half_width + 1]  # (K, taps, D)
        outputs.append(torch.einsum("kn,knd->kd", weights.to(flat.dtype), gathered))
    return torch.cat(outputs).reshape(num_out, *signal.shape[1:])


def _windowed_sinc(offset_s: torch.Tensor, cutoff_hz: float, half_width_s: float) -> torch.Tensor:
    """Kaiser-windowed ideal low-pass impulse response at time offsets (s); zero beyond the half width."""
    ratio = (offset_s / half_width_s).clamp(-1, 1)
    beta = torch.tensor(RESAMPLE_KAISER_BETA, dtype=offset_s.dtype, device=offset_s.device)
    window = torch.special.i0(beta * torch.sqrt(1 - ratio**2)) / torch.special.i0(beta)
    return torch.sinc(2 * cutoff_hz * offset_s) * window


def _odd_reflect_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """``(T, D)`` -> ``(T + 2 pad, D)``: ``x[-k] = 2 x[0] - x[k]`` and likewise at the end (edge-held if short)."""
    reach = min(pad, x.shape[0] - 1)
    head = 2 * x[:1] - x[1 : reach + 1].flip(0)
    tail = 2 * x[-1:] - x[-reach - 1 : -1].flip(0)
    head = torch.cat([head[:1].expand(pad - reach, -1), head])
    tail = torch.cat([tail, tail[-1:].expand(pad - reach, -1)])
    return torch.cat([head, x, tail])


# ----------------------------------------------------------------------------------------------------------------------
# A declared device
# ----------------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class DeviceLayout:
    """What a recording holds: its channels, rate, units and gravity mode, declared once.

    Attributes:
        channel_names: ``C`` names ``<site>_<sensor>_<axis>`` in column order.
        sampling_rate_hz: samples per second; ``None`` when the layout is used before the rate is known.
        acc_units: ``"m/s^2"`` or ``"g"``.
        gyro_units: ``"rad/s"`` or ``"deg/s"``.
        gravity: ``"include"`` (specific force: +1 g up at rest) or ``"remove"`` (linear acceleration).
    """

    channel_names: tuple[str, ...]
    sampling_rate_hz: float | None = None
    acc_units: str = "m/s^2"
    gyro_units: str = "rad/s"
    gravity: str = "include"

    def __post_init__(self):
        if isinstance(self.channel_names, str):
            raise TypeError("channel_names must be a list of names, not one string.")
        names = tuple(str(name) for name in self.channel_names)
        if not names:
            raise ValueError("a device layout needs at least one channel name.")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"channel names must be unique, got {duplicates} more than once.")
        object.__setattr__(self, "channel_names", names)
        check_units(self.acc_units, self.gyro_units, self.gravity)
        if self.sampling_rate_hz is not None:
            object.__setattr__(self, "sampling_rate_hz", check_sampling_rate(self.sampling_rate_hz, "sampling_rate_hz"))

    @classmethod
    def from_sites(cls, sites: Sequence[str], sensors: Sequence[str] = INERTIAL_SENSORS, **fields: Any) -> DeviceLayout:
        """The layout of ``sites`` each carrying ``sensors`` (x, y, z each): ``from_sites(["wrist"], ("acc",))``."""
        return cls(tuple(channel_names(sites, sensors)), **fields)

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> DeviceLayout:
        """From :meth:`to_dict` or a row of a corpus in the package's schema (extra keys are ignored)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in fields.items() if key in known})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the corpus schema's column names)."""
        return {**dataclasses.asdict(self), "channel_names": list(self.channel_names)}

    def replace(self, **changes: Any) -> DeviceLayout:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @property
    def num_channels(self) -> int:
        return len(self.channel_names)

    @property
    def sites(self) -> list[str]:
        """The sites of the named channels, in order of appearance (names outside the grammar excluded)."""
        parts = (split_channel_name(name) for name in self.channel_names)
        return list(dict.fromkeys(p[0] for p in parts if p is not None))

    def check(self, values: Any, *, ndims: tuple[int, ...] = (2, 3), check_units: bool = True) -> np.ndarray:
        """Checks readings against the layout (:func:`check_imu_array`, plus :func:`check_plausible_units` when
        ``check_units``) and returns them as float32."""
        array = check_imu_array(values, self.num_channels, ndims=ndims)
        if check_units:
            check_plausible_units(array, self.channel_names, self.acc_units, self.gyro_units, self.gravity)
        return array

    def unit_scale_to(self, acc_units: str = "m/s^2", gyro_units: str = "rad/s") -> np.ndarray:
        """``(C,)`` factors from this layout's units to the given ones."""
        return unit_scale(self.channel_names, self.acc_units, acc_units, self.gyro_units, gyro_units)


__all__ = [
    "ACC_UNITS",
    "AXES",
    "GRAVITY_MODES",
    "GYRO_UNITS",
    "INERTIAL_SENSORS",
    "SENSORS",
    "SENSOR_ROWS",
    "SITES",
    "STANDARD_GRAVITY_MPS2",
    "Channel",
    "DeviceLayout",
    "channel_ids",
    "channel_name",
    "channel_names",
    "check_imu_array",
    "check_imu_tensor",
    "check_plausible_units",
    "check_sampling_rate",
    "check_units",
    "convert_units",
    "num_resampled_samples",
    "parse_channel_name",
    "resample",
    "side_agnostic_site",
    "sliding_window_starts",
    "split_channel_name",
    "unit_scale",
    "xyz_columns",
]
