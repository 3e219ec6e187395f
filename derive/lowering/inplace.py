"""Elementwise expressions as a chain of NumPy ufunc calls written into one buffer (`out=`).

`g*(1 - a**2)` printed plainly allocates three arrays of the full shape; as a chain it is

    dest = ws.empty(...);  np.multiply(a, a, out=dest);  np.subtract(1, dest, out=dest);
    np.multiply(dest, g, out=dest)

three passes over memory the caller keeps. A sub-expression that does not span the full shape
(a bias broadcast along the batch, a scalar) is printed as ordinary code and used as an operand.
Nothing here knows a layer: the chain follows the expression tree (Add, Mul, Pow, functions).
"""
from __future__ import annotations

import sympy as sp

from derive.symbolic.printing import KernelPrinter

# SymPy functions whose NumPy ufunc has the same name (lower case)
_UFUNC = {f: f.__name__.lower() for f in (sp.tanh, sp.exp, sp.log, sp.sin, sp.cos, sp.Abs,
                                          sp.cosh, sp.sinh)}


class NotAChain(Exception):
    pass


class Chain:
    """Lines computing `expr` into `dest`; `axes` gives each leaf symbol's axes, `full` the
    output's; `buffer(k)` names the k-th extra buffer of the full shape."""

    def __init__(self, axes: dict, full: tuple, buffer):
        self.axes, self.full, self.buffer = axes, set(full), buffer
        self.lines: list[str] = []
        self.extra = 0

    def spans(self, e) -> bool:
        leaves = [s for s in e.free_symbols if s in self.axes]
        return {a for s in leaves for a in self.axes[s]} == self.full

    def code(self, e) -> str:
        return KernelPrinter().doprint(e)

    def operand(self, e) -> str:
        """Code for an operand: a leaf or a small sub-expression as it is, a full one computed
        into a buffer of its own."""
        if e in self.axes or not self.spans(e):
            return self.code(e)
        self.extra += 1
        tmp = self.buffer(self.extra)
        self.into(e, tmp)
        return tmp

    def into(self, e, dest: str) -> None:
        if isinstance(e, sp.Add):
            self._fold(e, dest, "add", "subtract", sp.Add)
        elif isinstance(e, sp.Mul):
            self._fold(e, dest, "multiply", "divide", sp.Mul)
        elif isinstance(e, sp.Pow) and e.exp == 2:
            x = self._first(e.base, dest)
            self.lines.append(f"np.multiply({x}, {x}, out={dest})")
        elif isinstance(e, sp.Pow) and e.exp == -1:
            x = self._first(e.base, dest)
            self.lines.append(f"np.divide(1, {x}, out={dest})")
        elif isinstance(e, sp.Pow):
            x = self._first(e.base, dest)
            self.lines.append(f"np.power({x}, {self.code(e.exp)}, out={dest})")
        elif isinstance(e, sp.Function) and e.func in _UFUNC and len(e.args) == 1:
            x = self._first(e.args[0], dest)
            self.lines.append(f"np.{_UFUNC[e.func]}({x}, out={dest})")
        elif e in self.axes:
            self.lines.append(f"np.copyto({dest}, {self.code(e)})")
        else:
            raise NotAChain(str(e))

    def _first(self, e, dest: str) -> str:
        """`e` as the operand of an op that writes `dest`: computed into dest itself if full."""
        if e in self.axes or not self.spans(e):
            return self.code(e)
        self.into(e, dest)
        return dest

    def _fold(self, e, dest: str, op: str, inverse: str, kind) -> None:
        """A sum or product: one full term into dest, the others combined into it; terms whose
        sign (or power) is negative are subtracted (divided)."""
        parts = []
        for term in e.args:
            flip, base = _split(term, kind)
            parts.append((flip, base))
        full = [p for p in parts if self.spans(p[1])]
        small = [kind(*[_join(f, b, kind) for f, b in parts if not self.spans(b)])]
        small = [s for s in small if s != kind.identity]
        if not full:
            raise NotAChain(str(e))
        # start with a compound full term (so leaves combine into it in place), positive first
        full.sort(key=lambda p: (p[0], p[1] in self.axes))
        flip, first = full[0]
        rest = full[1:]
        if first in self.axes:
            head = self.code(first)
            if flip:  # c - a, -a, 1/a: one operation from the leaf
                if small:
                    self.lines.append(f"np.{inverse}({self.code(small.pop())}, {head}, out={dest})")
                elif kind is sp.Add:
                    self.lines.append(f"np.negative({head}, out={dest})")
                else:
                    self.lines.append(f"np.divide(1, {head}, out={dest})")
                flip = False
            elif rest:
                other = rest.pop(0)
                self.lines.append(f"np.{inverse if other[0] else op}({head}, "
                                  f"{self.operand(other[1])}, out={dest})")
            elif small:
                self.lines.append(f"np.{op}({head}, {self.code(small.pop())}, out={dest})")
            else:
                self.into(first, dest)
        else:
            self.into(first, dest)
        if flip:
            if small:
                self.lines.append(f"np.{inverse}({self.code(small.pop())}, {dest}, out={dest})")
            elif kind is sp.Add:
                self.lines.append(f"np.negative({dest}, out={dest})")
            else:
                self.lines.append(f"np.divide(1, {dest}, out={dest})")
        for f, b in rest:
            self.lines.append(f"np.{inverse if f else op}({dest}, {self.operand(b)}, out={dest})")
        for s in small:
            self.lines.append(f"np.{op}({dest}, {self.code(s)}, out={dest})")


def _split(term, kind):
    """(negated, magnitude) of a term of a sum, (inverted, base) of a factor of a product."""
    if kind is sp.Add:
        c, rest = term.as_coeff_Mul()
        return (True, -c * rest) if c.is_negative else (False, term)
    if isinstance(term, sp.Pow) and term.exp.is_negative:
        return True, sp.Pow(term.base, -term.exp)
    return False, term


def _join(flip: bool, base, kind):
    if not flip:
        return base
    return -base if kind is sp.Add else 1 / base


def chain_lines(expr, axes: dict, full: tuple, dest: str, buffer) -> list[str]:
    """The ufunc chain computing `expr` into `dest`; raises NotAChain where it does not apply."""
    chain = Chain(axes, full, buffer)
    if expr in axes or not chain.spans(expr):
        raise NotAChain(str(expr))
    chain.into(expr, dest)
    return chain.lines
