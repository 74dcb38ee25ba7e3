"""IMG2IMU's sensor-aware augmentations as batched torch transforms.

Each transform takes images ``(B, C, H, W)`` in pixel units (``[0, 1]`` before ImageNet normalisation), where the
width is the time axis of a spectrogram (or any image's x axis during pre-training on image corpora), and draws its
random parameters per image from an optional ``torch.Generator``. The augmentations mimic properties of IMU sensing:

- ``TranslateX``: the window starts at another moment -> whole time columns shift (circularly).
- ``PermuteX``: the signal is a sequence of motions whose order does not define the activity -> chunks of columns
  are shuffled.
- ``Hue``: the sensor is rotated or its axes are swapped -> energy moves between R, G and B. Implemented as a
  rotation of every pixel's colour about the grey axis: brightness ``(R + G + B) / 3`` is kept exactly, and 120
  degrees is exactly a cyclic swap of the x, y, z axes.
- ``Jitter``: sensor noise -> zero-centred uniform noise per pixel.

No crop, flip or blur: they break the time / frequency meaning of the axes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .feature_extraction_img2imu import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD


def _applied(batch: int, probability: float, generator: torch.Generator | None, device) -> torch.Tensor:
    return torch.rand(batch, generator=generator, device=device) < probability


def _gather_columns(images: torch.Tensor, source_columns: torch.Tensor) -> torch.Tensor:
    """``out[b, :, :, w] = images[b, :, :, source_columns[b, w]]``."""
    batch, channels, height, width = images.shape
    index = source_columns[:, None, None, :].expand(batch, channels, height, width)
    return images.gather(-1, index)


class TranslateX(nn.Module):
    """Circular shift of every image along the time axis by a random whole number of columns.

    Args:
        max_fraction: largest shift as a fraction of the width (shifts are uniform in ``[-max, max]`` columns).
        probability: chance that an image is shifted at all.
    """

    def __init__(self, max_fraction: float = 0.5, probability: float = 0.8):
        super().__init__()
        self.max_fraction, self.probability = max_fraction, probability

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        batch, _, _, width = images.shape
        max_shift = int(self.max_fraction * width)
        shifts = torch.randint(-max_shift, max_shift + 1, (batch,), generator=generator, device=images.device)
        shifts = shifts * _applied(batch, self.probability, generator, images.device)
        columns = torch.arange(width, device=images.device)
        return _gather_columns(images, (columns[None, :] - shifts[:, None]) % width)


class PermuteX(nn.Module):
    """Cuts every image into 2..``max_segments`` chunks of (nearly) equal width along time and shuffles them.

    Args:
        max_segments: largest number of chunks (the number is uniform in ``[2, max_segments]``).
        probability: chance that an image is permuted at all.
    """

    def __init__(self, max_segments: int = 4, probability: float = 0.8):
        super().__init__()
        self.max_segments, self.probability = max_segments, probability

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        batch, _, _, width = images.shape
        device = images.device
        most = max(1, min(self.max_segments, width))
        if most < 2:
            return images
        segments = torch.randint(2, most + 1, (batch, 1), generator=generator, device=device)
        segments = torch.where(_applied(batch, self.probability, generator, device)[:, None], segments, 1)
        # Chunk k covers columns [floor(k W / n), floor((k + 1) W / n)); chunks k >= n are empty.
        k = torch.arange(most + 1, device=device)[None, :]
        bounds = torch.div(k.clamp(max=segments) * width, segments, rounding_mode="floor")  # (B, most + 1)
        starts, lengths = bounds[:, :-1], bounds[:, 1:] - bounds[:, :-1]
        # A random order of the non-empty chunks (empty ones sort last and stay empty).
        keys = torch.rand(batch, most, generator=generator, device=device) + (lengths == 0)
        order = keys.argsort(dim=1)
        new_lengths = lengths.gather(1, order)
        new_starts = new_lengths.cumsum(1) - new_lengths
        columns = torch.arange(width, device=device).expand(batch, width).contiguous()
        slot = torch.searchsorted(new_starts + new_lengths, columns, right=True).clamp(max=most - 1)
        source = starts.gather(1, order).gather(1, slot) + columns - new_starts.gather(1, slot)
        return _gather_columns(images, source)


class Hue(nn.Module):
    """Rotates every pixel's (R, G, B) about the grey axis by a random angle: hue changes, brightness does not.

    Args:
        max_degrees: largest rotation (angles are uniform in ``[-max, max]`` degrees).
        probability: chance that an image is rotated at all.
    """

    def __init__(self, max_degrees: float = 180.0, probability: float = 0.8):
        super().__init__()
        self.max_degrees, self.probability = max_degrees, probability

    @staticmethod
    def rotation_about_grey_axis(angle_rad: torch.Tensor) -> torch.Tensor:
        """``(B,)`` angles -> ``(B, 3, 3)`` rotations about ``u = (1, 1, 1) / sqrt(3)`` (Rodrigues' formula)."""
        u = torch.full((3,), 1.0 / math.sqrt(3.0), dtype=angle_rad.dtype, device=angle_rad.device)
        u_cross = torch.tensor([[0.0, -u[2], u[1]], [u[2], 0.0, -u[0]], [-u[1], u[0], 0.0]], dtype=angle_rad.dtype)
        cos, sin = angle_rad.cos()[:, None, None], angle_rad.sin()[:, None, None]
        eye = torch.eye(3, dtype=angle_rad.dtype, device=angle_rad.device)
        return cos * eye + sin * u_cross.to(angle_rad.device) + (1 - cos) * torch.outer(u, u)

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if images.shape[1] != 3:
            raise ValueError(f"Hue needs RGB images (3 channels), got {images.shape[1]} channels.")
        batch = images.shape[0]
        uniform = torch.rand(batch, generator=generator, device=images.device, dtype=images.dtype)
        angles = torch.deg2rad((2 * uniform - 1) * self.max_degrees)
        angles = angles * _applied(batch, self.probability, generator, images.device)
        return torch.einsum("bij,bjhw->bihw", self.rotation_about_grey_axis(angles), images)


class Jitter(nn.Module):
    """Adds zero-centred uniform noise in ``[-magnitude, magnitude]`` to every pixel.

    Args:
        magnitude: half-width of the noise, in pixel units.
        probability: chance that an image gets noise at all.
    """

    def __init__(self, magnitude: float = 0.05, probability: float = 0.8):
        super().__init__()
        self.magnitude, self.probability = magnitude, probability

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.rand(images.shape, generator=generator, device=images.device, dtype=images.dtype)
        noise = (2 * noise - 1) * self.magnitude
        applied = _applied(images.shape[0], self.probability, generator, images.device)
        return images + noise * applied[:, None, None, None]


class SensorAwareAugmentation(nn.Module):
    """TranslateX, PermuteX, Hue and Jitter in turn, on normalised images (normalisation undone and redone).

    Args:
        image_mean, image_std: the per-channel normalisation of the input images.
    """

    def __init__(
        self,
        translate_max_fraction: float = 0.5,
        permute_max_segments: int = 4,
        hue_max_degrees: float = 180.0,
        jitter_magnitude: float = 0.05,
        probability: float = 0.8,
        image_mean: Sequence[float] = IMAGENET_DEFAULT_MEAN,
        image_std: Sequence[float] = IMAGENET_DEFAULT_STD,
    ):
        super().__init__()
        self.transforms = nn.ModuleList(
            [
                TranslateX(translate_max_fraction, probability),
                PermuteX(permute_max_segments, probability),
                Hue(hue_max_degrees, probability),
                Jitter(jitter_magnitude, probability),
            ]
        )
        # Plain lists, not buffers: nothing here is a weight, and models built on the meta device stay loadable.
        self.image_mean, self.image_std = list(image_mean), list(image_std)

    @classmethod
    def from_config(cls, config) -> SensorAwareAugmentation:
        return cls(
            config.translate_max_fraction,
            config.permute_max_segments,
            config.hue_max_degrees,
            config.jitter_magnitude,
            config.augmentation_probability,
            config.image_mean,
            config.image_std,
        )

    def forward(self, pixel_values: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        mean = pixel_values.new_tensor(self.image_mean)[None, :, None, None]
        std = pixel_values.new_tensor(self.image_std)[None, :, None, None]
        images = pixel_values * std + mean
        for transform in self.transforms:
            images = transform(images, generator)
        return (images - mean) / std


__all__ = ["Hue", "Jitter", "PermuteX", "SensorAwareAugmentation", "TranslateX"]
