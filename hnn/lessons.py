"""The lessons' networks, each written as its maths: hnn draws, trains and checks every one of them the same way."""
from hnn.graph import network
from hnn.ops import tanh


@network(inputs="x1 x2", parameters="w1 w2 b", constants="target", symbols={"target": "t"})
def neuron(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8814, target=0.0, activation=tanh):
    """One neuron with two inputs, as the original notebook trains it: the bias starts where n = 0.8814, so that
    o = tanh(n) ≈ 1/√2; x2 = 0 means w2 never receives a gradient."""
    n = x1*w1 + x2*w2 + b
    o = activation(n)
    L = 0.5 * (o - target)**2
    return L
