"""SMPL-family model files: finding them, reading them without running their code, converting them once.

The SMPL, SMPL+H and SMPL-X downloads are Python pickles (``SMPL_NEUTRAL.pkl``) or NumPy ``.npz`` archives that
may hold object arrays, which NumPy stores pickled (smplx opens them with ``allow_pickle=True``). Unpickling runs
whatever code the file names, before anything can look at the arrays, so a crafted model file is arbitrary code
execution. The package therefore inspects a file's bytes first and unpickles only when the caller says it trusts
the file (``trust_pickled_files=True``; ``--trust-pickled-body-model`` on the command line).
:func:`convert_body_model` does that once and writes the arrays smplx needs as a plain ``.npz`` (numbers and text
only), which then loads with no opt-in.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np

ModelType = Literal["smpl", "smplh", "smplx"]
GENDERS = ("neutral", "male", "female")
MODEL_NAMES: dict[str, str] = {"smpl": "SMPL", "smplh": "SMPL+H", "smplx": "SMPL-X"}
# The arrays smplx reads for each model type.
_SMPL_ARRAYS = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table", "f")
_HAND_ARRAYS = ("hands_componentsl", "hands_componentsr", "hands_meanl", "hands_meanr")
MODEL_ARRAYS: dict[str, tuple[str, ...]] = {
    "smpl": _SMPL_ARRAYS,
    "smplh": _SMPL_ARRAYS + _HAND_ARRAYS,
    "smplx": _SMPL_ARRAYS + _HAND_ARRAYS + ("lmk_faces_idx", "lmk_bary_coords"),
}
# Kept when present: SMPL's rest joints, SMPL-X's face-contour landmarks, the generated body's sensor sites and
# keypoints, and what a converted file records about itself.
_OPTIONAL_ARRAYS = (
    "J", "dynamic_lmk_faces_idx", "dynamic_lmk_bary_coords", "site_names", "site_vertex_ids", "site_joint_ids",
    "keypoint_names", "keypoint_vertex_ids", "topology", "model_type", "gender",
)  # fmt: skip
# The first bytes np.load looks at: a zip archive (.npz; an empty archive starts with its end record) or one array.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"
_NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class BodyModelFileError(FileNotFoundError):
    """A body-model file is missing or cannot be read; the message names the file and where it was looked for."""


class PickledBodyModelError(ValueError):
    """A body-model file holds pickled objects and the caller did not say it trusts the file."""


# ---------------------------------------------------------------------------------------------------------------------
# Inspecting and reading
# ---------------------------------------------------------------------------------------------------------------------
def pickled_content(file: str | Path) -> str | None:
    """What in a body-model file is pickled, e.g. ``"a Python pickle"``; ``None`` for a pickle-free file.

    Decided from the bytes as ``np.load`` and smplx would read them, without unpickling anything: a zip archive
    (``.npz``) is pickled only in its object-dtype members, found from each member's ``.npy`` header; anything
    that is neither an archive nor a single ``.npy`` array is what smplx hands to ``pickle.load``.
    """
    file = Path(file)
    kind = _file_kind(file)
    if kind == "pickle":
        return "a Python pickle"
    if kind == "npz":
        members = _object_members(file)
        return f"object arrays {members} (NumPy stores object arrays pickled)" if members else None
    return None


def read_body_model_arrays(file: str | Path, trust_pickled_files: bool = False) -> dict[str, Any]:
    """The named arrays of a body-model file (``.npz`` archive or pickle), unpickling only if trusted.

    Args:
        file: the model file.
        trust_pickled_files: unpickle a pickle, or an ``.npz`` with object arrays. Unpickling runs any code the file
            contains: pass True only for files from a source you trust.
    Returns:
        ``{name: value}`` as stored; from a pickle, values may be ``scipy.sparse`` matrices or other objects
        (:func:`plain_body_model_arrays` turns them into arrays).
    Raises:
        PickledBodyModelError: the file holds pickled objects and ``trust_pickled_files`` is False.
        BodyModelFileError: the file is empty, a lone array, or unreadable.
    """
    file = Path(file)
    kind = _file_kind(file)
    if kind == "npy":
        raise BodyModelFileError(
            f"{file} is a single NumPy array, not a body model (an .npz archive of named arrays or an SMPL pickle)."
        )
    pickled = pickled_content(file)
    if pickled and not trust_pickled_files:
        raise PickledBodyModelError(_refusal(file, pickled))
    try:
        if kind == "pickle":  # trusted by the caller; latin1 decodes the strings of SMPL's Python 2 pickles
            with open(file, "rb") as stream:
                data = pickle.load(stream, encoding="latin1")
        else:
            with np.load(file, allow_pickle=pickled is not None) as archive:
                data = {key: archive[key] for key in archive.files}
    except ImportError as error:
        raise BodyModelFileError(
            f"{file} needs the module {error.name!r} to unpickle; original SMPL .pkl files reference chumpy. "
            "Use the 'removed chumpy' files from the SMPL site."
        ) from error
    except Exception as error:  # noqa: BLE001 - any parse failure is reported with the file named
        raise BodyModelFileError(f"{file} could not be read as a body model: {error!r}") from error
    if not isinstance(data, dict):
        raise BodyModelFileError(f"{file} holds a {type(data).__name__}, not a body model's named arrays.")
    return data


def plain_body_model_arrays(raw: Mapping[str, Any], model_type: ModelType, file: str | Path) -> dict[str, np.ndarray]:
    """The arrays smplx needs for ``model_type`` (plus the optional ones present), as plain NumPy arrays.

    Sparse matrices (SMPL's ``J_regressor``) become dense and an ``.npz`` object member is unwrapped; dtypes are
    kept, so a model built from these arrays equals one built from ``raw``. Nothing returned needs pickle.

    Raises:
        BodyModelFileError: a required array is missing, or a kept one holds Python objects rather than numbers
            or text.
    """
    required = MODEL_ARRAYS[model_type]
    missing = [key for key in required if key not in raw]
    if missing:
        raise BodyModelFileError(
            f"{file} is not an {MODEL_NAMES[model_type]} body model: it lacks {missing} (an "
            f"{MODEL_NAMES[model_type]} file holds {list(required)})."
        )
    return {key: _plain_array(raw[key], key, file) for key in required + _OPTIONAL_ARRAYS if key in raw}


def recorded_text(arrays: Mapping[str, Any], key: str) -> str | None:
    """A text field a converted file records about itself (``model_type``, ``gender``), or ``None``."""
    return str(np.asarray(arrays[key])) if key in arrays else None


def _file_kind(file: Path) -> Literal["npz", "npy", "pickle"]:
    """How ``np.load`` would read the file, from its first bytes (smplx gives a ``.pkl`` to ``pickle.load``)."""
    try:
        with open(file, "rb") as stream:
            magic = stream.read(len(_NPY_MAGIC))
    except OSError as error:
        raise BodyModelFileError(f"{file} could not be opened: {error}") from error
    if not magic:
        raise BodyModelFileError(f"{file} is empty, not a body model.")
    if magic.startswith(_ZIP_MAGIC):
        return "npz"
    return "npy" if magic == _NPY_MAGIC else "pickle"


def _object_members(file: Path) -> list[str]:
    """Names of an ``.npz`` archive's object-dtype arrays, from the ``.npy`` headers alone (no data is read)."""
    members = []
    try:
        with zipfile.ZipFile(file) as archive:
            for name in archive.namelist():
                with archive.open(name) as member:
                    if member.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                        continue  # np.load returns a member that is not an .npy array as raw bytes
                    version = tuple(member.read(2))
                    if version not in _NPY_HEADER_READERS:
                        raise BodyModelFileError(f"{file}: member {name!r} has .npy format version {version}.")
                    _, _, dtype = _NPY_HEADER_READERS[version](member)
                if dtype.hasobject:
                    members.append(name.removesuffix(".npy"))
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise BodyModelFileError(f"{file} could not be read as a NumPy .npz archive: {error!r}") from error
    return members


def _plain_array(value: Any, key: str, file: str | Path) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.dtype.hasobject and value.ndim == 0:
        value = value.item()  # an .npz object member wraps one Python object
    if hasattr(value, "toarray"):  # scipy.sparse, without importing scipy
        value = value.toarray()
    array = np.asarray(value)
    if array.dtype.hasobject:
        raise BodyModelFileError(f"{file}: {key!r} holds Python objects ({type(value).__name__}), not numbers or text.")
    return array


def _refusal(file: Path, pickled: str) -> str:
    """One line: the file, why it is refused, and the two ways in."""
    return (
        f"{file} holds {pickled}; unpickling runs any code a file contains, so it is not loaded without an opt-in. "
        f"If the file comes from a source you trust (the SMPL / SMPL+H / SMPL-X download sites), convert it once to "
        f"a pickle-free .npz with `imu-foundation convert-body-model {file} NEW_FILE.npz` "
        "(imu_foundation.simulation.convert_body_model) and use that, or opt in with trust_pickled_files=True "
        "(--trust-pickled-body-model on the command line)."
    )


# ---------------------------------------------------------------------------------------------------------------------
# Finding files
# ---------------------------------------------------------------------------------------------------------------------
def find_model_file(path: Path, model_type: ModelType | None, gender: str) -> tuple[Path, ModelType | None]:
    """Resolves a file or folder to one model file and its type (``None``: a file whose name does not tell).

    A folder is searched for SMPL's naming conventions, a pickle-free ``.npz`` before the ``.pkl`` of the same name;
    errors list every candidate path tried.
    """
    if path.is_file():
        return path, model_type or guess_model_type(path)
    if not path.is_dir():
        raise BodyModelFileError(f"body model path {path} does not exist (neither a file nor a folder).")
    candidates: list[tuple[Path, ModelType]] = []
    for kind in [model_type] if model_type else ["smpl", "smplh", "smplx"]:
        upper, short = gender.upper(), {"neutral": "neutral", "male": "m", "female": "f"}[gender]
        names = [f"{kind.upper()}_{upper}.npz", f"{kind.upper()}_{upper}.pkl", f"{kind}/{kind.upper()}_{upper}.npz",
                 f"{kind}/{kind.upper()}_{upper}.pkl", f"{gender}/model.npz", f"{kind}/{gender}/model.npz"]  # fmt: skip
        if kind == "smpl":
            names += [f"basicmodel_{short}_lbs_10_207_0_v1.1.0.pkl", f"basicModel_{short}_lbs_10_207_0_v1.0.0.pkl"]
        candidates += [(path / name, kind) for name in names]
    for candidate, kind in candidates:
        if candidate.is_file():
            return candidate, kind
    looked = "\n  ".join(str(c) for c, _ in candidates)
    raise BodyModelFileError(
        f"no {model_type or 'SMPL-family'} model file for gender {gender!r} in {path}. Looked for:\n  {looked}\n"
        "Download the models from https://smpl.is.tue.mpg.de / https://smpl-x.is.tue.mpg.de (licence required), "
        "or call load_body_model() without a path for the embedded generated body."
    )


def guess_model_type(file: Path) -> ModelType | None:
    name = file.name.lower()
    for kind in ("smplx", "smplh", "smpl"):
        if name.startswith(kind) or f"/{kind}/" in file.as_posix().lower():
            return kind  # type: ignore[return-value]
    return "smpl" if name.startswith("basicmodel") else None


def resolve_model_type(
    file: Path, requested: ModelType | None, arrays: Mapping[str, Any], named: ModelType | None = None
) -> ModelType:
    """The type asked for, else the one the file records (converted files), else the one its name (or the folder
    naming convention that found it, ``named``) tells."""
    recorded = recorded_text(arrays, "model_type")
    if recorded is not None and recorded not in MODEL_ARRAYS:
        raise BodyModelFileError(f"{file} records model_type {recorded!r}; expected one of {list(MODEL_ARRAYS)}.")
    if requested and recorded and requested != recorded:
        raise ValueError(f"{file} is a {recorded} model (recorded in the file), not {requested!r}.")
    model_type = requested or recorded or named or guess_model_type(file)
    if model_type is None:
        raise ValueError(
            f"cannot tell the model type of {file} from its name or contents; pass model_type='smpl'|'smplh'|'smplx'."
        )
    return model_type  # type: ignore[return-value]


def check_body_model_path(
    path: str | Path, model_type: ModelType | None = None, *, trust_pickled_files: bool = False
) -> list[Path]:
    """Checks, without loading or unpickling anything, the files ``load_body_model(path, ...)`` may read.

    For a folder that is one file per gender found in it. Useful before a long job starts: the refusal a worker
    would raise later is raised here.

    Returns:
        the model files found.
    Raises:
        PickledBodyModelError: one of them holds pickled objects and ``trust_pickled_files`` is False.
        BodyModelFileError: no model file is found (the message lists where it looked).
    """
    path = Path(path).expanduser()
    files: list[Path] = []
    first_error: BodyModelFileError | None = None
    for gender in GENDERS:
        try:
            file, _ = find_model_file(path, model_type, gender)
        except BodyModelFileError as error:
            first_error = first_error or error
            continue
        if file not in files:
            pickled = pickled_content(file)
            if pickled and not trust_pickled_files:
                raise PickledBodyModelError(_refusal(file, pickled))
            files.append(file)
    if not files and first_error is not None:
        raise first_error
    return files


# ---------------------------------------------------------------------------------------------------------------------
# Converting
# ---------------------------------------------------------------------------------------------------------------------
def convert_body_model(
    source: str | Path,
    target: str | Path,
    model_type: ModelType | None = None,
    gender: str | None = None,
    *,
    trust_pickled_files: bool = False,
    overwrite: bool = False,
) -> Path:
    """Writes a model file's arrays as a pickle-free ``.npz`` that ``load_body_model`` reads with no opt-in.

    The target holds the arrays smplx needs for the model type (dense, original dtypes: the loaded model gives
    identical vertices and joints) plus ``model_type`` and ``gender`` as text, nothing pickled.

    Args:
        source: the downloaded ``.pkl`` / ``.npz`` model file.
        target: the ``.npz`` to write (its folder is created).
        model_type: ``"smpl"``, ``"smplh"`` or ``"smplx"``; default: recorded in or guessed from ``source``'s name.
        gender: ``"neutral"``, ``"male"`` or ``"female"``; default: recorded in or guessed from ``source``'s name.
        trust_pickled_files: unpickle ``source`` if it is pickled; this runs any code it contains, so only for
            files from a source you trust.
        overwrite: replace an existing ``target``.
    Returns:
        the path written.
    Raises:
        PickledBodyModelError: ``source`` is pickled and ``trust_pickled_files`` is False.
        FileExistsError: ``target`` exists and ``overwrite`` is False.
    """
    source, target = Path(source).expanduser(), Path(target).expanduser()
    if target.suffix != ".npz":
        raise ValueError(f"the converted body model is written as .npz, got {target.name!r}.")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; pass overwrite=True (--overwrite) to replace it.")
    if not source.is_file():
        raise BodyModelFileError(f"body model file {source} does not exist.")
    raw = read_body_model_arrays(source, trust_pickled_files)
    model_type = resolve_model_type(source, model_type, raw)
    gender = gender or recorded_text(raw, "gender") or _guess_gender(source)
    if gender not in GENDERS:
        raise ValueError(f"cannot tell the gender of {source} from its name; pass gender='neutral'|'male'|'female'.")
    arrays = plain_body_model_arrays(raw, model_type, source)
    arrays |= {"model_type": np.array(model_type), "gender": np.array(gender)}
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed into place, so a failure never leaves half a file under its name.
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez_compressed(stream, **arrays)  # plain arrays only: nothing is pickled
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target


def _guess_gender(file: Path) -> str | None:
    """From SMPL's file names: ``SMPLX_FEMALE.npz``, ``basicModel_f_lbs_...pkl``, AMASS's ``female/model.npz``."""
    words = file.stem.lower().replace("-", "_").split("_") + [file.parent.name.lower()]
    for gender, short in (("female", "f"), ("male", "m"), ("neutral", "neutral")):
        if gender in words or (file.stem.lower().startswith("basicmodel") and short in words):
            return gender
    return None
