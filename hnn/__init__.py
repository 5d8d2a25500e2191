"""hnn: one tanh neuron, trained in full view: forward pass, backpropagation and gradient descent, number by number."""
from hnn.config import Config, UnreachableTargetWarning, configs
from hnn.training import GradientMismatch, train, train_many
from hnn.views.log import walkthrough

__all__ = [
    "Config",
    "GradientMismatch",
    "UnreachableTargetWarning",
    "configs",
    "train",
    "train_many",
    "walkthrough",
]
