"""Multi^3Net preprocessing: units, band-limited resampling, windowing, normalisation, errors, processor round trips."""

import numpy as np
import pytest
import torch
from transformers import AutoFeatureExtractor, AutoProcessor

from imu_foundation import Multi3NetFeatureExtractor, Multi3NetProcessor, create_processor
from imu_foundation.sensors import SENSOR_ROWS, SITES, DeviceLayout, channel_ids

G = 9.80665
WRIST = [f"left_wrist_{kind}_{axis}" for kind in ("acc", "gyro") for axis in "xyz"]


def wrist_recording(samples: int = 150, rate: float = 30.0, seed: int = 0) -> np.ndarray:
    """``(T, 6)`` plausible wrist data: acc in m/s^2 with gravity on z, gyro in rad/s."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / rate
    acc = np.stack([np.sin(2 * np.pi * 1.0 * t), np.cos(2 * np.pi * 0.5 * t), G + 0.3 * np.sin(t)], axis=1)
    gyro = 0.5 * rng.standard_normal((samples, 3))
    return np.concatenate([acc, gyro], axis=1)


@pytest.fixture(scope="module")
def processor() -> Multi3NetProcessor:
    return create_processor("multi3net-tiny")


def extractor(**overrides) -> Multi3NetFeatureExtractor:
    return Multi3NetFeatureExtractor(**{"channel_names": WRIST, "sampling_rate": 30, **overrides})


# ------------------------------------------------------------------------------------------------------------------
# Windowing, normalisation, units
# ------------------------------------------------------------------------------------------------------------------
def test_windows_overlap_and_map_back_to_their_recordings():
    fe = extractor(window_length=60, window_stride=30, do_normalize=False)
    first, second = wrist_recording(150), wrist_recording(100, seed=1)
    out = fe([first, second], sampling_rate=30, return_recording_index=True)
    assert out["imu_values"].shape == (4 + 2, 60, 6) and out["imu_values"].dtype == torch.float32
    assert out["recording_index"].tolist() == [0, 0, 0, 0, 1, 1]
    np.testing.assert_allclose(out["imu_values"][1].numpy(), first[30:90], rtol=1e-6)
    np.testing.assert_allclose(out["imu_values"][5].numpy(), second[30:90], rtol=1e-6)
    assert out["imu_channel_ids"].tolist() == channel_ids(WRIST)


def test_default_normalisation_scales_by_one_g_and_one_rad_per_s_and_can_be_fitted():
    recording = wrist_recording(60)
    values = extractor()(recording, sampling_rate=30)["imu_values"][0].double().numpy()
    np.testing.assert_allclose(values[:, :3], recording[:, :3] / G, rtol=1e-6)
    np.testing.assert_allclose(values[:, 3:], recording[:, 3:], rtol=1e-6, atol=1e-7)
    fitted = extractor().fit_normalization([wrist_recording(300, seed=s) for s in range(3)], sampling_rate=30)
    values = fitted([wrist_recording(300, seed=s) for s in range(3)], sampling_rate=30)["imu_values"]
    flat = values.reshape(-1, 6)
    torch.testing.assert_close(flat.mean(0), torch.zeros(6), atol=0.05, rtol=0)
    torch.testing.assert_close(flat.std(0), torch.ones(6), atol=0.1, rtol=0)


def test_declared_units_are_converted_and_implausible_units_rejected():
    recording = wrist_recording(60)
    reference = extractor()(recording, sampling_rate=30)["imu_values"]
    in_g = recording.copy()
    in_g[:, :3] /= G
    with pytest.raises(ValueError, match="it looks like g: pass acc_units='g'"):
        extractor()(in_g, sampling_rate=30)
    torch.testing.assert_close(extractor()(in_g, sampling_rate=30, acc_units="g")["imu_values"], reference)
    in_deg = recording.copy()
    in_deg[:, 3:] *= 180 / np.pi
    in_deg[5, 3] = 250.0  # a fast turn in deg/s
    with pytest.raises(ValueError, match="looks like deg/s"):
        extractor()(in_deg, sampling_rate=30)
    converted = extractor()(in_deg, sampling_rate=30, gyro_units="deg/s")["imu_values"]
    torch.testing.assert_close(converted[0, 5, 3], torch.tensor(250.0 * np.pi / 180, dtype=torch.float32))
    # The model may work in g; input declared in g but holding m/s^2 is caught.
    with pytest.raises(ValueError, match="median magnitude of 10.1 g .* it looks like m/s\\^2"):
        extractor(acc_units="g")(recording, sampling_rate=30)
    # Milli-g and cm/s^2 cannot pass as m/s^2 or g, with gravity included or removed.
    for scale, gravity in ((1000 / G, "include"), (100.0, "include"), (1000 / G, "remove")):
        readings = recording.copy()
        if gravity == "remove":  # linear acceleration of brisk arm motion, up to 0.5 g
            readings[:, :3] = 5.0 * np.sin(np.arange(60) / 3.0)[:, None]
        readings[:, :3] *= scale
        with pytest.raises(ValueError, match="mg or cm/s\\^2"):
            extractor()(readings, sampling_rate=30, gravity=gravity)
    # A deliberate exception: the check can be switched off per call.
    assert extractor()(in_g, sampling_rate=30, check_units=False)["imu_values"].shape == (1, 60, 6)


def test_gravity_mode_is_declared_and_reaches_the_model_as_the_linear_acc_row():
    linear = wrist_recording(60)
    linear[:, 2] -= G
    with pytest.raises(ValueError, match="gravity='remove' for linear acceleration"):
        extractor()(linear, sampling_rate=30)
    out = extractor()(linear, sampling_rate=30, gravity="remove")
    sensors = [row[1] for row in out["imu_channel_ids"].tolist()]
    assert sensors == [SENSOR_ROWS.index("linear_acc")] * 3 + [SENSOR_ROWS.index("gyro")] * 3
    included = extractor()(wrist_recording(60), sampling_rate=30)["imu_channel_ids"]
    assert [row[1] for row in included.tolist()][:3] == [SENSOR_ROWS.index("acc")] * 3


def test_a_declared_layout_stands_for_the_fields_and_short_recordings_can_be_padded():
    watch = DeviceLayout.from_sites(["wrist"], sampling_rate_hz=10, acc_units="g")
    recording = wrist_recording(50, rate=10)  # 5 s at 10 Hz: 150 samples at 30 Hz, then 60-sample windows
    recording[:, :3] /= G
    by_layout = extractor()(recording, layout=watch)
    by_fields = extractor()(recording, sampling_rate=10, acc_units="g", channel_names=list(watch.channel_names))
    torch.testing.assert_close(by_layout["imu_values"], by_fields["imu_values"])
    assert by_layout["imu_channel_ids"][0, 0] == SITES.index("wrist")
    with pytest.raises(ValueError, match="either layout= or the fields"):
        extractor()(recording, layout=watch, sampling_rate=10)
    short = recording[:15]  # 15 samples at 10 Hz span 1.4 s: 43 samples at 30 Hz, shorter than one 60-sample window
    with pytest.raises(ValueError, match="pad_short=True"):
        extractor()(short, layout=watch)
    padded = extractor(do_normalize=False)(short, layout=watch, pad_short=True)["imu_values"]
    assert padded.shape == (1, 60, 6)
    torch.testing.assert_close(padded[0, 43:], padded[0, :17])  # wrapped around
    kept = extractor(do_normalize=False)([short, short], layout=watch, whole=True)["imu_values"]
    assert kept.shape == (2, 43, 6)  # each recording one window of its own length
    with pytest.raises(ValueError, match="recordings of one length"):
        extractor()([short, recording], layout=watch, whole=True)


def test_resampled_input_gives_the_windows_of_the_model_rate():
    t = np.arange(200) / 100.0
    slow = np.stack([np.sin(2 * np.pi * 1.5 * t)] * 5 + [np.full_like(t, G)], axis=1)  # 2 s at 100 Hz
    names = ["chest_gyro_x", "chest_gyro_y", "chest_gyro_z", "head_gyro_x", "head_gyro_y", "head_acc_z"]
    out = extractor(do_normalize=False)(slow, sampling_rate=100, channel_names=names)
    assert out["imu_values"].shape == (1, 60, 6)
    expected = np.sin(2 * np.pi * 1.5 * np.arange(60) / 30.0)
    np.testing.assert_allclose(out["imu_values"][0, 10:-10, 0].numpy(), expected[10:-10], atol=5e-3)
    np.testing.assert_allclose(out["imu_values"][0, :, 5].numpy(), G, rtol=1e-6)


def test_clear_errors_for_bad_imu_input():
    fe = extractor()
    good = wrist_recording(60)
    with pytest.raises(ValueError, match="Pass sampling_rate"):
        fe(good)
    with pytest.raises(ValueError, match="positive number of Hz"):
        fe(good, sampling_rate=0)
    with pytest.raises(ValueError, match="must be a number of Hz, got '50'"):
        fe(good, sampling_rate="50")
    with pytest.raises(ValueError, match="not kHz"):
        fe(good, sampling_rate=0.05)  # 50 Hz given in kHz would make one window thousands
    bad = good.copy()
    bad[7, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or inf at sample 7, channel 2"):
        fe(bad, sampling_rate=30)
    with pytest.raises(ValueError, match="NaN or inf at sample 7, channel 2"):
        fe([good, bad], sampling_rate=30)
    huge = good.astype(np.float64)
    huge[3, 1] = 1e300
    with pytest.raises(ValueError, match=r"beyond float32's range \(~3.4e38\) at sample 3, channel 1"):
        fe(huge, sampling_rate=30)
    with pytest.raises(ValueError, match=r"has 5 channels \(last axis\) but 6 are expected"):
        fe(good[:, :5], sampling_rate=30)
    with pytest.raises(ValueError, match="fewer than one window"):
        fe(good[:40], sampling_rate=30)
    with pytest.raises(ValueError, match=r"must have shape \(T, C\) or \(B, T, C\)"):
        fe(good[None, None], sampling_rate=30)
    with pytest.raises(ValueError, match="real numbers"):
        fe(good.astype(np.complex64), sampling_rate=30)
    with pytest.raises(ValueError, match="empty"):
        fe([], sampling_rate=30)
    with pytest.raises(ValueError, match="do_resample=False"):
        extractor(do_resample=False)(good, sampling_rate=50)
    with pytest.raises(ValueError, match="acc_units must be one of"):
        fe(good, sampling_rate=30, acc_units="mg")
    with pytest.raises(ValueError, match="channel_std needs one value per channel"):
        extractor(channel_std=[1.0, 2.0])


# ------------------------------------------------------------------------------------------------------------------
# Processor
# ------------------------------------------------------------------------------------------------------------------
def test_processor_gives_model_inputs_for_text_and_imu(processor):
    recordings = np.stack([np.tile(wrist_recording(100, rate=50, seed=s), 2) for s in range(2)])  # 12 ch, 50 Hz
    out = processor(text=["wave", "walk in a circle"], imu=recordings, sampling_rate=50)
    assert set(out) == {"input_ids", "token_type_ids", "attention_mask", "imu_values", "imu_channel_ids"}
    assert out["input_ids"].shape[0] == 2 and out["imu_values"].shape == (2, 60, 12)
    assert processor(text="wave")["input_ids"].shape[0] == 1
    assert processor(imu=recordings, sampling_rate=50)["imu_values"].shape == (2, 60, 12)
    with pytest.raises(ValueError, match="3 captions but the IMU input gives 2 windows"):
        processor(text=["a", "b", "c"], imu=recordings, sampling_rate=50)
    with pytest.raises(ValueError, match="needs text=, imu= or both"):
        processor()
    long_caption = " ".join(["word"] * 400)
    assert processor(text=long_caption)["input_ids"].shape[1] == 256  # sentence-transformers' limit


def test_processor_and_feature_extractor_round_trip_through_auto_classes(processor, tmp_path):
    processor.feature_extractor.channel_mean = [0.1] * 12
    processor.save_pretrained(tmp_path / "processor")
    loaded = AutoProcessor.from_pretrained(tmp_path / "processor")
    assert type(loaded) is Multi3NetProcessor and loaded.feature_extractor.channel_mean == [0.1] * 12
    recording = np.tile(wrist_recording(60), 2)
    torch.testing.assert_close(
        loaded(imu=recording, sampling_rate=30)["imu_values"], processor(imu=recording, sampling_rate=30)["imu_values"]
    )
    processor.feature_extractor.channel_mean = None
    processor.feature_extractor.save_pretrained(tmp_path / "extractor")
    assert (tmp_path / "extractor" / "preprocessor_config.json").is_file()
    reloaded = AutoFeatureExtractor.from_pretrained(tmp_path / "extractor")
    assert (
        type(reloaded) is Multi3NetFeatureExtractor
        and reloaded.channel_names == processor.feature_extractor.channel_names
    )
