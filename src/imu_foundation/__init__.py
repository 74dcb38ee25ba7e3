"""imu-foundation: foundation models for IMU sensing on the Hugging Face stack.

Importing the package registers its models with the transformers Auto classes.
"""

from .auto_registration import register_auto_classes
from .factory import create_feature_extractor, create_model, create_processor, list_models
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
from .models.multi3net import (
    Multi3NetConfig,
    Multi3NetFeatureExtractor,
    Multi3NetForImuClassification,
    Multi3NetImuConfig,
    Multi3NetModel,
    Multi3NetOutput,
    Multi3NetPoseConfig,
    Multi3NetProcessor,
    SentenceEmbeddingCache,
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
    "Multi3NetConfig",
    "Multi3NetFeatureExtractor",
    "Multi3NetForImuClassification",
    "Multi3NetImuConfig",
    "Multi3NetModel",
    "Multi3NetOutput",
    "Multi3NetPoseConfig",
    "Multi3NetProcessor",
    "PermuteX",
    "SentenceEmbeddingCache",
    "SensorAwareAugmentation",
    "TranslateX",
    "create_feature_extractor",
    "create_model",
    "create_processor",
    "list_models",
]
