"""The embedded default body: an SMPL-format body model that imu-foundation generates itself.

The real SMPL, SMPL-H and SMPL-X model files are licensed and may not be redistributed, so the package cannot ship
them. Instead it builds a simple body with exactly SMPL's structure, which smplx loads like the real thing:

- SMPL's 24-joint kinematic tree, with rest-pose joint positions of an adult about 1.70 m tall (metres, y up,
  facing +z, T-pose, pelvis joint at the origin);
- a coarse mesh of tapered elliptical tubes, one per bone, with linear-blend skinning weights (each tube follows
  its joint, blending with the parent joint near the start);
- a joint regressor that returns each joint as the centre of its tube's first ring, so joints move with the shape;
- a 10-dimensional linear shape space (stature, girth, leg length, shoulder width, arm length, belly, hip width,
  head size, shank length, torso length), one displacement field per coefficient;
- no pose-corrective blend shapes (``posedirs`` is all zeros: the tubes do not bulge or crease);
- named sensor sites (wrists, forearms, upper arms, thighs, shanks, ankles, pelvis, chest, head) stored in the file.

The file holds SMPL's arrays under SMPL's names (``v_template``, ``shapedirs``, ``posedirs``, ``J_regressor``,
``weights``, ``kintree_table``, ``f``, ``J``) in a NumPy ``.npz`` rather than SMPL's pickle, so loading it
never runs pickled code. It is a stand-in good enough for IMU simulation (segment motion, sensor placement), not a
realistic human surface: for that, pass real SMPL files to :func:`imu_foundation.simulation.load_body_model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .skeleton import NUM_SMPL_JOINTS, NUM_SMPL_VERTICES, SMPL_JOINT_INDEX, SMPL_PARENTS

EMBEDDED_BODY_FILE = Path(__file__).parent / "assets" / "imu_foundation_body_neutral.npz"
EMBEDDED_TOPOLOGY = "imu-foundation-generated-v1"
COARSE_NUM_VERTICES = 1200
NUM_BETAS = 10
_RING_SIZE = {COARSE_NUM_VERTICES: 8}
_BLEND_FRACTION = 0.3  # fraction of a bone near its start that blends with the parent joint

# Rest-pose joint positions of the left side and the midline (metres, feet on y = 0 before centring). The right side
# mirrors the left (x -> -x). Proportions follow adult anthropometric tables for a 1.70 m stature.
_LEFT_AND_MIDLINE_JOINTS_M: dict[str, tuple[float, float, float]] = {
    "pelvis": (0.0, 0.93, 0.0),
    "left_hip": (0.085, 0.86, 0.0),
    "spine1": (0.0, 1.04, -0.01),
    "left_knee": (0.095, 0.49, 0.01),
    "spine2": (0.0, 1.17, 0.0),
    "left_ankle": (0.10, 0.08, -0.03),
    "spine3": (0.0, 1.23, 0.01),
    "left_foot": (0.11, 0.02, 0.10),
    "neck": (0.0, 1.45, -0.02),
    "left_collar": (0.07, 1.37, -0.01),
    "head": (0.0, 1.53, 0.03),
    "left_shoulder": (0.17, 1.40, -0.02),
    "left_elbow": (0.43, 1.39, -0.04),
    "left_wrist": (0.68, 1.39, -0.03),
    "left_hand": (0.77, 1.38, -0.03),
}
# Where the bones of the leaf joints end: head top, toe tip, finger tip.
_LEAF_ENDS_M = {"head": (0.0, 1.70, 0.03), "left_foot": (0.11, 0.02, 0.19), "left_hand": (0.86, 1.38, -0.03)}
# Tube half-widths (m) at the start and end of each bone, across (first, second) perpendicular axes.
_TUBE_RADII_M: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "pelvis": ((0.11, 0.16), (0.10, 0.15)),
    "spine1": ((0.10, 0.15), (0.10, 0.155)),
    "spine2": ((0.105, 0.155), (0.11, 0.16)),
    "spine3": ((0.11, 0.16), (0.07, 0.09)),
    "neck": ((0.055, 0.055), (0.05, 0.05)),
    "head": ((0.09, 0.08), (0.03, 0.03)),
    "left_collar": ((0.06, 0.06), (0.055, 0.055)),
    "left_shoulder": ((0.05, 0.05), (0.04, 0.04)),
    "left_elbow": ((0.04, 0.04), (0.027, 0.032)),
    "left_wrist": ((0.018, 0.042), (0.015, 0.045)),
    "left_hand": ((0.013, 0.04), (0.008, 0.03)),
    "left_hip": ((0.08, 0.08), (0.05, 0.05)),
    "left_knee": ((0.05, 0.05), (0.035, 0.035)),
    "left_ankle": ((0.04, 0.045), (0.03, 0.045)),
    "left_foot": ((0.025, 0.045), (0.015, 0.04)),
}
# Sensor sites on the generated body: (bone owner joint, fraction along the bone, outward direction at rest).
_LEFT_AND_MIDLINE_SITES = {
    "left_wrist": ("left_elbow", 0.85, (0.0, 1.0, 0.0)),  # back of the wrist, palms down in the T-pose
    "left_forearm": ("left_elbow", 0.6, (0.0, 1.0, 0.0)),
    "left_upper_arm": ("left_shoulder", 0.5, (0.0, 1.0, 0.0)),
    "left_thigh": ("left_hip", 0.5, (0.0, 0.0, 1.0)),
    "left_shank": ("left_knee", 0.2, (0.0, 0.0, 1.0)),
    "left_ankle": ("left_knee", 0.95, (1.0, 0.0, 0.0)),
    "pelvis": ("pelvis", 0.3, (0.0, 0.0, -1.0)),
    "chest": ("spine3", 0.3, (0.0, 0.0, 1.0)),
    "head": ("head", 0.5, (0.0, 0.0, 1.0)),
}

# smplx adds extra joints at face, foot and finger-tip vertices (its ``vertex_ids``); these are the spots on the
# generated body (left side and midline, floor-based heights like the joints above).
_LEFT_AND_MIDLINE_KEYPOINTS_M = {
    "nose": (0.0, 1.60, 0.12),
    "leye": (0.03, 1.63, 0.10),
    "lear": (0.08, 1.60, 0.03),
    "LBigToe": (0.09, 0.02, 0.19),
    "LSmallToe": (0.14, 0.02, 0.17),
    "LHeel": (0.10, 0.02, -0.06),
    "lthumb": (0.78, 1.38, 0.04),
    "lindex": (0.86, 1.38, 0.02),
    "lmiddle": (0.87, 1.38, 0.0),
    "lring": (0.86, 1.38, -0.02),
    "lpinky": (0.84, 1.38, -0.04),
}


@dataclass(frozen=True)
class _Tube:
    owner: int  # joint whose transform moves the bone
    start: np.ndarray  # (3,) m, the owner joint
    end: np.ndarray  # (3,) m
    radii_start: tuple[float, float]
    radii_end: tuple[float, float]

    @property
    def length(self) -> float:
        return float(np.linalg.norm(self.end - self.start))

    def frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit bone axis and two perpendicular axes (the first leans towards +y, or +z for vertical bones)."""
        axis = (self.end - self.start) / self.length
        reference = np.array([0.0, 1.0, 0.0]) if abs(axis[1]) < 0.9 else np.array([0.0, 0.0, 1.0])
        across = reference - reference.dot(axis) * axis
        across /= np.linalg.norm(across)
        return axis, across, np.cross(axis, across)


def _mirror(name: str) -> str:
    return name.replace("left_", "right_")


def _joint_positions_m() -> np.ndarray:
    """``(24, 3)`` rest joint positions with the pelvis joint at the origin."""
    joints = np.zeros((NUM_SMPL_JOINTS, 3))
    for name, xyz in _LEFT_AND_MIDLINE_JOINTS_M.items():
        joints[SMPL_JOINT_INDEX[name]] = xyz
        if name.startswith("left_"):
            joints[SMPL_JOINT_INDEX[_mirror(name)]] = (-xyz[0], xyz[1], xyz[2])
    return joints - joints[0]


def _tubes(joints: np.ndarray) -> list[_Tube]:
    """One tube per joint, from the joint to its first child (or to the leaf end), in joint order."""
    pelvis_height = _LEFT_AND_MIDLINE_JOINTS_M["pelvis"][1]
    children = {j: [c for c, p in enumerate(SMPL_PARENTS) if p == j] for j in range(NUM_SMPL_JOINTS)}
    main_child = {"pelvis": "spine1", "spine3": "neck"}  # of several children, the bone that the tube follows
    tubes = []
    for joint in range(NUM_SMPL_JOINTS):
        name = next(n for n, i in SMPL_JOINT_INDEX.items() if i == joint)
        left_name = name.replace("right_", "left_")
        sign = -1.0 if name.startswith("right_") else 1.0
        if left_name in _LEAF_ENDS_M:
            x, y, z = _LEAF_ENDS_M[left_name]
            end = np.array([sign * x, y - pelvis_height, z])
        else:
            child = SMPL_JOINT_INDEX[main_child[name]] if name in main_child else children[joint][0]
            end = joints[child]
        radii_start, radii_end = _TUBE_RADII_M[left_name]
        tubes.append(_Tube(joint, joints[joint], end, radii_start, radii_end))
    return tubes


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Integer quotas proportional to ``weights`` that sum exactly to ``total`` (largest remainders)."""
    raw = total * weights / weights.sum()
    quotas = np.floor(raw).astype(int)
    quotas[np.argsort(raw - quotas)[::-1][: total - quotas.sum()]] += 1
    return quotas


def _tube_mesh(tube: _Tube, quota: int, ring_size: int, first_vertex: int):
    """Vertices ``(quota, 3)``, their fraction along the bone ``(quota,)`` and faces of one tube.

    Full rings of ``ring_size`` vertices run from the joint (fraction 0) to the bone end; the vertices left over
    form a smaller cap ring at the end, which closes the tube.
    """
    axis, across, across2 = tube.frame()
    num_rings = max(2, quota // ring_size)
    leftover = quota - num_rings * ring_size
    if leftover < 0:
        raise ValueError(f"{quota} vertices cannot make two rings of {ring_size}; ask for more vertices.")
    fractions = np.linspace(0.0, 1.0, num_rings)
    angles = np.linspace(0.0, 2 * np.pi, ring_size, endpoint=False)
    r_start, r_end = np.array(tube.radii_start), np.array(tube.radii_end)
    radii = r_start + fractions[:, None] * (r_end - r_start)  # (rings, 2)
    centres = tube.start + fractions[:, None] * tube.length * axis
    ring_vertices = (
        centres[:, None]
        + (radii[:, None, 0] * np.cos(angles))[..., None] * across
        + (radii[:, None, 1] * np.sin(angles))[..., None] * across2
    ).reshape(-1, 3)
    cap_angles = np.linspace(0.0, 2 * np.pi, max(leftover, 1), endpoint=False)[:leftover]
    cap_vertices = (
        centres[-1]
        + 0.01 * axis
        + (0.5 * r_end[0] * np.cos(cap_angles))[:, None] * across
        + (0.5 * r_end[1] * np.sin(cap_angles))[:, None] * across2
    )
    vertices = np.concatenate([ring_vertices, cap_vertices])
    fraction_of_vertex = np.concatenate([np.repeat(fractions, ring_size), np.ones(leftover)])

    faces = []
    ring = np.arange(ring_size)
    for r in range(num_rings - 1):
        a, b = first_vertex + r * ring_size + ring, first_vertex + (r + 1) * ring_size + ring
        a_next, b_next = np.roll(a, -1), np.roll(b, -1)
        faces += [np.stack([a, b, a_next], 1), np.stack([a_next, b, b_next], 1)]
    if leftover:
        last_ring = first_vertex + (num_rings - 1) * ring_size + ring
        nearest_cap = first_vertex + num_rings * ring_size + (ring * leftover) // ring_size
        faces.append(np.stack([last_ring, nearest_cap, np.roll(last_ring, -1)], 1))
    return vertices, fraction_of_vertex, np.concatenate(faces)


def _shape_directions(vertices: np.ndarray, owner: np.ndarray, axis_points: np.ndarray, joints: np.ndarray):
    """``(V, 3, 10)`` displacement per unit of each shape coefficient (see the module docstring for the list)."""
    names = {i: n for n, i in SMPL_JOINT_INDEX.items()}
    region = np.array([names[o] for o in owner])
    is_arm = np.array([any(k in r for k in ("collar", "shoulder", "elbow", "wrist", "hand")) for r in region])
    is_leg = np.array([any(k in r for k in ("hip", "knee", "ankle", "foot")) for r in region])
    is_torso = np.isin(region, ["spine1", "spine2"])
    is_head = region == "head"
    floor = np.array([0.0, vertices[:, 1].min(), 0.0])
    hip_y, knee_y = joints[SMPL_JOINT_INDEX["left_hip"], 1], joints[SMPL_JOINT_INDEX["left_knee"], 1]
    collar_x = joints[SMPL_JOINT_INDEX["left_collar"], 0]
    head_centre = vertices[is_head].mean(0)
    x, y, z = vertices.T

    dirs = np.zeros((*vertices.shape, NUM_BETAS))
    dirs[..., 0] = 0.05 * (vertices - floor)  # stature: 5 % per unit, about the floor point
    dirs[..., 1] = 0.10 * (vertices - axis_points)  # girth: 10 % radially from the bone axis
    dirs[:, 1, 2] = 0.04 * np.minimum(y - hip_y, 0.0)  # leg length below the hips
    dirs[:, 0, 3] = 0.03 * np.sign(x) * is_arm  # shoulder width
    dirs[:, 0, 4] = 0.06 * np.sign(x) * np.maximum(np.abs(x) - collar_x, 0.0) * is_arm  # arm length
    dirs[:, 2, 5] = 0.25 * np.maximum(z, 0.0) * is_torso  # belly
    dirs[:, 0, 6] = 0.04 * x * (is_leg | (region == "pelvis"))  # hip width
    dirs[..., 7] = 0.08 * (vertices - head_centre) * is_head[:, None]  # head size
    dirs[:, 1, 8] = 0.03 * np.minimum(y - knee_y, 0.0)  # shank length
    dirs[:, 1, 9] = 0.04 * np.maximum(y, 0.0) * ~is_leg  # torso length above the pelvis joint
    return dirs


def _skinning_weights(owner: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """``(V, 24)``: a vertex follows its bone's joint, blending linearly into the parent over the bone's start."""
    weights = np.zeros((owner.size, NUM_SMPL_JOINTS))
    parent = np.array(SMPL_PARENTS)[owner]
    own = np.where(parent < 0, 1.0, np.clip(0.5 + 0.5 * fraction / _BLEND_FRACTION, 0.5, 1.0))
    rows = np.arange(owner.size)
    weights[rows, owner] = own
    has_parent = parent >= 0
    weights[rows[has_parent], parent[has_parent]] += 1.0 - own[has_parent]
    return weights


def _sites(tubes: list[_Tube], vertices: np.ndarray, owner: np.ndarray):
    """Site names, vertex ids and orienting joints, each the vertex of its bone nearest the intended spot."""
    names, vertex_ids, joint_ids = [], [], []
    for left_name, (bone, fraction, outward) in _LEFT_AND_MIDLINE_SITES.items():
        sides = [(left_name, bone, 1.0)]
        if left_name.startswith("left_"):
            sides.append((_mirror(left_name), _mirror(bone), -1.0))
        for name, bone_name, sign in sides:
            joint = SMPL_JOINT_INDEX[bone_name]
            tube = tubes[joint]
            direction = np.array(outward) * np.array([sign, 1.0, 1.0])
            spot = tube.start + fraction * (tube.end - tube.start) + 0.2 * direction
            candidates = np.flatnonzero(owner == joint)
            best = candidates[np.argmin(np.linalg.norm(vertices[candidates] - spot, axis=1))]
            names.append(name)
            vertex_ids.append(int(best))
            joint_ids.append(joint)
    return np.array(names), np.array(vertex_ids, dtype=np.int64), np.array(joint_ids, dtype=np.int64)


def _keypoints(vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """smplx's extra-joint names and the generated vertices nearest their spots."""
    pelvis_height = _LEFT_AND_MIDLINE_JOINTS_M["pelvis"][1]
    names, ids = [], []
    for name, (x, y, z) in _LEFT_AND_MIDLINE_KEYPOINTS_M.items():
        sides = [(name, x)]
        if name[0] in "lL" and name != "nose":
            sides.append(({"l": "r", "L": "R"}[name[0]] + name[1:], -x))
        for side_name, side_x in sides:
            spot = np.array([side_x, y - pelvis_height, z])
            names.append(side_name)
            ids.append(int(np.argmin(np.linalg.norm(vertices - spot, axis=1))))
    return np.array(names), np.array(ids, dtype=np.int64)


def generate_body_model_arrays(num_vertices: int = COARSE_NUM_VERTICES) -> dict[str, np.ndarray]:
    """Builds the embedded body's arrays, deterministically (no randomness involved).

    Args:
        num_vertices: mesh size. The shipped default has 1,200 vertices; ``6890`` builds a body with SMPL's real
            size (used by the simulation benchmark), with the same joints, sites and shape space.
    Returns:
        SMPL's arrays by SMPL's names, plus ``site_names``, ``site_vertex_ids``, ``site_joint_ids``,
        ``keypoint_names`` / ``keypoint_vertex_ids`` (smplx's face, foot and finger-tip vertices) and
        ``topology``. ``v_template`` ``(V, 3)`` m, ``shapedirs`` ``(V, 3, 10)``, ``posedirs`` ``(V, 3, 207)``,
        ``J_regressor`` ``(24, V)``, ``weights`` ``(V, 24)``, ``kintree_table`` ``(2, 24)``, ``f`` ``(F, 3)``.
    """
    if num_vertices < 24 * 16:
        raise ValueError(f"num_vertices must be at least {24 * 16} (two rings of 8 per bone), got {num_vertices}.")
    ring_size = _RING_SIZE.get(num_vertices, 8 if num_vertices < 3000 else 16)
    joints = _joint_positions_m()
    tubes = _tubes(joints)
    surface = np.array([t.length * (sum(t.radii_start) + sum(t.radii_end)) + 0.01 for t in tubes])
    quotas = np.maximum(_allocate(num_vertices, surface), 2 * ring_size)
    quotas[np.argmax(quotas)] -= quotas.sum() - num_vertices  # keep the exact total after the minimum

    vertices, fractions, owners, faces, axis_points = [], [], [], [], []
    first_ring_ids = []
    start = 0
    for tube, quota in zip(tubes, quotas):
        v, frac, f = _tube_mesh(tube, int(quota), ring_size, start)
        first_ring_ids.append(np.arange(start, start + ring_size))
        vertices.append(v)
        fractions.append(frac)
        owners.append(np.full(len(v), tube.owner))
        faces.append(f)
        axis_points.append(tube.start + np.clip(frac, 0, 1)[:, None] * (tube.end - tube.start))
        start += len(v)
    vertices = np.concatenate(vertices)
    owner = np.concatenate(owners)
    fraction = np.concatenate(fractions)

    J_regressor = np.zeros((NUM_SMPL_JOINTS, num_vertices))
    for joint, ring in enumerate(first_ring_ids):
        J_regressor[joint, ring] = 1.0 / ring_size  # the centre of a symmetric ring is the joint itself
    site_names, site_vertex_ids, site_joint_ids = _sites(tubes, vertices, owner)
    keypoint_names, keypoint_vertex_ids = _keypoints(vertices)
    kintree = np.array([[2**32 - 1 if p < 0 else p for p in SMPL_PARENTS], range(NUM_SMPL_JOINTS)], dtype=np.int64)
    return {
        "v_template": vertices,
        "shapedirs": _shape_directions(vertices, owner, np.concatenate(axis_points), joints),
        "posedirs": np.zeros((num_vertices, 3, 9 * (NUM_SMPL_JOINTS - 1))),
        "J_regressor": J_regressor,
        "J": J_regressor @ vertices,
        "weights": _skinning_weights(owner, fraction),
        "kintree_table": kintree,
        "f": np.concatenate(faces).astype(np.uint32),
        "site_names": site_names,
        "site_vertex_ids": site_vertex_ids,
        "site_joint_ids": site_joint_ids,
        "keypoint_names": keypoint_names,
        "keypoint_vertex_ids": keypoint_vertex_ids,
        "topology": np.array(EMBEDDED_TOPOLOGY if num_vertices != NUM_SMPL_VERTICES else EMBEDDED_TOPOLOGY + "-6890"),
    }


def write_body_model(path: str | Path, num_vertices: int = COARSE_NUM_VERTICES, overwrite: bool = False) -> Path:
    """Writes the generated body to ``path`` (``.npz``, no pickle) and returns the path.

    Raises:
        FileExistsError: if ``path`` exists and ``overwrite`` is False (never clobber a user's file).
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"the body model is written as .npz, got {path.name!r}.")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **generate_body_model_arrays(num_vertices))
    return path
