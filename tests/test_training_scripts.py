"""The thin training scripts run end to end (tiny settings) and write safetensors checkpoints that load back."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
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
    assert log["examples"] > 200 and len(log["loss"]) >= 3 and all(map(torch.isfinite, torch.tensor(log["loss"])))
    model = Img2ImuForContrastivePretraining.from_pretrained(out)
    assert int(model.queue_ptr) == (64 * len(log["loss"])) % 128
    encoder = Img2ImuModel.from_pretrained(out / "encoder")
    for a, b in zip(encoder.parameters(), model.img2imu.parameters()):
        assert torch.equal(a, b)


def test_moco_pretraining_on_simulated_spectrograms(tmp_path):
    """--corpus: MoCo on spectrograms of simulated devices; the encoder folder is a complete model (weights and
    the spectrogram extractor) that fine-tuning loads by path."""
    from imu_foundation.data.synthetic_corpus import CorpusSettings, LibrarySource, build_synthetic_corpus

    corpus = tmp_path / "corpus"
    settings = CorpusSettings(sites=("left_wrist", "pelvis"), sampling_rate_hz=20.0, window_s=6.0, pose_rate_hz=10.0)
    build_synthetic_corpus(LibrarySource(), settings, num_windows=24, seed=0).save_to_disk(corpus)
    out = tmp_path / "moco"
    run_script(
        "pretrain_img2imu.py",
        *("--model", "img2imu-efficientnet-lite0-acc-gyro", "--corpus", str(corpus), "--output_dir", str(out)),
        *("--max_steps", "3", "--batch_size", "8", "--queue_size", "16"),
    )
    log = json.loads((out / "pretraining_log.json").read_text())
    assert len(log["loss"]) == 3 and all(map(torch.isfinite, torch.tensor(log["loss"])))
    classifier = Img2ImuForImuClassification.from_pretrained(out / "encoder", num_labels=2)
    for a, b in zip(
        classifier.img2imu.parameters(), Img2ImuForContrastivePretraining.from_pretrained(out).img2imu.parameters()
    ):
        assert torch.equal(a, b)
    from transformers import AutoFeatureExtractor

    assert AutoFeatureExtractor.from_pretrained(out / "encoder").feature_size == 6


@pytest.mark.parametrize("family", ["img2imu", "multi3net"])
def test_few_shot_finetuning_with_trainer(tmp_path, family):
    out = tmp_path / "finetune"
    model = ["--model", "img2imu-efficientnet-lite0-acc-gyro", "--pretrained_weights", "imagenet"]
    if family == "multi3net":
        model = ["--model", "multi3net-tiny"]
    result = run_script("finetune.py", *model, "--mode", "frozen", "--shots", "2", "--num_train_epochs", "2",
                        "--output_dir", str(out))  # fmt: skip
    saved = json.loads((out / "few_shot_results.json").read_text())
    assert saved["protocol"]["shots_per_class"] == 2 and saved["protocol"]["held_out"] == "subjects"
    assert 0.0 <= saved["macro_f1"] <= 1.0 and '"macro_f1"' in result.stdout
    matrix = saved["confusion_matrix"]
    assert len(matrix) == 7 and sum(map(sum, matrix)) == saved["protocol"]["test_windows"]
    assert (out / "confusion_matrix.png").stat().st_size > 0 and (out / "README.md").is_file()
    assert (out / "training_args.json").is_file()
    assert not [p for p in out.rglob("*") if p.suffix in (".bin", ".pt", ".pth", ".pkl")]  # nothing pickled
    # the card's usage snippet runs as written, on this checkpoint
    snippet = re.search(r"```python\n(.*?)```", (out / "README.md").read_text(), re.S).group(1)
    code = snippet.replace("PATH_OR_REPO_ID", str(out))
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert set(ast.literal_eval(ran.stdout.strip().splitlines()[-1])) <= set(saved["labels"])
    if family == "img2imu":
        model = Img2ImuForImuClassification.from_pretrained(out)
        assert model.config.freeze_backbone and model.config.id2label[0] == "PEN"
        reference = Img2ImuModel.from_pretrained(out)  # the frozen encoder is still the ImageNet one
        from imu_foundation import create_model

        imagenet = create_model("img2imu-efficientnet-lite0-acc-gyro", pretrained="imagenet")
        assert torch.equal(reference.backbone.conv_stem.weight, imagenet.backbone.conv_stem.weight)


def test_finetuning_a_mid_level_head_with_its_own_encoder_step(tmp_path):
    out = tmp_path / "finetune"
    run_script("finetune.py", "--model", "img2imu-efficientnet-lite0-acc-gyro", "--pretrained_weights", "imagenet",
               "--mode", "finetune", "--config_overrides", '{"feature_stage": 4}', "--encoder_learning_rate", "1e-4",
               "--shots", "1", "--num_train_epochs", "3", "--output_dir", str(out))  # fmt: skip
    model = Img2ImuForImuClassification.from_pretrained(out)
    assert model.config.feature_stage == 4 and model.classifier.in_features == 80
    from imu_foundation import create_model

    imagenet = create_model("img2imu-efficientnet-lite0-acc-gyro", pretrained="imagenet").backbone
    tuned = model.img2imu.backbone
    assert not torch.equal(tuned.blocks[0].project_conv.weight, imagenet.blocks[0].project_conv.weight)  # stage 1
    assert torch.equal(tuned.conv_head.weight, imagenet.conv_head.weight)  # after stage 4: never read, never trained
    from imu_foundation.runs import RUN_FILE

    arguments = json.loads((out / RUN_FILE).read_text())["arguments"]
    assert arguments["encoder_learning_rate"] == 1e-4 and json.loads(arguments["config_overrides"]) == {
        "feature_stage": 4
    }


def test_finetuning_is_seeded(tmp_path):
    args = ["--model", "multi3net-tiny", "--shots", "2", "--num_train_epochs", "2"]
    for name in ("a", "b"):
        run_script("finetune.py", *args, "--output_dir", str(tmp_path / name))
    from safetensors.torch import load_file

    first, second = load_file(tmp_path / "a" / "model.safetensors"), load_file(tmp_path / "b" / "model.safetensors")
    assert all(torch.equal(first[key], second[key]) for key in first)
