"""The ``imu-foundation probe-imagenet`` command end to end on real data, and the wrist-exercise loader."""

from __future__ import annotations

import contextlib
import io
import json
import sys

import numpy as np
import pytest
import torch
from matplotlib.image import imread
from safetensors import safe_open
from safetensors.torch import load_file

from imu_foundation.cli import main
from imu_foundation.data import load_wrist_exercises
from imu_foundation.evaluation import FewShotProtocol, balanced_subsample, few_shot_scores, macro_f1
from imu_foundation.evaluation.frozen_features import RESULT_FILES

# Small enough for a quick run: one window per (subject, class) cell, 8 training windows per class in every fold.
QUICK = ["--max-windows", "70", "--shots", "3", "--repeats", "1", "--batch-size", "35"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Runs the demo once into a fresh folder; returns ``(output_dir, exit_status, stdout)``."""
    output_dir = tmp_path_factory.mktemp("demo")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(["probe-imagenet", "--output-dir", str(output_dir), *QUICK])
    return output_dir, status, stdout.getvalue()


# ------------------------------------------------------------------------------------------------------------------
# The demo
# ------------------------------------------------------------------------------------------------------------------
def test_demo_writes_pictures_embeddings_and_results(demo_run):
    output_dir, status, _ = demo_run
    assert status == 0
    for name in ("spectrograms.png", "embeddings_pca.png"):
        image = imread(output_dir / name)
        assert image.ndim == 3 and min(image.shape[:2]) > 200
    tensors = load_file(output_dir / "embeddings.safetensors")
    assert tensors["imagenet"].shape == (70, 1280) and tensors["untrained"].shape == (70, 1280)
    assert tensors["hand_crafted"].shape == (70, 18) and tensors["pixels"].shape == (70, 3 * 48 * 32)
    assert torch.isfinite(tensors["imagenet"]).all()
    assert tensors["labels"].unique().tolist() == list(range(7))
    assert tensors["subjects"].unique().tolist() == list(range(10))
    with safe_open(output_dir / "embeddings.safetensors", "pt") as handle:
        assert json.loads(handle.metadata()["label_names"])[0] == "PEN"
        assert json.loads(handle.metadata()["subject_names"]) == [f"{s:02d}" for s in range(1, 11)]
    results = json.loads((output_dir / "results.json").read_text())
    assert results["protocol"]["shots"] == 3 and results["num_windows"] == 70
    assert len(results["macro_f1"]) == 4


def test_demo_prints_protocol_and_macro_f1(demo_run):
    output_dir, _, printed = demo_run
    assert "leave-subjects-out" in printed and "3 windows per class" in printed
    f1_lines = [line for line in printed.splitlines() if "macro-F1 0." in line or "macro-F1 1." in line]
    assert len(f1_lines) == 4
    assert any(line.lstrip().startswith("Img2Imu EfficientNet-Lite0, ImageNet") for line in f1_lines)
    assert any(line.lstrip().startswith("baseline") for line in f1_lines)
    assert any(line.lstrip().startswith("control: spectrogram pixels, no network") for line in f1_lines)
    assert any(line.lstrip().startswith("control: same network, untrained") for line in f1_lines)
    for value in (float(v) for line in f1_lines for v in line.replace("±", " ").split() if v[:2] in ("0.", "1.")):
        assert 0.0 <= value <= 1.0
    assert str(output_dir / "embeddings.safetensors") in printed


def test_demo_refuses_to_overwrite(demo_run, capsys):
    output_dir, _, _ = demo_run
    before = {name: (output_dir / name).stat().st_mtime_ns for name in RESULT_FILES.values()}
    assert main(["probe-imagenet", "--output-dir", str(output_dir), *QUICK]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert {name: (output_dir / name).stat().st_mtime_ns for name in RESULT_FILES.values()} == before


def test_demo_overwrites_when_asked_and_keeps_other_files(tmp_path, capsys):
    (tmp_path / "spectrograms.png").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["probe-imagenet", "--output-dir", str(tmp_path), "--no-untrained-control", "--overwrite", *QUICK]) == 0
    assert imread(tmp_path / "spectrograms.png").ndim == 3
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert "random weights" not in capsys.readouterr().out


def test_demo_rejects_impossible_shots_before_writing_anything(tmp_path, capsys):
    output_dir = tmp_path / "never"
    assert main(["probe-imagenet", "--output-dir", str(output_dir), "--max-windows", "20", "--shots", "10"]) == 2
    error = capsys.readouterr().err
    assert "10 shots per class is too many" in error and error.count("\n") == 1
    assert not output_dir.exists()


# ------------------------------------------------------------------------------------------------------------------
# The evaluation helpers
# ------------------------------------------------------------------------------------------------------------------
def test_macro_f1_matches_the_definition():
    truth = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 0, 2])
    # class 0: P=1/2 R=1/2 F1=1/2; class 1: P=2/3 R=1 F1=4/5; class 2: P=1 R=1/2 F1=2/3
    assert macro_f1(truth, predicted, 3) == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)


def test_few_shot_scores_are_perfect_on_separable_features_and_paired():
    rng = np.random.default_rng(0)
    labels = np.tile(np.arange(4), 30)
    subjects = np.repeat(np.arange(1, 7), 20)
    separable = np.eye(4)[labels] * 5 + rng.normal(scale=0.1, size=(120, 4))
    noise = rng.normal(size=(120, 4))
    protocol = FewShotProtocol(shots=2, folds=3, repeats=2, seed=1)
    scores = few_shot_scores({"separable": separable, "noise": noise}, labels, subjects, protocol)
    for probe_scores in scores["separable"].values():
        assert probe_scores == pytest.approx([1.0] * 6)
    assert np.mean(scores["noise"]["logistic regression"]) < 0.6


def test_balanced_subsample_spreads_over_subjects_and_classes():
    data = load_wrist_exercises()
    chosen = balanced_subsample(data.labels, data.subjects, 70, seed=0)
    cells = set(zip(data.subjects[chosen].tolist(), data.labels[chosen].tolist()))
    assert len(chosen) == 70 and len(cells) == 70
    assert np.array_equal(chosen, balanced_subsample(data.labels, data.subjects, 70, seed=0))


# ------------------------------------------------------------------------------------------------------------------
# The loader
# ------------------------------------------------------------------------------------------------------------------
def test_load_wrist_exercises():
    data = load_wrist_exercises()
    assert data.windows.shape == (1737, 250, 6) and data.windows.dtype == np.float32
    assert data.labels.shape == data.subjects.shape == data.sequence_ids.shape == (1737,)
    assert np.unique(data.labels).tolist() == list(range(7))
    assert np.unique(data.subjects).tolist() == [f"{s:02d}" for s in range(1, 11)]
    assert data.label_names == ["PEN", "ABD", "FEL", "IR", "ER", "TRAP", "ROW"]
    assert data.channel_names == [f"wrist_{s}_{a}" for s in ("acc", "gyro") for a in "xyz"]
    assert data.sampling_rate_hz == 50 and (data.layout.acc_units, data.layout.gyro_units) == ("g", "rad/s")
    # Consecutive windows of one recording share half their samples; the first window starts the recording.
    first = np.flatnonzero(data.sequence_ids == "watch-000")
    assert len(first) > 1 and np.array_equal(data.windows[first[0], 125:], data.windows[first[1], :125])
    from seglearn.datasets import load_watch

    np.testing.assert_array_equal(data.windows[first[0]], np.asarray(load_watch()["X"][0][:250], dtype=np.float32))


def test_load_wrist_exercises_window_options():
    data = load_wrist_exercises(window_s=2.0, overlap=0.0)
    assert data.windows.shape[1:] == (100, 6)
    assert not np.array_equal(data.windows[0, 50:], data.windows[1, :50])
    with pytest.raises(ValueError, match="overlap"):
        load_wrist_exercises(overlap=1.0)
    with pytest.raises(ValueError, match="window_s"):
        load_wrist_exercises(window_s=0)


def test_load_wrist_exercises_names_the_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "seglearn.datasets", None)
    with pytest.raises(ImportError, match="seglearn"):
        load_wrist_exercises()
