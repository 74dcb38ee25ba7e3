"""Motion inputs: AMASS npz files, SMPL-X parameter sequences, plain tensors, their checks, the pose features."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from imu_foundation.simulation import (
    POSE_REPRESENTATION_DIM,
    POSE_REPRESENTATION_NAMES,
    STANDARD_GRAVITY_MPS2,
    MotionSequence,
    load_body_model,
    pose_representation,
    simulate_imu,
)
from imu_foundation.simulation.rotations import axis_angle_to_matrix, matrix_to_axis_angle, rotation_y


def write_amass_file(path, frames=40, layout_width=156, seed=0, rate_key="mocap_framerate"):
    rng = np.random.default_rng(seed)
    poses = 0.2 * rng.standard_normal((frames, layout_width))
    poses[:, :3] = [math.pi / 2, 0.0, 0.0]  # AMASS bodies stand up along +z: +90 degrees about x from SMPL's y-up
    np.savez(
        path,
        poses=poses,
        trans=np.zeros((frames, 3)),
        betas=rng.standard_normal(16),
        gender=np.array("female"),
        **{rate_key: np.array(120.0)},
    )
    return poses


@pytest.mark.parametrize(("width", "layout"), [(156, "smplh"), (165, "smplx"), (72, "smpl")])
def test_amass_npz_files_load_with_their_layout(tmp_path, width, layout):
    path = tmp_path / f"walk_{layout}_poses.npz"
    poses = write_amass_file(path, layout_width=width)
    motion = MotionSequence.from_amass_npz(path)
    assert motion.up_axis == "z" and motion.fps == 120.0 and motion.gender == "female"
    assert motion.num_frames == 40 and motion.betas.shape == (16,) and motion.sequence_id == path.stem
    np.testing.assert_allclose(motion.body_pose[:, :21].reshape(40, -1).numpy(), poses[:, 3:66])
    if layout == "smpl":
        assert motion.hand_pose is None
        np.testing.assert_allclose(motion.body_pose.reshape(40, -1).numpy(), poses[:, 3:72])
    else:
        hand_start = 66 if layout == "smplh" else 75
        np.testing.assert_allclose(motion.hand_pose.reshape(40, -1).numpy(), poses[:, hand_start : hand_start + 90])
        assert torch.equal(motion.body_pose[:, 21:], torch.zeros(40, 2, 3, dtype=torch.float64))
    assert motion.metadata["layout"] == layout


def test_amass_z_up_body_at_rest_reads_gravity_along_world_z(tmp_path):
    path = tmp_path / "still_poses.npz"
    write_amass_file(path, rate_key="mocap_frame_rate")  # the SMPL-X AMASS release spells the rate this way
    still = MotionSequence.from_amass_npz(path).slice(0, 1)
    still = MotionSequence.from_tensors(
        still.global_orient.expand(30, 3), torch.zeros(30, 23, 3), None, 120.0, up_axis="z"
    )
    imu = simulate_imu(still, load_body_model(), ["head"], dtype=torch.float64)
    # Standing upright in a z-up world, the head's y axis points along world z: +1 g on the sensor's y axis.
    expected = torch.tensor([0.0, STANDARD_GRAVITY_MPS2, 0.0], dtype=torch.float64)
    torch.testing.assert_close(imu.acc[:, 0], expected.expand(30, 3), atol=1e-9, rtol=0)


def test_malformed_amass_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        MotionSequence.from_amass_npz(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, poses=np.zeros((5, 156)))
    with pytest.raises(
        ValueError, match=r"bad.npz is not an AMASS motion file: missing \['trans', 'mocap_framerate'\]"
    ):
        MotionSequence.from_amass_npz(bad)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, poses=np.zeros((5, 100)), trans=np.zeros((5, 3)), mocap_framerate=60.0)
    with pytest.raises(ValueError, match=r"'poses' must be \(T, 72\|156\|165\)"):
        MotionSequence.from_amass_npz(wrong)


def test_smplx_parameters_from_a_video_pose_estimator():
    frames = 12
    rng = np.random.default_rng(1)
    params = {
        "root_orient": rng.standard_normal((frames, 3)) * 0.1,
        "body_pose": rng.standard_normal((frames, 63)) * 0.1,
        "left_hand_pose": rng.standard_normal((frames, 45)) * 0.1,
        "transl": rng.standard_normal((frames, 3)),
        "betas": rng.standard_normal(10),
        "jaw_pose": np.zeros((frames, 3)),
    }
    motion = MotionSequence.from_smplx_params(params, fps=30.0, captions=["a person signs hello"])
    assert motion.body_pose.shape == (frames, 23, 3) and motion.hand_pose.shape == (frames, 30, 3)
    assert torch.equal(motion.hand_pose[:, 15:], torch.zeros(frames, 15, 3, dtype=torch.float64))  # right absent
    assert motion.captions == ["a person signs hello"] and motion.up_axis == "y"
    with pytest.raises(ValueError, match="not PCA"):
        MotionSequence.from_smplx_params({**params, "left_hand_pose": np.zeros((frames, 12))}, fps=30.0)
    with pytest.raises(ValueError, match="global_orient"):
        MotionSequence.from_smplx_params({"body_pose": params["body_pose"]}, fps=30.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body_pose": np.zeros((10, 22, 3))}, r"\(T, 69\)/\(T, 23, 3\) for SMPL"),
        ({"transl": np.zeros((9, 3))}, r"transl must be \(T=10, 3\)"),
        ({"global_orient": np.full((10, 3), np.nan)}, "global_orient contains NaN or inf"),
        ({"body_pose": np.full((10, 23, 3), 45.0)}, "were degrees passed"),
        ({"transl": np.full((10, 3), 1500.0)}, "millimetres"),
        ({"fps": 0.0}, "positive frame rate"),
        ({"up_axis": "x"}, "up_axis must be 'y' or 'z'"),
    ],
)
def test_bad_motion_inputs_raise_clear_errors(change, message):
    arguments = {"global_orient": np.zeros((10, 3)), "body_pose": np.zeros((10, 23, 3)), "transl": np.zeros((10, 3))}
    arguments |= {"fps": 30.0}
    extra = {"up_axis": change.pop("up_axis")} if "up_axis" in change else {}
    arguments |= change
    with pytest.raises(ValueError, match=message):
        MotionSequence.from_tensors(**arguments, **extra)


def test_too_short_and_unknown_settings_are_refused():
    motion = MotionSequence.from_tensors(np.zeros((3, 3)), np.zeros((3, 63)), None, 30.0)
    with pytest.raises(ValueError, match="at least 4"):
        simulate_imu(motion)
    longer = MotionSequence.from_tensors(np.zeros((8, 3)), np.zeros((8, 63)), None, 30.0)
    with pytest.raises(ValueError, match="acc_units"):
        simulate_imu(longer, acc_units="ft/s2")
    with pytest.raises(ValueError, match="gravity"):
        simulate_imu(longer, gravity="partial")


def heading_turned(motion: MotionSequence, yaw: float) -> MotionSequence:
    R = rotation_y(torch.tensor(yaw, dtype=torch.float64))
    orient = matrix_to_axis_angle(R @ axis_angle_to_matrix(motion.global_orient))
    return MotionSequence.from_tensors(orient, motion.body_pose, motion.transl @ R.T, motion.fps, motion.betas)


def test_pose_representation_is_documented_and_heading_invariant():
    frames = 50
    t = torch.arange(frames, dtype=torch.float64)[:, None] / 30.0
    generator = torch.Generator().manual_seed(0)
    body_pose = (0.3 * torch.randn(69, generator=generator, dtype=torch.float64) * torch.sin(4 * t)).reshape(-1, 23, 3)
    orient = torch.cat([0.1 * torch.sin(t), 0.5 * t, torch.zeros_like(t)], dim=1)
    transl = torch.cat([0.2 * t, torch.zeros_like(t), 1.4 * t], dim=1)
    motion = MotionSequence.from_tensors(orient, body_pose, transl, 30.0)
    features = pose_representation(motion)
    assert features.shape == (frames, POSE_REPRESENTATION_DIM) == (frames, len(POSE_REPRESENTATION_NAMES))
    assert features.dtype == torch.float32
    torch.testing.assert_close(features, pose_representation(heading_turned(motion, 2.0)), atol=1e-5, rtol=0)
    # Yaw rate and forward speed are what was put in.
    # (the 0.1 rad sway of the root tilts its forward axis, shifting the projected yaw by a few mrad/s)
    torch.testing.assert_close(features[:, -1], torch.full((frames,), 0.5), atol=5e-3, rtol=0)
    speed = features[:, -4:-1].norm(dim=-1)
    torch.testing.assert_close(
        speed, torch.full((frames,), math.hypot(0.2, 1.4), dtype=torch.float32), atol=1e-4, rtol=0
    )


# ---------------------------------------------------------------------------------------------------- robust inputs


def _amass_arrays(frames: int = 20, **changes) -> dict:
    arrays = {
        "poses": np.zeros((frames, 156)),
        "trans": np.zeros((frames, 3)),
        "betas": np.zeros(16),
        "gender": np.array("neutral"),
        "mocap_framerate": np.array(60.0),
    }
    arrays.update(changes)
    return {key: value for key, value in arrays.items() if value is not None}


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (np.bytes_(b"female"), "female"),  # some AMASS subsets store the gender as bytes
        (np.array(b"male"), "male"),
        (np.array("Female "), "female"),
        (np.array(["male"]), "male"),
        (np.array([b"neutral"]), "neutral"),
    ],
)
def test_amass_gender_stored_as_bytes_or_arrays_is_decoded(tmp_path, stored, expected):
    path = tmp_path / "subject_poses.npz"
    np.savez(path, **_amass_arrays(gender=stored))
    assert MotionSequence.from_amass_npz(path).gender == expected


@pytest.mark.parametrize("stored", [np.array("alien"), np.array(1.0), np.array(["male", "female"]), np.array(b"\xff")])
def test_unknown_amass_gender_is_a_value_error_naming_the_file(tmp_path, stored):
    path = tmp_path / "odd_poses.npz"
    np.savez(path, **_amass_arrays(gender=stored))
    with pytest.raises(ValueError, match=r"odd_poses\.npz.*gender"):
        MotionSequence.from_amass_npz(path)


def test_motion_sequence_refuses_an_unknown_gender():
    with pytest.raises(ValueError, match="gender must be one of"):
        MotionSequence.from_tensors(np.zeros((4, 3)), np.zeros((4, 63)), None, 30.0, gender="np.bytes_(b'female')")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"poses": np.zeros((0, 156)), "trans": np.zeros((0, 3))}, "no frames"),
        ({"trans": np.zeros((7, 3))}, r"'trans' must be \(T=20, 3\)"),
        ({"mocap_framerate": np.array([60.0, 120.0])}, "mocap_framerate"),
        ({"mocap_framerate": np.array(-60.0)}, "mocap_framerate"),
        ({"mocap_framerate": np.array("fast")}, "mocap_framerate"),
        ({"poses": np.full((20, 156), "x")}, "'poses' must hold numbers"),
        ({"poses": np.full((20, 156), np.nan)}, "NaN"),
        ({"betas": np.zeros((2, 2), dtype=complex)}, "'betas' must hold numbers"),
    ],
)
def test_bad_amass_contents_are_value_errors_naming_file_and_problem(tmp_path, changes, message):
    path = tmp_path / "broken_poses.npz"
    np.savez(path, **_amass_arrays(**changes))
    with pytest.raises(ValueError, match=message) as error:
        MotionSequence.from_amass_npz(path)
    assert "broken_poses.npz" in str(error.value)


class _Booby:
    """Unpickling this creates a marker file: proof that a reader ran pickled code."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _garbage_files(tmp_path):
    import pickle
    import zipfile

    marker = tmp_path / "UNPICKLED"
    _Booby.marker = str(marker)
    files = {}
    files["text.npz"] = b"this is not an npz file at all\n" * 10
    files["empty.npz"] = b""
    files["pickle.npz"] = pickle.dumps({"poses": _Booby()})
    np.save(tmp_path / "object.npy", np.array([_Booby()], dtype=object), allow_pickle=True)
    files["npy_with_objects.npz"] = (tmp_path / "object.npy").read_bytes()
    np.savez(tmp_path / "objects_inside.npz", poses=np.array([_Booby()], dtype=object), trans=np.zeros((1, 3)))
    files["objects_inside.npz"] = (tmp_path / "objects_inside.npz").read_bytes()
    np.savez(tmp_path / "good.npz", **_amass_arrays())
    files["truncated.npz"] = (tmp_path / "good.npz").read_bytes()[:300]
    with zipfile.ZipFile(tmp_path / "plain.zip", "w") as archive:
        archive.writestr("notes.txt", "hello")
    files["zip_of_text.npz"] = (tmp_path / "plain.zip").read_bytes()
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return list(files), marker


def test_garbage_motion_files_are_value_errors_without_pickle_advice_or_unpickling(tmp_path):
    from imu_foundation.simulation.motion_io import read_smplx_motion

    names, marker = _garbage_files(tmp_path)
    for name in names:
        for read in (MotionSequence.from_amass_npz, lambda path: read_smplx_motion(path, fps=30.0)):
            with pytest.raises(ValueError) as error:
                read(tmp_path / name)
            message = str(error.value)
            assert name in message, message
            assert "allow_pickle" not in message and "pickle.load" not in message, message
    assert not marker.exists()


def test_bad_smplx_clips_are_value_errors_naming_the_file(tmp_path):
    from imu_foundation.simulation.motion_io import read_smplx_motion

    clip = tmp_path / "clip.npz"
    np.savez(clip, global_orient=np.zeros((5, 2)), body_pose=np.zeros((5, 63)))
    with pytest.raises(ValueError, match=r"clip\.npz.*global_orient"):
        read_smplx_motion(clip, fps=30.0)
    np.savez(clip, global_orient=np.zeros(3), body_pose=np.zeros(63))
    with pytest.raises(ValueError, match=r"clip\.npz.*'global_orient' must be \(T, ...\)"):
        read_smplx_motion(clip, fps=30.0)
    folder = tmp_path / "frames"
    folder.mkdir()
    np.savez(folder / "000.npz", global_orient=np.zeros(3), body_pose=np.zeros(63))
    np.savez(folder / "001.npz", global_orient=np.zeros(3), body_pose=np.zeros(60))
    with pytest.raises(ValueError, match=r"frames.*'body_pose' has 63 values per frame in 000\.npz and 60 in 001"):
        read_smplx_motion(folder, fps=30.0)
    (tmp_path / "empty_clip").mkdir()
    with pytest.raises(ValueError, match=r"empty_clip.*no \.npz files"):
        read_smplx_motion(tmp_path / "empty_clip", fps=30.0)
    with pytest.raises(FileNotFoundError, match="missing_clip"):
        read_smplx_motion(tmp_path / "missing_clip", fps=30.0)


def test_text_files_that_are_not_utf8_are_value_errors_naming_the_file(tmp_path):
    from imu_foundation.simulation.motion_io import read_humanml3d_captions, read_sentences

    binary = tmp_path / "captions.txt"
    binary.write_bytes(b"a person walks#x#0#0\n\xff\xfe garbage")
    with pytest.raises(ValueError, match=r"captions\.txt.*UTF-8"):
        read_humanml3d_captions(binary)
    table = tmp_path / "sentences.csv"
    table.write_bytes(b"SENTENCE_NAME,SENTENCE\nclip,hello\x00\xff\n")
    with pytest.raises(ValueError, match=r"sentences\.csv"):
        read_sentences(table)


# ---------------------------------------------------------------------------------------------------- simulate_imu


@pytest.fixture(scope="module")
def short_motion():
    t = torch.arange(60, dtype=torch.float64)[:, None] / 30.0
    body_pose = (0.3 * torch.sin(3 * t) * torch.ones(1, 69, dtype=torch.float64)).reshape(60, 23, 3)
    return MotionSequence.from_tensors(0.1 * torch.sin(t).expand(60, 3), body_pose, None, 30.0)


@pytest.mark.parametrize("rate", [0, 0.0, -50.0, float("nan"), float("inf"), 1e12, 1e-3, "50", "fast", [50.0], True])
def test_sampling_rate_must_be_a_positive_finite_number(short_motion, rate):
    with pytest.raises(ValueError, match="sampling_rate_hz"):
        simulate_imu(short_motion, sites=["left_wrist"], sampling_rate_hz=rate)


def test_sampling_rate_none_is_the_motion_rate_and_numpy_numbers_are_accepted(short_motion):
    assert simulate_imu(short_motion, sites=["left_wrist"]).acc.shape == (60, 1, 3)
    imu = simulate_imu(short_motion, sites=["left_wrist"], sampling_rate_hz=np.float32(20.0))
    assert imu.sampling_rate_hz == 20.0 and imu.acc.shape == (40, 1, 3)


@pytest.mark.parametrize("rate", [1.0, 1.5])  # 60 frames at 30 fps: 2, 3 samples
def test_a_rate_that_leaves_fewer_than_four_samples_is_refused(short_motion, rate):
    with pytest.raises(ValueError, match=r"sampling_rate_hz.*gives \d sample"):
        simulate_imu(short_motion, sites=["left_wrist"], sampling_rate_hz=rate)


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        (0, ">= 1"),
        (-2, ">= 1"),
        (1.5, "whole number"),
        ("2", "whole number"),
        (True, "whole number"),
        (30, "at most 29"),
        (1000, "at most 29"),
    ],
)
def test_smoothing_window_must_fit_the_motion(short_motion, frames, message):
    with pytest.raises(ValueError, match=f"smoothing_frames.*{message}"):
        simulate_imu(short_motion, sites=["left_wrist"], smoothing_frames=frames)
    assert simulate_imu(short_motion, sites=["left_wrist"], smoothing_frames=29).acc.shape == (60, 1, 3)
