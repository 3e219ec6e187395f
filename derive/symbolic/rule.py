"""What a layer rule is: tensors with symbolic shapes and one forward expression in index notation.

A rule knows nothing about its gradient. It is validated when it is built, so that a bad rule fails
here, with its name, instead of deep inside SymPy later.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive.errors import RuleError  # noqa: F401  (re-exported: rules raise it)
from derive.symbolic.validate import FIXED, ROLES, validate_rule


def sizes(names: str) -> tuple[sp.Symbol, ...]:
    """Symbolic dimension sizes (positive integers)."""
    return sp.symbols(names, integer=True, positive=True, seq=True)


def indices(names: str) -> tuple[sp.Symbol, ...]:
    """Index symbols (integers)."""
    return sp.symbols(names, integer=True, seq=True)


@dataclass(frozen=True)
class Tensor:
    """A named array of a rule: its shape in size symbols and its role.

    `role` is "input" (an activation from the previous layer), "param" (a trained parameter),
    "constant" (fixed values that come with the layer: a connection table, RBF prototypes) or
    "label" (data that is not differentiated). `padding` marks a tensor whose reads outside its
    shape are zero: only such a tensor may be indexed out of range. `fused` stores the logical
    axes in groups, each group as one row-major axis (a flatten is `((0,), (1, 2, 3))`).
    """
    name: str
    shape: tuple[sp.Expr, ...]
    role: str = "input"
    padding: bool = False
    fused: tuple[tuple[int, ...], ...] = ()

    @property
    def stored_shape(self) -> tuple[sp.Expr, ...]:
        """The shape of the array in memory: `fused` groups logical axes row-major into one."""
        if not self.fused:
            return self.shape
        return tuple(sp.Mul(*[self.shape[a] for a in group]) for group in self.fused)

    @property
    def base(self) -> sp.IndexedBase:
        return sp.IndexedBase(self.name, real=True)  # entries are real numbers

    def __getitem__(self, idx) -> sp.Indexed:
        idx = idx if isinstance(idx, tuple) else (idx,)
        return sp.Indexed(self.base, *idx)

    @property
    def rank(self) -> int:
        return len(self.shape)


@dataclass(frozen=True)
class Rule:
    """One layer: `output[index] = expr`, with the tensors it reads.

    `facts` are equations the math may use (`Sum(y[n, k], (k, 0, K - 1)) = 1` for a one-hot label);
    `constants` are symbols with the value the kernels use; `options` are integer symbols the
    kernels take as keyword arguments: `(symbol, keyword, default)`; `derived` defines sizes computed
    from others (an output height `OH = floor((H + 2p - KH)/s) + 1`); `doc` is one line for the reader.
    """
    name: str
    output: Tensor
    index: tuple[sp.Symbol, ...]
    expr: sp.Expr
    tensors: tuple[Tensor, ...]
    doc: str = ""
    facts: tuple[sp.Eq, ...] = ()
    constants: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    options: tuple[tuple[sp.Symbol, str, int], ...] = field(default=())
    derived: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()

    def __post_init__(self):
        validate_rule(self)

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return self.tensors

    @property
    def differentiable(self) -> tuple[Tensor, ...]:
        return tuple(t for t in self.tensors if t.role not in FIXED)

    def tensor(self, name: str) -> Tensor:
        for t in (*self.tensors, self.output):
            if t.name == name:
                return t
        raise KeyError(f"rule {self.name!r} has no tensor {name!r}")

    @property
    def shapes(self) -> dict[str, tuple[sp.Expr, ...]]:
        return {t.name: t.shape for t in (*self.tensors, self.output)}

    @property
    def out_ranges(self) -> dict[sp.Symbol, tuple[sp.Expr, sp.Expr]]:
        return {i: (sp.Integer(0), n - 1) for i, n in zip(self.index, self.output.shape)}
