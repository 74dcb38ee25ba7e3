"""The pose DSL: joint rotations of one sequence under construction, arm inverse kinematics, shared postures.

Conventions: SMPL's frame (y up, the body faces +z, its left is +x); rest pose = T-pose; every joint's local
rotation is relative to its parent. Generators work in the body's heading frame and always build the right-handed
variant; every limb is described in the left-limb convention and mirrored for the right one. Angles are in degrees
(floats or ``(T,)`` tensors), lengths in metres.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ..rotations import axis_angle_to_matrix, rotation_x, rotation_y, rotation_z
from ..skeleton import NUM_SMPL_JOINTS, SMPL_JOINT_INDEX
from .context import GeneratorContext
from .curves import DTYPE, smootherstep, soft_max_limit

DEG = math.pi / 180.0

# Segment lengths of SMPL's mean shape (m), from its rest-pose joint locations. Used for the arm inverse kinematics
# and to keep planted feet in place when the legs bend.
UPPER_ARM_M = 0.256
FOREARM_M = 0.250
THIGH_M = 0.365
SHANK_M = 0.408
_HIP_BELOW_PELVIS_M = 0.09  # the hip joints sit this far below SMPL's pelvis joint

J = SMPL_JOINT_INDEX
# Left/right joint pairs, swapped when a motion is mirrored.
MIRROR_PAIRS = ((1, 2), (4, 5), (7, 8), (10, 11), (13, 14), (16, 17), (18, 19), (20, 21), (22, 23))
# Reflecting x -> -x turns a rotation R into M R M with M = diag(-1, 1, 1): entries (0, 1), (0, 2), (1, 0), (2, 0)
# change sign (for axis-angle: the y and z components).
_MIRROR_SIGNS = torch.tensor([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]], dtype=DTYPE)
# The left arm points along +x in the rest pose; this turns it to hang straight down, palm facing the thigh.
_ARM_DOWN = rotation_z(torch.tensor(-math.pi / 2, dtype=DTYPE))


# ---------------------------------------------------------------------------------------------------- small helpers


def track(value: float | Tensor, frames: int) -> Tensor:
    """A float or ``(T,)`` tensor -> ``(T,)`` float64 tensor."""
    if isinstance(value, Tensor):
        return value.to(DTYPE).expand(frames)
    return torch.full((frames,), float(value), dtype=DTYPE)


def vec(x: float | Tensor, y: float | Tensor, z: float | Tensor, frames: int) -> Tensor:
    """Three floats or ``(T,)`` tensors -> ``(T, 3)``."""
    return torch.stack([track(x, frames), track(y, frames), track(z, frames)], dim=-1)


def normalize(v: Tensor, eps: float = 1e-9) -> Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(eps)


def mirror_rotation(R: Tensor) -> Tensor:
    """``(..., 3, 3)`` rotations reflected through the body's sagittal plane (x -> -x)."""
    return R * _MIRROR_SIGNS


def rx_deg(deg: Tensor) -> Tensor:
    return rotation_x(deg * DEG)


def ry_deg(deg: Tensor) -> Tensor:
    return rotation_y(deg * DEG)


def rz_deg(deg: Tensor) -> Tensor:
    return rotation_z(deg * DEG)


# ---------------------------------------------------------------------------------------------------- arm kinematics


def arm_direction(elevation_deg: Tensor, plane_deg: Tensor | float) -> Tensor:
    """Upper-arm direction from the ISB angles: elevation from hanging (0) to overhead (180) in a plane.

    Left-arm convention (mirrored for the right arm): +x lateral, +y up, +z forward. ``plane_deg`` 0 is forward
    (flexion), 90 sideways (abduction), negative across the body, 180 backwards. Returns ``(T, 3)`` unit vectors.
    """
    elevation = elevation_deg * DEG
    plane = track(plane_deg, elevation.shape[0]) * DEG
    return torch.stack(
        [torch.sin(elevation) * torch.sin(plane), -torch.cos(elevation), torch.sin(elevation) * torch.cos(plane)], -1
    )


def flex_abduct_direction(flex_deg: Tensor, abduct_deg: Tensor | float) -> Tensor:
    """Upper-arm direction after abducting by ``abduct_deg`` then flexing (forward +, extension -) by ``flex_deg``.

    Left-arm convention; unlike :func:`arm_direction` it handles extension (negative flexion) directly. Only
    meaningful away from 90 deg abduction, where flexion would just spin the arm about itself. Returns ``(T, 3)``.
    """
    flex = flex_deg * DEG
    abduct = track(abduct_deg, flex.shape[0]) * DEG
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
    swing = axis_angle_to_matrix(_swing_axis_angle(normalize(direction)))
    return swing @ _ARM_DOWN @ rx_deg(-track(external_rotation_deg, frames))


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
    pole = torch.as_tensor(pole, dtype=DTYPE).expand(frames, 3)
    # Targets out of reach saturate smoothly onto the straight arm (a hard clamp would jerk the elbow).
    reach = (UPPER_ARM_M + FOREARM_M) * 0.9999
    distance = soft_max_limit(target.norm(dim=-1), reach, 0.01).clamp_min(abs(UPPER_ARM_M - FOREARM_M) + 1e-3)
    toward = normalize(target)
    cos_flex = (distance**2 - UPPER_ARM_M**2 - FOREARM_M**2) / (2 * UPPER_ARM_M * FOREARM_M)
    flex_deg = torch.acos(cos_flex.clamp(-1, 1)) / DEG
    # The elbow lies on a circle about the shoulder-target line; pick the point nearest the pole.
    along = (UPPER_ARM_M**2 - FOREARM_M**2 + distance**2) / (2 * distance)
    radius = (UPPER_ARM_M**2 - along**2).clamp_min(0).sqrt()
    pole_perp = normalize(pole - (pole * toward).sum(-1, keepdim=True) * toward)
    elbow = along[:, None] * toward + radius[:, None] * pole_perp
    upper = normalize(elbow)
    # The forearm's direction across the upper arm fixes the humerus twist; for a straight arm, where it vanishes,
    # the elbow bends away from the pole.
    forearm = distance[:, None] * toward - elbow
    across = forearm - (forearm * upper).sum(-1, keepdim=True) * upper
    away_from_pole = -normalize(pole - (pole * upper).sum(-1, keepdim=True) * upper)
    bend = normalize(across + 1e-3 * away_from_pole)
    # Columns: the humerus (local x, the arm's rest direction), local y, and the bend direction (local z).
    shoulder = torch.stack([upper, torch.linalg.cross(bend, upper, dim=-1), bend], dim=-1)
    return shoulder, flex_deg


def _collar_share(shoulder: Tensor) -> Tensor:
    """Collar (scapula) rotation that takes part of an arm elevation, as the scapulohumeral rhythm does."""
    upper = shoulder[:, :, 0]
    swing = _swing_axis_angle(upper)
    elevation_deg = swing.norm(dim=-1) / DEG
    # No scapular motion for small elevations, then about a fifth of it (real rhythm: ~1/3 above 30 degrees).
    share = 0.2 * smootherstep((elevation_deg - 30.0) / 90.0)
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
        self.rot = torch.eye(3, dtype=DTYPE).expand(frames, NUM_SMPL_JOINTS, 3, 3).clone()
        self.offset = torch.zeros(frames, 3, dtype=DTYPE)
        self.speed = torch.zeros(frames, dtype=DTYPE)
        self.climb = torch.zeros(frames, dtype=DTYPE)
        self.yaw_wander = torch.zeros(frames, dtype=DTYPE)

    def _t(self, value: float | Tensor) -> Tensor:
        return track(value, self.frames)

    def _set(self, side: str, left_joint: str, R: Tensor) -> None:
        name = left_joint if side == "left" else left_joint.replace("left", "right")
        self.rot[:, J[name]] = R if side == "left" else mirror_rotation(R)

    def root(self, pitch_deg: float | Tensor = 0.0, yaw_deg: float | Tensor = 0.0, roll_deg: float | Tensor = 0.0):
        """Pelvis orientation: pitch forward (+), yaw to the left (+), roll dropping the right side (+)."""
        self.rot[:, 0] = ry_deg(self._t(yaw_deg)) @ rx_deg(self._t(pitch_deg)) @ rz_deg(self._t(roll_deg))

    def spine(self, flex_deg: float | Tensor = 0.0, twist_deg: float | Tensor = 0.0, bend_deg: float | Tensor = 0.0):
        """Trunk flexion (forward +), twist (chest turns left +) and side bend (to the right +) over 3 joints."""
        for joint, share in (("spine1", 0.35), ("spine2", 0.3), ("spine3", 0.35)):
            R = (
                ry_deg(share * self._t(twist_deg))
                @ rx_deg(share * self._t(flex_deg))
                @ rz_deg(share * self._t(bend_deg))
            )
            self.rot[:, J[joint]] = R

    def head(self, flex_deg: float | Tensor = 0.0, twist_deg: float | Tensor = 0.0, bend_deg: float | Tensor = 0.0):
        """Neck and head: flexion (chin down +), turn to the left (+), tilt to the right (+)."""
        for joint, share in (("neck", 0.4), ("head", 0.6)):
            R = (
                ry_deg(share * self._t(twist_deg))
                @ rx_deg(share * self._t(flex_deg))
                @ rz_deg(share * self._t(bend_deg))
            )
            self.rot[:, J[joint]] = R

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
        hip = rx_deg(-self._t(hip_flex_deg)) @ rz_deg(self._t(hip_abduct_deg)) @ ry_deg(self._t(hip_rotate_deg))
        self._set(side, "left_hip", hip)
        self._set(side, "left_knee", rx_deg(self._t(knee_flex_deg)))
        self._set(side, "left_ankle", rx_deg(-self._t(ankle_dorsiflex_deg)))

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
        self._set(side, "left_elbow", ry_deg(-self._t(elbow_flex_deg)) @ rx_deg(self._t(pronation_deg)))
        self._set(side, "left_wrist", rz_deg(-self._t(wrist_flex_deg)) @ ry_deg(self._t(wrist_deviation_deg)))

    def scapula(self, side: str, elevation_deg: float | Tensor = 0.0, retraction_deg: float | Tensor = 0.0) -> None:
        """Moves one shoulder girdle (the collar joint) while the upper arm keeps its direction in the chest frame.

        ``elevation_deg`` lifts the shoulder (a shrug; negative: depression), ``retraction_deg`` draws it back
        (squeezing the shoulder blades together; negative: protraction). The hand moves with the shoulder. Call it
        after the arm is set.
        """
        R = rz_deg(self._t(elevation_deg)) @ ry_deg(self._t(retraction_deg))  # left convention: +x is lateral
        collar, shoulder = self._joint(side, "left_collar"), self._joint(side, "left_shoulder")
        moved = (R if side == "left" else mirror_rotation(R)) @ collar
        self._put(side, "left_shoulder", moved.transpose(-1, -2) @ collar @ shoulder)
        self._put(side, "left_collar", moved)

    def _joint(self, side: str, left_joint: str) -> Tensor:
        """A copy of the joint's rotation as stored (the right side already mirrored)."""
        return self.rot[:, J[left_joint if side == "left" else left_joint.replace("left", "right")]].clone()

    def _put(self, side: str, left_joint: str, R: Tensor) -> None:
        """Stores a rotation that is already in the side's own convention (no mirroring)."""
        self.rot[:, J[left_joint if side == "left" else left_joint.replace("left", "right")]] = R

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
        axis = (rotation_x(-pitch) @ normalize(hip_to_ankle)[:, :, None])[:, :, 0]
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


# ---------------------------------------------------------------------------------------------------- shared postures


def hang_arms(body: PoseBuilder, ctx: GeneratorContext, sides: Sequence[str] = ("left", "right")) -> None:
    """Arms relaxed at the sides: slightly abducted (clear of the hips), elbows a little bent, palms in."""
    for side in sides:
        body.arm_angles(side, 7.0, 80.0, 12.0, external_rotation_deg=5.0)


def stand(body: PoseBuilder, ctx: GeneratorContext, knee_deg: float = 4.0, width_deg: float = 3.0) -> None:
    """Quiet stance: feet slightly apart, knees almost straight, a hint of forward trunk lean."""
    for side in ("left", "right"):
        body.leg(side, knee_deg * 0.5, knee_deg, knee_deg * 0.5, hip_abduct_deg=width_deg)
    body.root(pitch_deg=2.0)
    body.spine(flex_deg=1.0)


def sit(body: PoseBuilder, ctx: GeneratorContext, trunk_lean_deg: float | Tensor = 0.0) -> None:
    """Seated on a chair: thighs horizontal, shanks near vertical, pelvis tilted back, trunk near upright."""
    body.crouch(thigh_deg=88.0, shank_deg=6.0, pelvis_pitch_deg=-8.0, knees_out_deg=8.0)
    body.spine(flex_deg=8.0 + track(trunk_lean_deg, ctx.frames))


def hands_on_lap(body: PoseBuilder, ctx: GeneratorContext, sides: Sequence[str] = ("left", "right")) -> None:
    for side in sides:
        body.arm_reach(side, vec(-0.03, -0.40, 0.17, ctx.frames), (0.2, -0.3, -1.0), pronation_deg=80.0)


def set_posture(body: PoseBuilder, ctx: GeneratorContext, trunk_lean_deg: float = 0.0) -> None:
    if ctx.posture == "sitting":
        sit(body, ctx, trunk_lean_deg)
    else:
        stand(body, ctx)
        body.spine(flex_deg=1.0 + trunk_lean_deg)


def breathing(body: PoseBuilder, ctx: GeneratorContext, depth_deg: float = 0.8) -> None:
    """A little chest extension with each breath (``ctx.phase`` is the breathing phase)."""
    breath = torch.sin(ctx.phase) * ctx.amp
    body.compose(J["spine3"], rx_deg(-depth_deg * breath))
