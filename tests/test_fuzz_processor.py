"""Property-based fuzzing of the Multi^3Net processor: every input gives finite windows of the documented shape, or a
ValueError that names the problem; never another exception, never NaN."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imu_foundation import Multi3NetFeatureExtractor
from imu_foundation.sensors import channel_names

G = 9.80665
NAMED_PROBLEMS = (
    "NaN or inf",
    "float32's range",
    "channels",
    "shape",
    "empty",
    "real numbers",
    "Hz",
    "fewer than one window",
    "looks like",
    "look like",
    "range (",
    "median magnitude",
    "units must be one of",
    "gravity must be one of",
    "single sample",
    "recordings of one length",
    "not a rectangular array",
    "must hold (T, C) arrays",
    "channel names must be unique",
    "layout",
)


def plausible(samples: int, sites: int, rng: np.random.Generator) -> np.ndarray:
    """A worn sensor: about 1 g of specific force, moderate rotation (acc m/s^2, gyro rad/s)."""
    acc = rng.normal(0, 2, (samples, sites, 3)) + [0, 0, G]
    gyro = rng.normal(0, 1, (samples, sites, 3))
    return np.concatenate([acc, gyro], axis=-1).reshape(samples, 6 * sites)


@st.composite
def recordings(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sites = draw(st.integers(1, 3))
    samples = draw(st.integers(0, 400))
    values = plausible(samples, sites, rng) if samples else np.zeros((0, 6 * sites))
    flaw = draw(
        st.sampled_from(
            ["none", "nan", "inf", "huge", "tiny", "milli_g", "deg_s", "complex", "bool", "channels", "ndim", "list"]
        )
    )
    if samples and flaw == "nan":
        values[draw(st.integers(0, samples - 1)), 0] = np.nan
    elif samples and flaw == "inf":
        values[-1, -1] = -np.inf
    elif samples and flaw == "huge":
        values = values.astype(np.float64) * 1e300
    elif flaw == "tiny":
        values = values * 1e-30
    elif flaw == "milli_g":
        values[..., :3] *= 1000 / G
    elif flaw == "deg_s":
        values[..., 3:6] *= 180 / math.pi * 40
    elif flaw == "complex":
        values = values.astype(np.complex64)
    elif flaw == "bool":
        values = values > 0
    elif flaw == "channels":
        values = values[:, :-1]
    elif flaw == "ndim":
        values = values[None, None]
    elif flaw == "list":
        values = [values, values[: samples // 2]]
    dtype = draw(st.sampled_from([np.float32, np.float64, np.float16]))
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        with np.errstate(over="ignore"):
            values = values.astype(dtype)
    return values, sites


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    recording=recordings(),
    rate=st.one_of(
        st.floats(0.01, 500), st.sampled_from([0, -1, float("nan"), float("inf"), 10.0, 50.0]), st.just("50")
    ),
    acc_units=st.sampled_from(["m/s^2", "g", "mg"]),
    gravity=st.sampled_from(["include", "remove", "partly"]),
    pad_short=st.booleans(),
    whole=st.booleans(),
)
def test_processor_gives_finite_windows_or_a_named_value_error(recording, rate, acc_units, gravity, pad_short, whole):
    values, sites = recording
    extractor = Multi3NetFeatureExtractor(channel_names=channel_names(["wrist"]), sampling_rate=20.0, window_length=40)
    names = channel_names([f"site{k}" for k in range(sites)])
    try:
        out = extractor(
            values,
            sampling_rate=rate,
            channel_names=names,
            acc_units=acc_units,
            gravity=gravity,
            pad_short=pad_short,
            whole=whole,
        )
    except ValueError as error:
        assert any(problem in str(error) for problem in NAMED_PROBLEMS), str(error)
        return
    imu = out["imu_values"]
    assert imu.ndim == 3 and imu.shape[2] == 6 * sites and imu.shape[0] >= 1
    assert whole or imu.shape[1] == 40
    assert torch.isfinite(imu).all()
    assert out["imu_channel_ids"].shape == (6 * sites, 3)
