"""Virtual IMUs: the accelerometer and gyroscope readings of sensors worn on a moving SMPL body.

The physics, one function per step (frames: ``world`` is the motion's world frame, ``sensor`` the IMU's axes):

1. ``sensor_trajectories``: position ``p_world_m`` of each sensor and its orientation ``R_world_from_sensor``
   (the body segment's global rotation times the mounting rotation).
2. ``second_derivative``: ``p_ddot_world_mps2``, a 7-point central difference (error O(dt^6)), with shorter
   stencils towards the sequence ends (see :mod:`.finite_differences`).
3. ``specific_force``: what an accelerometer measures, ``acc_sensor = R_world_from_sensor^T (p_ddot - g)``.
   A sensor at rest reads +1 g along the direction that points up in the world; in free fall it reads zero.
4. ``angular_velocity``: what a gyroscope measures, the body-frame rate ``omega_sensor`` with
   ``[omega_sensor]x = R^T dR/dt``, from the relative rotations to the neighbouring frames (same stencil order).
5. ``resample``: band-limited to the target sensor rate (no aliasing), then an optional sensor error model.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor

from ..sensors import (
    ACC_UNITS,
    channel_names,
    check_sampling_rate,
    check_units,
    num_resampled_samples,
    resample,
)
from .body_model import BodyModel, load_body_model
from .finite_differences import ACCURACY_ORDER, body_rate, time_derivative, triangle_smooth
from .kinematics import SensorKinematics
from .motion import MotionSequence
from .sensor_errors import ImuErrorModel
from .skeleton import SensorSite

AccUnits = Literal["m/s^2", "g"]
GravityMode = Literal["include", "remove"]
Method = Literal["sensor_vertices", "full_mesh"]
MIN_FRAMES = 4  # the fewest frames a second derivative can be taken from; also the fewest samples out


@dataclass(frozen=True)
class VirtualImu:
    """One sensor on the body.

    Attributes:
        site: a named site of the body model (``"left_wrist"``, ...) or a :class:`SensorSite` (vertex + joint).
        R_segment_from_sensor: ``(3, 3)`` mounting rotation, sensor axes in the segment frame; identity if None.
        offset_segment_m: ``(3,)`` position of the sensor relative to the vertex, in the segment frame (m).
        name: the sensor's name in outputs; the site name if None.
    """

    site: str | SensorSite
    R_segment_from_sensor: Tensor | None = None
    offset_segment_m: Tensor | None = None
    name: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or (self.site if isinstance(self.site, str) else self.site.name)


@dataclass
class SimulatedImu:
    """Simulated readings of ``S`` sensors over ``T`` samples.

    Attributes:
        acc: ``(T, S, 3)`` accelerometer, in ``acc_units``; specific force (gravity included) or linear
            acceleration (gravity removed), per ``gravity``.
        gyro: ``(T, S, 3)`` gyroscope, rad/s, in the sensor frame.
        sampling_rate_hz: sample rate of ``acc`` and ``gyro``.
        sensor_names: the ``S`` sensor names.
        acc_units: ``"m/s^2"`` or ``"g"``.
        gravity: ``"include"`` (what an accelerometer measures) or ``"remove"`` (linear acceleration).
        metadata: simulation settings (method, smoothing, error model, seed).
    """

    acc: Tensor
    gyro: Tensor
    sampling_rate_hz: float
    sensor_names: list[str]
    acc_units: AccUnits
    gravity: GravityMode
    metadata: dict = field(default_factory=dict)

    @property
    def channel_names(self) -> list[str]:
        """Names of the columns of :meth:`channels`: ``<sensor>_acc_x .. <sensor>_gyro_z`` per sensor."""
        return channel_names(self.sensor_names)

    def channels(self) -> Tensor:
        """``(T, 6 S)``: per sensor, acc x y z then gyro x y z."""
        return torch.cat([self.acc, self.gyro], dim=-1).reshape(self.acc.shape[0], -1)


# ---------------------------------------------------------------------- the steps


def sensor_trajectories(
    motion: MotionSequence, body: BodyModel, imus: Sequence[VirtualImu], method: Method = "sensor_vertices"
) -> tuple[Tensor, Tensor]:
    """Step 1: ``p_world_m`` ``(T, S, 3)`` and ``R_world_from_sensor`` ``(T, S, 3, 3)``.

    ``method="sensor_vertices"`` skins only the sensor vertices; ``"full_mesh"`` runs smplx's whole forward pass
    (the reference, much slower).
    """
    sites = [imu.site if isinstance(imu.site, SensorSite) else body.site(imu.site) for imu in imus]
    vertex_ids, joint_ids = [s.vertex for s in sites], [s.joint for s in sites]
    if method == "sensor_vertices":
        p_vertex_m, R_world_from_segment = SensorKinematics(body, vertex_ids, joint_ids)(motion)
    elif method == "full_mesh":
        p_vertex_m, R_world_from_joint = body.full_mesh_forward(motion, vertex_ids)
        R_world_from_segment = R_world_from_joint[:, joint_ids]
    else:
        raise ValueError(f"method must be 'sensor_vertices' or 'full_mesh', got {method!r}.")
    eye, zero = torch.eye(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    R_segment_from_sensor = torch.stack([_rotation(i.R_segment_from_sensor, eye, i) for i in imus])  # (S, 3, 3)
    offset_segment_m = torch.stack([_offset(i.offset_segment_m, zero, i) for i in imus])  # (S, 3)
    p_world_m = p_vertex_m + (R_world_from_segment @ offset_segment_m[..., None])[..., 0]
    return p_world_m, R_world_from_segment @ R_segment_from_sensor


def second_derivative(x: Tensor, fps: float, smoothing_frames: int = 1) -> Tensor:
    """Step 2: ``(T, ...)`` -> ``(T, ...)`` second time derivative per s^2.

    Inside the sequence a centred 7-point stencil (error O(dt^6), exact for polynomials up to degree 7): it
    resolves a 10 Hz component at 60 fps within 0.2 %, where the 3-point difference reads it 9 % low. Towards the
    ends the centred stencil shrinks (5, then 3 points) and the first and last frames use a one-sided 5-point
    stencil (exact for quartics): at an end a fast motion is known on one side only, so these frames are an
    extrapolation (see :mod:`.finite_differences`). ``smoothing_frames=k > 1`` then
    averages the result over a triangular window of half-width ``k`` frames, which is what the TransPose-style
    difference over ``+-k`` frames does (TransPose uses 4 at 60 fps, for noisy video-estimated poses).
    """
    frames = x.shape[0]
    if frames < MIN_FRAMES:
        raise ValueError(f"accelerations need at least {MIN_FRAMES} frames, got {frames}.")
    k = check_smoothing_frames(smoothing_frames, frames)
    return triangle_smooth(time_derivative(x, fps, derivative=2), k)


def check_smoothing_frames(smoothing_frames: Any, frames: int) -> int:
    """``smoothing_frames`` as an int, if it is a whole number >= 1 whose window (2 k + 1 frames) fits ``frames``."""
    if isinstance(smoothing_frames, bool) or not isinstance(smoothing_frames, numbers.Integral):
        raise ValueError(f"smoothing_frames must be a whole number of frames >= 1, got {smoothing_frames!r}.")
    k = int(smoothing_frames)
    if k < 1:
        raise ValueError(f"smoothing_frames must be >= 1 (1 = no smoothing), got {k}.")
    if 2 * k + 1 > frames:
        raise ValueError(
            f"smoothing_frames={k} spans {2 * k + 1} frames, more than the motion's {frames}; "
            f"use at most {(frames - 1) // 2}."
        )
    return k


def specific_force(p_ddot_world_mps2: Tensor, R_world_from_sensor: Tensor, gravity_world_mps2: Tensor) -> Tensor:
    """Step 3: ``acc_sensor = R_world_from_sensor^T (p_ddot - g)``, ``(T, S, 3)`` m/s^2."""
    f_world = p_ddot_world_mps2 - gravity_world_mps2.to(p_ddot_world_mps2)
    return (R_world_from_sensor.transpose(-1, -2) @ f_world[..., None])[..., 0]


def angular_velocity(R_world_from_sensor: Tensor, fps: float) -> Tensor:
    """Step 4: ``(T, S, 3, 3)`` orientations -> ``(T, S, 3)`` angular velocity in the sensor frame (rad/s).

    ``[omega_sensor]x = R^T dR/dt``: the neighbours of frame ``t`` become rotation vectors
    ``log(R[t]^T R[t+o])`` and the first-derivative stencils of :func:`second_derivative`'s scheme (7 points inside,
    error O(dt^6)) differentiate them; exact for a constant rate about a fixed axis. The rotation across three
    frames must stay below 180 degrees (below 62 rad/s at 60 fps).
    """
    return body_rate(R_world_from_sensor, fps)


# ---------------------------------------------------------------------- the whole simulation


def simulate_imu(
    motion: MotionSequence,
    body: BodyModel | None = None,
    sites: Sequence[str | SensorSite | VirtualImu] = ("left_wrist", "right_wrist"),
    *,
    sampling_rate_hz: float | None = None,
    acc_units: AccUnits = "m/s^2",
    gravity: GravityMode = "include",
    smoothing_frames: int = 1,
    error_model: ImuErrorModel | None = None,
    seed: int = 0,
    method: Method = "sensor_vertices",
    dtype: torch.dtype = torch.float32,
) -> SimulatedImu:
    """Simulates accelerometer and gyroscope readings of sensors worn on a body performing ``motion``.

    Args:
        motion: the pose sequence (its ``up_axis`` sets the gravity direction).
        body: the body model; the embedded generated body when None.
        sites: sensors, as site names, :class:`SensorSite` or :class:`VirtualImu` (with mounting).
        sampling_rate_hz: output rate (Hz), an IMU rate (1 Hz-10 kHz, ``sensors.check_sampling_rate``) giving at
            least 4 samples over the motion; the motion's frame rate when None.
        acc_units: ``"m/s^2"`` or ``"g"`` (1 g = 9.80665 m/s^2).
        gravity: ``"include"`` for specific force (real accelerometers), ``"remove"`` for linear acceleration
            (e.g. BasicMotions, Android's linear-acceleration sensor).
        smoothing_frames: half-width (frames) of a triangular average of the accelerations, as the TransPose-style
            difference over ``+-k`` frames smooths (1 = none); its window of ``2 k + 1`` frames must fit the motion.
        error_model: sensor errors added after resampling; None for ideal readings.
        seed: seeds the error model.
        method: ``"sensor_vertices"`` (fast, default) or ``"full_mesh"`` (smplx's full forward pass).
        dtype: dtype of the returned readings (computations run in float64).
    Returns:
        :class:`SimulatedImu` with ``(T', S, 3)`` readings at ``sampling_rate_hz``.
    """
    check_units(acc_units, "rad/s", gravity)  # the gyroscope is always simulated in rad/s
    if not sites:
        raise ValueError("no sensors requested: pass at least one site.")
    if motion.num_frames < MIN_FRAMES:
        raise ValueError(f"the motion has {motion.num_frames} frames; IMU simulation needs at least {MIN_FRAMES}.")
    rate_hz = _output_rate_hz(sampling_rate_hz, motion)
    check_smoothing_frames(smoothing_frames, motion.num_frames)
    body = body or load_body_model()
    imus = [s if isinstance(s, VirtualImu) else VirtualImu(s) for s in sites]

    p_world_m, R_world_from_sensor = sensor_trajectories(motion, body, imus, method)
    p_ddot_world_mps2 = second_derivative(p_world_m, motion.fps, smoothing_frames)
    gravity_world_mps2 = motion.gravity_world_mps2 if gravity == "include" else torch.zeros(3, dtype=torch.float64)
    acc_mps2 = specific_force(p_ddot_world_mps2, R_world_from_sensor, gravity_world_mps2)
    gyro_radps = angular_velocity(R_world_from_sensor, motion.fps)

    acc_mps2 = resample(acc_mps2, motion.fps, rate_hz)
    gyro_radps = resample(gyro_radps, motion.fps, rate_hz)
    if error_model is not None:
        acc_mps2, gyro_radps = error_model.apply(acc_mps2, gyro_radps, seed)
    acc = acc_mps2 / ACC_UNITS[acc_units]
    metadata = {
        "method": method,
        "smoothing_frames": smoothing_frames,
        "derivative_order": ACCURACY_ORDER,
        "source_fps": motion.fps,
        "body_model": body.source,
        "error_model": None if error_model is None else error_model.to_dict(),
        "seed": seed,
    }
    names = [imu.display_name for imu in imus]
    return SimulatedImu(acc.to(dtype), gyro_radps.to(dtype), rate_hz, names, acc_units, gravity, metadata)


def _output_rate_hz(sampling_rate_hz: Any, motion: MotionSequence) -> float:
    """The motion's frame rate for None, else an IMU rate (Hz) that gives at least MIN_FRAMES samples."""
    if sampling_rate_hz is None:
        return float(motion.fps)
    rate_hz = check_sampling_rate(sampling_rate_hz, "sampling_rate_hz")
    samples = num_resampled_samples(motion.num_frames, motion.fps, rate_hz)
    if samples < MIN_FRAMES:
        raise ValueError(
            f"sampling_rate_hz={rate_hz:g} gives {samples} sample(s) over the motion's {motion.duration_s:.3g} s; "
            f"IMU readings need at least {MIN_FRAMES}: raise the rate or simulate a longer motion."
        )
    return rate_hz


def _rotation(value: Tensor | None, default: Tensor, imu: VirtualImu) -> Tensor:
    if value is None:
        return default
    R = torch.as_tensor(value, dtype=torch.float64)
    if R.shape != (3, 3) or not torch.allclose(R.T @ R, default, atol=1e-6) or torch.det(R) < 0:
        raise ValueError(f"R_segment_from_sensor of {imu.display_name!r} must be a 3x3 rotation matrix, got {R}.")
    return R


def _offset(value: Tensor | None, default: Tensor, imu: VirtualImu) -> Tensor:
    if value is None:
        return default
    offset = torch.as_tensor(value, dtype=torch.float64)
    if offset.shape != (3,) or offset.norm() > 0.5:
        raise ValueError(f"offset_segment_m of {imu.display_name!r} must be a (3,) offset under 0.5 m, got {offset}.")
    return offset
