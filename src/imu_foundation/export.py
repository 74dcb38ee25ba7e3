"""ONNX export of the encoders, for runtimes without PyTorch (phones, browsers, onnxruntime on a server).

    >>> export_imu_encoder(model, "imu_encoder.onnx", num_samples=200, channel_names=watch.channel_names)
    >>> export_img2imu_encoder(encoder, "img2imu.onnx", image_size=(192, 128))

Both go through ``torch.export`` (``torch.onnx.export(dynamo=True)``), with a dynamic batch dimension; the test
suite checks the exported graphs against the eager models with onnxruntime.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn


class ImuEmbedder(nn.Module):
    """``imu_values (B, T, C)``, ``imu_channel_ids (C, 3)`` -> the normalised IMU embedding ``(B, projection_dim)``
    of a :class:`~imu_foundation.Multi3NetModel` (or the pooled tower feature of a classifier: its logits)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, imu_values: torch.Tensor, imu_channel_ids: torch.Tensor) -> torch.Tensor:
        if hasattr(self.model, "get_imu_features"):
            return self.model.get_imu_features(imu_values=imu_values, imu_channel_ids=imu_channel_ids).pooler_output
        return self.model(imu_values=imu_values, imu_channel_ids=imu_channel_ids).logits


class ImageEmbedder(nn.Module):
    """``pixel_values (B, 3, H, W)`` -> the pooled feature ``(B, D)`` of an Img2Imu encoder."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=pixel_values).pooler_output


def export_imu_encoder(
    model: nn.Module, path: str | Path, num_samples: int, channel_names: Sequence[str], gravity: str = "include"
) -> Path:
    """Writes the IMU encoder of a Multi^3Net model (embeddings) or classifier (logits) as ONNX.

    The graph takes ``imu_values (B, num_samples, C)`` float32, normalised as the processor does, and
    ``imu_channel_ids (C, 3)`` int64 (from the processor, or ``sensors.channel_ids(channel_names, gravity)``).
    """
    from .sensors import channel_ids

    model = model.eval()
    example = (
        torch.zeros(2, num_samples, len(channel_names)),
        torch.tensor(channel_ids(channel_names, gravity), dtype=torch.long),
    )
    batch = torch.export.Dim("batch", min=1)
    return _export(ImuEmbedder(model), example, ({0: batch}, {}), ["imu_values", "imu_channel_ids"], path)


def export_img2imu_encoder(model: nn.Module, path: str | Path, image_size: tuple[int, int]) -> Path:
    """Writes an Img2Imu encoder (``Img2ImuModel``) as ONNX: ``pixel_values (B, 3, H, W)`` -> ``(B, D)``."""
    model = model.eval()
    example = (torch.zeros(2, 3, *image_size),)
    batch = torch.export.Dim("batch", min=1)
    return _export(ImageEmbedder(model), example, ({0: batch},), ["pixel_values"], path)


def _export(module: nn.Module, example: tuple, dynamic_shapes: tuple, names: list[str], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        program = torch.onnx.export(
            module.eval(),
            example,
            dynamic_shapes=dynamic_shapes,
            input_names=names,
            output_names=["embeddings"],
            dynamo=True,
            verbose=False,
        )
    program.save(str(path))
    return path


__all__ = ["ImageEmbedder", "ImuEmbedder", "export_img2imu_encoder", "export_imu_encoder"]
