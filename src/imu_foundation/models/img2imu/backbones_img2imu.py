"""Vision backbones of IMG2IMU: ResNet-18 and EfficientNet-Lite0, as plain torch modules.

Both map ``(B, 3, H, W)`` images of any size to a ``(B, D, h, w)`` feature map; the model pools it. Parameter names of
EfficientNet-Lite0 follow the structure of the TensorFlow reference (stem, 16 MBConv blocks, head) so that ImageNet
weights convert by renaming (``convert_efficientnet_lite_to_img2imu.py``).

Each module also builds its inference form, ``fold(dtype)``: the same computation with BatchNorm folded into the
convolutions, as a plain function of channels_last tensors (see ``inference_img2imu.py``).
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn
from transformers.modeling_layers import GradientCheckpointingLayer

from .configuration_img2imu import Img2ImuConfig
from .inference_img2imu import FoldableBackbone, FoldedConv, FoldedForward, tf_same_padding


# ---------------------------------------------------------------------------------------------------------------------
# ResNet-18 (He et al. 2016), the backbone of the IMG2IMU paper
# ---------------------------------------------------------------------------------------------------------------------
class BasicBlock(GradientCheckpointingLayer):
    def __init__(self, in_channels: int, out_channels: int, stride: int, config: Img2ImuConfig):
        super().__init__()
        bn = dict(eps=config.batch_norm_eps, momentum=config.batch_norm_momentum)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels, **bn)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels, **bn)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels, **bn),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        return F.relu(self.bn2(self.conv2(out)) + identity, inplace=True)

    def fold(self, dtype: torch.dtype) -> FoldedForward:
        conv1, conv2 = FoldedConv(self.conv1, self.bn1, dtype), FoldedConv(self.conv2, self.bn2, dtype)
        downsample = None if self.downsample is None else FoldedConv(*self.downsample, dtype)

        def forward(x: torch.Tensor) -> torch.Tensor:
            identity = x if downsample is None else downsample(x)
            return conv2(conv1(x).relu_()).add_(identity).relu_()

        return forward


class ResNet18Backbone(FoldableBackbone):
    widths = (64, 128, 256, 512)
    stage_widths = widths  # channels of each stage's output (the hidden states)

    def __init__(self, config: Img2ImuConfig):
        super().__init__()
        bn = dict(eps=config.batch_norm_eps, momentum=config.batch_norm_momentum)
        self.conv1 = nn.Conv2d(config.num_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64, **bn)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, in_channels = [], 64
        for index, width in enumerate(self.widths):
            stride = 1 if index == 0 else 2
            stages.append(
                nn.Sequential(BasicBlock(in_channels, width, stride, config), BasicBlock(width, width, 1, config))
            )
            in_channels = width
        self.stages = nn.ModuleList(stages)

    def forward_unfolded(self, pixel_values: torch.Tensor, hidden_states: list | None = None) -> torch.Tensor:
        x = self.maxpool(F.relu(self.bn1(self.conv1(pixel_values)), inplace=True))
        for stage in self.stages:
            x = stage(x)
            if hidden_states is not None:  # the output of every stage
                hidden_states.append(x)
        return x

    def fold(self, dtype: torch.dtype) -> FoldedForward:
        stem, maxpool = FoldedConv(self.conv1, self.bn1, dtype), self.maxpool
        blocks = [block.fold(dtype) for stage in self.stages for block in stage]

        def forward(x: torch.Tensor) -> torch.Tensor:
            x = maxpool(stem(x).relu_())
            for block in blocks:
                x = block(x)
            return x

        return forward


# ---------------------------------------------------------------------------------------------------------------------
# EfficientNet-Lite0 (Tan & Le 2019; the "Lite" variant: ReLU6, no squeeze-excitation, fixed stem and head)
# ---------------------------------------------------------------------------------------------------------------------
class Conv2dSame(nn.Conv2d):
    """Convolution with TensorFlow's "SAME" padding (asymmetric for odd totals), as the ImageNet weights expect."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (top, bottom), (left, right) = (
            tf_same_padding(size, kernel, stride)
            for size, kernel, stride in zip(x.shape[-2:], self.kernel_size, self.stride)
        )
        x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def drop_path(x: torch.Tensor, rate: float, training: bool) -> torch.Tensor:
    """Stochastic depth: drops the whole residual branch per sample."""
    if rate == 0.0 or not training:
        return x
    keep = 1.0 - rate
    mask = x.new_empty(x.shape[0], 1, 1, 1).bernoulli_(keep)
    return x * mask / keep


class MBConvBlock(GradientCheckpointingLayer):
    """Mobile inverted bottleneck: 1x1 expand, depthwise kxk, 1x1 project (no squeeze-excitation in Lite)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, expand_ratio, drop_rate, config):
        super().__init__()
        bn = dict(eps=config.batch_norm_eps, momentum=config.batch_norm_momentum)
        hidden = in_channels * expand_ratio
        self.expand_conv = Conv2dSame(in_channels, hidden, 1, bias=False) if expand_ratio != 1 else None
        self.bn0 = nn.BatchNorm2d(hidden, **bn) if expand_ratio != 1 else None
        self.depthwise_conv = Conv2dSame(hidden, hidden, kernel_size, stride, groups=hidden, bias=False)
        self.bn1 = nn.BatchNorm2d(hidden, **bn)
        self.project_conv = Conv2dSame(hidden, out_channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels, **bn)
        self.has_residual = stride == 1 and in_channels == out_channels
        self.drop_rate = drop_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.expand_conv is not None:
            out = F.relu6(self.bn0(self.expand_conv(out)))
        out = F.relu6(self.bn1(self.depthwise_conv(out)))
        out = self.bn2(self.project_conv(out))
        if self.has_residual:
            out = drop_path(out, self.drop_rate, self.training) + x
        return out

    def fold(self, dtype: torch.dtype) -> FoldedForward:
        expand = None if self.expand_conv is None else FoldedConv(self.expand_conv, self.bn0, dtype, tf_same=True)
        depthwise = FoldedConv(self.depthwise_conv, self.bn1, dtype, tf_same=True)
        project = FoldedConv(self.project_conv, self.bn2, dtype, tf_same=True)
        has_residual = self.has_residual

        def forward(x: torch.Tensor) -> torch.Tensor:
            out = x if expand is None else F.relu6(expand(x), inplace=True)
            out = project(F.relu6(depthwise(out), inplace=True))
            return out.add_(x) if has_residual else out

        return forward


class EfficientNetLite0Backbone(FoldableBackbone):
    # (repeats, kernel, stride, expand ratio, in, out) per stage, from the TF efficientnet_lite_builder
    stages = (
        (1, 3, 1, 1, 32, 16),
        (2, 3, 2, 6, 16, 24),
        (2, 5, 2, 6, 24, 40),
        (3, 3, 2, 6, 40, 80),
        (3, 5, 1, 6, 80, 112),
        (4, 5, 2, 6, 112, 192),
        (1, 3, 1, 6, 192, 320),
    )
    stage_widths = tuple(out_channels for *_, out_channels in stages)  # channels of each stage's output
    head_channels = 1280

    def __init__(self, config: Img2ImuConfig):
        super().__init__()
        bn = dict(eps=config.batch_norm_eps, momentum=config.batch_norm_momentum)
        self.conv_stem = Conv2dSame(config.num_channels, 32, 3, 2, bias=False)
        self.bn0 = nn.BatchNorm2d(32, **bn)
        specs = []
        for repeats, kernel, stride, expand, in_channels, out_channels in self.stages:
            for index in range(repeats):
                first = index == 0
                specs.append(
                    (
                        in_channels if first else out_channels,
                        out_channels,
                        kernel,
                        stride if first else 1,
                        expand,
                    )
                )
        self.blocks = nn.ModuleList(
            MBConvBlock(*spec, drop_rate=config.drop_path_rate * i / len(specs), config=config)
            for i, spec in enumerate(specs)
        )
        self.conv_head = Conv2dSame(320, self.head_channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.head_channels, **bn)

    def forward_unfolded(self, pixel_values: torch.Tensor, hidden_states: list | None = None) -> torch.Tensor:
        x = F.relu6(self.bn0(self.conv_stem(pixel_values)))
        ends = set(itertools.accumulate(repeats for repeats, *_ in self.stages))
        for index, block in enumerate(self.blocks, start=1):
            x = block(x)
            if hidden_states is not None and index in ends:  # the output of every stage
                hidden_states.append(x)
        return F.relu6(self.bn1(self.conv_head(x)))

    def fold(self, dtype: torch.dtype) -> FoldedForward:
        stem = FoldedConv(self.conv_stem, self.bn0, dtype, tf_same=True)
        blocks = [block.fold(dtype) for block in self.blocks]
        head = FoldedConv(self.conv_head, self.bn1, dtype, tf_same=True)

        def forward(x: torch.Tensor) -> torch.Tensor:
            x = F.relu6(stem(x), inplace=True)
            for block in blocks:
                x = block(x)
            return F.relu6(head(x), inplace=True)

        return forward


BACKBONES = {"resnet18": ResNet18Backbone, "efficientnet_lite0": EfficientNetLite0Backbone}


def build_backbone(config: Img2ImuConfig) -> nn.Module:
    return BACKBONES[config.backbone](config)
