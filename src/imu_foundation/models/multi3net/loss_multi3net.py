"""Multi^3Net's training objective (open_clip style: a small module, the learnable temperatures live in the model).

Terms, each weighted by the config:

* symmetric InfoNCE (CLIP / IMU2CLIP) on text-IMU, text-pose and IMU-pose, one learnable temperature per pair.
  Items with the same caption are not negatives of each other: their off-diagonal logits are removed from the
  softmax (each item's positive is still its own pair), so duplicate captions neither get pushed apart nor
  leave a log(2) floor in the loss;
* Pose2IMU: mean squared error of the IMU window predicted from pose (normalised units);
* IMU reconstruction: mean squared error of the reconstructed window, over the hidden samples (masked) or all
  samples (autoencoding).
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from .configuration_multi3net import Multi3NetConfig


def caption_keys(
    input_ids: torch.Tensor | None = None,
    attention_mask: torch.Tensor | None = None,
    sentence_embeds: torch.Tensor | None = None,
    text_group_ids: torch.Tensor | None = None,
    decimals: int = 4,
) -> torch.Tensor | None:
    """``(B,)`` int64 keys, equal for items that carry the same caption.

    From the first source given: ``text_group_ids (B,)`` themselves, the token rows of ``input_ids (B, L)``
    (padding ignored, whatever the padded length), or sentence embeddings ``(B, D)`` rounded to ``decimals``. Keys
    are comparable across processes, so duplicates are found in a batch gathered from several of them.
    """
    if text_group_ids is not None:
        return text_group_ids.long()
    if input_ids is not None:
        values = input_ids if attention_mask is None else input_ids * attention_mask.to(input_ids.dtype)
    elif sentence_embeds is not None:
        values = torch.round(sentence_embeds.detach().double() * 10**decimals).long()
    else:
        return None
    # A fixed random weight per position: equal rows give equal keys, different rows collide with odds ~2^-60.
    weights = torch.randint(-(2**62), 2**62, (values.shape[1],), generator=torch.Generator().manual_seed(0))
    return (values.long() * weights.to(values.device)).sum(dim=1)


def same_caption_mask(
    input_ids: torch.Tensor | None = None,
    attention_mask: torch.Tensor | None = None,
    sentence_embeds: torch.Tensor | None = None,
    text_group_ids: torch.Tensor | None = None,
) -> torch.Tensor | None:
    """``(B, B)`` bool, true where items ``i`` and ``j`` carry the same caption (the diagonal included); see
    :func:`caption_keys` for the sources."""
    keys = caption_keys(input_ids, attention_mask, sentence_embeds, text_group_ids)
    return None if keys is None else keys[:, None] == keys[None, :]


class _GatherWithGradient(torch.autograd.Function):
    """All-gather whose backward gives each process the *sum* of every process's gradient for its part."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad)  # every process computed the same loss over the gathered batch
        return grad.chunk(dist.get_world_size())[dist.get_rank()]


def gather_across_processes(x: torch.Tensor) -> torch.Tensor:
    """``(B, ...)`` from every process, concatenated in rank order (equal ``B`` on every process).

    With one process (or no ``torch.distributed``) it is ``x``. Every process computes the same contrastive loss over
    the gathered batch; the backward sums their gradients for each process's part, so after DDP averages the
    parameters' gradients they equal those of one process holding the whole batch.
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    return _GatherWithGradient.apply(x)


def contrastive_loss(logits: torch.Tensor, same: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE of ``logits (B, B)`` (rows: modality a, columns: modality b, positives on the diagonal).

    ``same (B, B)``: pairs that must not be negatives (duplicate captions); their off-diagonal logits are masked.
    """
    if same is not None:
        exclude = same & ~torch.eye(logits.shape[0], dtype=torch.bool, device=logits.device)
        logits = logits.masked_fill(exclude, torch.finfo(logits.dtype).min)
    targets = torch.arange(logits.shape[0], device=logits.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error over the elements where ``mask`` is true (all elements without a mask)."""
    squared = (prediction - target).square()
    if mask is None:
        return squared.mean()
    mask = mask.to(squared.dtype).expand_as(squared)
    return (squared * mask).sum() / mask.sum().clamp(min=1.0)


class Multi3NetLoss(nn.Module):
    """Weighted sum of the Multi^3Net loss terms that the batch's modalities allow.

    ``forward`` takes the pairwise logits (already scaled by their temperatures), the duplicate-caption mask and
    the regression pairs, and returns ``{"loss": total, "<term>_loss": value, ...}`` with ``None`` for the terms
    that cannot be computed (a modality is missing) or have weight 0.
    """

    def __init__(self, config: Multi3NetConfig):
        super().__init__()
        self.weights = {
            "text_imu": config.text_imu_loss_weight,
            "text_pose": config.text_pose_loss_weight,
            "imu_pose": config.imu_pose_loss_weight,
            "pose2imu": config.pose2imu_loss_weight,
            "reconstruction": config.reconstruction_loss_weight,
        }

    def forward(
        self,
        logits_text_imu: torch.Tensor | None = None,
        logits_text_pose: torch.Tensor | None = None,
        logits_imu_pose: torch.Tensor | None = None,
        same_caption: torch.Tensor | None = None,
        pose2imu: tuple[torch.Tensor, torch.Tensor] | None = None,
        reconstruction: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None] | None = None,
    ) -> dict[str, torch.Tensor | None]:
        """
        Args:
            logits_*: ``(B, B)`` scaled similarities, rows the first modality of the name.
            same_caption: ``(B, B)`` bool duplicate-caption mask (applies to the text pairs).
            pose2imu: ``(prediction, target)``, both ``(B, T, C)``.
            reconstruction: ``(prediction, target, mask)``, ``(B, T, C)`` each, ``mask`` bool or ``None``.
        """
        terms = {
            "text_imu": None if logits_text_imu is None else contrastive_loss(logits_text_imu, same_caption),
            "text_pose": None if logits_text_pose is None else contrastive_loss(logits_text_pose, same_caption),
            "imu_pose": None if logits_imu_pose is None else contrastive_loss(logits_imu_pose),
            "pose2imu": None if pose2imu is None else masked_mse(*pose2imu),
            "reconstruction": None if reconstruction is None else masked_mse(*reconstruction),
        }
        used = {k: v for k, v in terms.items() if v is not None and self.weights[k] > 0}
        total = sum(self.weights[k] * v for k, v in used.items()) if used else None
        return {"loss": total, **{f"{k}_loss": terms[k] if k in used else None for k in terms}}


__all__ = [
    "Multi3NetLoss",
    "caption_keys",
    "contrastive_loss",
    "gather_across_processes",
    "masked_mse",
    "same_caption_mask",
]
