"""Counts of the inputs the fault tests tried, printed at the end of the run ("Report the number of inputs tried")."""

from __future__ import annotations

from collections import Counter

import pytest

INPUTS_TRIED: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if INPUTS_TRIED:
        terminalreporter.write_sep("-", f"fault tests: {sum(INPUTS_TRIED.values())} bad inputs tried")
        for kind, count in sorted(INPUTS_TRIED.items()):
            terminalreporter.write_line(f"  {kind:<40} {count:>6}")
