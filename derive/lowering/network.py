"""Networks as data: a chain of layers, each one rule of the table, rendered into a module.

The generated module calls the generated kernels (`from . import conv2d, ...`) in order for the
forward pass and in reverse for the backward pass; which arrays each backward call needs comes
from the kernel itself (`BACKWARD_ARGS`), so the network template knows no layer's gradient.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy as sp

from derive.lowering import kernel as kernel_mod
from derive.rules import RULES


@dataclass(frozen=True)
class Layer:
    name: str                                         # "c1": parameters are named c1_w, c1_b
    rule: str
    params: tuple[tuple[str, tuple[int, ...]], ...] = ()   # rule tensor -> shape
    options: tuple[tuple[str, int], ...] = ()
    title: str = ""                                   # "C1: convolution 5x5 -> 6 maps"
    constants: tuple[tuple[str, tuple], ...] = ()     # rule tensor -> fixed values (nested tuples)


@dataclass(frozen=True)
class Network:
    name: str
    class_name: str
    doc: str
    input_shape: tuple[int, ...]                      # one sample
    classes: int
    layers: tuple[Layer, ...]
    heads: tuple[tuple[str, tuple[str, ...]], ...]    # loss name -> rules after the scores
    # "lecun": weights uniform in ±sqrt(3/F), biases zero; "paper": every trainable entry
    # uniform in ±2.4/F (LeCun et al. 1998), F the fan-in of the unit it feeds
    init: str = "lecun"
    decide: str = "argmax"                            # the class from the scores ("argmin": RBF)
    second_order: bool = False                        # its kernels also get `gauss_newton`
    # constants the documents draw: (layer, tensor, (rows, cols) of each row's bitmap)
    pictures: tuple[tuple[str, str, tuple[int, int]], ...] = ()
    # other networks its class builds by name: (variant, network name), `Class(variant=...)`
    variants: tuple[tuple[str, str], ...] = ()
    variant: str = ""                                 # its own name among them ("" : its name)


def constant_key(layer: Layer, tensor: str) -> str:
    return f"{layer.name}_{tensor.lower()}"


def conv(name, out_ch, in_ch, k, title):
    return Layer(name, "conv2d", (("w", (out_ch, in_ch, k, k)), ("b", (out_ch,))), title=title)


def dense(name, out, inp, title):
    return Layer(name, "dense", (("W", (out, inp)), ("b", (out,))), title=title)


def act(name, rule="tanh"):
    return Layer(name, rule)


def pool(name, title):
    return Layer(name, "avgpool2d", options=(("size", 2), ("stride", 2)), title=title)


LENET5 = Network(
    "lenet5", "LeNet5",
    "LeNet-5 (LeCun et al. 1998), the article's variant: full C3, average pooling, tanh",
    (1, 32, 32), 10,
    (conv("c1", 6, 1, 5, "C1: convolution 5x5 -> 6 maps"), act("c1_tanh"),
     pool("s2", "S2: average pooling 2x2"),
     conv("c3", 16, 6, 5, "C3: convolution 5x5 -> 16 maps"), act("c3_tanh"),
     pool("s4", "S4: average pooling 2x2"),
     Layer("flat", "flatten", title="flatten 16x5x5 -> 400"),
     dense("c5", 120, 400, "C5: dense 120"), act("c5_tanh"),
     dense("f6", 84, 120, "F6: dense 84"), act("f6_tanh"),
     dense("out", 10, 84, "OUTPUT: dense 10")),
    (("cross_entropy", ("softmax_cross_entropy",)), ("mse", ("tanh", "mse"))),
)

# C3's connection table, as printed in the paper: rows S2 maps, columns C3 maps, X connected
C3_TABLE = """
X...XXX..XXXX.XX
XX...XXX..XXXX.X
XXX...XXX..X.XXX
.XXX..XXXX..X.XX
..XXX..XXXX.XX.X
...XXX..XXXX.XXX
"""

# the RBF prototypes: stylized 7x12 bitmaps of the digits, # is +1 and . is -1
DIGITS = """
..###.. ...#... .####.. .####.. ....#.. #######  ..###.. #######  .###... .###...
.#...#. ..##... #....#. #....#. ...##.. #......  .#..... ......#  #...#.. #...#..
#.....# .#.#... .....#. .....#. ..#.#.. #......  #...... .....#.  #...#.. #...#..
#.....# ...#... .....#. .....#. .#..#.. #......  #...... ....#..  #...#.. #...#..
#.....# ...#... ....#.. ..###.. #...#.. ######.  #.###.. ...#...  .###... .####..
#.....# ...#... ...#... .....#. #######  ......#  ##...#. ..#....  #...#.. ....#..
#.....# ...#... ..#.... ......# ....#.. ......#  #....#. ..#....  #...#.. ....#..
#.....# ...#... .#..... ......# ....#.. ......#  #....#. ..#....  #...#.. ...#...
.#...#. ...#... #...... #....#. ....#.. #....#.  .#..#.. ..#....  #...#.. ..#....
..###.. .#####. ####### .####.. ....#.. .####..  ..##... ..#....  .###... .#.....
....... ....... ....... ....... ....... .......  ....... .......  ....... .......
....... ....... ....... ....... ....... .......  ....... .......  ....... .......
"""


def _table() -> tuple:
    rows = [r for r in C3_TABLE.split() if r]
    return tuple(tuple(1 if rows[c][o] == "X" else 0 for c in range(6)) for o in range(16))


def _prototypes() -> tuple:
    lines = [line.split() for line in DIGITS.strip().splitlines()]
    assert all(len(cell) == 7 for row in lines for cell in row) and len(lines) == 12
    return tuple(tuple(1 if ch == "#" else -1 for row in lines for ch in row[d])
                 for d in range(10))


def squash(name):
    return Layer(name, "scaled_tanh")


LENET5_1998 = Network(
    "lenet5_1998", "LeNet5Paper",
    "LeNet-5 as published (LeCun, Bottou, Bengio and Haffner 1998, section II-B): trainable "
    "subsampling, C3's connection table, squashing 1.7159 tanh(2a/3), Euclidean RBF outputs, "
    "the loss of the paper's equation (9)",
    (1, 32, 32), 10,
    (conv("c1", 6, 1, 5, "C1: convolution 5x5 -> 6 maps"), squash("c1_f"),
     Layer("s2", "subsample2d", (("w", (6,)), ("b", (6,))), (("size", 2), ("stride", 2)),
           "S2: trainable subsampling 2x2"), squash("s2_f"),
     Layer("c3", "conv2d_table", (("w", (16, 6, 5, 5)), ("b", (16,))),
           title="C3: convolution 5x5 through the connection table -> 16 maps",
           constants=(("T", _table()),)), squash("c3_f"),
     Layer("s4", "subsample2d", (("w", (16,)), ("b", (16,))), (("size", 2), ("stride", 2)),
           "S4: trainable subsampling 2x2"), squash("s4_f"),
     conv("c5", 120, 16, 5, "C5: convolution 5x5 -> 120 maps"), squash("c5_f"),
     Layer("flat", "flatten", title="120 maps of 1x1 as 120 units"),
     dense("f6", 84, 120, "F6: 84 units"), squash("f6_f"),
     Layer("out", "rbf", title="OUTPUT: 10 Euclidean RBF units",
           constants=(("w", _prototypes()),))),
    (("paper", ("rbf_map_loss",)),),
    init="paper", decide="argmin", second_order=True,
    pictures=(("out", "w", (12, 7)),),
)

LENET5 = replace(LENET5, variants=(("1998", LENET5_1998.name),), variant="article")
NETWORKS = {net.name: net for net in (LENET5, LENET5_1998)}


@dataclass
class Call:
    """One kernel call of the generated module."""
    module: str
    target: str
    args: list[str]
    options: str
    comment: str
    wrt: list[str] = field(default_factory=list)
    grads: list[tuple[str, str]] = field(default_factory=list)  # (kernel grad name, param key)
    upstream: str = ""                   # the kernel gradient passed on to the layer before
    backward_args: list[str] = field(default_factory=list)
    flat: str = ""                       # an elementwise rule applied to a (N, ...) input: its name
    gn_args: list[str] = field(default_factory=list)   # what its gauss_newton(h, ...) reads
    gn_takes_g: bool = False             # gauss_newton(h, g, ...): a second derivative of its own


def elementwise(rule) -> bool:
    """One input read at exactly the output's indices, nothing summed: a map of each entry."""
    reads = rule.expr.atoms(sp.Indexed)
    return (len(rule.tensors) == 1 and not rule.expr.has(sp.Sum)
            and all(r.indices == rule.index for r in reads))


def _param_key(layer: Layer, tensor: str) -> str:
    return f"{layer.name}_{tensor.lower()}"


def _shape_after(rule, shapes: dict[str, tuple[int, ...]], options: dict) -> tuple[int, ...]:
    sizes = {}
    for t in rule.tensors:
        if t.name in shapes:
            for d, n in zip(t.shape, shapes[t.name]):
                if d.is_Symbol:
                    sizes[d] = n
    for sym, keyword, default in rule.options:
        sizes[sym] = options.get(keyword, default)
    defs = {s: d.subs(sizes) for s, d in rule.derived}
    return tuple(int(sp.sympify(d).subs(defs).subs(sizes)) for d in rule.output.stored_shape)


def _takes_g(rule_name: str, net) -> bool:
    if not net.second_order:
        return False
    k = kernel_mod.build(RULES[rule_name], kernel_mod.DEFAULT, True)
    return k.gn_prologue is not None and k.gn_prologue.also is not None


def _kernel_args(rule_name: str, env: dict, second_order: bool = False) -> list[str]:
    k = kernel_mod.build(RULES[rule_name], kernel_mod.DEFAULT, second_order)
    return [env[name] for name in (k.gn_args if second_order else k.backward_args)]


def plan(net: Network) -> dict:
    """Forward and backward calls, parameter shapes and initial scales, for the template."""
    forward, backward, params = [], [], []
    shape = (None, *net.input_shape)
    current, first = "x", True
    for k, layer in enumerate(net.layers):
        rule = RULES[layer.rule]
        inp = rule.tensors[0]
        options = dict(layer.options)
        env = {inp.name: current}
        shapes = {inp.name: (1, *shape[1:])}
        for tname, pshape in layer.params:
            key = _param_key(layer, tname)
            env[tname] = f'p["{key}"]'
            shapes[tname] = pshape
            fan_in = int(sp.prod(pshape[1:])) if len(pshape) > 1 else 0
            params.append((key, pshape, fan_in))
        for tname, value in layer.constants:
            env[tname] = f'self.constants["{constant_key(layer, tname)}"]'
            shapes[tname] = _shape_of(value)
        out = f"h{k}"
        env[rule.output.name] = out
        opts = ", ".join(f"{kw}={v}" for kw, v in layer.options)
        flat = ""
        if len(shape) != inp.rank:
            if not (elementwise(rule) and inp.rank == 2):
                raise ValueError(f"network {net.name}: layer {layer.name} ({layer.rule}) takes "
                                 f"rank {inp.rank}, gets {_shape_text(shape)}")
            flat, shapes[inp.name] = current, (1, int(sp.prod(shape[1:])))
        out_shape = (None, *_shape_after(rule, shapes, options)[1:]) if not flat else shape
        args = [env[t.name] for t in rule.tensors]
        forward.append(Call(layer.rule, out, args, opts,
                            f"{layer.title or layer.name}: {_shape_text(out_shape)}", flat=flat))
        wrt = [t for t, _ in layer.params] + ([] if first else [inp.name])
        grads = [(t, _param_key(layer, t)) for t, _ in layer.params]
        fold = ".reshape(len(x), -1)" if flat else ""  # the saved arrays, as backward reads them
        saved = {name: code if code.startswith(("p[", "self.")) else f'h["{code}"]{fold}'
                 for name, code in env.items()}
        backward.insert(0, Call(layer.rule, "d", [], opts, layer.title or layer.name, wrt, grads,
                                inp.name if not first else "", _kernel_args(layer.rule, saved),
                                flat, _kernel_args(layer.rule, saved, True)
                                if net.second_order else [], _takes_g(layer.rule, net)))
        current, shape, first = out, out_shape, False
    heads = []
    for loss, chain in net.heads:
        calls, value = [], f'h["{current}"]'
        for rule_name in chain:
            rule = RULES[rule_name]
            env = {rule.tensors[0].name: value}
            labels = [t for t in rule.tensors if t.role == "label"]
            env.update({t.name: "onehot" for t in labels})
            target = "loss" if rule.output.rank == 0 else f"{loss}_{rule.output.name}"
            env[rule.output.name] = target
            calls.append(Call(rule_name, target, [env[t.name] for t in rule.tensors], "",
                              rule.doc, [rule.tensors[0].name], [], rule.tensors[0].name,
                              _kernel_args(rule_name, env),
                              gn_args=_kernel_args(rule_name, env, True)
                              if net.second_order else []))
            value = target
        heads.append((loss, calls))
    modules = sorted({c.module for c in forward} | {c.module for _, cs in heads for c in cs})
    return {"net": net, "forward": forward, "backward": backward, "params": params,
            "heads": heads, "modules": modules, "scores": current}


def _shape_of(value) -> tuple[int, ...]:
    """The shape of a constant given as nested tuples."""
    shape = []
    while isinstance(value, tuple):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def second_order_rules() -> set[str]:
    """The rules of networks trained with second-order steps: their kernels get the
    Gauss-Newton diagonal too."""
    return {name for net in NETWORKS.values() if net.second_order
            for name in [layer.rule for layer in net.layers]
            + [rule for _, chain in net.heads for rule in chain]}


def pictures(net: Network) -> list[tuple[str, tuple, tuple[int, int]]]:
    """(file stem, values, bitmap shape) of each constant the network's description draws."""
    out = []
    for layer_name, tensor, shape in net.pictures:
        layer = next(layer for layer in net.layers if layer.name == layer_name)
        values = dict(layer.constants)[tensor]
        out.append((f"{net.name}_{constant_key(layer, tensor)}", values, shape))
    return out


def constants(net: Network) -> list[tuple[str, tuple, str]]:
    """(key, shape, NumPy literal) of every constant tensor of the network's layers."""
    out = []
    for layer in net.layers:
        for tname, value in layer.constants:
            out.append((constant_key(layer, tname), _shape_of(value), repr(value)))
    return out


def _shape_text(shape) -> str:
    return "(" + ", ".join("N" if d is None else str(d) for d in shape) + ")"
