"""Networks written in the tests, as a student would write them: hnn itself knows none of them."""
import hnn


@hnn.network(inputs="x1 x2", parameters="w1 w2 w3 w4 w5 w6 w7 w8 b1 b2", constants="target1 target2",
             symbols={"target1": "t_1", "target2": "t_2"})
def two_two_two(x1=0.05, x2=0.10, w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.40, w6=0.45, w7=0.50, w8=0.55, b1=0.35,
                b2=0.60, target1=0.01, target2=0.99, activation=hnn.sigmoid, train_biases=False):
    """Mazur's worked example: two inputs, two hidden sigmoid neurons, two outputs, each bias shared by its layer."""
    if not train_biases:
        hnn.hold(b1, b2)
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


@hnn.network(inputs="x1 x2", parameters="w1 w2 w3 w4 w5 w6 b1 b2 b3", constants="target")
def two_two_one(x1=1.0, x2=-0.5, w1=0.3, w2=-0.4, w3=0.6, w4=0.2, w5=-0.7, w6=0.5, b1=0.1, b2=-0.2, b3=0.05,
                target=0.4, activation=hnn.tanh):
    """A hidden layer of two tanh neurons and one output, each neuron with a bias of its own."""
    n1 = x1*w1 + x2*w2 + b1
    h1 = activation(n1)
    n2 = x1*w3 + x2*w4 + b2
    h2 = activation(n2)
    n = h1*w5 + h2*w6 + b3
    o = activation(n)
    L = 0.5 * (o - target)**2
    return L
