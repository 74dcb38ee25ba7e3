"""Multi^3Net: a joint text-pose-IMU encoder (contrastive text-IMU / text-pose / IMU-pose, Pose2IMU, reconstruction)."""

from .configuration_multi3net import (
    DEFAULT_CHANNEL_NAMES,
    SENSOR_AXES,
    SENSOR_MODALITIES,
    SENSOR_SITES,
    Multi3NetConfig,
    Multi3NetImuConfig,
    Multi3NetPoseConfig,
    channel_ids_from_names,
    parse_channel_name,
)
from .embedding_cache_multi3net import SentenceEmbeddingCache
from .feature_extraction_multi3net import Multi3NetFeatureExtractor, resample_sinc
from .loss_multi3net import Multi3NetLoss, contrastive_loss, same_caption_mask
from .modeling_multi3net import (
    Multi3NetForImuClassification,
    Multi3NetModel,
    Multi3NetOutput,
    Multi3NetPreTrainedModel,
    load_minilm_text_tower,
)
from .processing_multi3net import Multi3NetProcessor

__all__ = [
    "DEFAULT_CHANNEL_NAMES",
    "Multi3NetConfig",
    "Multi3NetFeatureExtractor",
    "Multi3NetForImuClassification",
    "Multi3NetImuConfig",
    "Multi3NetLoss",
    "Multi3NetModel",
    "Multi3NetOutput",
    "Multi3NetPoseConfig",
    "Multi3NetPreTrainedModel",
    "Multi3NetProcessor",
    "SENSOR_AXES",
    "SENSOR_MODALITIES",
    "SENSOR_SITES",
    "SentenceEmbeddingCache",
    "channel_ids_from_names",
    "contrastive_loss",
    "load_minilm_text_tower",
    "parse_channel_name",
    "resample_sinc",
    "same_caption_mask",
]
