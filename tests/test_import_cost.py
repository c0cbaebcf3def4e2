"""What a sweep worker imports before its first cell (issue 15: worker start-up is the pool's overhead).

``import ot`` costs 1.5-2 s beyond torch and scipy (it imports scikit-learn when installed); the samplers, laws,
measure and the divergences that need no transport problem must not pay it (theorylab/divergences/__init__.py).
"""

import subprocess
import sys

PROBE = """
import sys
from theorylab.experiments.executors import warm_worker
from theorylab.experiments.cells import library_versions
warm_worker()
library_versions()
print(sorted(m for m in ("ot", "sklearn", "pandas", "matplotlib") if m in sys.modules))
"""


def test_a_warm_worker_does_not_import_pot_sklearn_pandas_or_matplotlib():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
