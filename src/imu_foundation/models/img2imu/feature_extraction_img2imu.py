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

How it is computed (the output is that definition; only the order of the work is chosen for speed):

* The STFT runs in float64: a float32 FFT loses the weak bins next to a strong one (gravity, or just the smallest bin
  of a noisy axis, which sets the min-max range) by up to ~1e-3 in the image. The density scale and the one-sided
  doubling are folded into the window, so ``|rfft|^2`` is already the PSD of every bin but DC (and Nyquist), which
  are halved afterwards.
* From the power on, the work is float32 on the small spectrogram of each axis, transposed once to ``(K, F)``
  (frequency rows, time columns: the image orientation). Steps 3-6 are per-axis affine maps followed by a pure
  gather: one row gather does the flip, the tiles and the colours, and the columns are repeated only when the output
  is written, for an integer ratio ``W / F`` by a product with a 0/1 matrix (one non-zero per column, so the values
  are copied exactly), which is several times faster than any torch/numpy copy kernel for a repeat of 4.
* Windows go through in chunks of a few windows whose float64 frames and spectra stay in cache, on the calling
  thread; the torch ops use torch's intra-op threads (``torch.get_num_threads()``). Scratch buffers are kept per
  thread and reused from call to call, since a fresh large buffer costs more in page faults than the arithmetic
  done in it. (Python worker threads, one chunk each, were slower: every op hands the GIL over.)

This file is self-contained (numpy, torch, transformers, stdlib) so that it can be loaded as remote code.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from transformers.feature_extraction_sequence_utils import SequenceFeatureExtractor
from transformers.feature_extraction_utils import BatchFeature

IMAGENET_DEFAULT_MEAN = (0.485, 0.456, 0.406)
IMAGENET_DEFAULT_STD = (0.229, 0.224, 0.225)
# Windows per work item: 8 six-axis windows of 500 samples keep the float64 frames and spectra (~3 MB) in L2/L3.
_CHUNK = 8
# Columns written per row of the repeat matrix product: 16 floats, one AVX-512 register.
_REPEAT_BLOCK = 16


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


class _Plan(NamedTuple):
    """Everything about the image of one window that depends only on the settings and the window length."""

    n_fft: int
    hop: int
    num_frames: int  # F
    num_bins: int  # K
    channels: int  # C
    out_rows: int  # 3 * G * image_height
    window: torch.Tensor  # (n_fft,) float64 Hann window times sqrt(2 / (fs * sum(w^2))): |rfft|^2 is the PSD
    halve_nyquist: bool  # DC (always) and Nyquist (even n_fft) are not doubled: halve them again
    log_floor: float
    std_np: np.ndarray  # (C, 1, 1) float32, ImageNet std of each channel's colour (1 without normalisation)
    negative_shift: torch.Tensor  # (C, 1, 1) float32, -mean / std of each channel's colour (0 without)
    rows: torch.Tensor  # (3 * G * H,) source row (c * K + k) of each output row, colour-major, flipped tiles
    repeat: torch.Tensor | None  # (q, q * W / F) 0/1 column map for q frames at a time; None when W == F
    block: int  # q


@functools.lru_cache(maxsize=64)
def _make_plan(
    n_fft: int,
    hop: int,
    sampling_rate: float,
    num_samples: int,
    channels: int,
    height: int,
    width: int,
    log_floor: float,
    mean: tuple[float, ...],
    std: tuple[float, ...],
) -> _Plan:
    num_frames = 1 + (num_samples - n_fft) // hop
    num_bins = n_fft // 2 + 1
    groups = channels // 3
    hann = torch.hann_window(n_fft, periodic=False, dtype=torch.float64)
    density = 1.0 / (sampling_rate * float(hann.square().sum()))
    window = hann * math.sqrt(2.0 * density)

    # nearest-exact: output pixel centre i + 0.5 reads source floor((i + 0.5) * n_in / n_out); rows flipped so that
    # frequency bin 0 is at the bottom of each tile; channel 3g + colour is colour `colour` of tile g.
    flipped = torch.arange(height - 1, -1, -1, dtype=torch.float64)
    tile_rows = torch.floor((flipped + 0.5) * num_bins / height).long().clamp_(max=num_bins - 1)
    colour = torch.arange(3)[:, None, None]
    group = torch.arange(groups)[None, :, None]
    rows = ((3 * group + colour) * num_bins + tile_rows).reshape(-1)

    cols = torch.floor((torch.arange(width, dtype=torch.float64) + 0.5) * num_frames / width).long()
    cols = cols.clamp_(max=num_frames - 1)
    if width == num_frames:
        repeat, block = None, num_frames
    else:
        if width % num_frames == 0:  # every frame repeated width / F times: one block of q frames suffices
            ratio = width // num_frames
            fits = [q for q in range(2, num_frames + 1) if num_frames % q == 0 and q * ratio <= _REPEAT_BLOCK]
            block = max(fits, default=1)
        else:
            block = num_frames
        span = width * block // num_frames
        repeat = torch.zeros(block, span)
        repeat[cols[:span], torch.arange(span)] = 1.0

    std_c = torch.tensor(std, dtype=torch.float32)[torch.arange(channels) % 3].reshape(channels, 1, 1)
    mean_c = torch.tensor(mean, dtype=torch.float32)[torch.arange(channels) % 3].reshape(channels, 1, 1)
    return _Plan(
        n_fft=n_fft,
        hop=hop,
        num_frames=num_frames,
        num_bins=num_bins,
        channels=channels,
        out_rows=3 * groups * height,
        window=window,
        halve_nyquist=n_fft % 2 == 0,
        log_floor=log_floor,
        std_np=std_c.numpy(),
        negative_shift=-(mean_c / std_c),
        rows=rows,
        repeat=repeat,
        block=block,
    )


class _Scratch:
    """Buffers (and views of them) for one chunk of windows, kept per thread and reused from call to call.

    A fresh large buffer costs more in page faults than the arithmetic done in it, and every view made here is a
    view not made again for every chunk.
    """

    def __init__(self, plan: _Plan, num_samples: int, size: int):
        c, f, k = plan.channels, plan.num_frames, plan.num_bins
        self.size = size
        self.signal = torch.empty(size, c, num_samples, dtype=torch.float64)
        self.signal_np = self.signal.numpy()
        self.frames = torch.empty(size, c, f, plan.n_fft, dtype=torch.float64)
        self.frame_view = self.signal.unfold(2, plan.n_fft, plan.hop)  # (size, C, F, n_fft), overlapping
        self.spectrum = torch.empty(size, c, f, k, dtype=torch.complex128)
        self.spectrum_kf = self.spectrum.transpose(2, 3)  # (size, C, K, F) view
        self.spectrum32 = torch.empty(size, c, k, f, dtype=torch.complex64)
        parts = torch.view_as_real(self.spectrum32)
        self.parts, self.real, self.imag = parts, parts[..., 0], parts[..., 1]
        self.small = torch.empty(size, c, k, f)  # log-PSD, then image values; (size, C, K, F)
        self.small_np = self.small.numpy()
        self.edges_np = [self.small_np[:, :, 0]] + ([self.small_np[:, :, k - 1]] if plan.halve_nyquist else [])
        self.rows = self.small.view(size, c * k, f)
        if plan.repeat is not None:
            self.tall = torch.empty(size, plan.out_rows, f)
            self.tall_blocks = self.tall.view(-1, plan.block)


_scratch = threading.local()


def _get_scratch(plan: _Plan, num_samples: int, size: int) -> _Scratch:
    cached = getattr(_scratch, "entry", None)
    if cached is None or cached[0] is not plan or cached[1] != (num_samples, size):
        # Only the latest shape is kept per thread, so the memory stays bounded.
        _scratch.entry = cached = (plan, (num_samples, size), _Scratch(plan, num_samples, size))
    return cached[2]


def _fill_chunk(plan: _Plan, scratch: _Scratch, windows: np.ndarray, out: np.ndarray) -> None:
    """Images of ``windows`` ``(n, T, C)`` float32 (``n == scratch.size``) written into ``out`` ``(n, 3, G*H, W)``.

    Runs on the calling thread; the torch ops inside use torch's own thread pool (``torch.get_num_threads()``).
    """
    s = scratch
    # STFT in float64: frames * scaled window, |rfft|^2 is the one-sided PSD for every bin but DC and Nyquist.
    np.copyto(s.signal_np, windows.transpose(0, 2, 1))  # (n, C, T) float64
    torch.mul(s.frame_view, plan.window, out=s.frames)
    torch.fft.rfft(s.frames, dim=-1, out=s.spectrum)  # (n, C, F, K)
    s.spectrum32.copy_(s.spectrum_kf)  # (n, C, K, F): frequency rows, time columns, float32 from here on
    torch.square(s.parts, out=s.parts)
    torch.add(s.real, s.imag, out=s.small)
    for edge in s.edges_np:  # DC and Nyquist are not doubled in a one-sided PSD
        np.multiply(edge, np.float32(0.5), out=edge)
    s.small.add_(plan.log_floor)
    np.log10(s.small_np, out=s.small_np)  # numpy's vectorised log10 is several times faster than torch's

    # Per window and axis: (v - lo) / (span * std) - mean / std; a constant axis (span 0) gives 0 - mean / std.
    # The per-axis numbers are tiny arrays: numpy, not torch, is the cheap way to do arithmetic on them.
    lo = s.small.amin(dim=(2, 3), keepdim=True)
    span = s.small.amax(dim=(2, 3), keepdim=True).numpy() - lo.numpy()
    denominator = np.where(span > 0, span * plan.std_np, np.float32(np.inf)).astype(np.float32, copy=False)
    s.small.sub_(lo).div_(torch.from_numpy(denominator)).add_(plan.negative_shift)

    # Rows: one gather does the flip, the tiles and the colours. Columns: repeat by a 0/1 matrix product.
    target = torch.from_numpy(out)
    if plan.repeat is None:
        torch.index_select(s.rows, 1, plan.rows, out=target.view(s.size, plan.out_rows, plan.num_frames))
    else:
        torch.index_select(s.rows, 1, plan.rows, out=s.tall)
        # Each output column has a single 1 in its column of `repeat`: x * 1 + 0 * y + ... is x, bit for bit.
        torch.mm(s.tall_blocks, plan.repeat, out=target.view(-1, plan.repeat.shape[1]))


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
            # One cheap reduction; the element-wise test only when it is not finite (NaN/inf, or an overflow).
            if not torch.isfinite(w.sum()) and not (finite := torch.isfinite(w)).all():
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
    def spectrogram_images(self, windows: torch.Tensor) -> torch.Tensor:
        """The vectorised core: ``(B, T, C)`` float windows at ``sampling_rate`` -> ``(B, 3, G*H, W)`` images."""
        batch, num_samples, channels = windows.shape
        if num_samples < self.n_fft:
            raise ValueError(
                f"Windows have {num_samples} samples, shorter than n_fft={self.n_fft}: use longer windows or a "
                f"smaller n_fft."
            )
        plan = _make_plan(
            self.n_fft,
            self.hop_length,
            float(self.sampling_rate),
            num_samples,
            channels,
            self.image_height,
            self.image_width,
            float(self.log_floor),
            tuple(self.image_mean) if self.do_normalize else (0.0, 0.0, 0.0),
            tuple(self.image_std) if self.do_normalize else (1.0, 1.0, 1.0),
        )
        windows = windows.detach().to("cpu", torch.float32).contiguous().numpy()
        out = np.empty((batch, 3, plan.out_rows // 3, self.image_width), dtype=np.float32)
        if batch == 0:
            return torch.from_numpy(out)
        # Chunks of a few windows, so that the float64 frames and spectra stay in cache; the tail chunk is padded
        # with copies of the last window (the extra images are dropped).
        size = min(_CHUNK, batch)
        scratch = _get_scratch(plan, num_samples, size)
        for start in range(0, batch - size + 1, size):
            _fill_chunk(plan, scratch, windows[start : start + size], out[start : start + size])
        tail = batch % size
        if tail:
            padded = np.concatenate([windows[batch - tail :], np.repeat(windows[-1:], size - tail, axis=0)])
            images = np.empty((size,) + out.shape[1:], dtype=np.float32)
            _fill_chunk(plan, scratch, padded, images)
            out[batch - tail :] = images[:tail]
        return torch.from_numpy(out)

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
