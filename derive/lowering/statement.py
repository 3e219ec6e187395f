"""One lowered statement: a target bound to code, or lines that compute it."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Statement:
    target: str
    code: str | None  # None when `lines` compute the target
    formula: str
    shape: str
    lines: list[str] = field(default_factory=list)
