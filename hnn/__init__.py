"""hnn: neural networks trained in full view: forward pass, backpropagation and gradient descent, number by number."""
from hnn.config import Config, UnreachableTargetWarning, configs
from hnn.graph import hold, network
from hnn.ops import NetworkError, Op, exp, log, relu, sigmoid, sign, step, tanh
from hnn.training import GradientMismatch, train, train_many
from hnn.views.log import walkthrough

__all__ = [
    "Config",
    "GradientMismatch",
    "NetworkError",
    "Op",
    "UnreachableTargetWarning",
    "configs",
    "exp",
    "hold",
    "log",
    "network",
    "relu",
    "sigmoid",
    "sign",
    "step",
    "tanh",
    "train",
    "train_many",
    "walkthrough",
]
