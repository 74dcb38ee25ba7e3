"""``imu-foundation simulate``: readings, pose features and a plot from a library motion, without clobbering files."""

from __future__ import annotations

import json

import pytest
from crafted_body_models import crafted_npz, crafted_pickle, smpl_pickle
from safetensors import safe_open

from imu_foundation.cli import main
from imu_foundation.simulation import POSE_REPRESENTATION_DIM, generate_body_model_arrays


def test_simulate_writes_readings_with_metadata_and_a_plot(tmp_path, capsys):
    output = tmp_path / "sim"
    arguments = ["simulate", "--activity", "waving", "--seed", "2", "--handedness", "left", "--duration-s", "4"]
    arguments += ["--sites", "left_wrist", "chest", "--rate", "25", "--units", "g", "--output-dir", str(output)]
    assert main(arguments) == 0
    with safe_open(output / "imu.safetensors", "pt") as file:
        metadata = file.metadata()
        acc, gyro, pose = file.get_tensor("acc"), file.get_tensor("gyro"), file.get_tensor("pose")
    assert acc.shape == gyro.shape == (100, 2, 3)  # 4 s at 25 Hz
    assert pose.shape == (240, POSE_REPRESENTATION_DIM)  # 4 s at the motion's 60 fps
    assert json.loads(metadata["sensor_names"]) == ["left_wrist", "chest"] and metadata["acc_units"] == "g"
    assert metadata["activity"] == "waving" and "left" in " ".join(json.loads(metadata["captions"]))
    assert 0.5 < acc[:, 1].norm(dim=-1).mean() < 1.5  # the chest barely moves: about 1 g
    assert (output / "imu.png").stat().st_size > 10_000

    before = (output / "imu.safetensors").read_bytes()
    assert main(arguments) == 1  # refuses to overwrite
    assert "Refusing to overwrite" in capsys.readouterr().err
    assert (output / "imu.safetensors").read_bytes() == before


@pytest.mark.parametrize("kind", ["pkl", "npz"])
def test_simulate_refuses_a_pickled_body_model_in_one_line(tmp_path, capsys, kind):
    marker = tmp_path / "code_ran"
    if kind == "pkl":
        body_model = crafted_pickle(tmp_path / "SMPL_NEUTRAL.pkl", marker)
    else:
        body_model = crafted_npz(tmp_path / "SMPL_NEUTRAL.npz", marker, generate_body_model_arrays())
    output = tmp_path / "sim"
    assert main(["simulate", "--body-model", str(body_model), "--output-dir", str(output)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"imu-foundation simulate: {body_model} holds ") and captured.err.count("\n") == 1
    assert "convert-body-model" in captured.err and "--trust-pickled-body-model" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not marker.exists() and not output.exists()


def test_simulate_reads_a_trusted_pickled_body_model(tmp_path, capsys):
    body_model = smpl_pickle(tmp_path / "SMPL_NEUTRAL.pkl", generate_body_model_arrays())  # benign, with its sites
    output = tmp_path / "sim"
    arguments = ["simulate", "--duration-s", "2", "--body-model", str(body_model), "--output-dir", str(output)]
    assert main([*arguments, "--trust-pickled-body-model"]) == 0
    assert f"body: {body_model}" in capsys.readouterr().out
    with safe_open(output / "imu.safetensors", "pt") as file:
        assert file.get_tensor("acc").shape == (100, 2, 3)
