"""ImuSpectrogramFeatureExtractor against a plain NumPy reference of the IMG2IMU image definition."""

import json

import numpy as np
import pytest
import scipy.signal
import torch
from transformers import AutoFeatureExtractor

from imu_foundation import ImuSpectrogramFeatureExtractor
from imu_foundation.models.img2imu import feature_extraction_img2imu
from imu_foundation.models.img2imu.feature_extraction_img2imu import resample_fft

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


def test_resampling_equals_scipy_and_extractor_resamples():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 400))
    for target in (200, 150, 800, 399):
        np.testing.assert_allclose(
            resample_fft(torch.tensor(x), 400, target).numpy(), scipy.signal.resample(x, target, axis=-1), atol=1e-10
        )

    windows = imu_like(rng, 2, 1000, 3, fs=100.0)
    extractor = ImuSpectrogramFeatureExtractor()
    resampled = scipy.signal.resample(windows.astype(np.float64), 500, axis=1).astype(np.float32)
    torch.testing.assert_close(
        extractor(windows, sampling_rate=100)["pixel_values"],
        extractor(resampled, sampling_rate=50)["pixel_values"],
        atol=1e-4,
        rtol=0,
    )


def test_resampling_keeps_a_band_limited_sine_and_removes_aliases():
    t_in = np.arange(1000) / 100.0
    slow = np.sin(2 * np.pi * 2.0 * t_in)  # 2 Hz, periodic over the window
    fast = np.sin(2 * np.pi * 40.0 * t_in)  # above the 25 Hz Nyquist of the 50 Hz output
    out = resample_fft(torch.tensor(slow + fast), 100, 50).numpy()
    t_out = np.arange(500) / 50.0
    np.testing.assert_allclose(out, np.sin(2 * np.pi * 2.0 * t_out), atol=1e-9)


@pytest.mark.parametrize(
    "kwargs, imu, match",
    [
        ({}, np.full((1, 200, 3), np.nan, np.float32), "NaN or inf"),
        ({}, np.concatenate([np.zeros((1, 199, 3)), np.full((1, 1, 3), np.inf)], 1), "NaN or inf"),
        ({}, np.zeros((2, 200, 6), np.float32), "6 channels but this feature extractor expects 3"),
        ({}, np.zeros((2, 3, 200), np.float32), "channels"),
        ({}, np.zeros((2, 100, 3), np.float32), "shorter than n_fft=128"),
        ({}, np.zeros((0, 200, 3), np.float32), "empty"),
        ({}, [], "empty"),
        ({}, np.zeros((200, 3), np.float32), r"\(B, T, C\)"),
        ({"do_resample": False}, np.zeros((1, 400, 3), np.float32), "sampled at 100 Hz"),
        ({}, np.zeros((1, 200, 3), np.complex64), "complex64; IMU samples must be real numbers"),
        ({}, [np.zeros((200, 3), bool)], "Window 0 has dtype bool"),
        ({}, torch.zeros(1, 200, 3, dtype=torch.complex64), "real numbers"),
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


@pytest.mark.parametrize("n_fft", [128, 96])  # the compiled STFT and the torch.fft one
@pytest.mark.parametrize("threads", [1, 2])
def test_nan_or_inf_is_named_by_window_sample_and_channel(n_fft, threads, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: threads)
    extractor = ImuSpectrogramFeatureExtractor(n_fft=n_fft)
    # window 13 of 16 falls to a helper thread's chunk; sample 204 of 205 is after the last frame (read by none)
    imu = _with_bad_sample((16, 205, 3), 13, 204, 2, np.inf)
    imu[15, 7, 0] = np.nan  # a later window: the first one is named
    with pytest.raises(ValueError, match=r"NaN or inf \(first at window 13, sample 204, channel 2\)"):
        extractor(imu, sampling_rate=50)
    with pytest.raises(ValueError, match=r"window 13, sample 204, channel 2"):  # list input of two lengths
        extractor([w[: 205 - i % 2] if i != 13 else w for i, w in enumerate(imu)], sampling_rate=50)
    with pytest.raises(ValueError, match=r"window 13, sample 409, channel 2"):  # in the input, before resampling
        extractor(_with_bad_sample((16, 410, 3), 13, 409, 2), sampling_rate=100)
    with pytest.raises(ValueError, match=r"NaN or inf \(window 13\)"):  # the core on its own
        extractor.spectrogram_images(torch.from_numpy(imu))


def test_power_overflow_is_an_error_not_a_nan_image():
    extractor = ImuSpectrogramFeatureExtractor()
    imu = np.random.default_rng(0).normal(size=(6, 200, 3)).astype(np.float32)
    imu[4] *= 1e25  # finite, but |X|^2 is beyond float32 (units of 1e25 m/s^2?)
    with pytest.raises(ValueError, match="power of window 4 overflows float32.*units"):
        extractor(imu, sampling_rate=50)
    with pytest.raises(ValueError, match="power of window 4 overflows"):  # the user's index, not the group's
        extractor([w[: 200 - (i == 1)] for i, w in enumerate(imu)], sampling_rate=50)


def test_missing_or_bad_sampling_rate():
    extractor = ImuSpectrogramFeatureExtractor()
    with pytest.raises(ValueError, match="sampling_rate"):
        extractor(np.zeros((1, 200, 3), np.float32))
    with pytest.raises(ValueError, match="positive"):
        extractor(np.zeros((1, 200, 3), np.float32), sampling_rate=-5)
    with pytest.raises(ValueError, match="multiple of 3"):
        ImuSpectrogramFeatureExtractor(feature_size=4)


def test_input_is_not_modified():
    windows = imu_like(np.random.default_rng(3), 2, 300, 6)
    before = windows.copy()
    ImuSpectrogramFeatureExtractor(feature_size=6)(torch.from_numpy(windows), sampling_rate=50)
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
    "channels, length, n_fft, hop, width",
    [
        (6, 500, 16, 7, 100),  # n_fft / 2 = 8: one radix-2 stage before the radix-4 ones; 100 / 70 frames: gather
        (3, 400, 256, 9, 128),  # 128-point complex FFT (odd power of two), width not a multiple of the 17 frames
        (3, 300, 96, 10, 128),  # n_fft / 2 = 48, not a power of two: the torch.fft path
        (3, 300, 4, 2, 149),  # the smallest compiled FFT (2 points), 149 columns from 149 frames: no repeat
    ],
)
def test_other_sizes_and_widths_match_numpy_reference(channels, length, n_fft, hop, width):
    windows = imu_like(np.random.default_rng(5), 3, length, channels)
    extractor = ImuSpectrogramFeatureExtractor(feature_size=channels, n_fft=n_fft, hop_length=hop, image_width=width)
    images = extractor(windows, sampling_rate=50)["pixel_values"]
    for window, image in zip(windows, images):
        expected = reference_image(window, 50.0, n_fft, hop, 96, width)
        np.testing.assert_allclose(image.numpy(), expected, atol=1e-5, rtol=0)


def test_threads_and_batch_splits_give_identical_images():
    """The batch is split over torch's thread count and into chunks: any split must give the same bits."""
    windows = imu_like(np.random.default_rng(6), 37, 500, 6)  # not a multiple of the chunk or thread count
    extractor = ImuSpectrogramFeatureExtractor(feature_size=6)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = extractor(windows, sampling_rate=50)["pixel_values"]
        torch.set_num_threads(3)
        several = extractor(windows, sampling_rate=50)["pixel_values"]
    finally:
        torch.set_num_threads(threads)
    one_by_one = torch.cat([extractor(w[None], sampling_rate=50)["pixel_values"] for w in windows])
    assert torch.equal(single, several) and torch.equal(single, one_by_one)


@pytest.mark.parametrize("width", [128, 100, 149, 7])  # repeated columns; gathered ones; rows off the 64-byte grid
def test_streaming_stores_write_the_same_images(width, monkeypatch):
    """Big outputs are written with streaming (non-temporal) stores, small ones with ordinary ones: same bits."""
    windows = imu_like(np.random.default_rng(7), 5, 500, 6)
    extractor = ImuSpectrogramFeatureExtractor(feature_size=6, image_width=width)
    monkeypatch.setattr(feature_extraction_img2imu, "_STREAM_MIN_BYTES", 1 << 62)
    ordinary = extractor(windows, sampling_rate=50)["pixel_values"]  # held: not recycled for the next call
    monkeypatch.setattr(feature_extraction_img2imu, "_STREAM_MIN_BYTES", 0)
    streamed = extractor(windows, sampling_rate=50)["pixel_values"]
    assert torch.equal(streamed, ordinary)
    expected = reference_image(windows[3], 50.0, 128, 12, 96, width)
    np.testing.assert_allclose(streamed[3].numpy(), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16])
def test_other_input_dtypes_are_converted(dtype):
    windows = torch.from_numpy(imu_like(np.random.default_rng(7), 2, 300, 3)).to(dtype)
    extractor = ImuSpectrogramFeatureExtractor()
    expected = extractor(windows.float().numpy(), sampling_rate=50)["pixel_values"]
    torch.testing.assert_close(extractor(windows, sampling_rate=50)["pixel_values"], expected, rtol=0, atol=0)


def _images_in_child(queue, extractor, windows):
    queue.put(extractor(windows, sampling_rate=50)["pixel_values"].numpy())


def test_forked_worker_can_use_the_extractor_after_the_parent():
    """A forked DataLoader/datasets worker inherits the thread pool object but not its threads."""
    import multiprocessing

    windows = imu_like(np.random.default_rng(8), 16, 300, 3)
    extractor = ImuSpectrogramFeatureExtractor()
    in_parent = extractor(windows, sampling_rate=50)["pixel_values"].numpy()  # the parent's pool now exists
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_images_in_child, args=(queue, extractor, windows))
    child.start()
    in_child = queue.get(timeout=120)
    child.join(timeout=60)
    np.testing.assert_array_equal(in_child, in_parent)


def test_images_held_by_the_caller_are_never_reused_and_dropped_ones_are():
    extractor = ImuSpectrogramFeatureExtractor()
    rng = np.random.default_rng(9)
    first_windows, second_windows = imu_like(rng, 8, 300, 3), imu_like(rng, 8, 300, 3)
    first = extractor(first_windows, sampling_rate=50)["pixel_values"]
    kept = first.clone()
    as_numpy = extractor(first_windows, sampling_rate=50, return_tensors="np")["pixel_values"]
    view = extractor(first_windows, sampling_rate=50)["pixel_values"][2:5]  # only a view survives
    for _ in range(4):
        extractor(second_windows, sampling_rate=50)
    assert torch.equal(first, kept)
    np.testing.assert_array_equal(as_numpy, kept.numpy())
    assert torch.equal(view, kept[2:5])

    dropped_at = extractor(second_windows, sampling_rate=50)["pixel_values"].data_ptr()
    again = extractor(first_windows, sampling_rate=50)["pixel_values"]
    assert again.data_ptr() == dropped_at and torch.equal(again, kept)
