"""Lowering index expressions to vectorized NumPy statements.

Every sub-expression becomes an array whose axes are index symbols, kept in one canonical order per
kernel. Leaves are array reads (transposed and broadcast into place), reductions (`Sum`,
`ReduceMax`) become statements of their own, contractions go to `@` or `np.einsum` as the
`Strategy` says, and what remains is elementwise and printed by `KernelPrinter`.
Nothing here knows a layer: decisions follow from the indices, bounds and the strategy.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

import sympy as sp

from derive.errors import LoweringError
from derive.lowering.inplace import NotAChain, chain_lines
from derive.symbolic.printing import KernelPrinter, size_code, text
from derive.symbolic.ranges import extreme, provably_le
from derive.symbolic.stable import Attains, ReduceMax
from derive.lowering.strategy import DEFAULT, Strategy
from derive.lowering.statement import Statement
from derive.lowering.windows import is_window, lower_window




@dataclass
class Lowering:
    shapes: dict[str, tuple[sp.Expr, ...]]
    strategy: Strategy = DEFAULT
    prefix: str = "t"
    derived: dict = field(default_factory=dict)       # size symbol -> its definition
    size_class: dict = field(default_factory=dict)    # size symbol -> "option", "param", ...
    statements: list[Statement] = field(default_factory=list)
    # patch arrays by what builds them, shared by the lowerings of one layer (gemm windows)
    shared: dict | None = None
    # arrays the caller no longer reads after this lowering: a chain may write into them
    consumable: frozenset = frozenset()
    order: list[sp.Symbol] = field(default_factory=list)
    extent: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    _cache: dict[tuple, tuple[str, tuple]] = field(default_factory=dict)
    _temps: dict[str, tuple] = field(default_factory=dict)

    # -- axes -----------------------------------------------------------------------------------
    def _canon(self, axes) -> tuple[sp.Symbol, ...]:
        for a in axes:
            if a not in self.order:
                self.order.append(a)
        return tuple(sorted(set(axes), key=self.order.index))

    def _note_extent(self, axis: sp.Symbol, size: sp.Expr, where: str):
        old = self.extent.setdefault(axis, size)
        if sp.simplify(old - size) != 0:
            raise LoweringError(f"index {axis} runs over {old} and {size} ({where})")

    def shape_text(self, axes) -> str:
        dims = [str(self.extent.get(a, "?")) for a in axes]
        return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"

    @staticmethod
    def align(code: str, axes, into) -> str:
        """`code` (axes in canonical order, a subsequence of `into`) broadcast against `into`."""
        slots = [":" if a in axes else "None" for a in into]
        while slots and slots[0] == "None":
            slots.pop(0)
        if all(s == ":" for s in slots):
            return code
        return f"{code}[{', '.join(slots)}]"

    def print_scalar(self, expr) -> str:
        return size_code(expr)

    def _ranges(self):
        return {v: (sp.Integer(0), e - 1) for v, e in self.extent.items()}

    def index_extreme(self, coeffs: dict, const, upper: bool) -> sp.Expr:
        expr = const + sum(c * v for v, c in coeffs.items())
        return extreme(expr, self._ranges(), upper)

    def provable(self, a, b) -> bool:
        a, b = sp.sympify(a).subs(self.derived), sp.sympify(b).subs(self.derived)
        return provably_le(a, b, {})

    def extent_rank(self, extent: sp.Expr) -> tuple:
        """Which index of a window axis to loop over first: the strategy's order of size classes,
        then, for sizes known as numbers, the smaller extent."""
        order = self.strategy.loop_over
        extent = sp.sympify(extent)
        classes = {self.size_class.get(s, "derived") for s in extent.free_symbols}
        return (max((order.index(c) for c in classes), default=0),
                int(extent) if extent.is_number else 0)

    def alloc(self, name: str, axes, dtype: str, zero: bool) -> str:
        """Code for a new array over `axes`: from the strategy's workspace when its shape has a
        size known only at run time (the batch), so a training step reuses its memory."""
        extents = [sp.sympify(self.extent[a]) for a in axes]
        dims = ", ".join(size_code(e) for e in extents) + ("," if len(extents) == 1 else "")
        if self.strategy.workspaces and not all(e.is_number for e in extents):
            return f'ws.{"zeros" if zero else "empty"}("{name}", ({dims}), {dtype})'
        return f"np.{'zeros' if zero else 'empty'}(({dims}), dtype={dtype})"

    def span(self, start, step, count) -> str:
        """The slice of `count` entries start, start + step, ...: plain slice syntax where the
        step and count are numbers and the step is positive, else the runtime's `_span`."""
        step, count = sp.sympify(step), sp.sympify(count)
        if step.is_number and count.is_number and step > 0:
            stop = self.print_scalar(sp.sympify(start) + step * (count - 1) + 1)
            return f"{self.print_scalar(start)}:{stop}" + (f":{step}" if step != 1 else "")
        return f"_span({self.print_scalar(start)}, {self.print_scalar(step)}, {size_code(count)})"

    def emit(self, name: str, lines: list[str], node, axes) -> None:
        self.statements.append(Statement(name, None, text(node), self.shape_text(axes), lines))

    # -- leaves ---------------------------------------------------------------------------------
    def _read(self, node: sp.Indexed, native: bool = False) -> tuple[str, tuple]:
        """The array for a read; with `native`, in its own axis order (for a lone reduction)."""
        name = str(node.base.label)
        shape = self.shapes[name]
        if not all(isinstance(i, sp.Symbol) for i in node.indices):
            raise LoweringError(f"no lowering for the affine read {node}")
        if len(set(node.indices)) != len(node.indices):
            raise LoweringError(f"no lowering for the diagonal read {node}")
        for axis, size in zip(node.indices, shape):
            self._note_extent(axis, size, str(node))
        axes = self._canon(node.indices)
        if native:
            return name, tuple(node.indices)
        perm = tuple(node.indices.index(a) for a in axes)
        if perm == tuple(range(len(perm))):
            return name, axes
        if len(perm) == 2:
            return f"{name}.T", axes
        return f"np.transpose({name}, {perm})", axes

    # -- expressions ----------------------------------------------------------------------------
    def lower(self, expr: sp.Expr) -> tuple[str, tuple]:
        """Code for `expr` and its axes; reductions inside become statements first."""
        if isinstance(expr, (sp.Sum, ReduceMax)):
            return self._reduction(expr)
        swapped, axes, _ = self._leaves(expr)
        return KernelPrinter().doprint(swapped), axes

    def _leaves(self, expr: sp.Expr):
        """`expr` with each array read and reduction replaced by a symbol named by its aligned
        code; its axes; each such symbol's own axes."""
        if self.strategy.window == "gemm":
            expr = _scale_inside(expr)
        leaves: dict[sp.Basic, tuple[str, tuple]] = {}
        for node in _maximal(expr):
            leaves[node] = self._read(node) if isinstance(node, sp.Indexed) else self._temp(node)
        axes = self._canon([a for _, ax in leaves.values() for a in ax])
        swap = {node: sp.Symbol(self.align(code, ax, axes)) for node, (code, ax) in leaves.items()}
        swapped = _weak_scalars(expr.xreplace(swap), set(swap.values()))
        return swapped, axes, {swap[node]: ax for node, (_, ax) in leaves.items()}

    def _temp(self, node) -> tuple[str, tuple]:
        if isinstance(node, (sp.Sum, ReduceMax)) and is_window(node):
            return self._reduction(node)  # a window sum writes its own statements
        code, axes = self._reduction(node)
        key = (code, axes)  # the same code over other indices is another array
        if self.strategy.share_temporaries and key in self._cache:
            return self._cache[key]
        name = f"{self.prefix}{len(self._temps)}"
        self._temps[name] = axes
        self.statements.append(Statement(name, code, text(node), self.shape_text(axes)))
        self._cache[key] = (name, axes)
        return name, axes

    def _reduction(self, node) -> tuple[str, tuple]:
        if isinstance(node, sp.Sum):
            free = [(v, lo, hi) for v, lo, hi in node.limits if v not in node.function.free_symbols]
            if free:  # Σ over an index the body does not read: its count times the body
                kept = [lim for lim in node.limits if lim not in free]
                counted = sp.Mul(*[hi - lo + 1 for _, lo, hi in free]) * (
                    sp.Sum(node.function, *kept) if kept else node.function)
                code, axes = self.lower(counted)
                return code, axes
        for v, lo, hi in node.limits:
            if lo == 0:
                self._note_extent(v, hi + 1, str(node))
        if is_window(node):
            return lower_window(self, node, self.extent_rank)
        bound = [v for v, *_ in node.limits]
        body = node.function
        coeff, body = body.as_coeff_Mul() if isinstance(node, sp.Sum) else (1, body)
        if isinstance(node, sp.Sum) and isinstance(body, sp.Mul):
            operands = [self.lower(f) for f in body.args]
        elif isinstance(body, sp.Indexed):
            operands = [self._read(body, native=True)]
        else:
            operands = [self.lower(body)]
        for v, lo, hi in node.limits:
            size = self.extent.get(v)
            if size is None:
                raise LoweringError(f"index {v} of {node} reads no array")
            if lo != 0 or sp.simplify(hi - (size - 1)) != 0:
                raise LoweringError(f"no lowering for the partial range {v} = {lo}..{hi} in {node}")
        every = self._canon([a for _, ax in operands for a in ax])
        keep = tuple(a for a in every if a not in bound)
        if isinstance(node, ReduceMax):
            (code, axes), = operands
            return self._reduce_call(code, axes, bound, "max"), keep
        scalars = [c for c, ax in operands if not ax]
        if coeff != 1:
            scalars.insert(0, KernelPrinter().doprint(coeff))
        arrays = [(c, ax) for c, ax in operands if ax]
        if not arrays:
            raise LoweringError(f"{node} sums over indices no array carries")
        code = self._contract(arrays, bound, keep)
        if len(arrays) == 1:
            left = tuple(a for a in arrays[0][1] if a not in bound)
            if left != keep:
                code = f"np.transpose({code}, {tuple(left.index(a) for a in keep)})"
        if scalars == ["-1"]:
            code = f"-{_wrap(code)}"
        elif scalars:
            code = " * ".join([*(f"({c})" for c in scalars), code])
        return code, keep

    def _reduce_call(self, code: str, axes, bound, how: str) -> str:
        code = code if _atomic(code) else f"({code})"
        picked = tuple(axes.index(v) for v in bound if v in axes)
        if not picked:
            return code
        if len(picked) == len(axes):
            return f"{code}.{how}()"
        return f"{code}.{how}(axis={picked[0] if len(picked) == 1 else picked})"

    def _contract(self, arrays, bound, keep) -> str:
        if len(arrays) == 1:
            code, axes = arrays[0]
            return self._reduce_call(code, axes, bound, "sum")
        if len(arrays) == 2 and self.strategy.contraction == "blas":
            code = _as_matmul(arrays, bound, keep) or _as_tensordot(arrays, bound, keep)
            if code:
                return code
        letters, used = {}, set()
        for a in self.order:  # the index's own letter where it is free, else the next unused
            want = a.name[0] if a.name[0].isascii() and a.name[0].isalpha() else ""
            if not want or want in used:
                want = next(c for c in string.ascii_letters if c not in used)
            letters[a] = want
            used.add(want)
        spec = ",".join("".join(letters[a] for a in ax) for _, ax in arrays)
        spec += "->" + "".join(letters[a] for a in keep)
        args = ", ".join(c for c, _ in arrays)
        opt = ", optimize=True" if self.strategy.einsum_optimize and len(arrays) > 2 else ""
        return f"np.einsum('{spec}', {args}{opt})"

    # -- statements -----------------------------------------------------------------------------
    def assign(self, target: str, expr: sp.Expr, axes_out: tuple, sizes: tuple) -> Statement:
        """Bind `target` to `expr` with the axes `axes_out` (of extents `sizes`)."""
        for a, size in zip(axes_out, sizes):
            self._note_extent(a, size, target)
        self._canon(axes_out)
        if isinstance(expr, (sp.Sum, ReduceMax)):
            code, axes = self.lower(expr)
        else:
            swapped, axes, leaf_axes = self._leaves(expr)
            chained = self._chain(target, expr, swapped, axes, leaf_axes, tuple(axes_out))
            if chained is not None:
                return chained
            code = KernelPrinter().doprint(swapped)
        missing = [a for a in axes if a not in axes_out]
        if missing:
            raise LoweringError(f"{target} keeps indices {missing} that are not its own")
        order = tuple(a for a in axes_out if a in axes)
        if order != axes:
            code = f"np.transpose({code}, {tuple(axes.index(a) for a in order)})"
        if len(axes) < len(axes_out):
            code = self.align(_wrap(code), order, axes_out)
            code = f"np.broadcast_to({code}, ({', '.join(map(str, sizes))},))"
        st = Statement(target, code, text(expr), self.shape_text(axes_out))
        self.statements.append(st)
        return st


    def _chain(self, target: str, expr: sp.Expr, swapped, axes, leaf_axes,
               axes_out: tuple) -> Statement | None:
        """With workspaces, an elementwise result whose size involves the batch is computed by
        a chain of ufuncs into a workspace array (`derive.inplace`); else None."""
        if not self.strategy.workspaces or isinstance(expr, sp.Indexed):
            return None
        if all(sp.sympify(self.extent[a]).is_number for a in axes_out):
            return None
        if axes != axes_out:
            return None
        arrays = sorted({str(r.base.label) for r in expr.atoms(sp.Indexed)})
        dtype = f"np.result_type({', '.join(arrays)})" if arrays else "float"
        extra = []

        def buffer(k):
            if f"{target}_{k}" not in extra:
                extra.append(f"{target}_{k}")
            return f"{target}_{k}"

        try:
            lines = chain_lines(swapped, leaf_axes, axes, target, buffer)
        except NotAChain:
            return None
        into, lines = self._in_place(swapped, leaf_axes, axes, buffer) or (target, lines)
        extra = [name for name in extra if any(name in line for line in lines)]
        allocs = [f"{name} = {self.alloc(name, axes, dtype, zero=False)}"
                  for name in ([] if into != target else [target]) + extra]
        alias = [f"{target} = {into}  # in place"] if into != target else []
        st = Statement(target, None, text(expr), self.shape_text(axes_out), allocs + lines + alias)
        self.statements.append(st)
        return st

    def _in_place(self, swapped, leaf_axes: dict, axes, buffer):
        """(array, lines) computing the chain into an operand nobody reads afterwards (a
        temporary of this lowering, or an array the caller says is consumable): it must span the
        result in the same order, occur once, and be read by the chain's first operation."""
        for leaf in sorted(leaf_axes, key=str):
            name = leaf.name
            if leaf_axes[leaf] != axes or not name.isidentifier() or swapped.count(leaf) != 1:
                continue
            if name not in self._temps and name not in self.consumable:
                continue
            lines = chain_lines(swapped, leaf_axes, axes, name, buffer)
            if re.search(rf"\b{name}\b", _inputs(lines[0])):
                return name, lines
        return None


def _weak_scalars(expr: sp.Expr, arrays: set) -> sp.Expr:
    """A function of constants only (`exp(-j0)`) printed as a Python float: NumPy's function
    would return a float64 scalar, and that would turn a float32 array into float64."""
    def weak(node):
        if node.free_symbols & arrays or not node.free_symbols or isinstance(node, Attains):
            return node
        return sp.Symbol(f"float({KernelPrinter().doprint(node)})")
    return expr.replace(lambda e: isinstance(e, sp.Function) and not e.free_symbols & arrays,
                        weak)


def _inputs(call: str) -> str:
    """The operands a chain's call reads: `np.f(a, b, out=d)` reads a, b; `np.copyto(d, a)` a."""
    args = call[call.index("(") + 1:].rsplit(", out=", 1)[0]
    return args.split(", ", 1)[1] if call.startswith("np.copyto(") else args


def _scale_inside(expr: sp.Expr) -> sp.Expr:
    """`c * Σ(body)` as `Σ(c * body)` where the sum reads at a solved index (`(p - u)/s`): a
    scattered sum then scales its smaller operand once instead of its result."""
    def solved(node):
        return isinstance(node, sp.Sum) and any(
            sp.fraction(sp.together(ix))[1] != 1
            for r in node.function.atoms(sp.Indexed) for ix in r.indices)

    def push(node):
        coeff, rest = node.as_coeff_Mul()
        if coeff != 1 and solved(rest):
            return sp.Sum(coeff * rest.function, *rest.limits)
        return node
    return expr.replace(lambda e: isinstance(e, sp.Mul), push)


def _atomic(code: str) -> bool:
    return code.replace("_", "").replace(".", "").isalnum()


def _maximal(expr: sp.Expr):
    """The array reads and reductions of `expr` that are not inside another reduction."""
    if isinstance(expr, (sp.Indexed, sp.Sum, ReduceMax)):
        yield expr
        return
    for arg in expr.args:
        yield from _maximal(arg)


def _as_matmul(arrays, bound, keep) -> str | None:
    """`A @ B` (transposed as needed) when the contraction is a plain matrix product."""
    (ca, ax_a), (cb, ax_b) = arrays
    if len(bound) != 1 or len(ax_a) > 2 or len(ax_b) > 2:
        return None
    k = bound[0]
    if k not in ax_a or k not in ax_b or set(ax_a) & set(ax_b) != {k}:
        return None
    free_a = [a for a in ax_a if a != k]
    free_b = [a for a in ax_b if a != k]
    if len(keep) == 2 and keep != (*free_a, *free_b):
        (ca, ax_a), (cb, ax_b), free_a, free_b = (cb, ax_b), (ca, ax_a), free_b, free_a
    left = ca if tuple(ax_a) == (*free_a, k) else _transpose(ca)
    right = cb if tuple(ax_b) == (k, *free_b) else _transpose(cb)
    return f"{_wrap(left)} @ {_wrap(right)}"


def _as_tensordot(arrays, bound, keep) -> str | None:
    """`np.tensordot` over the summed axes, its result axes put in `keep` order (a view)."""
    (ca, ax_a), (cb, ax_b) = arrays
    shared = set(ax_a) & set(ax_b)
    if not set(bound) <= shared or shared - set(bound):
        return None  # an index in both operands that is kept is not a tensordot
    if any(v not in ax_a for v in bound):
        return None
    pairs = [(ax_a.index(v), ax_b.index(v)) for v in bound]
    left = tuple(a for a in ax_a if a not in bound) + tuple(b for b in ax_b if b not in bound)
    code = (f"np.tensordot({ca}, {cb}, axes=({[p for p, _ in pairs]}, {[q for _, q in pairs]}))")
    if left != tuple(keep):
        code = f"np.transpose({code}, {tuple(left.index(a) for a in keep)})"
    return code


def _transpose(code: str) -> str:
    return code[:-2] if code.endswith(".T") else f"{_wrap(code)}.T"


def _wrap(code: str) -> str:
    return code if _atomic(code) else f"({code})"
