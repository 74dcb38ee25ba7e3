"""Tests of the generated motion library: registry, determinism, argument checks and kinematic plausibility.

The kinematic checks run a small forward kinematics over SMPL's tree with the rest-pose joint locations of the mean
shape (rounded, symmetrised), independent of the body models, so they test the poses the library writes: which
way limbs swing, where hands and feet end up, how fast the root travels and at what cadence.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from imu_foundation.simulation import motion_library
from imu_foundation.simulation.motion import MotionSequence
from imu_foundation.simulation.motion_library import (
    ACTIVITIES,
    GeneratorContext,
    PoseBuilder,
    generate_motion,
    list_activities,
    sample_motions,
)
from imu_foundation.simulation.rotations import axis_angle_to_matrix, matrix_to_axis_angle, rotation_y
from imu_foundation.simulation.skeleton import SMPL_JOINT_INDEX as J
from imu_foundation.simulation.skeleton import SMPL_PARENTS

# SMPL mean-shape rest joints (m), y up, facing +z, left = +x.
REST_JOINTS = torch.tensor(
    [
        [0.0, -0.223, 0.028], [0.069, -0.314, 0.024], [-0.069, -0.314, 0.024], [0.0, -0.108, 0.002],
        [0.105, -0.677, 0.016], [-0.105, -0.677, 0.016], [0.0, 0.019, 0.027], [0.090, -1.085, -0.025],
        [-0.090, -1.085, -0.025], [0.0, 0.074, 0.028], [0.119, -1.143, 0.095], [-0.119, -1.143, 0.095],
        [0.0, 0.287, -0.011], [0.046, 0.196, 0.005], [-0.046, 0.196, 0.005], [0.0, 0.354, 0.050],
        [0.174, 0.226, -0.016], [-0.174, 0.226, -0.016], [0.428, 0.215, -0.037], [-0.428, 0.215, -0.037],
        [0.680, 0.223, -0.043], [-0.680, 0.223, -0.043], [0.767, 0.212, -0.056], [-0.767, 0.212, -0.056],
    ],
    dtype=torch.float64,
)  # fmt: skip
ONE_HANDED = sorted(name for name, spec in ACTIVITIES.items() if spec.one_handed)
GRAVITY = 9.80665


def forward_kinematics(motion: MotionSequence) -> tuple[torch.Tensor, torch.Tensor]:
    """``(T, 24, 3)`` world joint positions and ``(T, 24, 3, 3)`` global joint rotations."""
    local = axis_angle_to_matrix(motion.full_pose())
    rotations, positions = [], []
    for joint, parent in enumerate(SMPL_PARENTS):
        if parent < 0:
            rotations.append(local[:, 0])
            positions.append(REST_JOINTS[0] + motion.transl)
            continue
        offset = REST_JOINTS[joint] - REST_JOINTS[parent]
        positions.append(positions[parent] + rotations[parent] @ offset)
        rotations.append(rotations[parent] @ local[:, joint])
    return torch.stack(positions, dim=1), torch.stack(rotations, dim=1)


def in_heading_frame(motion: MotionSequence, vectors: torch.Tensor) -> torch.Tensor:
    """World vectors ``(..., 3)`` expressed in the sequence's initial heading frame (+z forward, +x left)."""
    undo = rotation_y(torch.tensor(-motion.metadata["heading_rad"], dtype=torch.float64))
    return vectors @ undo.T


def dominant_frequency(signal: torch.Tensor, fps: float) -> float:
    """Frequency (Hz) of the largest spectral peak of a 1-D signal, mean and trend removed, above 0.1 Hz."""
    x = signal.numpy()
    x = x - np.polyval(np.polyfit(np.arange(len(x)), x, 1), np.arange(len(x)))
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=8 * len(x)))
    freqs = np.fft.rfftfreq(8 * len(x), 1 / fps)
    spectrum[freqs < 0.1] = 0
    return float(freqs[np.argmax(spectrum)])


# ---------------------------------------------------------------------------------------------------- registry


def test_registry_has_at_least_20_described_activities():
    names = list_activities()
    assert len(names) >= 20
    assert names == sorted(ACTIVITIES)
    for required in ("walking", "running", "standing", "sitting", "overhead_racket_swing", "waving", "jumping_jacks"):
        assert required in names
    for name in names:
        spec = ACTIVITIES[name]
        assert spec.name == name
        assert len(spec.captions) >= 3
        low, high = spec.cycle_hz
        assert 0 < low <= high
        assert 0 < spec.duration_s[0] <= spec.duration_s[1]
    assert len(ONE_HANDED) >= 8


def test_an_activity_is_one_decorated_function():
    try:

        @motion_library.activity(
            "test_nodding", cycle_hz=(1.0, 1.0), cycle="nod", captions=("a person nods {speed_word}",)
        )
        def nodding(body: PoseBuilder, ctx: GeneratorContext) -> None:
            body.head(flex_deg=10.0 * torch.sin(ctx.phase))

        assert "test_nodding" in list_activities() and ACTIVITIES["test_nodding"].generator is nodding
        motion = generate_motion("test_nodding", 0, duration_s=2.0, sway=0.0)
        assert motion.captions[0].startswith("a person nods")
        nod = motion.body_pose[:, J["head"] - 1, 0]
        assert float(nod.max() - nod.min()) > 0.15  # the head takes 0.6 of +-10 degrees
    finally:
        ACTIVITIES.pop("test_nodding", None)


@pytest.mark.parametrize(
    ("activity", "low", "high"),
    [("walking", 0.75, 1.05), ("running", 1.2, 1.65), ("jumping_jacks", 0.7, 1.4), ("shoulder_abduction", 0.2, 0.7)],
)
def test_default_cadences_are_realistic(activity, low, high):
    assert low <= ACTIVITIES[activity].cycle_hz[0] <= ACTIVITIES[activity].cycle_hz[1] <= high


# ---------------------------------------------------------------------------------------------------- every activity


@pytest.mark.parametrize("activity", list_activities())
def test_every_activity_generates_a_valid_captioned_motion(activity):
    motion = generate_motion(activity, seed=7, duration_s=3.0, fps=30.0)
    frames = 90
    assert motion.body_pose.shape == (frames, 23, 3)
    assert motion.global_orient.shape == (frames, 3)
    assert motion.transl.shape == (frames, 3)
    assert motion.body_pose.dtype == torch.float64
    for tensor in (motion.body_pose, motion.global_orient, motion.transl):
        assert torch.isfinite(tensor).all()
    assert motion.full_pose().norm(dim=-1).max() <= math.pi + 1e-9
    # Anatomically plausible: no local joint rotation close to a half turn.
    assert motion.body_pose.norm(dim=-1).max() < math.radians(170)
    assert motion.fps == 30.0 and motion.up_axis == "y"
    assert motion.activity == activity
    assert motion.sequence_id == f"{activity}-7"
    assert motion.betas.shape == (10,) and motion.betas.abs().max() <= 2.0
    assert motion.captions and all(isinstance(c, str) and c.strip() for c in motion.captions)
    assert len(set(motion.captions)) == len(motion.captions)
    metadata = json.loads(json.dumps(motion.metadata))  # JSON-serialisable
    for key in ("cycle_hz", "amplitude", "handedness", "duration_s", "heading_rad", "seed", "betas"):
        assert key in metadata
    assert metadata["duration_s"] == pytest.approx(3.0)
    assert metadata["betas"] == pytest.approx(motion.betas.tolist())
    # Continuous: joint angular speeds below human maxima (~2000 deg/s, reached in throws and smashes), and no
    # root teleporting.
    rotations = axis_angle_to_matrix(motion.body_pose)
    step = rotations[1:].transpose(-1, -2) @ rotations[:-1]
    cos = ((step.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2).clamp(-1, 1)
    assert torch.rad2deg(torch.acos(cos)).max() * motion.fps < 2000.0
    assert (motion.transl[1:] - motion.transl[:-1]).norm(dim=-1).max() < 0.2


def test_every_caption_template_renders():
    for name in list_activities():
        for seed in range(4):
            motion = generate_motion(name, seed, duration_s=1.0, fps=10.0)
            assert all("{" not in caption and "}" not in caption for caption in motion.captions)


@pytest.mark.parametrize("activity", ONE_HANDED)
def test_one_handed_captions_and_metadata_name_the_hand(activity):
    for hand in ("left", "right"):
        motion = generate_motion(activity, seed=1, duration_s=1.0, fps=20.0, handedness=hand)
        assert motion.metadata["handedness"] == hand
        assert motion.metadata["one_handed"] is True
        assert any(hand in caption for caption in motion.captions), motion.captions
        other = "right" if hand == "left" else "left"
        assert not any(other in caption for caption in motion.captions)


def test_handedness_is_randomised_when_not_given():
    hands = {generate_motion("waving", seed, duration_s=1.0, fps=10.0).metadata["handedness"] for seed in range(12)}
    assert hands == {"left", "right"}


# ---------------------------------------------------------------------------------------------------- determinism


def _assert_identical(a: MotionSequence, b: MotionSequence) -> None:
    for name in ("global_orient", "body_pose", "transl", "betas"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert a.captions == b.captions
    assert a.metadata == b.metadata


@pytest.mark.parametrize("activity", ["walking", "overhead_racket_swing", "typing"])
def test_same_seed_gives_bitwise_identical_motion_regardless_of_global_rng(activity):
    torch.manual_seed(1)
    np.random.seed(1)  # noqa: NPY002 - global state must not matter
    first = generate_motion(activity, seed=42)
    torch.manual_seed(2)
    np.random.seed(2)  # noqa: NPY002
    torch.rand(10)
    np.random.rand(10)  # noqa: NPY002
    second = generate_motion(activity, seed=42)
    _assert_identical(first, second)


@pytest.mark.parametrize("activity", ["walking", "bicep_curl", "overhead_racket_swing"])
def test_a_motion_regenerates_from_its_metadata(activity):
    """The recorded duration (frames / fps, not the drawn one) gives back the same motion, rests and all."""
    motion = generate_motion(activity, seed=9, fps=50.0)
    again = generate_motion(activity, seed=9, fps=50.0, duration_s=motion.metadata["duration_s"])
    _assert_identical(motion, again)


def test_different_seeds_and_activities_differ():
    a = generate_motion("walking", seed=0, duration_s=2.0)
    b = generate_motion("walking", seed=1, duration_s=2.0)
    assert not torch.equal(a.body_pose, b.body_pose)
    assert a.metadata["cycle_hz"] != b.metadata["cycle_hz"]
    c = generate_motion("running", seed=0, duration_s=2.0)
    assert not torch.equal(a.betas, c.betas)  # the activity is part of the seed


def test_overrides_fix_one_parameter_and_keep_the_others():
    base = generate_motion("squats", seed=3)
    fixed = generate_motion("squats", seed=3, cycle_hz=0.4, amplitude=1.0, heading_rad=0.5, depth_deg=80.0)
    assert fixed.metadata["cycle_hz"] == 0.4
    assert fixed.metadata["amplitude"] == 1.0
    assert fixed.metadata["heading_rad"] == 0.5
    assert fixed.metadata["depth_deg"] == 80.0
    assert torch.equal(base.betas, fixed.betas)
    assert base.metadata["duration_s"] == fixed.metadata["duration_s"]
    betas = [0.5] * 10
    assert generate_motion("squats", seed=3, betas=betas).betas.tolist() == betas


def test_default_durations_and_frame_counts():
    for seed in range(5):
        motion = generate_motion("walking", seed)
        assert 4.0 <= motion.duration_s <= 12.0
    assert generate_motion("walking", 0, duration_s=2.5, fps=40.0).num_frames == 100


# ---------------------------------------------------------------------------------------------------- argument checks


def test_unknown_activity_lists_the_known_ones():
    with pytest.raises(ValueError, match="Unknown activity 'moonwalk'.*walking"):
        generate_motion("moonwalk", 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"handedness": "both"}, "handedness"),
        ({"duration_s": 0.0}, "duration_s"),
        ({"duration_s": -1.0}, "duration_s"),
        ({"fps": 0.0}, "fps"),
        ({"fps": -30.0}, "fps"),
        ({"cycle_hz": 0.0}, "cycle_hz"),
        ({"amplitude": -1.0}, "amplitude"),
        ({"wings": 2}, "Unknown parameters"),
        ({"posture": "lying"}, "posture"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_motion("waving", 0, **kwargs)


# ---------------------------------------------------------------------------------------------------- sampling


def test_sample_motions_is_deterministic_and_balanced():
    kwargs = {"duration_s": 1.0, "fps": 10.0}
    first = list(sample_motions(2 * len(list_activities()) + 1, seed=5, **kwargs))
    second = list(sample_motions(2 * len(list_activities()) + 1, seed=5, **kwargs))
    for a, b in zip(first, second, strict=True):
        _assert_identical(a, b)
    counts = {name: sum(m.activity == name for m in first) for name in list_activities()}
    assert set(counts.values()) <= {2, 3}
    other = [m.sequence_id for m in sample_motions(5, seed=6, **kwargs)]
    assert other != [m.sequence_id for m in first[:5]]


def test_sample_motions_with_a_subset_and_errors():
    motions = list(sample_motions(4, seed=0, activities=["walking", "sitting"], duration_s=1.0))
    assert sorted(m.activity for m in motions) == ["sitting", "sitting", "walking", "walking"]
    with pytest.raises(ValueError, match="Unknown activity"):
        list(sample_motions(1, seed=0, activities=["flying"]))


# ---------------------------------------------------------------------------------------------------- kinematics


def test_walking_and_running_advance_at_plausible_speeds_along_the_heading():
    for activity, (low, high) in (("walking", (0.95, 1.75)), ("running", (2.2, 3.8))):
        for seed in range(4):
            motion = generate_motion(activity, seed)
            travel = motion.transl[-1] - motion.transl[0]
            speed = float(travel[[0, 2]].norm()) / motion.duration_s
            assert low <= speed <= high, (activity, seed, speed)
            heading = motion.metadata["heading_rad"]
            direction = torch.tensor([math.sin(heading), 0.0, math.cos(heading)], dtype=torch.float64)
            assert float(travel @ direction) / float(travel.norm()) > 0.97  # walks where it faces
            assert 0.02 < float(motion.transl[:, 1].max() - motion.transl[:, 1].min()) < 0.12  # bobbing


def test_walking_feet_alternate_and_arms_swing_against_the_legs():
    motion = generate_motion("walking", 2, duration_s=6.0, heading_rad=0.0, sway=0.0)
    positions, _ = forward_kinematics(motion)
    relative = in_heading_frame(motion, positions - positions[:, :1])
    left_foot, right_foot = relative[:, J["left_ankle"], 2], relative[:, J["right_ankle"], 2]
    left_hand, right_hand = relative[:, J["left_wrist"], 2], relative[:, J["right_wrist"], 2]
    assert np.corrcoef(left_foot, right_foot)[0, 1] < -0.6
    assert np.corrcoef(left_foot, left_hand)[0, 1] < -0.6
    assert np.corrcoef(left_hand, right_hand)[0, 1] < -0.6
    assert 0.15 < float(left_foot.max()) < 0.45 and -0.45 < float(left_foot.min()) < -0.15
    # Feet stay under the body, below the knees.
    assert (relative[:, J["left_ankle"], 1] < relative[:, J["left_knee"], 1] - 0.2).all()


def test_walking_is_slower_than_running_and_both_move_the_legs_forward():
    for activity in ("walking", "running", "climbing_stairs"):
        kwargs = {"heading_rad": 0.0, "sway": 0.0, "phase_rad": 0.0, "handedness": "right"}  # left mirrors
        motion = generate_motion(activity, 0, duration_s=4.0, **kwargs)
        positions, _ = forward_kinematics(motion)
        relative = in_heading_frame(motion, positions - positions[:, :1])
        # At phase 0 (left foot strike) the left foot is ahead of the pelvis, the right one behind.
        assert relative[0, J["left_ankle"], 2] > 0.05, activity
        assert relative[0, J["right_ankle"], 2] < -0.05, activity


def test_standing_arms_hang_down_with_gravity_along_the_forearm():
    motion = generate_motion("standing", 0, arms="sides")
    positions, rotations = forward_kinematics(motion)
    for side in ("left", "right"):
        drop = positions[:, J[f"{side}_shoulder"], 1] - positions[:, J[f"{side}_wrist"], 1]
        assert (drop > 0.42).all()
        # The forearm's long axis (the elbow frame's x, mirrored for the right arm) points down.
        sign = 1.0 if side == "left" else -1.0
        forearm = sign * rotations[:, J[f"{side}_elbow"], :, 0]
        assert (forearm[:, 1] < -0.85).all()  # within ~30 deg of vertical, fidgeting included
    assert float(motion.transl.std(dim=0).max()) < 0.02  # only subtle sway


def test_sitting_lowers_the_pelvis_and_bends_hips_and_knees():
    standing = generate_motion("standing", 0, duration_s=2.0)
    sitting = generate_motion("sitting", 0, duration_s=2.0, heading_rad=0.0)
    drop = float(standing.transl[:, 1].mean() - sitting.transl[:, 1].mean())
    assert 0.25 < drop < 0.5
    positions, _ = forward_kinematics(sitting)
    relative = in_heading_frame(sitting, positions)
    for side in ("left", "right"):
        thigh = relative[:, J[f"{side}_knee"]] - relative[:, J[f"{side}_hip"]]
        shank = relative[:, J[f"{side}_ankle"]] - relative[:, J[f"{side}_knee"]]
        hip_angle = torch.rad2deg(torch.atan2(thigh[:, 2], -thigh[:, 1]))
        knee_angle = torch.rad2deg(torch.acos((thigh * shank).sum(-1) / thigh.norm(dim=-1) / shank.norm(dim=-1)))
        assert ((hip_angle > 75) & (hip_angle < 105)).all()
        assert ((knee_angle > 75) & (knee_angle < 105)).all()


@pytest.mark.parametrize("hand", ["left", "right"])
def test_waving_hand_is_above_the_shoulder_and_moves_sideways(hand):
    motion = generate_motion("waving", 4, handedness=hand, heading_rad=0.0)
    positions, _ = forward_kinematics(motion)
    wrist, shoulder = positions[:, J[f"{hand}_wrist"]], positions[:, J[f"{hand}_shoulder"]]
    assert (wrist[:, 1] > shoulder[:, 1] + 0.02).all()
    other = "right" if hand == "left" else "left"
    assert (positions[:, J[f"{other}_wrist"], 1] < positions[:, J[f"{other}_shoulder"], 1] - 0.3).all()
    relative = in_heading_frame(motion, wrist - positions[:, 0])
    sideways, forward = relative[:, 0], relative[:, 2]
    assert float(sideways.max() - sideways.min()) > 0.1
    assert float(sideways.max() - sideways.min()) > float(forward.max() - forward.min())


def test_left_handed_motion_is_the_mirror_image_of_right_handed():
    kwargs = {"duration_s": 2.0, "heading_rad": 0.0}
    right = generate_motion("drinking", 3, handedness="right", **kwargs)
    left = generate_motion("drinking", 3, handedness="left", **kwargs)
    right_positions, _ = forward_kinematics(right)
    left_positions, _ = forward_kinematics(left)
    mirrored = left_positions[:, J["left_wrist"]] * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    # Equal up to the asymmetric 0.3 mm of SMPL's rest skeleton (the test's table is symmetric).
    torch.testing.assert_close(mirrored, right_positions[:, J["right_wrist"]], atol=1e-6, rtol=0)


def test_drinking_brings_the_hand_to_the_mouth():
    motion = generate_motion("drinking", 0, handedness="right", cycle_hz=0.2, duration_s=5.0)
    positions, rotations = forward_kinematics(motion)
    mouth = positions[:, J["head"]] + rotations[:, J["head"]] @ torch.tensor([0.0, 0.0, 0.1], dtype=torch.float64)
    gap = (positions[:, J["right_wrist"]] - mouth).norm(dim=-1)
    assert float(gap.min()) < 0.15  # the wrist, holding the cup, is right below the mouth
    assert float(gap.max()) > 0.4


def test_squats_keep_the_feet_planted_and_lower_the_pelvis():
    motion = generate_motion("squats", 1, sway=0.0, duration_s=6.0)
    positions, _ = forward_kinematics(motion)
    ankles = positions[:, [J["left_ankle"], J["right_ankle"]]]
    assert float((ankles - ankles[:1]).norm(dim=-1).max()) < 0.03
    depth = float(motion.transl[:, 1].max() - motion.transl[:, 1].min())
    assert 0.25 < depth < 0.5


def test_arm_reach_puts_the_wrists_on_the_keyboard():
    motion = generate_motion("typing", 0, sway=0.0, heading_rad=0.0, duration_s=2.0)
    positions, _ = forward_kinematics(motion)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        wrist = positions[:, J[f"{side}_wrist"]]
        elbow = positions[:, J[f"{side}_elbow"]]
        assert (wrist[:, 2] - positions[:, 0, 2] > 0.15).all()  # hands in front of the body
        assert ((wrist[:, 1] - elbow[:, 1]).abs() < 0.1).all()  # forearms about level
        assert (sign * wrist[:, 0] > 0).all()  # each hand on its own side


def test_arm_inverse_kinematics_reaches_its_targets():
    targets = torch.tensor(
        [[-0.06, -0.24, 0.32], [-0.10, 0.03, 0.25], [0.0, 0.07, 0.27], [0.2, -0.2, 0.2], [-0.27, -0.06, 0.12]],
        dtype=torch.float64,
    )
    for pole in ((0.3, -1.0, -0.5), (0.7, -1.0, -0.1), (1.0, 0.3, -0.4)):
        body = PoseBuilder(len(targets))
        body.arm_reach("left", targets, pole)
        body.arm_reach("right", targets, pole)
        pose = matrix_to_axis_angle(body.rot)
        positions, _ = forward_kinematics(MotionSequence.from_tensors(pose[:, 0], pose[:, 1:], None, 30.0))
        for side, mirror in (("left", 1.0), ("right", -1.0)):
            wrist = positions[:, J[f"{side}_wrist"]] - positions[:, J[f"{side}_shoulder"]]
            wrist = wrist * torch.tensor([mirror, 1.0, 1.0], dtype=torch.float64)
            # Within the few centimetres by which SMPL's bones are not straight along x in the rest pose.
            assert float((wrist - targets).norm(dim=-1).max()) < 0.03, (pole, side)


# The exercises of two public wrist-IMU datasets, and the library activity that simulates each.
SEGLEARN_WATCH = {
    "PEN": "pendulum",
    "ABD": "shoulder_abduction",
    "FEL": "shoulder_flexion",
    "IR": "internal_rotation",
    "ER": "external_rotation",
    "TRAP": "lower_trapezius_row",
    "ROW": "bent_over_row",
}
BASIC_MOTIONS = {
    "Badminton": "overhead_racket_swing",
    "Running": "running",
    "Standing": "standing",
    "Walking": "walking",
}


def test_the_seglearn_and_basicmotions_classes_are_in_the_library():
    from seglearn.datasets import load_watch

    assert set(load_watch()["y_labels"]) == set(SEGLEARN_WATCH)
    for activity in list(SEGLEARN_WATCH.values()) + list(BASIC_MOTIONS.values()):
        assert activity in ACTIVITIES, activity
    for activity, words in (("internal_rotation", "internal rotation"), ("external_rotation", "external rotation"),
                            ("lower_trapezius_row", "trapezius"), ("bent_over_row", "row"),
                            ("overhead_racket_swing", "badminton"), ("shoulder_shrugs", "shrug")):  # fmt: skip
        captions = {c for seed in range(20) for c in generate_motion(activity, seed, duration_s=1.0).captions}
        assert any(words in caption for caption in captions), (activity, captions)


def _right_arm(activity: str, **kwargs):
    kwargs = {"handedness": "right", "heading_rad": 0.0, "sway": 0.0, "duration_s": 6.0, **kwargs}
    motion = generate_motion(activity, 0, **kwargs)
    positions, rotations = forward_kinematics(motion)
    return motion, positions, rotations


@pytest.mark.parametrize(("activity", "inwards"), [("internal_rotation", True), ("external_rotation", False)])
def test_rotation_exercises_swing_the_forearm_in_or_out_with_the_elbow_at_the_side(activity, inwards):
    motion, positions, _ = _right_arm(activity, phase_rad=0.0, variability=0.0)
    forearm = in_heading_frame(motion, positions[:, J["right_wrist"]] - positions[:, J["right_elbow"]])
    elbow = in_heading_frame(motion, positions[:, J["right_elbow"]] - positions[:, J["right_shoulder"]])
    assert (elbow[:, 1] < -0.2).all()  # the elbow stays down at the side
    assert float(elbow.std(dim=0).max()) < 0.02
    assert (forearm[:, 2] > 0.05).all() and (forearm[:, 1].abs() < 0.08).all()  # the forearm stays level, in front
    # Phase 0 is the start position; half a cycle later the forearm has swung medially (+x for the right arm,
    # which faces -x) for internal rotation, laterally for external.
    half = round(motion.fps / motion.metadata["cycle_hz"] / 2)
    swing = float(forearm[half, 0] - forearm[0, 0])
    assert (swing > 0.15) if inwards else (swing < -0.15), swing


def test_lower_trapezius_row_pulls_the_hand_back_to_the_hip_and_retracts_the_shoulder():
    motion, positions, _ = _right_arm("lower_trapezius_row", phase_rad=0.0, variability=0.0)
    wrist = in_heading_frame(motion, positions[:, J["right_wrist"]] - positions[:, J["right_shoulder"]])
    elbow = in_heading_frame(motion, positions[:, J["right_elbow"]] - positions[:, J["right_shoulder"]])
    shoulder = in_heading_frame(motion, positions[:, J["right_shoulder"]] - positions[:, J["spine3"]])
    half = round(motion.fps / motion.metadata["cycle_hz"] / 2)
    assert wrist[0, 2] > 0.3 and wrist[half, 2] < 0.1  # from reaching forward to beside the body
    assert wrist[half, 1] < wrist[0, 1] - 0.1  # down
    assert elbow[half, 2] < -0.1  # the elbow pulled back past the side
    assert shoulder[half, 2] < shoulder[0, 2] - 0.01  # the shoulder blade drawn back


def test_shrugs_lift_both_shoulders_with_the_arms_hanging():
    motion, positions, rotations = _right_arm("shoulder_shrugs", variability=0.0, amplitude=1.0)
    for side in ("left", "right"):
        shoulder = positions[:, J[f"{side}_shoulder"], 1] - positions[:, 0, 1]
        wrist = positions[:, J[f"{side}_wrist"], 1] - positions[:, 0, 1]
        assert 0.035 < float(shoulder.max() - shoulder.min()) < 0.1
        torch.testing.assert_close(wrist - wrist[0], shoulder - shoulder[0], atol=1e-9, rtol=0)  # the hands rise too
        upper_arm = rotations[:, J[f"{side}_shoulder"]]
        assert float((upper_arm - upper_arm[:1]).abs().max()) < 1e-9  # the arms keep hanging the same way


def test_bent_over_row_pulls_the_weight_from_below_the_shoulder_to_the_hip():
    motion, positions, _ = _right_arm("bent_over_row", phase_rad=0.0, variability=0.0)
    wrist = positions[:, J["right_wrist"]] - positions[:, J["right_shoulder"]]
    elbow = positions[:, J["right_elbow"]] - positions[:, J["right_shoulder"]]
    head = in_heading_frame(motion, positions[:, J["head"]] - positions[:, 0])
    assert (head[:, 2] > 0.25).all()  # bent forward
    half = round(motion.fps / motion.metadata["cycle_hz"] / 2)
    assert wrist[0, 1] < -0.4 and wrist[half, 1] > wrist[0, 1] + 0.25  # the weight comes up by a forearm or more
    assert elbow[half, 1] > -0.05  # the elbow rises to the level of the back


def test_running_flight_phase_is_ballistic():
    motion = generate_motion("running", 0, fps=120.0, sway=0.0, variability=0.0)
    height = motion.transl[:, 1]
    acceleration = (height[2:] - 2 * height[1:-1] + height[:-2]) * motion.fps**2
    assert float(acceleration.min()) == pytest.approx(-GRAVITY, abs=0.05)  # free fall in the air
    assert 8.0 < float(acceleration.max()) < 20.0  # about two body weights at mid-stance
    assert 0.04 < float(height.max() - height.min()) < 0.12


@pytest.mark.parametrize(
    ("activity", "joint", "axis"),
    [
        ("walking", "left_ankle", 2),
        ("running", "right_ankle", 2),
        ("climbing_stairs", "left_ankle", 2),
        ("jumping_jacks", "left_wrist", 1),
        ("shoulder_abduction", "right_wrist", 1),
        ("bicep_curl", "right_wrist", 1),
        ("waving", "right_wrist", 0),
        ("squats", "pelvis", 1),
        ("internal_rotation", "right_wrist", 0),
        ("lower_trapezius_row", "right_wrist", 2),
        ("bent_over_row", "right_wrist", 1),
        ("shoulder_shrugs", "right_wrist", 1),
    ],
)
def test_cadence_matches_the_requested_cycle_frequency(activity, joint, axis):
    motion = generate_motion(activity, 11, duration_s=20.0, fps=30.0, handedness="right", heading_rad=0.0)
    positions, _ = forward_kinematics(motion)
    relative = in_heading_frame(motion, positions[:, J[joint]] - (0 if joint == "pelvis" else positions[:, 0]))
    measured = dominant_frequency(relative[:, axis], motion.fps)
    assert measured == pytest.approx(motion.metadata["cycle_hz"], rel=0.08)


def test_wrist_accelerations_stay_physical():
    """Smooth trajectories: no frame-to-frame kinks that a double derivative would turn into spikes."""
    for activity in list_activities():
        motion = generate_motion(activity, 0, fps=60.0)
        positions, _ = forward_kinematics(motion)
        wrist = positions[:, [J["left_wrist"], J["right_wrist"]]]
        acceleration = (wrist[2:] - 2 * wrist[1:-1] + wrist[:-2]) * motion.fps**2
        assert float(acceleration.norm(dim=-1).max()) < 25 * GRAVITY, activity


CONVERGENCE_SITES = ["left_wrist", "right_wrist", "left_ankle", "right_ankle", "pelvis", "head"]


@pytest.fixture(scope="module")
def body():
    from imu_foundation.simulation import load_body_model

    return load_body_model()


@pytest.mark.parametrize("activity", list_activities())
def test_simulated_readings_converge_as_the_generation_rate_rises(body, activity):
    """Smooth (C2) joint trajectories and high-order derivatives: generating at 60 or 240 fps gives the same
    readings at a 40 Hz sensor rate, and the peak acceleration does not grow with the rate (a kink would)."""
    from imu_foundation.sensors import resample
    from imu_foundation.simulation import simulate_imu

    readings, peaks = {}, {}
    # Strong variety on purpose: drifting tempo, uneven arms, rests between repetitions must stay smooth too.
    variety = {"tempo_drift": 0.15, "arm_asymmetry": 0.2, "rest_fraction": 0.3 if ACTIVITIES[activity].rests else 0.0}
    for fps in (60.0, 240.0):
        motion = generate_motion(activity, 3, fps=fps, duration_s=3.0, **variety)
        native = simulate_imu(motion, body, CONVERGENCE_SITES, gravity="remove", dtype=torch.float64)
        peaks[fps] = float(native.acc.norm(dim=-1).max())
        # At a 40 Hz sensor rate (what simulate_imu(sampling_rate_hz=40) returns), without the first and last
        # 0.1 s, where the derivatives extrapolate.
        readings[fps] = [resample(x, fps, 40.0)[4:-4] for x in (native.acc, native.gyro)]
    for kind, floor in ((0, 1.0), (1, 0.5)):  # acc (m/s^2), gyro (rad/s): relative to the signal, floored
        low, high = readings[60.0][kind], readings[240.0][kind]
        error = (low - high).pow(2).mean(dim=(0, 2)).sqrt() / high.pow(2).mean(dim=(0, 2)).sqrt().clamp_min(floor)
        assert float(error.max()) < 0.02, (kind, CONVERGENCE_SITES[int(error.argmax())], float(error.max()))
    assert peaks[240.0] < 1.2 * peaks[60.0] + 1.0, peaks


# ---------------------------------------------------------------------------------------------------- variety


VARIETY_KEYS = ("tempo_drift", "tempo_jitter", "amplitude_jitter", "rest_fraction", "arm_asymmetry")


def test_variety_is_seeded_recorded_and_switched_off_by_variability_zero():
    drifts = set()
    for seed in range(8):
        motion = generate_motion("bicep_curl", seed, duration_s=2.0)
        assert all(key in motion.metadata for key in VARIETY_KEYS)
        assert abs(motion.metadata["tempo_drift"]) <= 0.15 and 0 <= motion.metadata["rest_fraction"] <= 0.3
        drifts.add(motion.metadata["tempo_drift"])
    assert len(drifts) == 8
    regular = generate_motion("bicep_curl", 0, duration_s=2.0, variability=0.0)
    assert all(regular.metadata[key] == 0.0 for key in VARIETY_KEYS)
    fixed = generate_motion("bicep_curl", 0, duration_s=2.0, tempo_drift=0.1, rest_fraction=0.3, arm_asymmetry=0.0)
    assert (fixed.metadata["tempo_drift"], fixed.metadata["rest_fraction"]) == (0.1, 0.3)
    with pytest.raises(ValueError, match="rest_fraction must stay 0"):
        generate_motion("walking", 0, rest_fraction=0.2)
    with pytest.raises(ValueError, match=r"tempo_drift must be a number in \[-0.5, 0.5\]"):
        generate_motion("walking", 0, tempo_drift=2.0)


def test_rests_hold_the_start_pose_between_repetitions_and_keep_the_cadence():
    kwargs = {"duration_s": 20.0, "fps": 30.0, "sway": 0.0, "handedness": "right", "heading_rad": 0.0}
    kwargs |= {"tempo_drift": 0.0, "tempo_jitter": 0.0, "cycle_hz": 0.4}
    resting = generate_motion("bicep_curl", 2, rest_fraction=0.35, **kwargs)
    flowing = generate_motion("bicep_curl", 2, rest_fraction=0.0, **kwargs)
    stillness = {}
    for name, motion in (("resting", resting), ("flowing", flowing)):
        positions, _ = forward_kinematics(motion)
        wrist = positions[:, J["right_wrist"]] - positions[:, J["right_shoulder"]]
        speed = (wrist[1:] - wrist[:-1]).norm(dim=-1) * motion.fps
        stillness[name] = float((speed < 0.02).double().mean())
        measured = dominant_frequency(in_heading_frame(motion, wrist)[:, 1], motion.fps)
        assert measured == pytest.approx(0.4, rel=0.08), name  # rests included, the cadence stays cycle_hz
    assert stillness["resting"] > 0.25 and stillness["flowing"] < 0.1, stillness


def test_tempo_drift_speeds_the_walker_up():
    kwargs = {"tempo_drift": 0.15, "tempo_jitter": 0.0, "amplitude_jitter": 0.0}
    motion = generate_motion("walking", 4, duration_s=30.0, fps=30.0, **kwargs)
    third = motion.num_frames // 3
    speed = (motion.transl[1:, [0, 2]] - motion.transl[:-1, [0, 2]]).norm(dim=-1) * motion.fps
    ratio = float(speed[-third:].mean() / speed[:third].mean())
    assert 1.17 < ratio < 1.27  # cadence +-15 % around the middle: 1.1 / 0.9 from the first to the last third


def test_arm_asymmetry_makes_one_arm_swing_more():
    kwargs = {"duration_s": 8.0, "sway": 0.0, "heading_rad": 0.0, "handedness": "right"}
    swing = {}
    for asymmetry in (0.0, 0.3):
        motion = generate_motion("walking", 1, arm_asymmetry=asymmetry, **kwargs)
        positions, _ = forward_kinematics(motion)
        relative = in_heading_frame(motion, positions - positions[:, :1])
        swing[asymmetry] = [float(relative[:, J[f"{side}_wrist"], 2].std()) for side in ("left", "right")]
    left, right = swing[0.3]
    assert left / right == pytest.approx((1.15 / 0.85) * swing[0.0][0] / swing[0.0][1], rel=0.05)


# ---------------------------------------------------------------------------------------------------- transitions


def test_walking_then_standing_slows_to_a_stop_and_says_so(body):
    motion = generate_motion("walking", 6, then="standing", duration_s=8.0, then_at_s=4.0, heading_rad=0.3)
    assert motion.activity == "walking_then_standing" and motion.sequence_id == "walking-6-then-standing"
    assert len(motion.captions) == 3 and len(set(motion.captions)) == 3
    for caption in motion.captions:
        assert "walk" in caption and "stand" in caption and caption.index("walk") < caption.index("stand")
    speed = (motion.transl[1:, [0, 2]] - motion.transl[:-1, [0, 2]]).norm(dim=-1) * motion.fps
    assert 0.9 < float(speed[: 3 * 60].mean()) < 1.8  # walking for the first 3 s
    assert float(speed[-2 * 60 :].max()) < 0.05  # standing for the last 2 s
    first, second = motion.metadata["segments"]
    assert (first["activity"], second["activity"]) == ("walking", "standing")
    assert first["end_s"] == pytest.approx(4.6) and second["start_s"] == pytest.approx(3.4)
    json.dumps(motion.metadata)
    # The change is smooth: the simulated readings converge with the frame rate like any activity's.
    from imu_foundation.sensors import resample
    from imu_foundation.simulation import simulate_imu

    readings = {}
    for fps in (60.0, 240.0):
        changing = generate_motion("walking", 6, then="standing", duration_s=8.0, then_at_s=4.0, fps=fps)
        imu = simulate_imu(changing, body, CONVERGENCE_SITES, gravity="remove", dtype=torch.float64)
        readings[fps] = resample(imu.acc, fps, 40.0)[4:-4]
    error = (readings[60.0] - readings[240.0]).pow(2).mean().sqrt() / readings[240.0].pow(2).mean().sqrt()
    assert float(error) < 0.02


def test_sitting_then_standing_raises_the_pelvis_and_standing_then_sitting_lowers_it():
    up = generate_motion("sitting", 2, then="standing", duration_s=6.0, then_at_s=3.0)
    down = generate_motion("standing", 2, then="sitting", duration_s=6.0, then_at_s=3.0)
    for motion, sign in ((up, 1.0), (down, -1.0)):
        height = motion.transl[:, 1]
        assert sign * float(height[-30:].mean() - height[:30].mean()) > 0.25
        steps = (height[1:] - height[:-1]).abs() * motion.fps
        assert float(steps.max()) < 1.5  # m/s: the change takes about a second, no jump
    assert all("stand" in caption for caption in up.captions)
    assert all("sit" in caption or "seat" in caption for caption in down.captions)


def test_transition_arguments_are_checked():
    with pytest.raises(ValueError, match="Unknown activity 'flying'"):
        generate_motion("walking", 0, then="flying")
    with pytest.raises(ValueError, match="then_at_s must leave"):
        generate_motion("walking", 0, then="standing", duration_s=4.0, then_at_s=3.9)
    with pytest.raises(ValueError, match="then_at_s needs then="):
        generate_motion("walking", 0, then_at_s=2.0)


def test_sample_motions_with_transitions():
    motions = list(sample_motions(12, seed=3, transitions=1.0, duration_s=4.0, fps=20.0))
    assert all("_then_" in m.activity for m in motions)
    first = [m.metadata["segments"][0]["activity"] for m in motions]
    assert sorted(set(first)) == sorted(first) or len(set(first)) >= 11  # one pass of the shuffle, no repeats
    assert not any("_then_" in m.activity for m in sample_motions(12, seed=3, duration_s=1.0, fps=10.0))
    with pytest.raises(ValueError, match="transitions must be a probability"):
        list(sample_motions(1, seed=0, transitions=1.5))


# ---------------------------------------------------------------------------------------------------- captions


def test_captions_are_varied_and_name_what_people_call_the_activity():
    motions = list(sample_motions(3 * len(list_activities()), seed=1, duration_s=1.0, fps=10.0))
    captions = [caption for motion in motions for caption in motion.captions]
    assert len(set(captions)) > 0.9 * len(captions)
    anchors = {"internal_rotation": "internal rotation", "overhead_racket_swing": "badminton", "running": "run",
               "walking": "walk", "jumping_jacks": "jumping jack", "bent_over_row": "row"}  # fmt: skip
    for activity, anchor in anchors.items():
        texts = [c for seed in range(10) for c in generate_motion(activity, seed, duration_s=1.0, fps=10.0).captions]
        assert sum(anchor in text for text in texts) >= 0.5 * len(texts), (activity, texts)


def test_captions_only_describe_what_the_motion_does():
    rest_words, drift_words = ("pausing", "rest", "break", "pauses"), ("speeding", "faster", "slowing", "slower")
    for seed in range(15):
        steady = generate_motion("squats", seed, duration_s=1.0, fps=10.0, rest_fraction=0.0, tempo_drift=0.0)
        assert not any(word in caption for caption in steady.captions for word in rest_words + drift_words)
        low, high = ACTIVITIES["running"].cycle_hz
        fast = generate_motion("running", seed, duration_s=1.0, fps=10.0, cycle_hz=high, tempo_drift=0.0)
        assert not any(word in c for c in fast.captions for word in ("slow", "easy", "relaxed", "jog"))
        slow = generate_motion("running", seed, duration_s=1.0, fps=10.0, cycle_hz=low, tempo_drift=0.0)
        assert not any(word in c for c in slow.captions for word in ("fast", "quick", "rapid", "hard"))
