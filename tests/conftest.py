"""Shared test configuration: the fuzz profiles, and the reliability figures printed at the end.

Fuzz profiles (hypothesis settings profiles, chosen with hypothesis' own pytest option):

* ``quick`` (the default, what ``.ci/run`` runs): derandomized, so CI is reproducible, and
  sized so that tests/test_reliability_fuzz.py takes about a minute on two cores;
* ``long``: twenty times the examples, a fresh random seed each run, for a search of half
  an hour or so on two cores:
  ``python -m pytest tests/test_reliability_fuzz.py --hypothesis-profile=long``
  (add ``--hypothesis-show-statistics`` for the count of examples per test, ``-x`` to stop
  at the first falsifying example, which hypothesis then prints).

Tests add lines to the "reliability figures" section of the terminal summary through the
``reliability_report`` fixture (files swept, TRK000 causes, fuzz examples run), so that every
run prints them.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

QUICK_EXAMPLES = 100  # the unit the fuzz tests scale their budgets by
settings.register_profile(
    "quick",
    max_examples=QUICK_EXAMPLES,
    deadline=None,  # a libcst parse of a large generated module may take a while
    derandomize=True,
    database=None,  # derandomized: nothing to replay, and no .hypothesis/ directory left
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=QUICK_EXAMPLES * 20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("quick")  # --hypothesis-profile=long, parsed later, overrides it

_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def reliability_report(request: pytest.FixtureRequest) -> list[str]:
    """Lines for the "reliability figures" section of the terminal summary."""
    return request.config.stash.setdefault(_REPORT, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(_REPORT, [])
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
