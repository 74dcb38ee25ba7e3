"""Named model variants from the JSON files in ``hub_configs/`` (open_clip style).

Each JSON file names a variant: the model config, the feature extractor config, and which offline weight sources
(``pretrained``) can initialise it.

    >>> model = create_model("img2imu-efficientnet-lite0", task="classification", pretrained="imagenet", num_labels=7)
    >>> feature_extractor = create_feature_extractor("img2imu-efficientnet-lite0")
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from transformers import PreTrainedModel

from .models.img2imu import (
    Img2ImuConfig,
    Img2ImuForContrastivePretraining,
    Img2ImuForImuClassification,
    Img2ImuModel,
    ImuSpectrogramFeatureExtractor,
)

# Installed wheels carry the configs inside the package; a source checkout keeps them at the repository root.
_CONFIG_DIRS = (Path(__file__).parent / "hub_configs", Path(__file__).parents[2] / "hub_configs")
_TASKS = {
    "base": Img2ImuModel,
    "classification": Img2ImuForImuClassification,
    "contrastive": Img2ImuForContrastivePretraining,
}


@cache
def _variants() -> dict[str, Path]:
    found = {}
    for folder in _CONFIG_DIRS:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            found.setdefault(path.stem, path)
    return found


def list_models() -> list[str]:
    """Names of the model variants in ``hub_configs/``."""
    return sorted(_variants())


def get_variant(name: str) -> dict[str, Any]:
    """The parsed JSON of a named variant."""
    variants = _variants()
    if name not in variants:
        raise ValueError(f"Unknown model variant {name!r}; available: {', '.join(list_models()) or 'none found'}.")
    return json.loads(variants[name].read_text())


def create_feature_extractor(name: str, **overrides: Any) -> ImuSpectrogramFeatureExtractor:
    """The feature extractor of a named variant, with keyword overrides (e.g. ``sampling_rate=100``)."""
    return ImuSpectrogramFeatureExtractor(**{**get_variant(name)["feature_extractor"], **overrides})


def create_model(
    name: str, task: str = "base", pretrained: str | None = None, **config_overrides: Any
) -> PreTrainedModel:
    """Builds a named variant.

    Args:
        name: a variant from :func:`list_models`.
        task: ``"base"`` (encoder), ``"classification"`` or ``"contrastive"`` (MoCo pre-training).
        pretrained: an offline weight source the variant lists (``"imagenet"`` for EfficientNet-Lite0), or None.
        config_overrides: config fields to change (``num_labels=7``, ``freeze_backbone=True``, ...).
    """
    variant = get_variant(name)
    if task not in _TASKS:
        raise ValueError(f"task must be one of {sorted(_TASKS)}, got {task!r}.")
    config = Img2ImuConfig(**{**variant["config"], **config_overrides})
    model = _TASKS[task](config)
    if pretrained is not None:
        sources = variant.get("pretrained", [])
        if pretrained not in sources:
            raise ValueError(f"Variant {name!r} has no {pretrained!r} weights offline; it has: {sources or 'none'}.")
        from .models.img2imu.convert_efficientnet_lite_to_img2imu import load_imagenet_backbone

        encoders = [model] if task == "base" else [model.img2imu]
        if task == "contrastive":
            encoders.append(model.key_img2imu)
        for encoder in encoders:
            load_imagenet_backbone(encoder)
    return model
