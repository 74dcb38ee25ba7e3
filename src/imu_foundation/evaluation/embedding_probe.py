"""Hand-crafted statistics and a pre-trained model's frozen IMU embedding, side by side, into one linear probe.

What a pre-trained encoder adds to what simple statistics already say: the embedding of the shipped Multi^3Net
(its joint text-IMU space, the one zero-shot classification uses) is appended to the statistics of
:func:`~imu_foundation.evaluation.baselines.statistical_features`, and the baseline's own z-scoring and logistic
regression run on both. Nothing is trained but the probe, so it costs the baseline's time plus one encoding pass.
"""

from __future__ import annotations

import numpy as np
import torch

from .baselines import HandCraftedLogisticRegression


class StatisticsPlusEmbedding(HandCraftedLogisticRegression):
    """:class:`HandCraftedLogisticRegression` on ``[statistics, embedding]``.

    Args:
        model: ``"pretrained"`` (the shipped checkpoint) or a Multi^3Net folder; loaded on the first ``fit``.
        seed, C: as the baseline's (the probe is deterministic).
        batch_size: windows per encoding pass.
    """

    def __init__(self, model: str = "pretrained", seed: int = 0, C: float = 1.0, batch_size: int = 256):
        super().__init__(seed=seed, C=C)
        self.model_source, self.batch_size = model, batch_size
        self.model_ = self.processor_ = None

    def _load(self) -> None:
        from ..finetuning import resolve_model
        from ..models.multi3net import Multi3NetModel, Multi3NetProcessor

        source = resolve_model(self.model_source)
        self.model_ = Multi3NetModel.from_pretrained(source).eval()
        self.processor_ = Multi3NetProcessor.from_pretrained(source)

    @torch.no_grad()
    def embed(self, windows: np.ndarray) -> torch.Tensor:
        """``(N, D)`` float64 joint-space IMU embeddings of ``(N, T, C)`` windows in SI units (the layout's)."""
        if self.model_ is None:
            self._load()
        layout = self.layout_.replace(acc_units="m/s^2", gyro_units="rad/s")  # FewShotMethod converted the windows
        chunks = []
        for start in range(0, len(windows), self.batch_size):
            batch = list(windows[start : start + self.batch_size])
            inputs = self.processor_.feature_extractor(batch, layout=layout, whole=True)
            chunks.append(self.model_.get_imu_features(**inputs).pooler_output.double())
        return torch.cat(chunks)

    def _features(self, windows: np.ndarray) -> torch.Tensor:
        return torch.cat([super()._features(windows), self.embed(windows)], dim=1)


__all__ = ["StatisticsPlusEmbedding"]
