"""Publishing models over HTTP to the loopback Hub (imu_foundation.hub_server) and loading them back by repo id.

Covers the two ways a user publishes: ``push_to_hub`` on a model and its processor, and the fine-tuning script's
``--push_to_hub`` (the transformers Trainer). Clients run in subprocesses wired to the local hub (see
``LocalHub.client_env``), because this suite runs with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TRAINING = Path(__file__).resolve().parents[1] / "training"

MULTI3NET_CLIENT = """
import json
import numpy as np
import torch
import imu_foundation
from imu_foundation import create_model, create_processor
from transformers import AutoModel, AutoProcessor

torch.manual_seed(0)
model = create_model("multi3net-tiny").eval()
processor = create_processor("multi3net-tiny")
recordings = np.random.default_rng(0).normal(0.0, 1.0, (2, 120, len(processor.feature_extractor.channel_names)))
recordings[..., 2] += 9.81  # gravity on the first sensor's z axis: plausible m/s^2 input
inputs = processor(text=["a person waves", "a person walks"], imu=recordings, sampling_rate=50, gravity="remove")
with torch.no_grad():
    before = model(**inputs)
model.push_to_hub("org/multi3net-tiny", commit_message="tiny Multi^3Net")
processor.push_to_hub("org/multi3net-tiny")

loaded = AutoModel.from_pretrained("org/multi3net-tiny").eval()
loaded_processor = AutoProcessor.from_pretrained("org/multi3net-tiny")
again = loaded_processor(text=["a person waves", "a person walks"], imu=recordings, sampling_rate=50, gravity="remove")
with torch.no_grad():
    after = loaded(**again)
print(json.dumps({
    "model_class": type(loaded).__name__,
    "processor_class": type(loaded_processor).__name__,
    "text_diff": float((before.text_embeds - after.text_embeds).abs().max()),
    "imu_diff": float((before.imu_embeds - after.imu_embeds).abs().max()),
}))
"""

IMG2IMU_CLIENT = """
import json
import sys
import numpy as np
import torch
import imu_foundation
from transformers import AutoFeatureExtractor, AutoModelForImageClassification
from huggingface_hub import HfApi, hf_hub_download

local = sys.argv[1]
files = sorted(HfApi().list_repo_files("org/img2imu-wrist"))
card = open(hf_hub_download("org/img2imu-wrist", "README.md")).read()
hub_model = AutoModelForImageClassification.from_pretrained("org/img2imu-wrist").eval()
hub_extractor = AutoFeatureExtractor.from_pretrained("org/img2imu-wrist")
local_model = AutoModelForImageClassification.from_pretrained(local).eval()
windows = np.random.default_rng(0).normal(0.0, 1.0, (2, 250, 6)).astype(np.float32)
with torch.no_grad():
    diff = (hub_model(**hub_extractor(windows, sampling_rate=50)).logits
            - local_model(**hub_extractor(windows, sampling_rate=50)).logits).abs().max()
print(json.dumps({"files": files, "diff": float(diff), "labels": hub_model.config.id2label, "card": card}))
"""


def _last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_multi3net_push_to_hub_then_auto_classes_from_the_repo_id(local_hub, tmp_path):
    result = _last_json(local_hub.run_client(MULTI3NET_CLIENT, tmp_path, cwd=tmp_path).stdout)
    assert result["model_class"] == "Multi3NetModel" and result["processor_class"] == "Multi3NetProcessor"
    assert result["text_diff"] < 1e-6 and result["imu_diff"] < 1e-6
    assert any(method == "POST" and path.endswith("/commit/main") for method, path, _ in local_hub.requests)


def test_finetuning_script_pushes_its_checkpoint(local_hub, tmp_path):
    output = tmp_path / "finetune"
    arguments = [sys.executable, str(TRAINING / "finetune.py"), "--model", "img2imu-efficientnet-lite0-acc-gyro"]
    arguments += ["--pretrained_weights", "imagenet", "--mode", "frozen", "--shots", "1", "--num_train_epochs", "1"]
    arguments += ["--output_dir", str(output)]
    arguments += ["--push_to_hub", "--hub_model_id", "org/img2imu-wrist"]
    done = subprocess.run(
        arguments, env=local_hub.client_env(tmp_path), capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]

    client = local_hub.client_env(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", IMG2IMU_CLIENT, str(output)], env=client, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = _last_json(done.stdout)
    assert {"model.safetensors", "config.json", "preprocessor_config.json", "README.md"} <= set(result["files"])
    assert not any(name.endswith((".bin", ".pkl", ".pt", ".pth")) for name in result["files"])  # safetensors only
    assert not any(name.startswith("checkpoint-") for name in result["files"]), result["files"]
    assert result["diff"] == 0.0 and result["labels"]["0"] == "PEN"
    # the package's card (protocol, layout, results), not the Trainer's generated one
    assert "## Sensor layout it expects" in result["card"] and "macro_f1" in result["card"]
    assert result["card"] == (output / "README.md").read_text()
