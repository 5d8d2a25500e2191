"""A stepper's data made here, not by hnn's frame builder: a Graphviz diagram tagged with the stepper's attributes,
and frames whose every number comes from a plain-float replay of gradient descent written in this file."""
import html
import math
import re

import hnn
from hnn.views.diagram import network
from hnn.views.render import render

NODE = re.compile(r'<g id="[^"]*" class="(node|edge)">\n<title>([^<]*)</title>(.*?)</g>', re.DOTALL)


def tagged_svg() -> str:
    """The network diagram of an untrained default run, each node group data-node=NAME, each edge data-edge=FROM-TO,
    and every text in a node a slot named NODE.I (I counts from 0 within the node)."""
    svg = render([network(hnn.train(), 0).source])[0].decode()

    def tag(match):
        kind, title, inside = match.groups()
        if kind == "edge":
            return f'<g class="edge" data-edge="{html.unescape(title).replace("->", "-")}">{inside}</g>'
        count = iter(range(1000))
        inside = re.sub(r"<text ", lambda _: f'<text data-slot="{title}.{next(count)}" ', inside)
        return f'<g class="node" data-node="{title}">{inside}</g>'

    return NODE.sub(tag, svg)


def frames(x1=1.5, x2=-0.5, w1=0.3, w2=-0.2, b=0.1, target=0.25, learning_rate=0.4, epochs=3) -> list[dict]:
    """Forward, backward and update frames of each epoch of a tanh neuron, then the trained network, in plain floats;
    what Predict asks of n and dL/dw1, with two slips each."""
    out = []

    def f(v):
        return f"{v:.6f}".replace("-", "\u2212")

    for epoch in range(1, epochs + 1):
        n = x1 * w1 + x2 * w2 + b
        o = math.tanh(n)
        loss = 0.5 * (o - target) ** 2
        dL_dn = (o - target) * (1 - o * o)
        grads = {"w1": x1 * dL_dn, "w2": x2 * dL_dn, "b": dL_dn}
        inputs = {"x1.1": f(x1), "x2.1": f(x2), "w1.1": f(w1), "w2.1": f(w2), "b.1": f(b), "target.1": f(target)}
        forward = {**inputs, "n.2": f(n), "o.2": f(o), "L.2": f(loss)}
        backward = {**forward, "w1.3": f(grads["w1"]), "w2.3": f(grads["w2"]), "b.3": f(grads["b"])}
        out += [
            {"epoch": epoch, "step": "STEP 0: VALUES GOING IN", "lines": [f"x1 = {f(x1)}", f"x2 = {f(x2)}"],
             "slots": inputs, "read": [], "write": []},
            {"epoch": epoch, "step": "STEP 1: FORWARD PASS", "lines": [f"n = x1·w1 + x2·w2 + b = {f(n)}"],
             "slots": {**inputs, "n.2": f(n)}, "read": ["x1", "w1", "x2", "w2", "b", "x1-n", "x2-n"], "write": ["n"],
             "ask": {"name": "n", "answer": f(n), "mistakes": [[f(-n), "That has the wrong sign."],
                                                              [f(n - b), "That leaves out the term b."]]}},
            {"epoch": epoch, "step": "STEP 1: FORWARD PASS", "lines": [f"o = tanh(n) = {f(o)}", f"L = {f(loss)}"],
             "slots": forward, "read": ["n", "target", "n-o"], "write": ["L"]},
            {"epoch": epoch, "step": "STEP 2: BACK PROPAGATION",
             "lines": [f"dL/dw1 = x1 · dL/dn = {x1} × {f(dL_dn)} = {f(grads['w1'])}"],
             "slots": backward, "read": ["x1", "n"], "write": ["w1"],
             "ask": {"name": "dL/dw1", "answer": f(grads["w1"]), "mistakes": [[f(-grads["w1"]), "That has the wrong sign."],
                                                                             [f(dL_dn), "That leaves out the factor x1."]]}},
        ]
        w1, w2, b = (v - learning_rate * grads[name] for name, v in (("w1", w1), ("w2", w2), ("b", b)))
        out.append({"epoch": epoch, "step": "STEP 3: UPDATE", "lines": [f"w1 ← {f(w1)}", f"w2 ← {f(w2)}", f"b ← {f(b)}"],
                    "slots": {**backward, "w1.4": f(w1), "w2.4": f(w2), "b.4": f(b)}, "read": ["w1", "w2", "b"],
                    "write": ["w1", "w2", "b"]})
    out.append({"epoch": 0, "step": "TRAINED", "lines": [f"w1 = {f(w1)}, w2 = {f(w2)}, b = {f(b)}"],
                "slots": {"w1.1": f(w1), "w2.1": f(w2), "b.1": f(b)}, "read": [], "write": [], "epochs": epochs})
    return out
