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
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .motion import MotionSequence
from .skeleton import NUM_SMPLX_BODY_JOINTS

# Widths of AMASS's ``poses`` rows: root (3) + body joints (3 each) [+ jaw and eyes (9) for SMPL-X] + hands (90).
AMASS_POSE_LAYOUTS = {72: "smpl", 156: "smplh", 165: "smplx"}
SMPLX_PARAM_KEYS = ("global_orient", "root_orient", "body_pose", "left_hand_pose", "right_hand_pose", "transl", "trans")


def read_amass_npz(path: str | Path, **kwargs: Any) -> MotionSequence:
    """Loads an AMASS ``*_poses.npz`` / ``*_stageii.npz`` file (SMPL-H or SMPL-X parameters, z up).

    Reads ``poses`` (``(T, 156)`` SMPL-H, ``(T, 165)`` SMPL-X or ``(T, 72)`` SMPL), ``trans``, ``betas``,
    ``gender`` and ``mocap_framerate`` (or ``mocap_frame_rate``). The file is read without pickle.

    Args:
        path: the ``.npz`` file.
        **kwargs: other :class:`MotionSequence` fields (``captions``, ``sequence_id``, ...).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"AMASS motion file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as error:  # noqa: BLE001 - re-raised with the file named
        raise ValueError(f"Could not read {path} as an AMASS .npz file: {error}") from error
    missing = [key for key in ("poses", "trans") if key not in arrays]
    rate_key = next((k for k in ("mocap_framerate", "mocap_frame_rate") if k in arrays), None)
    if missing or rate_key is None:
        missing += [] if rate_key else ["mocap_framerate"]
        raise ValueError(f"{path} is not an AMASS motion file: missing {missing}; it has {sorted(arrays)}.")
    poses = arrays["poses"].astype(np.float64)
    if poses.ndim != 2 or poses.shape[1] not in AMASS_POSE_LAYOUTS:
        raise ValueError(f"{path}: 'poses' must be (T, 72|156|165), got {poses.shape}.")
    layout = AMASS_POSE_LAYOUTS[poses.shape[1]]
    if layout == "smpl":
        body, hands = poses[:, 3:72], None
    else:
        body = poses[:, 3 : 3 + 3 * NUM_SMPLX_BODY_JOINTS]
        hand_start = 66 if layout == "smplh" else 75  # SMPL-X puts jaw and eyes (9 values) before the hands
        hands = poses[:, hand_start : hand_start + 90].reshape(-1, 30, 3)
    gender = str(arrays["gender"]) if "gender" in arrays else "neutral"
    kwargs.setdefault("up_axis", "z")
    kwargs.setdefault("sequence_id", path.stem)
    kwargs.setdefault("metadata", {"source": str(path), "layout": layout})
    return MotionSequence.from_tensors(
        poses[:, :3],
        body,
        arrays["trans"],
        float(arrays[rate_key]),
        arrays.get("betas"),
        gender=gender.strip().lower() or "neutral",
        hand_pose=None if hands is None else torch.from_numpy(hands),
        **kwargs,
    )


def read_smplx_params(path: str | Path) -> tuple[dict[str, np.ndarray], float | None]:
    """SMPL-X parameters from one ``.npz`` (T frames) or a folder of per-frame ``.npz``; the stored fps if any.

    Returns:
        ``{name: (T, D) array}`` for the keys in :data:`SMPLX_PARAM_KEYS` found, plus ``betas`` ``(B,)``; and the
        ``fps`` stored in the files, or ``None``. Pass both to :meth:`MotionSequence.from_smplx_params`.
    """
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.glob("*.npz"))
    frames: dict[str, list[np.ndarray]] = {}
    fps = None
    for file in files:
        try:
            with np.load(file, allow_pickle=False) as data:
                arrays = {key: np.asarray(data[key], dtype=np.float64) for key in data.files if key != "gender"}
        except Exception as error:  # noqa: BLE001 - re-raised with the file named
            raise ValueError(f"could not read {file} as an SMPL-X .npz: {error}") from error
        if "fps" in arrays:
            fps = float(arrays.pop("fps").reshape(-1)[0])
        per_frame = len(files) > 1
        for key, value in arrays.items():
            if key in SMPLX_PARAM_KEYS:
                frames.setdefault(key, []).append(value.reshape(1, -1) if per_frame else value.reshape(len(value), -1))
            elif key == "betas":
                frames.setdefault(key, []).append(value.reshape(-1))
    if "body_pose" not in frames:
        raise ValueError(f"{path}: no 'body_pose' array (SMPL-X parameters need global_orient and body_pose).")
    params = {key: np.concatenate(values) for key, values in frames.items() if key != "betas"}
    if "betas" in frames:
        params["betas"] = frames["betas"][0]
    return params, fps


def read_humanml3d_captions(path: str | Path) -> list[tuple[str, float | None, float | None]]:
    """``(caption, start_s, end_s)`` per line of a HumanML3D text file; ``None`` times mean the whole sequence.

    Lines are ``caption#tokens#start#end``; ``0#0``, ``nan`` or missing times cover the whole sequence.
    """
    path = Path(path)
    captions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("#")
        text = parts[0].strip()
        if not text:
            raise ValueError(f"{path}, line {number}: empty caption.")
        start = end = None
        if len(parts) >= 4:
            try:
                start, end = float(parts[2]), float(parts[3])
            except ValueError as error:
                raise ValueError(f"{path}, line {number}: start/end are not numbers: {parts[2:4]}.") from error
            if not (math.isfinite(start) and math.isfinite(end)) or (start == 0.0 and end == 0.0):
                start = end = None
            elif end <= start:
                raise ValueError(f"{path}, line {number}: end {end} s is not after start {start} s.")
        captions.append((text, start, end))
    return captions


def read_sentences(path: str | Path) -> dict[str, str]:
    """``SENTENCE_NAME -> SENTENCE`` from a How2Sign-style CSV (tab- or comma-separated, with a header row)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"sentences CSV not found: {path}")
    with path.open(newline="", encoding="utf-8") as handle:
        header = handle.readline()
        handle.seek(0)
        reader = csv.DictReader(handle, delimiter="\t" if "\t" in header else ",")
        missing = {"SENTENCE_NAME", "SENTENCE"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}; it has {reader.fieldnames}.")
        sentences = {}
        for line, row in enumerate(reader, start=2):
            name, sentence = (row.get("SENTENCE_NAME") or "").strip(), (row.get("SENTENCE") or "").strip()
            if not name or not sentence:
                raise ValueError(f"{path}, line {line}: empty SENTENCE_NAME or SENTENCE.")
            sentences[name] = sentence
    return sentences
