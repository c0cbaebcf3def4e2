"""The application layer: the studies theorylab ships and the main job (``theorylab reproduce``).

* :mod:`theorylab.studies.reproductions` -- the seed-002 learned-score experiments (GMM, smile, digits), each run in a
  spawned child with its cost measured;
* :mod:`theorylab.studies.reproduce` -- the main job: reproductions, the claims ledger, every shipped sweep and its
  report, the GAN experiments, the bound atlas and the index.

It sits above every other layer (claims, report, learning, bounds, experiments) and is called by the CLI only, so that
no library layer depends on orchestration (``docs/architecture.md``).
"""
