"""Printers: NumPy code for elementwise expressions, one-line text for comments, LaTeX for documents."""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter
from sympy.printing.str import StrPrinter


class KernelPrinter(NumPyPrinter):
    """Prints right-hand sides of elementwise NumPy code; arrays arrive as already-aligned symbols."""
    _module = "np"

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True})

    def _module_format(self, fqn, register=True):
        if "." in fqn and not fqn.startswith(("numpy.", "np.")):
            # a generated module imports NumPy only: a function from elsewhere (scipy's erf)
            # would fail when the kernel runs, so it fails here, when it is printed
            raise NotImplementedError(f"{fqn.rsplit('.', 1)[-1]} has no NumPy function "
                                      f"(the printer would call {fqn})")
        return super()._module_format(fqn, register).replace("numpy.", "np.")

    def _print_Piecewise(self, expr):
        *branches, (last, cond) = expr.args
        if cond is not sp.true:
            raise NotImplementedError(f"a Piecewise without an otherwise-branch: {expr}")
        code = self._print(last)
        for value, cond in reversed(branches):
            code = f"np.where({self._print(cond)}, {self._print(value)}, {code})"
        return code

    def _print_Pow(self, expr, rational=False):
        if expr.exp == -1:
            return f"1/{self.parenthesize(expr.base, 50)}"
        return super()._print_Pow(expr, rational)

    def _print_Attains(self, expr):
        x, m = expr.args
        return f"({self._print(x)} == {self._print(m)})"

    def _print_Relational(self, expr):
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}"

    def _print_Float(self, expr):
        return repr(float(expr))


class TextPrinter(StrPrinter):
    """Formulas for code comments: `Σ_{j} g[n,j]*W[j,i]`."""

    def _print_Indexed(self, expr):
        return f"{self._print(expr.base.label)}[{','.join(self._print(i) for i in expr.indices)}]"

    def _print_Sum(self, expr):
        below = ",".join(self._print(v) for v, *_ in expr.limits)
        return f"Σ_{{{below}}}({self._print(expr.function)})"


class DerivationPrinter(LatexPrinter):
    """LaTeX in the article's notation: `W_{ji}`, the upstream gradient as `\\delta^{z}`."""

    def __init__(self, upstream_name: str = "z", settings=None):
        super().__init__(settings or {})
        self.upstream_name = upstream_name

    def _print_Indexed(self, expr):
        label = str(expr.base.label)
        name = rf"\delta^{{{self.upstream_name}}}" if label == "g" else self._print(expr.base.label)
        sub = "".join(self._print(i) for i in expr.indices)
        if any(len(self._print(i)) > 1 for i in expr.indices):
            sub = ", ".join(self._print(i) for i in expr.indices)
        return f"{name}_{{{sub}}}"

    def _print_Derivative(self, expr):
        (x, count), = expr.variable_count
        return rf"\frac{{\partial {self._print(expr.expr)}}}{{\partial {self._print(x)}}}"

    def _print_KroneckerDelta(self, expr, exp=None):
        a, b = (self._print(x) for x in expr.args)
        tex = rf"\delta_{{{a}{b}}}" if len(a) == len(b) == 1 else rf"\delta_{{{a}, {b}}}"
        return rf"{tex}^{{{exp}}}" if exp else tex

    def _print_Symbol(self, expr, style="plain"):
        if expr.name == "g":
            return rf"\frac{{\partial \mathcal{{L}}}}{{\partial {self.upstream_name}}}"
        return super()._print_Symbol(expr, style)


class SizePrinter(PythonCodePrinter):
    """Integer arithmetic on sizes and offsets: floor division, builtin max/min."""

    def _print_Symbol(self, expr):
        return expr.name.replace("'", "_")

    def _print_floor(self, expr):
        num, den = sp.fraction(sp.together(expr.args[0]))
        return f"({self._print(num)}) // ({self._print(den)})"

    def _print_ceiling(self, expr):
        num, den = sp.fraction(sp.together(expr.args[0]))
        return f"-(({self._print(-num)}) // ({self._print(den)}))"

    def _print_Max(self, expr):
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._print(a) for a in expr.args)})"

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}"


def size_code(expr) -> str:
    return SizePrinter().doprint(sp.sympify(expr))


def _signs_inside(expr):
    """-(-P - p + u)/s as (P + p - u)/s: a negated sum is printed with its signs flipped."""
    def flip(m):
        sums = [f for f in m.args if isinstance(f, sp.Add)]
        rest = [f for f in m.args if f is not sums[0] and f != -1]
        return sp.Mul(*rest, sp.expand(-sums[0]))

    return expr.replace(lambda e: isinstance(e, sp.Mul) and -1 in e.args
                        and sum(isinstance(f, sp.Add) for f in e.args) == 1, flip)


def text(expr: sp.Expr) -> str:
    return TextPrinter().doprint(_signs_inside(expr))


def latex(expr: sp.Expr, upstream_name: str = "z") -> str:
    return DerivationPrinter(upstream_name).doprint(_signs_inside(expr))
