"""Root test configuration: the notebooks (``notebooks/*.ipynb``, run top to bottom by nbmake) are slow checks.

Each notebook starts a Jupyter kernel and runs real work (ledger checks, a training run): ~65 s of the default
suite's CPU time for three of them (issue 15: the default suite stays under 5 min of CPU). They run in CI's slow
step (``pytest -m slow``), on every change, like the other long checks.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        if str(item.path).endswith(".ipynb"):
            item.add_marker(pytest.mark.slow)
