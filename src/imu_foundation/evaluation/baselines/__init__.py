"""Strong simple baselines that every learned representation is compared with, under the same few-shot protocol.

Every method implements :class:`FewShotMethod` (``fit(windows, labels, layout)``, ``predict(windows)``, seeded):

* :class:`HandCraftedLogisticRegression`: per-channel statistics + the package's logistic-regression probe;
* :class:`MiniRocketRidge`: MiniRocket random convolutional features + ridge classifier (needs sktime, the
  ``baselines`` extra);
* :class:`ConvNetFromScratch`: a small fully convolutional network trained on the shots from random weights.
"""

from .base import FewShotMethod
from .cnn import ConvNetFromScratch, FullyConvolutionalNetwork
from .hand_crafted import (
    SIGNAL_STATISTICS,
    HandCraftedLogisticRegression,
    hand_crafted_features,
    statistical_feature_names,
    statistical_features,
)
from .minirocket import RIDGE_ALPHAS, MiniRocketRidge

__all__ = [
    "RIDGE_ALPHAS",
    "SIGNAL_STATISTICS",
    "ConvNetFromScratch",
    "FewShotMethod",
    "FullyConvolutionalNetwork",
    "HandCraftedLogisticRegression",
    "MiniRocketRidge",
    "hand_crafted_features",
    "statistical_feature_names",
    "statistical_features",
]
