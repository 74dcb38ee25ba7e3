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

* Two compiled (numba, ``nogil``) kernels and numpy's vectorised ``log10`` do the work, a few windows at a time, on
  ``torch.get_num_threads()`` threads.
* ``_stft_power`` (``n_fft`` a power of two): the window's channels are laid out polyphase (sample ``t`` at
  ``[t % hop, t // hop]``), so that sample ``n`` of every frame is one contiguous row; the windowed frames, packed
  as complex ``x[2m] + i x[2m+1]``, go through an in-place radix-4 FFT that transforms every frame of every channel
  at once (the frames are the vector lanes), and the ``n_fft``-point real spectrum is split out of the
  ``n_fft / 2``-point complex one. All of it is float64: a float32 FFT loses the weak bins next to a strong one
  (gravity, or just the smallest bin of a noisy axis, which sets the min-max range) by up to ~1e-3 in the image.
  Other ``n_fft`` take ``torch.fft.rfft`` (float64) for the same power.
* The power is stored as float32 ``(K, C, F)`` per window (frequency rows), with each axis's smallest and largest
  value found on the integer view of the float bits (positive floats order like their bits, and integer min/max
  vectorises where float min/max does not).
* ``_image_writer``: per-axis affine map of the log-power rows, written straight into the output with the row
  gather (flip, resize, tiles, colours) and the column repeat of an integer ``image_width / F`` compiled in. An
  output of ``_STREAM_MIN_BYTES`` or more (a 64-window batch is 19 MB) is written with streaming stores: ordinary
  stores would read every line of it from memory first, and evict the working buffers from the cache.
* The threads take chunks of windows from a shared queue, so a thread that starts late or is slowed down by
  another process takes fewer; NaN/inf in the input are found by the STFT kernel as it reads the samples.

This file is self-contained (numpy, numba, llvmlite, torch, transformers, stdlib) so that it can be loaded as
remote code.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import torch
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic
from transformers.feature_extraction_sequence_utils import SequenceFeatureExtractor
from transformers.feature_extraction_utils import BatchFeature

IMAGENET_DEFAULT_MEAN = (0.485, 0.456, 0.406)
IMAGENET_DEFAULT_STD = (0.229, 0.224, 0.225)
# Windows per kernel call: enough to make the Python overhead per call small, few enough to stay in cache.
_CHUNK = 4
# Outputs at least this big are written with streaming (non-temporal) stores. An output bigger than a core's L2
# cache is not read back from cache anyway, and ordinary stores would first read every line of it from memory.
_STREAM_MIN_BYTES = 4 << 20


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


# --------------------------------------------------------------------------------------------------------------
# Compiled kernels
# --------------------------------------------------------------------------------------------------------------
_FLOAT32_EXPONENT = 0x7F800000  # all exponent bits set: inf or NaN


@njit(cache=True, nogil=True)
def _all_finite(samples):  # pragma: no cover - compiled
    """Whether a C-contiguous float32 array holds no NaN or inf.

    An integer max over the exponent bits (all set only for inf and NaN) vectorises; ``isfinite`` does not.
    """
    bits = samples.reshape(-1).view(np.int32)
    exponent = 0
    for i in range(bits.shape[0]):
        exponent = max(exponent, bits[i] & _FLOAT32_EXPONENT)
    return exponent != _FLOAT32_EXPONENT


@njit(cache=True, nogil=True)
def _fft_columns(re, im, twiddle_re, twiddle_im):  # pragma: no cover - compiled
    """In-place forward FFT along axis 0 of ``(M, L)`` float64 arrays, all ``L`` columns at once.

    Decimation in frequency, radix 4 (plus one radix-2 stage when ``M`` is an odd power of two). The output rows
    come out in digit-reversed order: ``_make_plan`` finds which row holds which frequency. ``twiddle`` is
    ``exp(-2 pi i j / M)`` for ``j < M``.
    """
    m_points, lanes = re.shape
    size = m_points
    stages = 0
    while (1 << stages) < m_points:
        stages += 1
    if stages % 2 == 1:
        half = size // 2
        for j in range(half):
            wr = twiddle_re[j]
            wi = twiddle_im[j]
            ar, ai, br, bi = re[j], im[j], re[j + half], im[j + half]
            for lane in range(lanes):
                xr, xi, yr, yi = ar[lane], ai[lane], br[lane], bi[lane]
                ar[lane] = xr + yr
                ai[lane] = xi + yi
                dr = xr - yr
                di = xi - yi
                br[lane] = dr * wr - di * wi
                bi[lane] = dr * wi + di * wr
        size = half
    while size >= 4:
        quarter = size // 4
        stride = m_points // size
        for start in range(0, m_points, size):
            for j in range(quarter):
                w1r, w1i = twiddle_re[j * stride], twiddle_im[j * stride]
                w2r, w2i = twiddle_re[2 * j * stride], twiddle_im[2 * j * stride]
                w3r, w3i = twiddle_re[3 * j * stride], twiddle_im[3 * j * stride]
                i0 = start + j
                ar, ai = re[i0], im[i0]
                br, bi = re[i0 + quarter], im[i0 + quarter]
                cr, ci = re[i0 + 2 * quarter], im[i0 + 2 * quarter]
                dr, di = re[i0 + 3 * quarter], im[i0 + 3 * quarter]
                for lane in range(lanes):
                    t0r = ar[lane] + cr[lane]
                    t0i = ai[lane] + ci[lane]
                    t1r = ar[lane] - cr[lane]
                    t1i = ai[lane] - ci[lane]
                    t2r = br[lane] + dr[lane]
                    t2i = bi[lane] + di[lane]
                    t3r = br[lane] - dr[lane]
                    t3i = bi[lane] - di[lane]
                    ar[lane] = t0r + t2r
                    ai[lane] = t0i + t2i
                    # (t1 - i t3) W^j, (t0 - t2) W^2j, (t1 + i t3) W^3j
                    ur = t1r + t3i
                    ui = t1i - t3r
                    br[lane] = ur * w1r - ui * w1i
                    bi[lane] = ur * w1i + ui * w1r
                    vr = t0r - t2r
                    vi = t0i - t2i
                    cr[lane] = vr * w2r - vi * w2i
                    ci[lane] = vr * w2i + vi * w2r
                    sr = t1r - t3i
                    si = t1i + t3r
                    dr[lane] = sr * w3r - si * w3i
                    di[lane] = sr * w3i + si * w3r
        size = quarter


@njit(cache=True, nogil=True)
def _stft_power(
    windows,
    window,
    hop,
    polyphase_slot,
    twiddle_re,
    twiddle_im,
    row_of_frequency,
    split_re,
    split_im,
    log_floor,
    polyphase,
    spectrum_re,
    spectrum_im,
    power,
    extremes,
):  # pragma: no cover - compiled
    """One-sided PSD (+ ``log_floor``) of every frame of every channel, for an even ``n_fft`` with ``n_fft / 2`` a
    power of two.

    Args:
        windows: ``(n, T, C)`` float32 samples.
        window: ``(N,)`` float64 Hann window times ``sqrt(2 / (fs * sum(w^2)))``: ``|X|^2`` is the doubled PSD.
        polyphase_slot: ``(T,)`` int64, ``(t % hop) * Q + t // hop``: where sample ``t`` goes in ``polyphase[c]``.
        twiddle_re, twiddle_im: ``exp(-2 pi i j / M)``, ``j < M = N / 2``.
        row_of_frequency: ``(M,)`` the row of ``_fft_columns``'s output that holds frequency ``k``.
        split_re, split_im: ``exp(-2 pi i k / N)``, ``k < M``: splits the real spectrum out of the complex one.
        polyphase: ``(C, hop, Q)`` float64 scratch; spectrum_re, spectrum_im: ``(M, C * F)`` float64 scratch.
        power: ``(n, K, C, F)`` float32 output, ``K = N / 2 + 1`` frequency rows, ``F`` frames.
        extremes: ``(n, C, 2)`` int32 output: float32 bits of the smallest and largest power of each axis.
    Returns:
        ``(first window with NaN/inf samples, first window whose power overflows float32)``, -1 for none; the work
        stops at the first such window.
    """
    num_windows, num_samples, channels = windows.shape
    num_bins, frames = power.shape[1], power.shape[3]
    half = window.shape[0] // 2
    lanes = channels * frames
    for b in range(num_windows):
        samples = windows[b]
        if not _all_finite(samples):
            return b, -1
        for c in range(channels):
            channel = polyphase[c].ravel()
            for t in range(num_samples):
                channel[polyphase_slot[t]] = samples[t, c]
        # z[m] = x[2m] w[2m] + i x[2m+1] w[2m+1]; lane c * F + f is frame f of channel c
        for m in range(half):
            n_even = 2 * m
            n_odd = n_even + 1
            w_even = window[n_even]
            w_odd = window[n_odd]
            even_phase, even_start = n_even % hop, n_even // hop
            odd_phase, odd_start = n_odd % hop, n_odd // hop
            for c in range(channels):
                even = polyphase[c, even_phase, even_start : even_start + frames]
                odd = polyphase[c, odd_phase, odd_start : odd_start + frames]
                real = spectrum_re[m, c * frames : (c + 1) * frames]
                imag = spectrum_im[m, c * frames : (c + 1) * frames]
                for f in range(frames):
                    real[f] = even[f] * w_even
                    imag[f] = odd[f] * w_odd
        _fft_columns(spectrum_re, spectrum_im, twiddle_re, twiddle_im)

        # X[k] = E[k] + e^(-2 pi i k / N) O[k], E = (Z[k] + conj Z[M-k]) / 2, O = (Z[k] - conj Z[M-k]) / 2i
        psd = power[b].reshape(num_bins, lanes)
        z0r, z0i = spectrum_re[row_of_frequency[0]], spectrum_im[row_of_frequency[0]]
        dc, nyquist = psd[0], psd[half]
        for lane in range(lanes):  # DC and Nyquist are real and not doubled in a one-sided PSD
            total = z0r[lane] + z0i[lane]
            difference = z0r[lane] - z0i[lane]
            dc[lane] = 0.5 * total * total + log_floor
            nyquist[lane] = 0.5 * difference * difference + log_floor
        # Bins k and M - k come from the same two rows: X[M-k] = conj(E[k] - e^(-2 pi i k / N) O[k]).
        for k in range(1, half // 2 + 1):
            ar, ai = spectrum_re[row_of_frequency[k]], spectrum_im[row_of_frequency[k]]
            br, bi = spectrum_re[row_of_frequency[half - k]], spectrum_im[row_of_frequency[half - k]]
            cr, ci = split_re[k], split_im[k]
            row, mirror = psd[k], psd[half - k]
            for lane in range(lanes):
                er = 0.5 * (ar[lane] + br[lane])
                ei = 0.5 * (ai[lane] - bi[lane])
                odd_r = 0.5 * (ai[lane] + bi[lane])
                odd_i = 0.5 * (br[lane] - ar[lane])
                twisted_r = cr * odd_r - ci * odd_i
                twisted_i = cr * odd_i + ci * odd_r
                xr, xi = er + twisted_r, ei + twisted_i
                yr, yi = er - twisted_r, ei - twisted_i
                mirror[lane] = yr * yr + yi * yi + log_floor
                row[lane] = xr * xr + xi * xi + log_floor
        _axis_extremes(psd, channels, frames, extremes[b])
        for c in range(channels):
            if extremes[b, c, 1] >= _FLOAT32_EXPONENT:  # inf: |x|^2 beyond float32
                return -1, b
    return -1, -1


@njit(cache=True, nogil=True)
def _axis_extremes(psd, channels, frames, extremes):  # pragma: no cover - compiled
    """Smallest and largest value of each axis of a ``(K, C * F)`` float32 PSD, as float32 bits into ``(C, 2)``.

    The PSD is positive, and positive floats order like their bits: integer min/max vectorises, float min/max
    (with its NaN rules) does not.
    """
    bits = psd.view(np.int32)
    lanes = bits.shape[1]
    low = bits[0].copy()
    high = bits[0].copy()
    for k in range(1, bits.shape[0]):
        row = bits[k]
        for lane in range(lanes):
            low[lane] = min(low[lane], row[lane])
            high[lane] = max(high[lane], row[lane])
    for c in range(channels):
        lo, hi = low[c * frames], high[c * frames]
        for lane in range(c * frames, (c + 1) * frames):
            lo = min(lo, low[lane])
            hi = max(hi, high[lane])
        extremes[c, 0] = lo
        extremes[c, 1] = hi


@intrinsic
def _stream_store16(typingctx, address, row, start):  # pragma: no cover - compiled
    """Stores ``row[start : start + 16]`` (float32) at the 64-byte aligned ``address``, bypassing the cache."""

    def codegen(context, builder, signature, args):
        address, row, start = args
        vector = ir.VectorType(ir.FloatType(), 16)
        data = context.make_array(signature.args[1])(context, builder, row).data
        values = builder.load(builder.bitcast(builder.gep(data, [start]), vector.as_pointer()), align=4)
        store = builder.store(values, builder.inttoptr(address, vector.as_pointer()), align=64)
        store.set_metadata("nontemporal", builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)]))
        return context.get_dummy_value()

    return types.void(address, row, start), codegen


@intrinsic
def _store_fence(typingctx):  # pragma: no cover - compiled
    """A full memory fence: streaming stores are weakly ordered, and other threads read the images next."""

    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen


@functools.cache
def _image_writer(repeat: int, stream: bool):
    """The output kernel for a column repeat of ``repeat`` (``image_width / F``; 0 when not an integer), writing
    with streaming stores when ``stream``.

    A compile-time repeat lets the compiler turn "each value 4 times" into vector shuffles and full-width stores,
    several times faster than a gather through a column index.
    """

    @njit(cache=True, nogil=True)
    def write_images(log_power, log_extremes, source_row, source_column, mean, std, out):  # pragma: no cover
        """``log_power`` ``(n, K, C, F)`` float32, ``log_extremes`` ``(n, C, 2)`` -> ``out`` ``(n, 3, G*H, W)``.

        ``source_row[r]``: the frequency bin of tile row ``r`` (flip and resize); ``source_column[j]``: the frame
        of column ``j``. Per axis: ``(v - lo) / ((hi - lo) * std) - mean / std``, 0 before normalisation for an
        axis without contrast.
        """
        num_windows, _, channels, frames = log_power.shape
        height = source_row.shape[0]
        width = source_column.shape[0]
        scaled = np.empty(frames, np.float32)
        row = np.empty(width, np.float32)  # when streaming, each row is made here (in L1) and then streamed out
        for b in range(num_windows):
            for c in range(channels):
                tile, colour = c // 3, c % 3
                lo = log_extremes[b, c, 0]
                span = np.float64(log_extremes[b, c, 1]) - np.float64(lo)
                gain = np.float32(1.0 / (span * std[colour]) if span > 0 else 0.0)
                offset = np.float32(-mean[colour] / std[colour])
                image = out[b, colour]
                for r in range(height):
                    target = image[tile * height + r]
                    line = row if stream else target
                    if r > 0 and source_row[r] == source_row[r - 1]:  # the row above again (upsampled bins)
                        if not stream:  # (a streamed row is still in ``row``)
                            above = image[tile * height + r - 1]
                            for j in range(width):
                                target[j] = above[j]
                    elif repeat:
                        source = log_power[b, source_row[r], c]
                        for f in range(frames):
                            value = (source[f] - lo) * gain + offset
                            for j in range(repeat):
                                line[f * repeat + j] = value
                    else:
                        source = log_power[b, source_row[r], c]
                        for f in range(frames):
                            scaled[f] = (source[f] - lo) * gain + offset
                        for j in range(width):
                            line[j] = scaled[source_column[j]]
                    if stream:  # ordinary stores up to the first 64-byte boundary and after the last 16 values
                        address = target.ctypes.data
                        j = min(width, (64 - np.int64(address & np.uint64(63))) % 64 // 4)
                        for k in range(j):
                            target[k] = row[k]
                        while j + 16 <= width:
                            _stream_store16(address + np.uint64(4 * j), row, j)
                            j += 16
                        for k in range(j, width):
                            target[k] = row[k]
        if stream:
            _store_fence()

    return write_images


# --------------------------------------------------------------------------------------------------------------
# Plans, scratch buffers, threads
# --------------------------------------------------------------------------------------------------------------
class _Plan(NamedTuple):
    """Everything about the images of windows of one length that depends only on the settings."""

    n_fft: int
    hop: int
    num_frames: int  # F
    num_bins: int  # K
    channels: int  # C
    out_rows: int  # G * image_height
    window: np.ndarray  # (n_fft,) float64 Hann window times sqrt(2 / (fs * sum(w^2))): |rfft|^2 is the doubled PSD
    log_floor: float
    mean: np.ndarray  # (3,) float64 ImageNet mean per colour (0 without normalisation)
    std: np.ndarray  # (3,) float64 ImageNet std per colour (1 without normalisation)
    source_row: np.ndarray  # (image_height,) int64 frequency bin of each tile row, low frequencies at the bottom
    source_column: np.ndarray  # (image_width,) int64 frame of each column
    writers: tuple  # the compiled _image_writer for this column repeat: (ordinary, streaming stores)
    fast: bool  # n_fft / 2 a power of two: the compiled STFT; otherwise torch.fft
    polyphase_slot: np.ndarray | None
    polyphase_len: int  # Q
    twiddle_re: np.ndarray | None
    twiddle_im: np.ndarray | None
    row_of_frequency: np.ndarray | None
    split_re: np.ndarray | None
    split_im: np.ndarray | None


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
    hann = np.hanning(n_fft)  # the symmetric Hann window of matplotlib.mlab.specgram
    window = hann * math.sqrt(2.0 / (sampling_rate * float(np.sum(hann**2))))

    # nearest-exact: output pixel centre i + 0.5 reads source floor((i + 0.5) * n_in / n_out); rows flipped so that
    # frequency bin 0 is at the bottom of each tile.
    flipped = np.arange(height - 1, -1, -1, dtype=np.float64)
    source_row = np.minimum(np.floor((flipped + 0.5) * num_bins / height).astype(np.int64), num_bins - 1)
    source_column = np.floor((np.arange(width, dtype=np.float64) + 0.5) * num_frames / width).astype(np.int64)
    source_column = np.minimum(source_column, num_frames - 1)
    repeat = width // num_frames if width % num_frames == 0 else 0

    half = n_fft // 2
    fast = n_fft % 2 == 0 and half >= 2 and half & (half - 1) == 0
    fast_parts: dict = dict.fromkeys(
        ("polyphase_slot", "twiddle_re", "twiddle_im", "row_of_frequency", "split_re", "split_im")
    )
    polyphase_len = -(-num_samples // hop)
    if fast:
        twiddle = np.exp(-2j * np.pi * np.arange(half) / half)
        twiddle_re, twiddle_im = np.ascontiguousarray(twiddle.real), np.ascontiguousarray(twiddle.imag)
        # Which output row of the in-place FFT holds which frequency: transform the identity and read the phase of
        # column 1 (row r holds frequency k when it equals exp(-2 pi i k / M)).
        basis_re, basis_im = np.eye(half), np.zeros((half, half))
        _fft_columns(basis_re, basis_im, twiddle_re, twiddle_im)
        angle = np.angle(basis_re[:, 1] + 1j * basis_im[:, 1])
        frequency_of_row = np.rint(-angle * half / (2 * np.pi)).astype(np.int64) % half
        split = np.exp(-2j * np.pi * np.arange(half) / n_fft)
        t = np.arange(num_samples)
        fast_parts = dict(
            polyphase_slot=(t % hop) * polyphase_len + t // hop,
            twiddle_re=twiddle_re,
            twiddle_im=twiddle_im,
            row_of_frequency=np.argsort(frequency_of_row),
            split_re=np.ascontiguousarray(split.real),
            split_im=np.ascontiguousarray(split.imag),
        )
    return _Plan(
        n_fft=n_fft,
        hop=hop,
        num_frames=num_frames,
        num_bins=num_bins,
        channels=channels,
        out_rows=channels // 3 * height,
        window=window,
        log_floor=log_floor,
        mean=np.asarray(mean, dtype=np.float64),
        std=np.asarray(std, dtype=np.float64),
        source_row=source_row,
        source_column=source_column,
        writers=(_image_writer(repeat, False), _image_writer(repeat, True)),
        fast=fast,
        polyphase_len=polyphase_len,
        **fast_parts,
    )


class _Scratch:
    """Buffers for one thread's chunks, reused from call to call (a fresh buffer costs page faults)."""

    def __init__(self, plan: _Plan):
        c, f, k = plan.channels, plan.num_frames, plan.num_bins
        self.power = np.empty((_CHUNK, k, c, f), dtype=np.float32)
        self.extremes = np.empty((_CHUNK, c, 2), dtype=np.int32)
        if plan.fast:
            self.polyphase = np.zeros((c, plan.hop, plan.polyphase_len))
            self.spectrum_re = np.empty((plan.n_fft // 2, c * f))
            self.spectrum_im = np.empty((plan.n_fft // 2, c * f))


_thread_state = threading.local()


def _get_scratch(plan: _Plan) -> _Scratch:
    cached = getattr(_thread_state, "scratch", None)
    if cached is None or cached[0] is not plan:  # only the latest plan is kept per thread: bounded memory
        _thread_state.scratch = cached = (plan, _Scratch(plan))
    return cached[1]


def _stft_power_torch(plan: _Plan, windows: np.ndarray, power: np.ndarray, extremes: np.ndarray) -> tuple[int, int]:
    """The same PSD and status as ``_stft_power`` for any ``n_fft``, with ``torch.fft.rfft`` in float64."""
    signal = torch.from_numpy(windows).double().transpose(1, 2)  # (n, C, T)
    frames = signal.unfold(2, plan.n_fft, plan.hop) * torch.from_numpy(plan.window)  # (n, C, F, N)
    spectrum = torch.view_as_real(torch.fft.rfft(frames, dim=-1))
    psd = spectrum.square().sum(-1)  # (n, C, F, K), doubled everywhere
    psd[..., 0] *= 0.5
    if plan.n_fft % 2 == 0:
        psd[..., -1] *= 0.5
    psd += plan.log_floor
    power[...] = psd.permute(0, 3, 1, 2).float().numpy()
    per_axis = power.transpose(0, 2, 1, 3).reshape(len(power), plan.channels, -1)
    extremes.view(np.float32)[..., 0] = per_axis.min(axis=2)
    extremes.view(np.float32)[..., 1] = per_axis.max(axis=2)
    if (nonfinite := np.flatnonzero(~np.isfinite(windows).all(axis=(1, 2)))).size:
        return int(nonfinite[0]), -1
    overflow = np.flatnonzero(extremes[..., 1].max(axis=1) >= _FLOAT32_EXPONENT)
    return -1, (int(overflow[0]) if overflow.size else -1)


class _BadWindow(ValueError):
    """A window the spectrogram cannot be computed for; ``window`` is its index in the batch."""

    def __init__(self, message: str, window: int):
        super().__init__(message)
        self.window = window


class _NonFiniteWindow(_BadWindow):
    """A window with NaN or inf samples (``__call__`` then names the first one in the input as given)."""


def _raise_first_nonfinite(groups: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Raises a ValueError naming the first NaN/inf (window, sample, channel) of the input windows, if any.

    ``groups``: ``(window indices, (n, T, C) windows)`` as ``_as_batches`` makes them.
    """
    first = None
    for members, windows in groups:
        bad = np.argwhere(~np.isfinite(windows))
        if len(bad) and (first is None or members[bad[0][0]] < first[0]):
            first = (int(members[bad[0][0]]), *bad[0][1:].tolist())
    if first is not None:
        window, sample, channel = first
        raise ValueError(
            f"The IMU input contains NaN or inf (first at window {window}, sample {sample}, channel {channel})."
        )


def _fill_chunk(plan: _Plan, scratch: _Scratch, windows: np.ndarray, first: int, out: np.ndarray, stream: bool) -> None:
    """Images of up to ``_CHUNK`` windows ``(n, T, C)`` float32 (batch indices ``first, ...``) into ``out``."""
    size = len(windows)
    power, extremes = scratch.power[:size], scratch.extremes[:size]
    if plan.fast:
        nonfinite, overflow = _stft_power(
            windows,
            plan.window,
            plan.hop,
            plan.polyphase_slot,
            plan.twiddle_re,
            plan.twiddle_im,
            plan.row_of_frequency,
            plan.split_re,
            plan.split_im,
            plan.log_floor,
            scratch.polyphase,
            scratch.spectrum_re,
            scratch.spectrum_im,
            power,
            extremes,
        )
    else:
        nonfinite, overflow = _stft_power_torch(plan, windows, power, extremes)
    if nonfinite >= 0:
        raise _NonFiniteWindow(f"The IMU input contains NaN or inf (window {first + nonfinite}).", first + nonfinite)
    if overflow >= 0:
        raise _BadWindow(
            f"The spectrogram power of window {first + overflow} overflows float32 (finite samples, but |x|^2 beyond "
            f"3.4e38): are the units right?",
            first + overflow,
        )
    np.log10(power, out=power)  # numpy's vectorised log10 of the float32 PSD
    log_extremes = np.log10(extremes.view(np.float32))  # the same function: the extremes of the log values
    plan.writers[stream](power, log_extremes, plan.source_row, plan.source_column, plan.mean, plan.std, out)


class _ChunkQueue:
    """Hands out the chunks of one batch to the threads filling it, one at a time, so that a thread that starts late
    or runs slower simply takes fewer; after a failure it hands out no more."""

    def __init__(self, batch: int):
        self._lock = threading.Lock()
        self._next = 0
        self.batch = batch
        self.failed = False

    def __iter__(self):
        while True:
            with self._lock:
                start, self._next = self._next, self._next + _CHUNK
            if self.failed or start >= self.batch:
                return
            yield start


def _fill_images(plan: _Plan, windows: np.ndarray, out: np.ndarray, chunks: _ChunkQueue, stream: bool) -> None:
    """Takes chunks of ``windows`` ``(B, T, C)`` from ``chunks`` and writes their images into ``out``."""
    scratch = _get_scratch(plan)
    try:
        for start in chunks:
            stop = start + _CHUNK
            _fill_chunk(plan, scratch, windows[start:stop], start, out[start:stop], stream)
    except BaseException:
        chunks.failed = True
        raise


_recycle_lock = threading.Lock()
_recycled: list[np.ndarray] = []  # outputs handed out recently, reused once nobody else holds them
_RECYCLE_KEEP = 2


def _output_array(shape: tuple[int, ...]) -> np.ndarray:
    """A float32 array for the images: a recently returned one whose owner has let go of it, else a new one.

    A data collator asks for a batch of the same shape again and again and drops the previous one. A new array of
    tens of MB is fresh memory from the kernel each time (malloc maps large blocks and unmaps them on free), which
    the kernel zeroes page by page: for a 64-window batch that costs about as much as computing the images. An
    array is reused only when this list holds the last reference to it (a tensor or view made of it holds one).
    """
    with _recycle_lock:
        for i in range(len(_recycled)):
            # two references when free: the list's and getrefcount's argument
            if _recycled[i].shape == shape and sys.getrefcount(_recycled[i]) <= 2:
                return _recycled.pop(i)
    # Aligned to the 64-byte cache line: image rows are written as whole lines, and streaming stores need it.
    size = math.prod(shape)
    raw = np.empty(size + 16, dtype=np.float32)
    offset = (-raw.ctypes.data % 64) // 4
    return raw[offset : offset + size].reshape(shape)


def _remember_output(array: np.ndarray) -> None:
    if not getattr(sys, "_is_gil_enabled", lambda: True)():  # reference counts are not exact without the GIL
        return
    with _recycle_lock:
        _recycled.insert(0, array)
        del _recycled[_RECYCLE_KEEP:]


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _forget_pool_after_fork() -> None:
    # A forked child (a DataLoader or datasets worker) inherits the pool object but not its threads.
    global _pool, _pool_lock, _recycle_lock
    _pool, _pool_lock, _recycle_lock = None, threading.Lock(), threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _worker_pool(workers: int) -> ThreadPoolExecutor:
    """A process-wide pool of ``workers`` threads, made again only when the thread count changes."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers != workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="imu-spectrogram")
        return _pool


def _as_float32_numpy(window: np.ndarray | torch.Tensor) -> np.ndarray:
    """A C-contiguous float32 NumPy copy or view of an array or a CPU/device tensor, converted by NumPy, not torch."""
    if isinstance(window, torch.Tensor):
        window = window.detach().cpu()
        if window.dtype == torch.bfloat16:  # no NumPy dtype
            window = window.float()
        window = window.numpy()
    return np.ascontiguousarray(window, dtype=np.float32)


def _is_real_dtype(dtype: np.dtype | torch.dtype) -> bool:
    if isinstance(dtype, torch.dtype):
        return not (dtype.is_complex or dtype == torch.bool)
    return dtype.kind in "iuf"


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
    def _as_batches(self, imu) -> list[tuple[np.ndarray, np.ndarray]]:
        """Checks the input and groups it into ``(indices, (n, T, C) float32 windows)`` of equal length.

        A ``(B, T, C)`` array or tensor is one group; a list of ``(T, C)`` windows is grouped by length. NumPy from
        here to the kernels: a torch op would wake torch's OpenMP threads, which then spin for a while on the cores
        the spectrogram threads need. NaN/inf are found by the kernels, on every thread.
        """
        if isinstance(imu, (np.ndarray, torch.Tensor)):
            if imu.ndim != 3:
                hint = " Pass a batch (B, T, C) or a list of (T, C) windows." if imu.ndim == 2 else ""
                raise ValueError(f"IMU input must have shape (B, T, C), got {tuple(imu.shape)}.{hint}")
            windows = [imu]
        elif isinstance(imu, (list, tuple)):
            windows = [w if isinstance(w, (np.ndarray, torch.Tensor)) else np.asarray(w) for w in imu]
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
            if not _is_real_dtype(w.dtype):
                raise ValueError(f"{where} has dtype {w.dtype}; IMU samples must be real numbers.")
        windows = [_as_float32_numpy(w) for w in windows]
        if len(windows) == 1 and windows[0].ndim == 3:
            return [(np.arange(len(windows[0])), windows[0])]
        lengths = np.array([len(w) for w in windows])
        groups = []
        for length in np.unique(lengths):
            members = np.flatnonzero(lengths == length)
            groups.append((members, np.stack([windows[i] for i in members])))
        return groups

    # ----------------------------------------------------------------------------------------------------------
    # The spectrogram image
    # ----------------------------------------------------------------------------------------------------------
    def spectrogram_images(self, windows: np.ndarray | torch.Tensor) -> torch.Tensor:
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
        windows = _as_float32_numpy(windows)
        out = _output_array((batch, 3, plan.out_rows, self.image_width))
        # Chunks of the batch go to torch.get_num_threads() threads (the kernels release the GIL).
        threads = min(torch.get_num_threads(), -(-batch // _CHUNK))
        chunks = _ChunkQueue(batch)
        pool = _worker_pool(threads - 1) if threads > 1 else None
        stream = out.nbytes >= _STREAM_MIN_BYTES
        helpers = [pool.submit(_fill_images, plan, windows, out, chunks, stream) for _ in range(threads - 1)]
        failures = []
        try:
            _fill_images(plan, windows, out, chunks, stream)
        except _BadWindow as error:
            failures.append(error)
        for job in helpers:  # every thread has stopped before anything is raised
            if isinstance(error := job.exception(), _BadWindow):
                failures.append(error)
            elif error is not None:
                raise error
        if failures:  # the first bad window, whichever thread met it
            raise min(failures, key=lambda error: error.window)
        _remember_output(out)
        return torch.from_numpy(out)

    def _images_of_group(self, members: np.ndarray, windows: np.ndarray, batches: list) -> torch.Tensor:
        """``spectrogram_images`` of one group of equal-length windows, with errors that name the user's window."""
        try:
            return self.spectrogram_images(windows)
        except _NonFiniteWindow:
            _raise_first_nonfinite(batches)  # names the first NaN/inf of the input as given
            raise  # finite input that resampling made non-finite
        except _BadWindow as error:
            raise ValueError(str(error).replace(f"window {error.window}", f"window {members[error.window]}")) from None

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
        resampled = batches
        if needs_resampling:
            resampled = [
                (members, resample_fft(torch.from_numpy(w).transpose(1, 2), sampling_rate, self.sampling_rate).mT)
                for members, w in batches
            ]
        if len(resampled) == 1:
            images = self._images_of_group(*resampled[0], batches)
        else:  # windows of different lengths: one vectorised pass per length, results in input order
            num_windows = sum(len(members) for members, _ in resampled)
            height = self.num_sensor_groups * self.image_height
            images = torch.empty(num_windows, 3, height, self.image_width)
            for members, windows in resampled:
                images[torch.from_numpy(members)] = self._images_of_group(members, windows, batches)

        if return_tensors == "pt":  # already a tensor: BatchFeature's conversion would only look at it again
            return BatchFeature({"pixel_values": images})
        return BatchFeature({"pixel_values": images.numpy()}, tensor_type=return_tensors)


__all__ = ["ImuSpectrogramFeatureExtractor", "resample_fft"]
