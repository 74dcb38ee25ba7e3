"""The SMPL kinematic tree and the named sensor sites on it.

SMPL (Loper et al. 2015) has 24 joints. In the rest pose the body stands in a T-pose, y up, facing +z, with the
person's left on +x; every joint frame is then aligned with the world frame, so a joint's local rotation is
expressed in axes that start out as world x (left), y (up) and z (forward).
"""

from __future__ import annotations

from dataclasses import dataclass

SMPL_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle", "right_ankle",
    "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hand", "right_hand",
)  # fmt: skip
SMPL_JOINT_INDEX: dict[str, int] = {name: index for index, name in enumerate(SMPL_JOINT_NAMES)}
SMPL_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)
NUM_SMPL_JOINTS = 24
NUM_SMPL_BODY_JOINTS = 23  # joints 1..23, the ones ``body_pose`` rotates
NUM_SMPLX_BODY_JOINTS = 21  # SMPL-H / SMPL-X stop at the wrists; hands have their own poses
NUM_SMPL_VERTICES = 6890


@dataclass(frozen=True)
class SensorSite:
    """Where a virtual IMU sits: a mesh vertex, oriented with the body segment that carries it.

    Attributes:
        name: site name, e.g. ``"left_wrist"``.
        vertex: index of the mesh vertex the sensor is attached to.
        joint: SMPL joint whose global rotation orients the segment (e.g. 18, the left elbow, for the forearm,
            because a watch strap turns with the forearm, not with the hand).
    """

    name: str
    vertex: int
    joint: int


# Sites on the real SMPL / SMPL-H topology (6,890 vertices). Wrists, shanks ("knee"), head and pelvis are
# TransPose's vertices and joints (Yi et al. 2021), the others the DIP-IMU Xsens placement (Huang et al. 2018).
SMPL_SENSOR_SITES: dict[str, SensorSite] = {
    site.name: site
    for site in (
        SensorSite("left_wrist", 1961, 18),
        SensorSite("right_wrist", 5424, 19),
        SensorSite("left_forearm", 1952, 18),
        SensorSite("right_forearm", 5422, 19),
        SensorSite("left_upper_arm", 1379, 16),
        SensorSite("right_upper_arm", 4849, 17),
        SensorSite("left_thigh", 847, 1),
        SensorSite("right_thigh", 4712, 2),
        SensorSite("left_shank", 1176, 4),
        SensorSite("right_shank", 4662, 5),
        SensorSite("left_ankle", 3345, 7),
        SensorSite("right_ankle", 6745, 8),
        SensorSite("pelvis", 3021, 0),
        SensorSite("chest", 3076, 9),
        SensorSite("head", 411, 15),
    )
}
SENSOR_SITE_NAMES: tuple[str, ...] = tuple(SMPL_SENSOR_SITES)
