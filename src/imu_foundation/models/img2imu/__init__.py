"""IMG2IMU: IMU windows as spectrogram images for ImageNet-initialised, sensor-aware vision encoders."""

from .augmentation_img2imu import Hue, Jitter, PermuteX, SensorAwareAugmentation, TranslateX
from .configuration_img2imu import Img2ImuConfig
from .feature_extraction_img2imu import ImuSpectrogramFeatureExtractor, resample_fft
from .modeling_img2imu import (
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
    "resample_fft",
]
