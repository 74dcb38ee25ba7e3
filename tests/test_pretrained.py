"""The checkpoint that ships with the package: it loads the HF way, offline, on a CPU, takes real recordings as they
are, matches the results its card reports, and goes to the Hub and back."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from transformers import AutoModel, AutoProcessor

import imu_foundation
from imu_foundation.data.real_benchmarks import load_basic_motions
from imu_foundation.evaluation.zero_shot_benchmarks import zero_shot_predictions
from imu_foundation.pipelines import load_pipeline

PATH = imu_foundation.pretrained_path()
WATCH = [f"wrist_{sensor}_{axis}" for sensor in ("acc", "gyro") for axis in "xyz"]


@pytest.fixture(scope="module")
def shipped():
    return AutoModel.from_pretrained(PATH).eval(), AutoProcessor.from_pretrained(PATH)


def test_it_is_listed_small_and_holds_only_trained_weights():
    assert imu_foundation.list_pretrained() == ["multi3net-small"] and PATH.name == "multi3net-small"
    assert imu_foundation.pretrained_path("multi3net-small") == PATH
    with pytest.raises(FileNotFoundError, match="No shipped checkpoint 'nope'"):
        imu_foundation.pretrained_path("nope")
    weights = PATH / "model.safetensors"
    assert weights.stat().st_size < 20e6
    with safe_open(weights, "pt") as tensors:
        assert not [name for name in tensors.keys() if name.startswith("text_model.")]  # MiniLM loads from its package
    assert not list(PATH.glob("*.py")) and not list(PATH.glob("*.bin"))
    card = (PATH / "README.md").read_text()
    assert "python training/make_pretrained.py" in card and "not AMASS" in card


def test_the_card_reports_what_the_checkpoint_does(shipped):
    model, processor = shipped
    reported = json.loads((PATH / "results.json").read_text())["scores"]
    test = load_basic_motions().windows(["test"])
    predicted = zero_shot_predictions(model, processor, test, "basic_motions")
    assert float(np.mean(predicted == test.labels)) == pytest.approx(reported["basic_motions_test_accuracy"])
    assert reported["basic_motions_test_accuracy"] >= 0.75  # the shipped model is better than chance (0.25) by far
    assert f"| accuracy | {reported['basic_motions_test_accuracy']:.3f} |" in (PATH / "README.md").read_text()


@pytest.mark.parametrize(
    "rate, seconds, channels, acc_units, gravity",
    [(50, 10, 6, "g", "include"), (100, 4, 3, "m/s^2", "include"), (12.5, 30, 6, "m/s^2", "remove")],
)
def test_real_recordings_go_in_as_they_are(shipped, rate, seconds, channels, acc_units, gravity):
    model, processor = shipped
    steps = int(rate * seconds)
    t = np.arange(steps)[:, None] / rate
    one_g = 1.0 if acc_units == "g" else 9.81
    gravity_acc = one_g * np.array([0, 0, 1]) if gravity == "include" else 0.0
    acc = 0.3 * one_g * np.sin(2 * np.pi * 1.5 * t + np.arange(3)) + gravity_acc
    gyro = 0.5 * np.cos(2 * np.pi * 1.5 * t + np.arange(3))
    recording = np.concatenate([acc, gyro], axis=1)[:, :channels].astype(np.float32)
    inputs = processor(
        imu=recording, sampling_rate=rate, channel_names=WATCH[:channels], acc_units=acc_units, gravity=gravity,
        pad_short=True,
    )  # fmt: skip
    with torch.no_grad():
        features = model.get_imu_features(**inputs).pooler_output
    assert features.shape[1] == model.config.projection_dim and torch.isfinite(features).all()


def test_zero_shot_pipeline_defaults_to_it():
    classifier = load_pipeline("zero-shot-imu-classification")
    test = load_basic_motions().windows(["test"])
    result = classifier(test.windows[0], candidate_labels=["walking", "running"], layout=test.layout, whole=True)
    assert {entry["label"] for entry in result} == {"walking", "running"}
    assert sum(entry["score"] for entry in result) == pytest.approx(1.0, abs=1e-5)


def test_it_goes_to_the_hub_and_back_with_remote_code(shipped, local_hub, tmp_path):
    """Pushed by repo id, then loaded by repo id in a process that cannot import the package (remote code)."""
    model, processor = shipped
    push = f"""
import json
import imu_foundation  # the publisher has the package; the loader below does not
from transformers import AutoModel, AutoProcessor
model = AutoModel.from_pretrained({str(PATH)!r})
AutoProcessor.from_pretrained({str(PATH)!r}).push_to_hub("org/multi3net-small")
model.push_to_hub("org/multi3net-small")
print(json.dumps({{"ok": True}}))
"""
    local_hub.run_client(push, tmp_path)
    load = """
import json, sys
import numpy as np, torch
sys.modules["imu_foundation"] = None  # the package is not installed here: remote code only
from transformers import AutoModel, AutoProcessor
model = AutoModel.from_pretrained("org/multi3net-small", trust_remote_code=True).eval()
processor = AutoProcessor.from_pretrained("org/multi3net-small", trust_remote_code=True)
watch = np.zeros((200, 6), dtype=np.float32); watch[:, 2] = 9.81
names = [f"wrist_{s}_{a}" for s in ("acc", "gyro") for a in "xyz"]
with torch.no_grad():
    out = model.get_imu_features(**processor(imu=watch, sampling_rate=20, channel_names=names)).pooler_output
print(json.dumps({"features": out[0].tolist()}))
"""
    loaded = json.loads(local_hub.run_client(load, tmp_path).stdout.strip().splitlines()[-1])
    watch = np.zeros((200, 6), dtype=np.float32)
    watch[:, 2] = 9.81
    with torch.no_grad():
        local = model.get_imu_features(**processor(imu=watch, sampling_rate=20, channel_names=WATCH)).pooler_output
    np.testing.assert_allclose(loaded["features"], local[0].numpy(), atol=1e-6)
