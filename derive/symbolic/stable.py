"""Numerically stable forms, as rewrites of the expression before it is lowered.

- `Σ_m exp(X[m])` becomes `exp(M) · Σ_m exp(X[m] - M)` with `M = max_m X[m]` (a `ReduceMax`);
  exponentials then combine, so `exp(z_k) / Σ_m exp(z_m)` is computed as a shifted softmax;
- `log(exp(X) · rest)` becomes `X + log(rest)`, so `log Σ exp` is a log-sum-exp.
Nothing here knows a layer: it acts on the shape of the expression.
"""
from __future__ import annotations

import sympy as sp
from sympy.concrete.expr_with_intlimits import ExprWithIntLimits


class ReduceMax(ExprWithIntLimits):
    """max over bounded integer variables, binding them like `Sum` does."""
    is_reduction = True

    def __new__(cls, function, *symbols, **assumptions):
        from sympy.concrete.expr_with_limits import _common_new

        pre = _common_new(cls, function, *symbols, discrete=True, **assumptions)
        if isinstance(pre, tuple):
            function, limits, _ = pre
        else:
            return pre
        obj = sp.Expr.__new__(cls, **assumptions)
        obj._args = (function, *limits)
        return obj

    @property
    def is_commutative(self):
        return True

    def _latex(self, printer):
        below = ", ".join(printer._print(v) for v, *_ in self.limits)
        return r"\max_{%s} %s" % (below, printer._print(self.function))

    def _sympystr(self, printer):
        below = ",".join(printer._print(v) for v, *_ in self.limits)
        return "max_{%s}(%s)" % (below, printer._print(self.function))


def _shift(node: sp.Sum) -> sp.Expr:
    x = node.function.args[0]
    top = ReduceMax(x, *node.limits)
    return sp.exp(top) * sp.Sum(sp.exp(x - top), *node.limits)


def _positive_sum(x: sp.Expr) -> bool:
    return isinstance(x, sp.Sum) and isinstance(x.function, sp.exp)


def _split_log(node: sp.log) -> sp.Expr:
    """log of a product of exponentials and powers of sums of exponentials, taken apart."""
    parts = sp.Mul.make_args(node.args[0])
    split, rest = [], []
    for f in parts:
        if isinstance(f, sp.exp):
            split.append(f.args[0])
        elif isinstance(f, sp.Pow) and _positive_sum(f.base):
            split.append(f.exp * sp.log(f.base))
        else:
            rest.append(f)
    if not split:
        return node
    return sp.Add(*split) + sp.log(sp.Mul(*rest))


def stabilize(expr: sp.Expr) -> sp.Expr:
    expr = expr.replace(
        lambda e: isinstance(e, sp.Sum) and isinstance(e.function, sp.exp)
        and not e.function.has(ReduceMax),
        _shift)
    expr = sp.powsimp(expr, combine="exp", deep=True)
    return expr.replace(lambda e: isinstance(e, sp.log), _split_log)
