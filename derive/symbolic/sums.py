"""Sum algebra beyond SymPy's, for derivations through batch statistics (nested sums):

- a sum over several indices of a product whose factors each depend on some of them only is a
  product of sums: Σ_{n,r} A[n] B[r] = (Σ_n A[n]) (Σ_r B[r]);
- a sum of a sum is split term by term, a term free of the index multiplied by its count, where
  that makes terms cancel: Σ_r (x[r] - (1/N) Σ_m x[m]) = Σ_r x[r] - Σ_m x[m];
- sums equal up to the name of their index cancel: Σ_r x[r] - Σ_m x[m] = 0.

Together they find that a deviation from the mean sums to zero, which is what turns the batch
normalization gradient into its three-term closed form. Nothing here knows a layer.
"""
from __future__ import annotations

import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits


def canonical(expr: sp.Expr, depth: int = 0) -> sp.Expr:
    """`expr` with every summation index renamed by its depth and position: two sums that differ
    only in the names of their indices become identical."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    if isinstance(expr, ExprWithLimits):
        swap = {v: sp.Symbol(f"_i{depth}_{k}", integer=True)
                for k, (v, _, _) in enumerate(expr.limits)}
        limits = [(swap[v], lo, hi) for v, lo, hi in expr.limits]
        return expr.func(canonical(expr.function.xreplace(swap), depth + 1), *limits)
    return expr.func(*[canonical(a, depth) for a in expr.args])


def cancel_renamed(expr: sp.Expr) -> sp.Expr:
    """Terms of a sum that are equal up to summation-index names combined."""
    if not isinstance(expr, sp.Add):
        return expr
    groups: dict = {}
    order = []
    for term in expr.args:
        coeff, rest = term.as_coeff_Mul()
        key = canonical(rest)
        if key not in groups:
            groups[key] = [sp.Integer(0), rest]
            order.append(key)
        groups[key][0] += coeff
    return sp.Add(*[groups[k][0] * groups[k][1] for k in order])


def _separate(node: sp.Sum) -> sp.Expr:
    """Σ over several indices of a product: one sum per group of factors sharing indices."""
    if len(node.limits) < 2:
        return node
    bound = [v for v, _, _ in node.limits]
    groups: list[tuple[set, list]] = []
    outside = []
    for factor in sp.Mul.make_args(node.function):
        uses = factor.free_symbols & set(bound)
        if not uses:
            outside.append(factor)
            continue
        merged = [g for g in groups if g[0] & uses]
        for g in merged:
            groups.remove(g)
            uses |= g[0]
        groups.append((uses, [factor] + [f for g in merged for f in g[1]]))
    if len(groups) < 2:
        return node
    sums = [sp.Sum(sp.Mul(*factors), *[lim for lim in node.limits if lim[0] in uses])
            for uses, factors in groups]
    return sp.Mul(*outside, *sums)


def _linear(node: sp.Sum) -> sp.Expr:
    """Σ_v of a sum of terms: term by term, a term free of v times the number of terms."""
    if len(node.limits) != 1 or not node.function.has(sp.Sum):
        return node
    (v, lo, hi), = node.limits
    body = sp.expand(node.function)
    if not isinstance(body, sp.Add):
        return node
    parts = [t * (hi - lo + 1) if v not in t.free_symbols else sp.Sum(t, (v, lo, hi))
             for t in body.args]
    split = cancel_renamed(sp.Add(*parts))
    # only where terms cancel: Σ_r (x[r] - x̄)² stays as it is (expanded it is less accurate)
    return split if sp.count_ops(split) < sp.count_ops(node) else node


def simplify_sums(expr: sp.Expr) -> sp.Expr:
    """The rewrites above, innermost sums first, where a sum holds another (batch statistics);
    expressions without nested sums are returned as they are."""
    if not any(isinstance(s, sp.Sum) and s.function.has(sp.Sum) for s in sp.preorder_traversal(expr)) \
            and not any(isinstance(s, sp.Sum) and len(s.limits) > 1 and s.function.has(sp.Sum)
                        for s in sp.preorder_traversal(expr)):
        return expr

    def rewrite(node):
        out = _separate(node)
        return out.replace(lambda e: isinstance(e, sp.Sum), _linear) if out != node else _linear(node)

    new = expr.replace(lambda e: isinstance(e, sp.Sum), rewrite)
    new = new.replace(lambda e: isinstance(e, sp.Add), cancel_renamed)
    return new.replace(lambda e: isinstance(e, sp.Sum), _constant)


def _constant(node: sp.Sum) -> sp.Expr:
    """A sum of a term free of some of its indices: those indices counted out."""
    free = [(v, lo, hi) for v, lo, hi in node.limits if v not in node.function.free_symbols]
    if not free:
        return node
    count = sp.Mul(*[hi - lo + 1 for _, lo, hi in free])
    kept = [lim for lim in node.limits if lim not in free]
    return count * (sp.Sum(node.function, *kept) if kept else node.function)
