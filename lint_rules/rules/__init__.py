"""The rule families, one module each. ``RULES`` is the registry the engine runs."""

from lint_rules.rules.callbacks import CallbackRules
from lint_rules.rules.dispatch import DispatchRules
from lint_rules.rules.tasks import TaskRules

RULES = (TaskRules, CallbackRules, DispatchRules)
