"""IMU windows -> IMG2IMU spectrogram images.

The image of one window is built exactly as IMG2IMU describes it (see docs/spectrogram.md):

1. optional resampling to ``sampling_rate`` (band-limited, FFT method);
2. per axis, a Hann-window STFT without centre padding (``n_fft``, ``hop_length``), one-sided power spectral
   density ``|X|^2 / (fs * sum(w^2))`` with the interior bins doubled (as ``matplotlib.mlab.specgram``);
3. ``log10(power + log_floor)``, then per-window, per-axis min-max to [0, 1] (a constant axis becomes 0);
4. axes to colours: channels ``3g, 3g+1, 3g+2`` of sensor group ``g`` are R, G, B of image tile ``g``;
5. nearest-neighbour resize (pixel-centre rule, "nearest-exact") of each tile to ``image_height`` (frequency)
   x ``image_width`` (time), flipped so that low frequencies are at the bottom;
6. tiles stacked top to bottom (accelerometer above gyroscope for 6 channels), ImageNet mean/std per colour.

Everything after the STFT is a per-(window, axis) affine map followed by a pure gather, so steps 3-6 are fused into
one affine on the small spectrogram and one gather into the output: the batch is never resized pixel by pixel.

This file is self-contained (numpy, torch, transformers) so that it can be loaded as remote code.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from transformers.feature_extraction_sequence_utils import SequenceFeatureExtractor
from transformers.feature_extraction_utils import BatchFeature

IMAGENET_DEFAULT_MEAN = (0.485, 0.456, 0.406)
IMAGENET_DEFAULT_STD = (0.229, 0.224, 0.225)
# Windows per work item: 32 six-axis windows of 96x128 tiles (~9 MB out) keep the intermediates in cache.
_CHUNK = 32


def resample_fft(signal: torch.Tensor, orig_rate: float, target_rate: float) -> torch.Tensor:
    """Band-limited resampling along time with the FFT method (the definition of ``scipy.signal.resample``).

    Args:
        signal: ``(..., T)`` float tensor sampled at ``orig_rate`` Hz.
    Returns:
        ``(..., round(T * target_rate / orig_rate))`` tensor sampled at ``target_rate`` Hz. Frequencies above the
        lower Nyquist rate are removed, so downsampling does not alias. The signal is treated as periodic over the
        window, as with any FFT resampler.
    """
    num_in = signal.shape[-1]
    num_out = int(round(num_in * target_rate / orig_rate))
    if num_out < 1:
        raise ValueError(f"Resampling {num_in} samples from {orig_rate} Hz to {target_rate} Hz leaves no sample.")
    shorter = min(num_in, num_out)
    spectrum = torch.fft.rfft(signal.double(), dim=-1)[..., : shorter // 2 + 1].clone()
    if shorter % 2 == 0 and num_in != num_out:
        # The bin at the shorter length's Nyquist frequency has no partner on the other side: when downsampling
        # it absorbs its negative-frequency twin, when upsampling it is split between the two.
        spectrum[..., shorter // 2] *= 2.0 if num_out < num_in else 0.5
    resampled = torch.fft.irfft(spectrum, n=num_out, dim=-1) * (num_out / num_in)
    return resampled.to(signal.dtype)


class ImuSpectrogramFeatureExtractor(SequenceFeatureExtractor):
    r"""Turns raw IMU windows into IMG2IMU spectrogram images (``pixel_values``).

    Args:
        feature_size: number of IMU channels per window, a multiple of 3 (3 = accelerometer x, y, z;
            6 = accelerometer x, y, z then gyroscope x, y, z). Each group of three becomes one RGB tile.
        sampling_rate: the rate (Hz) the spectrogram is defined at. Inputs at another rate are resampled when
            ``do_resample`` is true, and rejected otherwise.
        n_fft: STFT window length in samples.
        hop_length: STFT hop in samples.
        image_height: rows of one tile (frequency axis, low frequencies at the bottom).
        image_width: columns of one tile (time axis).
        log_floor: added to the power spectral density before ``log10`` (in squared input units per Hz).
        do_resample: resample inputs recorded at another rate instead of raising.
        do_normalize: apply ``image_mean`` / ``image_std`` per colour after the min-max step.
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
        super().__init__(feature_size=feature_size, sampling_rate=sampling_rate, padding_value=padding_value, **kwargs)
        if feature_size < 3 or feature_size % 3:
            raise ValueError(f"feature_size must be a positive multiple of 3 (x, y, z per sensor), got {feature_size}.")
        if n_fft < 2 or hop_length < 1:
            raise ValueError(f"n_fft must be >= 2 and hop_length >= 1, got n_fft={n_fft}, hop_length={hop_length}.")
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.image_height = image_height
        self.image_width = image_width
        self.log_floor = log_floor
        self.do_resample = do_resample
        self.do_normalize = do_normalize
        self.image_mean = list(image_mean)
        self.image_std = list(image_std)

    @property
    def num_sensor_groups(self) -> int:
        return self.feature_size // 3

    # ----------------------------------------------------------------------------------------------------------
    # Input checking
    # ----------------------------------------------------------------------------------------------------------
    def _as_batches(self, imu) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Checks the input and groups it into ``(indices, (n, T, C) float32 windows)`` of equal length.

        A ``(B, T, C)`` array or tensor is one group; a list of ``(T, C)`` windows is grouped by length.
        """
        if isinstance(imu, (np.ndarray, torch.Tensor)):
            imu = torch.as_tensor(imu)
            if imu.ndim != 3:
                hint = " Pass a batch (B, T, C) or a list of (T, C) windows." if imu.ndim == 2 else ""
                raise ValueError(f"IMU input must have shape (B, T, C), got {tuple(imu.shape)}.{hint}")
            windows = [imu]
        elif isinstance(imu, (list, tuple)):
            windows = [w if isinstance(w, torch.Tensor) else torch.as_tensor(np.asarray(w)) for w in imu]
            for i, w in enumerate(windows):
                if w.ndim != 2:
                    raise ValueError(f"Window {i} has shape {tuple(w.shape)}; each window must be (T, C).")
        else:
            raise ValueError(f"IMU input must be an array, a tensor or a list of (T, C) windows, got {type(imu)}.")
        if not windows or windows[0].shape[0] == 0:
            raise ValueError("The IMU batch is empty: pass at least one window.")

        for i, w in enumerate(windows):
            where = "The batch" if w.ndim == 3 else f"Window {i}"
            if w.shape[-1] != self.feature_size:
                raise ValueError(
                    f"{where} has {w.shape[-1]} channels but this feature extractor expects {self.feature_size} "
                    f"(channels are the last axis, (T, C); transposed input?)."
                )
            if w.dtype.is_complex or w.dtype == torch.bool:
                raise ValueError(f"{where} has dtype {w.dtype}; IMU samples must be real numbers.")
        windows = [w.float() for w in windows]
        for i, w in enumerate(windows):
            finite = torch.isfinite(w)
            if not finite.all():
                bad = (~finite).nonzero()[0].tolist()
                window, sample, channel = bad if w.ndim == 3 else (i, *bad)
                position = f"window {window}, sample {sample}, channel {channel}"
                raise ValueError(f"The IMU input contains NaN or inf (first at {position}).")

        if len(windows) == 1 and windows[0].ndim == 3:
            return [(torch.arange(windows[0].shape[0]), windows[0])]
        lengths = torch.tensor([w.shape[0] for w in windows])
        groups = []
        for length in lengths.unique().tolist():
            members = (lengths == length).nonzero().squeeze(1)
            groups.append((members, torch.stack([windows[i] for i in members.tolist()])))
        return groups

    # ----------------------------------------------------------------------------------------------------------
    # The spectrogram image
    # ----------------------------------------------------------------------------------------------------------
    def _source_rows(self, num_bins: int) -> torch.Tensor:
        """Row of the stacked small spectrogram (G*K rows) that each output row (G*H rows) copies.

        nearest-exact: output pixel centre ``i + 0.5`` reads source ``floor((i + 0.5) * K / H)``; the rows of each
        tile are flipped so that frequency bin 0 ends up at the bottom.
        """
        height = self.image_height
        flipped = torch.arange(height - 1, -1, -1, dtype=torch.float64)
        tile_rows = torch.floor((flipped + 0.5) * num_bins / height).long().clamp_(max=num_bins - 1)
        offsets = torch.arange(self.num_sensor_groups)[:, None] * num_bins
        return (offsets + tile_rows).reshape(-1)

    def _fill_images(self, windows: torch.Tensor, out: torch.Tensor, rows: torch.Tensor) -> None:
        """Spectrogram images of ``windows`` ``(b, T, C)`` written into ``out`` ``(b, 3, G*H, W)``."""
        batch, num_samples, channels = windows.shape
        groups = self.num_sensor_groups
        window_fn = self._window_fn
        frames = windows.transpose(1, 2).reshape(batch * channels, num_samples).unfold(-1, self.n_fft, self.hop_length)
        spectrum = torch.fft.rfft(frames * window_fn, dim=-1)  # (b*C, F, K)
        power = (spectrum * spectrum.conj()).real * self._bin_weight  # one-sided PSD, contiguous
        log_power = power.add_(self.log_floor).log10_()
        num_frames, num_bins = log_power.shape[1:]

        # Fused min-max and mean/std: value -> (value - lo) / (hi - lo) -> (v - mean_c) / std_c is one affine.
        flat = log_power.view(batch, channels, num_frames * num_bins)
        lo = flat.amin(dim=-1, keepdim=True)
        span = flat.amax(dim=-1, keepdim=True) - lo
        inv_span = torch.where(span > 0, 1.0 / span.clamp_min(torch.finfo(span.dtype).tiny), torch.zeros_like(span))
        flat = (flat - lo).mul_(inv_span / self._std).sub_(self._mean / self._std)

        # (b, G, 3, F, K) -> (b, 3, G*K, F): colour first, frequency as rows, sensor groups stacked vertically.
        small = flat.view(batch, groups, 3, num_frames, num_bins).permute(0, 2, 1, 4, 3)
        tall = small.reshape(batch, 3, groups * num_bins, num_frames).index_select(2, rows)
        width = self.image_width
        if width % num_frames == 0:  # nearest-exact with an integer ratio repeats each column width/F times
            repeat = width // num_frames
            out.view(batch, 3, -1, num_frames, repeat).copy_(tall.unsqueeze(-1).expand(-1, -1, -1, -1, repeat))
        else:
            out.copy_(torch.nn.functional.interpolate(tall, size=tall.shape[2:3] + (width,), mode="nearest-exact"))

    def spectrogram_images(self, windows: torch.Tensor) -> torch.Tensor:
        """The vectorised core: ``(B, T, C)`` float windows at ``sampling_rate`` -> ``(B, 3, G*H, W)`` images."""
        batch, num_samples, _ = windows.shape
        if num_samples < self.n_fft:
            raise ValueError(
                f"Windows have {num_samples} samples, shorter than n_fft={self.n_fft}: use longer windows or a "
                f"smaller n_fft."
            )
        num_bins = self.n_fft // 2 + 1
        self._window_fn = torch.hann_window(self.n_fft, periodic=False, dtype=windows.dtype)
        density = 1.0 / (self.sampling_rate * float(self._window_fn.square().sum()))
        self._bin_weight = torch.full((num_bins,), 2.0 * density)  # one-sided: non-DC, non-Nyquist bins doubled
        self._bin_weight[0] = density
        if self.n_fft % 2 == 0:
            self._bin_weight[-1] = density
        mean = self.image_mean if self.do_normalize else [0.0] * 3
        std = self.image_std if self.do_normalize else [1.0] * 3
        self._mean = torch.tensor(mean).repeat(self.num_sensor_groups)[:, None]
        self._std = torch.tensor(std).repeat(self.num_sensor_groups)[:, None]
        rows = self._source_rows(num_bins)

        out = torch.empty(batch, 3, self.num_sensor_groups * self.image_height, self.image_width)
        # Chunks small enough to stay in cache, spread over threads (torch releases the GIL inside its kernels).
        starts = range(0, batch, _CHUNK)
        workers = min(torch.get_num_threads(), len(starts))

        def fill(start: int) -> None:
            self._fill_images(windows[start : start + _CHUNK], out[start : start + _CHUNK], rows)

        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(fill, starts))
        else:
            for start in starts:
                fill(start)
        return out

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
            return_tensors: ``"pt"`` or ``"np"``.
        Returns:
            ``BatchFeature`` with ``pixel_values`` of shape ``(B, 3, G * image_height, image_width)``,
            ``G = feature_size // 3``.
        """
        if sampling_rate is None:
            raise ValueError(
                f"Pass sampling_rate= (Hz) with the IMU windows; this feature extractor is defined at "
                f"{self.sampling_rate} Hz and cannot check the input's rate otherwise."
            )
        if not np.isfinite(sampling_rate) or sampling_rate <= 0:
            raise ValueError(f"sampling_rate must be a positive number of Hz, got {sampling_rate}.")
        needs_resampling = abs(float(sampling_rate) - float(self.sampling_rate)) > 1e-9
        if needs_resampling and not self.do_resample:
            raise ValueError(
                f"The IMU windows are sampled at {sampling_rate} Hz but this feature extractor is defined at "
                f"{self.sampling_rate} Hz and do_resample=False. Resample the data or set do_resample=True."
            )
        batches = self._as_batches(imu)
        if needs_resampling:
            batches = [
                (members, resample_fft(w.transpose(1, 2), sampling_rate, self.sampling_rate).transpose(1, 2))
                for members, w in batches
            ]
        if len(batches) == 1:
            images = self.spectrogram_images(batches[0][1])
        else:  # windows of different lengths: one vectorised pass per length, results in input order
            num_windows = sum(len(members) for members, _ in batches)
            height = self.num_sensor_groups * self.image_height
            images = torch.empty(num_windows, 3, height, self.image_width)
            for members, windows in batches:
                images[members] = self.spectrogram_images(windows)

        pixel_values = images if return_tensors == "pt" else images.numpy()
        return BatchFeature({"pixel_values": pixel_values}, tensor_type=return_tensors)


__all__ = ["ImuSpectrogramFeatureExtractor", "resample_fft"]
