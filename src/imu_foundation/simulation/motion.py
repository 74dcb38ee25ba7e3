"""Motion sequences: SMPL pose parameters over time, from AMASS files, video pose estimators or plain tensors.

A :class:`MotionSequence` is what the IMU simulator consumes. It always carries the 24-joint SMPL body (the root
orientation and 23 body joints); SMPL-H / SMPL-X hand articulation rides along when there is any, so the same
sequence drives SMPL, SMPL-H and SMPL-X models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

from ..sensors import STANDARD_GRAVITY_MPS2
from .body_model_files import GENDERS
from .rotations import axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_rotation_6d, rotation_y
from .skeleton import NUM_SMPL_BODY_JOINTS, NUM_SMPLX_BODY_JOINTS

UpAxis = Literal["y", "z"]
POSE_REPRESENTATION_DIM = 24 * 6 + 4
POSE_REPRESENTATION_NAMES: tuple[str, ...] = tuple(
    [f"joint{j:02d}_rot6d_{k}" for j in range(24) for k in range(6)]
    + ["root_velocity_heading_x_mps", "root_velocity_heading_y_mps", "root_velocity_heading_z_mps", "yaw_rate_radps"]
)

# Pose parameters are rotation vectors in radians, whose norm is at most pi (any larger angle has an equivalent
# one below pi). Values beyond this bound almost always mean degrees were passed.
_MAX_PLAUSIBLE_ANGLE_RAD = 2 * math.pi + 1e-3
# Root translation in metres: a capture volume larger than 1 km is almost surely centimetres or millimetres.
_MAX_PLAUSIBLE_TRANSLATION_M = 1000.0


@dataclass
class MotionSequence:
    """SMPL pose parameters over ``T`` frames, in a world frame whose up axis is ``up_axis``.

    Attributes:
        global_orient: ``(T, 3)`` axis-angle (rad) of the pelvis, ``R_world_from_pelvis``.
        body_pose: ``(T, 23, 3)`` axis-angle (rad) of SMPL joints 1..23, each relative to its parent.
            Joints 22 and 23 (SMPL's hand roots) are identity for SMPL-H / SMPL-X sources.
        transl: ``(T, 3)`` root translation in metres (smplx's ``transl``).
        fps: frame rate in Hz.
        betas: ``(B,)`` body shape coefficients (any count; the body model uses what it has).
        gender: ``"neutral"``, ``"male"`` or ``"female"`` (chooses the model file for real SMPL models).
        up_axis: ``"y"`` (SMPL's own frame, HumanML3D, most video pose estimators after alignment) or ``"z"``
            (AMASS): gravity points along minus this axis.
        hand_pose: optional ``(T, 30, 3)`` axis-angle of the 15 left then 15 right SMPL-H / SMPL-X hand joints.
        captions: text descriptions of the motion, if any.
        activity: activity label, if known.
        sequence_id: identifier of the source sequence (file name, generator seed, ...).
        metadata: anything else worth keeping (generator parameters, source file, ...).
    """

    global_orient: Tensor
    body_pose: Tensor
    transl: Tensor
    fps: float
    betas: Tensor = field(default_factory=lambda: torch.zeros(10, dtype=torch.float64))
    gender: str = "neutral"
    up_axis: UpAxis = "y"
    hand_pose: Tensor | None = None
    captions: list[str] = field(default_factory=list)
    activity: str | None = None
    sequence_id: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.global_orient = _as_float64("global_orient", self.global_orient)
        self.body_pose = _as_float64("body_pose", self.body_pose)
        self.transl = _as_float64("transl", self.transl)
        self.betas = _as_float64("betas", self.betas).reshape(-1)
        if self.hand_pose is not None:
            self.hand_pose = _as_float64("hand_pose", self.hand_pose)
        self._validate()

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_tensors(
        cls,
        global_orient: Tensor | np.ndarray,
        body_pose: Tensor | np.ndarray,
        transl: Tensor | np.ndarray | None,
        fps: float,
        betas: Tensor | np.ndarray | None = None,
        **kwargs: Any,
    ) -> MotionSequence:
        """Builds a sequence from plain arrays.

        Args:
            global_orient: ``(T, 3)`` root axis-angle (rad).
            body_pose: ``(T, 69)`` / ``(T, 23, 3)`` SMPL body pose, or ``(T, 63)`` / ``(T, 21, 3)`` SMPL-H / SMPL-X
                body pose (the two SMPL hand-root joints are then set to identity).
            transl: ``(T, 3)`` root translation (m); ``None`` keeps the root in place.
            fps: frame rate (Hz).
            betas: shape coefficients; zeros (the mean shape) when ``None``.
            **kwargs: any other field of :class:`MotionSequence`.
        """
        global_orient = _as_float64("global_orient", global_orient)
        if global_orient.ndim != 2 or global_orient.shape[1] != 3 or global_orient.shape[0] < 1:
            raise ValueError(
                f"global_orient must be (T, 3) axis-angle with at least one frame, got {tuple(global_orient.shape)}."
            )
        frames = global_orient.shape[0]
        body_pose = _smpl_body_pose(_as_float64("body_pose", body_pose))
        transl = torch.zeros(frames, 3, dtype=torch.float64) if transl is None else transl
        betas = torch.zeros(10, dtype=torch.float64) if betas is None else betas
        return cls(global_orient, body_pose, transl, _frame_rate(fps), betas, **kwargs)

    @classmethod
    def from_amass_npz(cls, path: str | Path, **kwargs: Any) -> MotionSequence:
        """Loads an AMASS ``*_poses.npz`` / ``*_stageii.npz`` file (SMPL-H or SMPL-X parameters, z up).

        See :func:`imu_foundation.simulation.motion_io.read_amass_npz`; ``kwargs`` are other fields (``captions``).
        """
        from .motion_io import read_amass_npz  # motion_io builds MotionSequence objects: imported here, not above

        return read_amass_npz(path, **kwargs)

    @classmethod
    def from_smplx_params(cls, params: dict[str, Any], fps: float, **kwargs: Any) -> MotionSequence:
        """Builds a sequence from per-frame SMPL-X parameters as video pose estimators write them.

        Args:
            params: ``global_orient`` (or ``root_orient``) ``(T, 3)``; ``body_pose`` ``(T, 63)``;
                optional ``left_hand_pose`` / ``right_hand_pose`` ``(T, 45)`` (full axis-angle, not PCA),
                ``transl`` (or ``trans``) ``(T, 3)`` and ``betas``. Jaw, eye and expression parameters are ignored:
                no sensor sits on the face.
            fps: video frame rate (Hz).
            **kwargs: other :class:`MotionSequence` fields, e.g. ``up_axis`` or ``captions``.
        """
        orient = params.get("global_orient", params.get("root_orient"))
        if orient is None or "body_pose" not in params:
            raise ValueError(
                f"SMPL-X parameters need 'global_orient' (or 'root_orient') and 'body_pose'; got {sorted(params)}."
            )
        orient = _as_float64("global_orient", orient)
        if orient.numel() == 0 or orient.numel() % 3:
            raise ValueError(f"global_orient must hold 3 values per frame, got shape {tuple(orient.shape)}.")
        orient = orient.reshape(-1, 3)
        frames = orient.shape[0]
        hands = None
        if "left_hand_pose" in params or "right_hand_pose" in params:
            sides = []
            for key in ("left_hand_pose", "right_hand_pose"):
                hand = _as_float64(key, params.get(key, np.zeros((frames, 45))))
                if hand.numel() != frames * 45:
                    raise ValueError(
                        f"{key} must have 45 values per frame (15 joints x 3, not PCA), got {tuple(hand.shape)}."
                    )
                sides.append(hand.reshape(frames, 15, 3))
            hands = torch.cat(sides, dim=1)
        transl = params.get("transl", params.get("trans"))
        return cls.from_tensors(
            orient, params["body_pose"], transl, fps, params.get("betas"), hand_pose=hands, **kwargs
        )

    # ------------------------------------------------------------------ views

    @property
    def num_frames(self) -> int:
        return int(self.global_orient.shape[0])

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    @property
    def gravity_world_mps2(self) -> Tensor:
        """``(3,)`` gravitational acceleration in the world frame: 9.80665 m/s^2 along minus ``up_axis``."""
        gravity = torch.zeros(3, dtype=torch.float64)
        gravity["xyz".index(self.up_axis)] = -STANDARD_GRAVITY_MPS2
        return gravity

    def full_pose(self) -> Tensor:
        """``(T, 24, 3)`` axis-angle of all SMPL joints: the root orientation then the 23 body joints."""
        return torch.cat([self.global_orient[:, None], self.body_pose], dim=1)

    def slice(self, start: int, stop: int) -> MotionSequence:
        """Frames ``start:stop`` as a new sequence sharing every other field."""
        hands = None if self.hand_pose is None else self.hand_pose[start:stop]
        return replace(
            self,
            global_orient=self.global_orient[start:stop],
            body_pose=self.body_pose[start:stop],
            transl=self.transl[start:stop],
            hand_pose=hands,
        )

    def to_y_up(self) -> MotionSequence:
        """The same motion in a y-up world (a z-up world rotated by -90 degrees about x), for the IMU readings.

        Absolute vertex positions shift by a constant (see below); accelerations and orientations are exact.
        """
        if self.up_axis == "y":
            return self
        R_yup_from_zup = axis_angle_to_matrix(torch.tensor([-math.pi / 2, 0.0, 0.0], dtype=torch.float64))
        # smplx places vertices at R_root (x - J0) + J0 + transl. Rotating root orientation and transl by Q gives
        # the rotated body up to the constant offset Q J0 - J0: accelerations and orientations, all an IMU
        # measures, are exact.
        orient = matrix_to_axis_angle(R_yup_from_zup @ axis_angle_to_matrix(self.global_orient))
        return replace(self, global_orient=orient, transl=self.transl @ R_yup_from_zup.T, up_axis="y")

    # ------------------------------------------------------------------ checks

    def _validate(self) -> None:
        frames = self.global_orient.shape[0] if self.global_orient.ndim == 2 else -1
        if self.global_orient.shape != (frames, 3) or frames < 1:
            raise ValueError(f"global_orient must be (T, 3) axis-angle, got {tuple(self.global_orient.shape)}.")
        if self.body_pose.shape != (frames, NUM_SMPL_BODY_JOINTS, 3):
            raise ValueError(
                f"body_pose must be (T={frames}, 23, 3) SMPL axis-angle, got {tuple(self.body_pose.shape)}; "
                "use MotionSequence.from_tensors for (T, 63) SMPL-X / SMPL-H body poses."
            )
        if self.transl.shape != (frames, 3):
            raise ValueError(f"transl must be (T={frames}, 3) metres, got {tuple(self.transl.shape)}.")
        if self.hand_pose is not None and self.hand_pose.shape != (frames, 30, 3):
            raise ValueError(f"hand_pose must be (T={frames}, 30, 3), got {tuple(self.hand_pose.shape)}.")
        if not (isinstance(self.fps, int | float) and math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps must be a positive frame rate in Hz, got {self.fps!r}.")
        if self.gender not in GENDERS:
            raise ValueError(f"gender must be one of {', '.join(GENDERS)}, got {self.gender!r}.")
        if self.up_axis not in ("y", "z"):
            raise ValueError(f"up_axis must be 'y' or 'z', got {self.up_axis!r}.")
        for name in ("global_orient", "body_pose", "transl", "betas", "hand_pose"):
            value = getattr(self, name)
            if value is not None and not torch.isfinite(value).all():
                bad = (~torch.isfinite(value)).reshape(value.shape[0], -1).any(-1).nonzero()[:5, 0].tolist()
                raise ValueError(f"{name} contains NaN or inf (first bad rows: {bad}).")
        for name in ("global_orient", "body_pose", "hand_pose"):
            value = getattr(self, name)
            if value is not None and value.numel() and value.norm(dim=-1).max() > _MAX_PLAUSIBLE_ANGLE_RAD:
                raise ValueError(
                    f"{name} has rotation angles up to {value.norm(dim=-1).max():.1f}; pose parameters must be "
                    "axis-angle in radians (were degrees passed?)."
                )
        if self.transl.abs().max() > _MAX_PLAUSIBLE_TRANSLATION_M:
            raise ValueError(
                f"transl reaches {self.transl.abs().max():.0f}; it must be in metres (were millimetres or "
                "centimetres passed?)."
            )


def pose_representation(motion: MotionSequence) -> Tensor:
    """The pose-encoder input: ``(T, 148)`` float32 features per frame, invariant to where the body faces.

    Per frame: the 6-D rotation (first two matrix columns) of each of the 24 SMPL joints, where joint 0 is the
    root orientation relative to the body's heading (its yaw about the up axis removed) and joints 1..23 are the
    local rotations of ``body_pose``; then the root velocity in the heading frame (m/s, 3 values: left, up,
    forward) and the yaw rate about the up axis (rad/s). Velocities are central differences (one-sided at the
    ends). Names of the features: :data:`POSE_REPRESENTATION_NAMES`.
    """
    motion = motion.to_y_up()
    R_world_from_root = axis_angle_to_matrix(motion.global_orient)  # (T, 3, 3)
    # Heading: the yaw of the root's forward (+z) axis projected on the ground plane.
    forward = R_world_from_root[:, :, 2]
    yaw = torch.atan2(forward[:, 0], forward[:, 2])
    R_world_from_heading = rotation_y(yaw)
    root_in_heading = R_world_from_heading.transpose(-1, -2) @ R_world_from_root
    local = axis_angle_to_matrix(motion.body_pose)
    rot6d = matrix_to_rotation_6d(torch.cat([root_in_heading[:, None], local], dim=1)).reshape(motion.num_frames, -1)

    velocity_world = _time_derivative(motion.transl, motion.fps)
    velocity_heading = (R_world_from_heading.transpose(-1, -2) @ velocity_world[..., None])[..., 0]
    yaw_rate = _time_derivative(torch.atan2(torch.sin(yaw), torch.cos(yaw))[:, None], motion.fps, wrap_angle=True)
    return torch.cat([rot6d, velocity_heading, yaw_rate], dim=-1).float()


def _time_derivative(x: Tensor, fps: float, wrap_angle: bool = False) -> Tensor:
    """``(T, D)`` -> ``(T, D)`` central difference per second; one-sided at the ends; zeros for a single frame."""
    if x.shape[0] < 2:
        return torch.zeros_like(x)
    diff = x[1:] - x[:-1]
    if wrap_angle:
        diff = torch.atan2(torch.sin(diff), torch.cos(diff))
    per_step = torch.cat([diff[:1], (diff[1:] + diff[:-1]) / 2, diff[-1:]]) if x.shape[0] > 2 else diff.repeat(2, 1)
    return per_step * fps


def _smpl_body_pose(body_pose: Tensor) -> Tensor:
    """``(T, 63 or 69)`` or ``(T, 21 or 23, 3)`` -> ``(T, 23, 3)``: SMPL-H / SMPL-X get identity hand-root joints."""
    if body_pose.ndim == 2 and body_pose.shape[1] in (3 * NUM_SMPLX_BODY_JOINTS, 3 * NUM_SMPL_BODY_JOINTS):
        body_pose = body_pose.reshape(body_pose.shape[0], -1, 3)
    if body_pose.ndim != 3 or body_pose.shape[-1] != 3 or body_pose.shape[1] not in (21, 23):
        raise ValueError(
            f"body_pose must be (T, 69)/(T, 23, 3) for SMPL or (T, 63)/(T, 21, 3) for SMPL-H/SMPL-X axis-angle, "
            f"got {tuple(body_pose.shape)}."
        )
    if body_pose.shape[1] == NUM_SMPLX_BODY_JOINTS:
        body_pose = torch.cat([body_pose, body_pose.new_zeros(body_pose.shape[0], 2, 3)], dim=1)
    return body_pose


def _frame_rate(fps: Any) -> float:
    try:
        return float(fps)
    except (TypeError, ValueError) as error:
        raise ValueError(f"fps must be a positive frame rate in Hz, got {fps!r}.") from error


def _as_float64(name: str, value: Any) -> Tensor:
    if isinstance(value, Tensor) and not value.is_complex():
        return value.detach().to(torch.float64)
    if isinstance(value, Tensor) or np.iscomplexobj(value):
        raise ValueError(f"{name} must hold real numbers, got complex values.")
    try:
        return torch.as_tensor(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a numeric array, got {type(value).__name__}: {error}") from error
