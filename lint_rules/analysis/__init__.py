"""Program analysis the rule families share, on libcst trees: scopes and names in scope
(``scopes.py``), where a value goes and whether a task is kept (``escape.py``, following names
with ``events.py``), and the walking and control-flow predicates of ``flow.py``."""
