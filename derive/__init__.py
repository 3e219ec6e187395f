"""symprop: back-propagation derived by SymPy from each layer's forward expression.

The public API, for writing rules of your own (see the README's "Your own layer")::

    from derive import Rule, Sum, Tensor, indices, sizes

    n, j = indices("n j")               # integer index symbols
    N, J = sizes("N J")                 # positive integer sizes
    z = Tensor("z", (N, J))             # role "input" (differentiated): an activation
    w = Tensor("w", (J,), "param")      # role "param" (differentiated): trained
    softsign = Rule("softsign", Tensor("a", (N, J)), (n, j), w[j] * z[n, j] / (1 + Abs(z[n, j])),
                    (z, w), doc="a learnable softsign")

A `Rule` is `output[index] = expr` over the tensors it reads; `Sum` (SymPy's), `Max` over an index
(`ReduceMax`) and elementwise functions build `expr`. Everything about the gradient is derived.
`load_rules(path)` reads the rules of a file, `gradient(rule, name)` is the derivation of one
gradient, `render_kernel(rule)` the generated module's source, `gradcheck(rules)` the check.
Errors: `RuleError` (a rule that cannot be defined or derived), `LoweringError` (a formula with no
NumPy form); both name the rule, the tensor, the step and the sub-expression.
"""
from sympy import (Abs, Eq, Max, Min, Piecewise, Rational, Sum, cos, exp, log, sin, sqrt,
                   tanh)

from derive.errors import LoweringError, RuleError
from derive.symbolic.rule import Rule, Tensor, indices, sizes
from derive.symbolic.stable import ReduceMax


def gradient(rule, name):
    """The derivation of ∂L/∂`name` for `rule`: chain rule, Kronecker form, solved, lowered."""
    from derive.symbolic.differentiate import gradient as derive_gradient

    return derive_gradient(rule, name)


def render_kernel(rule) -> str:
    """The source of the generated NumPy module for `rule`."""
    from derive.render import render_kernel as render

    return render(rule)


def load_rules(path):
    """The rules a Python file defines (a module-level RULES, or every module-level Rule)."""
    from derive.rulefile import load_rules as load

    return load(path)


def gradcheck(rules, seed: int = 0, echo=print):
    """Generate each rule's kernel and compare its gradients with finite differences."""
    from derive.gradcheck import gradcheck as check

    return check(rules, seed=seed, echo=echo)


__all__ = ["Abs", "Eq", "LoweringError", "Max", "Min", "Piecewise", "Rational", "ReduceMax",
           "Rule", "RuleError", "Sum", "Tensor", "cos", "exp", "gradcheck", "gradient",
           "load_rules", "log", "render_kernel", "sin", "sizes", "sqrt", "tanh", "indices"]
