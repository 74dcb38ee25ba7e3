"""IMG2IMU: IMU windows as spectrogram images for ImageNet-initialised, sensor-aware vision encoders."""

import sys

from ... import sensors as _sensors

# ``sensors.py`` in this folder is a link to the package's conventions module, so that transformers copies it next to
# saved checkpoints (remote code). Inside the package the two names are one module: one set of classes and constants.
sys.modules[f"{__name__}.sensors"] = _sensors

from .augmentation_img2imu import Hue, Jitter, PermuteX, SensorAwareAugmentation, TranslateX  # noqa: E402
from .configuration_img2imu import Img2ImuConfig  # noqa: E402
from .feature_extraction_img2imu import ImuSpectrogramFeatureExtractor  # noqa: E402
from .modeling_img2imu import (  # noqa: E402
    Img2ImuContrastiveOutput,
    Img2ImuForContrastivePretraining,
    Img2ImuForImuClassification,
    Img2ImuModel,
    Img2ImuPreTrainedModel,
)

__all__ = [
    "Hue",
    "Img2ImuConfig",
    "Img2ImuContrastiveOutput",
    "Img2ImuForContrastivePretraining",
    "Img2ImuForImuClassification",
    "Img2ImuModel",
    "Img2ImuPreTrainedModel",
    "ImuSpectrogramFeatureExtractor",
    "Jitter",
    "PermuteX",
    "SensorAwareAugmentation",
    "TranslateX",
]
