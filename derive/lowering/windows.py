"""Lowering sums over affine reads (`a[n, c, s*i + u - P, ...]`, `g[n, o, (p + P - u)/s, ...]`).

A read whose axis index is `(Σ c_v v + d) / m` becomes a view of a prepared array: dilated by `m`
(zeros between the entries, which carries the divisibility condition), zero-padded as far as the
index can leave the array (which carries the range conditions), then sliced with step `c_v`.
An axis may mix two index variables (an output position and a kernel offset): one of them is
looped over, the one whose extent the strategy ranks first (kernel-sized extents), and the rest of
the sum is a BLAS-backed contraction of the views at each offset. Nothing here knows a layer.
"""
from __future__ import annotations

import sympy as sp

from derive.errors import LoweringError
from derive.lowering import gemm
from derive.lowering.affine import _affine, _pad_widths, _py, _reach
from derive.lowering.statement import Statement
from derive.symbolic.printing import KernelPrinter, size_code, text
from derive.symbolic.stable import ReduceMax


def is_window(node: sp.Sum) -> bool:
    """Whether a sum reads some array at an index that is not a plain index variable (its own
    reads: a reduction inside it is computed first, as a temporary)."""
    return any(not all(isinstance(ix, sp.Symbol) for ix in r.indices)
               for r in _own_reads(node.function))


def _own_reads(expr):
    if isinstance(expr, sp.Indexed):
        yield expr
    elif not isinstance(expr, (sp.Sum, ReduceMax)):
        for arg in expr.args:
            yield from _own_reads(arg)


def lower_window(low, node, extent_rank) -> tuple[str, tuple]:
    """Statements for a window sum (or maximum); returns the accumulator's name and axes."""
    bound = [v for v, *_ in node.limits]
    maximum = isinstance(node, ReduceMax)
    coeff, body = (1, node.function) if maximum else node.function.as_coeff_Mul()
    transforms = {}  # a read a factor is a function of (a[..]**2): the function, on its views
    if not maximum:
        body = sp.Mul(*[_as_read(low, f) for f in sp.Mul.make_args(body)])
        kept = []
        for f in sp.Mul.make_args(body):
            inner = f.atoms(sp.Indexed)
            if not isinstance(f, sp.Indexed) and len(inner) == 1 and \
                    not (f.free_symbols - inner.pop().free_symbols) & set(low.extent):
                (r,) = f.atoms(sp.Indexed)
                transforms[r] = f
                f = r
            kept.append(f)
        body = sp.Mul(*kept)
    factors = list(sp.Mul.make_args(body))
    reads = [f for f in factors if isinstance(f, sp.Indexed)]
    scalars = [f for f in factors if not isinstance(f, sp.Indexed)]
    elementwise = maximum or any(f.free_symbols & set(low.extent) for f in scalars)
    if elementwise:
        reads = sorted(body.atoms(sp.Indexed), key=sp.default_sort_key)
    index_vars = sorted(low.extent, key=lambda v: v.name)
    loops, parsed = [], []
    for r in reads:
        axes = []
        for ix in r.indices:
            coeffs, const, den = _affine(ix, index_vars)
            axes.append((coeffs, const, den))
            if len(coeffs) > 2:
                raise LoweringError(f"{r}: an axis mixes more than two indices")
            if len(coeffs) == 2:
                pick = min(coeffs, key=lambda v: (extent_rank(low.extent[v]), v.name))
                if pick not in loops:
                    loops.append(pick)
        parsed.append((r, axes))
    if elementwise:
        return _lower_elementwise(low, node, body, coeff, parsed, loops, bound, maximum)
    dilated = any(den != 1 for _, axes in parsed for _, _, den in axes)
    costs = {}
    if low.strategy.window == "gemm":
        every = low._canon(list(dict.fromkeys(v for _, axes in parsed for coeffs, _, _ in axes
                                              for v in coeffs)))
        keep = tuple(a for a in every if a not in bound)
        patches = gemm.patch_plan(low, parsed, loops)
        scatter = gemm.scatter_plan(low, parsed, loops, bound, keep)
        costs = {"patches": gemm.volume(low, patches[2]) if patches else None,
                 "scatter": gemm.scatter_cost(low, parsed, scatter, loops, bound)
                 if scatter else None}
    how = low.strategy.window_for(offsets_summed=all(v in bound for v in loops),
                                  dilated=dilated, operands=len(reads), costs=costs)
    if transforms:
        how = "offsets"  # the function is applied to each offset's view
    if how in ("patches", "scatter"):
        name = f"{low.prefix}{len(low._temps)}"
        low._temps[name] = keep
        scale = f"{low.print_scalar(sp.Mul(coeff, *scalars))} * " if scalars or coeff != 1 else ""
        if how == "patches":
            rest = [r for r, _ in parsed if r is not patches[0]]
            # several plain reads (a connection table times the weights): multiplied once first
            other = low._read(_as_read(low, sp.Mul(*rest)) if len(rest) > 1 else rest[0],
                              native=True)
            lines = gemm.lower_patches(low, patches, loops, other, bound, keep, scale, name)
        else:
            lines = gemm.lower_scatter(low, parsed, scatter, loops, bound, keep, scale, name)
        low.emit(name, lines, node, keep)
        return name, keep
    offsets = how == "offsets"
    if not offsets:
        loops = []
    every, keep, name = _accumulator(low, parsed, loops, bound)
    lines = []
    arrays = sorted({str(r.base.label) for r in reads})
    if offsets:
        prepared = [(_dilated(low, r, axes, lines, name), r, axes) for r, axes in parsed]
        (guards, views), clipped = _offset_views(low, prepared, loops)
        views = [(KernelPrinter().doprint(transforms[r].xreplace({r: sp.Symbol(code)}))
                  if r in transforms else code, axes) for (r, _), (code, axes) in zip(parsed, views)]
    else:
        views = [_prepare(low, r, axes, lines, name) for r, axes in parsed]
        guards, clipped = [], {}
    out_axes = tuple(a for a in keep if a not in loops)
    acc = keep
    if len(views) == 2 and out_axes == keep and low.strategy.contraction == "blas":
        natural = tuple(a for _, ax in views for a in ax if a in out_axes)
        natural = tuple(dict.fromkeys(natural))
        if sorted(natural, key=str) == sorted(out_axes, key=str):
            acc = natural  # accumulate in the contraction's own order, transpose once at the end
    lines.append(f"{name} = "
                 + low.alloc(name, acc, f"np.result_type({', '.join(arrays)})", zero=True))
    summed = [a for a in every if a in bound and a not in loops]
    into = tuple(a for a in acc if a not in loops)
    contraction = low._contract(views, summed, into) if views else "1"
    if len(views) == 1:  # one view: its own axis order, put into the accumulator's
        left = tuple(a for a in views[0][1] if a not in summed)
        if left != into:
            contraction = f"np.transpose({contraction}, {tuple(left.index(a) for a in into)})"
    if scalars or coeff != 1:
        contraction = f"{low.print_scalar(sp.Mul(coeff, *scalars))} * {contraction}"
    depth = ""
    for v in loops:
        lines.append(f"{depth}for {_py(v)} in range({size_code(low.extent[v])}):")
        depth += "    "
    lines += [depth + g for g in guards]
    slots = [_py(a) if a in loops else f"{clipped[a][0]}:{clipped[a][1]}" if a in clipped else ":"
             for a in acc]
    while slots and slots[-1] == ":":
        slots.pop()
    target = f"{name}[{', '.join(slots)}]" if slots else name
    lines.append(f"{depth}{target} += {contraction}")
    if acc != keep:
        lines.append(f"{name} = np.transpose({name}, {tuple(acc.index(a) for a in keep)})")
    low.emit(name, lines, node, keep)
    return name, keep


def _as_read(low, factor):
    """A factor that reads arrays only at plain indices (`w[o, c, u, v]**2`) computed first as a
    temporary array, and read like one."""
    reads = factor.atoms(sp.Indexed)
    if isinstance(factor, sp.Indexed) or not reads or not factor.free_symbols & set(low.extent):
        return factor
    if any(not isinstance(ix, sp.Symbol) for r in reads for ix in r.indices):
        return factor
    code, axes = low.lower(factor)
    name = f"{low.prefix}{len(low._temps)}"
    low._temps[name] = axes
    low.statements.append(Statement(name, code, text(factor), low.shape_text(axes)))
    low.shapes[name] = tuple(low.extent[a] for a in axes)
    return sp.IndexedBase(name, real=True)[axes]


def _accumulator(low, parsed, loops, bound):
    """The window's index variables in canonical order (`loops` sorted into it), the ones it
    keeps, and the name of its accumulator."""
    loops.sort(key=lambda v: low.order.index(v) if v in low.order else len(low.order))
    vector = list(dict.fromkeys(v for _, axes in parsed for coeffs, _, _ in axes
                                for v in coeffs if v not in loops))
    every = low._canon(vector + loops)
    keep = tuple(a for a in every if a not in bound)
    name = f"{low.prefix}{len(low._temps)}"
    low._temps[name] = keep
    return every, keep, name


def _lower_elementwise(low, node, body, coeff, parsed, loops, bound, maximum: bool):
    """A window sum or maximum of any elementwise body (`[a = z] g`, `max a`): the offset loop,
    every read a view at each offset, the body evaluated on the views and added (or maxed)
    into place."""
    loops = []  # here the loop runs over the summed (maxed) index of each mixed axis
    for _, axes in parsed:
        for coeffs, _, _ in axes:
            summed = [v for v in coeffs if v in bound] if len(coeffs) == 2 else []
            if len(coeffs) == 2 and len(summed) == 1 and summed[0] not in loops:
                loops.append(summed[0])
    if set(loops) != set(bound):
        raise LoweringError(f"a window {'maximum' if maximum else 'sum'} over an index that is "
                            f"not a kernel offset, of a body that is not a product of reads: {node}")
    _, keep, name = _accumulator(low, parsed, loops, bound)
    lines = []
    prepared = [(_dilated(low, r, axes, lines, name), r, axes) for r, axes in parsed]
    (guards, views), clipped = _offset_views(low, prepared, loops)
    dtype = f"np.result_type({', '.join(sorted({str(r.base.label) for r, _ in parsed}))})"
    if maximum:
        dims = ", ".join(size_code(low.extent[a]) for a in keep) + ("," if len(keep) == 1 else "")
        lines.append(f"{name} = np.full(({dims}), -np.inf, dtype={dtype})")
    else:
        lines.append(f"{name} = {low.alloc(name, keep, dtype, zero=True)}")
    swap = {r: sp.Symbol(_aligned(low, code, axes, keep)) for (r, _), (code, axes)
            in zip(parsed, views)}
    code = KernelPrinter().doprint(coeff * body.xreplace(swap))
    depth = ""
    for v in loops:
        lines.append(f"{depth}for {_py(v)} in range({size_code(low.extent[v])}):")
        depth += "    "
    lines += [depth + g for g in guards]
    slots = [f"{clipped[a][0]}:{clipped[a][1]}" if a in clipped else ":" for a in keep]
    while slots and slots[-1] == ":":
        slots.pop()
    target = f"{name}[{', '.join(slots)}]" if slots else name
    lines.append(f"{depth}np.maximum({target}, {code}, out={target})" if maximum
                 else f"{depth}{target} += {code}")
    low.emit(name, lines, node, keep)
    return name, keep


def _aligned(low, code: str, axes, into) -> str:
    """A view with `axes`, transposed and broadcast against arrays with the axes `into`."""
    order = tuple(a for a in into if a in axes)
    if order != tuple(axes):
        code = f"np.transpose({code}, {tuple(axes.index(a) for a in order)})"
    return low.align(code if code.replace("_", "").isalnum() else f"({code})", order, into)


def _dilated(low, read, axes, lines, tag) -> str:
    """The array a read gathers from: dilated along axes read at a fraction (m | index)."""
    base = str(read.base.label)
    dilate = [(k, den) for k, (_, _, den) in enumerate(axes) if den != 1]
    if not dilate:
        return base
    steps = ", ".join(f"{k}: {low.print_scalar(den)}" for k, den in dilate)
    lines.append(f"{tag}_{base} = _dilate({base}, {{{steps}}})")
    return f"{tag}_{base}"


def _span(low, v, c, offset, whole: bool) -> str:
    """The slice of an axis read at offset + c*v for every v: `:` when that is the whole axis."""
    if whole and offset == 0 and c == 1:
        return ":"
    return low.span(offset, c, low.extent[v])


def _offset_views(low, prepared, loops):
    """Guards and views inside the offset loop: instead of padding, each index variable's range
    is narrowed to the part where every read stays inside its array (the folded bounds, at run
    time), and a read at a fixed position outside its array skips the offset."""
    ranges: dict = {}
    guards, views = [], []
    fixed = {v: sp.Symbol(_py(v)) for v in loops}
    for code, read, axes in prepared:
        shape = low.shapes[str(read.base.label)]
        for (coeffs, const, den), size in zip(axes, shape):
            extent, inside, _, _ = _reach(low, coeffs, const, den, size)
            if inside:
                continue
            offset = const + sum(coeffs[v] * fixed[v] for v in coeffs if v in loops)
            vec = [v for v in coeffs if v not in loops]
            if not vec:
                guards.append(f"if not 0 <= {low.print_scalar(offset)} < "
                              f"{low.print_scalar(extent)}:")
                guards.append("    continue")
                continue
            (v,) = vec
            if v not in ranges:
                ranges[v] = (f"{_py(v)}0", f"{_py(v)}1")
                guards.append(f"{ranges[v][0]}, {ranges[v][1]} = 0, {size_code(low.extent[v])}")
            first, stop = ranges[v]
            fit = (f"{first}, {stop} = _fit({first}, {stop}, {low.print_scalar(coeffs[v])}, "
                   f"{low.print_scalar(offset)}, {low.print_scalar(extent)})")
            if fit not in guards:  # two reads of one axis narrow it alike
                guards.append(fit)
    for v, (first, stop) in ranges.items():
        guards.append(f"if {first} >= {stop}:")
        guards.append("    continue")
    for code, read, axes in prepared:
        slots, view_axes = [], []
        for (coeffs, const, den), size in zip(axes, low.shapes[str(read.base.label)]):
            offset = const + sum(coeffs[v] * fixed[v] for v in coeffs if v in loops)
            vec = [v for v in coeffs if v not in loops]
            if not vec:
                slots.append(low.print_scalar(offset))
                continue
            (v,) = vec
            view_axes.append(v)
            c = coeffs[v]
            if v in ranges:
                first, stop = ranges[v]
                start = low.print_scalar(offset + c * sp.Symbol(first))
                slots.append(f"_span({start}, {low.print_scalar(c)}, {stop} - {first})")
            else:
                slots.append(_span(low, v, c, offset, den == 1 and low.extent[v] == size))
        while slots and slots[-1] == ":":
            slots.pop()
        low._canon(view_axes)
        views.append((f"{code}[{', '.join(slots)}]" if slots else code, tuple(view_axes)))
    return (guards, views), ranges


def _prepare(low, read: sp.Indexed, axes, lines, tag) -> tuple[str, tuple]:
    """The im2col view of `read`: dilated, zero-padded as far as its index can leave it, then
    one `as_strided` view with an axis per index variable where an axis mixes two."""
    base = str(read.base.label)
    code = _dilated(low, read, axes, lines, tag)
    widths, lows = _pad_widths(low, read, axes)
    slots, view_axes = [], []
    for k, ((coeffs, const, den), size) in enumerate(zip(axes, low.shapes[base])):
        offset = const + lows[k]
        vec = list(coeffs)
        if len(vec) > 1:
            slots.append((k, offset, [(coeffs[v], v) for v in vec]))
            view_axes.extend(vec)
        elif vec:
            (v,) = vec
            slots.append(_span(low, v, coeffs[v], offset, den == 1 and low.extent[v] == size))
            view_axes.append(v)
        else:
            slots.append(low.print_scalar(offset))
    if widths:
        padded = f"{tag}_{base}" if code == base else code
        lines.append(f"{padded} = _pad({code}, ({widths},))")
        code = padded
    if any(isinstance(slot, tuple) for slot in slots):
        return _strided(low, code, slots, view_axes)
    while slots and slots[-1] == ":":
        slots.pop()
    low._canon(view_axes)
    return (f"{code}[{', '.join(slots)}]" if slots else code), tuple(view_axes)


def _strided(low, code, slots, view_axes) -> tuple[str, tuple]:
    """One `as_strided` view with an axis per index variable (the im2col strategy)."""
    starts, spec = [], []
    for k, slot in enumerate(slots):
        if isinstance(slot, tuple):
            _, offset, parts = slot
            starts.append(low.print_scalar(offset))
            spec += [f"({k}, {low.print_scalar(c)}, {size_code(low.extent[v])})" for c, v in parts]
        elif slot == ":":
            starts.append("0")
            spec.append(f"({k}, 1, {code}.shape[{k}])")
        else:
            starts.append(slot)
    low._canon(view_axes)
    return f"_view({code}, ({', '.join(starts)},), [{', '.join(spec)}])", tuple(view_axes)
