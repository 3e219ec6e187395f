"""Numerically stable forms, as rewrites of the expression before it is lowered.

- `Σ_m exp(X[m])` becomes `exp(M) · Σ_m exp(X[m] - M)` with `M = max_m X[m]` (a `ReduceMax`);
  exponentials then combine, so `exp(z_k) / Σ_m exp(z_m)` is computed as a shifted softmax;
- `log(exp(X) · rest)` becomes `X + log(rest)`, so `log Σ exp` is a log-sum-exp.
Nothing here knows a layer: it acts on the shape of the expression.
"""
from __future__ import annotations

from functools import lru_cache

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

    def _eval_derivative(self, s):
        """The derivative of a maximum goes to the entries that attain it: every one of them,
        when several tie (Theano's convention; ties have probability zero for continuous
        inputs). d max_u f(u) = Σ_u [f(u) = max] · df(u)."""
        f = self.function
        inner = {v: sp.Dummy(v.name, integer=True) for v, _, _ in self.limits}
        top = ReduceMax(f.xreplace(inner), *[(inner[v], lo, hi) for v, lo, hi in self.limits])
        return sp.Sum(Attains(f, top) * sp.diff(f, s), *self.limits)

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm

        below = ",".join(printer._print(v).render() for v, *_ in self.limits)
        body = printer._print(self.function)
        head = prettyForm(*prettyForm(f"max_{below} ").right(body))
        return head

    def _latex(self, printer):
        below = ", ".join(printer._print(v) for v, *_ in self.limits)
        return r"\max_{%s} %s" % (below, printer._print(self.function))

    def _sympystr(self, printer):
        below = ",".join(printer._print(v) for v, *_ in self.limits)
        return "max_{%s}(%s)" % (below, printer._print(self.function))


class Attains(sp.Function):
    """The Iverson bracket [x = m]: 1 where x attains the maximum m, else 0 (constant between
    ties, so its derivative is zero). Opaque to SymPy, which would otherwise move a Piecewise on
    a summation index out of its sum."""
    nargs = 2

    def fdiff(self, argindex=1):
        return sp.Integer(0)

    def _latex(self, printer):
        x, m = self.args
        return r"\left[%s = %s\right]" % (printer._print(x), printer._print(m))

    def _sympystr(self, printer):
        x, m = self.args
        return "[%s == %s]" % (printer._print(x), printer._print(m))


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


@lru_cache(maxsize=None)
def stabilize(expr: sp.Expr) -> sp.Expr:
    expr = expr.replace(
        lambda e: isinstance(e, sp.Sum) and isinstance(e.function, sp.exp)
        and not e.function.has(ReduceMax),
        _shift)
    expr = sp.powsimp(expr, combine="exp", deep=True)
    return expr.replace(lambda e: isinstance(e, sp.log), _split_log)
