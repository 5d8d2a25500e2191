"""The lessons' networks, each written as its maths: hnn draws, trains and checks every one of them the same way."""
from hnn.graph import hold, network
from hnn.ops import sigmoid, tanh


@network(inputs="x1 x2", parameters="w1 w2 b", constants="target", symbols={"target": "t"})
def neuron(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8814, target=0.0, activation=tanh):
    """One neuron with two inputs, as the original notebook trains it: the bias starts where n = 0.8814, so that
    o = tanh(n) ≈ 1/√2; x2 = 0 means w2 never receives a gradient."""
    n = x1*w1 + x2*w2 + b
    o = activation(n)
    L = 0.5 * (o - target)**2
    return L


# Each weighted sum is called n, as the neuron's was, after the neuron it feeds: nh1 (n_{h1}) is Mazur's net_{h1}, and
# no1 goes into o1. Short names keep the diagrams narrow, and the subscript says which neuron.
@network(inputs="x1 x2", parameters="w1 w2 w3 w4 w5 w6 w7 w8 b1 b2", constants="target1 target2",
         symbols={"target1": "t_1", "target2": "t_2"}, hyperparameters={"learning_rate": 0.5, "epochs": 100})
def hidden_layer(x1=0.05, x2=0.10, w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.40, w6=0.45, w7=0.50, w8=0.55,
                 b1=0.35, b2=0.60, target1=0.01, target2=0.99, activation=sigmoid, train_biases=False):
    """Matt Mazur's "A Step by Step Backpropagation Example": two inputs, a hidden layer of two neurons, two outputs,
    learning rate 0.5. Each layer shares one bias, which stays where it starts unless train_biases, as in his example."""
    if not train_biases:
        hold(b1, b2)
    nh1 = w1*x1 + w2*x2 + b1
    h1 = activation(nh1)
    nh2 = w3*x1 + w4*x2 + b1
    h2 = activation(nh2)
    no1 = w5*h1 + w6*h2 + b2
    o1 = activation(no1)
    no2 = w7*h1 + w8*h2 + b2
    o2 = activation(no2)
    L = 0.5*(target1 - o1)**2 + 0.5*(target2 - o2)**2
    return L


# The lessons by the name `hnn run --lesson` takes, in the order they are taught.
LESSONS = {"neuron": neuron, "hidden-layer": hidden_layer}
