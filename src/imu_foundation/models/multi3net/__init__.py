"""Multi^3Net: a joint text-pose-IMU encoder (contrastive text-IMU / text-pose / IMU-pose, Pose2IMU, reconstruction)."""

import sys

from ... import sensors as _sensors

# ``sensors.py`` in this folder is a link to the package's conventions module, so that transformers copies it next to
# saved checkpoints (remote code). Inside the package the two names are one module: one set of classes and constants.
sys.modules[f"{__name__}.sensors"] = _sensors

from .configuration_multi3net import (  # noqa: E402
    DEFAULT_CHANNEL_NAMES,
    Multi3NetConfig,
    Multi3NetImuConfig,
    Multi3NetPoseConfig,
)
from .embedding_cache_multi3net import SentenceEmbeddingCache  # noqa: E402
from .feature_extraction_multi3net import Multi3NetFeatureExtractor  # noqa: E402
from .loss_multi3net import Multi3NetLoss, contrastive_loss, same_caption_mask  # noqa: E402
from .modeling_multi3net import (  # noqa: E402
    Multi3NetForImuClassification,
    Multi3NetModel,
    Multi3NetOutput,
    Multi3NetPreTrainedModel,
    load_minilm_text_tower,
)
from .processing_multi3net import Multi3NetProcessor  # noqa: E402

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
    "SentenceEmbeddingCache",
    "contrastive_loss",
    "load_minilm_text_tower",
    "same_caption_mask",
]
