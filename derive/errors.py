"""The two errors the engine raises on a rule it cannot handle; each message names the rule, the
tensor, the step (define, differentiate, solve deltas, lower, print) and the sub-expression."""


class RuleError(ValueError):
    """A rule that cannot be defined or derived: the message names the rule and what is wrong."""


class LoweringError(NotImplementedError):
    """A derived formula the lowering has no NumPy form for: the message names the rule, the
    tensor and the sub-expression."""
