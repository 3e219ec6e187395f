"""Window sums as one matrix product each: a patch matrix (im2col) or a contraction scattered back.

Both come from the affine index expressions of a window sum, never from a layer:

- patches: the windowed read `a[c, s*i + u - P, s*j + v - P, n]` is copied once into a patch array
  with an axis per index variable, `a_cols[c, u, v, i, j, n]` (kernel offsets first, positions
  last), and the sum is one contraction of it with the other read. A weight gradient reads the
  same patches as the forward (same array, same index expressions), so a lowering that is given a
  `shared` registry builds them once and the network keeps them as a saved tensor.
- scatter: a read at a solved index `g[o, (p + P - u)/s, ...]` is read at its own index instead,
  `g[o, i, ...]` (p = s*i - P + u), the rest of the sum contracted over everything but the kernel
  offsets, and the result added into place at the positions p that index reaches (col2im).

`Strategy.window_for` picks between them from the size of the temporary each needs.
"""
from __future__ import annotations

import itertools

import sympy as sp

from derive.lowering.affine import _pad_widths, _py
from derive.symbolic.printing import size_code


def _plain(axes) -> bool:
    return all(len(c) == 1 and next(iter(c.values())) == 1 and const == 0 and den == 1
               for c, const, den in axes)


def volume(low, axes) -> sp.Expr:
    return sp.Mul(*[low.extent[a] for a in axes])


# -- patches (im2col) ----------------------------------------------------------------------------
def patch_plan(low, parsed, loops):
    """(windowed read, its axes, patch axes) when the sum is a contraction of one read whose axes
    mix a position and a kernel offset with reads at plain indices; else None."""
    windowed = [(r, ax) for r, ax in parsed if any(len(c) == 2 for c, _, _ in ax)]
    if len(parsed) < 2 or len(windowed) != 1:
        return None
    read, axes = windowed[0]
    if any(not _plain(ax) for r, ax in parsed if r is not read):
        return None
    front, offsets, back, mixed = [], [], [], False
    for coeffs, _, den in axes:
        if den != 1:
            return None
        if len(coeffs) == 2:
            loop = [v for v in coeffs if v in loops]
            if len(loop) != 1:
                return None
            mixed = True
            offsets.append(loop[0])
            back.append(next(v for v in coeffs if v not in loops))
        elif coeffs:
            (back if mixed else front).append(next(iter(coeffs)))
    return read, axes, (*front, *offsets, *back)


def lower_patches(low, plan, loops, other, bound, keep, scale: str, name: str) -> list[str]:
    """Lines building (or reusing) the patch array and the one contraction of the window sum."""
    read, axes, patch_axes = plan
    base = str(read.base.label)
    source, (widths, lows) = base, _pad_widths(low, read, axes)
    build = []
    if widths:
        source = f"{base}_padded"
        build.append(f"{source} = _pad({base}, ({widths},))")
    names = {v: v.name.rstrip("'") for v in loops}  # the forward's and a gradient's share code
    slots = []
    for (coeffs, const, _), size, pad in zip(axes, low.shapes[base], lows):
        start = const + pad + sum(coeffs[v] * sp.Symbol(names[v]) for v in coeffs if v in loops)
        vec = [v for v in coeffs if v not in loops]
        if not vec:
            slots.append(low.print_scalar(start))
            continue
        (v,) = vec
        whole = start == 0 and coeffs[v] == 1 and sp.simplify(low.extent[v] - size) == 0
        slots.append(":" if whole else low.span(start, coeffs[v], low.extent[v]))
    while slots and slots[-1] == ":":
        slots.pop()
    view = f"{source}[{', '.join(slots)}]" if slots else source
    target = [names[v] if v in loops else ":" for v in patch_axes]
    while target and target[-1] == ":":
        target.pop()
    low._canon(patch_axes)
    build.append(f"COLS = {low.alloc('COLS', patch_axes, f'{base}.dtype', zero=False)}")
    depth = ""
    for v in sorted(loops, key=patch_axes.index):
        build.append(f"{depth}for {names[v]} in range({size_code(low.extent[v])}):")
        depth += "    "
    build.append(f"{depth}COLS[{', '.join(target)}] = {view}")
    key = (base, tuple(build))
    shared = low.shared if low.shared is not None else {}
    lines = []
    if key in shared:
        cols = shared[key]
    else:
        cols, taken = f"{base}_cols", set(shared.values())
        while cols in taken:
            cols += "_"
        shared[key] = cols
        lines = [line.replace("COLS", cols) for line in build]
    low._canon(patch_axes)
    views = [(cols, tuple(patch_axes)), other]
    if keep and keep[0] not in patch_axes:
        views.reverse()
    return lines + _contract_natural(low, views, bound, keep, scale, name)


def _contract_natural(low, views, bound, keep, scale: str, name: str) -> list[str]:
    """`name = contraction` in the contraction's own axis order, then transposed into `keep`."""
    natural = tuple(dict.fromkeys(a for _, ax in views for a in ax if a not in bound))
    summed = [a for a in low.order if a in bound]
    code = None if scale else _matmul_into(low, views, summed, natural, name)
    lines = [f"{name} = {code or scale + low._contract(views, summed, natural)}"]
    if natural != keep:
        lines.append(f"{name} = np.transpose({name}, {tuple(natural.index(a) for a in keep)})")
    return lines


def _as_2d(low, views, summed, natural):
    """(left, right, m, k, n): a two-operand contraction as a product of 2-D views of its
    operands, (m, k) @ (k, n), where their axes allow it without a copy; else None."""
    if len(views) != 2 or not summed:
        return None
    (ca, ax_a), (cb, ax_b) = views
    ca, cb = (c if c.replace("_", "").isalnum() else f"({c})" for c in (ca, cb))
    inner = tuple(a for a in ax_a if a in summed)
    free_a = tuple(a for a in ax_a if a not in summed)
    free_b = tuple(b for b in ax_b if b not in summed)
    if inner != tuple(b for b in ax_b if b in summed) or natural != free_a + free_b:
        return None
    m, k, n = (sp.Mul(*[low.extent[a] for a in group]) for group in (free_a, inner, free_b))
    mc, kc, nc = map(size_code, (m, k, n))
    left = {free_a + inner: f"{ca}.reshape({mc}, {kc})",
            inner + free_a: f"{ca}.reshape({kc}, {mc}).T"}.get(tuple(ax_a))
    right = {inner + free_b: f"{cb}.reshape({kc}, {nc})",
             free_b + inner: f"{cb}.reshape({nc}, {kc}).T"}.get(tuple(ax_b))
    if left is None or right is None:
        return None
    return left, right, m, k, n


def _matmul_into(low, views, summed, natural, name: str) -> str | None:
    """One matrix product of 2-D views: written into a workspace array when its result's size
    involves the batch (`Strategy.workspaces`), summed over blocks of the inner dimension when
    only that does (`Strategy.split_inner`); else None."""
    plan = _as_2d(low, views, summed, natural)
    if plan is None:
        return None
    left, right, m, k, n = plan
    dims = ", ".join(size_code(low.extent[a]) for a in natural)
    (ca, _), (cb, _) = views
    if low.strategy.workspaces and not (m * n).is_number:
        out = f'ws.empty("{name}", ({size_code(m)}, {size_code(n)}), np.result_type({ca}, {cb}))'
        return f"np.matmul({left}, {right}, out={out}).reshape({dims})"
    if low.strategy.split_inner and (m * n).is_number and not k.is_number:
        return f"_matmul_split({left}, {right}, {low.strategy.split_inner}).reshape({dims})"
    return None


# -- scatter (col2im) ----------------------------------------------------------------------------
def scatter_plan(low, parsed, loops, bound, keep):
    """(read, {axis: (position, fresh index, step, offset)}) when one read is at solved indices
    `(c_p p + Σ c_u u + d) / m` with c_p = ±1, p kept and read nowhere else, u kernel offsets;
    the other reads plain. Else None."""
    solved = [(r, ax) for r, ax in parsed if not _plain(ax)]
    if len(solved) != 1:
        return None
    read, axes = solved[0]
    others = [(r, ax) for r, ax in parsed if r is not read]
    if any(not _plain(ax) for _, ax in others):
        return None
    base = str(read.base.label)
    plan = {}
    for k, (coeffs, const, den) in enumerate(axes):
        vec = [v for v in coeffs if v not in loops]
        if not coeffs:
            return None  # a fixed position: no index of the read's own to reach it by
        if _plain([(coeffs, const, den)]) and not set(coeffs) & set(loops):
            continue
        if len(vec) != 1 or abs(coeffs[vec[0]]) != 1 or vec[0] in bound or vec[0] not in keep:
            return None
        p = vec[0]
        uses = sum(p in c for r, ax in parsed for c, _, _ in ax)
        if uses != 1:
            return None
        c_p = coeffs[p]
        rest = const + sum(c * v for v, c in coeffs.items() if v != p)
        fresh = sp.Symbol(f"{_py(p)}{base[0]}", integer=True)  # the index of `base` reaching p
        # index = (c_p p + rest) / m = fresh  =>  p = c_p m fresh - c_p rest
        plan[k] = (p, fresh, c_p * den, -c_p * rest)
    if not plan:
        return None
    return read, plan


def scatter_cost(low, parsed, plan, loops, bound):
    read, moves = plan
    axes = set(loops)
    for r, ax in parsed:
        for k, (coeffs, _, _) in enumerate(ax):
            if r is read and k in moves:
                axes.add(moves[k][1])
            else:
                axes |= set(coeffs)
    sizes = {fresh: low.shapes[str(read.base.label)][k] for k, (_, fresh, _, _) in moves.items()}
    return sp.Mul(*[sizes.get(a, low.extent.get(a, 1)) for a in axes if a not in bound or a in loops])


def _inside(low, fresh, step, offset, extent) -> bool:
    """Whether p = step * fresh + offset stays in 0..extent-1 for every index and offset."""
    coeffs, const = {fresh: step}, sp.Integer(0)
    for v, c in sp.expand(offset).as_coefficients_dict().items():
        if v == 1:
            const += c
        elif isinstance(v, sp.Symbol) and v in low.extent:
            coeffs[v] = coeffs.get(v, 0) + c
        else:
            return False
    lo = low.index_extreme(coeffs, const, upper=False)
    hi = low.index_extreme(coeffs, const, upper=True)
    return lo is not None and hi is not None and low.provable(0, lo) and \
        low.provable(hi, extent - 1)


def _tiles(low, moves, loops) -> bool:
    """With sizes known as numbers: whether the kernel offsets write pairwise disjoint sets of
    positions whose union is every position."""
    extents = [low.extent[v] for v in loops] + [low.extent[p] for p, _, _, _ in moves.values()] \
        + [low.extent[f] for _, f, _, _ in moves.values()]
    if not all(sp.sympify(e).is_number for e in extents):
        return False
    seen, total = set(), 1
    for p, _, _, _ in moves.values():
        total *= int(low.extent[p])
    for values in itertools.product(*[range(int(low.extent[v])) for v in loops]):
        at = dict(zip(loops, values))
        axes = []
        for p, fresh, step, offset in moves.values():
            o = int(offset.xreplace(at))
            axes.append({int(step) * i + o for i in range(int(low.extent[fresh]))
                         if 0 <= int(step) * i + o < int(low.extent[p])})
        cells = set(itertools.product(*axes))
        if cells & seen:
            return False
        seen |= cells
    return len(seen) == total


def lower_scatter(low, parsed, plan, loops, bound, keep, scale: str, name: str):
    """The contraction over the non-offset sums at the read's own indices (one GEMM), added into
    `name` at the positions each kernel offset reaches."""
    read, moves = plan
    base = str(read.base.label)
    shape = low.shapes[base]
    index = list(read.indices)
    for k, (p, fresh, _, _) in moves.items():
        low._note_extent(fresh, shape[k], str(read))
        index[k] = fresh
    own = tuple(index)
    low._canon(own)
    views = [low._read(r, native=True) for r, _ in parsed if r is not read]
    views.append((base, own))
    summed = [a for a in bound if a not in loops]
    natural = tuple(dict.fromkeys(a for _, ax in views for a in ax if a not in summed))
    lines = []
    if summed or scale:
        cols = f"{name}_cols"
        order = [a for a in low.order if a in summed]
        code = (None if scale else _matmul_into(low, views, order, natural, cols)) or \
            scale + (low._contract(views, order, natural) if summed else base)
        lines.append(f"{cols} = {code}")
    else:
        cols = base
    fresh_to_p = {fresh: p for p, fresh, _, _ in moves.values()}
    acc = tuple(fresh_to_p.get(a, a) for a in natural if a not in loops)
    dtypes = ", ".join(sorted({str(r.base.label) for r, _ in parsed}))
    # offsets that write disjoint positions covering the array (a window as wide as its
    # stride): each entry is written once, so it is assigned, and nothing is zeroed first
    tiles = _tiles(low, moves, loops)
    lines.append(f"{name} = {low.alloc(name, acc, f'np.result_type({dtypes})', zero=not tiles)}")
    depth = ""
    for v in loops:
        lines.append(f"{depth}for {_py(v)} in range({size_code(low.extent[v])}):")
        depth += "    "
    fixed = {v: sp.Symbol(_py(v)) for v in loops}
    ranges = {}
    for p, fresh, step, offset in moves.values():
        if _inside(low, fresh, step, offset, low.extent[p]):
            continue  # every offset reaches positions inside the array: no narrowing
        first, stop = f"{fresh}0", f"{fresh}1"
        ranges[fresh] = (first, stop)
        lines.append(f"{depth}{first}, {stop} = _fit(0, {size_code(low.extent[fresh])}, "
                     f"{low.print_scalar(step)}, {low.print_scalar(offset.xreplace(fixed))}, "
                     f"{size_code(low.extent[p])})")
    for first, stop in ranges.values():
        lines.append(f"{depth}if {first} >= {stop}:")
        lines.append(f"{depth}    continue")
    by_p = {p: (fresh, step, offset) for p, fresh, step, offset in moves.values()}
    out_slots = []
    for a in acc:
        if a in by_p:
            fresh, step, offset = by_p[a]
            first, count = (ranges[fresh][0], "{1} - {0}".format(*ranges[fresh])) \
                if fresh in ranges else (0, size_code(low.extent[fresh]))
            start = (offset + step * sp.sympify(first)).xreplace(fixed)
            if fresh in ranges:
                start = low.print_scalar(start)
            out_slots.append(low.span(start, step, count) if fresh not in ranges else
                             f"_span({start}, {low.print_scalar(step)}, {count})")
        else:
            out_slots.append(":")
    in_slots = [_py(a) if a in loops else "{}:{}".format(*ranges[a]) if a in ranges else ":"
                for a in natural]
    for slots in (out_slots, in_slots):
        while slots and slots[-1] == ":":
            slots.pop()
    source = f"{cols}[{', '.join(in_slots)}]" if in_slots else cols
    lines.append(f"{depth}{name}[{', '.join(out_slots)}] {'=' if tiles else '+='} {source}")
    if acc != keep:
        lines.append(f"{name} = np.transpose({name}, {tuple(acc.index(a) for a in keep)})")
    return lines
