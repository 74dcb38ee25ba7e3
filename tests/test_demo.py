"""``imu-foundation demo``: the whole story on the shipped checkpoint, end to end, on a small setting."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from matplotlib.image import imread

from imu_foundation.cli import main
from imu_foundation.story import STORY_FILES

SMALL = ["--corpus-windows", "40", "--shots", "3"]


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    output = tmp_path_factory.mktemp("story")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(["demo", "--output-dir", str(output), *SMALL])
    return output, status, stdout.getvalue()


def test_every_step_runs_and_reports_what_it_measured(story):
    output, status, printed = story
    assert status == 0, printed[-2000:]
    summary = json.loads((output / STORY_FILES["summary"]).read_text())
    for name in ("basic_motions_test", "wrist_exercises"):
        scores = summary["zero_shot"][name]
        assert 0 <= scores["macro_f1"] <= 1 and 0 <= scores["accuracy"] <= 1
        assert f"accuracy {scores['accuracy']:.3f}" in printed
    assert summary["zero_shot"]["wrist_exercises"]["chance"] == pytest.approx(1 / 7)
    assert summary["retrieval"]["windows"] == 40 and len(summary["retrieval"]["queries"]) == 4
    tuned = summary["fine_tuning"]
    assert "3 windows/class" in tuned["protocol"] and "hand-crafted" in printed
    for method in ("multi3net_finetuned", "hand_crafted_lr"):
        assert 0 <= tuned[method]["macro_f1"] <= 1
    assert summary["publishing"]["equal"] is True
    for key in ("zero_shot_basic_motions", "zero_shot_wrist", "embeddings"):
        assert imread(output / STORY_FILES[key]).shape[0] > 100
    finetuned = output / STORY_FILES["finetuned"]
    assert (finetuned / "model.safetensors").is_file() and (finetuned / "confusion_matrix.png").is_file()
    assert "Multi^3Net" in (finetuned / "README.md").read_text() or "multi3net" in (finetuned / "README.md").read_text()


def test_an_earlier_story_is_kept_unless_asked(story, tmp_path, capsys):
    output, _, _ = story
    assert main(["demo", "--output-dir", str(output), *SMALL]) == 1
    assert "Refusing to overwrite" in capsys.readouterr().err
    mine = tmp_path / "notes.txt"
    mine.write_text("mine")
    (tmp_path / STORY_FILES["summary"]).write_text("{}")  # an earlier story's file ...
    (tmp_path / STORY_FILES["corpus"]).mkdir()  # ... and a folder of the user's with a story name
    assert main(["demo", "--output-dir", str(tmp_path), "--overwrite", *SMALL]) == 1
    assert "not written by imu-foundation" in capsys.readouterr().err
    assert mine.read_text() == "mine" and (tmp_path / STORY_FILES["corpus"]).is_dir()
    assert (tmp_path / STORY_FILES["summary"]).is_file()  # nothing removed when the overwrite is refused
