"""The thin training scripts run end to end (tiny settings) and write safetensors checkpoints that load back."""

import json
import subprocess
import sys
from pathlib import Path

import torch

from imu_foundation import Img2ImuForContrastivePretraining, Img2ImuForImuClassification, Img2ImuModel

ROOT = Path(__file__).resolve().parents[1]


def run_script(name: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(ROOT / "training" / name), *args], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def test_moco_pretraining_with_accelerate(tmp_path):
    out = tmp_path / "moco"
    run_script(
        "pretrain_img2imu.py",
        "--model",
        "img2imu-resnet18",
        "--output_dir",
        str(out),
        "--epochs",
        "1",
        "--batch_size",
        "64",
        "--queue_size",
        "128",
        "--image_height",
        "48",
        "--image_width",
        "64",
    )
    log = json.loads((out / "pretraining_log.json").read_text())
    assert log["images"] > 200 and len(log["loss"]) >= 3 and all(map(torch.isfinite, torch.tensor(log["loss"])))
    model = Img2ImuForContrastivePretraining.from_pretrained(out)
    assert int(model.queue_ptr) == (64 * len(log["loss"])) % 128
    encoder = Img2ImuModel.from_pretrained(out / "encoder")
    for a, b in zip(encoder.parameters(), model.img2imu.parameters()):
        assert torch.equal(a, b)


def test_few_shot_finetuning_with_trainer(tmp_path):
    out = tmp_path / "finetune"
    result = run_script(
        "finetune_img2imu.py",
        "--pretrained",
        "imagenet",
        "--freeze_backbone",
        "--shots",
        "2",
        "--epochs",
        "2",
        "--output_dir",
        str(out),
    )
    saved = json.loads((out / "few_shot_results.json").read_text())
    assert saved["protocol"]["shots_per_class"] == 2 and saved["protocol"]["split"] == "by subject"
    assert 0.0 <= saved["metrics"]["eval_macro_f1"] <= 1.0 and '"macro_f1"' in result.stdout
    assert (out / "confusion_matrix.png").stat().st_size > 0
    assert (out / "model.safetensors").is_file() and (out / "preprocessor_config.json").is_file()
    assert (out / "training_args.json").is_file() and not list(out.glob("*.bin"))  # nothing pickled
    model = Img2ImuForImuClassification.from_pretrained(out)
    assert model.config.freeze_backbone and model.config.id2label[0] == "PEN"
    reference = Img2ImuModel.from_pretrained(out)  # the frozen encoder is still the ImageNet one
    from imu_foundation import create_model

    imagenet = create_model("img2imu-efficientnet-lite0-acc-gyro", pretrained="imagenet")
    assert torch.equal(reference.backbone.conv_stem.weight, imagenet.backbone.conv_stem.weight)
