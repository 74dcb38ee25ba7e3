"""Configuration of the IMG2IMU spectrogram-vision models."""

from __future__ import annotations

from typing import ClassVar

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from .feature_extraction_img2imu import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD

# Pooled feature size of each backbone (the width of ``pooler_output``).
BACKBONE_HIDDEN_SIZES: dict[str, int] = {"resnet18": 512, "efficientnet_lite0": 1280}
# BatchNorm (eps, momentum) each backbone was trained with: torchvision's ResNet and TF's EfficientNet-Lite.
BACKBONE_BATCH_NORM: dict[str, tuple[float, float]] = {
    "resnet18": (1e-5, 0.1),
    "efficientnet_lite0": (1e-3, 0.01),
}


@strict
class Img2ImuConfig(PreTrainedConfig):
    r"""Configuration of :class:`Img2ImuModel` and its heads.

    Backbone:
        backbone: ``"resnet18"`` (as in the IMG2IMU paper) or ``"efficientnet_lite0"`` (ImageNet weights available
            offline, see ``convert_efficientnet_lite_to_img2imu``).
        num_channels: colour channels of the input images (3: the spectrogram's x, y, z axes as R, G, B).
        drop_path_rate: stochastic depth of the EfficientNet-Lite0 blocks (ignored by ResNet-18).
        batch_norm_eps, batch_norm_momentum: BatchNorm settings of the backbone (PyTorch's momentum convention);
            ``None`` takes those the backbone's ImageNet weights were trained with.

    Classification (:class:`Img2ImuForImuClassification`):
        freeze_backbone: ``True`` for linear evaluation (frozen encoder, BatchNorm statistics included; only the
            new head trains), ``False`` for full fine-tuning.
        classifier_dropout: dropout before the linear head.
        freeze_batch_norm_statistics: full fine-tuning keeps the backbone's BatchNorm running statistics and
            normalises with them in training too (the BatchNorm layers stay in eval mode; their scale and shift still
            train). A few labelled windows cannot re-estimate the statistics: the batch statistics of 8 windows differ
            from the slowly updated running ones the model is evaluated with, and the fine-tuned model then
            predicts near chance on windows it fitted.
        feature_stage: the head reads the pooled output of this backbone stage (1-based: 1-7 for EfficientNet-Lite0,
            1-4 for ResNet-18) instead of the final feature map. ImageNet's mid-level features (edges, textures)
            describe spectrograms better than its last layer, which is specific to photos.

    MoCo pre-training (:class:`Img2ImuForContrastivePretraining`), defaults from IMG2IMU / MoCo:
        projection_dim: size of the contrastive feature (64 in IMG2IMU).
        projection_hidden_size: hidden width of the two-layer projection head (``None``: the backbone width).
        queue_size: number of negative keys kept (4096 in IMG2IMU).
        momentum: momentum of the key encoder update (0.999, MoCo).
        temperature: softmax temperature of the InfoNCE loss (0.07, MoCo).

    Sensor-aware augmentations (magnitudes are not published in IMG2IMU; these are ours, see docs):
        translate_max_fraction: largest TranslateX shift, as a fraction of the image width.
        permute_max_segments: PermuteX cuts the width into 2..this many chunks and shuffles them.
        hue_max_degrees: largest Hue rotation about the grey axis (120 degrees = a cyclic swap of x, y, z).
        jitter_magnitude: half-width of the zero-centred uniform per-pixel noise, in [0, 1] pixel units.
        augmentation_probability: probability that each augmentation is applied to an image.
        image_mean, image_std: the normalisation of the input images, undone before augmenting.
    """

    model_type = "img2imu"
    backbones: ClassVar[tuple[str, ...]] = tuple(BACKBONE_HIDDEN_SIZES)

    backbone: str = "resnet18"
    num_channels: int = 3
    drop_path_rate: float = 0.0
    batch_norm_eps: float | None = None
    batch_norm_momentum: float | None = None
    freeze_backbone: bool = False
    classifier_dropout: float = 0.0
    freeze_batch_norm_statistics: bool = True
    feature_stage: int | None = None
    projection_dim: int = 64
    projection_hidden_size: int | None = None
    queue_size: int = 4096
    momentum: float = 0.999
    temperature: float = 0.07
    translate_max_fraction: float = 0.5
    permute_max_segments: int = 4
    hue_max_degrees: float = 180.0
    jitter_magnitude: float = 0.05
    augmentation_probability: float = 0.8
    image_mean: list[float] | tuple[float, ...] = IMAGENET_DEFAULT_MEAN
    image_std: list[float] | tuple[float, ...] = IMAGENET_DEFAULT_STD

    def __post_init__(self, **kwargs):
        self.image_mean = list(self.image_mean)
        self.image_std = list(self.image_std)
        default_eps, default_momentum = BACKBONE_BATCH_NORM.get(self.backbone, (1e-5, 0.1))
        self.batch_norm_eps = default_eps if self.batch_norm_eps is None else self.batch_norm_eps
        self.batch_norm_momentum = default_momentum if self.batch_norm_momentum is None else self.batch_norm_momentum
        super().__post_init__(**kwargs)

    @property
    def hidden_size(self) -> int:
        """Width of the pooled backbone feature."""
        return BACKBONE_HIDDEN_SIZES[self.backbone]

    @property
    def stage_widths(self) -> tuple[int, ...]:
        """Channels of each backbone stage's output (the encoder's ``hidden_states``, final map excluded)."""
        from .backbones_img2imu import BACKBONES

        return BACKBONES[self.backbone].stage_widths

    @property
    def classifier_input_size(self) -> int:
        """Width of the feature the classification head reads: the pooled ``feature_stage`` or final map."""
        return self.hidden_size if self.feature_stage is None else self.stage_widths[self.feature_stage - 1]

    def validate_architecture(self):
        """Checks values that would otherwise fail deep inside the model."""
        if self.backbone not in self.backbones:
            raise ValueError(f"backbone must be one of {self.backbones}, got {self.backbone!r}.")
        if self.feature_stage is not None and not 1 <= self.feature_stage <= len(self.stage_widths):
            raise ValueError(
                f"feature_stage must be None or a stage of {self.backbone} in [1, {len(self.stage_widths)}], "
                f"got {self.feature_stage}."
            )
        if not 0.0 <= self.translate_max_fraction <= 1.0:
            raise ValueError(f"translate_max_fraction must be in [0, 1], got {self.translate_max_fraction}.")
        if self.permute_max_segments < 1:
            raise ValueError(f"permute_max_segments must be >= 1, got {self.permute_max_segments}.")
        if not 0.0 <= self.augmentation_probability <= 1.0:
            raise ValueError(f"augmentation_probability must be in [0, 1], got {self.augmentation_probability}.")
        if self.queue_size < 1 or self.projection_dim < 1:
            raise ValueError("queue_size and projection_dim must be positive.")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}.")
        if len(self.image_mean) != self.num_channels or len(self.image_std) != self.num_channels:
            raise ValueError("image_mean and image_std need one value per image channel.")


__all__ = ["Img2ImuConfig"]
