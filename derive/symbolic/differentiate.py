"""Vector-Jacobian products derived from a rule's forward expression, step by step.

For a tensor X of a rule `F[out] = expr`, with the upstream gradient G = ∂J/∂F:

    ∂J/∂X[p] = Σ_out G[out] · ∂F[out]/∂X[p]          (chain rule)
             = Σ_out G[out] · (expr with Kronecker deltas)   (SymPy's diff)
             = gathered form                              (deltas eliminated, bounds folded)

then the rule's facts are applied and, where it can be done exactly, the result is rewritten in
terms of the forward output (tanh' = 1 - a^2) by solving `out = f(h)` for a sub-expression h.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from derive.symbolic import kronecker
from derive.symbolic.bounds import fold, relax
from derive.errors import RuleError
from derive.symbolic.ranges import simplify
from derive.symbolic.rule import Rule, Tensor
from derive.symbolic.stable import ReduceMax
from derive.symbolic.sums import canonical, simplify_sums

LETTERS = "pqrtuvxyhlefcd"


@dataclass(frozen=True)
class Gradient:
    """The derivation of ∂J/∂X for one tensor X of a rule."""
    rule: Rule
    wrt: Tensor
    index: tuple[sp.Symbol, ...]      # free indices of the result, X[index]
    upstream: sp.Expr                  # G[out] (or the scalar g for a loss)
    chain: sp.Expr                     # Σ_out G[out] ∂F[out]/∂X[index], unevaluated
    kronecker: sp.Expr                 # the same after SymPy's diff: deltas explicit
    gathered: sp.Expr                  # deltas eliminated, facts applied
    result: sp.Expr                    # rewritten in the forward output where exact
    lowered: sp.Expr                   # `result` with read-range conditions left to the lowering

    @property
    def uses_output(self) -> bool:
        return self.result.has(self.rule.output.base)


def upstream(rule: Rule, name: str = "g") -> sp.Expr:
    if rule.output.rank == 0:
        return sp.Symbol(name)
    return sp.IndexedBase(name, real=True)[rule.index]


def _fresh_index(rule: Rule, wrt: Tensor) -> tuple[sp.Symbol, ...]:
    """Names for the gradient's own indices: the forward's letter primed where it reads `wrt` at
    a plain index (n', i'), else the article's p, q, r, t."""
    taken = {s.name for s in rule.expr.atoms(sp.Symbol)} | {t.name for t in rule.tensors}
    taken |= {s.name for s in rule.index} | {"g"}
    for t in (*rule.tensors, rule.output):
        for size in t.shape:
            taken |= {s.name for s in size.free_symbols}
    taken |= {str(s) for s, *_ in (*rule.options, *rule.constants, *rule.derived)}
    read = next((x for x in sp.preorder_traversal(rule.expr)
                 if isinstance(x, sp.Indexed) and x.base == wrt.base), None)
    pool = iter(c for c in LETTERS if c not in taken)
    names = []
    for axis in range(wrt.rank):
        ix = read.indices[axis] if read is not None else None
        names.append(f"{ix.name}'" if isinstance(ix, sp.Symbol) else next(pool))
    return tuple(sp.Symbol(c, integer=True) for c in names)


def _ranges_of(index, shape):
    return {p: (sp.Integer(0), size - 1) for p, size in zip(index, shape)}


def apply_facts(expr: sp.Expr, facts) -> sp.Expr:
    """Replace each instance of a fact's left side (a Sum, up to its free indices) by its right."""
    for fact in facts:
        lhs, rhs = fact.lhs, fact.rhs
        bound = {v for v, *_ in getattr(lhs, "limits", ())}
        free = sorted({ix for read in lhs.atoms(sp.Indexed) for ix in read.indices
                       if isinstance(ix, sp.Symbol)} - bound, key=str)
        wild = {s: sp.Wild(f"w_{s}") for s in free}
        pattern = lhs.xreplace(wild) if free else lhs

        def swap(node):
            if not isinstance(node, sp.Sum) or not isinstance(lhs, sp.Sum):
                return node
            if len(node.limits) != len(lhs.limits):
                return node
            renamed = node
            for (v, *_), (w, *_) in zip(node.limits, lhs.limits):
                renamed = renamed.xreplace({v: w})
            match = renamed.match(pattern)
            if match is None:
                return node
            return rhs.xreplace({s: match[wild[s]] for s in free})

        expr = expr.replace(lambda e: isinstance(e, sp.Sum), swap)
    return expr


def _primary_access(rule: Rule, wrt: Tensor) -> sp.Indexed | None:
    """A read of `wrt` at exactly the output indices, if the forward has one."""
    for node in sp.preorder_traversal(rule.expr):
        if isinstance(node, sp.Indexed) and node.base == wrt.base and node.indices == rule.index:
            return node
    return None


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    diff = sp.expand(a - b)
    if diff == 0:
        return True
    if diff.has(sp.Sum):
        return False
    diff = simplify(diff)
    diff = diff.xreplace({x: sp.Symbol(f"v{n}") for n, x in enumerate(
        sorted(diff.atoms(sp.Indexed), key=sp.default_sort_key))})
    symbols = sorted(diff.free_symbols, key=str)
    rng = random.Random(0)  # several fixed points
    for _ in range(6):
        values = {s: sp.Float(rng.uniform(-2.5, 2.5)) for s in symbols}
        x = diff.xreplace(values)
        if x.free_symbols or abs(complex(sp.N(x))) > 1e-12:
            return False
    return True


def subs_deep(expr: sp.Expr, old: sp.Expr, new: sp.Expr) -> sp.Expr:
    """`subs` that also enters sums: `old` is written in the same index names as the sum uses."""
    if isinstance(expr, sp.Sum):
        return sp.Sum(subs_deep(expr.function, old, new), *expr.limits)
    if not expr.args or not expr.has(sp.Sum):
        return expr.subs(old, new)
    return expr.func(*[subs_deep(a, old, new) for a in expr.args]).subs(old, new)


def absorb(expr: sp.Expr) -> sp.Expr:
    """c · Sum(f) as Sum(c · f): a factor is brought next to the terms it may combine with."""
    if not expr.args or isinstance(expr, sp.Indexed):
        return expr
    expr = expr.func(*[absorb(a) for a in expr.args])
    if isinstance(expr, sp.Mul):
        sums = [f for f in expr.args if isinstance(f, sp.Sum)]
        if len(sums) == 1:
            rest = [f for f in expr.args if f is not sums[0]]
            bound = set(sums[0].variables)
            if not any(f.free_symbols & bound for f in rest):
                return sp.Sum(sp.Mul(*rest) * sums[0].function, *sums[0].limits)
    return expr


def tidy(expr: sp.Expr) -> sp.Expr:
    """Factors free of a sum's variables taken out of it, common factors pulled forward."""
    expr = expr.replace(lambda e: isinstance(e, sp.Sum),
                        lambda e: kronecker.factor_out(e.function, e.limits))
    return sp.factor_terms(expr)


def _solve_for(out, f_T, T) -> list:
    """The solutions T of out = f(T), with every sum (a constant in T) held as a symbol while
    SymPy solves: solving through sums makes it simplify them, slowly."""
    sums = sorted(f_T.atoms(sp.Sum), key=sp.default_sort_key)
    held = {s: sp.Dummy(f"S{k}") for k, s in enumerate(sums)}
    sols = sp.solve(sp.Eq(out, f_T.xreplace(held)), T)
    back = {d: s for s, d in held.items()}
    return [sol.xreplace(back) for sol in sols]


def output_reads(expr: sp.Expr, rule: Rule) -> sp.Expr:
    """A reduction in `expr` that is the rule's own forward reduction at some output index (a
    window's maximum at (p - u)/s) read as the output there: the backward reads what the
    forward computed instead of computing it again."""
    if not isinstance(rule.expr, ReduceMax) or not rule.output.rank:
        return expr
    unknown = {i: sp.Dummy(f"at_{i}") for i in rule.index}
    pattern = canonical(rule.expr.xreplace(unknown))

    def swap(node):
        at = _output_index(pattern, canonical(node), list(unknown.values()))
        if at is None:
            return node
        return rule.output[stored_index(rule.output, tuple(at[unknown[i]] for i in rule.index))]
    return expr.replace(lambda e: isinstance(e, ReduceMax), swap)


def _output_index(pattern, node, unknown) -> dict | None:
    """The output index at which `pattern` (the forward expression, its output indices
    `unknown`) is `node`: solved from the indices of their reads, then checked whole."""
    reads = [x for x in sp.preorder_traversal(pattern) if isinstance(x, sp.Indexed)]
    there = [x for x in sp.preorder_traversal(node) if isinstance(x, sp.Indexed)]
    if len(reads) != len(there) or any(a.base != b.base for a, b in zip(reads, there)):
        return None
    equations = [sp.Eq(a, b) for r, t in zip(reads, there) for a, b in zip(r.indices, t.indices)
                 if a.has(*unknown)]
    try:
        solved = sp.solve(equations, unknown, dict=True)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if len(solved) != 1 or set(solved[0]) != set(unknown):
        return None
    return solved[0] if sp.expand(pattern.xreplace(solved[0]) - node) == 0 or \
        pattern.xreplace(solved[0]) == node else None


def in_terms_of_output(expr: sp.Expr, rule: Rule, wrt: Tensor) -> sp.Expr:
    """Rewrite reads of `wrt` as reads of the forward output, where an exact inverse exists."""
    expr = output_reads(expr, rule)
    primary = _primary_access(rule, wrt)
    if primary is None:
        return expr
    if any(isinstance(e, sp.Sum) and e.function.has(sp.Sum) for e in sp.preorder_traversal(rule.expr)):
        return tidy(absorb(expr))  # a statistic inside a sum (a batch mean): no pointwise inverse

    def count(e):
        return sum(1 for x in sp.preorder_traversal(e)
                   if isinstance(x, sp.Indexed) and x.base == wrt.base)

    expr = original = absorb(expr)
    back = []  # (out read, its forward expression), to check each rewrite
    progress = True
    while progress and count(expr):
        progress = False
        reads = sorted({x for x in expr.atoms(sp.Indexed) if x.base == wrt.base},
                       key=sp.default_sort_key)
        for read in reads:
            inst = rule.expr.subs(dict(zip(rule.index, read.indices)), simultaneous=True)
            out = rule.output[read.indices]
            for h in sp.preorder_traversal(inst):
                if not isinstance(h, sp.Expr) or not h.has(read) or h.has(sp.Sum):
                    continue  # a sum reads other entries too: no inverse at one position
                T = sp.Dummy("T")
                try:
                    f_T = inst.xreplace({h: T})
                    sols = _solve_for(out, f_T, T)
                except (NotImplementedError, TypeError, ValueError):
                    continue
                if (f_T.has(read) or len(sols) != 1
                        or sols[0].has(sp.nan, sp.zoo, sp.Piecewise, sp.LambertW)):
                    continue  # no single elementary inverse
                if any(isinstance(x, sp.Indexed) and x.base == wrt.base
                       for x in sp.preorder_traversal(sols[0])) and not expr.has(h):
                    continue  # the inverse reads `wrt` again, and there is no `h` to replace
                new = subs_deep(expr, h, sols[0])
                if not new.has(rule.output.base):
                    continue  # `h` does not occur: no rewrite (simplify alone is no progress)
                if not new.has(sp.Sum):
                    new = sp.factor_terms(simplify(new))
                check = new
                for o, f in [*back, (out, inst)]:
                    check = subs_deep(check, o, f)
                simpler = sp.count_ops(new) <= sp.count_ops(expr) + 2  # a rewrite, not a detour
                if count(new) < count(expr) and simpler and _same(check, original):
                    expr, progress = new, True
                    back.append((out, inst))
                    break
            if progress:
                break
    return tidy(expr)


@lru_cache(maxsize=None)
def gradient(rule: Rule, name: str) -> Gradient:
    """The derivation of ∂J/∂`name`; a step that fails raises `RuleError` naming the rule, the
    tensor, the step and the expression it worked on."""
    return _derive(rule, name, second=False)


@lru_cache(maxsize=None)
def gauss_newton(rule: Rule, name: str) -> Gradient:
    """The Gauss–Newton diagonal for `name`: h_X[p] = Σ_out (∂F[out]/∂X[p])² h[out], with h the
    same diagonal for the output, plus Σ_out g[out] ∂²F[out]/∂X[p]² where that second derivative
    reads no input (a quadratic layer; a squashing function's is dropped, as LeCun et al. 1998
    do); for a loss (a scalar), its exact second derivative ∂²J/∂X[p]². Derived from the forward
    expression like the gradient: the derivative squared (one copy's summation indices renamed),
    then the deltas solved the same way."""
    return _derive(rule, name, second=True)


def _derive(rule: Rule, name: str, second: bool) -> Gradient:
    wrt = rule.tensor(name)
    if wrt.role in ("label", "constant"):
        raise RuleError(f"rule {rule.name!r}: {name!r} is a {wrt.role}; those are not differentiated")
    step = Step(rule, name)
    index = _fresh_index(rule, wrt)
    G = upstream(rule, "h" if second else "g")
    target = wrt[index]
    out_limits = [(o, 0, size - 1) for o, size in zip(rule.index, rule.output.shape)]

    def total(body):
        return sp.Sum(G * body, *out_limits) if out_limits else G * body

    out_read = out[rule.index] if (out := rule.output).rank else sp.Symbol(out.name)
    derivative = sp.Derivative(out_read, target, evaluate=False)
    with step("differentiate", rule.expr):
        if not second:
            chain, kron = total(derivative), total(sp.diff(rule.expr, target))
        elif out.rank:
            d = sp.diff(rule.expr, target)
            twin = rename_bound(d, {v for s in d.atoms(sp.Sum) for v, *_ in s.limits})
            chain, kron = total(derivative ** 2), total(sp.expand(d * twin))
            own = sp.diff(d, target)
            if own != 0 and not any(isinstance(x, sp.Indexed) and x.base == wrt.base
                                    for x in sp.preorder_traversal(own)):
                # the layer's own second derivative, where it reads no input (a quadratic form,
                # an RBF): kept, times the gradient g; a squashing function's is dropped
                G1 = upstream(rule, "g")
                chain += sp.Sum(G1 * sp.Derivative(out_read, target, target, evaluate=False),
                                *out_limits)
                kron += sp.Sum(G1 * own, *out_limits)
        else:
            chain = total(sp.Derivative(out_read, target, target, evaluate=False))
            kron = total(sp.diff(rule.expr, target, target))
    left = sorted(kron.atoms(sp.Derivative), key=sp.default_sort_key)
    if left:
        raise RuleError(f"rule {rule.name!r}, gradient with respect to {name!r}: step "
                        f"'differentiate': SymPy knows no derivative of "
                        f"{sp.sstr(left[0].expr)} (it stays {sp.sstr(left[0])})")
    ranges = _ranges_of(index, wrt.shape)
    terms = []
    with step("solve deltas", kron):
        split = kronecker.split_terms(kron)
    for t in split:
        with step("solve deltas", t.coeff):
            t = kronecker.eliminate(t, prefer=rule.index)
            t = kronecker.simplify_conds(t, ranges)
        if t is not None:
            terms.append(t)
    shapes = rule.shapes | {"g": rule.output.shape, "h": rule.output.shape}

    def finish(kept):
        with step("fold bounds and apply facts", kron):
            gathered = sp.factor_terms(apply_facts(sp.Add(*[fold(t, ranges) for t in kept]),
                                                   rule.facts))
        with step("sum algebra", gathered):
            gathered = simplify_sums(gathered)
        with step("rewrite in the output", gathered):
            return gathered, in_terms_of_output(gathered, rule, wrt)

    gathered, result = finish(terms)
    with step("relax read ranges", gathered):
        relaxed = [relax(t, shapes) for t in terms]
    lowered = result if relaxed == terms else finish(relaxed)[1]
    return Gradient(rule, wrt, index, G, chain, kron, gathered, result, lowered)


class Step:
    """`with step("solve deltas", expr):` turns a failure inside into a `RuleError` that names the
    rule, the tensor, the step and (the start of) the expression."""

    def __init__(self, rule: Rule, name: str):
        self.rule, self.name = rule, name

    def __call__(self, label: str, expr):
        self.label, self.expr = label, expr
        return self

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if err is None or isinstance(err, RuleError):
            return False
        shown = sp.sstr(self.expr)
        shown = shown if len(shown) <= 300 else shown[:300] + " ..."
        raise RuleError(f"rule {self.rule.name!r}, gradient with respect to {self.name!r}: step "
                        f"{self.label!r} failed ({type(err).__name__}: {err}) on {shown}") from err


def rename_bound(expr: sp.Expr, avoid: set) -> sp.Expr:
    """Rename the summation variables of `expr` that clash with `avoid` (capture-free subs)."""
    def fresh(node):
        limits, body = [], node.function
        for v, lo, hi in node.limits:
            if v in avoid:
                new = kronecker._fresh(v, avoid | node.atoms(sp.Symbol))
                body = body.xreplace({v: new})
                v = new
            limits.append((v, lo, hi))
        return sp.Sum(body, *limits)
    return expr.replace(lambda e: isinstance(e, sp.Sum), fresh)


def compose(outer: sp.Expr, outer_index, inner: Gradient) -> sp.Expr:
    """The chain rule between two derived layers: `inner`'s upstream gradient is `outer`."""
    expr = inner.result
    outer = rename_bound(outer, set(inner.index) | expr.free_symbols)
    out = inner.rule.output
    for read in sorted(expr.atoms(sp.Indexed), key=sp.default_sort_key):
        if str(read.base.label) == "g":
            stored = stored_index(out, read.indices)
            expr = subs_deep(expr, read, outer.subs(dict(zip(outer_index, stored)),
                                                    simultaneous=True))
    return expr


def stored_index(t: Tensor, index) -> tuple:
    """The index into the stored array of `t` for a logical index (row-major fused groups)."""
    if not t.fused:
        return tuple(index)
    out = []
    for group in t.fused:
        flat = sp.Integer(0)
        for axis in group:
            flat = flat * t.shape[axis] + index[axis]
        out.append(sp.expand(flat))
    return tuple(out)


def jacobian(rule: Rule, name: str) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """∂F[out]/∂X[p] with the inner sums resolved and the output substituted where exact."""
    wrt = rule.tensor(name)
    index = _fresh_index(rule, wrt)
    terms = []
    for t in kronecker.split_terms(sp.diff(rule.expr, wrt[index])):
        t = kronecker.simplify_conds(kronecker.eliminate(t), _ranges_of(index, wrt.shape))
        if t is not None:
            terms.append(kronecker.rebuild(t))
    return in_terms_of_output(sp.factor_terms(sp.Add(*terms)), rule, wrt), index
