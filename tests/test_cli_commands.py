"""``imu-foundation build-corpus`` and ``imu-foundation evaluate``: what they write, what they print, and how they
refuse bad arguments and existing outputs."""

from __future__ import annotations

import json

import datasets
import pytest
from zero_shot_helpers import save_tiny_multi3net

from imu_foundation.cli import main
from imu_foundation.pretraining import DEFAULT_VARIANT, pose_fps_of

WINDOWS = 20


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A tiny pre-training corpus built by the command (this seed puts every motion in the train split)."""
    folder = tmp_path_factory.mktemp("corpus") / "corpus"
    assert main(["build-corpus", str(folder), "--windows", str(WINDOWS), "--seed", "0"]) == 0
    return folder


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return save_tiny_multi3net(tmp_path_factory.mktemp("model") / "tiny")


def test_build_corpus_writes_the_pretraining_corpus(corpus, capsys):
    built = datasets.load_from_disk(str(corpus))
    assert sum(len(split) for split in built.values()) == WINDOWS
    row = built["train"][0]
    assert row["pose_rate_hz"] == pose_fps_of(DEFAULT_VARIANT)  # what pre-training the default model needs
    assert len(row["pose"]) == round(10.0 * row["pose_rate_hz"])  # 10 s windows
    assert row["sampling_rate_hz"] == 20.0 and len(row["sensor_sites"]) == 8


def test_build_corpus_refuses_an_existing_output(corpus, capsys):
    assert main(["build-corpus", str(corpus), "--windows", "4"]) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "--overwrite" in error
    assert sum(len(split) for split in datasets.load_from_disk(str(corpus)).values()) == WINDOWS


@pytest.mark.parametrize("arguments", [["--windows", "0"], [], ["--windows", "three"]])
def test_build_corpus_rejects_bad_arguments(tmp_path, arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["build-corpus", str(tmp_path / "c"), *arguments])
    assert exit_info.value.code == 2
    assert not (tmp_path / "c").exists()


def test_evaluate_prints_scores_against_chance_and_writes_json(tiny_model, corpus, tmp_path, capsys):
    target = tmp_path / "out" / "evaluate.json"
    arguments = ["evaluate", str(tiny_model), "--corpus", str(corpus), "--split", "train", "--json", str(target)]
    assert main(arguments) == 0
    printed = capsys.readouterr().out
    assert "wrist_exercises" in printed and f"{1 / 7:.3f}" in printed and "0.250" in printed
    record = json.loads(target.read_text())
    scores = record["scores"]
    assert record["prompts"] == "class names"
    for key in ("basic_motions_test_accuracy", "wrist_exercises_macro_f1", "retrieval_instance_text_to_imu_mrr"):
        assert 0.0 <= scores[key] <= 1.0
    assert main(arguments) == 1  # the JSON is not overwritten unasked
    assert "--overwrite" in capsys.readouterr().err


def test_evaluate_label_strings_without_a_corpus(tiny_model, tmp_path, capsys):
    assert main(["evaluate", str(tiny_model), "--prompts", "label strings", "--json", str(tmp_path / "e.json")]) == 0
    scores = json.loads((tmp_path / "e.json").read_text())["scores"]
    assert not any(key.startswith("retrieval_") for key in scores)
    assert "basic_motions_all_accuracy" in scores


def test_evaluate_errors_are_one_line(tiny_model, corpus, tmp_path, capsys):
    assert main(["evaluate", str(tiny_model), "--corpus", str(corpus)]) == 2  # the corpus has no validation split
    assert "no split 'validation'" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "missing")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "no Multi^3Net checkpoint" in error
    with pytest.raises(SystemExit):
        main(["evaluate", str(tiny_model), "--prompts", "emoji"])


@pytest.mark.parametrize("command", ["build-corpus", "evaluate"])
def test_help_teaches_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"example:\n  imu-foundation {command} " in capsys.readouterr().out
