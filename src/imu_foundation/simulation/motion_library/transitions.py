"""Transitions: one sequence in which a person changes from one activity to another.

"A person walks, then stops and stands still": the two activities are generated for the same body, the second
facing where the first faces when the change starts, and blended over :data:`BLEND_S` with a C2 weight
(``smootherstep``): joint rotations are interpolated along the shortest rotation, the root height is blended
(sitting down lowers the pelvis), and the horizontal root velocity is blended and integrated, so walking slows to
a stop instead of sliding back to where the standing motion was generated.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..finite_differences import time_derivative
from ..motion import MotionSequence
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .curves import DTYPE, cumulative, smootherstep
from .registry import ACTIVITIES

BLEND_S = 1.2  # how long the change from one activity to the other takes (s)
LOCOMOTION = ("walking", "running", "climbing_stairs")


def transition_partners(first: str, posture: str) -> list[str]:
    """The activities a person naturally changes to after ``first`` done in ``posture``.

    Seated activities change to standing up or another seated activity; walking and standing change to any
    standing activity (or sitting down); running and stair climbing slow to walking or standing; everything else
    stops to stand or walks off.
    """
    if posture == "sitting":
        seated = sorted(name for name, spec in ACTIVITIES.items() if "sitting" in spec.postures and name != first)
        return ["standing", *seated]
    if first in ("standing", "walking"):
        upright = sorted(name for name, spec in ACTIVITIES.items() if spec.postures[0] == "standing")
        return [name for name in upright if name != first] + ["sitting"]
    if first in LOCOMOTION:
        return ["walking", "standing"]
    return ["standing", "walking"]


def join(first: MotionSequence, second: MotionSequence, start: int, blend_frames: int) -> tuple[Tensor, ...]:
    """``first`` until frame ``start``, then blended into ``second`` (whose frame 0 is ``start``).

    Returns:
        ``global_orient`` ``(T, 3)``, ``body_pose`` ``(T, 23, 3)`` and ``transl`` ``(T, 3)`` over ``first``'s
        ``T`` frames.
    """
    frames, fps = first.num_frames, first.fps
    if second.num_frames != frames - start:
        raise ValueError(f"the second motion must cover frames {start}..{frames - 1}, got {second.num_frames} frames.")
    t = torch.arange(frames - start, dtype=DTYPE)
    w = smootherstep(t / max(blend_frames, 1))  # (T2,) 0 at the start of the blend, 1 from its end on
    pose_a, pose_b = first.full_pose()[start:], second.full_pose()  # (T2, 24, 3)
    R_a, R_b = axis_angle_to_matrix(pose_a), axis_angle_to_matrix(pose_b)
    step = matrix_to_axis_angle(R_a.transpose(-1, -2) @ R_b)  # shortest rotation from a to b, per joint
    blended = matrix_to_axis_angle(R_a @ axis_angle_to_matrix(w[:, None, None] * step))
    full = torch.cat([first.full_pose()[:start], blended])

    # Height: blended (it is the offset from standing upright; sitting down lowers it). Horizontal: the velocities
    # are blended and integrated from where the first motion is when the blend starts.
    transl = first.transl.clone()
    height = (1 - w) * first.transl[start:, 1] + w * second.transl[:, 1]
    velocity = (1 - w)[:, None] * time_derivative(first.transl, fps, 1)[start:] + w[:, None] * time_derivative(
        second.transl, fps, 1
    )
    transl[start:] = first.transl[start] + cumulative(velocity, fps)
    transl[start:, 1] = height
    return full[:, 0], full[:, 1:], transl
