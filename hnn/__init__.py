"""hnn: one tanh neuron, trained in full view: forward pass, backpropagation and gradient descent, number by number."""
from hnn.config import Config, Display, UnreachableTargetWarning, configs
from hnn.log import walkthrough
from hnn.training import GradientMismatch, train, train_many

__all__ = [
    "Config",
    "Display",
    "GradientMismatch",
    "UnreachableTargetWarning",
    "configs",
    "train",
    "train_many",
    "walkthrough",
]
