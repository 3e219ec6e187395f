"""What a network's summary reports, counted from each layer's derived kernel, as LeCun et al.
(1998) count: a shared weight is one trainable parameter, and one connection per use.

For a layer with parameters or constants (a connection table, RBF prototypes):
- the fan-in of a unit is the number of input entries its value depends on: the nonzero entries of
  its row of the Jacobian, read off the derived input gradient with a one-hot upstream gradient;
- its connections are that fan-in plus one per additive parameter (a bias: a parameter whose
  Jacobian reads no input);
- a parameter entry is trainable when the derived gradient reaches it (an entry a connection
  table multiplies by zero never gets one).
Units of one output map are checked at the first and the last position; where they differ every
unit is counted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from derive.symbolic.differentiate import jacobian


@dataclass
class LayerCount:
    fan_in: list[int]              # per output map
    connections: int
    trainable: dict[str, int]      # rule tensor -> entries the gradient reaches


def additive(rule, name: str) -> bool:
    """A parameter whose Jacobian reads no input: a bias."""
    expr, _ = jacobian(rule, name)
    inputs = {t.base for t in rule.tensors if t.role == "input"}
    return not any(isinstance(x, sp.Indexed) and x.base in inputs
                   for x in sp.preorder_traversal(expr))


def count_layer(module, rule, sample_shape, params: dict, constants: dict,
                options: dict) -> LayerCount:
    """The counts of one layer, from `module`, the rule's generated kernel."""
    rng = np.random.default_rng(0)
    inp = rule.tensors[0].name
    values = {name: rng.uniform(0.5, 1.5, shape) for name, shape in params.items()}
    values.update({name: np.asarray(v, dtype=float) for name, v in constants.items()})
    x = rng.uniform(0.5, 1.5, (1, *sample_shape))

    def call(xs, g):
        args = dict(values, **{inp: xs})
        out = module.forward(*[args[n] for n in module.INPUTS], **options)
        env = dict(args, **{module.OUTPUT: out})
        grads = module.backward(g, *[env[n] for n in module.BACKWARD_ARGS], **options)
        return out, grads

    first = dict(values, **{inp: x})
    out = module.forward(*[first[n] for n in module.INPUTS], **options)
    unit_shape = out.shape[1:]
    maps, per_map = unit_shape[0], int(np.prod(unit_shape[1:]))

    def fan_in(units: list[int]) -> list[int]:
        g = np.zeros((len(units), *unit_shape))
        for row, unit in enumerate(units):
            g.reshape(len(units), -1)[row, unit] = 1
        _, grads = call(np.repeat(x, len(units), axis=0), g)
        return [int(np.count_nonzero(r)) for r in grads[inp].reshape(len(units), -1)]

    ends = fan_in([m * per_map for m in range(maps)] + [m * per_map + per_map - 1
                                                        for m in range(maps)])
    fans, connections = [], 0
    for m in range(maps):
        if ends[m] == ends[maps + m]:
            fans.append(ends[m])
            connections += ends[m] * per_map
        else:
            each = fan_in(list(range(m * per_map, (m + 1) * per_map)))
            fans.append(max(each))
            connections += sum(each)
    biases = [name for name in params if additive(rule, name)]
    connections += len(biases) * maps * per_map
    _, grads = call(x, rng.standard_normal((1, *unit_shape)))
    trainable = {name: int(np.count_nonzero(grads[name])) for name in params}
    return LayerCount(fans, connections, trainable)


def network_counts(net, load) -> tuple[list, dict]:
    """The summary's rows, (title, output shape, trainable parameters, connections), one per
    layer with parameters or constants, and the fan-in of each parameter's output maps.
    `load(rule)` gives the rule's generated kernel module."""
    from derive.lowering.network import _shape_after, _shape_of
    from derive.rules import RULES

    rows, fans = [], {}
    shape = tuple(net.input_shape)
    for layer in net.layers:
        rule = RULES[layer.rule]
        options = dict(layer.options)
        inp = rule.tensors[0]
        if len(shape) + 1 != inp.rank:
            continue  # an elementwise map of any rank: no connections, the same shape
        shapes = {inp.name: (1, *shape)} | dict(layer.params) | {
            t: _shape_of(v) for t, v in layer.constants}
        out = tuple(_shape_after(rule, shapes, options)[1:])
        if layer.params or layer.constants:
            c = count_layer(load(rule), rule, shape, dict(layer.params),
                            {t: np.array(v, dtype=float) for t, v in layer.constants}, options)
            rows.append((layer.title or layer.name, out, sum(c.trainable.values()), c.connections))
            for tname, _ in layer.params:
                fans[f"{layer.name}_{tname.lower()}"] = c.fan_in
        shape = out
    return rows, fans
