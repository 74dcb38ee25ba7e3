"""Synthetic-IMU corpora: motion + text through the IMU simulator into windows, as a Hugging Face ``DatasetDict``.

Three motion sources, one output schema (:mod:`imu_foundation.data.schema`):

* :class:`LibrarySource`: the package's generated, captioned motion library (``generate_motion``);
* :class:`AmassSource`: a folder of AMASS ``*.npz`` files, with HumanML3D-style caption files
  (``texts/<id>.txt``, lines ``caption#tokens#start_s#end_s``);
* :class:`SmplxSentencesSource`: How2Sign-style SMPL-X sequences (one ``.npz`` per clip, or one folder of
  per-frame ``.npz`` per clip) with a sentences CSV.

Each motion is simulated once, whole, then cut into overlapping windows, each with the pose features of the same
time span and the captions that cover it. Examples stream from ``Dataset.from_generator`` straight to Arrow, in
shards spread over ``num_proc`` processes, so memory stays flat however large the corpus. Splits are drawn per
source sequence from a hash of its id, so no motion has windows in two splits, and a sequence keeps its split when
the corpus grows. The same seed gives the same bytes: planning is seeded, each shard's content depends only on its
motions, and the simulation runs single-threaded (thread count changes float summation order).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from datasets import Dataset, DatasetDict
from huggingface_hub import DatasetCard, DatasetCardData

from ..sensors import ACC_UNITS, GRAVITY_MODES, channel_names, num_resampled_samples
from ..simulation import (
    ACTIVITIES,
    ImuErrorModel,
    MotionSequence,
    check_body_model_path,
    generate_motion,
    list_activities,
    load_body_model,
    pose_representation,
    simulate_imu,
)
from ..simulation.motion_io import read_amass_npz, read_humanml3d_captions, read_sentences, read_smplx_motion
from .schema import (
    SCHEMA_VERSION,
    CorpusPublisher,
    corpus_card,
    empty_pose,
    imu_features,
    to_json,
)

DEFAULT_SPLITS = {"train": 0.9, "validation": 0.05, "test": 0.05}
_PATH_FIELDS = ("root", "texts_dir", "sentences_csv")  # recorded by name only
ERROR_MODELS = {"consumer_mems": ImuErrorModel.consumer_mems}
_SPLIT_SALT = "imu-foundation-split"
# The simulator's first and last frames extrapolate accelerations (docs/simulation.md): windows keep clear of them.
EDGE_S = 0.1


# ----------------------------------------------------------------------------------------------------------------------
# Settings
# ----------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CorpusSettings:
    """How motions become windows. Every field but ``trust_pickled_body_model`` lands in each example's ``generator``
    JSON (it permits reading a file and does not change the data).

    Attributes:
        sites: sensor sites (``SENSOR_SITE_NAMES``); 6 channels each, acc x y z then gyro x y z.
        sampling_rate_hz: IMU rate of the windows.
        acc_units: ``"m/s^2"`` or ``"g"``; the gyroscope is always rad/s.
        gravity: ``"include"`` (specific force, what accelerometers read) or ``"remove"`` (linear acceleration).
        smoothing_frames: half-width of the finite difference for accelerations (1 = none; ~4 at 60 fps for
            noisy video-estimated poses).
        error_model: ``None`` for ideal readings or ``"consumer_mems"`` (seeded per motion).
        window_s: window length (s).
        overlap: fraction of a window shared by consecutive windows, in ``[0, 1)``.
        pose_rate_hz: frame rate of the pose window (nearest source frames); 0 stores no pose (``(0, 148)``).
        fps: frame rate of generated library motions (Hz).
        body_model: folder or file of real SMPL / SMPL-H / SMPL-X models; ``None`` for the embedded generated body.
        trust_pickled_body_model: allow a pickled ``body_model`` file (see ``load_body_model``'s
            ``trust_pickled_files``: unpickling runs code from the file).
    """

    sites: tuple[str, ...] = ("left_wrist", "right_wrist")
    sampling_rate_hz: float = 50.0
    acc_units: str = "m/s^2"
    gravity: str = "include"
    smoothing_frames: int = 1
    error_model: str | None = None
    window_s: float = 2.0
    overlap: float = 0.5
    pose_rate_hz: float = 20.0
    fps: float = 60.0
    body_model: str | None = None
    trust_pickled_body_model: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "sites", tuple(self.sites))
        if not self.sites or len(set(self.sites)) != len(self.sites):
            raise ValueError(f"sites must be a non-empty list without repeats, got {self.sites}.")
        if self.acc_units not in ACC_UNITS:
            raise ValueError(f"acc_units must be one of {list(ACC_UNITS)}, got {self.acc_units!r}.")
        if self.gravity not in GRAVITY_MODES:
            raise ValueError(f"gravity must be one of {GRAVITY_MODES}, got {self.gravity!r}.")
        if self.error_model is not None and self.error_model not in ERROR_MODELS:
            raise ValueError(f"error_model must be None or one of {sorted(ERROR_MODELS)}, got {self.error_model!r}.")
        for name in ("sampling_rate_hz", "window_s", "fps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive, got {value!r}.")
        if not (math.isfinite(self.pose_rate_hz) and self.pose_rate_hz >= 0):
            raise ValueError(f"pose_rate_hz must be >= 0 (0 = no pose), got {self.pose_rate_hz!r}.")
        if not 0.0 <= self.overlap < 1.0:
            raise ValueError(f"overlap must be in [0, 1), got {self.overlap!r}.")
        if self.smoothing_frames < 1:
            raise ValueError(f"smoothing_frames must be >= 1, got {self.smoothing_frames}.")
        if self.window_samples < 4:
            raise ValueError(f"a window of {self.window_s} s at {self.sampling_rate_hz} Hz has fewer than 4 samples.")

    @property
    def window_samples(self) -> int:
        return int(round(self.window_s * self.sampling_rate_hz))

    @property
    def hop_samples(self) -> int:
        return max(1, int(round(self.window_samples * (1.0 - self.overlap))))

    @property
    def pose_frames(self) -> int:
        return int(round(self.window_s * self.pose_rate_hz))

    @property
    def channel_names(self) -> list[str]:
        return channel_names(self.sites)

    @property
    def edge_samples(self) -> int:
        """Samples left out at each end of a simulated signal (:data:`EDGE_S`)."""
        return int(round(EDGE_S * self.sampling_rate_hz))

    def window_starts(self, num_samples: int) -> range:
        """Start samples of the windows cut from a simulated signal of ``num_samples`` samples: clear of its edges,
        every ``hop_samples``; trailing samples that fill no window are dropped."""
        return range(self.edge_samples, num_samples - self.edge_samples - self.window_samples + 1, self.hop_samples)

    def num_windows(self, num_samples: int) -> int:
        """How many windows :meth:`window_starts` cuts from ``num_samples`` samples."""
        return len(self.window_starts(num_samples))

    def to_dict(self) -> dict[str, Any]:
        """The settings as recorded in cards and examples (the body model file by name: no local paths)."""
        params = asdict(self)
        params["sites"] = list(self.sites)
        params["body_model"] = Path(self.body_model).name if self.body_model else None
        del params["trust_pickled_body_model"]
        params.update(window_samples=self.window_samples, hop_samples=self.hop_samples, pose_frames=self.pose_frames)
        return params


# ----------------------------------------------------------------------------------------------------------------------
# Motion sources: each plans a list of small JSON-able references, loaded later inside the worker processes
# ----------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LibrarySource:
    """Motions of the generated library (:func:`imu_foundation.simulation.generate_motion`).

    Give the corpus size as ``num_windows`` to :func:`build_synthetic_corpus` (exact: the last motion is cut short)
    or as ``num_motions`` here. Activities cycle in a seeded shuffle, as in ``sample_motions``; each motion's
    duration is drawn uniformly from its activity's range at planning time (raised so that every motion holds at
    least one window), so window counts are known before any motion is generated.
    """

    num_motions: int | None = None
    activities: tuple[str, ...] | None = None
    kind: str = field(default="library", init=False)

    def plan(self, seed: int, settings: CorpusSettings, num_windows: int | None) -> list[dict[str, Any]]:
        if (self.num_motions is None) == (num_windows is None):
            raise ValueError("give exactly one of num_motions (LibrarySource) and num_windows (the corpus size).")
        names = list(self.activities) if self.activities else list_activities()
        unknown = sorted(set(names) - set(ACTIVITIES))
        if unknown:
            raise ValueError(f"unknown activities {unknown}; known: {list_activities()}.")
        if num_windows is not None and max(self._windows(ACTIVITIES[n].duration_s[1], settings) for n in names) == 0:
            raise ValueError(f"no activity lasts one window of {settings.window_s} s; shorten window_s.")
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x1B2A])
        refs: list[dict[str, Any]] = []
        used: set[str] = set()
        order: list[str] = []
        total = 0
        while (num_windows is not None and total < num_windows) or (
            self.num_motions is not None and len(refs) < self.num_motions
        ):
            if not order:
                order = [names[i] for i in rng.permutation(len(names))]
            activity = order.pop(0)
            motion_seed = int(rng.integers(0, 2**31 - 1))
            low, high = ACTIVITIES[activity].duration_s
            low = max(low, settings.window_s + 2 * EDGE_S + 2 / settings.fps)  # no motion generated for nothing
            duration_s = float(rng.uniform(low, max(high, low)))
            sequence_id = f"{activity}-{motion_seed}"
            if sequence_id in used:
                continue
            used.add(sequence_id)
            count = self._windows(duration_s, settings)
            if num_windows is not None:
                count = min(count, num_windows - total)
            total += count
            refs.append(
                {
                    "kind": "library",
                    "activity": activity,
                    "seed": motion_seed,
                    "duration_s": duration_s,
                    "sequence_id": sequence_id,
                    "num_windows": count,
                }
            )
        return refs

    @staticmethod
    def _windows(duration_s: float, settings: CorpusSettings) -> int:
        frames = max(2, round(duration_s * settings.fps))  # as generate_motion counts them
        return settings.num_windows(num_resampled_samples(frames, settings.fps, settings.sampling_rate_hz))


@dataclass(frozen=True)
class AmassSource:
    """AMASS ``*.npz`` files under ``root`` (searched recursively), with optional HumanML3D-style captions.

    Layout::

        root/<dataset>/<subject>/<name>_poses.npz    poses (T, 156|165|72), trans, betas, gender, mocap_framerate
        texts_dir/<dataset>/<subject>/<name>_poses.txt   or   texts_dir/<name>_poses.txt
            one caption per line: "caption#tokens#start_s#end_s" (HumanML3D); start/end in seconds from the start
            of the npz, "0.0#0.0" (or nan) meaning the whole sequence; "#tokens..." may be omitted.

    ``shape.npz`` and ``*_stagei.npz`` (body shape only) are skipped. The sequence id is the path below ``root``
    without ``.npz``; the subject is ``<dataset>/<subject>`` when the file sits two folders deep.

    Args:
        root: the AMASS folder.
        texts_dir: the captions folder; ``None`` for none.
        require_text: skip sequences that have no caption file.
        max_motions: use a seeded random subset of this many files.
    """

    root: str
    texts_dir: str | None = None
    require_text: bool = False
    max_motions: int | None = None
    kind: str = field(default="amass", init=False)

    def plan(self, seed: int, settings: CorpusSettings, num_windows: int | None) -> list[dict[str, Any]]:
        if num_windows is not None:
            raise ValueError("num_windows applies to the motion library; limit AMASS with max_motions.")
        root = Path(self.root).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"AMASS folder not found: {root}")
        files = sorted(p for p in root.rglob("*.npz") if p.name != "shape.npz" and not p.name.endswith("_stagei.npz"))
        if not files:
            raise FileNotFoundError(f"no AMASS motion files (*.npz) under {root}.")
        refs = []
        for path in files:
            relative = path.relative_to(root).with_suffix("")
            text = self._text_file(relative)
            if text is None and self.require_text:
                continue
            subject = "/".join(relative.parts[:2]) if len(relative.parts) >= 3 else ""
            refs.append(
                {
                    "kind": "amass",
                    "path": str(path),
                    "text_path": None if text is None else str(text),
                    "sequence_id": relative.as_posix(),
                    "subject": subject,
                }
            )
        if not refs:
            raise FileNotFoundError(f"no AMASS file under {root} has a caption file in {self.texts_dir}.")
        return _subset(refs, self.max_motions, seed)

    def _text_file(self, relative: Path) -> Path | None:
        if self.texts_dir is None:
            return None
        texts = Path(self.texts_dir).expanduser()
        for candidate in (texts / relative.with_suffix(".txt"), texts / f"{relative.name}.txt"):
            if candidate.is_file():
                return candidate
        return None


@dataclass(frozen=True)
class SmplxSentencesSource:
    """How2Sign-style SMPL-X sequences with one sentence each.

    Layout::

        root/<SENTENCE_NAME>.npz        arrays (T, ...): global_orient (or root_orient) (T, 3), body_pose (T, 63),
                                        optional left_hand_pose / right_hand_pose (T, 45), transl (T, 3), betas,
                                        fps (scalar, overrides the fps argument)
        root/<SENTENCE_NAME>/*.npz      or one file per frame (same keys, one frame each), sorted by file name
        sentences_csv                   How2Sign's realigned CSV (tab- or comma-separated) with at least the
                                        columns SENTENCE_NAME and SENTENCE

    Args:
        root: the SMPL-X folder.
        sentences_csv: the sentences table.
        fps: video frame rate of the sequences (Hz), unless a file stores ``fps``.
        up_axis: the estimator world's up axis (``"y"`` after the usual alignment; see ``MotionSequence``).
        max_motions: use a seeded random subset of this many clips.
    """

    root: str
    sentences_csv: str
    fps: float
    up_axis: str = "y"
    max_motions: int | None = None
    kind: str = field(default="smplx_sentences", init=False)

    def plan(self, seed: int, settings: CorpusSettings, num_windows: int | None) -> list[dict[str, Any]]:
        if num_windows is not None:
            raise ValueError("num_windows applies to the motion library; limit SMPL-X clips with max_motions.")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps must be the positive video frame rate, got {self.fps!r}.")
        root = Path(self.root).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"SMPL-X folder not found: {root}")
        sentences = read_sentences(self.sentences_csv)
        refs = []
        for name in sorted(sentences):
            path = root / f"{name}.npz"
            if not path.is_file():
                path = root / name
                if not (path.is_dir() and any(path.glob("*.npz"))):
                    continue
            refs.append(
                {
                    "kind": "smplx_sentences",
                    "path": str(path),
                    "sequence_id": name,
                    "captions": [sentences[name]],
                    "fps": float(self.fps),
                    "up_axis": self.up_axis,
                }
            )
        if not refs:
            raise FileNotFoundError(
                f"none of the {len(sentences)} sentences of {self.sentences_csv} has SMPL-X parameters in {root} "
                "(expected <SENTENCE_NAME>.npz or a folder <SENTENCE_NAME>/ of per-frame .npz files)."
            )
        return _subset(refs, self.max_motions, seed)


MotionSource = LibrarySource | AmassSource | SmplxSentencesSource


def _subset(refs: list[dict[str, Any]], limit: int | None, seed: int) -> list[dict[str, Any]]:
    if limit is None or limit >= len(refs):
        return refs
    chosen = np.sort(np.random.default_rng(int(seed) & 0xFFFFFFFF).choice(len(refs), size=limit, replace=False))
    return [refs[i] for i in chosen]


# ----------------------------------------------------------------------------------------------------------------------
# Loading one motion (inside a worker)
# ----------------------------------------------------------------------------------------------------------------------
@dataclass
class LoadedMotion:
    """A motion with its text: ``captions`` as ``(text, start_s, end_s)``, ``None`` times covering everything."""

    motion: MotionSequence
    captions: list[tuple[str, float | None, float | None]]
    activity: str
    subject: str
    source: dict[str, Any]


def load_motion(ref: dict[str, Any], settings: CorpusSettings) -> LoadedMotion:
    """Loads (or generates) the motion a plan entry refers to."""
    kind = ref["kind"]
    if kind == "library":
        motion = generate_motion(ref["activity"], ref["seed"], duration_s=ref["duration_s"], fps=settings.fps)
        captions = [(text, None, None) for text in motion.captions]
        source = {"kind": kind, "library": "imu_foundation.simulation.motion_library", "motion": motion.metadata}
        return LoadedMotion(motion, captions, ref["activity"], "", source)
    if kind == "amass":
        motion = read_amass_npz(ref["path"])
        captions = read_humanml3d_captions(ref["text_path"]) if ref["text_path"] else []
        source = {"kind": kind, "sequence": ref["sequence_id"], "layout": motion.metadata.get("layout")}
        source |= {"fps": motion.fps, "num_frames": motion.num_frames, "gender": motion.gender}
        source |= {"captions_file": ref["text_path"] is not None}
        return LoadedMotion(motion, captions, "", ref["subject"], source)
    if kind == "smplx_sentences":
        motion = read_smplx_motion(ref["path"], ref["fps"], up_axis=ref["up_axis"], sequence_id=ref["sequence_id"])
        source = {"kind": kind, "sequence": ref["sequence_id"], "fps": motion.fps, "num_frames": motion.num_frames}
        return LoadedMotion(motion, [(c, None, None) for c in ref["captions"]], "", "", source)
    raise ValueError(f"unknown motion source kind {kind!r}.")


@functools.lru_cache(maxsize=8)
def _body(path: str | None, gender: str, trust_pickled_files: bool):
    """One body model per process and (file, gender): loading builds the smplx module."""
    if path is None:
        return load_body_model()
    return load_body_model(path, gender=gender, trust_pickled_files=trust_pickled_files)  # a checked gender


# ----------------------------------------------------------------------------------------------------------------------
# Windows of one motion
# ----------------------------------------------------------------------------------------------------------------------
def motion_examples(ref: dict[str, Any], settings: CorpusSettings, context: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Simulates one motion whole and yields its windows as schema examples.

    Args:
        ref: a plan entry (see the sources' ``plan``); ``num_windows``, when present, caps and checks the count.
        settings: the corpus settings.
        context: corpus-level parameters recorded in ``generator`` (seed, package version, ...).
    """
    loaded = load_motion(ref, settings)
    motion = loaded.motion
    error_seed = _stable_seed(context["seed"], ref["sequence_id"])
    error_model = ERROR_MODELS[settings.error_model]() if settings.error_model else None
    imu = simulate_imu(
        motion,
        _body(settings.body_model, motion.gender, settings.trust_pickled_body_model),
        sites=list(settings.sites),
        sampling_rate_hz=settings.sampling_rate_hz,
        acc_units=settings.acc_units,
        gravity=settings.gravity,
        smoothing_frames=settings.smoothing_frames,
        error_model=error_model,
        seed=error_seed,
    )
    signal = imu.channels().numpy()  # (T, 6 S) float32
    if not np.isfinite(signal).all():
        raise ValueError(f"simulated IMU of {ref['sequence_id']} contains NaN or inf; check the motion file.")
    starts = settings.window_starts(signal.shape[0])
    planned = ref.get("num_windows")
    if planned is not None:
        if planned > len(starts):
            raise RuntimeError(f"{ref['sequence_id']}: planned {planned} windows, the signal holds {len(starts)}.")
        starts = starts[:planned]
    pose = pose_representation(motion).numpy() if settings.pose_rate_hz > 0 else None
    generator = to_json(
        {
            **context,
            "source": loaded.source,
            "settings": settings.to_dict(),
            # file names only: published corpora should not carry the builder's local paths
            "simulation": imu.metadata
            | {"error_seed": error_seed, "body_model": Path(imu.metadata["body_model"]).name},
            "pose_sampling": "nearest source frame at pose_rate_hz",
        }
    )
    names = imu.channel_names
    for index, start in enumerate(starts):
        start_s = start / settings.sampling_rate_hz
        yield {
            "imu": signal[start : start + settings.window_samples],
            "channel_names": names,
            "sensor_sites": list(settings.sites),
            "sampling_rate_hz": settings.sampling_rate_hz,
            "acc_units": settings.acc_units,
            "gyro_units": "rad/s",
            "gravity": settings.gravity,
            "pose": empty_pose() if pose is None else _pose_window(pose, motion.fps, start_s, settings),
            "pose_rate_hz": settings.pose_rate_hz if pose is not None else 0.0,
            "captions": window_captions(loaded.captions, start_s, settings.window_s),
            "activity": loaded.activity,
            "subject": loaded.subject,
            "sequence_id": ref["sequence_id"],
            "window_index": index,
            "start_s": start_s,
            "generator": generator,
        }


def _pose_window(pose: np.ndarray, fps: float, start_s: float, settings: CorpusSettings) -> np.ndarray:
    """``(pose_frames, 148)``: the source frames nearest to ``start_s + k / pose_rate_hz``."""
    times = start_s + np.arange(settings.pose_frames) / settings.pose_rate_hz
    frames = np.clip(np.rint(times * fps).astype(np.int64), 0, pose.shape[0] - 1)
    return pose[frames]


def window_captions(captions: Sequence[tuple[str, float | None, float | None]], start_s: float, length_s: float):
    """Captions of a window: whole-sequence ones, and timed ones overlapping at least half of the shorter span."""
    chosen = []
    for text, begin, end in captions:
        if begin is None or end is None:
            chosen.append(text)
            continue
        overlap = min(end, start_s + length_s) - max(begin, start_s)
        if overlap >= 0.5 * min(length_s, end - begin):
            chosen.append(text)
    return chosen


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Hash of the simulator's source and assets and of this module's source."""
    package = Path(__file__).resolve().parents[1]
    files = sorted((package / "simulation").rglob("*.py")) + sorted((package / "simulation" / "assets").glob("*"))
    files += [Path(__file__), package / "data" / "schema.py"]
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _stable_seed(seed: int, sequence_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}/{sequence_id}".encode()).digest()[:4], "little")


@contextlib.contextmanager
def _single_thread() -> Iterator[None]:
    """Runs torch on one thread: results then do not depend on the thread count, and processes do not contend."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def generate_examples(shards: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The ``Dataset.from_generator`` generator: yields the examples of each shard's motions, in order.

    Args:
        shards: ``{"refs": [plan entries], "settings": CorpusSettings fields, "context": {...}}`` per shard.
    """
    for shard in shards:
        settings = CorpusSettings(**shard["settings"])
        with _single_thread():
            for ref in shard["refs"]:
                yield from motion_examples(ref, settings, shard["context"])


# ----------------------------------------------------------------------------------------------------------------------
# Building
# ----------------------------------------------------------------------------------------------------------------------
def assign_split(sequence_id: str, fractions: dict[str, float], split_seed: int = 0) -> str:
    """The split of a source sequence: a hash of its id against cumulative ``fractions`` (stable as corpora grow)."""
    digest = hashlib.sha256(f"{_SPLIT_SALT}/{split_seed}/{sequence_id}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    cumulative = 0.0
    for name, fraction in fractions.items():
        cumulative += fraction
        if position < cumulative:
            return name
    return list(fractions)[-1]


def _check_fractions(fractions: dict[str, float]) -> dict[str, float]:
    if not fractions or any(f < 0 for f in fractions.values()) or not math.isclose(sum(fractions.values()), 1.0):
        raise ValueError(f"split fractions must be >= 0 and sum to 1, got {fractions}.")
    return dict(fractions)


def _shard(refs: list[dict[str, Any]], windows_per_shard: int, motions_per_shard: int) -> list[list[dict[str, Any]]]:
    """Groups consecutive plan entries into shards of ~``windows_per_shard`` windows (or N motions when unknown)."""
    shards, current, windows = [], [], 0
    for ref in refs:
        current.append(ref)
        windows += ref.get("num_windows") or 0
        if windows >= windows_per_shard or ("num_windows" not in ref and len(current) >= motions_per_shard):
            shards.append(current)
            current, windows = [], 0
    if current:
        shards.append(current)
    return shards


@dataclass
class SyntheticCorpus(CorpusPublisher):
    """A built corpus: the ``DatasetDict`` and the parameters that made it (``config``, recorded in the card)."""

    dataset: DatasetDict
    config: dict[str, Any]

    def card(self, repo_id: str | None = None) -> DatasetCard:
        """The ``DatasetCard`` recording how the corpus was generated, from what, and under which licence."""
        return synthetic_corpus_card(self.config, self.dataset, repo_id)


def build_synthetic_corpus(
    source: MotionSource,
    settings: CorpusSettings | None = None,
    *,
    seed: int = 0,
    num_windows: int | None = None,
    split_fractions: dict[str, float] | None = None,
    split_seed: int = 0,
    num_proc: int = 1,
    cache_dir: str | None = None,
    windows_per_shard: int = 500,
    motions_per_shard: int = 8,
    writer_batch_size: int = 500,
) -> SyntheticCorpus:
    """Builds a corpus of simulated IMU windows with pose and captions, one ``Dataset`` per split.

    Args:
        source: where motions come from (:class:`LibrarySource`, :class:`AmassSource`, :class:`SmplxSentencesSource`).
        settings: simulation and windowing (:class:`CorpusSettings`).
        seed: seeds planning (which motions, their durations) and sensor errors; same seed, same bytes.
        num_windows: exact corpus size, for the motion library.
        split_fractions: ``{split: fraction}`` of source sequences (default 90/5/5 train/validation/test); empty
            splits are left out.
        split_seed: salt of the split hash (the same sequence id always lands in the same split for one salt).
        num_proc: worker processes; the result does not depend on it.
        cache_dir: where ``datasets`` writes the Arrow files (default: its cache).
        windows_per_shard / motions_per_shard: shard size (the unit of parallel work) for library / file sources.
        writer_batch_size: examples buffered before each Arrow write.
    Returns:
        :class:`SyntheticCorpus` with ``.dataset`` (``DatasetDict``), ``.config``, ``.card()``, ``.save_to_disk()``,
        ``.push_to_hub()``.
    """
    from .. import __version__

    settings = settings or CorpusSettings()
    fractions = _check_fractions(split_fractions or DEFAULT_SPLITS)
    # Problems the workers would meet are reported here, before any motion is simulated: a refused or missing body
    # model, a sensor site the body does not have.
    if settings.body_model is not None:
        check_body_model_path(settings.body_model, trust_pickled_files=settings.trust_pickled_body_model)
    body = _body(settings.body_model, "neutral", settings.trust_pickled_body_model)
    for site in settings.sites:
        body.site(site)
    refs = source.plan(seed, settings, num_windows)
    context = {"package": "imu_foundation", "package_version": __version__, "schema_version": SCHEMA_VERSION}
    context |= {"seed": seed, "split_seed": split_seed}
    source_params = {k: Path(v).name if k in _PATH_FIELDS and v else v for k, v in asdict(source).items()}
    features = imu_features(len(settings.channel_names))
    splits = {}
    for split in fractions:
        split_refs = [ref for ref in refs if assign_split(ref["sequence_id"], fractions, split_seed) == split]
        if not split_refs:
            continue
        shards = [
            {"refs": group, "settings": asdict(settings) | {"sites": list(settings.sites)}, "context": context}
            for group in _shard(split_refs, windows_per_shard, motions_per_shard)
        ]
        # The cache key covers the parameters and the code that turns them into data, so a stale cache is never reused.
        key = {"split": split, "shards": shards, "code": _code_fingerprint()}
        fingerprint = hashlib.sha256(to_json(key).encode()).hexdigest()[:32]
        splits[split] = Dataset.from_generator(
            generate_examples,
            features=features,
            gen_kwargs={"shards": shards},
            num_proc=min(num_proc, len(shards)) if num_proc > 1 else None,
            cache_dir=cache_dir,
            split=split,
            fingerprint=fingerprint,
            writer_batch_size=writer_batch_size,
        )
    config = {
        **context,
        "source": source_params,
        "settings": settings.to_dict(),
        "num_windows": {split: len(dataset) for split, dataset in splits.items()},
        "num_sequences": {split: len(set(d.unique("sequence_id"))) for split, d in splits.items()},
        "split_fractions": fractions,
    }
    return SyntheticCorpus(DatasetDict(splits), config)


# ----------------------------------------------------------------------------------------------------------------------
# The card
# ----------------------------------------------------------------------------------------------------------------------
_SOURCE_TEXT = {
    "library": (
        "Motions come from `imu_foundation.simulation.motion_library`: a **parametric, generated** library of "
        "{num_activities} captioned everyday and exercise activities (joint-angle curves, cadences and ranges of "
        "motion from the gait and exercise literature, randomised per sequence and per repetition). They are **not "
        "motion capture and not AMASS**; captions are composed from templates, verb phrases and modifiers. See the "
        "package's `docs/motion_library.md`."
    ),
    "amass": (
        "Motions are the user's AMASS files (SMPL-H / SMPL-X parameters from optical motion capture), captions from "
        "HumanML3D-style text files where given. AMASS and HumanML3D are licensed for non-commercial research and "
        "their licences restrict redistribution: check them before publishing anything derived from them."
    ),
    "smplx_sentences": (
        "Motions are the user's SMPL-X sequences estimated from video (How2Sign layout), each with its sentence. "
        "Video-estimated poses are noisy; the simulator differentiates positions twice, so `smoothing_frames` "
        "matters. How2Sign is licensed CC BY-NC 4.0: check the licence before publishing derived data."
    ),
}
_LICENSES = {"library": "apache-2.0", "amass": "other", "smplx_sentences": "cc-by-nc-4.0"}


def synthetic_corpus_card(config: dict[str, Any], dataset: DatasetDict, repo_id: str | None = None) -> DatasetCard:
    """The card of a synthetic corpus: provenance, honest caveats, schema, parameters and splits."""
    kind = config["source"]["kind"]
    settings = config["settings"]
    body = (
        "the embedded generated SMPL-format body of `imu_foundation` (SMPL's 24-joint tree with a coarse generated "
        "mesh, not the licensed SMPL model)"
        if settings["body_model"] is None
        else f"the SMPL-family model files given by the user ({Path(settings['body_model']).name})"
    )
    acceleration = (
        "specific force `R^T (p'' - g)` (gravity included, what accelerometers read)"
        if settings["gravity"] == "include"
        else "linear acceleration `R^T p''` (gravity removed)"
    )
    card_data = DatasetCardData(
        pretty_name=f"Synthetic IMU corpus ({kind})",
        license=_LICENSES[kind],
        language=["en"],
        task_categories=["feature-extraction"],
        tags=["imu", "accelerometer", "gyroscope", "motion", "smpl", "synthetic", "text-imu", "human-activity"],
    )
    intro = f"""
Simulated accelerometer and gyroscope windows of {", ".join(settings["sites"])} with the aligned pose features and
text, generated by `imu_foundation` {config["package_version"]} (schema {config["schema_version"]}).
"""
    generated = f"""
- **Motions.** {_SOURCE_TEXT[kind].format(num_activities=len(ACTIVITIES))}
- **Body.** Sensors sit on {body}; each site is a mesh vertex oriented by its segment (wrist sites follow the
  forearm).
- **IMU.** `imu_foundation.simulation.simulate_imu`: {acceleration} in {settings["acc_units"]}, body-frame
  angular velocity in rad/s, band-limited resampling to {settings["sampling_rate_hz"]:g} Hz, sensor errors:
  {settings["error_model"] or "none (ideal readings)"}.
- **Windows.** {settings["window_s"]:g} s ({settings["window_samples"]} samples), overlap {settings["overlap"]:g}; pose
  features (`pose_representation`, 148 per frame) at {settings["pose_rate_hz"]:g} Hz from the nearest source frames.
- **Splits** are drawn per source sequence from a hash of its id: no motion has windows in two splits.
- **Deterministic**: seed {config["seed"]}; rebuilding with the same parameters gives identical Arrow bytes.
"""
    licence = (
        "Generated data, released under Apache-2.0 like the package that made it."
        if kind == "library"
        else "Derived from the user's data: the source datasets' licences apply."
    )
    sections = {"How it was generated": generated, "Licence": licence}
    return corpus_card(card_data, f"Synthetic IMU corpus ({kind})", intro, sections, config, dataset, repo_id)


__all__ = [
    "DEFAULT_SPLITS",
    "AmassSource",
    "CorpusSettings",
    "LibrarySource",
    "LoadedMotion",
    "MotionSource",
    "SmplxSentencesSource",
    "SyntheticCorpus",
    "assign_split",
    "build_synthetic_corpus",
    "generate_examples",
    "load_motion",
    "motion_examples",
    "read_humanml3d_captions",
    "read_sentences",
    "window_captions",
]
