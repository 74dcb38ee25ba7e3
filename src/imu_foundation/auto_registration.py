"""Registers the package's models with the transformers Auto classes (run once, on import of imu_foundation).

Two mechanisms, both needed:
- ``AutoConfig.register`` / ``AutoModel.register``: ``AutoModel.from_pretrained(folder)`` works wherever
  ``imu_foundation`` is imported.
- ``register_for_auto_class``: ``save_pretrained`` writes ``auto_map`` and copies the model's source files next to the
  weights, so the folder also loads with ``trust_remote_code=True`` where the package is not installed.
"""

from transformers import AutoConfig, AutoFeatureExtractor, AutoModel, AutoModelForImageClassification

from .models.img2imu import (
    Img2ImuConfig,
    Img2ImuForImuClassification,
    Img2ImuModel,
    ImuSpectrogramFeatureExtractor,
)


def register_auto_classes() -> None:
    AutoConfig.register(Img2ImuConfig.model_type, Img2ImuConfig, exist_ok=True)
    AutoModel.register(Img2ImuConfig, Img2ImuModel, exist_ok=True)
    AutoModelForImageClassification.register(Img2ImuConfig, Img2ImuForImuClassification, exist_ok=True)
    AutoFeatureExtractor.register(Img2ImuConfig, ImuSpectrogramFeatureExtractor, exist_ok=True)

    Img2ImuConfig.register_for_auto_class()
    Img2ImuModel.register_for_auto_class("AutoModel")
    Img2ImuForImuClassification.register_for_auto_class("AutoModelForImageClassification")
    ImuSpectrogramFeatureExtractor.register_for_auto_class("AutoFeatureExtractor")
