"""Batched 3-D rotations: axis-angle, matrices, quaternions and the 6-D representation.

All functions take any number of leading batch dimensions. Angles are in radians. Matrices act on column vectors, so
``R_world_from_body @ v_body`` gives ``v_world``.
"""

from __future__ import annotations

import torch
from torch import Tensor

# Below this angle (rad) the Rodrigues and log-map coefficients use their Taylor series, which are exact to
# float64 rounding there and avoid 0/0.
_SMALL_ANGLE = 1e-4


def skew(v: Tensor) -> Tensor:
    """``(..., 3)`` vectors -> ``(..., 3, 3)`` cross-product matrices, ``skew(a) @ b == a x b``."""
    zero = torch.zeros_like(v[..., 0])
    x, y, z = v.unbind(-1)
    return torch.stack(
        [
            torch.stack([zero, -z, y], dim=-1),
            torch.stack([z, zero, -x], dim=-1),
            torch.stack([-y, x, zero], dim=-1),
        ],
        dim=-2,
    )


def axis_angle_to_matrix(axis_angle: Tensor) -> Tensor:
    """Rodrigues' formula: ``(..., 3)`` rotation vectors (axis * angle, rad) -> ``(..., 3, 3)`` rotation matrices.

    With ``v = axis * angle`` and ``K = skew(v)``: ``R = cos(a) I + sin(a)/a K + (1 - cos(a))/a^2 v v^T``, written
    out element-wise (a batched 3x3 matmul costs more than the formula itself).
    """
    angle = axis_angle.norm(dim=-1, keepdim=True)  # (..., 1)
    small = angle < _SMALL_ANGLE
    safe = torch.where(small, torch.ones_like(angle), angle)
    # sin(a)/a and (1 - cos(a))/a^2, with their series near zero.
    sin_term = torch.where(small, 1 - angle**2 / 6, torch.sin(safe) / safe)
    cos_term = torch.where(small, 0.5 - angle**2 / 24, (1 - torch.cos(safe)) / safe**2)
    cos_angle = 1 - cos_term * angle**2
    outer = cos_term[..., None] * (axis_angle[..., :, None] * axis_angle[..., None, :])  # (..., 3, 3)
    sx, sy, sz = (sin_term * axis_angle).unbind(-1)
    c = cos_angle[..., 0]
    linear = torch.stack([c, -sz, sy, sz, c, -sx, -sy, sx, c], dim=-1).reshape(*c.shape, 3, 3)
    return linear + outer


def matrix_to_quaternion(R: Tensor) -> Tensor:
    """``(..., 3, 3)`` rotation matrices -> ``(..., 4)`` unit quaternions ``(w, x, y, z)`` with ``w >= 0``.

    Shepperd's method: of the four algebraically equivalent formulas, each entry uses the one with the largest
    denominator, so the result is accurate for every rotation, including 180 degrees.
    """
    m = R
    trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    # 4 * q_i^2 for i = w, x, y, z.
    four_sq = torch.stack(
        [
            1 + trace,
            1 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2],
            1 - m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2],
            1 - m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2],
        ],
        dim=-1,
    )
    # Candidate quaternions (each scaled by 4 q_i), one per choice of pivot.
    candidates = torch.stack(
        [
            torch.stack(
                [
                    four_sq[..., 0],
                    m[..., 2, 1] - m[..., 1, 2],
                    m[..., 0, 2] - m[..., 2, 0],
                    m[..., 1, 0] - m[..., 0, 1],
                ],
                dim=-1,
            ),
            torch.stack(
                [
                    m[..., 2, 1] - m[..., 1, 2],
                    four_sq[..., 1],
                    m[..., 1, 0] + m[..., 0, 1],
                    m[..., 0, 2] + m[..., 2, 0],
                ],
                dim=-1,
            ),
            torch.stack(
                [
                    m[..., 0, 2] - m[..., 2, 0],
                    m[..., 1, 0] + m[..., 0, 1],
                    four_sq[..., 2],
                    m[..., 2, 1] + m[..., 1, 2],
                ],
                dim=-1,
            ),
            torch.stack(
                [
                    m[..., 1, 0] - m[..., 0, 1],
                    m[..., 0, 2] + m[..., 2, 0],
                    m[..., 2, 1] + m[..., 1, 2],
                    four_sq[..., 3],
                ],
                dim=-1,
            ),
        ],
        dim=-2,
    )  # (..., 4 pivots, 4)
    pivot = four_sq.argmax(dim=-1)
    chosen = torch.gather(candidates, -2, pivot[..., None, None].expand(*pivot.shape, 1, 4)).squeeze(-2)
    q = chosen / chosen.norm(dim=-1, keepdim=True)
    return torch.where(q[..., :1] < 0, -q, q)


def quaternion_to_axis_angle(q: Tensor) -> Tensor:
    """``(..., 4)`` unit quaternions ``(w, x, y, z)`` -> ``(..., 3)`` rotation vectors with angle in ``[0, pi]``."""
    q = torch.where(q[..., :1] < 0, -q, q)
    w, xyz = q[..., :1], q[..., 1:]
    sin_half = xyz.norm(dim=-1, keepdim=True)
    angle = 2 * torch.atan2(sin_half, w)
    small = sin_half < _SMALL_ANGLE
    safe = torch.where(small, torch.ones_like(sin_half), sin_half)
    # angle / sin(angle/2) = 2 asin(s) / s for w >= 0; its series near zero is 2 (1 + s^2 / 6).
    scale = torch.where(small, 2 * (1 + sin_half**2 / 6), angle / safe)
    return xyz * scale


def matrix_to_axis_angle(R: Tensor) -> Tensor:
    """Logarithm map: ``(..., 3, 3)`` rotation matrices -> ``(..., 3)`` rotation vectors, angle in ``[0, pi]``."""
    return quaternion_to_axis_angle(matrix_to_quaternion(R))


def rotation_x(angle: Tensor) -> Tensor:
    """``(...)`` angles (rad) -> ``(..., 3, 3)`` right-handed rotations about the x axis."""
    return axis_angle_to_matrix(torch.stack([angle, torch.zeros_like(angle), torch.zeros_like(angle)], dim=-1))


def rotation_y(angle: Tensor) -> Tensor:
    """``(...)`` angles (rad) -> ``(..., 3, 3)`` right-handed rotations about the y axis."""
    return axis_angle_to_matrix(torch.stack([torch.zeros_like(angle), angle, torch.zeros_like(angle)], dim=-1))


def rotation_z(angle: Tensor) -> Tensor:
    """``(...)`` angles (rad) -> ``(..., 3, 3)`` right-handed rotations about the z axis."""
    return axis_angle_to_matrix(torch.stack([torch.zeros_like(angle), torch.zeros_like(angle), angle], dim=-1))


def matrix_to_rotation_6d(R: Tensor) -> Tensor:
    """``(..., 3, 3)`` -> ``(..., 6)``: the first two columns (Zhou et al. 2019), continuous for learning."""
    return R[..., :, :2].transpose(-1, -2).reshape(*R.shape[:-2], 6)


def rotation_6d_to_matrix(d6: Tensor) -> Tensor:
    """``(..., 6)`` -> ``(..., 3, 3)``: Gram-Schmidt on the two stored columns (inverts ``matrix_to_rotation_6d``)."""
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = a1 / a1.norm(dim=-1, keepdim=True)
    b2 = a2 - (b1 * a2).sum(-1, keepdim=True) * b1
    b2 = b2 / b2.norm(dim=-1, keepdim=True)
    b3 = torch.linalg.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)
