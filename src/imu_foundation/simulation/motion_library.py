"""A generated motion library: parametric, captioned SMPL motions of everyday and exercise activities.

Real captioned motion capture (AMASS with HumanML3D / BABEL text) cannot be downloaded here, so this module stands
in for it: every activity is a small kinematic model of how people move in it, written with the clinical and
biomechanics literature in mind (gait joint-angle curves, cadences, running flight phases, exercise ranges of
motion), that produces an SMPL :class:`~imu_foundation.simulation.motion.MotionSequence` with text captions. The
sequences are meant to drive the IMU simulator: what matters is that a virtual wrist (or ankle, or pelvis) sensor
sees realistic cadences, magnitudes and gravity directions, not that the body mesh never slides or interpenetrates.

Usage::

    from imu_foundation.simulation.motion_library import generate_motion, list_activities, sample_motions

    motion = generate_motion("walking", seed=0)                      # random cadence, speed, body, heading, 4-12 s
    wave = generate_motion("waving", seed=3, handedness="left", cycle_hz=2.0, duration_s=6.0)
    for motion in sample_motions(100, seed=0):                       # a balanced, reproducible mix
        ...

Each call draws its parameters from ``numpy.random.default_rng`` seeded with ``(seed, activity)``, so the same
arguments always give bitwise identical tensors, and no global random state is touched. Everything the generator
chose is in ``motion.metadata`` (JSON-serialisable), the captions in ``motion.captions``.

To use real data instead, build the sequences with :meth:`MotionSequence.from_amass_npz` (AMASS ``.npz`` files, with
HumanML3D or BABEL captions passed as ``captions=[...]``) or :meth:`MotionSequence.from_smplx_params` (video pose
estimators); the simulator treats them exactly like these.

Conventions: SMPL's frame (y up, the body faces +z, its left is +x); rest pose = T-pose; every joint's local
rotation is relative to its parent. Generators work in the body's heading frame and always build the right-handed
variant of a motion; left-handed sequences are exact mirror images (x -> -x), and a random heading (yaw about y) is
applied last. ``transl`` is the root displacement from the standing rest position (y = 0 is standing upright, not
the floor). Limitations: no physics or contact solve (stance feet may slide a few centimetres), segment lengths for
the arm inverse kinematics are those of SMPL's mean shape whatever the betas, and there is no hand articulation.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .motion import STANDARD_GRAVITY_MPS2, MotionSequence
from .rotations import axis_angle_to_matrix, matrix_to_axis_angle, rotation_x, rotation_y, rotation_z
from .skeleton import NUM_SMPL_JOINTS, SMPL_JOINT_INDEX

__all__ = [
    "ACTIVITIES",
    "ActivitySpec",
    "GeneratorContext",
    "PoseBuilder",
    "generate_motion",
    "list_activities",
    "register_activity",
    "sample_motions",
]

DEG = math.pi / 180.0
_DTYPE = torch.float64

# Segment lengths of SMPL's mean shape (m), from its rest-pose joint locations. Used for the arm inverse kinematics
# and to keep planted feet in place when the legs bend.
UPPER_ARM_M = 0.256
FOREARM_M = 0.250
THIGH_M = 0.365
SHANK_M = 0.408
_HIP_BELOW_PELVIS_M = 0.09  # the hip joints sit this far below SMPL's pelvis joint

_J = SMPL_JOINT_INDEX
# Left/right joint pairs, swapped when a motion is mirrored.
_MIRROR_PAIRS = ((1, 2), (4, 5), (7, 8), (10, 11), (13, 14), (16, 17), (18, 19), (20, 21), (22, 23))
# Reflecting x -> -x turns a rotation R into M R M with M = diag(-1, 1, 1): entries (0, 1), (0, 2), (1, 0), (2, 0)
# change sign (for axis-angle: the y and z components).
_MIRROR_SIGNS = torch.tensor([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]], dtype=_DTYPE)
# The left arm points along +x in the rest pose; this turns it to hang straight down, palm facing the thigh.
_ARM_DOWN = rotation_z(torch.tensor(-math.pi / 2, dtype=_DTYPE))

_MAX_DURATION_S = 600.0
_BETAS = 10
_CAPTIONS_PER_MOTION = 3


# ---------------------------------------------------------------------------------------------------- small helpers


def _tensor(value: float | Tensor, frames: int) -> Tensor:
    """A float or ``(T,)`` tensor -> ``(T,)`` float64 tensor."""
    if isinstance(value, Tensor):
        return value.to(_DTYPE).expand(frames)
    return torch.full((frames,), float(value), dtype=_DTYPE)


def _vec(x: float | Tensor, y: float | Tensor, z: float | Tensor, frames: int) -> Tensor:
    """Three floats or ``(T,)`` tensors -> ``(T, 3)``."""
    return torch.stack([_tensor(x, frames), _tensor(y, frames), _tensor(z, frames)], dim=-1)


def _normalize(v: Tensor, eps: float = 1e-9) -> Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(eps)


def _mirror(R: Tensor) -> Tensor:
    """``(..., 3, 3)`` rotations reflected through the body's sagittal plane (x -> -x)."""
    return R * _MIRROR_SIGNS


def _rx(deg: Tensor) -> Tensor:
    return rotation_x(deg * DEG)


def _ry(deg: Tensor) -> Tensor:
    return rotation_y(deg * DEG)


def _rz(deg: Tensor) -> Tensor:
    return rotation_z(deg * DEG)


def bump(phase: Tensor, center: float, kappa: float) -> Tensor:
    """Periodic bump of height 1 centred at cycle fraction ``center``; larger ``kappa`` = narrower (von Mises)."""
    return torch.exp(kappa * (torch.cos(phase - 2 * math.pi * center) - 1))


def rise(phase: Tensor) -> Tensor:
    """``0.5 (1 - cos(phase))``: 0 at the start of each cycle, 1 half-way; a smooth out-and-back repetition."""
    return 0.5 * (1 - torch.cos(phase))


def soft_max_limit(x: Tensor, limit: float, width: float) -> Tensor:
    """``min(x, limit)`` with the corner rounded over about ``width``: a hard clamp would put a kink in the
    trajectory, i.e. a spike in the simulated acceleration."""
    return limit - width * torch.nn.functional.softplus((limit - x) / width)


def smoothstep(x: Tensor) -> Tensor:
    x = x.clamp(0, 1)
    return x * x * (3 - 2 * x)


def keyframes(fraction: Tensor, knots: Sequence[float], values: Sequence[Sequence[float]]) -> Tensor:
    """Periodic monotone cubic (PCHIP) interpolation of keyframed channels over a cycle.

    Monotone interpolation neither overshoots nor wiggles during holds (two equal keys), and is C1, so
    accelerations stay finite.

    Args:
        fraction: ``(T,)`` position in the cycle, in ``[0, 1)``.
        knots: ``K`` increasing cycle fractions, the first 0; the cycle wraps from the last back to the first.
        values: ``(K, C)`` channel values at the knots.

    Returns:
        ``(T, C)`` interpolated channels.
    """
    k = np.asarray(knots, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if k[0] != 0 or np.any(np.diff(k) <= 0) or k[-1] >= 1:
        raise ValueError(f"knots must increase from 0 and stay below 1, got {list(k)}")
    h = np.diff(np.append(k, 1.0))  # (K,) interval lengths, the last wrapping around
    slope = (np.roll(v, -1, axis=0) - v) / h[:, None]  # (K, C) secant of interval i -> i+1
    prev_slope, prev_h = np.roll(slope, 1, axis=0), np.roll(h, 1)[:, None]
    # Fritsch-Butland weighted harmonic mean (scipy's PCHIP), zero at local extrema.
    w1, w2 = 2 * h[:, None] + prev_h, h[:, None] + 2 * prev_h
    same_sign = prev_slope * slope > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        tangent = np.where(same_sign, (w1 + w2) / (w1 / prev_slope + w2 / slope), 0.0)
    knots_t, h_t = torch.from_numpy(k), torch.from_numpy(h)
    values_t, tangent_t = torch.from_numpy(v), torch.from_numpy(tangent)
    index = (torch.searchsorted(knots_t, fraction.contiguous(), right=True) - 1).clamp(0, len(k) - 1)
    nxt = (index + 1) % len(k)
    width = h_t[index][:, None]
    s = ((fraction - knots_t[index]) / h_t[index]).clamp(0, 1)[:, None]
    h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * values_t[index] + h10 * width * tangent_t[index] + h01 * values_t[nxt] + h11 * width * tangent_t[nxt]


def _cumulative(rate: Tensor, fps: float) -> Tensor:
    """Trapezoidal running integral over time of ``(T, ...)`` rates, 0 at the first frame."""
    steps = (rate[1:] + rate[:-1]) / (2 * fps)
    return torch.cat([torch.zeros_like(rate[:1]), torch.cumsum(steps, dim=0)])


# ---------------------------------------------------------------------------------------------------- arm kinematics


def arm_direction(elevation_deg: Tensor, plane_deg: Tensor | float) -> Tensor:
    """Upper-arm direction from the ISB angles: elevation from hanging (0) to overhead (180) in a plane.

    Left-arm convention (mirrored for the right arm): +x lateral, +y up, +z forward. ``plane_deg`` 0 is forward
    (flexion), 90 sideways (abduction), negative across the body, 180 backwards. Returns ``(T, 3)`` unit vectors.
    """
    elevation = elevation_deg * DEG
    plane = _tensor(plane_deg, elevation.shape[0]) * DEG
    return torch.stack(
        [torch.sin(elevation) * torch.sin(plane), -torch.cos(elevation), torch.sin(elevation) * torch.cos(plane)], -1
    )


def flex_abduct_direction(flex_deg: Tensor, abduct_deg: Tensor | float) -> Tensor:
    """Upper-arm direction after abducting by ``abduct_deg`` then flexing (forward +, extension -) by ``flex_deg``.

    Left-arm convention; unlike :func:`arm_direction` it handles extension (negative flexion) directly. Only
    meaningful away from 90 deg abduction, where flexion would just spin the arm about itself. Returns ``(T, 3)``.
    """
    flex = flex_deg * DEG
    abduct = _tensor(abduct_deg, flex.shape[0]) * DEG
    return torch.stack(
        [torch.sin(abduct), -torch.cos(abduct) * torch.cos(flex), torch.cos(abduct) * torch.sin(flex)], dim=-1
    )


def _swing_axis_angle(direction: Tensor) -> Tensor:
    """``(T, 3)`` unit direction -> ``(T, 3)`` axis-angle of the shortest rotation taking straight down onto it."""
    horizontal = direction[:, [0, 2]].norm(dim=-1)
    angle = torch.atan2(horizontal, -direction[:, 1])
    # angle / horizontal -> 1 for a direction near straight down, where the axis is undefined but the product is 0.
    scale = torch.where(horizontal > 1e-9, angle / horizontal.clamp_min(1e-9), torch.ones_like(angle))
    zero = torch.zeros_like(angle)
    return torch.stack([-direction[:, 2] * scale, zero, direction[:, 0] * scale], dim=-1)


def shoulder_from_direction(direction: Tensor, external_rotation_deg: Tensor | float = 0.0) -> Tensor:
    """Left shoulder rotation (in the chest frame) pointing the upper arm along ``direction``.

    The arm is swung the shortest way from hanging at the side (palm to the thigh), then turned about its own axis
    by ``external_rotation_deg`` (positive = external: the bent forearm turns outwards). Returns ``(T, 3, 3)``.
    """
    frames = direction.shape[0]
    swing = axis_angle_to_matrix(_swing_axis_angle(_normalize(direction)))
    return swing @ _ARM_DOWN @ _rx(-_tensor(external_rotation_deg, frames))


def arm_ik(target: Tensor, pole: Tensor | Sequence[float]) -> tuple[Tensor, Tensor]:
    """Two-link inverse kinematics of the left arm in the chest frame.

    Args:
        target: ``(T, 3)`` wrist position relative to the shoulder joint (m), left-arm convention (+x lateral).
            Targets beyond reach are pulled onto the sphere of the straight arm.
        pole: ``(T, 3)`` or ``(3,)`` direction the elbow should point to (e.g. down and back).

    Returns:
        ``(T, 3, 3)`` shoulder rotation and ``(T,)`` elbow flexion (deg). The forearm bends in the plane of the
        target and the pole, away from the pole; with zero pronation the palm faces across that plane.
    """
    frames = target.shape[0]
    pole = torch.as_tensor(pole, dtype=_DTYPE).expand(frames, 3)
    # Targets out of reach saturate smoothly onto the straight arm (a hard clamp would jerk the elbow).
    reach = (UPPER_ARM_M + FOREARM_M) * 0.9999
    distance = soft_max_limit(target.norm(dim=-1), reach, 0.01).clamp_min(abs(UPPER_ARM_M - FOREARM_M) + 1e-3)
    toward = _normalize(target)
    cos_flex = (distance**2 - UPPER_ARM_M**2 - FOREARM_M**2) / (2 * UPPER_ARM_M * FOREARM_M)
    flex_deg = torch.acos(cos_flex.clamp(-1, 1)) / DEG
    # The elbow lies on a circle about the shoulder-target line; pick the point nearest the pole.
    along = (UPPER_ARM_M**2 - FOREARM_M**2 + distance**2) / (2 * distance)
    radius = (UPPER_ARM_M**2 - along**2).clamp_min(0).sqrt()
    pole_perp = _normalize(pole - (pole * toward).sum(-1, keepdim=True) * toward)
    elbow = along[:, None] * toward + radius[:, None] * pole_perp
    upper = _normalize(elbow)
    # The forearm's direction across the upper arm fixes the humerus twist; for a straight arm, where it vanishes,
    # the elbow bends away from the pole.
    forearm = distance[:, None] * toward - elbow
    across = forearm - (forearm * upper).sum(-1, keepdim=True) * upper
    away_from_pole = -_normalize(pole - (pole * upper).sum(-1, keepdim=True) * upper)
    bend = _normalize(across + 1e-3 * away_from_pole)
    # Columns: the humerus (local x, the arm's rest direction), local y, and the bend direction (local z).
    shoulder = torch.stack([upper, torch.linalg.cross(bend, upper, dim=-1), bend], dim=-1)
    return shoulder, flex_deg


def _collar_share(shoulder: Tensor) -> Tensor:
    """Collar (scapula) rotation that takes part of an arm elevation, as the scapulohumeral rhythm does."""
    upper = shoulder[:, :, 0]
    swing = _swing_axis_angle(upper)
    elevation_deg = swing.norm(dim=-1) / DEG
    # No scapular motion for small elevations, then about a fifth of it (real rhythm: ~1/3 above 30 degrees).
    share = 0.2 * smoothstep((elevation_deg - 30.0) / 90.0)
    return axis_angle_to_matrix(share[:, None] * swing)


# ---------------------------------------------------------------------------------------------------- pose builder


class PoseBuilder:
    """Joint rotations and root motion of one sequence under construction, in the body's heading frame.

    Generators always build the right-handed variant. Angles are in degrees (floats or ``(T,)`` tensors); the
    ``side`` arguments are ``"left"`` or ``"right"``, and every limb is described in the left-limb convention and
    mirrored for the right one, so the same numbers give a symmetric pose.

    Attributes:
        rot: ``(T, 24, 3, 3)`` local joint rotations; index 0 is the pelvis orientation in the heading frame.
        offset: ``(T, 3)`` root displacement in the heading frame (m): +x left, +y up, +z forward.
        speed: ``(T,)`` forward speed (m/s), integrated along the (possibly wandering) heading.
        climb: ``(T,)`` vertical displacement (m) that does not turn with the heading (stairs).
        yaw_wander: ``(T,)`` slow change of heading (rad) for locomotion.
    """

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.rot = torch.eye(3, dtype=_DTYPE).expand(frames, NUM_SMPL_JOINTS, 3, 3).clone()
        self.offset = torch.zeros(frames, 3, dtype=_DTYPE)
        self.speed = torch.zeros(frames, dtype=_DTYPE)
        self.climb = torch.zeros(frames, dtype=_DTYPE)
        self.yaw_wander = torch.zeros(frames, dtype=_DTYPE)

    def _t(self, value: float | Tensor) -> Tensor:
        return _tensor(value, self.frames)

    def _set(self, side: str, left_joint: str, R: Tensor) -> None:
        name = left_joint if side == "left" else left_joint.replace("left", "right")
        self.rot[:, _J[name]] = R if side == "left" else _mirror(R)

    def root(self, pitch_deg: float | Tensor = 0.0, yaw_deg: float | Tensor = 0.0, roll_deg: float | Tensor = 0.0):
        """Pelvis orientation: pitch forward (+), yaw to the left (+), roll dropping the right side (+)."""
        self.rot[:, 0] = _ry(self._t(yaw_deg)) @ _rx(self._t(pitch_deg)) @ _rz(self._t(roll_deg))

    def spine(self, flex_deg: float | Tensor = 0.0, twist_deg: float | Tensor = 0.0, bend_deg: float | Tensor = 0.0):
        """Trunk flexion (forward +), twist (chest turns left +) and side bend (to the right +) over 3 joints."""
        for joint, share in (("spine1", 0.35), ("spine2", 0.3), ("spine3", 0.35)):
            R = _ry(share * self._t(twist_deg)) @ _rx(share * self._t(flex_deg)) @ _rz(share * self._t(bend_deg))
            self.rot[:, _J[joint]] = R

    def head(self, flex_deg: float | Tensor = 0.0, twist_deg: float | Tensor = 0.0, bend_deg: float | Tensor = 0.0):
        """Neck and head: flexion (chin down +), turn to the left (+), tilt to the right (+)."""
        for joint, share in (("neck", 0.4), ("head", 0.6)):
            R = _ry(share * self._t(twist_deg)) @ _rx(share * self._t(flex_deg)) @ _rz(share * self._t(bend_deg))
            self.rot[:, _J[joint]] = R

    def leg(
        self,
        side: str,
        hip_flex_deg: float | Tensor,
        knee_flex_deg: float | Tensor,
        ankle_dorsiflex_deg: float | Tensor = 0.0,
        hip_abduct_deg: float | Tensor = 0.0,
        hip_rotate_deg: float | Tensor = 0.0,
    ) -> None:
        """One leg: hip flexion (thigh forward +), abduction (outwards +), knee flexion, ankle dorsiflexion."""
        hip = _rx(-self._t(hip_flex_deg)) @ _rz(self._t(hip_abduct_deg)) @ _ry(self._t(hip_rotate_deg))
        self._set(side, "left_hip", hip)
        self._set(side, "left_knee", _rx(self._t(knee_flex_deg)))
        self._set(side, "left_ankle", _rx(-self._t(ankle_dorsiflex_deg)))

    def arm(
        self,
        side: str,
        shoulder: Tensor,
        elbow_flex_deg: float | Tensor,
        pronation_deg: float | Tensor = 0.0,
        wrist_flex_deg: float | Tensor = 0.0,
        wrist_deviation_deg: float | Tensor = 0.0,
    ) -> None:
        """One arm from its shoulder rotation in the chest frame (left convention) and the distal joint angles.

        ``pronation_deg`` turns the forearm about its axis: 0 leaves the palm facing across the elbow's bending
        plane (thumb up for a forearm held forward), +90 palm down, -90 palm up. Part of large elevations goes to
        the collar joint, the rest to the shoulder, so the arm ends up where ``shoulder`` points.
        """
        collar = _collar_share(shoulder)
        self._set(side, "left_collar", collar)
        self._set(side, "left_shoulder", collar.transpose(-1, -2) @ shoulder)
        self._set(side, "left_elbow", _ry(-self._t(elbow_flex_deg)) @ _rx(self._t(pronation_deg)))
        self._set(side, "left_wrist", _rz(-self._t(wrist_flex_deg)) @ _ry(self._t(wrist_deviation_deg)))

    def arm_angles(
        self,
        side: str,
        elevation_deg: float | Tensor,
        plane_deg: float | Tensor,
        elbow_flex_deg: float | Tensor,
        external_rotation_deg: float | Tensor = 0.0,
        pronation_deg: float | Tensor = 0.0,
        **wrist: float | Tensor,
    ) -> None:
        """One arm from joint angles: elevation in a plane (see :func:`arm_direction`), rotation, elbow, forearm."""
        direction = arm_direction(self._t(elevation_deg), self._t(plane_deg))
        shoulder = shoulder_from_direction(direction, external_rotation_deg)
        self.arm(side, shoulder, elbow_flex_deg, pronation_deg, **wrist)

    def arm_reach(
        self,
        side: str,
        target: Tensor,
        pole: Tensor | Sequence[float],
        pronation_deg: float | Tensor = 0.0,
        **wrist: float | Tensor,
    ) -> None:
        """One arm placing the wrist at ``target`` (m, relative to the shoulder, chest frame, left convention)."""
        shoulder, elbow = arm_ik(target, pole)
        self.arm(side, shoulder, elbow, pronation_deg, **wrist)

    def crouch(
        self,
        thigh_deg: float | Tensor,
        shank_deg: float | Tensor,
        pelvis_pitch_deg: float | Tensor = 0.0,
        knees_out_deg: float | Tensor = 0.0,
    ) -> None:
        """Both legs bent with the feet flat and planted; moves the pelvis accordingly.

        Args:
            thigh_deg: thigh angle from vertical, knee forward (0 standing, 90 sitting).
            shank_deg: shank lean from vertical, knee forward of the ankle.
            pelvis_pitch_deg: forward pelvis tilt (also set as the root pitch).
            knees_out_deg: turns each bent leg outwards about its hip-ankle line, so the knees part while the
                feet stay where they are (a plain hip abduction would drag the planted feet inwards).
        """
        thigh, shank, pitch = self._t(thigh_deg) * DEG, self._t(shank_deg) * DEG, self._t(pelvis_pitch_deg) * DEG
        # Hip-to-ankle line in the heading frame, then in the tilted pelvis frame: the axis of the knees-out turn.
        zero = torch.zeros_like(thigh)
        hip_to_ankle = torch.stack(
            [
                zero,
                -THIGH_M * torch.cos(thigh) - SHANK_M * torch.cos(shank),
                THIGH_M * torch.sin(thigh) - SHANK_M * torch.sin(shank),
            ],
            dim=-1,
        )
        axis = (rotation_x(-pitch) @ _normalize(hip_to_ankle)[:, :, None])[:, :, 0]
        # A turn about a downward axis by a negative angle moves the left knee to +x (outwards).
        knees_out = axis_angle_to_matrix(-axis * (self._t(knees_out_deg) * DEG)[:, None])
        for side in ("left", "right"):
            self._set(side, "left_hip", knees_out @ rotation_x(-(thigh + pitch)))
            self._set(side, "left_knee", rotation_x(thigh + shank))
            self._set(side, "left_ankle", rotation_x(-shank))
        self.root(pitch_deg=pitch / DEG)
        # Hip joint displacement with the ankles fixed, then the pelvis joint above the tilted hips.
        hip_y = SHANK_M * (torch.cos(shank) - 1) + THIGH_M * (torch.cos(thigh) - 1)
        hip_z = SHANK_M * torch.sin(shank) - THIGH_M * torch.sin(thigh)
        self.offset[:, 1] += hip_y + _HIP_BELOW_PELVIS_M * (torch.cos(pitch) - 1)
        self.offset[:, 2] += hip_z + _HIP_BELOW_PELVIS_M * torch.sin(pitch)

    def compose(self, joint: int, R: Tensor) -> None:
        """Left-multiplies joint ``joint``'s local rotation by ``(T, 3, 3)`` ``R`` (a rotation in the parent frame)."""
        self.rot[:, joint] = R @ self.rot[:, joint]


# ---------------------------------------------------------------------------------------------------- context


@dataclass
class GeneratorContext:
    """What a generator gets besides the :class:`PoseBuilder`: time, cycle phase, amplitude and randomness.

    Attributes:
        t: ``(T,)`` time (s).
        fps: frame rate (Hz).
        cycle_hz: nominal cycle frequency (Hz); what one cycle is depends on the activity (see its spec).
        amplitude: nominal amplitude factor (1 = typical range of motion).
        phase: ``(T,)`` cycle phase (rad), increasing by 2 pi per cycle; its rate wanders slowly around
            ``cycle_hz`` so repetitions differ a little.
        freq: ``(T,)`` instantaneous cycle frequency (Hz), the derivative of ``phase / 2 pi``.
        amp: ``(T,)`` amplitude factor, wandering slowly around ``amplitude``.
        rng: the sequence's random generator; draw from it only here and in a fixed order.
        posture: ``"standing"`` or ``"sitting"`` for activities that can be done in either.
        params: extra generator parameters, recorded in the metadata and available to the captions.
    """

    t: Tensor
    fps: float
    cycle_hz: float
    amplitude: float
    phase: Tensor
    freq: Tensor
    amp: Tensor
    rng: np.random.Generator
    posture: str = "standing"
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return int(self.t.shape[0])

    @property
    def fraction(self) -> Tensor:
        """``(T,)`` position within the current cycle, in ``[0, 1)``."""
        return torch.remainder(self.phase / (2 * math.pi), 1.0)

    def noise(self, channels: int = 1, max_hz: float = 0.5, min_hz: float = 0.05) -> Tensor:
        """``(T, channels)`` smooth noise with unit RMS: a sum of a few sines of random low frequencies.

        Smooth on purpose: the simulator differentiates positions twice, so white noise on poses would turn
        into enormous accelerations.
        """
        return smooth_noise(self.rng, self.t, channels, max_hz=max_hz, min_hz=min_hz)

    def record(self, **params: Any) -> None:
        """Stores generator choices (python scalars) in the metadata."""
        for key, value in params.items():
            self.params[key] = round(float(value), 6) if isinstance(value, float | np.floating) else value


def smooth_noise(
    rng: np.random.Generator, t: Tensor, channels: int, *, max_hz: float = 0.5, min_hz: float = 0.05, terms: int = 4
) -> Tensor:
    """``(T, channels)`` sum of ``terms`` sines per channel with frequencies in ``[min_hz, max_hz]``, unit RMS."""
    max_hz = max(max_hz, min_hz)
    freqs = rng.uniform(min_hz, max_hz, size=(terms, channels))
    phases = rng.uniform(0, 2 * math.pi, size=(terms, channels))
    weights = rng.uniform(0.5, 1.5, size=(terms, channels))
    weights = weights / np.sqrt((weights**2).sum(axis=0, keepdims=True) / 2)  # RMS of the sum = 1
    arg = 2 * math.pi * t[:, None, None] * torch.from_numpy(freqs) + torch.from_numpy(phases)
    return (torch.from_numpy(weights) * torch.sin(arg)).sum(dim=1)


# ---------------------------------------------------------------------------------------------------- shared postures

# The mouth relative to the shoulder joint (m), chest frame, left-arm convention (+x lateral): IK targets are
# given like this.
_MOUTH_FROM_SHOULDER = (-0.17, 0.13, 0.16)


def _hang_arms(body: PoseBuilder, ctx: GeneratorContext, sides: Sequence[str] = ("left", "right")) -> None:
    """Arms relaxed at the sides: slightly abducted (clear of the hips), elbows a little bent, palms in."""
    for side in sides:
        body.arm_angles(side, 7.0, 80.0, 12.0, external_rotation_deg=5.0)


def _stand(body: PoseBuilder, ctx: GeneratorContext, knee_deg: float = 4.0, width_deg: float = 3.0) -> None:
    """Quiet stance: feet slightly apart, knees almost straight, a hint of forward trunk lean."""
    for side in ("left", "right"):
        body.leg(side, knee_deg * 0.5, knee_deg, knee_deg * 0.5, hip_abduct_deg=width_deg)
    body.root(pitch_deg=2.0)
    body.spine(flex_deg=1.0)


def _sit(body: PoseBuilder, ctx: GeneratorContext, trunk_lean_deg: float | Tensor = 0.0) -> None:
    """Seated on a chair: thighs horizontal, shanks near vertical, pelvis tilted back, trunk near upright."""
    body.crouch(thigh_deg=88.0, shank_deg=6.0, pelvis_pitch_deg=-8.0, knees_out_deg=8.0)
    body.spine(flex_deg=8.0 + _tensor(trunk_lean_deg, ctx.frames))


def _hands_on_lap(body: PoseBuilder, ctx: GeneratorContext, sides: Sequence[str] = ("left", "right")) -> None:
    for side in sides:
        body.arm_reach(side, _vec(-0.03, -0.40, 0.17, ctx.frames), (0.2, -0.3, -1.0), pronation_deg=80.0)


def _posture(body: PoseBuilder, ctx: GeneratorContext, trunk_lean_deg: float = 0.0) -> None:
    if ctx.posture == "sitting":
        _sit(body, ctx, trunk_lean_deg)
    else:
        _stand(body, ctx)
        body.spine(flex_deg=1.0 + trunk_lean_deg)


def _breathing(body: PoseBuilder, ctx: GeneratorContext, depth_deg: float = 0.8) -> None:
    """A little chest extension with each breath (``ctx.phase`` is the breathing phase)."""
    breath = torch.sin(ctx.phase) * ctx.amp
    body.compose(_J["spine3"], _rx(-depth_deg * breath))


# ---------------------------------------------------------------------------------------------------- locomotion


def _gait_trunk(body: PoseBuilder, ctx: GeneratorContext, lean_deg: float, scale: float) -> None:
    """Pelvis rotation and obliquity, counter-rotating thorax, head held level, for a gait phase ``ctx.phase``."""
    a, phase = ctx.amp * scale, ctx.phase
    pelvis_yaw = -4.0 * a * torch.cos(phase)  # the swinging leg's side of the pelvis comes forward
    pelvis_roll = 3.0 * a * torch.sin(phase + 0.3)  # the swing side drops (left stance: right side down)
    body.root(pitch_deg=lean_deg * 0.5 + 1.5 * torch.cos(2 * phase), yaw_deg=pelvis_yaw, roll_deg=pelvis_roll)
    thorax_twist = 7.0 * a * torch.cos(phase)
    body.spine(flex_deg=lean_deg * 0.5, twist_deg=thorax_twist, bend_deg=-pelvis_roll)
    body.head(flex_deg=-lean_deg * 0.6, twist_deg=-(pelvis_yaw + thorax_twist))


def _swing_arms(body: PoseBuilder, ctx: GeneratorContext, swing_deg: float, elbow_deg: float, peak: float) -> None:
    """Arm swing in antiphase with the same-side leg; the elbow bends more as the arm swings forward, and the
    forearm turns a little with it (palm slightly down in front, to the thigh behind), as real wrist gyroscopes
    show besides the main swing axis."""
    for side, offset in (("left", 0.0), ("right", math.pi)):
        swing = -torch.cos(ctx.phase + offset - 2 * math.pi * peak)  # +1 when the same-side hip is most extended
        flex = 3.0 + swing_deg * ctx.amp * swing
        elbow = elbow_deg + 0.4 * swing_deg * ctx.amp * swing
        pronation = 10.0 + 0.6 * swing_deg * ctx.amp * swing
        # A small fixed abduction keeps the hands clear of the hips.
        body.arm(side, shoulder_from_direction(flex_abduct_direction(flex, 7.0), 5.0), elbow, pronation)


def _walking(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Gait cycle from left heel strike (phase 0). Sagittal joint curves after Perry & Burnfield's normal gait."""
    a = ctx.amp
    for side, offset in (("left", 0.0), ("right", math.pi)):
        p = ctx.phase + offset
        hip = 10.0 + 21.0 * a * torch.cos(p - 2 * math.pi * 0.87)  # +31 late swing .. -11 terminal stance
        knee = 5.0 + 12.0 * a * bump(p, 0.13, 8.0) + 55.0 * a * bump(p, 0.72, 4.0)  # loading, then swing peak
        ankle = 2.0 - 5.0 * bump(p, 0.06, 20.0) + 10.0 * a * bump(p, 0.43, 8.0) - 18.0 * a * bump(p, 0.62, 20.0)
        body.leg(side, hip, knee, ankle, hip_abduct_deg=2.0)
    _gait_trunk(body, ctx, lean_deg=3.0, scale=1.0)
    _swing_arms(body, ctx, swing_deg=ctx.params["arm_swing_deg"], elbow_deg=ctx.params["elbow_deg"], peak=0.87)
    stride = ctx.params["stride_m"] * a.sqrt()
    # Slowest at mid-stance (the body's highest point), fastest at double support: the inverted pendulum.
    body.speed = stride * ctx.freq * (1 + 0.06 * torch.cos(2 * ctx.phase))
    body.offset[:, 1] = -0.022 * a * torch.cos(2 * ctx.phase)  # lowest at heel strikes
    body.offset[:, 0] = 0.02 * a * torch.sin(ctx.phase)  # over the stance foot
    body.yaw_wander = 3.0 * DEG * ctx.noise(1, max_hz=0.12, min_hz=0.03)[:, 0]


def _hop_height(fraction: Tensor, flight: float, period_s: float) -> tuple[Tensor, Tensor]:
    """Vertical root motion of repeated hops: a ballistic flight and a stance with a half-sine ground force.

    In stance the ground reaction force rises from zero and falls back to zero as a half sine whose impulse
    carries the body weight over the whole hop (peak ``pi T / (2 T_contact)`` body weights, ~2.2 for running), so
    the vertical acceleration is continuous: -g in the air and at touch-down, up to a few g at mid-stance.

    Args:
        fraction: ``(T,)`` position in the hop cycle, stance from 0 (touch-down) to ``1 - flight`` (take-off).
        flight: fraction of the hop in the air.
        period_s: nominal hop period (s).

    Returns:
        ``(T,)`` height (m), 0 at touch-down and take-off, and ``(T,)`` stance depth normalised to [0, 1].
    """
    g = STANDARD_GRAVITY_MPS2
    contact_s, flight_s = (1.0 - flight) * period_s, flight * period_s
    v0 = g * flight_s / 2  # take-off speed of a flight lasting flight_s
    peak = g * math.pi * period_s / (2 * contact_s)  # peak ground force per unit mass

    def stance(tau: Tensor) -> Tensor:
        w = math.pi / contact_s
        return -v0 * tau + peak / w * (tau - torch.sin(w * tau) / w) - 0.5 * g * tau**2

    in_contact = fraction < 1.0 - flight
    tau_c = (fraction * period_s).clamp(max=contact_s)
    tau_f = ((fraction - (1.0 - flight)) * period_s).clamp_min(0)
    height = torch.where(in_contact, stance(tau_c), v0 * tau_f - 0.5 * g * tau_f**2)
    deepest = -stance(torch.tensor(contact_s / 2, dtype=_DTYPE))
    return height, torch.where(in_contact, (-height / deepest).clamp(0, 1), torch.zeros_like(height))


def _running(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Running gait from left foot strike: a flight phase each step, knees to ~100 deg in swing, arms bent ~90."""
    a, flight = ctx.amp, ctx.params["flight_fraction"]
    contact_gait = (1 - flight) / 2  # stance as a fraction of the gait cycle
    for side, offset in (("left", 0.0), ("right", math.pi)):
        p = ctx.phase + offset
        hip = 14.0 + 28.0 * a * torch.cos(p - 2 * math.pi * 0.85)
        knee = 12.0 + 28.0 * a * bump(p, contact_gait / 2, 12.0) + 90.0 * a * bump(p, 0.68, 4.0)
        ankle = 12.0 * bump(p, contact_gait / 2, 12.0) - 22.0 * a * bump(p, contact_gait + 0.03, 14.0) + 3.0
        body.leg(side, hip, knee, ankle, hip_abduct_deg=1.0)
    _gait_trunk(body, ctx, lean_deg=8.0, scale=1.3)
    _swing_arms(body, ctx, swing_deg=ctx.params["arm_swing_deg"], elbow_deg=ctx.params["elbow_deg"], peak=0.85)
    hop = torch.remainder(2 * ctx.phase / (2 * math.pi), 1.0)  # two steps per gait cycle
    height, _ = _hop_height(hop, flight, 1.0 / (2 * ctx.cycle_hz))
    body.offset[:, 1] = height
    body.offset[:, 0] = 0.012 * a * torch.sin(ctx.phase)
    body.speed = ctx.params["stride_m"] * a.sqrt() * ctx.freq
    body.yaw_wander = 3.0 * DEG * ctx.noise(1, max_hz=0.12, min_hz=0.03)[:, 0]


def _climbing_stairs(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Stair ascent, one step per stair: large hip and knee flexion, the body rising one riser per step."""
    a = ctx.amp
    for side, offset in (("left", 0.0), ("right", math.pi)):
        p = ctx.phase + offset
        hip = 33.0 + 30.0 * a * torch.cos(p - 2 * math.pi * 0.9)  # ~63 at foot placement, ~3 at push-off
        knee = 10.0 + 55.0 * a * bump(p, 0.02, 3.0) + 85.0 * a * bump(p, 0.72, 2.5)
        ankle = 8.0 * bump(p, 0.15, 6.0) - 15.0 * bump(p, 0.55, 12.0)
        body.leg(side, hip, knee, ankle, hip_abduct_deg=3.0)
    _gait_trunk(body, ctx, lean_deg=12.0, scale=0.8)
    _swing_arms(body, ctx, swing_deg=10.0, elbow_deg=25.0, peak=0.9)
    steps = 2 * (ctx.phase - ctx.phase[0])  # step phase since the first frame
    riser, going = ctx.params["riser_m"], ctx.params["going_m"]
    # Each step lifts the body one riser, mostly during single support: a ramp with a per-step ripple.
    body.climb = riser * (steps - 0.5 * (torch.sin(2 * ctx.phase) - torch.sin(2 * ctx.phase[0]))) / (2 * math.pi)
    body.speed = 2 * going * ctx.freq * (1 - 0.3 * torch.cos(2 * ctx.phase))
    body.offset[:, 0] = 0.025 * torch.sin(ctx.phase)


# ---------------------------------------------------------------------------------------------------- still postures


def _standing(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Quiet standing: postural sway (weight shifts, not stepping) and breathing (the cycle is one breath)."""
    _stand(body, ctx)
    shift = 0.012 * ctx.noise(2, max_hz=0.25, min_hz=0.03)  # centre-of-pressure sway, about a centimetre
    body.offset[:, 0], body.offset[:, 2] = shift[:, 0], 0.5 * shift[:, 1]
    # The feet stay put: a sideways pelvis shift adducts the leg on its side and abducts the other, a forward
    # shift tilts both legs forward (hips extend, ankles dorsiflex). 0.85 m: hip to floor.
    lean, tilt = shift[:, 0] / 0.85 / DEG, 0.5 * shift[:, 1] / 0.85 / DEG
    body.leg("left", 2.0 - tilt, 4.0, 2.0 + tilt, hip_abduct_deg=3.0 - lean)
    body.leg("right", 2.0 - tilt, 4.0, 2.0 + tilt, hip_abduct_deg=3.0 + lean)
    if ctx.params["arms"] == "clasped":
        for side in ("left", "right"):
            body.arm_reach(side, _vec(-0.15, -0.45, 0.12, ctx.frames), (0.6, -0.2, -1.0), pronation_deg=60.0)
    else:
        _hang_arms(body, ctx)
    body.head(flex_deg=3.0 * ctx.noise(1, max_hz=0.3)[:, 0], twist_deg=6.0 * ctx.noise(1, max_hz=0.2)[:, 0])
    # Idle hands: people standing still shift and fidget (real "standing" wrist gyroscopes read ~0.5 rad/s).
    for joint, deg in (("left_shoulder", 3.0), ("right_shoulder", 3.0), ("left_elbow", 5.0), ("right_elbow", 5.0)):
        body.compose(_J[joint], axis_angle_to_matrix(deg * DEG * ctx.noise(3, max_hz=0.8, min_hz=0.1)))
    _breathing(body, ctx)


def _sitting(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Sitting on a chair, hands resting on the thighs, small shifts of trunk and head (the cycle is a breath)."""
    _sit(body, ctx, trunk_lean_deg=2.0 * ctx.noise(1, max_hz=0.15)[:, 0])
    _hands_on_lap(body, ctx)
    body.head(flex_deg=5.0 + 4.0 * ctx.noise(1, max_hz=0.3)[:, 0], twist_deg=8.0 * ctx.noise(1, max_hz=0.2)[:, 0])
    _breathing(body, ctx)


# ---------------------------------------------------------------------------------------------------- gestures


def _waving(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Waving hello: upper arm raised forward and out, forearm up, palm forward, swung side to side by turning the
    upper arm about its axis (which moves the hand medially and laterally)."""
    swing = torch.sin(ctx.phase) * ctx.amp
    body.arm_angles(
        "right",
        ctx.params["elevation_deg"],
        20.0,
        95.0 - 8.0 * swing,  # opening the elbow a little on the way out keeps the hand's path level
        external_rotation_deg=25.0 + 25.0 * swing,
        pronation_deg=85.0,
        wrist_deviation_deg=12.0 * swing,
    )
    _hang_arms(body, ctx, sides=("left",))
    _stand(body, ctx)
    body.spine(flex_deg=1.0, bend_deg=-2.0)
    body.head(twist_deg=-8.0)


def _clapping(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Clapping in front of the chest; the hands meet with a brief, sharp deceleration (the clap)."""
    eps = 0.15  # softens the turn-around at the clap: a finite, large deceleration instead of a kink
    opening = (torch.sqrt(torch.sin(ctx.phase / 2) ** 2 + eps**2) - eps) / (math.sqrt(1 + eps**2) - eps)
    spread = ctx.params["spread_m"] * ctx.amp * opening
    for side in ("left", "right"):
        target = _vec(-0.135 + spread, -0.14 + 0.02 * opening, 0.30, ctx.frames)
        body.arm_reach(side, target, (0.6, -1.0, -0.3), pronation_deg=-10.0, wrist_flex_deg=-20.0)
    _posture(body, ctx)


def _arm_circles(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Both arms held out sideways, tracing small circles together (forwards or backwards)."""
    radius = torch.tan(ctx.params["radius_deg"] * DEG * ctx.amp)
    sense = 1.0 if ctx.params["direction"] == "forward" else -1.0
    for side in ("left", "right"):
        direction = _vec(1.0, radius * torch.sin(ctx.phase), sense * radius * torch.cos(ctx.phase), ctx.frames)
        body.arm(side, shoulder_from_direction(direction, 0.0), 5.0)
    _stand(body, ctx)


def _jumping_jacks(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Jumping jacks: jump feet apart while the arms sweep overhead, jump back; two hops per cycle."""
    flight = ctx.params["flight_fraction"]
    hop = torch.remainder(2 * ctx.phase / (2 * math.pi), 1.0)
    height, dip = _hop_height(hop, flight, 1.0 / (2 * ctx.cycle_hz))
    # Open (arms up, feet apart) half a cycle after closed, centred on the middle of the landing.
    opening = 0.5 * (1 - torch.cos(ctx.phase - math.pi * (1 - flight) / 2))
    a = ctx.amp
    top = soft_max_limit(ctx.params["arm_top_deg"] * a, 172.0, 3.0)
    apex = STANDARD_GRAVITY_MPS2 * (flight / (2 * ctx.cycle_hz)) ** 2 / 8
    airborne = height.clamp_min(0) / apex  # the toes point down in the air
    for side in ("left", "right"):
        knee = 6.0 + 28.0 * dip
        body.leg(side, 3.0 + 14.0 * dip, knee, 10.0 * dip - 15.0 * airborne, 3.0 + 13.0 * opening)
        body.arm_angles(side, 15.0 + (top - 15.0) * opening, 85.0, 15.0, external_rotation_deg=50.0 * opening)
    body.root(pitch_deg=4.0 * dip)
    body.spine(flex_deg=3.0 * dip)
    body.offset[:, 1] = height


def _squats(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Bodyweight squats to about thigh-parallel; arms raised forward for balance as the hips go down."""
    depth = rise(ctx.phase) * ctx.amp
    thigh = 5.0 + (ctx.params["depth_deg"] * ctx.amp).clamp(max=95.0) * rise(ctx.phase)
    body.crouch(thigh, 5.0 + 25.0 * depth, pelvis_pitch_deg=25.0 * depth, knees_out_deg=10.0 * depth)
    body.spine(flex_deg=12.0 * depth)
    body.head(flex_deg=-15.0 * depth)
    for side in ("left", "right"):
        body.arm_angles(side, 10.0 + 75.0 * depth, 15.0, 10.0, pronation_deg=60.0)


def _punching(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Boxing combination: left jab then right cross from a guard, the trunk turning into each punch."""
    guard, reach = torch.tensor([-0.05, 0.05, 0.20], dtype=_DTYPE), ctx.params["reach_m"]
    strike = torch.tensor([-0.13, 0.03, reach], dtype=_DTYPE)
    # Each punch goes out and back in about a fifth of the cycle (~0.2 s).
    pulses = {"left": bump(ctx.phase, 0.25, 4.5), "right": bump(ctx.phase, 0.75, 4.5)}
    for side, pulse in pulses.items():
        extend = (pulse * ctx.amp.clamp(max=1.0))[:, None]  # amp varies slowly: clamping it is smooth
        body.arm_reach(
            side, guard + extend * (strike - guard), (0.4, -1.0, -0.2), pronation_deg=10.0 + 75.0 * extend[:, 0]
        )
    twist = 18.0 * (pulses["right"] - pulses["left"])  # the chest turns left to throw the right hand
    body.spine(flex_deg=6.0, twist_deg=twist)
    body.head(twist_deg=-0.6 * twist)
    for side in ("left", "right"):
        body.leg(side, 12.0, 20.0, 10.0, hip_abduct_deg=6.0)
    body.root(pitch_deg=5.0, yaw_deg=0.3 * twist)
    body.offset[:, 1] = -0.03


# Overhead stroke keyframes (cycle fraction): ready 0-0.2, cocked 0.36, impact 0.47, follow-through 0.57,
# recovery 0.77. Channels: racket arm elevation, plane, external rotation, elbow flexion, pronation; trunk twist
# and flexion; knee flexion; elevation of the free arm (raised to track the shuttle, then pulled down). The stroke
# is rotation-heavy (humeral rotation and forearm pronation whip the racket) with a compact arm path: a full
# smash arc gave twice the wrist acceleration of real smartwatch badminton recordings (BasicMotions).
_SMASH_KNOTS = (0.0, 0.2, 0.36, 0.47, 0.57, 0.77)
_SMASH_KEYS = (
    (60, 40, 15, 80, 15, 0, 6, 15, 30),
    (62, 45, 25, 85, -10, -3, 5, 18, 50),
    (90, 65, 95, 95, -70, -12, 1, 25, 120),
    (115, 35, 5, 45, 60, 6, 6, 10, 70),
    (80, 10, -35, 60, 95, 14, 12, 22, 25),
    (62, 30, 0, 75, 30, 5, 8, 15, 25),
)


def _overhead_racket_swing(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Badminton overhead stroke (clear / smash): ready, cock the racket behind the shoulder, strike high in front
    with fast internal rotation and pronation, follow through across the body, recover."""
    knots, keys = _SMASH_KNOTS, _SMASH_KEYS
    k = keyframes(ctx.fraction, knots, keys)
    a = ctx.amp
    elevation, plane, rot, elbow, pron, twist, flex, knee, free = (k[:, i] for i in range(9))
    body.arm_angles("right", elevation * a.clamp(max=170.0 / 165.0), plane, elbow, rot * a, pron, wrist_flex_deg=-20.0)
    body.arm_angles("left", free, 30.0, 30.0, pronation_deg=40.0)
    body.spine(flex_deg=flex, twist_deg=twist * a)
    body.root(yaw_deg=0.5 * twist * a)
    body.head(flex_deg=-25.0 + 0.5 * flex, twist_deg=-0.7 * twist * a)
    for side in ("left", "right"):
        body.leg(side, 0.6 * knee, knee, 0.5 * knee, hip_abduct_deg=8.0)
    body.offset[:, 1] = -0.004 * (knee - 15.0)  # bending the knees lowers the body


# ---------------------------------------------------------------------------------------------------- daily living


def _drinking(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Sipping from a cup: lift it from table or waist height to the mouth, tip it, put it back (a sip a cycle)."""
    knots = (0.0, 0.15, 0.35, 0.45, 0.55, 0.65, 0.85)
    keys = ((0, 0), (0, 0), (1, 0), (1, 1), (1, 1), (1, 0), (0, 0))
    reach, tip = keyframes(ctx.fraction, knots, keys).unbind(-1)
    rest = torch.tensor([-0.04, -0.30, 0.28] if ctx.posture == "sitting" else [-0.02, -0.33, 0.24], dtype=_DTYPE)
    mouth = torch.tensor(_MOUTH_FROM_SHOULDER, dtype=_DTYPE) + torch.tensor([0.06, -0.08, 0.09], dtype=_DTYPE)
    target = rest + reach[:, None] * (mouth - rest)
    body.arm_reach("right", target, (0.7, -1.0, -0.1), pronation_deg=-15.0 * tip, wrist_flex_deg=-15.0 * tip)
    _posture(body, ctx)
    if ctx.posture == "sitting":
        _hands_on_lap(body, ctx, sides=("left",))
    else:
        _hang_arms(body, ctx, sides=("left",))
    body.head(flex_deg=5.0 - 20.0 * tip * ctx.amp)


def _brushing_teeth(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Brushing teeth: the hand in front of the mouth scrubbing side to side, moving between regions."""
    scrub = 0.02 * ctx.amp * torch.sin(ctx.phase)
    region = ctx.noise(3, max_hz=0.15, min_hz=0.04)  # slow moves between left, front and right teeth
    target = torch.tensor([0.0, 0.07, 0.27], dtype=_DTYPE) + _vec(
        scrub + 0.04 * region[:, 0], 0.015 * region[:, 1], 0.0, ctx.frames
    )
    body.arm_reach("right", target, (0.7, -1.0, 0.1), pronation_deg=35.0 + 35.0 * region[:, 2], wrist_flex_deg=10.0)
    _hang_arms(body, ctx, sides=("left",))
    _stand(body, ctx)
    body.spine(flex_deg=8.0)
    body.head(flex_deg=5.0, twist_deg=5.0 * region[:, 0])


def _stirring(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Stirring a pot: the hand circles over the pot at waist height while the other hand holds its handle."""
    radius = ctx.params["radius_m"] * ctx.amp
    circle = _vec(radius * torch.cos(ctx.phase), 0.0, radius * torch.sin(ctx.phase), ctx.frames)
    center = torch.tensor([-0.10, -0.32, 0.30], dtype=_DTYPE)
    body.arm_reach("right", center + circle, (0.5, -1.0, -0.5), pronation_deg=25.0, wrist_flex_deg=15.0)
    body.arm_reach("left", _vec(-0.02, -0.36, 0.26, ctx.frames), (0.5, -1.0, -0.5), pronation_deg=60.0)
    _stand(body, ctx)
    body.spine(flex_deg=12.0, twist_deg=-4.0)
    body.head(flex_deg=25.0)


def _lifting(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Lifting a box from the floor to the waist, holding it, and putting it back down (one lift a cycle)."""
    knots = (0.0, 0.08, 0.25, 0.32, 0.5, 0.6, 0.78, 0.85)
    keys = ((0, 0), (0, 0), (1, 0), (1, 0.15), (0, 1), (0, 1), (1, 0.15), (1, 0))
    depth, hold = keyframes(ctx.fraction, knots, keys).unbind(-1)
    depth = depth * ctx.amp.clamp(max=1.1)
    if ctx.params["style"] == "squat":  # legs bend, back stays fairly straight
        thigh, shank, pelvis, trunk = 95.0 * depth, 28.0 * depth, 30.0 * depth, 30.0 * depth
    else:  # stoop: legs nearly straight, the back bends
        thigh, shank, pelvis, trunk = 12.0 * depth, 12.0 * depth, 55.0 * depth, 40.0 * depth
    body.crouch(thigh, shank, pelvis_pitch_deg=pelvis)
    body.spine(flex_deg=trunk)
    body.head(flex_deg=10.0 - 0.4 * trunk)
    chest_pitch = pelvis + trunk  # arms reaching straight down to the box must flex this much at the shoulder
    flex = chest_pitch + 25.0 * hold * (1 - depth)
    elbow = 12.0 + 70.0 * hold * (1 - depth)
    for side in ("left", "right"):
        direction = flex_abduct_direction(flex, 6.0 + 8.0 * hold)  # hands apart around the box
        body.arm(side, shoulder_from_direction(direction, 0.0), elbow, pronation_deg=-10.0)


# ---------------------------------------------------------------------------------------------------- exercises


def _shoulder_abduction(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Lateral arm raise with a straight elbow, thumb turning up (external rotation) as the arm goes overhead."""
    # Limit the slowly varying range, not the angle itself: saturating a fast motion would jerk it.
    elevation = 10.0 + (ctx.params["range_deg"] * ctx.amp).clamp(max=160.0) * rise(ctx.phase)
    external = 45.0 * smoothstep((elevation - 60.0) / 90.0)
    body.arm_angles("right", elevation, 88.0, 6.0, external_rotation_deg=external)
    _hang_arms(body, ctx, sides=("left",))
    _stand(body, ctx)


def _shoulder_flexion(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Forward arm raise with a straight elbow, thumb up, from the side to overhead and back."""
    # Limit the slowly varying range, not the angle itself: saturating a fast motion would jerk it.
    elevation = 10.0 + (ctx.params["range_deg"] * ctx.amp).clamp(max=160.0) * rise(ctx.phase)
    body.arm_angles("right", elevation, 8.0, 6.0, external_rotation_deg=10.0)
    _hang_arms(body, ctx, sides=("left",))
    _stand(body, ctx)
    body.spine(flex_deg=-3.0 * rise(ctx.phase))  # a little back extension at the top


def _pendulum(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Codman pendulum: bent forward, the other hand on a table, the relaxed arm hanging and circling slowly."""
    pitch = ctx.params["trunk_pitch_deg"]
    pelvis, trunk = 0.6 * pitch, 0.4 * pitch
    body.root(pitch_deg=pelvis)
    for side in ("left", "right"):
        body.leg(side, pelvis + 10.0, 15.0, 5.0, hip_abduct_deg=6.0)
    body.spine(flex_deg=trunk)
    body.head(flex_deg=-0.5 * pitch)
    down = _vec(0.0, -math.cos(pitch * DEG), math.sin(pitch * DEG), ctx.frames)  # world down in the chest frame
    forward = _vec(0.0, math.sin(pitch * DEG), math.cos(pitch * DEG), ctx.frames)
    lateral = _vec(1.0, 0.0, 0.0, ctx.frames)
    radius = math.tan(ctx.params["radius_deg"] * DEG) * ctx.amp[:, None]
    sense = 1.0 if ctx.params["direction"] == "clockwise" else -1.0
    circle = radius * (torch.sin(ctx.phase)[:, None] * sense * lateral + torch.cos(ctx.phase)[:, None] * forward)
    body.arm("right", shoulder_from_direction(_normalize(down + circle), 0.0), 8.0)
    body.arm("left", shoulder_from_direction(_normalize(down + 0.45 * forward), 0.0), 5.0, pronation_deg=80.0)


def _upright_row(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Upright row: a bar pulled from the thighs to the collarbones, elbows leading up and out."""
    lift = rise(ctx.phase) * ctx.amp.clamp(max=1.1)
    bottom = torch.tensor([-0.09, -0.49, 0.10], dtype=_DTYPE)
    top = torch.tensor([-0.10, -0.02, 0.12], dtype=_DTYPE)
    target = bottom + lift[:, None] * (top - bottom)
    for side in ("left", "right"):
        # Overhand grip: palms to the thighs at the bottom, down when the forearms are level.
        body.arm_reach(
            side, target, (1.0, 0.3, -0.4), pronation_deg=85.0 * lift.clamp(max=1.0), wrist_flex_deg=20.0 * lift
        )
    _stand(body, ctx)


def _external_rotation(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Shoulder external rotation (band exercise): elbow at the side bent 90 deg, the forearm swings outwards."""
    rotation = -15.0 + ctx.params["range_deg"] * ctx.amp * rise(ctx.phase)
    body.arm_angles("right", 12.0, 75.0, 90.0, external_rotation_deg=rotation)
    _hang_arms(body, ctx, sides=("left",))
    _stand(body, ctx)


def _bicep_curl(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Dumbbell curl: palm up, the elbow flexes from straight to ~135 deg with the upper arm kept at the side."""
    curl = rise(ctx.phase) * ctx.amp
    elbow = 10.0 + (ctx.params["range_deg"] * ctx.amp).clamp(max=135.0) * rise(ctx.phase)
    body.arm_angles("right", 6.0 + 10.0 * curl, 20.0, elbow, pronation_deg=-80.0)
    _hang_arms(body, ctx, sides=("left",))
    _stand(body, ctx)


def _sit_to_stand(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Repeated chair stands with the arms crossed over the chest (the 30-second chair stand test)."""
    knots = (0.0, 0.1, 0.22, 0.38, 0.55, 0.68, 0.8, 0.9)
    keys = ((0, 0), (0, 0), (0.1, 1), (1, 0.1), (1, 0), (0.6, 0.7), (0.05, 0.4), (0, 0))
    stand, lean = keyframes(ctx.fraction, knots, keys).unbind(-1)
    seated = 1 - stand
    lean = lean * ctx.amp
    body.crouch(88.0 * seated, 6.0 * seated + 14.0 * lean * seated, pelvis_pitch_deg=-8.0 * seated + 28.0 * lean)
    body.spine(flex_deg=8.0 * seated + 12.0 * lean)
    body.head(flex_deg=-10.0 * lean)
    for side in ("left", "right"):
        body.arm_reach(side, _vec(-0.27, -0.06, 0.12, ctx.frames), (0.5, -1.0, 0.0), pronation_deg=80.0)


# ---------------------------------------------------------------------------------------------------- desk work


def _typing(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Typing at a desk: forearms level, palms down, small quick hand motions over the keys."""
    _sit(body, ctx, trunk_lean_deg=6.0)
    for side in ("left", "right"):
        # Keystrokes: the fingers travel ~4 mm, the wrist well under a millimetre.
        keys = 0.0007 * ctx.noise(3, max_hz=ctx.cycle_hz * 1.3, min_hz=ctx.cycle_hz * 0.7)
        reach = 0.015 * ctx.noise(3, max_hz=0.4, min_hz=0.05)  # moving over the keyboard
        target = torch.tensor([-0.06, -0.24, 0.32], dtype=_DTYPE) + keys * ctx.amp[:, None] + reach
        body.arm_reach(side, target, (0.3, -1.0, -0.5), pronation_deg=85.0, wrist_flex_deg=-15.0)
    body.head(flex_deg=12.0 + 3.0 * ctx.noise(1, max_hz=0.3)[:, 0])


def _writing(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Writing with a pen at a desk: small loops (letters) drifting along a line, a return every line."""
    _sit(body, ctx, trunk_lean_deg=14.0)
    line_s = ctx.params["line_s"]
    line_pos = torch.remainder(ctx.t / line_s + ctx.params["line_start"], 1.0)
    # Along the line, then a quick return: smooth at both ends so the wrist does not jerk.
    along = keyframes(line_pos, (0.0, 0.9), ((0.0,), (1.0,)))[:, 0]
    loop = 0.003 * ctx.amp  # the pen draws ~1 cm letters mostly with the fingers; the wrist moves less
    strokes = _vec(loop * torch.cos(ctx.phase), 0.0, 0.7 * loop * torch.sin(ctx.phase), ctx.frames)
    target = torch.tensor([-0.16, -0.28, 0.30], dtype=_DTYPE) + _vec(0.12 * along, 0.0, 0.0, ctx.frames) + strokes
    body.arm_reach("right", target, (0.7, -1.0, -0.3), pronation_deg=55.0, wrist_flex_deg=-10.0)
    body.arm_reach("left", _vec(-0.12, -0.28, 0.30, ctx.frames), (0.6, -1.0, -0.4), pronation_deg=85.0)
    body.head(flex_deg=25.0)


# ---------------------------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class ActivitySpec:
    """One activity of the library.

    Attributes:
        name: registry key.
        generator: ``(PoseBuilder, GeneratorContext) -> None``; builds the right-handed variant.
        cycle_hz: default range of the cycle frequency (Hz), drawn uniformly.
        cycle: what one cycle is (e.g. "gait cycle (two steps)").
        amplitude: default range of the amplitude factor.
        duration_s: default range of the duration (s).
        captions: caption templates; fields ``{hand}``, ``{other_hand}``, ``{speed_word}``, ``{speed_adj}``,
            ``{posture}`` and any generator parameter.
        one_handed: whether one hand does the activity (captions then name it).
        postures: possible postures (the first is the default when ``posture`` is not drawn).
        params: extra generator parameters, each a ``(low, high)`` range drawn uniformly or a tuple of choices.
        speed_words: adverbs for the slow, middle and fast third of ``cycle_hz``.
    """

    name: str
    generator: Callable[[PoseBuilder, GeneratorContext], None]
    cycle_hz: tuple[float, float]
    cycle: str
    captions: tuple[str, ...]
    amplitude: tuple[float, float] = (0.85, 1.15)
    duration_s: tuple[float, float] = (4.0, 12.0)
    one_handed: bool = False
    postures: tuple[str, ...] = ("standing",)
    params: dict[str, tuple[float, float] | tuple[str, ...]] = field(default_factory=dict)
    speed_words: tuple[str, str, str] = ("slowly", "at a steady pace", "quickly")


ACTIVITIES: dict[str, ActivitySpec] = {}


def register_activity(spec: ActivitySpec) -> ActivitySpec:
    """Adds (or replaces) an activity in :data:`ACTIVITIES`; returns it."""
    if len(spec.captions) < 1:
        raise ValueError(f"activity {spec.name!r} needs at least one caption template")
    ACTIVITIES[spec.name] = spec
    return spec


def _register_defaults() -> None:
    specs = [
        ActivitySpec(
            "walking", _walking, (0.8, 1.0), "gait cycle (two steps)",
            ("a person walks forward {speed_word}", "someone is walking {speed_word}",
             "a person takes a {speed_adj} walk", "walking straight ahead at a {speed_adj} pace"),
            params={"stride_m": (1.35, 1.55), "arm_swing_deg": (9.0, 16.0), "elbow_deg": (18.0, 30.0)},
            speed_words=("slowly", "at a normal pace", "briskly"),
        ),
        ActivitySpec(
            "running", _running, (1.25, 1.55), "gait cycle (two steps)",
            ("a person runs forward {speed_word}", "someone is running {speed_word}", "a person goes for a run",
             "jogging ahead at a {speed_adj} pace"),
            params={"stride_m": (2.0, 2.3), "arm_swing_deg": (28.0, 40.0), "elbow_deg": (75.0, 95.0),
                    "flight_fraction": (0.25, 0.4)},
            speed_words=("at an easy jog", "at a steady pace", "fast"),
        ),
        ActivitySpec(
            "climbing_stairs", _climbing_stairs, (0.7, 0.9), "gait cycle (two stairs)",
            ("a person walks up the stairs", "someone climbs a flight of stairs {speed_word}",
             "a person goes upstairs", "walking up steps at a {speed_adj} pace"),
            params={"riser_m": (0.15, 0.19), "going_m": (0.25, 0.3)},
        ),
        ActivitySpec(
            "standing", _standing, (0.2, 0.33), "breath",
            ("a person stands still", "someone is standing in place", "a person stands quietly and waits",
             "standing upright without moving much"),
            params={"arms": ("sides", "sides", "clasped")},
        ),
        ActivitySpec(
            "sitting", _sitting, (0.2, 0.33), "breath",
            ("a person sits on a chair", "someone is sitting still", "a person sits quietly with hands on the lap",
             "sitting down and resting"),
            postures=("sitting",),
        ),
        ActivitySpec(
            "waving", _waving, (1.2, 2.5), "wave (out and back)",
            ("a person waves with the {hand} hand", "someone raises the {hand} hand and waves hello",
             "a person waves goodbye with their {hand} arm", "waving the {hand} hand {speed_word}"),
            one_handed=True, params={"elevation_deg": (80.0, 105.0)},
        ),
        ActivitySpec(
            "clapping", _clapping, (1.5, 3.0), "clap",
            ("a person claps their hands", "someone is clapping {speed_word}", "a person applauds",
             "clapping hands in front of the chest while {posture}"),
            postures=("standing", "sitting"), params={"spread_m": (0.06, 0.12)},
        ),
        ActivitySpec(
            "arm_circles", _arm_circles, (0.6, 1.2), "circle",
            ("a person makes {direction} arm circles", "someone circles both outstretched arms {speed_word}",
             "a person holds the arms out to the sides and rotates them in small circles",
             "doing {direction} arm circles"),
            params={"radius_deg": (12.0, 25.0), "direction": ("forward", "backward")},
        ),
        ActivitySpec(
            "jumping_jacks", _jumping_jacks, (0.8, 1.3), "jack (out and in)",
            ("a person does jumping jacks", "someone performs jumping jacks {speed_word}",
             "a person jumps, spreading the legs and clapping the hands overhead", "doing star jumps"),
            params={"arm_top_deg": (150.0, 172.0), "flight_fraction": (0.3, 0.45)},
        ),
        ActivitySpec(
            "squats", _squats, (0.25, 0.5), "squat (down and up)",
            ("a person does squats", "someone squats down and stands up again {speed_word}",
             "a person performs bodyweight squats with the arms forward", "doing deep knee bends"),
            params={"depth_deg": (70.0, 90.0)},
        ),
        ActivitySpec(
            "punching", _punching, (0.7, 1.3), "jab-cross combination",
            ("a person throws punches", "someone is boxing, alternating jabs and crosses",
             "a person punches the air with both fists {speed_word}", "shadow boxing"),
            params={"reach_m": (0.44, 0.5)},
        ),
        ActivitySpec(
            "overhead_racket_swing", _overhead_racket_swing, (0.4, 0.7), "swing and recovery",
            ("a person plays badminton, smashing overhead with the {hand} hand",
             "someone swings a racket over their head with the {hand} arm",
             "a person hits a tennis serve with the {hand} hand", "overhead racket smashes, {hand}-handed"),
            one_handed=True, duration_s=(6.0, 14.0),
        ),
        ActivitySpec(
            "drinking", _drinking, (0.1, 0.2), "sip",
            ("a person drinks from a cup with the {hand} hand",
             "someone takes a sip holding a glass in the {hand} hand",
             "a person lifts a cup to the mouth and drinks while {posture}", "drinking with the {hand} hand"),
            one_handed=True, postures=("standing", "sitting"), duration_s=(8.0, 20.0),
        ),
        ActivitySpec(
            "brushing_teeth", _brushing_teeth, (2.0, 4.0), "brush stroke (back and forth)",
            ("a person brushes their teeth with the {hand} hand", "someone is brushing teeth {speed_word}",
             "a person scrubs the teeth with a toothbrush in the {hand} hand", "brushing teeth, {hand}-handed"),
            one_handed=True,
        ),
        ActivitySpec(
            "stirring", _stirring, (0.8, 1.8), "stir (one circle)",
            ("a person stirs a pot with the {hand} hand", "someone is stirring food {speed_word}",
             "a person stirs with a spoon in the {hand} hand while holding the pot",
             "stirring in circles with the {hand} hand"),
            one_handed=True, params={"radius_m": (0.04, 0.08)},
        ),
        ActivitySpec(
            "lifting", _lifting, (0.09, 0.16), "lift, hold and put down",
            ("a person lifts a box from the floor", "someone picks up a box, holds it and puts it back down",
             "a person bends down, lifts a heavy box to the waist and sets it down again",
             "lifting an object off the ground with both hands"),
            duration_s=(10.0, 22.0), params={"style": ("squat", "stoop")},
        ),
        ActivitySpec(
            "shoulder_abduction", _shoulder_abduction, (0.25, 0.6), "raise and lower",
            ("a person raises the {hand} arm sideways and lowers it", "someone does lateral raises with the {hand} arm",
             "shoulder abduction exercise with the {hand} arm",
             "a person lifts the {hand} arm out to the side {speed_word}"),
            one_handed=True, params={"range_deg": (100.0, 160.0)},
        ),
        ActivitySpec(
            "shoulder_flexion", _shoulder_flexion, (0.25, 0.6), "raise and lower",
            ("a person raises the {hand} arm forward and overhead", "someone does front raises with the {hand} arm",
             "shoulder flexion exercise with the {hand} arm",
             "a person lifts the straight {hand} arm forward {speed_word}"),
            one_handed=True, params={"range_deg": (110.0, 160.0)},
        ),
        ActivitySpec(
            "pendulum", _pendulum, (0.5, 0.9), "circle",
            ("a person leans forward and lets the {hand} arm swing in small circles",
             "someone does pendulum exercises with the {hand} arm",
             "bent over, a person circles the hanging {hand} arm {speed_word}",
             "codman pendulum exercise for the {hand} shoulder"),
            one_handed=True, params={"trunk_pitch_deg": (55.0, 80.0), "radius_deg": (8.0, 16.0),
                                     "direction": ("clockwise", "counterclockwise")},
        ),
        ActivitySpec(
            "upright_row", _upright_row, (0.25, 0.5), "pull and lower",
            ("a person does upright rows", "someone pulls a bar up to the chest with both hands {speed_word}",
             "a person lifts the hands from the thighs to the chest, elbows high", "upright row exercise"),
        ),
        ActivitySpec(
            "external_rotation", _external_rotation, (0.3, 0.6), "rotate out and back",
            ("a person rotates the {hand} forearm outwards with the elbow at the side",
             "someone does external rotation exercises with the {hand} arm",
             "shoulder external rotation with a band, {hand} arm",
             "a person swings the bent {hand} forearm out and in"),
            one_handed=True, params={"range_deg": (60.0, 90.0)},
        ),
        ActivitySpec(
            "bicep_curl", _bicep_curl, (0.3, 0.6), "curl up and down",
            ("a person does bicep curls with the {hand} arm", "someone curls a dumbbell in the {hand} hand",
             "a person bends the {hand} elbow lifting a weight {speed_word}", "arm curls with the {hand} hand"),
            one_handed=True, params={"range_deg": (115.0, 135.0)},
        ),
        ActivitySpec(
            "sit_to_stand", _sit_to_stand, (0.15, 0.3), "stand up and sit down",
            ("a person stands up from a chair and sits back down", "someone does chair stands with arms crossed",
             "a person repeatedly rises from sitting to standing {speed_word}", "sit to stand exercise"),
            duration_s=(8.0, 16.0), postures=("sitting",),
        ),
        ActivitySpec(
            "typing", _typing, (3.0, 6.0), "keystroke",
            ("a person types on a keyboard", "someone sits at a desk typing {speed_word}",
             "a person is typing on a computer", "typing with both hands while seated"),
            postures=("sitting",),
        ),
        ActivitySpec(
            "writing", _writing, (2.5, 5.0), "pen stroke",
            ("a person writes with a pen in the {hand} hand", "someone sits at a desk writing notes",
             "a person writes on paper with the {hand} hand", "handwriting, {hand}-handed"),
            one_handed=True, postures=("sitting",), params={"line_s": (2.5, 4.5), "line_start": (0.0, 1.0)},
        ),
    ]  # fmt: skip
    for spec in specs:
        register_activity(spec)


_register_defaults()


def list_activities() -> list[str]:
    """Names of the registered activities, sorted."""
    return sorted(ACTIVITIES)


# ---------------------------------------------------------------------------------------------------- generation

_OVERRIDABLE = ("cycle_hz", "amplitude", "heading_rad", "phase_rad", "betas", "posture", "variability", "sway")


def generate_motion(
    activity: str,
    seed: int,
    *,
    duration_s: float | None = None,
    fps: float = 60.0,
    handedness: str | None = None,
    **overrides: Any,
) -> MotionSequence:
    """One generated, captioned SMPL motion of ``activity``.

    Args:
        activity: a name from :func:`list_activities`.
        seed: random seed; with the other arguments it fixes the result bit for bit.
        duration_s: length (s); random in the activity's range when ``None``.
        fps: frame rate (Hz).
        handedness: ``"left"`` or ``"right"``: the hand doing a one-handed activity (other activities are
            mirrored, which changes e.g. which fist leads); random when ``None``.
        **overrides: fix any randomised parameter: ``cycle_hz`` (Hz), ``amplitude`` (factor), ``heading_rad``,
            ``phase_rad`` (cycle phase at the first frame), ``betas`` (10 values), ``posture``, ``variability``
            (scale of the per-repetition variation of speed and amplitude, default 1, 0 = perfectly periodic),
            ``sway`` (scale of the natural postural noise, default 1), or an activity parameter (see
            ``ACTIVITIES[activity].params``).

    Returns:
        The :class:`MotionSequence` (float64, y up), with ``captions``, ``activity``, ``sequence_id`` and every
        chosen parameter in ``metadata``.
    """
    spec = _spec(activity)
    _check_arguments(spec, duration_s, fps, handedness, overrides)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(activity.encode())])
    # Draw every default in a fixed order, then apply the overrides, so fixing one parameter leaves the others.
    drawn: dict[str, Any] = {
        "cycle_hz": rng.uniform(*spec.cycle_hz),
        "amplitude": rng.uniform(*spec.amplitude),
        "duration_s": rng.uniform(*spec.duration_s),
        "handedness": "left" if rng.random() < 0.5 else "right",
        "heading_rad": rng.uniform(-math.pi, math.pi),
        "phase_rad": rng.uniform(0, 2 * math.pi),
        "betas": np.clip(rng.standard_normal(_BETAS), -2.0, 2.0),
        "posture": spec.postures[int(rng.integers(len(spec.postures)))],
        "variability": 1.0,
        "sway": 1.0,
    }
    params = {name: _draw(rng, choice) for name, choice in spec.params.items()}
    drawn.update({k: v for k, v in overrides.items() if k in drawn})
    params.update({k: v for k, v in overrides.items() if k in spec.params})
    if duration_s is not None:
        drawn["duration_s"] = duration_s
    if handedness is not None:
        drawn["handedness"] = handedness
    betas = np.asarray(drawn["betas"], dtype=np.float64).reshape(-1)
    frames = max(2, round(float(drawn["duration_s"]) * fps))
    ctx = _context(spec, rng, frames, fps, drawn, params)
    body = PoseBuilder(frames)
    spec.generator(body, ctx)
    _add_sway(body, ctx, float(drawn["sway"]))
    global_orient, body_pose, transl = _finish(body, ctx, drawn["handedness"] == "left", float(drawn["heading_rad"]))
    metadata = _metadata(spec, seed, fps, frames, drawn, betas, ctx)
    return MotionSequence(
        global_orient=global_orient,
        body_pose=body_pose,
        transl=transl,
        fps=float(fps),
        betas=torch.from_numpy(betas.copy()),
        captions=_captions(spec, rng, drawn, ctx),
        activity=activity,
        sequence_id=f"{activity}-{seed}",
        metadata=metadata,
    )


def sample_motions(
    num: int, seed: int, activities: Sequence[str] | None = None, **kwargs: Any
) -> Iterator[MotionSequence]:
    """``num`` motions cycling through ``activities`` (all when ``None``) in seeded random order.

    Each pass over the activities is a fresh shuffle, so any ``num`` is balanced to within one per activity. The
    per-motion seeds are drawn from ``seed``; ``kwargs`` go to :func:`generate_motion`.
    """
    names = list(activities) if activities is not None else list_activities()
    if not names:
        raise ValueError("activities must name at least one activity")
    for name in names:
        _spec(name)
    if num < 0:
        raise ValueError(f"num must be >= 0, got {num}")
    rng = np.random.default_rng(int(seed) & 0xFFFFFFFF)
    order: list[str] = []
    for _ in range(num):
        if not order:
            order = [names[i] for i in rng.permutation(len(names))]
        yield generate_motion(order.pop(0), int(rng.integers(0, 2**31 - 1)), **kwargs)


def _spec(activity: str) -> ActivitySpec:
    if activity not in ACTIVITIES:
        raise ValueError(f"Unknown activity {activity!r}; known activities: {', '.join(list_activities())}.")
    return ACTIVITIES[activity]


def _check_arguments(
    spec: ActivitySpec, duration_s: float | None, fps: float, handedness: str | None, overrides: dict[str, Any]
) -> None:
    if not (isinstance(fps, int | float) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive frame rate in Hz, got {fps!r}.")
    if duration_s is not None and not (math.isfinite(duration_s) and 0 < duration_s <= _MAX_DURATION_S):
        raise ValueError(f"duration_s must be in (0, {_MAX_DURATION_S:g}] seconds, got {duration_s!r}.")
    if handedness is not None and handedness not in ("left", "right"):
        raise ValueError(f"handedness must be 'left', 'right' or None, got {handedness!r}.")
    unknown = sorted(set(overrides) - set(_OVERRIDABLE) - set(spec.params))
    if unknown:
        allowed = sorted(set(_OVERRIDABLE) | set(spec.params))
        raise ValueError(f"Unknown parameters {unknown} for activity {spec.name!r}; allowed: {allowed}.")
    for name in ("cycle_hz", "amplitude"):
        value = overrides.get(name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive, got {value!r}.")
    if "posture" in overrides and overrides["posture"] not in spec.postures:
        raise ValueError(f"posture for {spec.name!r} must be one of {spec.postures}, got {overrides['posture']!r}.")
    if "betas" in overrides and np.asarray(overrides["betas"]).ndim != 1:
        raise ValueError("betas must be a 1-D list of shape coefficients.")


def _draw(rng: np.random.Generator, choice: tuple[float, float] | tuple[str, ...]) -> Any:
    if all(isinstance(c, str) for c in choice):
        return choice[int(rng.integers(len(choice)))]
    return float(rng.uniform(*choice))


def _context(
    spec: ActivitySpec, rng: np.random.Generator, frames: int, fps: float, drawn: dict[str, Any], params: dict
) -> GeneratorContext:
    """Time, phase and amplitude tracks with slow per-repetition variation."""
    t = torch.arange(frames, dtype=_DTYPE) / fps
    cycle_hz, amplitude, variability = float(drawn["cycle_hz"]), float(drawn["amplitude"]), float(drawn["variability"])
    # Cadence and amplitude drift over a few cycles (not within one), like a person's repetitions do.
    slow = min(0.25, cycle_hz / 3)
    freq = cycle_hz * (1 + 0.04 * variability * smooth_noise(rng, t, 1, max_hz=slow, min_hz=slow / 5)[:, 0])
    amp = amplitude * (1 + 0.06 * variability * smooth_noise(rng, t, 1, max_hz=slow, min_hz=slow / 5)[:, 0])
    phase = float(drawn["phase_rad"]) + 2 * math.pi * _cumulative(freq, fps)
    ctx = GeneratorContext(t, float(fps), cycle_hz, amplitude, phase, freq, amp, rng, str(drawn["posture"]))
    ctx.record(**params)
    return ctx


def _add_sway(body: PoseBuilder, ctx: GeneratorContext, scale: float) -> None:
    """Low-frequency natural variability on top of the activity: trunk, head and arm joints, root position."""
    if scale == 0:
        return
    joints_deg = {"spine1": 0.8, "spine2": 0.8, "spine3": 0.8, "neck": 1.5, "head": 2.0, "left_collar": 1.0,
                  "right_collar": 1.0, "left_shoulder": 2.0, "right_shoulder": 2.0, "left_elbow": 2.0,
                  "right_elbow": 2.0, "left_wrist": 4.0, "right_wrist": 4.0}  # fmt: skip
    for name, deg in joints_deg.items():
        wobble = scale * deg * DEG * ctx.noise(3, max_hz=0.6, min_hz=0.05)
        body.compose(_J[name], axis_angle_to_matrix(wobble))
    body.offset = body.offset + scale * 0.003 * ctx.noise(3, max_hz=0.4, min_hz=0.05)


def _finish(
    body: PoseBuilder, ctx: GeneratorContext, mirror: bool, heading_rad: float
) -> tuple[Tensor, Tensor, Tensor]:
    """Mirrors (left-handed), turns to the heading, integrates travel; returns orient, body pose, transl."""
    rot, offset, wander = body.rot, body.offset.clone(), body.yaw_wander
    if mirror:
        rot = _mirror(rot)
        for left, right in _MIRROR_PAIRS:
            rot[:, [left, right]] = rot[:, [right, left]]
        offset[:, 0] = -offset[:, 0]
        wander = -wander
    heading = rotation_y(heading_rad + wander)  # (T, 3, 3)
    root = heading @ rot[:, 0]
    forward = heading[:, :, 2] * body.speed[:, None]  # velocity along the current heading
    transl = (heading @ offset[:, :, None])[:, :, 0] + _cumulative(forward, ctx.fps)
    transl[:, 1] += body.climb
    full = matrix_to_axis_angle(torch.cat([root[:, None], rot[:, 1:]], dim=1))
    return full[:, 0], full[:, 1:], transl


def _speed_word(spec: ActivitySpec, cycle_hz: float) -> tuple[str, str]:
    low, high = spec.cycle_hz
    third = 0 if cycle_hz < low + (high - low) / 3 else 1 if cycle_hz < low + 2 * (high - low) / 3 else 2
    return spec.speed_words[third], ("slow", "moderate", "fast")[third]


def _captions(spec: ActivitySpec, rng: np.random.Generator, drawn: dict[str, Any], ctx: GeneratorContext) -> list[str]:
    speed_word, speed_adj = _speed_word(spec, float(drawn["cycle_hz"]))
    hand = drawn["handedness"]
    fields = {**ctx.params, "hand": hand, "other_hand": "left" if hand == "right" else "right",
              "speed_word": speed_word, "speed_adj": speed_adj, "posture": ctx.posture}  # fmt: skip
    chosen = rng.permutation(len(spec.captions))[:_CAPTIONS_PER_MOTION]
    return [spec.captions[i].format(**fields) for i in sorted(chosen)]


def _metadata(
    spec: ActivitySpec, seed: int, fps: float, frames: int, drawn: dict[str, Any], betas: np.ndarray, ctx
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "generator": "imu_foundation.simulation.motion_library",
        "activity": spec.name,
        "seed": int(seed),
        "cycle_hz": float(drawn["cycle_hz"]),
        "cycle": spec.cycle,
        "amplitude": float(drawn["amplitude"]),
        "handedness": str(drawn["handedness"]),
        "one_handed": spec.one_handed,
        "duration_s": frames / fps,
        "fps": float(fps),
        "heading_rad": float(drawn["heading_rad"]),
        "phase_rad": float(drawn["phase_rad"]),
        "posture": ctx.posture,
        "variability": float(drawn["variability"]),
        "sway": float(drawn["sway"]),
        "betas": [float(b) for b in betas],
    }
    metadata.update(ctx.params)
    return metadata
