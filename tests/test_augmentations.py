"""What each sensor-aware augmentation must preserve."""

import math

import pytest
import torch

from imu_foundation import Hue, Jitter, PermuteX, SensorAwareAugmentation, TranslateX


def images(batch: int = 16, width: int = 40, seed: int = 0) -> torch.Tensor:
    return torch.rand(batch, 3, 12, width, generator=torch.Generator().manual_seed(seed))


def source_column(out_column: torch.Tensor, image: torch.Tensor) -> int:
    """Index of the input column equal to ``out_column`` (3, H), or -1."""
    matches = (image == out_column[:, :, None]).all(dim=0).all(dim=0).nonzero()
    return int(matches[0]) if len(matches) else -1


@pytest.mark.parametrize("transform", [TranslateX(0.5, 1.0), PermuteX(5, 1.0)], ids=["TranslateX", "PermuteX"])
def test_time_transforms_move_whole_columns_and_keep_every_column(transform):
    x = images()
    y = transform(x, torch.Generator().manual_seed(1))
    changed = 0
    for before, after in zip(x, y):
        sources = [source_column(after[:, :, w], before) for w in range(x.shape[-1])]
        assert -1 not in sources  # every output column is an input column ...
        assert sorted(sources) == list(range(x.shape[-1]))  # ... and every input column is used once
        changed += sources != list(range(x.shape[-1]))
    assert changed >= len(x) // 2


def test_translate_x_is_a_circular_shift_within_the_bound():
    x = torch.arange(20.0).expand(64, 3, 2, 20).clone()
    y = TranslateX(max_fraction=0.25, probability=1.0)(x, torch.Generator().manual_seed(0))
    shifts = (y[:, 0, 0, 0] - x[:, 0, 0, 0]) % 20  # column 0 now holds column -shift
    offsets = torch.where(shifts > 10, shifts - 20, shifts).abs()
    assert offsets.max() <= 5 and len(offsets.unique()) > 3
    assert torch.equal(y, torch.stack([torch.roll(x[i], int(-y[i, 0, 0, 0]), dims=-1) for i in range(64)]))


def test_permute_x_keeps_chunks_contiguous():
    x = torch.arange(24.0).expand(32, 3, 1, 24).clone()
    y = PermuteX(max_segments=3, probability=1.0)(x, torch.Generator().manual_seed(0))
    for row in y[:, 0, 0]:
        breaks = (row[1:] - row[:-1] != 1).sum().item()
        assert breaks <= 2  # at most 3 chunks, each a run of consecutive columns


def test_hue_keeps_per_pixel_brightness_and_cycles_axes_at_120_degrees():
    x = images()
    y = Hue(max_degrees=180.0, probability=1.0)(x, torch.Generator().manual_seed(0))
    torch.testing.assert_close(y.mean(dim=1), x.mean(dim=1), atol=1e-6, rtol=0)
    assert (y - x).abs().max() > 0.05
    # Rotation about the grey axis keeps the colour's distance from grey (saturation-like contrast) too.
    torch.testing.assert_close((y - y.mean(1, keepdim=True)).norm(dim=1), (x - x.mean(1, keepdim=True)).norm(dim=1))
    rotation = Hue.rotation_about_grey_axis(torch.tensor([2 * math.pi / 3], dtype=torch.float64))[0]
    torch.testing.assert_close(rotation, torch.tensor([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=torch.float64))


def test_jitter_is_bounded_and_zero_mean():
    x = images(batch=64, width=128)
    noise = Jitter(magnitude=0.1, probability=1.0)(x, torch.Generator().manual_seed(0)) - x
    assert noise.abs().max() <= 0.1 + 1e-6 and noise.abs().max() > 0.09
    assert abs(noise.mean().item()) < 1e-3  # 64*3*12*128 draws: the mean of U(-0.1, 0.1) has sd 1e-4
    assert noise.std().item() == pytest.approx(0.1 / math.sqrt(3), rel=0.02)


def test_probability_zero_is_identity_and_generator_makes_it_reproducible():
    x = images()
    augment = SensorAwareAugmentation(probability=0.0)
    torch.testing.assert_close(augment(x), x, atol=1e-6, rtol=0)
    augment = SensorAwareAugmentation(probability=0.8)
    a = augment(x, torch.Generator().manual_seed(7))
    b = augment(x, torch.Generator().manual_seed(7))
    assert torch.equal(a, b) and not torch.equal(a, augment(x, torch.Generator().manual_seed(8)))


def test_composed_augmentation_works_in_normalised_space():
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    pixels = images()
    normalised = (pixels - mean[:, None, None]) / std[:, None, None]
    augment = SensorAwareAugmentation(
        translate_max_fraction=0, permute_max_segments=1, jitter_magnitude=0, probability=1
    )
    out = augment(normalised, torch.Generator().manual_seed(0)) * std[:, None, None] + mean[:, None, None]
    torch.testing.assert_close(out.mean(dim=1), pixels.mean(dim=1), atol=1e-5, rtol=0)  # only Hue acted


def test_hue_rejects_non_rgb():
    with pytest.raises(ValueError, match="3 channels"):
        Hue()(torch.rand(2, 4, 8, 8))
