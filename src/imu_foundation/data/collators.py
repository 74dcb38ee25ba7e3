"""Batches of corpus rows: for Multi^3Net (sensor variety, the processor's normalisation, channel ids, captions, pose)
and for Img2Imu's MoCo pre-training (spectrogram images of one simulated device per window).

A row of a synthetic corpus (:mod:`imu_foundation.data.schema`) holds every simulated site of a window. The collator
turns a list of rows into the model's inputs the way the processor turns a real recording into them, after
:class:`~imu_foundation.data.augmentation.SensorVariety` has made each window look like one device's recording.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..sensors import DeviceLayout, channel_ids, channel_names, resample
from .augmentation import SensorVariety


def corpus_readings(rows: list[dict[str, Any]]) -> tuple[torch.Tensor, list[str], DeviceLayout]:
    """Corpus rows -> readings ``(B, T, S, 2, 3)`` at the corpus rate (per site: acc x y z in m/s^2, then gyro x y z
    in rad/s), the ``S`` site names and the rows' layout (every row of a corpus shares them)."""
    layout = DeviceLayout.from_dict(rows[0])
    sites = list(rows[0]["sensor_sites"])
    if list(layout.channel_names) != channel_names(sites):
        raise ValueError(f"corpus rows must hold acc x y z then gyro x y z per site; got {layout.channel_names}.")
    imu = torch.from_numpy(np.stack([np.asarray(row["imu"], dtype=np.float32) for row in rows]))
    imu = imu * torch.from_numpy(layout.unit_scale_to()).float()  # to m/s^2 and rad/s
    return imu.unflatten(2, (len(sites), 2, 3)), sites, layout


def batch_generator(rows: list[dict[str, Any]], seed: int) -> torch.Generator:
    """A batch's generator: seeded by ``seed`` and the (sequence, window) identities of its rows, so a batch draws
    the same augmentations whatever order or process it comes in."""
    identity = "|".join(f"{row['sequence_id']}:{int(row['window_index'])}" for row in rows)
    digest = hashlib.blake2b(f"{seed}|{identity}".encode(), digest_size=8).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest, "little") & (2**63 - 1))


class SimulatedDeviceSpectrograms:
    """Corpus rows -> Img2Imu ``pixel_values (B, 3, 2 H, W)``: per window, one simulated accelerometer + gyroscope
    device (one site, mounting tilt, sensor errors, gravity sometimes removed, a crop; :class:`SensorVariety`) as the
    feature extractor's spectrogram image, accelerometer tile over gyroscope tile.

    The corpus rate need not be the extractor's: the extractor resamples (a 20 Hz corpus leaves the image's bins
    above 10 Hz at the noise floor).

    Args:
        feature_extractor: an :class:`ImuSpectrogramFeatureExtractor` of 6 channels (acc x y z, gyro x y z).
        variety: how windows become device recordings; one site per window, both sensors, always.
        seed: with the rows' identities, seeds every draw.
    """

    def __init__(self, feature_extractor, variety: SensorVariety, seed: int = 0):
        if feature_extractor.feature_size != 6:
            raise ValueError(
                f"the images need an extractor of 6 channels (acc, gyro), got {feature_extractor.feature_size}."
            )
        self.feature_extractor = feature_extractor
        self.variety = dataclasses.replace(variety, sites_per_example=(1.0,), acc_only_probability=0.0)
        self.seed = seed

    def __call__(self, rows: list[dict[str, Any]]) -> torch.Tensor:
        per_site, sites, layout = corpus_readings(rows)
        acc, gyro = per_site[..., 0, :], per_site[..., 1, :]
        batch = self.variety(
            acc, gyro, sites, layout.sampling_rate_hz, layout.gravity, batch_generator(rows, self.seed)
        )
        windows = batch.channels()  # (B, T', 6): the one site's acc x y z, gyro x y z
        return self.feature_extractor(windows, sampling_rate=layout.sampling_rate_hz)["pixel_values"]


class Multi3NetPretrainingCollator:
    """Corpus rows -> ``imu_values (B, T, C)``, ``imu_channel_ids (B, C, 3)``, ``sentence_embeds (B, D)`` (or
    ``input_ids`` ...), ``text_group_ids (B,)`` and ``pose_values (B, F, 148)``.

    Args:
        feature_extractor: the model's :class:`Multi3NetFeatureExtractor` (rate and normalisation).
        sentence_embeddings: a :class:`SentenceEmbeddingCache` holding every caption of the corpus (the text tower is
            frozen, so its embeddings are computed once); ``None`` tokenises with ``tokenizer`` instead.
        tokenizer: the text tower's tokenizer, when there is no cache.
        variety: sensor variety for training; ``None`` keeps every window whole, with the sites ``eval_sites``.
        eval_sites: the sites of an evaluation batch (default: all of the corpus's).
        pose_fps: the pose tower's frame rate; the corpus's pose must have it (``None``: no pose).
        seed: with the windows of a batch, seeds the batch's random draws.
    Captions: one of a window's captions is drawn per example. Windows of the same ``activity`` share a
    ``text_group_ids`` value, so the contrastive loss does not push them apart as negatives.

    Random draws (variety, captions) come from a generator seeded by ``seed`` and the identities of the batch's
    windows: the same batch is always varied alike, whatever ran before it (a resumed run sees what an
    uninterrupted one saw, however far ahead the data loader prefetched), and a window is varied differently
    in every batch it lands in.
    """

    def __init__(
        self,
        feature_extractor,
        sentence_embeddings=None,
        tokenizer=None,
        variety: SensorVariety | None = None,
        eval_sites: Sequence[str] | None = None,
        pose_fps: float | None = None,
        seed: int = 0,
    ):
        if sentence_embeddings is None and tokenizer is None:
            raise ValueError("pass sentence_embeddings (a SentenceEmbeddingCache) or a tokenizer for the captions.")
        self.feature_extractor = feature_extractor
        self.sentence_embeddings = sentence_embeddings
        self.tokenizer = tokenizer
        self.variety = variety
        self.eval_sites = None if eval_sites is None else list(eval_sites)
        self.pose_fps = pose_fps
        self.seed = seed

    def generator(self, rows: list[dict[str, Any]]) -> torch.Generator:
        """The batch's generator: seeded by ``seed`` and the (sequence, window) identities of its rows."""
        return batch_generator(rows, self.seed)

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        generator = self.generator(rows)
        per_site, sites, layout = corpus_readings(rows)  # (B, T, S, acc/gyro, xyz)
        rate = self.feature_extractor.sampling_rate
        if layout.sampling_rate_hz != rate:  # time first for resample
            per_site = resample(per_site.transpose(0, 1), layout.sampling_rate_hz, rate).transpose(0, 1)
        acc, gyro = per_site[..., 0, :], per_site[..., 1, :]
        if self.variety is not None:
            batch = self.variety(acc, gyro, sites, rate, layout.gravity, generator)
            values, names, gravity, start = batch.channels(), batch.channel_names, batch.gravity, batch.start
        else:
            keep = [sites.index(site) for site in (self.eval_sites or sites)]
            values = per_site[:, :, keep].flatten(2)
            names = [channel_names([sites[k] for k in keep])] * len(rows)
            gravity, start = [layout.gravity] * len(rows), torch.zeros(len(rows), dtype=torch.long)
        inputs = {
            "return_loss": True,
            "imu_values": self._normalise(values, names),
            "imu_channel_ids": torch.tensor([channel_ids(n, g) for n, g in zip(names, gravity)], dtype=torch.long),
            **self._text(rows, generator),
        }
        if self.pose_fps:
            inputs["pose_values"] = self._pose(rows, start / rate, values.shape[1] / rate)
        return inputs

    def _normalise(self, values: torch.Tensor, names: list[list[str]]) -> torch.Tensor:
        """The processor's normalisation (its fitted or default statistics) of each example's channels."""
        statistics = {}
        means, stds = [], []
        for example in names:
            key = tuple(example)
            if key not in statistics:
                statistics[key] = self.feature_extractor.statistics(example)
            means.append(statistics[key][0])
            stds.append(statistics[key][1])
        mean, std = torch.stack(means)[:, None].float(), torch.stack(stds)[:, None].float()
        return (values - mean) / std

    def _text(self, rows: list[dict[str, Any]], generator: torch.Generator) -> dict[str, torch.Tensor]:
        captions = []
        for row in rows:
            options = list(row["captions"])
            if not options:
                raise ValueError(f"window {row['sequence_id']}/{row['window_index']} has no caption to train on.")
            captions.append(options[int(torch.randint(len(options), (), generator=generator))])
        groups = [zlib.crc32((row["activity"] or caption).encode()) for row, caption in zip(rows, captions)]
        text = {"text_group_ids": torch.tensor(groups, dtype=torch.long)}
        if self.sentence_embeddings is not None:
            return text | {"sentence_embeds": self.sentence_embeddings.lookup(captions)}
        return text | dict(self.tokenizer(captions, padding=True, truncation=True, max_length=256, return_tensors="pt"))

    def _pose(self, rows: list[dict[str, Any]], start_s: torch.Tensor, length_s: float) -> torch.Tensor:
        pose_rate = float(rows[0]["pose_rate_hz"])
        if abs(pose_rate - self.pose_fps) > 1e-6:
            raise ValueError(
                f"the corpus stores pose at {pose_rate:g} Hz but the pose tower works at {self.pose_fps:g} fps."
            )
        pose = torch.from_numpy(np.stack([np.asarray(row["pose"], dtype=np.float32) for row in rows]))
        frames = max(1, round(length_s * pose_rate))
        first = torch.round(start_s * pose_rate).long().clamp(max=pose.shape[1] - frames)
        index = (first[:, None] + torch.arange(frames))[:, :, None].expand(-1, -1, pose.shape[2])
        return pose.gather(1, index)


__all__ = ["Multi3NetPretrainingCollator", "SimulatedDeviceSpectrograms", "batch_generator", "corpus_readings"]
