"""imu-foundation: foundation models for IMU sensing on the Hugging Face stack.

Importing the package registers its models with the transformers Auto classes.
"""

from .auto_registration import register_auto_classes
from .factory import create_feature_extractor, create_model, list_models
from .models.img2imu import (
    Hue,
    Img2ImuConfig,
    Img2ImuContrastiveOutput,
    Img2ImuForContrastivePretraining,
    Img2ImuForImuClassification,
    Img2ImuModel,
    ImuSpectrogramFeatureExtractor,
    Jitter,
    PermuteX,
    SensorAwareAugmentation,
    TranslateX,
)

register_auto_classes()

__version__ = "0.1.0"

__all__ = [
    "Hue",
    "Img2ImuConfig",
    "Img2ImuContrastiveOutput",
    "Img2ImuForContrastivePretraining",
    "Img2ImuForImuClassification",
    "Img2ImuModel",
    "ImuSpectrogramFeatureExtractor",
    "Jitter",
    "PermuteX",
    "SensorAwareAugmentation",
    "TranslateX",
    "create_feature_extractor",
    "create_model",
    "list_models",
]
