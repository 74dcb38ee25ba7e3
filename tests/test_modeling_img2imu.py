"""Img2Imu models: HF round trips, Auto classes, remote code, MoCo mechanics, freezing, ImageNet conversion."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from huggingface_hub.errors import StrictDataclassClassValidationError
from transformers import AutoConfig, AutoFeatureExtractor, AutoModel, AutoModelForImageClassification

import imu_foundation
from imu_foundation import (
    Img2ImuConfig,
    Img2ImuForContrastivePretraining,
    Img2ImuForImuClassification,
    Img2ImuModel,
    SensorAwareAugmentation,
    create_feature_extractor,
    create_model,
    list_models,
)

BACKBONES = ["resnet18", "efficientnet_lite0"]


def pixels(batch: int = 2, height: int = 48, width: int = 64, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, 3, height, width, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("backbone", BACKBONES)
def test_base_model_shapes_and_round_trip(backbone, tmp_path):
    torch.manual_seed(0)
    model = Img2ImuModel(Img2ImuConfig(backbone=backbone)).eval()
    x = pixels()
    out = model(x)
    assert out.pooler_output.shape == (2, model.config.hidden_size)
    assert out.last_hidden_state.shape[:2] == (2, model.config.hidden_size)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    assert not list(tmp_path.glob("*.bin")) and not list(tmp_path.glob("*.pt"))
    for loaded in (Img2ImuModel.from_pretrained(tmp_path), AutoModel.from_pretrained(tmp_path)):
        assert type(loaded) is Img2ImuModel
        torch.testing.assert_close(loaded.eval()(x).pooler_output, out.pooler_output, rtol=0, atol=0)


def test_classification_round_trip_via_auto_class(tmp_path):
    torch.manual_seed(0)
    config = Img2ImuConfig(backbone="efficientnet_lite0", num_labels=5, id2label={i: f"c{i}" for i in range(5)})
    model = Img2ImuForImuClassification(config).eval()
    x = pixels()
    model.save_pretrained(tmp_path)
    loaded = AutoModelForImageClassification.from_pretrained(tmp_path).eval()
    assert type(loaded) is Img2ImuForImuClassification and loaded.config.id2label[3] == "c3"
    torch.testing.assert_close(loaded(x).logits, model(x).logits, rtol=0, atol=0)
    assert isinstance(AutoConfig.from_pretrained(tmp_path), Img2ImuConfig)


def test_classification_loss_and_label_check():
    model = Img2ImuForImuClassification(Img2ImuConfig(num_labels=3))
    out = model(pixels(4), labels=torch.tensor([0, 1, 2, 1]))
    assert out.logits.shape == (4, 3) and out.loss.ndim == 0 and torch.isfinite(out.loss)
    with pytest.raises(ValueError, match="labels must have shape"):
        model(pixels(4), labels=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="pixel_values must have shape"):
        model(torch.randn(2, 6, 32, 32))


def test_frozen_backbone_trains_only_the_head_and_keeps_batchnorm_statistics(tmp_path):
    torch.manual_seed(0)
    model = Img2ImuForImuClassification(Img2ImuConfig(backbone="resnet18", num_labels=3, freeze_backbone=True))
    model.save_pretrained(tmp_path)
    for candidate in (model, Img2ImuForImuClassification.from_pretrained(tmp_path)):
        candidate.train()
        trainable = {name for name, p in candidate.named_parameters() if p.requires_grad}
        assert trainable == {"classifier.weight", "classifier.bias"}
        stats = candidate.img2imu.backbone.bn1.running_mean.clone()
        candidate(pixels(4), labels=torch.tensor([0, 1, 2, 0])).loss.backward()
        grads = {name for name, p in candidate.named_parameters() if p.grad is not None}
        assert grads == {"classifier.weight", "classifier.bias"}
        assert torch.equal(stats, candidate.img2imu.backbone.bn1.running_mean)  # ran in eval mode


def test_freeze_methods_switch_the_backbone_both_ways(tmp_path):
    model = Img2ImuForImuClassification(Img2ImuConfig(backbone="resnet18", num_labels=2))
    model.freeze_backbone()
    model.save_pretrained(tmp_path)
    loaded = Img2ImuForImuClassification.from_pretrained(tmp_path)
    assert loaded.config.freeze_backbone and not any(p.requires_grad for p in loaded.img2imu.parameters())
    loaded.unfreeze_backbone()
    loaded.train()(pixels(2), labels=torch.tensor([0, 1])).loss.backward()
    assert all(p.grad is not None for p in loaded.parameters())
    assert "AutoModel" in json.loads((tmp_path / "config.json").read_text())["auto_map"]


def test_full_fine_tuning_reaches_the_backbone():
    model = Img2ImuForImuClassification(Img2ImuConfig(backbone="resnet18", num_labels=3)).train()
    model(pixels(4), labels=torch.tensor([0, 1, 2, 0])).loss.backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("backbone, stage, width", [("efficientnet_lite0", 4, 80), ("resnet18", 2, 128)])
def test_head_on_mid_level_features_reads_the_pooled_stage_output(backbone, stage, width, tmp_path):
    torch.manual_seed(0)
    model = Img2ImuForImuClassification(Img2ImuConfig(backbone=backbone, num_labels=3, feature_stage=stage)).eval()
    assert model.classifier.in_features == width == model.config.classifier_input_size
    x = pixels(2)
    with torch.no_grad():
        out = model(x)
        stage_map = model.img2imu(x, output_hidden_states=True).hidden_states[stage - 1]
    assert stage_map.shape[1] == width
    torch.testing.assert_close(out.logits, model.classifier(stage_map.mean(dim=(2, 3))))
    assert out.hidden_states is None  # read for the head, returned only when asked for (Trainer.predict: logits)
    model.save_pretrained(tmp_path)
    loaded = Img2ImuForImuClassification.from_pretrained(tmp_path).eval()
    assert loaded.config.feature_stage == stage
    with torch.no_grad():
        torch.testing.assert_close(loaded(x).logits, out.logits)


def test_mid_level_head_fine_tunes_the_stages_it_reads_and_no_others():
    model = Img2ImuForImuClassification(Img2ImuConfig(backbone="resnet18", num_labels=2, feature_stage=2)).train()
    model(pixels(2), labels=torch.tensor([0, 1])).loss.backward()
    assert all(p.grad is not None for p in model.img2imu.backbone.stages[1].parameters())
    assert all(p.grad is None for p in model.img2imu.backbone.stages[2].parameters())


@pytest.mark.parametrize("stage", [0, 8])
def test_feature_stage_outside_the_backbone_is_refused(stage):
    # huggingface_hub's strict dataclasses wrap the config's ValueError in their validation error, message kept
    with pytest.raises(StrictDataclassClassValidationError, match=r"feature_stage must be None or a stage of eff"):
        Img2ImuConfig(backbone="efficientnet_lite0", feature_stage=stage)


@pytest.mark.parametrize("freeze", [True, False])
def test_fine_tuning_keeps_batch_norm_statistics_unless_told_otherwise(freeze):
    """With frozen statistics a fine-tuning step normalises as evaluation does (train-mode logits equal eval-mode
    logits) and leaves the running statistics alone; the scale and shift still train."""
    config = Img2ImuConfig(backbone="resnet18", num_labels=2, freeze_batch_norm_statistics=freeze)
    model = Img2ImuForImuClassification(config)
    x = pixels(4)
    running = model.img2imu.backbone.bn1.running_mean.clone()
    evaluated = model.eval()(x).logits
    trained = model.train()(x, labels=torch.tensor([0, 1, 0, 1]))
    assert torch.allclose(trained.logits, evaluated, atol=1e-5) == freeze
    assert torch.equal(model.img2imu.backbone.bn1.running_mean, running) == freeze
    trained.loss.backward()
    assert model.img2imu.backbone.bn1.weight.grad is not None
    assert model.training and model.img2imu.training  # only the BatchNorm layers stay in eval mode


def test_multi3net_img2imu_tower_keeps_batch_norm_statistics_when_fine_tuned():
    model = create_model("multi3net-img2imu", task="classification", num_labels=2).train()
    batch_norms = [m for m in model.imu_model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert batch_norms and not any(m.training for m in batch_norms) and model.imu_model.training
    overrides = {
        "imu_config": {"img2imu_config": {"backbone": "efficientnet_lite0", "freeze_batch_norm_statistics": False}}
    }
    model = create_model("multi3net-img2imu", task="classification", num_labels=2, **overrides).train()
    assert all(m.training for m in model.imu_model.modules() if isinstance(m, torch.nn.BatchNorm2d))


def small_moco(**overrides) -> Img2ImuForContrastivePretraining:
    config = dict(backbone="resnet18", queue_size=8, projection_dim=16, momentum=0.9)
    return Img2ImuForContrastivePretraining(Img2ImuConfig(**{**config, **overrides}))


def test_moco_key_encoder_starts_as_copy_and_gets_no_gradients():
    torch.manual_seed(0)
    model = small_moco()
    for q, k in zip(model.query_encoder_parameters(), model.key_encoder_parameters()):
        assert torch.equal(q, k)
    assert not any(p.requires_grad for p in model.key_img2imu.parameters())
    torch.testing.assert_close(model.queue.norm(dim=0), torch.ones(8))
    out = model.train()(pixels(3), generator=torch.Generator().manual_seed(0))
    out.loss.backward()
    assert out.logits.shape == (3, 1 + 8) and out.query_embeds.shape == (3, 16)
    assert all(p.grad is None for p in model.key_img2imu.parameters())
    assert all(p.grad is not None for p in model.img2imu.parameters())


def test_moco_momentum_update_is_an_exponential_moving_average():
    torch.manual_seed(0)
    model = small_moco(momentum=0.75)
    with torch.no_grad():
        for p in model.img2imu.parameters():
            p.add_(1.0)
    keys_before = [p.clone() for p in model.key_img2imu.parameters()]
    queries = [p.clone() for p in model.img2imu.parameters()]
    model.momentum_update()
    for key, before, query in zip(model.key_img2imu.parameters(), keys_before, queries):
        torch.testing.assert_close(key, 0.75 * before + 0.25 * query)


def test_moco_queue_is_a_ring_buffer_of_past_keys():
    torch.manual_seed(0)
    model = small_moco().train()
    generator = torch.Generator().manual_seed(0)
    first = model(pixels(3, seed=1), generator=generator)
    torch.testing.assert_close(model.queue[:, :3], first.key_embeds.T)
    assert int(model.queue_ptr) == 3
    second = model(pixels(3, seed=2), generator=generator)
    # The first batch's keys are negatives of the second batch: logits columns 1..3 use them.
    torch.testing.assert_close(second.logits[:, 1:4], second.query_embeds @ first.key_embeds.T / 0.07)
    model(pixels(3, seed=3), generator=generator)  # 9 keys into 8 slots: wraps around
    assert int(model.queue_ptr) == 1
    model.eval()(pixels(3, seed=4))  # evaluation leaves the queue alone
    assert int(model.queue_ptr) == 1


def test_moco_training_steps_lower_the_loss_for_fixed_views_and_queue():
    torch.manual_seed(0)
    model = small_moco(queue_size=16).train()
    for seed in range(4):  # fill the queue with keys of other images
        model(pixels(4, seed=10 + seed), generator=torch.Generator().manual_seed(seed))
    model.eval()  # from here on: no momentum update, no enqueue, fixed BatchNorm statistics
    views = SensorAwareAugmentation()
    generator = torch.Generator().manual_seed(0)
    x = pixels(4)
    query_view, key_view = views(x, generator), views(x, generator)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    losses = []
    for _ in range(4):
        loss = model(query_view, key_view, augment=False).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] and all(np.isfinite(losses))


def test_moco_from_an_encoder_checkpoint_syncs_the_key_encoder(tmp_path):
    torch.manual_seed(0)
    encoder = Img2ImuModel(Img2ImuConfig(backbone="resnet18", queue_size=8, projection_dim=16))
    encoder.save_pretrained(tmp_path)
    moco = Img2ImuForContrastivePretraining.from_pretrained(tmp_path)
    for mine, loaded in zip(encoder.parameters(), moco.img2imu.parameters()):
        assert torch.equal(mine, loaded)
    for q, k in zip(moco.query_encoder_parameters(), moco.key_encoder_parameters()):
        assert torch.equal(q, k)


def test_moco_save_load_keeps_queue_and_key_encoder(tmp_path):
    torch.manual_seed(0)
    model = small_moco().train()
    model(pixels(3))
    model.save_pretrained(tmp_path)
    loaded = Img2ImuForContrastivePretraining.from_pretrained(tmp_path)
    assert torch.equal(loaded.queue, model.queue) and int(loaded.queue_ptr) == 3
    for a, b in zip(loaded.key_encoder_parameters(), model.key_encoder_parameters()):
        assert torch.equal(a, b)


def test_hub_configs_and_factory():
    assert {"img2imu-resnet18", "img2imu-efficientnet-lite0", "img2imu-efficientnet-lite0-acc-gyro"} <= set(
        list_models()
    )
    model = create_model("img2imu-resnet18", task="classification", num_labels=4, freeze_backbone=True)
    assert isinstance(model, Img2ImuForImuClassification) and model.config.freeze_backbone
    assert create_feature_extractor("img2imu-efficientnet-lite0-acc-gyro").feature_size == 6
    with pytest.raises(ValueError, match="Unknown model variant"):
        create_model("img2imu-vgg")
    with pytest.raises(ValueError, match="no 'imagenet' weights"):
        create_model("img2imu-resnet18", pretrained="imagenet")
    with pytest.raises(ValueError, match="task must be one of"):
        create_model("img2imu-resnet18", task="detection")


def imagenet_batch(names=("chelsea", "coffee", "astronaut", "rocket")) -> torch.Tensor:
    from PIL import Image
    from skimage import data

    batch = []
    for name in names:
        image = Image.fromarray(getattr(data, name)()).convert("RGB").resize((224, 224), Image.BILINEAR)
        x = torch.tensor(np.asarray(image), dtype=torch.float32).permute(2, 0, 1) / 255
        batch.append(
            (x - torch.tensor([0.485, 0.456, 0.406])[:, None, None])
            / torch.tensor([0.229, 0.224, 0.225])[:, None, None]
        )
    return torch.stack(batch)


def test_efficientnet_lite0_conversion_reproduces_imagenet_predictions():
    from efficientnet_lite_pytorch import EfficientNet

    from imu_foundation.models.img2imu.convert_efficientnet_lite_to_img2imu import (
        imagenet_classifier,
        imagenet_weights_path,
    )

    source = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(imagenet_weights_path())).eval()
    converted = imagenet_classifier()
    x = imagenet_batch()
    with torch.no_grad():
        expected, logits = source(x), converted(x).logits
    assert logits.argmax(1).tolist() == expected.argmax(1).tolist()
    assert logits[0].argmax().item() in (281, 285)  # chelsea: tabby / Egyptian cat
    assert logits[1].argmax().item() == 967  # coffee: espresso
    torch.testing.assert_close(logits, expected, atol=1e-4, rtol=1e-4)


def test_imagenet_initialised_variant_loads_backbone_weights_everywhere():
    model = create_model("img2imu-efficientnet-lite0", task="contrastive", pretrained="imagenet", queue_size=8)
    for q, k in zip(model.img2imu.backbone.parameters(), model.key_img2imu.backbone.parameters()):
        assert torch.equal(q, k)
    fresh = create_model("img2imu-efficientnet-lite0")
    assert not torch.equal(fresh.backbone.conv_stem.weight, model.img2imu.backbone.conv_stem.weight)


REMOTE_CODE_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["imu_foundation"] = None  # this interpreter cannot import the package
    import numpy as np, torch
    from transformers import AutoFeatureExtractor, AutoModel, AutoModelForImageClassification
    folder, auto_class = sys.argv[1], sys.argv[2]
    model = {"AutoModel": AutoModel, "AutoModelForImageClassification": AutoModelForImageClassification}[auto_class]
    model = model.from_pretrained(folder, trust_remote_code=True).eval()
    extractor = AutoFeatureExtractor.from_pretrained(folder, trust_remote_code=True)
    assert "transformers_modules" in type(model).__module__, type(model).__module__
    windows = np.load(folder + "/windows.npy")
    with torch.no_grad():
        out = model(extractor(windows, sampling_rate=50)["pixel_values"])
    result = out.logits if auto_class != "AutoModel" else out.pooler_output
    np.save(folder + "/remote_output.npy", result.numpy())
    """
)


@pytest.mark.parametrize("task", ["base", "classification"])
def test_trust_remote_code_loads_without_the_package(task, tmp_path):
    torch.manual_seed(0)
    model = create_model("img2imu-efficientnet-lite0", task=task, num_labels=3).eval()
    extractor = create_feature_extractor("img2imu-efficientnet-lite0")
    model.save_pretrained(tmp_path)
    extractor.save_pretrained(tmp_path)
    auto_class = "AutoModel" if task == "base" else "AutoModelForImageClassification"
    assert auto_class in json.loads((tmp_path / "config.json").read_text())["auto_map"]
    windows = np.random.default_rng(0).standard_normal((2, 300, 3)).astype(np.float32)
    np.save(tmp_path / "windows.npy", windows)
    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"), HF_HUB_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, "-c", REMOTE_CODE_SCRIPT, str(tmp_path), auto_class],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with torch.no_grad():
        out = model(extractor(windows, sampling_rate=50)["pixel_values"])
    expected = out.logits if task == "classification" else out.pooler_output
    np.testing.assert_allclose(np.load(tmp_path / "remote_output.npy"), expected.numpy(), atol=1e-6)


def test_feature_extractor_auto_class_from_a_model_folder(tmp_path):
    create_model("img2imu-resnet18").save_pretrained(tmp_path)
    create_feature_extractor("img2imu-resnet18").save_pretrained(tmp_path)
    assert type(AutoFeatureExtractor.from_pretrained(tmp_path)).__name__ == "ImuSpectrogramFeatureExtractor"
    assert imu_foundation.__version__
