"""IMG2IMU models: a vision backbone over IMU spectrogram images, MoCo pre-training and classification heads."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import (
    BaseModelOutputWithPoolingAndNoAttention,
    ImageClassifierOutputWithNoAttention,
)
from transformers.utils import ModelOutput
from transformers.utils.generic import can_return_tuple

from .augmentation_img2imu import SensorAwareAugmentation
from .backbones_img2imu import build_backbone
from .configuration_img2imu import Img2ImuConfig
from .inference_img2imu import FoldableBackbone


@dataclass
class Img2ImuContrastiveOutput(ModelOutput):
    r"""Output of :class:`Img2ImuForContrastivePretraining`.

    loss: InfoNCE loss of the queries against their keys and the queue, ``()``.
    logits: ``(B, 1 + queue_size)`` similarities over temperature; column 0 is the positive key.
    query_embeds: ``(B, projection_dim)`` normalised query features (gradients flow).
    key_embeds: ``(B, projection_dim)`` normalised key features from the momentum encoder (no gradients).
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    query_embeds: torch.Tensor | None = None
    key_embeds: torch.Tensor | None = None


class Img2ImuPreTrainedModel(PreTrainedModel):
    config: Img2ImuConfig
    config_class = Img2ImuConfig
    base_model_prefix = "img2imu"
    main_input_name = "pixel_values"
    input_modalities = ("image",)
    supports_gradient_checkpointing = True

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        """``PreTrainedModel.from_pretrained``, then the config's freeze flags applied again (loading rebuilds
        every parameter as trainable)."""
        loaded = super().from_pretrained(*args, **kwargs)
        (loaded[0] if isinstance(loaded, tuple) else loaded).apply_freeze_flags()
        return loaded

    def apply_freeze_flags(self) -> None:
        """Freezes what the configuration says is frozen (at construction and after loading)."""

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Conv2d):
            # He (fan-out) init, as torchvision's ResNet and TF's EfficientNet. The fan-out of a grouped convolution
            # counts the outputs of one group only; kaiming_normal_ would count all of them, which shrinks a
            # depthwise layer's weights by sqrt(channels) and a random EfficientNet's activations to ~1e-9.
            fan_out = module.out_channels // module.groups * math.prod(module.kernel_size)
            init.normal_(module.weight, std=math.sqrt(2.0 / fan_out))
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            init.ones_(module.weight)
            init.zeros_(module.bias)
            init.zeros_(module.running_mean)
            init.ones_(module.running_var)
            init.zeros_(module.num_batches_tracked)
        elif isinstance(module, nn.Linear):
            init.normal_(module.weight, std=0.01)
            init.zeros_(module.bias)
        elif isinstance(module, Img2ImuForContrastivePretraining):
            # The key encoder starts as a copy of the query encoder (also when only the query side was loaded,
            # e.g. from an Img2ImuModel checkpoint: loaded tensors are in place before missing ones are set).
            for key, query in zip(module.key_encoder_parameters(), module.query_encoder_parameters()):
                init.copy_(key, query)
            init.copy_(module.queue, F.normalize(torch.randn_like(module.queue), dim=0))
            init.zeros_(module.queue_ptr)

    def fold_for_inference(self, dtype: torch.dtype = torch.float32):
        """Folds BatchNorm into the convolutions of every backbone now, from the current weights; returns ``self``.

        The folded backbones run in eval mode without autograd (``torch.no_grad()``, ``torch.inference_mode()``,
        frozen parameters); ``dtype`` is the one inference will use (the autocast dtype under ``torch.autocast``).
        Without this call they fold at their first such forward, and again whenever a weight changed; call it
        after writing weights through ``tensor.data``, which PyTorch does not track. The weights, ``state_dict``
        and training are unchanged; see ``inference_img2imu.py``.
        """
        for module in self.modules():
            if isinstance(module, FoldableBackbone):
                module.folded_forward(dtype, refresh=True)
        return self


class Img2ImuModel(Img2ImuPreTrainedModel):
    """The spectrogram-vision encoder: backbone + global average pooling.

    Input ``pixel_values (B, 3, H, W)`` (from :class:`ImuSpectrogramFeatureExtractor`); output
    ``last_hidden_state (B, D, h, w)`` and ``pooler_output (B, D)``, ``D = config.hidden_size``.
    """

    def __init__(self, config: Img2ImuConfig):
        super().__init__(config)
        self.backbone = build_backbone(config)
        self.post_init()

    @can_return_tuple
    def forward(
        self, pixel_values: torch.Tensor, output_hidden_states: bool | None = None, **kwargs
    ) -> BaseModelOutputWithPoolingAndNoAttention:
        """``pixel_values (B, 3, H, W)`` -> ``last_hidden_state (B, D, h, w)``, ``pooler_output (B, D)`` and, with
        ``output_hidden_states``, the feature map after every stage of the backbone (mid-level features)."""
        _check_pixel_values(pixel_values, self.config)
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        stages = [] if output_hidden_states else None
        feature_map = self.backbone(pixel_values, stages)
        return BaseModelOutputWithPoolingAndNoAttention(
            last_hidden_state=feature_map,
            pooler_output=feature_map.mean(dim=(2, 3)),
            hidden_states=None if stages is None else (*stages, feature_map),
        )

    def get_image_features(self, pixel_values: torch.Tensor, **kwargs) -> BaseModelOutputWithPoolingAndNoAttention:
        """The pooled feature ``pooler_output (B, D)`` of spectrogram (or any) images, with the feature map
        (as CLIP's and CLAP's ``get_*_features``)."""
        return self(pixel_values, **kwargs)


class Img2ImuForImuClassification(Img2ImuPreTrainedModel):
    """Img2Imu encoder + a new linear head, for linear evaluation (``config.freeze_backbone``) or full fine-tuning.

    With a frozen backbone (``config.freeze_backbone`` or :meth:`freeze_backbone`) the encoder runs without
    gradients and in eval mode (its BatchNorm statistics stay those of pre-training), and its parameters have
    ``requires_grad=False``, so optimisers only see the head. The head reads the pooled final feature map, or the
    pooled output of stage ``config.feature_stage`` (mid-level features).
    """

    def __init__(self, config: Img2ImuConfig):
        super().__init__(config)
        self.img2imu = Img2ImuModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.classifier_input_size, config.num_labels)
        # A fine-tuned checkpoint also loads as its encoder: AutoModel in auto_map, also as remote code.
        config.auto_map = {**(getattr(config, "auto_map", None) or {}), "AutoModel": "modeling_img2imu.Img2ImuModel"}
        self.post_init()
        self.apply_freeze_flags()

    def apply_freeze_flags(self) -> None:
        if self.config.freeze_backbone:
            self.freeze_backbone()

    def train(self, mode: bool = True):
        """As ``nn.Module.train``; with ``config.freeze_batch_norm_statistics`` the backbone's BatchNorm layers stay
        in eval mode (see :class:`Img2ImuConfig`)."""
        super().train(mode)
        if mode and self.config.freeze_batch_norm_statistics:
            keep_batch_norm_statistics(self.img2imu)
        return self

    def freeze_backbone(self) -> None:
        """Linear evaluation: only the head trains; the encoder runs without gradients in eval mode."""
        self.config.freeze_backbone = True
        self.img2imu.requires_grad_(False)

    def unfreeze_backbone(self) -> None:
        """Full fine-tuning: the encoder trains with the head."""
        self.config.freeze_backbone = False
        self.img2imu.requires_grad_(True)

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        **kwargs,
    ) -> ImageClassifierOutputWithNoAttention:
        stage = self.config.feature_stage
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        needs_stages = output_hidden_states or stage is not None
        if self.config.freeze_backbone:
            with torch.no_grad(), eval_mode(self.img2imu):
                encoded = self.img2imu(pixel_values, output_hidden_states=needs_stages)
        else:
            encoded = self.img2imu(pixel_values, output_hidden_states=needs_stages)
        features = encoded.pooler_output if stage is None else encoded.hidden_states[stage - 1].mean(dim=(2, 3))
        logits = self.classifier(self.dropout(features))
        loss = None
        if labels is not None:
            if labels.shape != logits.shape[:1]:
                raise ValueError(f"labels must have shape ({logits.shape[0]},), got {tuple(labels.shape)}.")
            loss = F.cross_entropy(logits, labels.long())
        hidden_states = encoded.hidden_states if output_hidden_states else None  # only when asked for
        return ImageClassifierOutputWithNoAttention(loss=loss, logits=logits, hidden_states=hidden_states)


class Img2ImuForContrastivePretraining(Img2ImuPreTrainedModel):
    """Sensor-aware MoCo (He et al. 2020, as used by IMG2IMU) on image batches.

    The query encoder (``img2imu`` + ``projection``) learns; the key encoder (``key_img2imu`` + ``key_projection``)
    follows it as an exponential moving average with ``config.momentum``. Keys of past batches wait in a queue of
    ``config.queue_size`` negatives. Both views of every image are drawn with :class:`SensorAwareAugmentation`
    unless the caller passes the key view explicitly.
    """

    def __init__(self, config: Img2ImuConfig):
        super().__init__(config)
        hidden = config.projection_hidden_size or config.hidden_size
        self.img2imu = Img2ImuModel(config)
        self.projection = nn.Sequential(
            nn.Linear(config.hidden_size, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, config.projection_dim),
        )
        self.key_img2imu = Img2ImuModel(config)
        self.key_projection = nn.Sequential(
            nn.Linear(config.hidden_size, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, config.projection_dim),
        )
        self.augment = SensorAwareAugmentation.from_config(config)
        self.register_buffer("queue", torch.zeros(config.projection_dim, config.queue_size))
        self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))
        self.post_init()
        self.apply_freeze_flags()

    def apply_freeze_flags(self) -> None:
        # The key encoder only moves by momentum: no optimiser may see it.
        self.key_img2imu.requires_grad_(False)
        self.key_projection.requires_grad_(False)

    def query_encoder_parameters(self):
        return [*self.img2imu.parameters(), *self.projection.parameters(), *self.img2imu.buffers()]

    def key_encoder_parameters(self):
        return [
            *self.key_img2imu.parameters(),
            *self.key_projection.parameters(),
            *self.key_img2imu.buffers(),
        ]

    @torch.no_grad()
    def momentum_update(self) -> None:
        """key <- m * key + (1 - m) * query for every weight (BatchNorm statistics are the key encoder's own)."""
        m = self.config.momentum
        queries = [*self.img2imu.parameters(), *self.projection.parameters()]
        keys = [*self.key_img2imu.parameters(), *self.key_projection.parameters()]
        torch._foreach_mul_(keys, m)
        torch._foreach_add_(keys, queries, alpha=1.0 - m)

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Writes ``(B, projection_dim)`` keys over the oldest entries of the queue (ring buffer)."""
        keys = keys[-self.config.queue_size :]
        slots = (self.queue_ptr + torch.arange(keys.shape[0], device=keys.device)) % self.config.queue_size
        self.queue[:, slots] = keys.T.to(self.queue.dtype)
        self.queue_ptr.copy_((self.queue_ptr + keys.shape[0]) % self.config.queue_size)

    def encode_query(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.projection(self.img2imu(pixel_values).pooler_output), dim=1)

    @torch.no_grad()
    def encode_key(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.key_projection(self.key_img2imu(pixel_values).pooler_output), dim=1)

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor,
        pixel_values_key: torch.Tensor | None = None,
        augment: bool = True,
        generator: torch.Generator | None = None,
        **kwargs,
    ) -> Img2ImuContrastiveOutput:
        """
        Args:
            pixel_values: ``(B, 3, H, W)`` normalised images.
            pixel_values_key: the second view; ``None`` draws both views from ``pixel_values`` by augmentation.
            augment: apply :class:`SensorAwareAugmentation` to the views.
            generator: random generator of the augmentations (reproducible runs).
        """
        if pixel_values_key is None:
            pixel_values_key = pixel_values
        elif pixel_values_key.shape != pixel_values.shape:
            raise ValueError(
                f"pixel_values_key {tuple(pixel_values_key.shape)} must match pixel_values {tuple(pixel_values.shape)}."
            )
        if augment:
            pixel_values = self.augment(pixel_values, generator)
            pixel_values_key = self.augment(pixel_values_key, generator)

        queries = self.encode_query(pixel_values)
        if self.training:
            self.momentum_update()
        keys = self.encode_key(pixel_values_key)

        positives = (queries * keys).sum(dim=1, keepdim=True)
        negatives = queries @ self.queue.clone().detach().to(queries.dtype)
        logits = torch.cat([positives, negatives], dim=1) / self.config.temperature
        loss = F.cross_entropy(logits, torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device))
        if self.training:
            self.enqueue(keys)
        return Img2ImuContrastiveOutput(loss=loss, logits=logits, query_embeds=queries, key_embeds=keys)


def keep_batch_norm_statistics(module: nn.Module) -> None:
    """Puts every BatchNorm layer of ``module`` in eval mode: it normalises with its running statistics and stops
    updating them, while its scale and shift still get gradients."""
    for layer in module.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.eval()


# Copied from modeling_multi3net.eval_mode: each model folder loads as remote code on its own.
@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Runs ``module`` in eval mode (no dropout, BatchNorm on its running statistics) and restores its mode."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def _check_pixel_values(pixel_values: torch.Tensor, config: Img2ImuConfig) -> None:
    if pixel_values.ndim != 4 or pixel_values.shape[1] != config.num_channels:
        raise ValueError(
            f"pixel_values must have shape (B, {config.num_channels}, H, W), got {tuple(pixel_values.shape)}."
        )


__all__ = [
    "Img2ImuContrastiveOutput",
    "Img2ImuForContrastivePretraining",
    "Img2ImuForImuClassification",
    "Img2ImuModel",
    "Img2ImuPreTrainedModel",
]
