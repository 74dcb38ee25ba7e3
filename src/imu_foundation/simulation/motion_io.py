"""Motion and caption files: AMASS ``.npz``, HumanML3D caption texts, How2Sign-style SMPL-X clips and sentences.

Readers return :class:`~imu_foundation.simulation.motion.MotionSequence` objects or plain arrays and strings.
``.npz`` files are always read without pickle (``allow_pickle=False``).

* :func:`read_amass_npz`: an AMASS ``*_poses.npz`` / ``*_stageii.npz`` (SMPL-H, SMPL-X or SMPL parameters, z up);
  :meth:`MotionSequence.from_amass_npz` calls it.
* :func:`read_humanml3d_captions`: ``caption#tokens#start_s#end_s`` lines of a HumanML3D text file.
* :func:`read_smplx_params`: SMPL-X parameters from one ``.npz`` per clip or a folder of per-frame ``.npz`` files,
  as video pose estimators write them; build the sequence with :meth:`MotionSequence.from_smplx_params`.
* :func:`read_sentences`: How2Sign's ``SENTENCE_NAME -> SENTENCE`` table.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .body_model_files import GENDERS
from .motion import MotionSequence
from .skeleton import NUM_SMPLX_BODY_JOINTS

# Widths of AMASS's ``poses`` rows: root (3) + body joints (3 each) [+ jaw and eyes (9) for SMPL-X] + hands (90).
AMASS_POSE_LAYOUTS = {72: "smpl", 156: "smplh", 165: "smplx"}
SMPLX_PARAM_KEYS = ("global_orient", "root_orient", "body_pose", "left_hand_pose", "right_hand_pose", "transl", "trans")
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip
_NUMERIC_KINDS = "iuf"  # signed and unsigned integers, floats (not booleans, complex numbers, strings or objects)


class MotionFileError(ValueError):
    """A motion or caption file that cannot be used; the message names the file and what is wrong with it."""


# ---------------------------------------------------------------------------------------------------- .npz archives


def read_npz(path: str | Path, description: str = "motion file") -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive, read without pickle.

    Arrays of Python objects are refused, not unpickled: loading them could run code. Anything that is not an
    archive of ``.npy`` arrays (other files, truncated or corrupted archives) is a :class:`MotionFileError` naming
    the file.

    Args:
        path: the ``.npz`` file.
        description: what the file should be, for the messages (``"AMASS motion file"``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{description} not found: {path}")
    with path.open("rb") as handle:
        signature = handle.read(4)
    if signature not in _ZIP_SIGNATURES:
        raise MotionFileError(
            f"{path} is not an .npz archive of NumPy arrays (expected a {description}); it starts with {signature!r}."
        )
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    raise MotionFileError(f"{path} is not an .npz archive: its member {member!r} is not a .npy array.")
                arrays[member[: -len(".npy")]] = _read_npy_member(path, archive, member)
    except MotionFileError:
        raise
    except Exception as error:  # noqa: BLE001 - zip, zlib and .npy header errors, re-raised with the file named
        raise MotionFileError(f"{path} is not a readable .npz archive: {type(error).__name__}: {error}") from error
    return arrays


def _read_npy_member(path: Path, archive: zipfile.ZipFile, member: str) -> np.ndarray:
    """One ``.npy`` member; its header is checked first so that object arrays are never unpickled."""
    with archive.open(member) as handle:
        version = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        _, _, dtype = read_header(handle)
    if dtype.hasobject:
        raise MotionFileError(
            f"{path}: array {member[:-4]!r} holds Python objects (dtype object); motion files must hold numeric "
            "arrays and strings, and object arrays are not loaded (unpickling could run code)."
        )
    with archive.open(member) as handle:
        return np.lib.format.read_array(handle, allow_pickle=False)


def _numeric(path: Path, key: str, value: np.ndarray) -> np.ndarray:
    """``value`` as float64 if it holds real numbers; a :class:`MotionFileError` otherwise."""
    if value.dtype.kind not in _NUMERIC_KINDS:
        raise MotionFileError(f"{path}: {key!r} must hold numbers, got a {value.dtype} array of shape {value.shape}.")
    return value.astype(np.float64)


def _positive_scalar(path: Path, key: str, value: np.ndarray) -> float:
    """A positive, finite number stored as a one-element array (a frame rate)."""
    number = _numeric(path, key, value)
    if number.size != 1 or not (math.isfinite(number.item()) and number.item() > 0):
        raise MotionFileError(f"{path}: {key!r} must be one positive, finite number, got {value!r}.")
    return float(number.item())


def _gender(path: Path, value: np.ndarray | None) -> str:
    """The stored gender as ``"female"``, ``"male"`` or ``"neutral"``, from a string or bytes array of one element."""
    if value is None:
        return "neutral"
    if value.dtype.kind not in "SU" or value.size != 1:
        raise MotionFileError(
            f"{path}: 'gender' must be one string ({', '.join(GENDERS)}), got a {value.dtype} array of shape "
            f"{value.shape}."
        )
    text = value.reshape(-1)[0]
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MotionFileError(f"{path}: 'gender' is not text: {text!r}.") from error
    gender = str(text).strip().lower() or "neutral"
    if gender not in GENDERS:
        raise MotionFileError(f"{path}: unknown gender {str(text)!r}; expected one of {', '.join(GENDERS)}.")
    return gender


# ---------------------------------------------------------------------------------------------------- motions


def read_amass_npz(path: str | Path, **kwargs: Any) -> MotionSequence:
    """Loads an AMASS ``*_poses.npz`` / ``*_stageii.npz`` file (SMPL-H or SMPL-X parameters, z up).

    Reads ``poses`` (``(T, 156)`` SMPL-H, ``(T, 165)`` SMPL-X or ``(T, 72)`` SMPL), ``trans`` ``(T, 3)``,
    ``betas``, ``gender`` (a string or bytes) and ``mocap_framerate`` (or ``mocap_frame_rate``). The file is read
    without pickle; every problem with it is a :class:`MotionFileError` (a ``ValueError``) naming the file.

    Args:
        path: the ``.npz`` file.
        **kwargs: other :class:`MotionSequence` fields (``captions``, ``sequence_id``, ...).
    """
    path = Path(path)
    arrays = read_npz(path, "AMASS motion file")
    missing = [key for key in ("poses", "trans") if key not in arrays]
    rate_key = next((k for k in ("mocap_framerate", "mocap_frame_rate") if k in arrays), None)
    if missing or rate_key is None:
        missing += [] if rate_key else ["mocap_framerate"]
        raise MotionFileError(f"{path} is not an AMASS motion file: missing {missing}; it has {sorted(arrays)}.")
    poses = _numeric(path, "poses", arrays["poses"])
    if poses.ndim != 2 or poses.shape[1] not in AMASS_POSE_LAYOUTS:
        raise MotionFileError(f"{path}: 'poses' must be (T, 72|156|165), got {poses.shape}.")
    frames = poses.shape[0]
    if frames == 0:
        raise MotionFileError(f"{path}: 'poses' has no frames.")
    trans = _numeric(path, "trans", arrays["trans"])
    if trans.shape != (frames, 3):
        raise MotionFileError(f"{path}: 'trans' must be (T={frames}, 3) metres like 'poses', got {trans.shape}.")
    fps = _positive_scalar(path, rate_key, arrays[rate_key])
    betas = _numeric(path, "betas", arrays["betas"]).reshape(-1) if "betas" in arrays else None
    layout = AMASS_POSE_LAYOUTS[poses.shape[1]]
    if layout == "smpl":
        body, hands = poses[:, 3:72], None
    else:
        body = poses[:, 3 : 3 + 3 * NUM_SMPLX_BODY_JOINTS]
        hand_start = 66 if layout == "smplh" else 75  # SMPL-X puts jaw and eyes (9 values) before the hands
        hands = poses[:, hand_start : hand_start + 90].reshape(-1, 30, 3)
    kwargs.setdefault("up_axis", "z")
    kwargs.setdefault("sequence_id", path.stem)
    kwargs.setdefault("metadata", {"source": str(path), "layout": layout})
    try:
        return MotionSequence.from_tensors(
            poses[:, :3],
            body,
            trans,
            fps,
            betas,
            gender=_gender(path, arrays.get("gender")),
            hand_pose=None if hands is None else torch.from_numpy(hands),
            **kwargs,
        )
    except MotionFileError:
        raise
    except ValueError as error:  # NaN, degrees instead of radians, millimetres instead of metres, ...
        raise MotionFileError(f"{path}: {error}") from error


def read_smplx_params(path: str | Path) -> tuple[dict[str, np.ndarray], float | None]:
    """SMPL-X parameters from one ``.npz`` (T frames) or a folder of per-frame ``.npz``; the stored fps if any.

    Returns:
        ``{name: (T, D) array}`` for the keys in :data:`SMPLX_PARAM_KEYS` found, plus ``betas`` ``(B,)``; and the
        ``fps`` stored in the files, or ``None``. Pass both to :meth:`MotionSequence.from_smplx_params`, or use
        :func:`read_smplx_motion`. Every problem with the files is a :class:`MotionFileError` naming them.
    """
    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(path.glob("*.npz"))
        if not files:
            raise MotionFileError(f"{path}: no .npz files (one per frame) in this SMPL-X clip folder.")
    else:
        raise FileNotFoundError(f"SMPL-X clip not found (a .npz file or a folder of per-frame .npz): {path}")
    per_frame = len(files) > 1 or path.is_dir()
    frames: dict[str, list[np.ndarray]] = {}
    first_file: dict[str, Path] = {}
    fps = None
    for file in files:
        arrays = read_npz(file, "SMPL-X parameter file")
        if "fps" in arrays:
            fps = _positive_scalar(file, "fps", arrays.pop("fps"))
        for key, array in arrays.items():
            if key == "betas":
                frames.setdefault(key, []).append(_numeric(file, key, array).reshape(-1))
            elif key in SMPLX_PARAM_KEYS:
                value = _numeric(file, key, array)
                if not per_frame and (value.ndim < 2 or value.shape[0] == 0):
                    raise MotionFileError(f"{file}: {key!r} must be (T, ...) values per frame, got {value.shape}.")
                value = value.reshape(1, -1) if per_frame else value.reshape(value.shape[0], -1)
                if key in frames and value.shape[1] != frames[key][0].shape[1]:
                    raise MotionFileError(
                        f"{path}: {key!r} has {frames[key][0].shape[1]} values per frame in {first_file[key].name} "
                        f"and {value.shape[1]} in {file.name}."
                    )
                frames.setdefault(key, []).append(value)
                first_file.setdefault(key, file)
    if "body_pose" not in frames:
        raise MotionFileError(f"{path}: no 'body_pose' array (SMPL-X parameters need global_orient and body_pose).")
    params = {key: np.concatenate(values) for key, values in frames.items() if key != "betas"}
    if "betas" in frames:
        params["betas"] = frames["betas"][0]
    return params, fps


def read_smplx_motion(path: str | Path, fps: float, **kwargs: Any) -> MotionSequence:
    """A :class:`MotionSequence` from a How2Sign-style SMPL-X clip (see :func:`read_smplx_params`).

    Args:
        path: one ``.npz`` with ``(T, ...)`` arrays, or a folder of per-frame ``.npz`` files.
        fps: the video frame rate (Hz), used unless the files store ``fps``.
        **kwargs: other :class:`MotionSequence` fields (``up_axis``, ``sequence_id``, ``captions``, ...).
    """
    params, stored_fps = read_smplx_params(path)
    try:
        return MotionSequence.from_smplx_params(params, stored_fps or fps, **kwargs)
    except ValueError as error:
        raise MotionFileError(f"{path}: {error}") from error


# ---------------------------------------------------------------------------------------------------- text


def _read_text(path: Path, description: str) -> str:
    if not path.is_file():
        raise FileNotFoundError(f"{description} not found: {path}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise MotionFileError(f"{path} is not UTF-8 text (expected a {description}): {error}") from error


def read_humanml3d_captions(path: str | Path) -> list[tuple[str, float | None, float | None]]:
    """``(caption, start_s, end_s)`` per line of a HumanML3D text file; ``None`` times mean the whole sequence.

    Lines are ``caption#tokens#start#end``; ``0#0``, ``nan`` or missing times cover the whole sequence.
    """
    path = Path(path)
    captions = []
    for number, line in enumerate(_read_text(path, "HumanML3D caption file").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("#")
        text = parts[0].strip()
        if not text:
            raise MotionFileError(f"{path}, line {number}: empty caption.")
        start = end = None
        if len(parts) >= 4:
            try:
                start, end = float(parts[2]), float(parts[3])
            except ValueError as error:
                raise MotionFileError(f"{path}, line {number}: start/end are not numbers: {parts[2:4]}.") from error
            if not (math.isfinite(start) and math.isfinite(end)) or (start == 0.0 and end == 0.0):
                start = end = None
            elif end <= start:
                raise MotionFileError(f"{path}, line {number}: end {end} s is not after start {start} s.")
        captions.append((text, start, end))
    return captions


def read_sentences(path: str | Path) -> dict[str, str]:
    """``SENTENCE_NAME -> SENTENCE`` from a How2Sign-style CSV (tab- or comma-separated, with a header row)."""
    path = Path(path).expanduser()
    text = _read_text(path, "sentences CSV")
    header = text.split("\n", 1)[0]
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if "\t" in header else ",")
        missing = {"SENTENCE_NAME", "SENTENCE"} - set(reader.fieldnames or [])
        if missing:
            raise MotionFileError(f"{path}: missing columns {sorted(missing)}; it has {reader.fieldnames}.")
        sentences = {}
        for line, row in enumerate(reader, start=2):
            name, sentence = (row.get("SENTENCE_NAME") or "").strip(), (row.get("SENTENCE") or "").strip()
            if not name or not sentence:
                raise MotionFileError(f"{path}, line {line}: empty SENTENCE_NAME or SENTENCE.")
            sentences[name] = sentence
    except csv.Error as error:
        raise MotionFileError(f"{path} is not a readable CSV table: {error}") from error
    return sentences
