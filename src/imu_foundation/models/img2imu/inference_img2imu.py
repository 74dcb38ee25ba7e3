"""The inference path of the Img2Imu backbones: BatchNorm folded into the convolutions, channels_last memory.

A backbone in eval mode whose output needs no autograd (``torch.no_grad()``, ``torch.inference_mode()``, or a frozen
backbone whose parameters have ``requires_grad=False``) runs a folded copy of itself: each convolution + BatchNorm
pair becomes one convolution with a bias, padded with a plain ``padding=`` wherever TensorFlow's "SAME" padding is
symmetric, on channels_last tensors (oneDNN's fast layout on CPUs). Under ``torch.autocast`` the copy holds its
weights in the autocast dtype (e.g. bfloat16), cast once instead of at every call.

The copy is no part of the module: ``state_dict``, ``save_pretrained`` and training see only the unfolded
convolution and BatchNorm tensors. It is rebuilt before a forward pass whenever a parameter or buffer of the backbone
is not the one it was folded from: another tensor object, other memory (``.to()``), or changed in place (optimiser
steps, ``load_state_dict``, the MoCo momentum update). Writes through ``tensor.data`` bypass PyTorch's version
counter; call ``Img2ImuModel.fold_for_inference()`` after those.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

FoldedForward = Callable[[torch.Tensor], torch.Tensor]

# The folded forward runs a batch in chunks of at least CHUNK_MIN_IMAGES images and about CHUNK_PIXELS pixels. From 16
# images per call oneDNN's convolutions run 1.6x faster on CPUs (EfficientNet-Lite0 at 96x128, one thread). Larger
# chunks make activations of over 32 MB, which glibc serves with fresh pages from the OS at every call: 64 images of
# 192x128 spent as much CPU time faulting in and zeroing memory as computing.
CHUNK_MIN_IMAGES = 16
CHUNK_PIXELS = 2**18


def tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "SAME" padding ``(before, after)`` of one spatial axis of ``size`` pixels.

    The output has ``ceil(size / stride)`` pixels; an odd total puts the extra pixel after. With stride 1 and an odd
    kernel the padding is always symmetric; with stride 2 it depends on the parity of ``size``.
    """
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class FoldedConv:
    """``bn(conv(x))`` of an eval-mode pair as one convolution: ``w' = w * s``, ``b' = beta - mean * s`` (+ conv bias
    times ``s``) with ``s = gamma / sqrt(running_var + eps)``, weights in ``dtype`` and channels_last.

    ``tf_same``: pad as TensorFlow "SAME" (decided per call from the input size), else the conv's own padding.
    """

    def __init__(self, conv: nn.Conv2d, bn: nn.BatchNorm2d, dtype: torch.dtype, tf_same: bool = False):
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = bn.bias - bn.running_mean * scale
        if conv.bias is not None:
            bias = bias + conv.bias * scale
        weight = conv.weight * scale[:, None, None, None]
        self.weight = weight.to(dtype).contiguous(memory_format=torch.channels_last)
        self.bias = bias.to(dtype)
        self.kernel_size, self.stride, self.groups = conv.kernel_size, conv.stride, conv.groups
        self.padding = None if tf_same else conv.padding

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        padding = self.padding
        if padding is None:
            (top, bottom), (left, right) = (
                tf_same_padding(size, kernel, stride)
                for size, kernel, stride in zip(x.shape[-2:], self.kernel_size, self.stride)
            )
            if top != bottom or left != right:  # only stride-2 convolutions over even sizes
                x = F.pad(x, (left, right, top, bottom))
                top = left = 0
            padding = (top, left)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, 1, self.groups)


class FoldableBackbone(nn.Module):
    """Base of the backbones: ``forward_unfolded`` is the network as trained; ``fold(dtype)`` returns the same
    network as a plain function of ``(B, C, H, W)`` channels_last images built from :class:`FoldedConv`.
    """

    def __init__(self):
        super().__init__()
        # Not module state: the folded forwards by dtype, and the tensors (with their stamps) they were folded from.
        self._folded: dict[torch.dtype, FoldedForward] = {}
        self._folded_from: tuple[tuple[torch.Tensor, ...], tuple[tuple[int, int], ...]] = ((), ())

    def forward_unfolded(self, pixel_values: torch.Tensor, hidden_states: list | None = None) -> torch.Tensor:
        """The network as trained; appends each stage's output to ``hidden_states`` when given."""
        raise NotImplementedError

    def fold(self, dtype: torch.dtype) -> FoldedForward:
        raise NotImplementedError

    def forward(self, pixel_values: torch.Tensor, hidden_states: list | None = None) -> torch.Tensor:
        # torch.export / torch.compile trace the network as trained (its runtime optimises the graph itself); the
        # folded copy is built from concrete tensors outside the module state and cannot be traced.
        if (
            self.training
            or hidden_states is not None
            or torch.compiler.is_compiling()
            or self._needs_autograd(pixel_values)
        ):
            return self.forward_unfolded(pixel_values, hidden_states)
        device = pixel_values.device.type
        if torch.is_autocast_enabled(device):
            dtype = torch.get_autocast_dtype(device)
            pixel_values = pixel_values.to(dtype)
        else:
            dtype = next(self.parameters()).dtype
        folded = self.folded_forward(dtype)
        images_per_chunk = max(CHUNK_MIN_IMAGES, CHUNK_PIXELS // (pixel_values.shape[-2] * pixel_values.shape[-1]))
        chunks = pixel_values.contiguous(memory_format=torch.channels_last).split(images_per_chunk)
        outputs = [folded(chunk).contiguous() for chunk in chunks]
        return outputs[0] if len(outputs) == 1 else torch.cat(outputs)

    def _needs_autograd(self, pixel_values: torch.Tensor) -> bool:
        if not torch.is_grad_enabled():
            return False
        return pixel_values.requires_grad or any(p.requires_grad for p in self.parameters())

    def folded_forward(self, dtype: torch.dtype = torch.float32, refresh: bool = False) -> FoldedForward:
        """The folded forward in ``dtype``: the cached one while the backbone's tensors are unchanged (and not
        ``refresh``), else a new one. Folding uses the BatchNorm running statistics, as eval mode does.
        """
        tensors = tuple(itertools.chain(self.parameters(), self.buffers()))
        # _version counts in-place writes of a tensor: the one cheap way to notice an optimiser step or a load.
        stamps = tuple((t._version, t.data_ptr()) for t in tensors)
        folded_from, folded_stamps = self._folded_from
        if refresh or stamps != folded_stamps or not all(map(operator.is_, tensors, folded_from)):
            self._folded, self._folded_from = {}, (tensors, stamps)
        if dtype not in self._folded:
            # Outside inference mode even inside one: the folded weights must stay usable in plain no_grad code.
            with torch.inference_mode(False), torch.no_grad():
                self._folded[dtype] = self.fold(dtype)
        return self._folded[dtype]

    def __getstate__(self) -> dict:
        # Copies and pickles fold their own tensors when first used: the cache would point at this module's.
        return {**super().__getstate__(), "_folded": {}, "_folded_from": ((), ())}
