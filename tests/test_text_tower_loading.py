"""Loading the frozen all-MiniLM-L6-v2 text tower is quiet when nothing is wrong, and loud when something is."""

from __future__ import annotations

import shutil

import pytest
from safetensors.torch import load_file, save_file

from imu_foundation import create_model
from imu_foundation.models.multi3net import Multi3NetModel, load_minilm_text_tower
from imu_foundation.models.multi3net.modeling_multi3net import minilm_path


def test_loading_the_text_tower_prints_no_load_report(tmp_path, capfd):
    model = create_model("multi3net-small", pretrained="minilm")
    model.save_pretrained(tmp_path / "model")
    reloaded = Multi3NetModel.from_pretrained(tmp_path / "model")  # the text tower loads from its package again
    captured = capfd.readouterr()
    assert "LOAD REPORT" not in captured.out + captured.err
    for name, weight in model.text_model.state_dict().items():
        assert (reloaded.text_model.state_dict()[name] == weight).all(), name


def test_a_text_tower_checkpoint_missing_weights_is_refused(tmp_path):
    folder = tmp_path / "minilm"
    shutil.copytree(minilm_path(), folder, ignore=shutil.ignore_patterns("*.bin", "*.onnx", "onnx", "openvino"))
    weights = load_file(str(folder / "model.safetensors"))
    dropped = next(key for key in weights if "encoder.layer.0.attention" in key)
    save_file({key: value for key, value in weights.items() if key != dropped}, str(folder / "model.safetensors"))
    with pytest.raises(ValueError, match="lacks text tower weights"):
        load_minilm_text_tower(create_model("multi3net-small"), str(folder))
