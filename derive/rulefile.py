"""Rules from a user's own Python file: `--rules my_layers.py` on every command that takes rules.

The file defines rules with the public API (`from derive import Rule, Tensor, indices, sizes`):
either a module-level `RULES` (a list, tuple or dict of `Rule`), or, without one, every module-level
`Rule` in the order the file defines them. A file that cannot be read, fails while it runs, or
defines no rule gives a `RuleError` that names the file (and the line, for an error in it).
"""
from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from pathlib import Path

from derive.errors import RuleError
from derive.symbolic.rule import Rule


def load_rules(path) -> dict[str, Rule]:
    """The rules a file defines, by name."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise RuleError(f"{path}: no such rule file")
    name = f"_symprop_rules_{hashlib.sha1(str(path).encode()).hexdigest()[:12]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except RuleError as err:
        raise RuleError(f"{path}: {err}") from None
    except Exception as err:  # noqa: BLE001 — the user's code: say where it failed
        frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == str(path)]
        where = f"{path}:{frames[-1].lineno}" if frames else str(path)
        if isinstance(err, SyntaxError) and err.lineno:
            where = f"{path}:{err.lineno}"
        raise RuleError(f"{where}: {type(err).__name__}: {err}") from None
    finally:
        sys.modules.pop(name, None)
    found = getattr(module, "RULES", None)
    if found is None:
        rules = [v for v in vars(module).values() if isinstance(v, Rule)]
    else:
        rules = list(found.values()) if isinstance(found, dict) else list(found)
        wrong = [type(r).__name__ for r in rules if not isinstance(r, Rule)]
        if wrong:
            raise RuleError(f"{path}: RULES holds {', '.join(sorted(set(wrong)))}, not Rule")
    if not rules:
        raise RuleError(f"{path}: defines no Rule (a module-level RULES list, or Rule objects)")
    table: dict[str, Rule] = {}
    for rule in rules:
        if rule.name in table and table[rule.name] is not rule:
            raise RuleError(f"{path}: two rules are named {rule.name!r}")
        table[rule.name] = rule
    return table
