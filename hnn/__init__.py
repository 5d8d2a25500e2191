"""hnn: one tanh neuron, trained in full view: forward pass, backpropagation and gradient descent, number by number."""
from hnn.config import Config, UnreachableTargetWarning, configs
from hnn.train import GradientMismatch, train, train_many
from hnn.walkthrough import walkthrough

__all__ = [
    "Config",
    "GradientMismatch",
    "UnreachableTargetWarning",
    "configs",
    "train",
    "train_many",
    "walkthrough",
]
