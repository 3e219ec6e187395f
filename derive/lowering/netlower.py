"""The whole-network lowering: every layer's derived formulas lowered together into one module.

A per-rule kernel sees one layer with symbolic sizes; here the lowering sees the whole chain with
its sizes known, so it can decide what no kernel can:

- one memory layout for the chain (`Strategy.batch`): activations are stored batch-last,
  (C, H, W, N) and (J, N), and the input is transposed once at the start;
- window sums as one matrix product each (`Strategy.window = "gemm"`, `derive.gemm`), the patch
  array of a convolution's forward kept and read again by its weight gradient (the same array at
  the same index expressions);
- which forward arrays the derived backward formulas read, and so are kept ("saved"), found by
  reading the lowered code, never by the layer's name.

Each layer's forward expression and each derived gradient are the rule's own, with the network's
array names and sizes substituted: an elementwise rule (one input read at the output's index) reads
each entry of an array of any rank at that array's index.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from derive.symbolic.differentiate import gradient, stored_index
from derive.lowering.kernel import _tokens, lowering_step
from derive.lowering.lower import Lowering
from derive.lowering.network import (Network, _shape_of, _shape_text, constant_key, constants,
                                     elementwise)
from derive.symbolic.printing import text
from derive.rules import RULES
from derive.symbolic.stable import ReduceMax, stabilize
from derive.lowering.strategy import NETWORK, Strategy

BATCH = sp.Symbol("N", integer=True, positive=True)


@dataclass
class Block:
    """Lines of the generated module that implement one formula, with the formula as comment;
    `flops` and `entries` (read and written) of the formula itself, in the batch size N."""
    title: str
    formula: str
    lines: list[str]
    flops: sp.Expr = sp.Integer(0)
    entries: sp.Expr = sp.Integer(0)
    key: str = ""            # the lowering's prefix: names its temporaries, keys its liveness


@dataclass
class Step:
    """One layer (or loss) lowered: its forward block and its gradient blocks."""
    name: str
    rule: str
    title: str
    shape: str
    forward: list[Block] = field(default_factory=list)
    backward: list[Block] = field(default_factory=list)
    grads: list[tuple[str, str]] = field(default_factory=list)   # (param key, code name)


def _batch_last(shape: tuple) -> tuple:
    return (*shape[1:], shape[0]) if shape else shape


class _Layer:
    """A rule bound to the network: array names, concrete sizes, the layout."""

    def __init__(self, rule, names: dict[str, str], shapes: dict[str, tuple], options: dict,
                 strategy: Strategy, batched: set[str]):
        self.rule, self.strategy = rule, strategy
        sizes = {sym: options.get(kw, default) for sym, kw, default in rule.options}
        wide = {}
        for t in rule.tensors:
            if t.name not in shapes:
                continue
            actual = shapes[t.name]
            if len(actual) != t.rank and elementwise(rule):
                wide = {t.name: actual}
                continue
            for d, n in zip(t.shape, actual):
                if d.is_Symbol:
                    sizes[d] = BATCH if n is None else n
        for sym, definition in rule.derived:
            sizes[sym] = sp.floor(definition.subs(sizes)) if definition.has(sp.floor) \
                else definition.subs(sizes)
        self.sizes = {s: sp.sympify(v) for s, v in sizes.items()}
        self.constants = dict(rule.constants)
        self.names = names
        self.wide_shape = next(iter(wide.values()), None)
        self.batched = {t.name for t in (*rule.tensors, rule.output)
                        if t.rank and t.shape[0] == rule.tensors[0].shape[0]} & batched
        if rule.output.name in self.batched:
            self.batched.add("g")  # the upstream gradient has the output's shape
        self.shapes = {}
        for t in (*rule.tensors, rule.output):
            shape = self._shape(t)
            self.shapes[names[t.name]] = shape

    def _shape(self, t, stored=True) -> tuple:
        if self.wide_shape is not None:
            shape = tuple(BATCH if d is None else d for d in self.wide_shape)
        else:
            dims = t.stored_shape if stored else t.shape
            shape = tuple(sp.sympify(d).subs(self.sizes) for d in dims)
        if t.name in self.batched and self.strategy.batch == "last":
            shape = _batch_last(shape)
        return shape

    def widen(self, expr, index):
        """An elementwise rule's expression read at an index of the array's own rank."""
        if self.wide_shape is None:
            return expr, index
        wide = (index[0], *sp.symbols(f"{index[1].name.rstrip(chr(39))}1:{len(self.wide_shape)}",
                                      integer=True))
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.indices == tuple(index),
                            lambda e: e.base[wide]), wide

    def bind(self, expr, index):
        """The expression with the network's names and sizes, in the network's layout."""
        expr, index = self.widen(expr, index)
        expr = expr.subs(self.sizes).subs(self.constants)
        rename = {}
        for read in expr.atoms(sp.Indexed):
            label = str(read.base.label)
            ix = read.indices
            if label in self.batched and self.strategy.batch == "last":
                ix = _batch_last(ix)
            rename[read] = sp.IndexedBase(self.names.get(label, label), real=True)[ix]
        expr = expr.xreplace(rename)
        return expr, index


def _statement_lines(statements) -> list[str]:
    lines = []
    for st in statements:
        if st.code is None:
            lines += st.lines
        else:
            lines.append(f"{st.target} = {st.code}  # {st.shape}")
    return lines


def _assign(layer: _Layer, target: str, expr, index, shape, batched: bool, prefix: str,
            shared: dict, dead: dict) -> list[str]:
    low = Lowering(dict(layer.shapes), layer.strategy, prefix=prefix, shared=shared,
                   consumable=dead.get(prefix, frozenset()))
    axes = _batch_last(index) if batched and layer.strategy.batch == "last" else index
    with lowering_step(layer.rule, f"{target} in the network", expr):
        low.assign(target, expr, tuple(axes), tuple(shape))
    return _statement_lines(low.statements)


def _lower_step(step: Step, rule, bound: _Layer, names: dict, wanted, k: str, shared: dict,
                dead: dict, upstream_one: bool = False) -> None:
    """The forward block and the gradient blocks of one rule bound into the network."""
    out = rule.output
    target = names[out.name]
    expr, index = bound.bind(stabilize(rule.expr), rule.index)
    logical = bound._shape(out, stored=False) if out.rank else ()
    stored = bound.shapes[target]
    lines = _assign(bound, target, expr, index, logical, True, f"{k}_f", shared, dead)
    if logical != stored:
        lines.append(f"{target} = {target}.reshape({', '.join(map(str, stored))})"
                     f"  # stored {_dims(stored)}")
    lhs = f"{out.name}[{','.join(map(str, rule.index))}]" if out.rank else out.name
    step.forward.append(Block(f"{rule.name}", f"{lhs} = {text(rule.expr)}", lines,
                              *cost(expr, bound.shapes, logical), key=f"{k}_f"))
    upstream = names["g"]
    bound.shapes[upstream] = logical
    for t in wanted:
        gr = gradient(rule, t.name)
        expr, index = bound.bind(stabilize(gr.lowered), gr.index)
        if upstream_one:
            expr = expr.subs(sp.Symbol("g"), 1)
        target = f"grad_{names[t.name]}" if t.role == "param" else f"g_{names[t.name]}"
        if t.role == "param":
            step.grads.append((names[t.name], target))
        lines = []
        if logical != stored and out.rank:
            lines.append(f"{upstream} = {upstream}.reshape({', '.join(map(str, logical))})")
        key = f"{k}_d{t.name.lower()}"
        lines += _assign(bound, target, expr, index, bound._shape(t), t.name in bound.batched,
                         key, shared, dead)
        step.backward.append(Block(f"dJ/d{t.name}", f"dJ/d{t.name}[{','.join(map(str, gr.index))}]"
                                   f" = {text(gr.result)}", lines,
                                   *cost(expr, bound.shapes, bound._shape(t)), key=key))


def lower_network(net: Network, strategy: Strategy = NETWORK) -> dict:
    """The blocks of the network module: forward and backward of every layer and loss head.

    Lowered twice: the first pass shows which arrays each block reads; the second lets a block
    write into the arrays that no later block reads (`dead`), so elementwise layers and their
    gradients run in place."""
    first = _lower(net, strategy, {})
    if not strategy.workspaces:
        return first
    return _lower(net, strategy, dead_after(first))


def dead_after(data: dict) -> dict[str, frozenset]:
    """For each block (by key), the arrays it reads that no block after it reads, on every path
    through the module: the forward, then each loss head, then the backward of the layers.
    Never the input, the parameters, the labels, or an array another name is a view of."""
    forward = [b for st in data["steps"] for b in st.forward]
    backward = [b for st in reversed(data["steps"]) for b in st.backward]
    paths = []
    for _, head in data["heads"]:
        paths.append(forward + [b for st in head for b in st.forward]
                     + [b for st in reversed(head) for b in st.backward] + backward)
    every = [line for path in paths for b in path for line in b.lines]
    protected = {"x", "onehot", "N"} | {key for key, _, _ in data["params"]} | _views(every) \
        | {key for key, _, _ in data["constants"]}
    dead: dict[str, frozenset] = {}
    for path in paths:
        later: set = set()
        for b in reversed(path):
            reads = set(_tokens(" ".join(b.lines)))
            mine = frozenset(reads - later - protected)
            dead[b.key] = dead[b.key] & mine if b.key in dead else mine
            later |= reads
    return dead


def _views(lines: list[str]) -> set[str]:
    """Names bound to another array or a view of it (`h6 = h5`, `g = g.reshape(...)`): two
    names of one buffer, never written in place."""
    names = set()
    for line in lines:
        if line.endswith("# in place"):  # the operand it names is read by nobody afterwards
            continue
        m = re.match(r"\s*(\w+) = (\w+)(\.reshape\(.*\)|\.T)?(\s*#.*)?$", line)
        if m:
            names |= {m.group(1), m.group(2)}
    return names


def _lower(net: Network, strategy: Strategy, dead: dict) -> dict:
    steps, params = [], []
    shape = (None, *net.input_shape)
    current = "x"
    for k, layer in enumerate(net.layers):
        rule = RULES[layer.rule]
        inp = rule.tensors[0]
        names = {inp.name: current, rule.output.name: f"h{k}", "g": f"g_h{k}"}
        shapes = {inp.name: shape}
        for tname, pshape in layer.params:
            names[tname] = f"{layer.name}_{tname.lower()}"
            shapes[tname] = pshape
            fan_in = int(sp.prod(pshape[1:])) if len(pshape) > 1 else 0
            params.append((names[tname], pshape, fan_in))
        for tname, value in layer.constants:
            names[tname] = constant_key(layer, tname)
            shapes[tname] = _shape_of(value)
        bound = _Layer(rule, names, shapes, dict(layer.options), strategy,
                       {inp.name, rule.output.name})
        step = Step(layer.name, layer.rule, layer.title or layer.name, "")
        wanted = [t for t in rule.differentiable if t.role == "param" or k > 0]
        _lower_step(step, rule, bound, names, wanted, layer.name, {}, dead)
        shape = (None, *_sample_shape(bound, rule))
        step.shape = _shape_text(shape)
        steps.append(step)
        current = f"h{k}"
    heads = []
    for loss, chain in net.heads:
        value, head = current, []
        for r, rule_name in enumerate(chain):
            rule = RULES[rule_name]
            inp = rule.tensors[0]
            last = r == len(chain) - 1
            target = "loss" if not rule.output.rank else f"{loss}_{rule.output.name}"
            names = {inp.name: value, rule.output.name: target, "g": f"g_{target}"}
            names.update({t.name: "onehot" for t in rule.tensors if t.role == "label"})
            shapes = {t.name: shape for t in rule.tensors}
            batched = {t.name for t in rule.tensors} | ({rule.output.name} if rule.output.rank
                                                        else set())
            bound = _Layer(rule, names, shapes, {}, strategy, batched)
            step = Step(loss, rule_name, rule.doc, "")
            _lower_step(step, rule, bound, names, [inp], f"{loss}{r}", {}, dead,
                        upstream_one=last)
            head.append(step)
            value = target
        heads.append((loss, head))
    return _module_data(net, steps, heads, params, current) | {"layout": layout(net, strategy)}


def cost(expr: sp.Expr, shapes: dict, out_shape) -> tuple[sp.Expr, sp.Expr]:
    """(floating-point operations, array entries read and written) of one formula: a sum costs
    an add per term and its body's operations at every term; an elementwise operation one per
    entry. What any implementation must at least do and move: the bound `make bench` compares
    each block's time against."""
    def count(e, points):
        if isinstance(e, (sp.Sum, ReduceMax)):
            inner = sp.Mul(*[hi - lo + 1 for _, lo, hi in e.limits])
            return points * inner + count(e.function, points * inner)
        if isinstance(e, (sp.Indexed, sp.Symbol, sp.Number)) or not e.args:
            return sp.Integer(0)
        own = len(e.args) - 1 if isinstance(e, (sp.Add, sp.Mul)) else 1
        return own * points + sum(count(a, points) for a in e.args if not isinstance(a, sp.Number))
    size = sp.Mul(*out_shape)
    arrays = {str(r.base.label) for r in expr.atoms(sp.Indexed)}
    entries = size + sum(sp.Mul(*shapes[a]) for a in sorted(arrays) if a in shapes)
    return sp.expand(count(expr, size)), sp.expand(entries)


def layout(net: Network, strategy: Strategy) -> dict:
    """Code for the module's boundary: the input into the chain's layout, labels, scores out."""
    sample = ", ".join(map(str, net.input_shape))
    if strategy.batch == "last":
        perm = (*range(1, len(net.input_shape) + 1), 0)
        return {"doc": "activations stored batch-last, (C, H, W, N) and (J, N), the input "
                       "transposed once",
                "input": f"np.ascontiguousarray(x.transpose{perm})", "input_dims": f"({sample}, N)",
                "onehot_shape": "(CLASSES, n)", "onehot_dims": "(CLASSES, N)",
                "onehot_index": "y, np.arange(n)",
                "scores": "scores.T.copy()", "scores_dims": "(CLASSES, N)"}
    return {"doc": "activations stored batch-first, as the kernels take them",
            "input": "x", "input_dims": f"(N, {sample})",
            "onehot_shape": "(n, CLASSES)", "onehot_dims": "(N, CLASSES)",
            "onehot_index": "np.arange(n), y", "scores": "scores.copy()", "scores_dims": "(N, CLASSES)"}


def _targets(lines: list[str]) -> set[str]:
    return {line.split(" = ")[0].strip() for line in lines if " = " in line
            and line.split(" = ")[0].strip().isidentifier()}


def _module_data(net, steps, heads, params, scores) -> dict:
    forward = [line for st in steps for b in st.forward for line in b.lines]
    backward = [line for st in steps for b in st.backward for line in b.lines]
    backward += [line for _, head in heads for st in head for b in st.forward + st.backward
                 for line in b.lines]
    defined = _targets(forward) | {"x"}
    saved = sorted(set(_tokens(" ".join(backward))) & defined - {scores}, key=_natural)
    code = " ".join(forward + backward)
    runtime = [h for h in ("_dilate", "_fit", "_matmul_split", "_pad", "_span", "_view")
               if h + "(" in code]
    runtime += ["Workspace"] if "ws." in code else []
    param_names = {key for key, _, _ in params} | {key for key, _, _ in constants(net)}
    return {"net": net, "steps": steps, "heads": heads, "params": params, "scores": scores,
            "constants": constants(net),
            "saved": saved, "runtime": runtime,
            "forward_params": sorted(param_names & set(_tokens(" ".join(forward))), key=_natural),
            "backward_params": sorted(param_names & set(_tokens(" ".join(backward))),
                                      key=_natural)}


def _natural(name: str):
    head = name.rstrip("0123456789")
    return (head, int(name[len(head):] or -1))


def _dims(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _sample_shape(bound: _Layer, rule) -> tuple:
    if bound.wide_shape is not None:
        return tuple(bound.wide_shape[1:])
    shape = tuple(sp.sympify(d).subs(bound.sizes) for d in rule.output.stored_shape)
    return tuple(int(d) for d in shape[1:])
