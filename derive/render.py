"""Rendering kernels and derivation documents through the Jinja2 templates in `templates/`.

Templates only lay out data computed in Python. Writing is atomic (a temporary file renamed into
place), so an interrupted run never leaves a half-written module behind.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
import importlib
import sys
import tempfile
import types
from pathlib import Path

import jinja2

from derive.lowering import kernel as kernel_mod
from derive.files import atomic_write, templates_dir
from derive.lowering.strategy import DEFAULT, Strategy

TEMPLATES = templates_dir()


_TEX = {"\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#",
        "{": r"\{", "}": r"\}", "$": r"\$", "^": r"\^{}", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}"}


# the math a rule's doc line may hold, as LaTeX (pdflatex reads no Unicode math)
_TEX_MATH = {"Σ": r"$\Sigma$", "ε": r"$\varepsilon$", "γ": r"$\gamma$", "β": r"$\beta$",
             "μ": r"$\mu$", "σ": r"$\sigma$", "√": r"$\surd$", "²": r"$^2$", "·": r"$\cdot$",
             "−": "-", "≤": r"$\leq$", "≥": r"$\geq$", "×": r"$\times$", "∂": r"$\partial$"}


def tex_escape(value: str) -> str:
    return "".join(_TEX.get(ch) or _TEX_MATH.get(ch, ch) for ch in str(value))


@lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """The Jinja2 environment (one per process: it keeps the templates it has compiled)."""
    return _environment()


def _environment() -> jinja2.Environment:
    if not TEMPLATES.is_dir():
        raise FileNotFoundError(f"derive's templates are missing ({TEMPLATES}): reinstall the "
                                f"package (pip install symprop, or pip install . in a clone)")
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


def render_kernel(rule, strategy: Strategy = DEFAULT, second_order: bool = False) -> str:
    k = kernel_mod.build(rule, strategy, second_order)
    data = {name: getattr(k, name) for name in (
        "rule", "constants", "options", "forward_args", "forward_prologue", "forward",
        "forward_latex", "forward_formula", "fuse", "backward_args", "backward_prologue",
        "blocks", "output", "grads", "helpers", "forward_signature", "backward_signature",
        "forward_facts", "backward_facts", "runtime", "gn_blocks", "gn_args", "gn_prologue",
        "gn_signature")}
    return environment().get_template("kernel.py.j2").render(**data)


def render_runtime() -> str:
    return environment().get_template("_runtime.py.j2").render()


def _input_shape(net) -> str:
    return "(N, " + ", ".join(str(d) for d in net.input_shape) + ")"


def render_network(net, strategy=None, profile: bool = False) -> str:
    """The network as one module from the whole-network lowering (`derive.netlower`); with
    `profile`, each block adds its time to `net.times` (for `make bench`)."""
    from derive.lowering.netlower import lower_network
    from derive.lowering.strategy import NETWORK

    from derive.lowering.network import NETWORKS

    data = lower_network(net, strategy or NETWORK)
    variants = [(v, name, NETWORKS[name].class_name) for v, name in net.variants]
    return environment().get_template("network.py.j2").render(
        input_shape=_input_shape(net), profile=profile, variants=variants,
        constant_keys={key for key, _, _ in data["constants"]}, **_counted(net), **data)


@lru_cache(maxsize=None)
def _counted(net) -> dict:
    """The summary's counts, from the network's kernels rendered into a scratch folder."""
    from derive.lowering.counts import network_counts

    with tempfile.TemporaryDirectory(prefix="symprop_counts_") as tmp:
        def load(rule):
            write(Path(tmp) / f"{rule.name}.py", render_kernel(rule))
            return load_generated(Path(tmp), rule.name)

        rows, fans = network_counts(net, load)
    unit_fan_in = [(key, fan[0] if len(set(fan)) == 1 else fan) for key, fan in fans.items()]
    return {"summary": rows, "unit_fan_in": unit_fan_in}


def render_network_per_rule(net) -> str:
    """The network as calls of the per-rule kernels: the reference path."""
    from derive.lowering.network import plan

    from derive.lowering.netlower import layout
    from derive.lowering.strategy import DEFAULT

    from derive.lowering.network import constants

    return environment().get_template("network_per_rule.py.j2").render(
        input_shape=_input_shape(net), class_name=f"{net.class_name}PerRule",
        layout=layout(net, DEFAULT), constants=constants(net), **_counted(net), **plan(net))


def load_generated(folder: Path, name: str):
    """Import `folder/name.py` as a module of a package made of `folder`, the shared runtime
    written beside it: how a kernel rendered outside generated/ is loaded."""
    folder = Path(folder).resolve()
    write(folder / "_runtime.py", render_runtime())
    package = f"_derive_{hashlib.sha1(str(folder).encode()).hexdigest()[:12]}"
    if package not in sys.modules:
        module = types.ModuleType(package)
        module.__path__ = [str(folder)]
        sys.modules[package] = module
    full = f"{package}.{name}"
    sys.modules.pop(full, None)
    importlib.invalidate_caches()
    return importlib.import_module(full)


def write(path: Path, content: str | bytes) -> bool:
    """Write `content` (text, or bytes for a picture) to `path` atomically; return whether the
    file changed."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.exists() and path.read_bytes() == data:
        return False
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
    return True

