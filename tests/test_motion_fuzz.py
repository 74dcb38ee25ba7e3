"""Property-based fuzzing of the motion readers and of ``simulate_imu``'s arguments.

Every input either gives a finite result of the documented shape or a ``ValueError`` that names the problem (and,
for files, the file). The examples are derandomised so that every run checks the same inputs.
"""

from __future__ import annotations

import math
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from imu_foundation.sensors import num_resampled_samples
from imu_foundation.simulation import MotionSequence, load_body_model, simulate_imu
from imu_foundation.simulation.body_model_files import GENDERS
from imu_foundation.simulation.motion_io import read_humanml3d_captions, read_sentences, read_smplx_motion

FUZZ = settings(max_examples=50, deadline=None, derandomize=True, database=None)

# What each key usually holds, given the number of frames T: the fuzzer mostly follows these shapes (so that some
# files load) and otherwise draws any shape, dtype and value.
CANONICAL_SHAPES = {
    "poses": lambda T, rng: (T, int(rng.choice([72, 156, 165]))),
    "trans": lambda T, rng: (T, 3),
    "transl": lambda T, rng: (T, 3),
    "betas": lambda T, rng: (int(rng.choice([10, 16])),),
    "global_orient": lambda T, rng: (T, 3),
    "root_orient": lambda T, rng: (T, 3),
    "body_pose": lambda T, rng: (T, int(rng.choice([63, 69]))),
    "left_hand_pose": lambda T, rng: (T, 45),
    "right_hand_pose": lambda T, rng: (T, 45),
    "mocap_framerate": lambda T, rng: (),
    "mocap_frame_rate": lambda T, rng: (),
    "fps": lambda T, rng: (),
    "gender": lambda T, rng: (),
    "jaw_pose": lambda T, rng: (T, 3),
}
KINDS = ("float64", "float32", "int32", "uint8", "bool", "complex128", "str", "bytes")
FILLS = ("small", "zeros", "rate", "large", "nan", "inf", "degrees", "negative")


def _array(key: str, frames: int, canonical: bool, dims: list[int], kind: str, fill: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = CANONICAL_SHAPES[key](frames, rng) if canonical and key in CANONICAL_SHAPES else tuple(dims)
    if key == "gender" and canonical:
        text = rng.choice(["female", "male", "neutral", "Female", "alien", ""])
        return np.array(text, dtype="S" if kind == "bytes" else "U")
    if kind == "str":
        return np.full(shape, "x")
    if kind == "bytes":
        return np.full(shape, b"male")
    values = {
        "small": 0.2 * rng.standard_normal(shape),
        "zeros": np.zeros(shape),
        "rate": np.full(shape, 60.0),
        "large": np.full(shape, 1e6),
        "nan": np.full(shape, np.nan),
        "inf": np.full(shape, np.inf),
        "degrees": np.full(shape, 90.0),
        "negative": -np.abs(rng.standard_normal(shape)),
    }[fill]
    if kind in ("int32", "uint8"):
        values = np.nan_to_num(values, nan=0, posinf=0, neginf=0).clip(0 if kind == "uint8" else -1e6, 255)
    return values.astype(kind) if kind != "bool" else values > 0


arrays_strategy = st.builds(
    _array,
    key=st.sampled_from(sorted(CANONICAL_SHAPES) + ["extra"]),
    frames=st.sampled_from([0, 1, 3, 8]),
    canonical=st.booleans(),
    dims=st.lists(st.sampled_from([0, 1, 2, 3, 45, 63, 72, 156]), max_size=3),
    kind=st.sampled_from(KINDS),
    fill=st.sampled_from(FILLS),
    seed=st.integers(0, 2**16),
)


AMASS_KEYS = ("poses", "trans", "mocap_framerate", "betas", "gender")
SMPLX_KEYS = ("global_orient", "body_pose", "transl", "left_hand_pose", "right_hand_pose", "betas", "fps", "jaw_pose")


@st.composite
def npz_contents(draw, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Arrays of a file of ``keys``: each kept well-formed (one T for all), spoiled (any shape, dtype, value) or
    dropped, so that some files load and the others fail in every way."""
    frames = draw(st.sampled_from([0, 1, 3, 8]))
    contents = {}
    for key in keys:
        fate = draw(st.sampled_from(["keep"] * 5 + ["spoil"] * 2 + ["drop"]))
        if key == "mocap_framerate" and draw(st.booleans()):
            key = "mocap_frame_rate"  # the SMPL-X release of AMASS spells it this way
        if fate == "keep":
            kind = draw(st.sampled_from(["str", "bytes"])) if key == "gender" else "float64"
            fill = "rate" if key in ("mocap_framerate", "mocap_frame_rate", "fps") else "small"
            contents[key] = _array(key, frames, True, [], kind, fill, draw(st.integers(0, 99)))
        elif fate == "spoil":
            contents[key] = draw(arrays_strategy)
    return contents


def _write(folder: Path, name: str, contents: dict[str, np.ndarray] | bytes) -> Path:
    path = folder / name
    if isinstance(contents, bytes):
        path.write_bytes(contents)
    else:
        np.savez(path, **contents)
    return path


def _check_motion_or_named_error(read, path: Path) -> MotionSequence | None:
    """Runs ``read(path)``: a valid, finite motion or a ValueError naming the file; nothing else."""
    try:
        motion = read(path)
    except ValueError as error:
        message = str(error)
        assert path.name in message, message
        assert "allow_pickle" not in message, message
        return None
    frames = motion.num_frames
    assert frames >= 1 and motion.fps > 0 and math.isfinite(motion.fps)
    assert motion.body_pose.shape == (frames, 23, 3) and motion.transl.shape == (frames, 3)
    for tensor in (motion.global_orient, motion.body_pose, motion.transl, motion.betas):
        assert torch.isfinite(tensor).all()
    assert motion.gender in GENDERS
    return motion


@FUZZ
@given(contents=npz_contents(AMASS_KEYS))
def test_fuzz_amass_reader(contents):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), "fuzzed_poses.npz", contents)
        motion = _check_motion_or_named_error(MotionSequence.from_amass_npz, path)
        if motion is not None:
            assert motion.up_axis == "z" and len(contents["poses"]) == motion.num_frames


@FUZZ
@given(contents=npz_contents(SMPLX_KEYS), per_frame=st.integers(0, 3))
def test_fuzz_smplx_reader(contents, per_frame):
    with tempfile.TemporaryDirectory() as folder:
        if per_frame:  # a folder of per-frame files, each holding the same fuzzed arrays
            clip = Path(folder) / "fuzzed_clip"
            clip.mkdir()
            for frame in range(per_frame):
                _write(clip, f"{frame:05d}.npz", contents)
        else:
            clip = _write(Path(folder), "fuzzed_clip.npz", contents)
        _check_motion_or_named_error(lambda path: read_smplx_motion(path, fps=30.0), clip)


@FUZZ
@given(content=st.binary(max_size=200), valid_prefix=st.integers(0, 2000), as_zip=st.booleans())
def test_fuzz_garbage_bytes_and_truncated_archives(content, valid_prefix, as_zip):
    with tempfile.TemporaryDirectory() as folder:
        good = _write(Path(folder), "good.npz", {"poses": np.zeros((4, 156)), "trans": np.zeros((4, 3))}).read_bytes()
        if as_zip:  # a zip whose members are not what numpy writes
            with zipfile.ZipFile(Path(folder) / "z.zip", "w") as archive:
                archive.writestr("poses.npy", content)
            data = (Path(folder) / "z.zip").read_bytes()
        else:
            data = good[:valid_prefix] + content
        path = _write(Path(folder), "fuzzed_garbage.npz", data)
        for read in (MotionSequence.from_amass_npz, lambda p: read_smplx_motion(p, fps=30.0)):
            _check_motion_or_named_error(read, path)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from("ab #.,0123456789-nainf\t\n"), max_size=120), raw=st.binary(max_size=40))
def test_fuzz_caption_and_sentence_files(text, raw):
    with tempfile.TemporaryDirectory() as folder:
        for content in (text.encode(), raw, ("SENTENCE_NAME,SENTENCE\n" + text).encode()):
            captions_file = _write(Path(folder), "fuzzed_captions.txt", content)
            try:
                captions = read_humanml3d_captions(captions_file)
            except ValueError as error:
                assert "fuzzed_captions.txt" in str(error)
            else:
                for caption, start, end in captions:
                    assert caption and caption == caption.strip()
                    assert (start is None) == (end is None) and (start is None or end > start)
            table = _write(Path(folder), "fuzzed_sentences.csv", content)
            try:
                sentences = read_sentences(table)
            except ValueError as error:
                assert "fuzzed_sentences.csv" in str(error)
            else:
                assert all(name and sentence for name, sentence in sentences.items())


# ---------------------------------------------------------------------------------------------------- simulate_imu


@pytest.fixture(scope="module")
def body():
    return load_body_model()


def _motion(frames: int, fps: float) -> MotionSequence:
    t = torch.arange(frames, dtype=torch.float64)[:, None] / fps
    body_pose = (0.4 * torch.sin(2 * math.pi * 1.3 * t) * torch.linspace(-1, 1, 69, dtype=torch.float64)).reshape(
        frames, 23, 3
    )
    transl = torch.cat([1.2 * t, 0.03 * torch.sin(8 * t), torch.zeros_like(t)], dim=1)
    return MotionSequence.from_tensors(0.2 * torch.cos(t).expand(frames, 3), body_pose, transl, fps)


rates = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(0.5, 500.0),
    st.integers(-5, 20_000),
    st.text(max_size=4),
    st.booleans(),
    st.lists(st.floats(1, 100), max_size=2),
)
smoothings = st.one_of(st.integers(-2, 25), st.floats(-2, 25), st.text(max_size=2), st.booleans(), st.none())


@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(rate=rates, smoothing=smoothings, frames=st.integers(1, 48), fps=st.floats(5.0, 240.0))
def test_fuzz_simulate_imu_arguments(body, rate, smoothing, frames, fps):
    motion = _motion(frames, fps)
    try:
        imu = simulate_imu(motion, body, ["left_wrist", "pelvis"], sampling_rate_hz=rate, smoothing_frames=smoothing)
    except ValueError as error:
        message = str(error)
        assert any(name in message for name in ("sampling_rate_hz", "smoothing_frames", "frames")), message
        return
    expected_rate = fps if rate is None else float(rate)
    samples = num_resampled_samples(frames, fps, expected_rate)
    assert imu.sampling_rate_hz == expected_rate
    assert imu.acc.shape == imu.gyro.shape == (samples, 2, 3) and samples >= 4
    assert torch.isfinite(imu.acc).all() and torch.isfinite(imu.gyro).all()
