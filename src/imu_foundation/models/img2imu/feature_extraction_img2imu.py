"""IMU windows -> IMG2IMU spectrogram images (see docs/spectrogram.md for the definition).

Per window and axis: Hann-window STFT without centre padding, one-sided power spectral density, ``log10`` with a
floor, min-max to [0, 1]; x, y, z are R, G, B of one tile per sensor, each tile resized (nearest) with low
frequencies at the bottom, tiles stacked top to bottom, ImageNet mean/std per colour. One batched torch computation
on the windows' device; the STFT and the log are float64 (a float32 FFT misses the weak bins next to a strong one
such as gravity by up to ~1e-3 in the image).

Self-contained apart from ``sensors.py`` (the package's IMU conventions, linked into this folder), so that it loads as
remote code.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import torch
from transformers.feature_extraction_sequence_utils import SequenceFeatureExtractor
from transformers.feature_extraction_utils import BatchFeature

from .sensors import check_imu_array, check_imu_tensor, check_sampling_rate, resample

IMAGENET_DEFAULT_MEAN = (0.485, 0.456, 0.406)
IMAGENET_DEFAULT_STD = (0.229, 0.224, 0.225)


def _integer_at_least(value, minimum: int, name: str, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}{why}, got {value!r}.")
    return int(value)


def _per_colour(values, name: str, positive: bool) -> list[float]:
    """Three finite floats (one per colour, R G B); ``positive``: each > 0."""
    try:
        floats = [float(v) for v in values]
    except (TypeError, ValueError):
        floats = []
    if len(floats) != 3 or not all(math.isfinite(v) and (v > 0 or not positive) for v in floats):
        need = "positive finite numbers" if positive else "finite numbers"
        raise ValueError(f"{name} must be three {need} (R, G, B), got {values!r}.")
    return floats


def _nearest_exact(num_out: int, num_in: int, device: torch.device) -> torch.Tensor:
    """Source index of each of ``num_out`` pixels resized from ``num_in`` by the pixel-centre rule:
    ``floor((i + 0.5) * num_in / num_out)``, in exact integer arithmetic."""
    return (2 * torch.arange(num_out, device=device) + 1) * num_in // (2 * num_out)


class ImuSpectrogramFeatureExtractor(SequenceFeatureExtractor):
    r"""Turns raw IMU windows into IMG2IMU spectrogram images (``pixel_values``).

    Args:
        feature_size: number of IMU channels per window, a multiple of 3 (3 = accelerometer x, y, z;
            6 = accelerometer x, y, z then gyroscope x, y, z). Each group of three becomes one RGB tile.
        sampling_rate: the rate (Hz) the spectrogram is defined at. Inputs at another rate are resampled when
            ``do_resample`` is true, and rejected otherwise.
        n_fft: STFT window length in samples (>= 3: the symmetric Hann window of 2 samples is all zeros).
        hop_length: STFT hop in samples.
        image_height: rows of one tile (frequency axis, low frequencies at the bottom).
        image_width: columns of one tile (time axis).
        log_floor: added to the power spectral density before ``log10`` (squared input units per Hz, > 0).
        do_resample: resample inputs recorded at another rate (band-limited, ``sensors.resample``) instead of raising.
        do_normalize: apply ``image_mean`` / ``image_std`` per colour after the min-max step.
        image_mean, image_std: per colour (R, G, B); ``image_std`` > 0.

    Every setting is checked here (so also by ``from_pretrained``): a bad one is a ``ValueError`` naming it.
    """

    model_input_names = ["pixel_values"]

    def __init__(
        self,
        feature_size: int = 3,
        sampling_rate: int = 50,
        n_fft: int = 128,
        hop_length: int = 12,
        image_height: int = 96,
        image_width: int = 128,
        log_floor: float = 1e-10,
        do_resample: bool = True,
        do_normalize: bool = True,
        image_mean: Sequence[float] = IMAGENET_DEFAULT_MEAN,
        image_std: Sequence[float] = IMAGENET_DEFAULT_STD,
        padding_value: float = 0.0,
        **kwargs,
    ):
        feature_size = _integer_at_least(feature_size, 3, "feature_size")
        if feature_size % 3:
            raise ValueError(f"feature_size must be a positive multiple of 3 (x, y, z per sensor), got {feature_size}.")
        rate = check_sampling_rate(sampling_rate)
        super().__init__(
            feature_size=feature_size,
            sampling_rate=int(rate) if rate.is_integer() else rate,
            padding_value=padding_value,
            **kwargs,
        )
        self.n_fft = _integer_at_least(n_fft, 3, "n_fft", " (the Hann window of 2 samples is all zeros)")
        self.hop_length = _integer_at_least(hop_length, 1, "hop_length")
        self.image_height = _integer_at_least(image_height, 1, "image_height")
        self.image_width = _integer_at_least(image_width, 1, "image_width")
        if isinstance(log_floor, bool) or not isinstance(log_floor, numbers.Real) or not 0 < log_floor < math.inf:
            raise ValueError(f"log_floor must be a positive finite number (log10 of 0 is -inf), got {log_floor!r}.")
        self.log_floor = float(log_floor)
        for name, flag in (("do_resample", do_resample), ("do_normalize", do_normalize)):
            if not isinstance(flag, (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {flag!r}.")
        self.do_resample = bool(do_resample)
        self.do_normalize = bool(do_normalize)
        self.image_mean = _per_colour(image_mean, "image_mean", positive=False)
        self.image_std = _per_colour(image_std, "image_std", positive=True)

    @property
    def num_sensor_groups(self) -> int:
        return self.feature_size // 3

    def spectrogram_images(self, windows: np.ndarray | torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` windows at ``sampling_rate`` -> ``(B, 3, C // 3 * image_height, image_width)`` float32
        images, on the windows' device (CPU for NumPy input). ``C`` may be any multiple of 3."""
        if isinstance(windows, torch.Tensor):
            windows = check_imu_tensor(windows, ndims=(3,), what="The IMU batch")
        else:
            windows = torch.from_numpy(check_imu_array(windows, ndims=(3,), what="The IMU batch"))
        if windows.shape[-1] % 3:
            raise ValueError(f"The IMU batch has {windows.shape[-1]} channels; they must come in x, y, z triples.")
        return self._images(windows.double())

    def _images(self, windows: torch.Tensor) -> torch.Tensor:
        """The definition, on checked float64 ``(B, T, C)`` windows (``C`` a multiple of 3)."""
        batch, num_samples, channels = windows.shape
        if num_samples < self.n_fft:
            raise ValueError(
                f"Windows have {num_samples} samples at {self.sampling_rate} Hz, shorter than n_fft={self.n_fft}: "
                "use longer windows or a smaller n_fft."
            )
        device = windows.device
        hann = torch.hann_window(self.n_fft, periodic=False, dtype=torch.float64, device=device)  # numpy.hanning
        spectrum = torch.stft(
            windows.transpose(1, 2).reshape(batch * channels, num_samples),
            self.n_fft,
            self.hop_length,
            window=hann,
            center=False,
            return_complex=True,
        ).transpose(1, 2)  # (B*C, F, K): frame-major, the order torch.stft computes in
        # One-sided power spectral density, as matplotlib.mlab.specgram: |X|^2 / (fs * sum(w^2)), every bin but DC
        # (and Nyquist for an even n_fft) doubled.
        num_frames, num_bins = spectrum.shape[1:]
        one_sided = torch.full((num_bins,), 2.0, dtype=torch.float64, device=device)
        one_sided[0] = 1.0
        if self.n_fft % 2 == 0:
            one_sided[-1] = 1.0
        # (In-place from here on: a fresh buffer per step costs more than the arithmetic.)
        psd = spectrum.real.square().addcmul_(spectrum.imag, spectrum.imag)  # |X|^2
        psd *= one_sided / (self.sampling_rate * hann.square().sum())
        log_psd = psd.add_(self.log_floor).log10_().reshape(batch, channels, num_frames * num_bins)

        # Min-max per window and axis (an axis without contrast becomes 0), then the mean/std of its colour.
        low = log_psd.amin(dim=-1, keepdim=True)
        span = log_psd.amax(dim=-1, keepdim=True) - low
        pixels = log_psd.sub_(low).mul_(torch.where(span > 0, 1 / span, 0.0))
        if self.do_normalize:
            mean = torch.tensor(self.image_mean, dtype=torch.float64, device=device).repeat(channels // 3)
            std = torch.tensor(self.image_std, dtype=torch.float64, device=device).repeat(channels // 3)
            pixels.sub_(mean[:, None]).div_(std[:, None])

        # x, y, z as R, G, B, one tile per sensor, frequency rows: (B, 3, G, K, F). Then the nearest resize, rows
        # flipped so that frequency bin 0 is at the bottom of each tile.
        tiles = pixels.float().view(batch, channels // 3, 3, num_frames, num_bins).permute(0, 2, 1, 4, 3).contiguous()
        rows = _nearest_exact(self.image_height, num_bins, device).flip(0)
        columns = _nearest_exact(self.image_width, num_frames, device)
        tile_rows = tiles.index_select(3, rows).view(-1, num_frames)  # (B*3*G*H, F)
        return tile_rows.index_select(1, columns).view(batch, 3, -1, self.image_width)  # 2-D: torch's fast path

    def _as_groups(self, imu) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Checks the input and groups it into ``(window indices, (n, T, C) float32 tensor)`` of equal length.

        A ``(B, T, C)`` array or tensor is one group; a list of ``(T, C)`` windows is grouped by length.
        """
        if isinstance(imu, (np.ndarray, torch.Tensor)):
            if imu.ndim != 3:
                hint = " Pass a batch (B, T, C) or a list of (T, C) windows." if imu.ndim == 2 else ""
                raise ValueError(f"IMU input must have shape (B, T, C), got {tuple(imu.shape)}.{hint}")
            windows, whats = [imu], ["The batch"]
        elif isinstance(imu, (list, tuple)):
            if not imu:
                raise ValueError("The IMU batch is empty: pass at least one window.")
            windows = [w if isinstance(w, (np.ndarray, torch.Tensor)) else np.asarray(w) for w in imu]
            for i, w in enumerate(windows):
                if w.ndim != 2:
                    raise ValueError(f"Window {i} has shape {tuple(w.shape)}; each window must be (T, C).")
            whats = [f"Window {i}" for i in range(len(windows))]
        else:
            raise ValueError(f"IMU input must be an array, a tensor or a list of (T, C) windows, got {type(imu)}.")
        for w, what in zip(windows, whats):
            if w.shape[-1] != self.feature_size:
                raise ValueError(
                    f"{what} has {w.shape[-1]} channels but this feature extractor expects {self.feature_size} "
                    f"(channels are the last axis, (T, C); transposed input?)."
                )
        checked = [
            check_imu_tensor(w, ndims=(w.ndim,), what=what)
            if isinstance(w, torch.Tensor)
            else torch.from_numpy(check_imu_array(w, ndims=(w.ndim,), what=what))
            for w, what in zip(windows, whats)
        ]
        if len(checked) == 1 and checked[0].ndim == 3:
            return [(torch.arange(len(checked[0]), device=checked[0].device), checked[0])]
        if len({w.device for w in checked}) > 1:
            raise ValueError(f"The IMU windows are on different devices ({sorted({str(w.device) for w in checked})}).")
        lengths = torch.tensor([len(w) for w in checked])
        groups = []
        for length in lengths.unique().tolist():
            members = torch.nonzero(lengths == length).flatten()
            groups.append((members.to(checked[0].device), torch.stack([checked[i] for i in members.tolist()])))
        return groups

    def __call__(
        self,
        imu,
        sampling_rate: float | None = None,
        return_tensors: str | None = "pt",
        **kwargs,
    ) -> BatchFeature:
        """Spectrogram images for a batch of IMU windows.

        Args:
            imu: ``(B, T, C)`` array/tensor, or a list of ``(T, C)`` windows (lengths may differ).
            sampling_rate: the rate the windows were recorded at, in Hz (required).
            return_tensors: ``"pt"`` (on the input's device) or ``"np"``.
        Returns:
            ``BatchFeature`` with ``pixel_values`` of shape ``(B, 3, G * image_height, image_width)`` float32,
            ``G = feature_size // 3``.
        """
        if sampling_rate is None:
            raise ValueError(
                f"Pass sampling_rate= (Hz) with the IMU windows; this feature extractor is defined at "
                f"{self.sampling_rate} Hz and cannot check the input's rate otherwise."
            )
        sampling_rate = check_sampling_rate(sampling_rate)
        needs_resampling = abs(sampling_rate - self.sampling_rate) > 1e-9
        if needs_resampling and not self.do_resample:
            raise ValueError(
                f"The IMU windows are sampled at {sampling_rate:g} Hz but this feature extractor is defined at "
                f"{self.sampling_rate} Hz and do_resample=False. Resample the data or set do_resample=True."
            )
        groups = self._as_groups(imu)
        images = []
        for _, windows in groups:  # one batched pass per window length
            windows = windows.double()
            if needs_resampling:  # time first for sensors.resample
                windows = resample(windows.transpose(0, 1), sampling_rate, self.sampling_rate).transpose(0, 1)
            images.append(self._images(windows))
        if len(groups) == 1:
            pixel_values = images[0]
        else:  # results in input order
            pixel_values = images[0].new_empty(sum(len(members) for members, _ in groups), *images[0].shape[1:])
            for (members, _), group_images in zip(groups, images):
                pixel_values[members] = group_images
        if return_tensors == "pt":
            return BatchFeature({"pixel_values": pixel_values})
        return BatchFeature({"pixel_values": pixel_values.cpu().numpy()}, tensor_type=return_tensors)


__all__ = ["IMAGENET_DEFAULT_MEAN", "IMAGENET_DEFAULT_STD", "ImuSpectrogramFeatureExtractor"]
