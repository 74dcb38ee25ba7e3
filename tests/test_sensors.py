"""The IMU conventions module: vocabulary, channel names, units, rates, array checks, resampling, device layouts."""

import json

import numpy as np
import pytest
import torch

from imu_foundation import sensors
from imu_foundation.sensors import (
    AXES,
    SENSOR_ROWS,
    SITES,
    STANDARD_GRAVITY_MPS2,
    DeviceLayout,
    channel_ids,
    channel_names,
    check_imu_array,
    check_imu_tensor,
    check_sampling_rate,
    convert_units,
    parse_channel_name,
    resample,
    side_agnostic_site,
    split_channel_name,
)


def test_channel_names_parse_into_site_sensor_axis():
    assert parse_channel_name("left_wrist_acc_x") == ("left_wrist", "acc", "x")
    assert parse_channel_name("Pelvis_Gyroscope_Z") == ("pelvis", "gyro", "z")
    assert parse_channel_name("atr01_acc_y") == ("unknown", "acc", "y")
    assert parse_channel_name("acc_x") == ("unknown", "acc", "x")
    assert parse_channel_name("temperature") == ("unknown", "other", "other")
    assert split_channel_name("wrist_acc_x") == ("wrist", "acc", "x")
    assert split_channel_name("temperature") is None and split_channel_name("wrist_acc") is None
    assert channel_names(["wrist"]) == [f"wrist_{s}_{a}" for s in ("acc", "gyro") for a in "xyz"]
    assert channel_names(["chest"], ("acc",)) == ["chest_acc_x", "chest_acc_y", "chest_acc_z"]
    ids = channel_ids(["right_thigh_gyro_y"])
    assert ids == [[SITES.index("right_thigh"), SENSOR_ROWS.index("gyro"), AXES.index("y")]]
    assert channel_ids(["wrist_acc_x"], gravity="remove")[0][1] == SENSOR_ROWS.index("linear_acc")
    with pytest.raises(TypeError, match="list of strings"):
        channel_ids("left_wrist_acc_x")
    assert side_agnostic_site("left_wrist") == "wrist" and side_agnostic_site("pelvis") == "pelvis"


def test_the_simulators_sites_are_in_the_vocabulary():
    from imu_foundation.simulation import SENSOR_SITE_NAMES

    assert set(SENSOR_SITE_NAMES) <= set(SITES)
    assert {side_agnostic_site(site) for site in SENSOR_SITE_NAMES} <= set(SITES)


def test_unit_conversion_both_ways():
    names = channel_names(["wrist"])
    readings = np.array([[0.0, 0.0, 1.0, 180.0, 0.0, -90.0]])
    si = convert_units(readings, names, acc_from="g", acc_to="m/s^2", gyro_from="deg/s", gyro_to="rad/s")
    np.testing.assert_allclose(si, [[0, 0, STANDARD_GRAVITY_MPS2, np.pi, 0, -np.pi / 2]], rtol=1e-6)
    back = convert_units(si, names, acc_from="m/s^2", acc_to="g", gyro_from="rad/s", gyro_to="deg/s")
    np.testing.assert_allclose(back, readings, rtol=1e-6, atol=1e-5)
    with pytest.raises(ValueError, match="acc_units must be one of"):
        convert_units(readings, names, acc_from="mg")


@pytest.mark.parametrize("rate", [0, -5, float("nan"), float("inf"), "50", None, True, 0.05, 50_000])
def test_implausible_sampling_rates_are_value_errors(rate):
    with pytest.raises(ValueError, match="Hz"):
        check_sampling_rate(rate)


def test_array_checks_name_the_problem():
    assert check_imu_array(torch.ones(4, 3, dtype=torch.float64)).dtype == np.float32
    assert check_imu_array([[1, 2, 3]], 3).shape == (1, 3)
    with pytest.raises(ValueError, match="dtype bool"):
        check_imu_array(np.ones((4, 3), dtype=bool))
    with pytest.raises(ValueError, match="dtype <U1"):
        check_imu_array(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="not a rectangular array"):
        check_imu_array([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="empty"):
        check_imu_array(np.zeros((0, 3)))
    bad = np.ones((2, 5, 3))
    bad[1, 4, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or inf at window 1, sample 4, channel 2"):
        check_imu_array(bad)


def test_tensor_checks_keep_the_tensor_and_give_the_array_errors():
    readings = torch.arange(12, dtype=torch.int16).reshape(4, 3)
    checked = check_imu_tensor(readings, 3)
    assert checked.dtype == torch.float32 and checked.device == readings.device
    np.testing.assert_array_equal(checked.numpy(), check_imu_array(readings, 3))
    bad = torch.ones(2, 5, 3, dtype=torch.float64)
    for problem, match in [
        (lambda x: x.__setitem__((1, 4, 2), np.inf), "NaN or inf at window 1, sample 4, channel 2"),
        (lambda x: x.__setitem__((0, 3, 1), 1e39), "beyond float32's range .* at window 0, sample 3, channel 1"),
    ]:
        values = bad.clone()
        problem(values)
        with pytest.raises(ValueError, match=match):
            check_imu_tensor(values)
    for values, kwargs, match in [
        (torch.ones(4, 3, dtype=torch.bool), {}, "dtype torch.bool"),
        (torch.ones(4, 3, dtype=torch.complex64), {}, "dtype torch.complex64"),
        (torch.ones(4), {}, r"shape \(T, C\) or \(B, T, C\)"),
        (torch.ones(0, 3), {}, "empty"),
        (torch.ones(4, 3), {"num_channels": 6}, "3 channels"),
    ]:
        with pytest.raises(ValueError, match=match):
            check_imu_tensor(values, **kwargs)


def test_resampling_is_band_limited_and_keeps_constants():
    t_in = np.arange(400) / 100.0
    tone = torch.tensor(np.sin(2 * np.pi * 2.0 * t_in) + 3.0)
    out = resample(tone, 100.0, 30.0)
    t_out = np.arange(len(out)) / 30.0
    interior = slice(10, -10)
    np.testing.assert_allclose(out.numpy()[interior], np.sin(2 * np.pi * 2.0 * t_out)[interior] + 3.0, atol=2e-3)
    constant = resample(torch.full((50, 2), STANDARD_GRAVITY_MPS2, dtype=torch.float64), 50.0, 30.0)
    torch.testing.assert_close(constant, torch.full_like(constant, STANDARD_GRAVITY_MPS2))
    # 40 Hz is above the 15 Hz Nyquist rate of the output: removed instead of aliased to 10 Hz.
    alias = resample(torch.tensor(np.sin(2 * np.pi * 40.0 * t_in)), 100.0, 30.0)
    assert alias[interior].abs().max() < 1e-2
    assert resample(torch.zeros(7, 2), 10.0, 30.0).shape == (sensors.num_resampled_samples(7, 10.0, 30.0), 2) == (19, 2)


def test_device_layout_declares_a_device_once():
    watch = DeviceLayout.from_sites(["wrist"], sampling_rate_hz=50, acc_units="g")
    assert watch.sites == ["wrist"] and watch.num_channels == 6 and watch.gravity == "include"
    assert DeviceLayout.from_dict(json.loads(json.dumps(watch.to_dict()))) == watch
    assert DeviceLayout.from_dict({**watch.to_dict(), "activity": "walking"}) == watch  # a corpus row
    np.testing.assert_allclose(watch.unit_scale_to()[:3], STANDARD_GRAVITY_MPS2)
    with pytest.raises(ValueError, match="unique"):
        DeviceLayout(("a_acc_x", "a_acc_x"))
    with pytest.raises(ValueError, match="gravity must be one of"):
        watch.replace(gravity="partly")
    with pytest.raises(TypeError, match="not one string"):
        DeviceLayout("wrist_acc_x")
    at_rest = np.tile([0.0, 0.0, 1.0, 0.0, 0.0, 0.0], (100, 1))
    assert watch.check(at_rest).dtype == np.float32
    with pytest.raises(ValueError, match="it looks like g"):
        watch.replace(acc_units="m/s^2").check(at_rest)
    with pytest.raises(ValueError, match="has 3 channels"):
        watch.check(at_rest[:, :3])
