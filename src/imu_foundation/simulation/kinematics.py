"""Sensor-only forward kinematics: skin just the sensor vertices instead of the whole mesh.

smplx's forward pass poses every vertex (6,890 for SMPL), and its pose-corrective blend shapes cost a
``(T, 207) x (207, 20670)`` product per batch. An IMU needs a handful of points, so this module evaluates the same
linear-blend-skinning equations for the sensor vertices only, and walks the kinematic chain only through the
joints that move them. The results equal smplx's to float64 rounding (tested).

For a vertex ``i`` with rest position ``v_i`` (template plus shape and pose blend shapes) and skinning weights
``w_ij``::

    G_j = G_parent(j) [R_j | J_j - J_parent(j)]         (global rigid transform of joint j)
    A_j = G_j [I | -J_j]                                 (moves rest-pose points with joint j)
    p_i = sum_j w_ij A_j [v_i; 1] + transl
"""

from __future__ import annotations

import torch
from torch import Tensor

from .body_model import BodyModel
from .motion import MotionSequence
from .rotations import axis_angle_to_matrix


class SensorKinematics:
    """Positions and segment orientations of a fixed set of mesh vertices, for whole motion sequences.

    Args:
        body: the body model.
        vertex_ids: ``(S,)`` mesh vertices to track.
        joint_ids: ``(S,)`` joint whose global rotation orients each vertex's segment.
    """

    def __init__(self, body: BodyModel, vertex_ids: list[int], joint_ids: list[int]) -> None:
        model = body.model
        self.body = body
        self.vertex_ids = torch.as_tensor(vertex_ids, dtype=torch.long)
        self.joint_ids = torch.as_tensor(joint_ids, dtype=torch.long)
        if (self.vertex_ids < 0).any() or (self.vertex_ids >= body.num_vertices).any():
            raise ValueError(f"vertex ids {vertex_ids} out of range for a mesh of {body.num_vertices} vertices.")
        if (self.joint_ids < 0).any() or (self.joint_ids >= body.num_joints).any():
            raise ValueError(f"joint ids {joint_ids} out of range for a skeleton of {body.num_joints} joints.")
        weights = model.lbs_weights[self.vertex_ids]  # (S, J)
        # Only joints that skin a sensor vertex or orient a sensor, and their ancestors, need transforms.
        needed = set(torch.nonzero(weights.abs().sum(0) > 0)[:, 0].tolist()) | set(joint_ids)
        parents = body.parents.tolist()
        for joint in list(needed):
            while parents[joint] >= 0:
                joint = parents[joint]
                needed.add(joint)
        self.chain = sorted(needed)  # parents precede children in SMPL-family joint orders
        self.parents = parents
        self.weights = weights[:, self.chain]  # (S, K)
        self.template = model.v_template[self.vertex_ids]  # (S, 3)
        columns = (3 * self.vertex_ids[:, None] + torch.arange(3)).reshape(-1)
        self.posedirs = model.posedirs[:, columns]  # (P, S * 3)
        self.has_pose_correctives = bool(self.posedirs.abs().max() > 0)

    @torch.no_grad()
    def __call__(self, motion: MotionSequence) -> tuple[Tensor, Tensor]:
        """Tracks the vertices through a motion.

        Returns:
            ``p_world_m``: ``(T, S, 3)`` vertex positions (m) and ``R_world_from_segment``: ``(T, S, 3, 3)``.
        """
        body = self.body
        full_pose = body.full_pose(motion)  # (T, J, 3)
        frames = full_pose.shape[0]
        betas, shapedirs = body.shape_components(motion.betas)
        rest_joints = body.model.J_regressor @ (body.model.v_template + shapedirs @ betas[0])  # (J, 3)
        rest_vertices = self.template + shapedirs[self.vertex_ids] @ betas[0]  # (S, 3)

        if self.has_pose_correctives:  # the correctives depend on every joint's rotation
            R_all = axis_angle_to_matrix(full_pose)  # (T, J, 3, 3)
            pose_feature = (R_all[:, 1:] - torch.eye(3, dtype=R_all.dtype)).reshape(frames, -1)
            rest_vertices = rest_vertices + (pose_feature @ self.posedirs).reshape(frames, -1, 3)
            R_local = {joint: R_all[:, joint] for joint in self.chain}
        else:
            R_chain_local = axis_angle_to_matrix(full_pose[:, self.chain])  # (T, K, 3, 3)
            R_local = {joint: R_chain_local[:, k] for k, joint in enumerate(self.chain)}

        # Walk the chain: global rotation and position of each needed joint.
        R_global: dict[int, Tensor] = {}
        t_global: dict[int, Tensor] = {}
        for joint in self.chain:
            parent = self.parents[joint]
            if parent < 0:
                R_global[joint] = R_local[joint]
                t_global[joint] = rest_joints[joint].expand(frames, 3)
            else:
                offset = rest_joints[joint] - rest_joints[parent]
                R_global[joint] = R_global[parent] @ R_local[joint]
                t_global[joint] = t_global[parent] + R_global[parent] @ offset
        R_chain = torch.stack([R_global[j] for j in self.chain], dim=1)  # (T, K, 3, 3)
        t_chain = torch.stack([t_global[j] for j in self.chain], dim=1)  # (T, K, 3)
        # A_j = [G_j | t_j - G_j J_j], blended by the skinning weights of each sensor vertex.
        t_skin = t_chain - (R_chain @ rest_joints[self.chain][..., None])[..., 0]
        R_blend = torch.einsum("sk,tkab->tsab", self.weights, R_chain)  # (T, S, 3, 3)
        t_blend = torch.einsum("sk,tka->tsa", self.weights, t_skin)  # (T, S, 3)
        p_world_m = (R_blend @ rest_vertices[..., None])[..., 0] + t_blend + motion.transl[:, None].to(t_blend.dtype)

        index = {joint: k for k, joint in enumerate(self.chain)}
        R_world_from_segment = R_chain[:, [index[int(j)] for j in self.joint_ids]]
        return p_world_m, R_world_from_segment
