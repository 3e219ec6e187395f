"""A rule's derivation in SymPy's Unicode pretty-printer, for a terminal (`show`)."""
from __future__ import annotations

import sympy as sp

from derive.documents.derivation import _loss_display
from derive.symbolic.differentiate import gradient, stored_index


def _pretty(expr) -> str:
    return sp.pretty(expr, use_unicode=True, wrap_line=False)


def _indent(block: str, pad: str = "    ") -> str:
    return "\n".join(pad + line if line.strip() else line for line in block.splitlines())


def show(rule) -> str:
    """The forward definition and, for every tensor, the derivation step by step."""
    out = rule.output
    head = out[stored_index(out, rule.index)] if out.rank else sp.Symbol(out.name)
    parts = [f"{rule.name}: {rule.doc}" if rule.doc else rule.name, "",
             "forward:", _indent(_pretty(sp.Eq(head, rule.expr, evaluate=False)))]
    for sym, value in rule.constants:
        parts.append(f"constant: {sym} = {value}")
    for sym, keyword, default in rule.options:
        parts.append(f"option: {sym} (keyword {keyword}, default {default})")
    for sym, definition in rule.derived:
        parts.append(f"size: {sym} = {definition}")
    for fact in rule.facts:
        parts += ["fact used:", _indent(_pretty(fact))]
    for t in rule.differentiable:
        gr = gradient(rule, t.name)
        read = t[gr.index] if t.rank else sp.Symbol(t.name)
        lhs = sp.Symbol(f"∂{'J' if out.rank == 0 else 'L'}/∂{sp.sstr(read)}")
        parts += ["", f"gradient with respect to {t.name} (g is ∂L/∂{out.name}):"]
        steps = [("chain rule", gr.chain), ("Kronecker-delta form", gr.kronecker),
                 ("deltas solved", gr.gathered)]
        if gr.result != gr.gathered:
            steps.append((f"in terms of the output {out.name}", gr.result))
        for label, expr in steps:
            parts += [f"  {label}:",
                      _indent(_pretty(sp.Eq(lhs, _loss_display(expr, rule), evaluate=False)))]
    return "\n".join(parts) + "\n"
