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
import torch.nn.functional as F
from torch import nn

from .configuration_multi3net import Multi3NetConfig


def same_caption_mask(
    input_ids: torch.Tensor | None = None,
    attention_mask: torch.Tensor | None = None,
    sentence_embeds: torch.Tensor | None = None,
    text_group_ids: torch.Tensor | None = None,
    atol: float = 1e-5,
) -> torch.Tensor | None:
    """``(B, B)`` bool, true where items ``i`` and ``j`` carry the same caption (the diagonal included).

    From the first source given: ``text_group_ids (B,)`` (equal ids = same caption), equal token rows of
    ``input_ids (B, L)`` (padding ignored), or sentence embeddings ``(B, D)`` within ``atol`` of each other.
    """
    if text_group_ids is not None:
        return text_group_ids[:, None] == text_group_ids[None, :]
    if input_ids is not None:
        tokens = input_ids if attention_mask is None else input_ids * attention_mask.to(input_ids.dtype)
        return (tokens[:, None, :] == tokens[None, :, :]).all(dim=-1)
    if sentence_embeds is not None:
        return torch.cdist(sentence_embeds.float(), sentence_embeds.float()) <= atol
    return None


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


__all__ = ["Multi3NetLoss", "contrastive_loss", "masked_mse", "same_caption_mask"]
