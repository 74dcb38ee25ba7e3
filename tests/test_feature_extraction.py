"""ImuSpectrogramFeatureExtractor against a plain NumPy reference of the IMG2IMU image definition."""

import json
import math
import re

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from transformers import AutoFeatureExtractor

from imu_foundation import ImuSpectrogramFeatureExtractor
from imu_foundation.sensors import resample

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


def reference_image(window: np.ndarray, fs: float, n_fft: int, hop: int, height: int, width: int) -> np.ndarray:
    """One (T, C) window -> (3, G*height, width) image, written out step by step in float64."""
    taper = np.hanning(n_fft)
    tiles = []
    for group in range(window.shape[1] // 3):
        axes = []
        for axis in range(3):
            x = window[:, 3 * group + axis].astype(np.float64)
            starts = range(0, len(x) - n_fft + 1, hop)
            spectrum = np.stack([np.fft.rfft(x[s : s + n_fft] * taper) for s in starts], axis=1)  # (K, F)
            psd = np.abs(spectrum) ** 2 / (fs * np.sum(taper**2))
            psd[1 : n_fft // 2 + (n_fft % 2)] *= 2  # one-sided: every bin but DC (and Nyquist, even n_fft)
            log_psd = np.log10(psd + 1e-10)
            span = log_psd.max() - log_psd.min()
            axes.append((log_psd - log_psd.min()) / span if span > 0 else np.zeros_like(log_psd))
        rgb = np.stack(axes)  # (3, K, F)
        rows = np.floor((np.arange(height) + 0.5) * rgb.shape[1] / height).astype(int)
        cols = np.floor((np.arange(width) + 0.5) * rgb.shape[2] / width).astype(int)
        resized = rgb[:, rows][:, :, cols]
        tiles.append(resized[:, ::-1])  # low frequencies at the bottom
    image = np.concatenate(tiles, axis=1)
    return (image - MEAN[:, None, None]) / STD[:, None, None]


def imu_like(rng: np.random.Generator, batch: int, length: int, channels: int, fs: float = 50.0) -> np.ndarray:
    """Walking-like signals: a few harmonics plus noise, gravity on one axis."""
    t = np.arange(length) / fs
    freq = rng.uniform(0.8, 2.5, size=(batch, 1, channels))
    phase = rng.uniform(0, 2 * np.pi, size=(batch, 1, channels))
    signal = np.sin(2 * np.pi * freq * t[None, :, None] + phase) + 0.3 * np.sin(4 * np.pi * freq * t[None, :, None])
    signal += 0.2 * rng.standard_normal((batch, length, channels))
    signal[..., 2] += 9.81
    return signal.astype(np.float32)


@pytest.mark.parametrize(
    "channels, length, n_fft, hop",
    [(3, 500, 128, 12), (6, 500, 128, 12), (3, 250, 64, 8), (6, 300, 32, 5), (3, 129, 127, 3)],
)
def test_matches_numpy_reference(channels, length, n_fft, hop):
    rng = np.random.default_rng(0)
    windows = imu_like(rng, 4, length, channels)
    extractor = ImuSpectrogramFeatureExtractor(feature_size=channels, n_fft=n_fft, hop_length=hop)
    images = extractor(windows, sampling_rate=50)["pixel_values"]
    assert images.shape == (4, 3, 96 * channels // 3, 128) and images.dtype == torch.float32
    assert images.is_contiguous()
    for window, image in zip(windows, images):
        expected = reference_image(window, 50.0, n_fft, hop, 96, 128)
        np.testing.assert_allclose(image.numpy(), expected, atol=1e-5, rtol=0)


def test_variable_length_list_keeps_order_and_matches_single_windows():
    rng = np.random.default_rng(1)
    windows = [imu_like(rng, 1, length, 3)[0] for length in (200, 350, 200, 500)]
    extractor = ImuSpectrogramFeatureExtractor()
    batch = extractor(windows, sampling_rate=50)["pixel_values"]
    for window, image in zip(windows, batch):
        single = extractor(window[None], sampling_rate=50)["pixel_values"][0]
        torch.testing.assert_close(image, single, rtol=0, atol=0)


def test_constant_axis_becomes_zero_before_normalisation():
    windows = np.zeros((1, 200, 3), dtype=np.float32)
    windows[0, :, 0] = np.sin(np.arange(200) / 3.0)
    # channels 1 and 2 stay zero: their log spectra are flat at log10(log_floor), no contrast to stretch
    image = ImuSpectrogramFeatureExtractor(do_normalize=False)(windows, sampling_rate=50)["pixel_values"][0]
    assert torch.all(image[1] == 0) and torch.all(image[2] == 0)
    assert image[0].min() == 0 and image[0].max() == 1


def test_low_frequency_is_at_the_bottom():
    t = np.arange(500) / 50.0
    tone = np.sin(2 * np.pi * 1.0 * t)  # 1 Hz: near bin 0
    windows = np.stack([tone, tone, tone], axis=-1)[None].astype(np.float32)
    image = ImuSpectrogramFeatureExtractor(do_normalize=False)(windows, sampling_rate=50)["pixel_values"][0, 0]
    brightest_row = image.mean(dim=1).argmax().item()
    assert brightest_row >= 86  # 1 Hz is bin ~2.6 of 65: within the bottom tenth of the 96 rows


def test_resampling_is_the_band_limited_sensors_resample():
    """Windows at another rate go through ``sensors.resample`` (time first) in float64, then the definition."""
    windows = imu_like(np.random.default_rng(2), 2, 1000, 3, fs=100.0)
    extractor = ImuSpectrogramFeatureExtractor()
    resampled = resample(torch.from_numpy(windows).double().transpose(0, 1), 100, 50).transpose(0, 1)
    assert resampled.shape == (2, 500, 3)
    images = extractor(windows, sampling_rate=100)["pixel_values"]
    for window, image in zip(resampled.numpy(), images):
        np.testing.assert_allclose(image.numpy(), reference_image(window, 50.0, 128, 12, 96, 128), atol=1e-5, rtol=0)


def test_resampling_removes_what_the_lower_rate_cannot_hold():
    """A 40 Hz vibration recorded at 100 Hz is above the 25 Hz Nyquist rate of 50 Hz: it must vanish, not fold back
    to 10 Hz as it does when every second sample is simply dropped."""
    t = np.arange(1000) / 100.0
    signal = np.sin(2 * np.pi * 2.0 * t) + 0.5 * np.sin(2 * np.pi * 40.0 * t) + 0.01 * np.sin(2 * np.pi * 7.3 * t)
    windows = np.stack([signal] * 3, axis=-1)[None].astype(np.float32)
    extractor = ImuSpectrogramFeatureExtractor(do_normalize=False)
    row_10hz = 95 - int(10.0 / 25.0 * 96)  # bin 25.6 of 65; row 0 is the top (25 Hz)
    resampled = extractor(windows, sampling_rate=100)["pixel_values"][0, 0]
    decimated = extractor(windows[:, ::2], sampling_rate=50)["pixel_values"][0, 0]
    assert decimated[row_10hz].mean() > 0.9  # the folded tone: as bright as the 2 Hz one
    assert resampled[row_10hz].mean() < 0.5
    assert resampled[row_10hz].mean() < resampled[row_10hz + 5 : row_10hz + 20].mean(dim=1).min()  # no line at 10 Hz


@pytest.mark.parametrize(
    "kwargs, imu, match",
    [
        ({}, np.full((1, 200, 3), np.nan, np.float32), "NaN or inf"),
        ({}, np.concatenate([np.zeros((1, 199, 3)), np.full((1, 1, 3), np.inf)], 1), "NaN or inf"),
        ({}, np.full((1, 200, 3), 1e39), "beyond float32's range"),
        ({}, np.zeros((2, 200, 6), np.float32), "6 channels but this feature extractor expects 3"),
        ({}, np.zeros((2, 3, 200), np.float32), "channels"),
        ({}, np.zeros((2, 100, 3), np.float32), "shorter than n_fft=128"),
        ({}, np.zeros((0, 200, 3), np.float32), "empty"),
        ({}, np.zeros((1, 0, 3), np.float32), "empty"),
        ({}, [], "empty"),
        ({}, np.zeros((200, 3), np.float32), r"\(B, T, C\)"),
        ({}, "imu.csv", "array, a tensor or a list"),
        ({}, [np.zeros((200, 3)), np.zeros(200)], r"Window 1 has shape \(200,\)"),
        ({"do_resample": False}, np.zeros((1, 400, 3), np.float32), "sampled at 100 Hz"),
        ({}, np.zeros((1, 200, 3), np.complex64), "complex64; IMU samples must be real numbers"),
        ({}, [np.zeros((200, 3), bool)], "Window 0 has dtype bool"),
        ({}, torch.zeros(1, 200, 3, dtype=torch.complex64), "real numbers"),
        ({}, [np.zeros((200, 3)), np.array([["a"] * 3] * 200)], "Window 1 has dtype <U1"),
    ],
)
def test_bad_input_raises_clear_errors(kwargs, imu, match):
    extractor = ImuSpectrogramFeatureExtractor(**kwargs)
    rate = 100 if "do_resample" in kwargs else 50
    with pytest.raises(ValueError, match=match):
        extractor(imu, sampling_rate=rate)


def _with_bad_sample(shape, window, sample, channel, value=np.nan):
    imu = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    imu[window, sample, channel] = value
    return imu


def test_nan_or_inf_is_named_by_window_sample_and_channel():
    extractor = ImuSpectrogramFeatureExtractor()
    imu = _with_bad_sample((16, 205, 3), 13, 204, 2, np.inf)  # sample 204 of 205 is after the last frame
    imu[15, 7, 0] = np.nan  # a later window: the first one is named
    for batch in (imu, torch.from_numpy(imu)):
        with pytest.raises(ValueError, match=r"NaN or inf at window 13, sample 204, channel 2"):
            extractor(batch, sampling_rate=50)
    with pytest.raises(ValueError, match=r"Window 13 contains NaN or inf at sample 204, channel 2"):  # two lengths
        extractor([w[: 205 - i % 2] if i != 13 else w for i, w in enumerate(imu)], sampling_rate=50)
    with pytest.raises(ValueError, match=r"NaN or inf at window 13, sample 409, channel 2"):  # before resampling
        extractor(_with_bad_sample((16, 410, 3), 13, 409, 2), sampling_rate=100)
    with pytest.raises(ValueError, match=r"NaN or inf at window 13, sample 204, channel 2"):  # the core on its own
        extractor.spectrogram_images(torch.from_numpy(imu))


def test_huge_finite_samples_give_the_image_of_their_shape():
    """The power is float64: samples of 1e25 (wrong units, say) give a finite image, the one of the same signal at
    unit scale with the floor scaled along (min-max removes the scale of the log)."""
    imu = np.random.default_rng(0).normal(size=(6, 200, 3)).astype(np.float32)
    huge = imu.copy()
    huge[4] *= 1e25
    images = ImuSpectrogramFeatureExtractor()(huge, sampling_rate=50)["pixel_values"]
    assert torch.isfinite(images).all()
    at_unit_scale = ImuSpectrogramFeatureExtractor(log_floor=1e-60)(imu[4:5], sampling_rate=50)["pixel_values"]
    torch.testing.assert_close(images[4:5], at_unit_scale, atol=1e-5, rtol=0)
    largest = np.full((1, 200, 3), np.finfo(np.float32).max, np.float32)
    largest[0, ::2] *= -1
    assert torch.isfinite(ImuSpectrogramFeatureExtractor()(largest, sampling_rate=50)["pixel_values"]).all()


def test_missing_or_bad_sampling_rate():
    extractor = ImuSpectrogramFeatureExtractor()
    windows = np.zeros((1, 200, 3), np.float32)
    with pytest.raises(ValueError, match="sampling_rate"):
        extractor(windows)
    with pytest.raises(ValueError, match="positive"):
        extractor(windows, sampling_rate=-5)
    for rate in ("50", 0, float("nan"), 0.05, 50_000):  # text, zero, NaN, kHz given as Hz, Hz given as mHz
        with pytest.raises(ValueError, match="sampling_rate"):
            extractor(windows, sampling_rate=rate)
    with pytest.raises(ValueError, match="multiple of 3"):
        ImuSpectrogramFeatureExtractor(feature_size=4)


@pytest.mark.parametrize(
    "setting, value",
    [
        ("log_floor", -1),  # log10 of a negative power: NaN images
        ("log_floor", 0),  # log10(0) = -inf for a silent axis
        ("log_floor", float("nan")),
        ("log_floor", float("inf")),
        ("log_floor", "1e-10"),
        ("image_mean", (0.5, float("nan"), 0.5)),
        ("image_mean", (0.5, 0.5)),
        ("image_std", (0.2, 0.0, 0.2)),
        ("image_std", (0.2, -0.1, 0.2)),
        ("image_height", 0),
        ("image_width", 0),
        ("image_width", 12.5),
        ("n_fft", 2),  # the symmetric Hann window of 2 samples is [0, 0]
        ("n_fft", 0),
        ("hop_length", 0),
        ("sampling_rate", "50"),
        ("sampling_rate", 0),
        ("sampling_rate", float("nan")),
        ("sampling_rate", 50_000),
        ("feature_size", 4),
        ("feature_size", 0),
        ("do_normalize", "yes"),
        ("do_resample", None),
    ],
)
def test_bad_settings_are_value_errors_naming_them(setting, value, tmp_path):
    with pytest.raises(ValueError, match=setting):
        ImuSpectrogramFeatureExtractor(**{setting: value})
    good, bad = tmp_path / "good", tmp_path / "bad"
    ImuSpectrogramFeatureExtractor().save_pretrained(good)
    with pytest.raises(ValueError, match=setting):  # an override when loading
        AutoFeatureExtractor.from_pretrained(good, **{setting: value})
    config = json.loads((good / "preprocessor_config.json").read_text())
    bad.mkdir()
    (bad / "preprocessor_config.json").write_text(json.dumps({**config, setting: value}))
    with pytest.raises(ValueError, match=setting):  # an edited or foreign config file
        AutoFeatureExtractor.from_pretrained(bad)


def test_input_is_not_modified():
    windows = imu_like(np.random.default_rng(3), 2, 300, 6)
    before = windows.copy()
    ImuSpectrogramFeatureExtractor(feature_size=6)(torch.from_numpy(windows), sampling_rate=50)
    ImuSpectrogramFeatureExtractor(feature_size=6)(windows, sampling_rate=100)
    np.testing.assert_array_equal(windows, before)


def test_numpy_output_and_save_load_round_trip(tmp_path):
    extractor = ImuSpectrogramFeatureExtractor(feature_size=6, sampling_rate=100, n_fft=64, hop_length=4)
    extractor.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "preprocessor_config.json").read_text())
    assert saved["n_fft"] == 64 and saved["feature_extractor_type"] == "ImuSpectrogramFeatureExtractor"
    loaded = AutoFeatureExtractor.from_pretrained(tmp_path)
    assert isinstance(loaded, ImuSpectrogramFeatureExtractor) and loaded.to_dict() == extractor.to_dict()
    windows = imu_like(np.random.default_rng(4), 2, 256, 6, fs=100)
    out = loaded(windows, sampling_rate=100, return_tensors="np")["pixel_values"]
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, extractor(windows, sampling_rate=100)["pixel_values"].numpy())


@pytest.mark.parametrize(
    "channels, length, n_fft, hop, width, height",
    [
        (6, 500, 16, 7, 100, 96),  # 70 frames to 100 columns
        (3, 400, 256, 9, 128, 96),  # width not a multiple of the 17 frames
        (3, 300, 96, 10, 128, 96),  # n_fft not a power of two
        (3, 300, 4, 2, 149, 96),  # 149 columns from 149 frames
        (9, 300, 3, 20, 5, 1),  # the smallest n_fft, hop > n_fft, fewer pixels than bins and frames
        (3, 64, 64, 1, 7, 200),  # a single frame
    ],
)
def test_other_sizes_and_widths_match_numpy_reference(channels, length, n_fft, hop, width, height):
    windows = imu_like(np.random.default_rng(5), 3, length, channels)
    extractor = ImuSpectrogramFeatureExtractor(
        feature_size=channels, n_fft=n_fft, hop_length=hop, image_width=width, image_height=height
    )
    images = extractor(windows, sampling_rate=50)["pixel_values"]
    assert images.shape == (3, 3, channels // 3 * height, width)
    for window, image in zip(windows, images):
        expected = reference_image(window, 50.0, n_fft, hop, height, width)
        np.testing.assert_allclose(image.numpy(), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16, torch.int16])
def test_other_input_dtypes_are_converted(dtype):
    """Samples are float32 values: any real dtype gives the images of its float32 conversion."""
    windows = torch.from_numpy(imu_like(np.random.default_rng(7), 2, 300, 3) * 100).to(dtype)
    extractor = ImuSpectrogramFeatureExtractor()
    expected = extractor(windows.float().numpy(), sampling_rate=50)["pixel_values"]
    torch.testing.assert_close(extractor(windows, sampling_rate=50)["pixel_values"], expected, rtol=0, atol=0)


def test_tensor_input_gives_the_images_of_numpy_input():
    windows = imu_like(np.random.default_rng(8), 5, 300, 6, fs=100)
    extractor = ImuSpectrogramFeatureExtractor(feature_size=6)
    for rate in (50, 100):
        from_numpy = extractor(windows, sampling_rate=rate)["pixel_values"]
        assert torch.equal(extractor(torch.from_numpy(windows), sampling_rate=rate)["pixel_values"], from_numpy)
        assert torch.equal(
            extractor([torch.from_numpy(w) for w in windows], sampling_rate=rate)["pixel_values"], from_numpy
        )


def test_spectrogram_images_takes_any_multiple_of_three_channels():
    """The core (as the Multi^3Net Img2Imu tower calls it) takes its tile count from the windows."""
    windows = imu_like(np.random.default_rng(9), 2, 300, 6)
    extractor = ImuSpectrogramFeatureExtractor()  # feature_size=3
    images = extractor.spectrogram_images(torch.from_numpy(windows))
    assert images.shape == (2, 3, 192, 128)
    np.testing.assert_allclose(images[1].numpy(), reference_image(windows[1], 50.0, 128, 12, 96, 128), atol=1e-5)
    with pytest.raises(ValueError, match="x, y, z triples"):
        extractor.spectrogram_images(torch.zeros(1, 300, 4))
    with pytest.raises(ValueError, match="shorter than n_fft"):
        extractor.spectrogram_images(np.zeros((1, 100, 3)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_input_gives_the_cpu_images_on_the_gpu():
    windows = imu_like(np.random.default_rng(10), 6, 500, 6, fs=100)
    extractor = ImuSpectrogramFeatureExtractor(feature_size=6)
    on_gpu = torch.from_numpy(windows).cuda()
    for rate in (50, 100):
        expected = extractor(windows, sampling_rate=rate)["pixel_values"]
        images = extractor(on_gpu, sampling_rate=rate)["pixel_values"]
        assert images.device == on_gpu.device
        torch.testing.assert_close(images.cpu(), expected, atol=1e-5, rtol=0)
    two_lengths = [w[: 500 - i % 2] for i, w in enumerate(on_gpu)]
    images = extractor(two_lengths, sampling_rate=50)["pixel_values"]
    expected = extractor([w.cpu() for w in two_lengths], sampling_rate=50)["pixel_values"]
    assert images.is_cuda
    torch.testing.assert_close(images.cpu(), expected, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=r"NaN or inf at window 3, sample 7, channel 1"):
        extractor(torch.from_numpy(_with_bad_sample((4, 300, 6), 3, 7, 1)).cuda(), sampling_rate=50)
    with pytest.raises(ValueError, match="different devices"):
        extractor([on_gpu[0], on_gpu[1].cpu()], sampling_rate=50)


# ----------------------------------------------------------------------------------------------------------------------
# Property-based: any input is a finite image of the documented shape or a ValueError that names the problem
# ----------------------------------------------------------------------------------------------------------------------
PROBLEMS = re.compile(
    r"NaN or inf|float32's range|channels|dtype .*real numbers|shape|empty|shorter than n_fft|sampling_rate|"
    r"do_resample=False|resampling needs at least 2 samples"
)
FINITE_EXTREMES = [0.0, -0.0, 1e-45, 1e-310, 3.4e38, -3.4e38]  # zeros, float32 and float64 denormals, float32's max
NON_FINITE = [np.nan, np.inf, -np.inf, 1e39]  # the last is beyond float32's range
FLAWS = ["rate", "batch", "length", "channels", "dtype", "values"]


@st.composite
def valid_settings(draw) -> dict:
    return {
        "feature_size": draw(st.sampled_from([3, 6, 9])),
        "sampling_rate": draw(st.sampled_from([20, 50, 100])),
        "n_fft": draw(st.integers(3, 48)),
        "hop_length": draw(st.integers(1, 24)),
        "image_height": draw(st.integers(1, 24)),
        "image_width": draw(st.integers(1, 24)),
        "log_floor": draw(st.floats(1e-30, 1e3)),
        "do_normalize": draw(st.booleans()),
        "do_resample": draw(st.booleans()),
    }


@st.composite
def imu_inputs(draw, feature_size: int, n_fft: int, flaws: set[str]):
    """Arrays, tensors or lists of ``(T, C)`` windows with values from silent to float32's largest, well-formed
    (``feature_size`` channels, at least ``n_fft`` samples, real, finite) except for the named ``flaws``."""
    batch = draw(st.integers(0, 0) if "batch" in flaws else st.integers(1, 3))
    length = draw(st.integers(0, n_fft - 1) if "length" in flaws else st.integers(n_fft, n_fft + 100))
    channels = draw(st.sampled_from([0, 1, 4, 12]) if "channels" in flaws else st.just(feature_size))
    if "dtype" in flaws:
        dtype = draw(st.sampled_from(["bool", "complex64"]))
    elif "values" in flaws:  # NaN, inf and values beyond float32 need a float64 or float32 array
        dtype = draw(st.sampled_from(["float32", "float64"]))
    else:
        dtype = draw(st.sampled_from(["float32", "float32", "float64", "float16", "int16", "uint8"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.0, 1e-42, 1e-20, 1.0, 9.81, 1e20, 1e36]))
    values = rng.standard_normal((batch, length, channels)) * scale + draw(st.sampled_from([0.0, 9.81, -1e30]))
    if values.size:
        for _ in range(draw(st.integers(0, 3))):
            values.flat[draw(st.integers(0, values.size - 1))] = draw(st.sampled_from(FINITE_EXTREMES))
        if "values" in flaws:
            values.flat[draw(st.integers(0, values.size - 1))] = draw(st.sampled_from(NON_FINITE))
    with np.errstate(all="ignore"):
        if dtype in ("float16", "int16", "uint8"):  # in range: these samples are valid, only coarser
            values = np.nan_to_num(values).clip(-100, 100)
        values = values.astype(dtype)
    form = draw(st.sampled_from(["numpy", "tensor", "list", "ragged list"]))
    if form == "tensor":
        return torch.from_numpy(values) if dtype != "uint8" else torch.from_numpy(values).to(torch.int32)
    if form == "list":
        return list(values)
    if form == "ragged list":  # lengths differ by up to 3 samples, staying at n_fft or more when they were
        return [
            w[: len(w) - draw(st.integers(0, min(3, len(w) - n_fft if len(w) >= n_fft else len(w))))] for w in values
        ]
    return values


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    settings_=valid_settings(),
    flaws=st.tuples(st.integers(0, 2), st.permutations(FLAWS)).map(lambda drawn: set(drawn[1][: drawn[0]])),
    data=st.data(),
)
def test_any_input_gives_a_finite_image_or_a_value_error_naming_the_problem(settings_, flaws, data):
    extractor = ImuSpectrogramFeatureExtractor(**settings_)
    imu = data.draw(imu_inputs(settings_["feature_size"], settings_["n_fft"], flaws), label="imu")
    if "rate" in flaws:
        rate = data.draw(st.sampled_from([None, "50", 0, -1.0, math.nan, math.inf, 0.05, 50_000]), label="rate")
    else:  # another rate is resampled (or refused with do_resample=False)
        same = st.just(extractor.sampling_rate)
        rate = data.draw(st.one_of(same, same, st.floats(10.0, 400.0)), label="rate")
    try:
        images = extractor(imu, sampling_rate=rate)["pixel_values"]
    except ValueError as error:
        assert PROBLEMS.search(str(error)), f"unclear error: {error}"
        event(f"ValueError: {PROBLEMS.search(str(error)).group(0)} ({', '.join(sorted(flaws)) or 'no flaw'})")
        return
    event("image")
    assert not flaws & {"rate", "batch", "channels", "dtype", "values"}, f"no error for {flaws}"
    groups = settings_["feature_size"] // 3
    assert images.shape == (len(imu), 3, groups * settings_["image_height"], settings_["image_width"])
    assert images.dtype == torch.float32 and torch.isfinite(images).all()
    if not settings_["do_normalize"]:
        assert images.min() >= 0 and images.max() <= 1


BAD_SETTINGS = {
    "feature_size": st.one_of(st.integers(-3, 2), st.integers(4, 30).filter(lambda n: n % 3), st.just(3.0)),
    "sampling_rate": st.one_of(st.floats(-1e6, 0.99), st.floats(10_001, 1e9), st.just(math.nan), st.just("50")),
    "n_fft": st.one_of(st.integers(-5, 2), st.floats(3, 100)),
    "hop_length": st.one_of(st.integers(-5, 0), st.just(1.5)),
    "image_height": st.one_of(st.integers(-5, 0), st.just(None)),
    "image_width": st.one_of(st.integers(-5, 0), st.just("128")),
    "log_floor": st.one_of(st.floats(max_value=0), st.just(math.inf), st.just(math.nan), st.just(True)),
    "image_mean": st.one_of(
        st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=5).filter(
            lambda v: len(v) != 3 or not all(map(math.isfinite, v))
        ),
        st.just("imagenet"),
    ),
    "image_std": st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=5).filter(
        lambda v: len(v) != 3 or not all(math.isfinite(x) and x > 0 for x in v)
    ),
    "do_normalize": st.sampled_from([None, "True", 1]),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), setting=st.sampled_from(sorted(BAD_SETTINGS)))
def test_any_bad_setting_is_a_value_error_naming_it(data, setting):
    value = data.draw(BAD_SETTINGS[setting])
    with pytest.raises(ValueError, match=setting):
        ImuSpectrogramFeatureExtractor(**{setting: value})
