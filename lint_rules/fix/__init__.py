"""Applying the rules' fixes, knowing no rule: a fix is a typed object a rule attaches to its
report (``edits.py``); it builds its edit with what ``context.py`` offers (fresh names, the
tracking set, imports); ``apply.py`` makes the edits until nothing is left to fix."""
