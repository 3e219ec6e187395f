"""Rendering kernels and derivation documents through the Jinja2 templates in `templates/`.

Templates only lay out data computed in Python. Writing is atomic (a temporary file renamed into
place), so an interrupted run never leaves a half-written module behind.
"""
from __future__ import annotations

from pathlib import Path

import jinja2

from . import kernel as kernel_mod
from .files import atomic_write
from .strategy import DEFAULT, Strategy

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


_TEX = {"\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#",
        "{": r"\{", "}": r"\}", "$": r"\$", "^": r"\^{}", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}"}


def tex_escape(value: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in str(value))


def environment() -> jinja2.Environment:
    if not TEMPLATES.is_dir():
        raise FileNotFoundError(f"derive renders from the templates/ folder of a source checkout, "
                                f"and {TEMPLATES} is missing; run it from a clone (pip install -e .)")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["tex"] = tex_escape
    env.filters["sentence"] = lambda text: text[:1].upper() + text[1:]
    return env


def render_kernel(rule, strategy: Strategy = DEFAULT) -> str:
    k = kernel_mod.build(rule, strategy)
    data = {name: getattr(k, name) for name in (
        "rule", "constants", "options", "forward_args", "forward_prologue", "forward",
        "forward_latex", "forward_formula", "fuse", "backward_args", "backward_prologue",
        "blocks", "output", "grads", "helpers", "forward_signature", "backward_signature",
        "forward_facts", "backward_facts")}
    return environment().get_template("kernel.py.j2").render(**data)


def render_network(net) -> str:
    from .network import plan

    data = plan(net)
    shape = "(N, " + ", ".join(str(d) for d in net.input_shape) + ")"
    return environment().get_template("network.py.j2").render(input_shape=shape, **data)


def write(path: Path, content: str) -> bool:
    """Write `content` to `path` atomically; return whether the file changed."""
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == content:
        return False
    atomic_write(path, lambda tmp: Path(tmp).write_text(content, encoding="utf-8", newline="\n"))
    return True
