"""symprop (also `python -m derive`): derive, print, document, generate and check layer rules."""
from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

from derive import rules as rule_table
from derive.lenet import train as train_mod
from derive.lenet.sdlm import SdlmConfig, train_sdlm
from derive.documents.derivation import claim_docs, rule_doc
from derive.documents.bitmap import prototypes_picture
from derive.lowering.network import NETWORKS, pictures, second_order_rules
from derive.documents.pretty import show
from derive.errors import LoweringError, RuleError
from derive.files import generated_dir
from derive.gradcheck import gradcheck
from derive.rulefile import load_rules
from derive.render import (environment, render_kernel, render_network, render_network_per_rule,
                     render_runtime, write)

GENERATED = generated_dir()


def _table(rules_file) -> dict:
    """The rules a command works on: the built-in table, or those of the user's file."""
    return load_rules(rules_file) if rules_file else rule_table.RULES


def _pick(names: list[str], table=None):
    table = rule_table.RULES if table is None else table
    if not names:
        return [table[n] for n in sorted(table)]
    unknown = [n for n in names if n not in table]
    if unknown:
        raise RuleError(f"no rule {', '.join(map(repr, unknown))}; rules: {', '.join(sorted(table))}")
    return [table[n] for n in names]


def _log(quiet: bool, message: str):
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def _emit(out: Path, name: str, render, quiet: bool) -> Path:
    start = time.perf_counter()
    path = out / name
    changed = write(path, render())
    _log(quiet, f"  {'wrote' if changed else 'same '} {path.relative_to(out.parent)}"
                f"  ({time.perf_counter() - start:.1f}s)")
    return path


def generate(out: Path, names=(), quiet=False, table=None) -> list[Path]:
    """Render every kernel, the shared runtime and (for the whole built-in table) the networks
    and the package index into `out`; return the files written. With a user's `table`, its
    kernels, and an `__init__.py` only where the folder has none."""
    paths = [_emit(out, "_runtime.py", render_runtime, quiet)]
    second = second_order_rules() if table is None else set()
    for rule in _pick(list(names), table):
        paths.append(_emit(out, f"{rule.name}.py",
                           lambda rule=rule: render_kernel(rule, second_order=rule.name in second),
                           quiet))
    if table is not None:
        if not (out / "__init__.py").exists():
            write(out / "__init__.py", environment().get_template("__init__.py.j2").render(
                rules=sorted(table), networks=[]))
        return paths
    if not names:
        for net in NETWORKS.values():
            paths.append(_emit(out, f"{net.name}.py", lambda net=net: render_network(net), quiet))
            paths.append(_emit(out, f"{net.name}_per_rule.py",
                               lambda net=net: render_network_per_rule(net), quiet))
        init = environment().get_template("__init__.py.j2").render(
            rules=sorted(rule_table.RULES), networks=sorted(NETWORKS))
        write(out / "__init__.py", init)
        paths.append(out / "__init__.py")
    return paths


def documents(out: Path, quiet=False, table=None) -> list[Path]:
    env = environment()
    second = second_order_rules() if table is None else set()
    data = {"rules": [rule_doc(r, r.name in second) for r in _pick([], table)],
            "claims": claim_docs() if table is None else []}
    paths = []
    for template, name in (("DERIVATIONS.md.j2", "DERIVATIONS.md"),
                           ("derivations.tex.j2", "derivations.tex")):
        path = out / name
        changed = write(path, env.get_template(template).render(**data))
        _log(quiet, f"  {'wrote' if changed else 'same '} {path.relative_to(out.parent)}")
        paths.append(path)
    for net in NETWORKS.values() if table is None else ():
        for stem, values, (rows, cols) in pictures(net):
            path = out / f"{stem}.png"
            changed = write(path, prototypes_picture(values, rows, cols))
            _log(quiet, f"  {'wrote' if changed else 'same '} {path.relative_to(out.parent)}")
            paths.append(path)
    return paths


def print_latex(names, table=None) -> None:
    rules = _pick(list(names), table)
    claims = claim_docs(frozenset(names) if names else None) if table is None else []
    text = environment().get_template("derivations.txt.j2").render(
        rules=[rule_doc(r, r.name in second_order_rules() and table is None) for r in rules],
        claims=claims)
    sys.stdout.write(text)


def check(reference: Path = GENERATED) -> int:
    """Regenerate into a temporary folder and compare with `reference`; 0 when identical."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "generated"
        produced = generate(fresh, quiet=True) + documents(fresh, quiet=True)
        drift = []
        for path in produced:
            committed = reference / path.name
            if committed.exists() and committed.read_bytes() == path.read_bytes():
                continue
            drift.append(path.name)
            if path.suffix != ".png":
                old = committed.read_text(encoding="utf-8") if committed.exists() else ""
                sys.stdout.writelines(difflib.unified_diff(
                    old.splitlines(True), path.read_text(encoding="utf-8").splitlines(True),
                    f"committed/{path.name}", f"derived/{path.name}", n=1))
        stale = sorted(p.name for p in reference.glob("*.py")
                       if p.name not in {q.name for q in produced})
    if drift or stale:
        print(f"derive check: generated/ differs from what derive produces: "
              f"{', '.join(drift + [s + ' (no rule)' for s in stale])}. Run `make`.", file=sys.stderr)
        return 1
    print(f"derive check: generated/ matches derive ({len(produced)} files)", file=sys.stderr)
    return 0


RULES_HELP = "a Python file of your own rules (a RULES list, or module-level Rule objects)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="symprop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("generate", help="render kernels into generated/ (or --out)")
    p.add_argument("rules", nargs="*", help="rule names (default: all)")
    p.add_argument("--rules", dest="rules_file", metavar="FILE", help=RULES_HELP)
    p.add_argument("--out", type=Path, help="folder (default: generated/ of the checkout, or "
                                            "./generated)")
    p = sub.add_parser("latex", help="print the derivations as LaTeX, step by step")
    p.add_argument("rules", nargs="*", help="rule names (default: all, and the article's results)")
    p.add_argument("--rules", dest="rules_file", metavar="FILE", help=RULES_HELP)
    p = sub.add_parser("show", help="print the derivations with SymPy's Unicode pretty-printer")
    p.add_argument("rules", nargs="*", help="rule names (default: all)")
    p.add_argument("--rules", dest="rules_file", metavar="FILE", help=RULES_HELP)
    p = sub.add_parser("docs", help="write DERIVATIONS.md and derivations.tex")
    p.add_argument("--rules", dest="rules_file", metavar="FILE", help=RULES_HELP)
    p.add_argument("--out", type=Path, help="folder (default: as for generate)")
    p = sub.add_parser("gradcheck", help="generate each kernel and check its gradients against "
                                         "central finite differences (exit 1 when one is off)")
    p.add_argument("rules", nargs="*", help="rule names (default: all)")
    p.add_argument("--rules", dest="rules_file", metavar="FILE", help=RULES_HELP)
    p.add_argument("--seed", type=int, default=0)
    sub.add_parser("check", help="fail when generated/ differs from what derive produces")
    sub.add_parser("all", help="generate, write the documents and print the derivations (make)")
    p = sub.add_parser("rules", help="list the rule table (or a file's rules)")
    p.add_argument("--rules", dest="rules_file", metavar="FILE", help=RULES_HELP)
    p = sub.add_parser("train", help="train the generated LeNet-5 on MNIST")
    train_mod.add_arguments(p)
    p.add_argument("--resume", help="a checkpoint.npz to continue from")
    p = sub.add_parser("train-1998", help="train the 1998 LeNet-5 by stochastic diagonal "
                                          "Levenberg-Marquardt (the paper's schedule)")
    for f in fields(SdlmConfig):
        default = getattr(SdlmConfig(), f.name)
        p.add_argument(f"--{f.name.replace('_', '-')}", type=type(default), default=default)
    p = sub.add_parser("evaluate", help="test error, confusion matrix, misclassified digits")
    train_mod.add_arguments(p, only=("data", "test_limit"))
    p.add_argument("--checkpoint", default="runs/lenet5/checkpoint.npz")
    p = sub.add_parser("fetch-mnist", help="download the four MNIST files (md5-checked) into DIR")
    p.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (RuleError, LoweringError) as err:
        print(f"symprop {args.command}: {err}", file=sys.stderr)
        return 2


def _out(args, user: bool) -> Path:
    if args.out:
        return args.out.resolve()
    return (Path.cwd() / "generated") if user else GENERATED


def _run(args) -> int:
    user = bool(getattr(args, "rules_file", None))
    table = load_rules(args.rules_file) if user else None
    if args.command == "fetch-mnist":
        from derive.lenet import mnist

        try:
            written = mnist.download(args.directory)
        except mnist.MnistError as err:
            print(f"derive fetch-mnist: {err}", file=sys.stderr)
            return 2
        print(f"{len(written)} file(s) downloaded into {args.directory}; all four present")
        return 0
    if args.command == "train":
        return train_mod.main_train(args)
    if args.command == "train-1998":
        from derive.lenet import mnist

        config = SdlmConfig(**{f.name: getattr(args, f.name) for f in fields(SdlmConfig)})
        try:
            train_sdlm(config, echo=lambda line: print(line, flush=True))
        except (ValueError, mnist.MnistError) as err:
            print(f"symprop train-1998: {err}", file=sys.stderr)
            return 2
        return 0
    if args.command == "evaluate":
        return train_mod.main_evaluate(args)
    if args.command == "all":
        generate(GENERATED)
        documents(GENERATED)
        print_latex([])
    elif args.command == "generate":
        generate(_out(args, user), args.rules, table=table)
    elif args.command == "latex":
        print_latex(args.rules, table)
    elif args.command == "show":
        for rule in _pick(args.rules, table):
            sys.stdout.write(show(rule) + "\n")
    elif args.command == "docs":
        documents(_out(args, user), table=table)
    elif args.command == "gradcheck":
        results = gradcheck(_pick(args.rules, table), seed=args.seed)
        failed = [f"{c.rule}/{c.tensor}" for c in results if not c.ok]
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed"
              + (f": {', '.join(failed)}" if failed else ""))
        return 1 if failed else 0
    elif args.command == "check":
        return check()
    elif args.command == "rules":
        for name, rule in sorted(_table(args.rules_file).items()):
            print(f"{name:24s} {rule.doc}")
    return 0
