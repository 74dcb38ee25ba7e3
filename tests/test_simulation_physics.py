"""IMU simulation against cases with known answers: rest, rotation, translation, free fall, mounting, resampling."""

from __future__ import annotations

import math

import pytest
import torch

from imu_foundation.sensors import resample
from imu_foundation.simulation import (
    STANDARD_GRAVITY_MPS2,
    ImuErrorModel,
    MotionSequence,
    VirtualImu,
    angular_velocity,
    load_body_model,
    second_derivative,
    sensor_trajectories,
    simulate_imu,
)
from imu_foundation.simulation.rotations import axis_angle_to_matrix, matrix_to_axis_angle, rotation_x
from imu_foundation.simulation.sensor_errors import AxisErrors

G = STANDARD_GRAVITY_MPS2
ALL_SITES = [
    "left_wrist", "right_wrist", "left_forearm", "right_forearm", "left_upper_arm", "right_upper_arm", "left_thigh",
    "right_thigh", "left_shank", "right_shank", "left_ankle", "right_ankle", "pelvis", "chest", "head",
]  # fmt: skip


@pytest.fixture(scope="module")
def body():
    return load_body_model()


def static_motion(frames: int, fps: float, seed: int, up_axis: str = "y", transl=None) -> MotionSequence:
    generator = torch.Generator().manual_seed(seed)
    orient = torch.randn(3, generator=generator, dtype=torch.float64)
    pose = 0.4 * torch.randn(23, 3, generator=generator, dtype=torch.float64)
    transl = torch.zeros(frames, 3, dtype=torch.float64) if transl is None else transl
    betas = torch.randn(10, generator=generator, dtype=torch.float64)
    return MotionSequence.from_tensors(
        orient.expand(frames, 3), pose.expand(frames, 23, 3), transl, fps, betas, up_axis=up_axis
    )


def smooth_motion(frames: int = 240, fps: float = 60.0, seed: int = 0) -> MotionSequence:
    """Every joint swinging sinusoidally, the root moving and turning: a generic smooth motion."""
    generator = torch.Generator().manual_seed(seed)
    t = torch.arange(frames, dtype=torch.float64)[:, None] / fps
    amplitude = 0.5 * torch.randn(23 * 3, generator=generator, dtype=torch.float64)
    frequency = 0.3 + 1.5 * torch.rand(23 * 3, generator=generator, dtype=torch.float64)
    pose = (amplitude * torch.sin(2 * math.pi * frequency * t)).reshape(frames, 23, 3)
    orient = torch.cat([0.2 * torch.sin(t), 0.8 * t, 0.1 * torch.cos(2 * t)], dim=1)
    transl = torch.cat([1.2 * t, 0.05 * torch.sin(2 * math.pi * 2 * t), 0.3 * torch.sin(t)], dim=1)
    betas = torch.randn(10, generator=generator, dtype=torch.float64)
    return MotionSequence.from_tensors(orient, pose, transl, fps, betas)


@pytest.mark.parametrize("up_axis", ["y", "z"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_body_at_rest_reads_one_g_up_and_no_rotation(body, seed, up_axis):
    motion = static_motion(30, 60.0, seed, up_axis)
    imu = simulate_imu(motion, body, ALL_SITES, dtype=torch.float64)
    _, R_world_from_sensor = sensor_trajectories(motion, body, [VirtualImu(s) for s in ALL_SITES])
    up_world = torch.zeros(3, dtype=torch.float64)
    up_world["xyz".index(up_axis)] = 1.0
    up_in_sensor = R_world_from_sensor.transpose(-1, -2) @ up_world  # (T, S, 3)
    torch.testing.assert_close(imu.acc, G * up_in_sensor, atol=1e-9, rtol=0)
    torch.testing.assert_close(imu.gyro, torch.zeros_like(imu.gyro), atol=1e-9, rtol=0)
    # Readings differ between sensors (orientations differ) yet all have magnitude 1 g.
    assert imu.acc.norm(dim=-1).sub(G).abs().max() < 1e-9
    assert imu.acc[0].std(dim=0).max() > 1.0


def test_units_and_gravity_modes(body):
    motion = static_motion(20, 50.0, 3)
    mps2 = simulate_imu(motion, body, ["chest"], dtype=torch.float64)
    in_g = simulate_imu(motion, body, ["chest"], acc_units="g", dtype=torch.float64)
    linear = simulate_imu(motion, body, ["chest"], gravity="remove", dtype=torch.float64)
    torch.testing.assert_close(in_g.acc.norm(dim=-1), torch.ones(20, 1, dtype=torch.float64))
    torch.testing.assert_close(mps2.acc / G, in_g.acc)
    torch.testing.assert_close(linear.acc, torch.zeros_like(linear.acc), atol=1e-9, rtol=0)
    assert in_g.acc_units == "g" and linear.gravity == "remove"
    assert mps2.channels().shape == (20, 6) and mps2.channel_names[0] == "chest_acc_x"


def test_constant_rate_rotation_reads_rate_and_centripetal_acceleration(body):
    """The whole body in its rest T-pose spins about the vertical at omega: a turntable."""
    fps, omega = 120.0, 2.0
    t = torch.arange(240, dtype=torch.float64) / fps
    orient = torch.stack([torch.zeros_like(t), omega * t, torch.zeros_like(t)], dim=1)
    motion = MotionSequence.from_tensors(orient, torch.zeros(240, 23, 3), None, fps)
    sites = ["left_wrist", "head", "right_ankle"]
    imu = simulate_imu(motion, body, sites, dtype=torch.float64)

    # The segment frames equal the pelvis frame (rest pose), which turns about world y = sensor y.
    expected_gyro = torch.tensor([0.0, omega, 0.0], dtype=torch.float64).expand_as(imu.gyro)
    torch.testing.assert_close(imu.gyro, expected_gyro, atol=1e-9, rtol=0)

    p_world_m, R = sensor_trajectories(motion, body, [VirtualImu(s) for s in sites])
    pelvis_axis_m = p_world_m.new_zeros(3)  # the root joint sits at the origin and the axis is vertical
    radius_world = p_world_m - pelvis_axis_m
    radius_world[..., 1] = 0.0
    centripetal_world = -(omega**2) * radius_world
    gravity = torch.tensor([0.0, -G, 0.0], dtype=torch.float64)
    expected_acc = (R.transpose(-1, -2) @ (centripetal_world - gravity)[..., None])[..., 0]
    # Central differences of a circle carry a relative error of (omega dt)^2 / 12, here 2e-5.
    interior = slice(1, -1)
    torch.testing.assert_close(imu.acc[interior], expected_acc[interior], atol=1e-4 * omega**2, rtol=1e-4)
    torch.testing.assert_close(imu.acc, expected_acc, atol=1e-3 * omega**2, rtol=1e-3)
    wrist_radius_m = radius_world[0, 0].norm()
    assert 0.6 < wrist_radius_m < 0.9  # arm span of an adult


def test_constant_velocity_reads_gravity_only_and_free_fall_reads_zero(body):
    fps, frames = 60.0, 90
    t = torch.arange(frames, dtype=torch.float64)[:, None] / fps
    velocity = torch.tensor([[1.3, 0.4, -2.0]], dtype=torch.float64)
    cruising = static_motion(frames, fps, 4, transl=velocity * t)
    at_rest = static_motion(frames, fps, 4)
    moving = simulate_imu(cruising, body, ALL_SITES, dtype=torch.float64)
    resting = simulate_imu(at_rest, body, ALL_SITES, dtype=torch.float64)
    torch.testing.assert_close(moving.acc, resting.acc, atol=1e-8, rtol=0)
    torch.testing.assert_close(moving.gyro, resting.gyro, atol=1e-9, rtol=0)

    gravity = torch.tensor([[0.0, -G, 0.0]], dtype=torch.float64)
    falling = static_motion(frames, fps, 5, transl=velocity * t + 0.5 * gravity * t**2)
    imu = simulate_imu(falling, body, ALL_SITES, dtype=torch.float64)
    torch.testing.assert_close(imu.acc, torch.zeros_like(imu.acc), atol=1e-7, rtol=0)


def test_mounting_rotation_rotates_the_readings_and_offset_adds_lever_arm(body):
    motion = smooth_motion()
    Q = axis_angle_to_matrix(torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64))  # R_segment_from_sensor
    plain = simulate_imu(motion, body, ["right_wrist"], dtype=torch.float64)
    mounted = simulate_imu(
        motion, body, [VirtualImu("right_wrist", R_segment_from_sensor=Q, name="watch")], dtype=torch.float64
    )
    torch.testing.assert_close(mounted.acc, plain.acc @ Q, atol=1e-9, rtol=0)  # Q^T a, row-vector form
    torch.testing.assert_close(mounted.gyro, plain.gyro @ Q, atol=1e-9, rtol=0)
    assert mounted.sensor_names == ["watch"]

    offset = torch.tensor([0.0, 0.05, 0.0], dtype=torch.float64)
    shifted = VirtualImu("right_wrist", offset_segment_m=offset)
    p_plain, R = sensor_trajectories(motion, body, [VirtualImu("right_wrist")])
    p_shifted, _ = sensor_trajectories(motion, body, [shifted])
    torch.testing.assert_close(p_shifted - p_plain, R @ offset, atol=1e-12, rtol=0)


def test_sensor_vertices_match_the_full_smplx_forward_pass():
    body = load_body_model()  # a fresh copy: its buffers are modified below
    # Random pose-corrective blend shapes so that the fast path's pose-blend-shape branch is exercised too.
    body.model.posedirs.normal_(0.0, 1e-3, generator=torch.Generator().manual_seed(0))
    motion = smooth_motion(frames=180, seed=7)
    fast = simulate_imu(motion, body, ALL_SITES, dtype=torch.float64)
    full = simulate_imu(motion, body, ALL_SITES, method="full_mesh", dtype=torch.float64)
    torch.testing.assert_close(fast.acc, full.acc, atol=1e-5, rtol=0)
    torch.testing.assert_close(fast.gyro, full.gyro, atol=1e-5, rtol=0)
    assert fast.acc.abs().max() > 5.0  # the motion is not trivial


def test_second_derivative_is_exact_for_degree_seven_inside_and_cubics_near_the_ends():
    t = torch.arange(50, dtype=torch.float64) / 30.0
    for degree in range(8):
        exact = degree * (degree - 1) * t ** max(degree - 2, 0)
        result = second_derivative(t[:, None] ** degree, 30.0)[:, 0]
        torch.testing.assert_close(result[3:-3], exact[3:-3], atol=1e-8, rtol=1e-9)  # the 7-point stencil
        if degree <= 5:
            torch.testing.assert_close(result[2:-2], exact[2:-2], atol=1e-9, rtol=1e-9)  # and the 5-point one
        if degree <= 3:
            torch.testing.assert_close(result, exact, atol=1e-9, rtol=1e-9)  # every frame, ends included
    for frames in range(4, 9):  # short sequences use the stencils that fit
        x = t[:frames] ** 3
        torch.testing.assert_close(second_derivative(x[:, None], 30.0)[:, 0], 6 * t[:frames])
    with pytest.raises(ValueError, match="at least 4 frames"):
        second_derivative(t[:3, None], 30.0)


def test_derivatives_resolve_a_10_hz_motion_at_60_fps():
    """The 3-point difference reads a 10 Hz acceleration at 60 fps 9 % low (gain sinc^2); the stencil, 0.2 %."""
    fps, frequency = 60.0, 10.0
    t = torch.arange(240, dtype=torch.float64) / fps
    omega = 2 * math.pi * frequency
    position = torch.sin(omega * t)[:, None]
    exact = -(omega**2) * position[:, 0]
    acceleration = second_derivative(position, fps)[:, 0]
    relative = (acceleration - exact)[3:-3].abs().max() / omega**2  # inside: the ends extrapolate
    three_point = ((position[2:] - 2 * position[1:-1] + position[:-2])[:, 0] * fps**2 - exact[1:-1]).abs().max()
    assert relative < 3e-3 and three_point / omega**2 > 0.07  # 9 % of the amplitude; samples reach 0.87 of it
    # The gyroscope: a segment swinging about a fixed axis with a 6 Hz angle, read within 0.1 %.
    angle = 0.8 * torch.sin(2 * math.pi * 6.0 * t)
    R = rotation_x(angle)[:, None]
    rate = angular_velocity(R, fps)[:, 0]
    expected = 0.8 * 2 * math.pi * 6.0 * torch.cos(2 * math.pi * 6.0 * t)
    torch.testing.assert_close(rate[3:-3, 0], expected[3:-3], atol=1e-3 * expected.abs().max(), rtol=0)
    torch.testing.assert_close(rate[:, 1:], torch.zeros(240, 2, dtype=torch.float64), atol=1e-12, rtol=0)


def test_smoothing_frames_averages_like_the_transpose_difference():
    """``smoothing_frames=k`` is the TransPose difference over +-k frames applied to the true acceleration."""
    fps, k = 60.0, 4
    t = torch.arange(300, dtype=torch.float64) / fps
    x = torch.sin(2 * math.pi * 2.0 * t)[:, None]
    smoothed = second_derivative(x, fps, smoothing_frames=k)[:, 0]
    transpose = (x[2 * k :] - 2 * x[k:-k] + x[: -2 * k])[:, 0] / (k / fps) ** 2
    # Equal up to the (omega dt)^2 / 12 by which the difference over +-k frames differs from its continuous limit.
    torch.testing.assert_close(smoothed[k:-k], transpose, atol=2e-2 * transpose.abs().max(), rtol=0)
    quadratic = 3 * t**2 - t + 2
    torch.testing.assert_close(second_derivative(quadratic[:, None], fps, k)[:, 0], torch.full_like(t, 6.0))


@pytest.mark.parametrize(("rate_in", "rate_out", "frequency_hz"), [(60, 50, 1.0), (120, 20, 2.0), (30, 100, 3.0)])
def test_resampling_keeps_a_low_frequency_sine(rate_in, rate_out, frequency_hz):
    seconds = 10
    t_in = torch.arange(seconds * rate_in, dtype=torch.float64) / rate_in
    signal = torch.stack([torch.sin(2 * math.pi * frequency_hz * t_in + 0.3), torch.full_like(t_in, G)], dim=1)
    out = resample(signal, rate_in, rate_out)
    t_out = torch.arange(out.shape[0], dtype=torch.float64) / rate_out
    expected = torch.sin(2 * math.pi * frequency_hz * t_out + 0.3)
    assert out.shape[0] == (seconds * rate_in - 1) * rate_out // rate_in + 1
    inner = slice(rate_out // 2, -rate_out // 2)  # half a second away from the reflected ends
    torch.testing.assert_close(out[inner, 0], expected[inner], atol=1e-4, rtol=0)
    torch.testing.assert_close(out[:, 0], expected, atol=1e-2, rtol=0)
    torch.testing.assert_close(out[:, 1], torch.full_like(t_out, G), atol=1e-12, rtol=0)  # gravity exactly


def test_downsampling_does_not_alias():
    t = torch.arange(600, dtype=torch.float64) / 60.0
    above_new_nyquist = torch.sin(2 * math.pi * 19.0 * t)[:, None]  # would fold to 1 Hz at 20 Hz
    out = resample(above_new_nyquist, 60.0, 20.0)
    assert out[10:-10].abs().max() < 5e-3
    naive = above_new_nyquist[::3]
    assert naive.abs().max() > 0.5  # what decimation without a filter would report


def test_simulated_rate_and_duration(body):
    motion = smooth_motion(frames=241, fps=60.0)
    imu = simulate_imu(motion, body, ["left_wrist"], sampling_rate_hz=50.0)
    assert imu.sampling_rate_hz == 50.0 and imu.acc.shape == (201, 1, 3) and imu.acc.dtype == torch.float32


def test_error_model_is_seeded_and_bounded(body):
    motion = smooth_motion()
    errors = ImuErrorModel.consumer_mems()
    a = simulate_imu(motion, body, ["left_wrist"], error_model=errors, seed=3, dtype=torch.float64)
    b = simulate_imu(motion, body, ["left_wrist"], error_model=errors, seed=3, dtype=torch.float64)
    c = simulate_imu(motion, body, ["left_wrist"], error_model=errors, seed=4, dtype=torch.float64)
    ideal = simulate_imu(motion, body, ["left_wrist"], dtype=torch.float64)
    assert torch.equal(a.acc, b.acc) and not torch.equal(a.acc, c.acc)
    difference = (a.acc - ideal.acc).abs()
    assert 0.0 < difference.mean() < 1.0  # noise, bias and scale of a consumer MEMS part, not more
    lsb = errors.accelerometer.resolution
    torch.testing.assert_close(a.acc / lsb, torch.round(a.acc / lsb), atol=1e-6, rtol=0)  # quantised

    saturating = ImuErrorModel(gyroscope=AxisErrors(range=0.5), accelerometer=AxisErrors(noise_std=0.1))
    noisy = simulate_imu(motion, body, ["left_wrist"], error_model=saturating, seed=0, dtype=torch.float64)
    assert noisy.gyro.abs().max() <= 0.5 and ideal.gyro.abs().max() > 0.5
    assert (noisy.acc - ideal.acc).std().item() == pytest.approx(0.1, rel=0.15)


def test_z_up_motion_rotated_to_y_up_gives_the_same_readings(body):
    motion = smooth_motion(seed=3)
    R_zup_from_yup = rotation_x(torch.tensor(math.pi / 2, dtype=torch.float64))
    z_up = MotionSequence.from_tensors(
        matrix_to_axis_angle(R_zup_from_yup @ axis_angle_to_matrix(motion.global_orient)),
        motion.body_pose,
        motion.transl @ R_zup_from_yup.T,
        motion.fps,
        motion.betas,
        up_axis="z",
    )
    original = simulate_imu(motion, body, ["left_wrist", "pelvis"], dtype=torch.float64)
    rotated = simulate_imu(z_up, body, ["left_wrist", "pelvis"], dtype=torch.float64)
    converted = simulate_imu(z_up.to_y_up(), body, ["left_wrist", "pelvis"], dtype=torch.float64)
    torch.testing.assert_close(rotated.acc, original.acc, atol=1e-8, rtol=0)
    torch.testing.assert_close(converted.acc, original.acc, atol=1e-8, rtol=0)
    torch.testing.assert_close(rotated.gyro, original.gyro, atol=1e-9, rtol=0)
