"""Img2Imu's inference path (BatchNorm folded, symmetric padding, channels_last) and its random initialisation.

The folded path must compute what the plain path computes, never touch the weights that are saved or trained, and
follow every change of the weights (training steps, loads, the MoCo momentum update).
"""

import copy

import numpy as np
import pytest
import torch

from imu_foundation import (
    Img2ImuConfig,
    Img2ImuForContrastivePretraining,
    Img2ImuForImuClassification,
    Img2ImuModel,
)
from imu_foundation.models.img2imu.backbones_img2imu import Conv2dSame
from imu_foundation.models.img2imu.convert_efficientnet_lite_to_img2imu import load_imagenet_backbone
from imu_foundation.models.img2imu.inference_img2imu import CHUNK_MIN_IMAGES, tf_same_padding

BACKBONES = ["resnet18", "efficientnet_lite0"]
# Spectrogram images (96x128 one sensor, 192x128 acc + gyro), and odd and mixed sizes for TF "SAME" padding.
SIZES = [(96, 128), (192, 128), (37, 53), (64, 33)]


def photos(height: int, width: int) -> torch.Tensor:
    """Four real photos (scikit-image samples), resized and ImageNet-normalised: ``(4, 3, height, width)``."""
    from PIL import Image
    from skimage import data

    batch = []
    for name in ("chelsea", "coffee", "astronaut", "rocket"):
        image = Image.fromarray(getattr(data, name)()).convert("RGB").resize((width, height), Image.BILINEAR)
        batch.append(torch.tensor(np.asarray(image), dtype=torch.float32).permute(2, 0, 1) / 255)
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    return (torch.stack(batch) - mean[:, None, None]) / std[:, None, None]


def trained_looking(backbone: str, seed: int = 0) -> Img2ImuModel:
    """ImageNet weights for EfficientNet-Lite0; for ResNet-18 (none offline) a seeded random network whose BatchNorm
    layers have non-trivial statistics and affine parameters, so that folding them changes every weight."""
    torch.manual_seed(seed)
    model = Img2ImuModel(Img2ImuConfig(backbone=backbone))
    if backbone == "efficientnet_lite0":
        load_imagenet_backbone(model)
    else:
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, torch.nn.BatchNorm2d):
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.uniform_(-0.2, 0.2)
                    module.running_mean.uniform_(-0.2, 0.2)
                    module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def plain(model: Img2ImuModel, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The unfolded computation of ``model``: ``(feature map, pooled features)``."""
    with torch.no_grad():
        feature_map = model.backbone.forward_unfolded(pixel_values)
    return feature_map, feature_map.mean(dim=(2, 3))


def is_folded(model: Img2ImuModel) -> bool:
    return bool(model.backbone._folded)


def test_tf_same_padding_known_answers():
    assert tf_same_padding(96, 3, 2) == (0, 1)  # even size, stride 2: the extra pixel goes after
    assert tf_same_padding(97, 3, 2) == (1, 1)
    assert tf_same_padding(48, 5, 2) == (1, 2)
    assert tf_same_padding(7, 5, 2) == (2, 2)
    assert tf_same_padding(33, 5, 1) == (2, 2) and tf_same_padding(1, 1, 1) == (0, 0)


@pytest.mark.parametrize("backbone", BACKBONES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_folded_path_equals_plain_path(backbone, size):
    model = trained_looking(backbone)
    x = photos(*size)
    expected_map, expected_pooled = plain(model, x)
    out = model(x)  # eval mode with trainable weights and autograd on: the plain path, exactly
    assert not is_folded(model) and out.pooler_output.requires_grad
    assert torch.equal(out.pooler_output.detach(), expected_pooled)
    with torch.no_grad():
        folded = model(x)
    assert is_folded(model)
    with torch.inference_mode():
        folded_inference = model(x)
    for out in (folded, folded_inference):
        assert out.last_hidden_state.shape == expected_map.shape and out.last_hidden_state.is_contiguous()
        torch.testing.assert_close(out.last_hidden_state, expected_map, rtol=0, atol=1e-4)
        torch.testing.assert_close(out.pooler_output, expected_pooled, rtol=0, atol=1e-4)


def test_batches_larger_than_a_chunk():
    """The folded path runs big batches in chunks (CHUNK_MIN_IMAGES images or more); every image keeps its row."""
    model = trained_looking("resnet18")
    x = photos(192, 128).repeat(5, 1, 1, 1)[: CHUNK_MIN_IMAGES + 1]
    x = x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = model(x)
    torch.testing.assert_close(out.pooler_output, plain(model, x)[1], rtol=0, atol=1e-4)


@pytest.mark.parametrize("backbone", BACKBONES)
def test_eval_and_folding_leave_the_state_dict_alone(backbone, tmp_path):
    model = trained_looking(backbone)
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    model.train().eval().fold_for_inference()
    with torch.no_grad():
        model(photos(96, 128))
    after = model.state_dict()
    assert list(after) == list(before)
    assert all(torch.equal(after[name], before[name]) for name in before)
    model.save_pretrained(tmp_path)
    loaded = Img2ImuModel.from_pretrained(tmp_path)
    assert all(torch.equal(loaded.state_dict()[name], before[name]) for name in before)


@pytest.mark.parametrize("backbone", BACKBONES)
def test_train_after_eval_trains_the_original_parameters_and_refolds(backbone):
    model = trained_looking(backbone)
    x = photos(96, 128)
    with torch.no_grad():
        folded_before = model(x).pooler_output
    model.train()
    loss = model(x).pooler_output.square().mean()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    assert sum(int(p.grad.count_nonzero()) for p in model.parameters()) > 0.5 * model.num_parameters()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    model.eval()
    with torch.no_grad():
        refolded = model(x).pooler_output
    assert (refolded - folded_before).abs().max() > 1e-3
    torch.testing.assert_close(refolded, plain(model, x)[1], rtol=0, atol=1e-4)


def test_loading_weights_after_folding_refolds(tmp_path):
    x = photos(96, 128)
    source = trained_looking("resnet18", seed=1)
    expected = plain(source, x)[1]
    source.save_pretrained(tmp_path)

    model = trained_looking("resnet18", seed=2)
    with torch.no_grad():
        stale = model(x).pooler_output
    assert (stale - expected).abs().max() > 1e-2
    model.load_state_dict(source.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(model(x).pooler_output, expected, rtol=0, atol=1e-4)
        loaded = Img2ImuModel.from_pretrained(tmp_path).eval()
        torch.testing.assert_close(loaded(x).pooler_output, expected, rtol=0, atol=1e-4)


def test_copies_fold_their_own_weights():
    x = photos(37, 53)
    model = trained_looking("resnet18")
    with torch.no_grad():
        model(x)
        twin = copy.deepcopy(model)
        assert not is_folded(twin)
        for p in twin.parameters():
            p.mul_(0.9)
        torch.testing.assert_close(twin(x).pooler_output, plain(twin, x)[1], rtol=0, atol=1e-4)
        torch.testing.assert_close(model(x).pooler_output, plain(model, x)[1], rtol=0, atol=1e-4)


def test_frozen_backbone_folds_while_the_head_trains():
    torch.manual_seed(0)
    model = Img2ImuForImuClassification(Img2ImuConfig(backbone="resnet18", num_labels=3, freeze_backbone=True))
    model.train()
    x, labels = photos(96, 128), torch.tensor([0, 1, 2, 0])
    out = model(x, labels=labels)
    out.loss.backward()
    assert is_folded(model.img2imu)
    assert {name for name, p in model.named_parameters() if p.grad is not None} == {
        "classifier.weight",
        "classifier.bias",
    }
    assert model.img2imu.training  # the caller's mode; the frozen encoder ran in eval mode all the same
    with torch.no_grad():
        features = model.img2imu.eval().backbone.forward_unfolded(x).mean(dim=(2, 3))
    torch.testing.assert_close(out.logits, model.classifier(features), rtol=0, atol=1e-4)


def test_moco_key_encoder_in_eval_mode_follows_the_momentum_update():
    torch.manual_seed(0)
    model = Img2ImuForContrastivePretraining(
        Img2ImuConfig(backbone="resnet18", queue_size=8, projection_dim=16, momentum=0.5)
    ).eval()
    x = photos(96, 128)
    first = model.encode_key(x)
    assert is_folded(model.key_img2imu)
    with torch.no_grad():
        for p in model.img2imu.parameters():
            p.add_(0.05 * torch.randn_like(p))
    model.momentum_update()
    second = model.encode_key(x)
    expected = torch.nn.functional.normalize(
        model.key_projection(model.key_img2imu.backbone.forward_unfolded(x).mean(dim=(2, 3))), dim=1
    )
    assert (second - first).abs().max() > 1e-3
    torch.testing.assert_close(second, expected, rtol=0, atol=1e-4)


def test_bfloat16_autocast_runs_the_folded_path_in_bfloat16():
    model = trained_looking("efficientnet_lite0")
    x = photos(96, 128)
    with torch.no_grad():
        expected = model(x).pooler_output
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x).pooler_output
    assert out.dtype == torch.bfloat16 and set(model.backbone._folded) == {torch.float32, torch.bfloat16}
    # bfloat16 keeps 8 significant bits: features agree to about 1 % of their scale on average, not to 1e-4.
    assert (out.float() - expected).abs().mean() < 0.01 * expected.abs().max()
    assert torch.nn.functional.cosine_similarity(out.float(), expected, dim=1).min() > 0.995


@pytest.mark.parametrize("backbone", BACKBONES)
def test_random_initialisation_keeps_a_sane_activation_scale(backbone):
    """An untrained model is a proper random network (the "random weights" control): no block's output collapses
    or explodes, whatever the depth (BatchNorm has its initial statistics, so eval mode passes scales through)."""
    torch.manual_seed(0)
    model = Img2ImuModel(Img2ImuConfig(backbone=backbone)).eval()
    blocks = model.backbone.blocks if backbone == "efficientnet_lite0" else model.backbone.stages
    stds = []
    hooks = [block.register_forward_hook(lambda module, args, out: stds.append(out.std().item())) for block in blocks]
    x = torch.randn(8, 3, 96, 128, generator=torch.Generator().manual_seed(0))
    with torch.enable_grad():
        out = model(x)  # the plain path runs the blocks (and their hooks)
    for hook in hooks:
        hook.remove()
    assert len(stds) == len(blocks)
    assert all(0.05 < std < 20 for std in stds), stds
    assert 0.05 < out.last_hidden_state.std() < 20 and 0.05 < out.pooler_output.std() < 20
    depthwise = [m for m in model.modules() if isinstance(m, Conv2dSame) and m.groups > 1]
    for conv in depthwise:  # He fan-out of a depthwise conv counts one output channel's kernel: std sqrt(2 / k^2)
        expected = (2.0 / conv.weight[0].numel()) ** 0.5
        assert 0.8 * expected < conv.weight.std() < 1.2 * expected
