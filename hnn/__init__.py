"""hnn: neural networks trained in full view: forward pass, backpropagation and gradient descent, number by number."""
from hnn.config import Config, UnreachableTargetWarning, configs
from hnn.graph import hold, network
from hnn.ops import NetworkError, Op, exp, log, relu, sigmoid, sign, step, tanh
from hnn.rules import Rule, gradient_descent, update
from hnn.training import GradientMismatch, Record, train, train_many
from hnn.views.log import walkthrough

__all__ = [
    "Config",
    "GradientMismatch",
    "Record",
    "Rule",
    "NetworkError",
    "Op",
    "UnreachableTargetWarning",
    "configs",
    "exp",
    "gradient_descent",
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
    "update",
    "walkthrough",
]
