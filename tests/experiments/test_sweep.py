"""The [sweep] table: cartesian product, zip, errors naming the key, cell validation before anything runs."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.config import validate
from theorylab.errors import ConfigError
from theorylab.experiments import expand, parse_sweep, run_sweep
from theorylab.experiments.cells import cell_key

from .helpers import exact_config

GAMMAS = [0.1, 0.05, 0.025]
MS = [0.0, 0.1]


def _cells(raw):
    cells, duplicates = expand(parse_sweep(raw))
    return cells, duplicates


def test_no_sweep_is_one_cell_equal_to_the_plain_config():
    raw = exact_config()
    cells, _ = _cells(raw)
    assert len(cells) == 1
    assert cells[0].config == validate(raw)
    assert cells[0].sweep == {}


def test_cartesian_product_in_written_order_last_axis_fastest():
    cells, duplicates = _cells(exact_config(**{"sampler.gamma": GAMMAS, "score.M": MS}))
    assert duplicates == 0
    assert [(c.config.sampler.gamma, c.config.score.M) for c in cells] == list(itertools.product(GAMMAS, MS))
    assert [c.index for c in cells] == list(range(6))
    assert cells[3].sweep == {"sampler.gamma": 0.05, "score.M": 0.1}


def test_quoted_and_nested_dotted_keys_are_the_same_path():
    quoted, _ = _cells(exact_config(**{"sampler.gamma": GAMMAS}))
    nested, _ = _cells(exact_config(sampler={"gamma": GAMMAS}))
    assert [c.key for c in quoted] == [c.key for c in nested]


def test_zip_table_is_one_axis_of_the_product():
    raw = exact_config(**{"score.M": MS, "zip": {"sampler.T": [1.0, 2.0], "sampler.gamma": [0.1, 0.25]}})
    cells, _ = _cells(raw)
    got = [(c.config.score.M, c.config.sampler.T, c.config.sampler.gamma) for c in cells]
    assert got == [(m, t, g) for m in MS for (t, g) in [(1.0, 0.1), (2.0, 0.25)]]


def test_mode_zip_zips_every_list():
    raw = exact_config(mode="zip", **{"sampler.T": [1.0, 2.0, 3.0], "sampler.gamma": [0.1, 0.25, 0.5]})
    cells, _ = _cells(raw)
    assert [(c.config.sampler.T, c.config.sampler.gamma) for c in cells] == [(1.0, 0.1), (2.0, 0.25), (3.0, 0.5)]


def test_several_zip_groups():
    raw = exact_config(zip=[{"sampler.T": [1.0, 2.0], "sampler.gamma": [0.1, 0.25]},
                            {"score.M": [0.0, 0.2], "metrics.seed": [1, 2]}])
    cells, _ = _cells(raw)
    assert len(cells) == 4
    assert {(c.config.sampler.T, c.config.score.M, c.config.metrics.seed) for c in cells} == {
        (1.0, 0.0, 1), (1.0, 0.2, 2), (2.0, 0.0, 1), (2.0, 0.2, 2)}


def test_list_and_table_valued_keys_are_swept_element_by_element():
    raw = exact_config(**{"metrics.names": [["tv"], ["tv", "w2"]],
                          "target": [{"kind": "gaussian", "mean": [0.0], "cov": [[1.0]]},
                                     {"kind": "gaussian", "mean": [1.0], "cov": [[2.0]]}]})
    cells, _ = _cells(raw)
    assert [c.config.metrics.names for c in cells] == [["tv"], ["tv"], ["tv", "w2"], ["tv", "w2"]]
    assert cells[1].config.target["mean"] == [1.0]


def test_duplicate_cells_are_one_cell():
    cells, duplicates = _cells(exact_config(**{"sampler.gamma": [0.1, 0.05, 0.1]}))
    assert len(cells) == 2 and duplicates == 1


@pytest.mark.parametrize(
    "sweep, key",
    [
        ({"zip": {"sampler.T": [1.0, 2.0], "sampler.gamma": [0.1, 0.2, 0.5]}}, "sweep.zip.sampler.gamma"),
        ({"mode": "zip", "sampler.T": [1.0, 2.0], "score.M": [0.1]}, "sweep.score.M"),
        ({"sampler.gama": [0.1]}, "sweep.sampler.gama"),
        ({"nosuchtable.x": [1]}, "sweep.nosuchtable.x"),
        ({"sampler.T.x": [1]}, "sweep.sampler.T.x"),
        ({"sampler.gamma": 0.1}, "sweep.sampler.gamma"),
        ({"sampler.gamma": []}, "sweep.sampler.gamma"),
        ({"mode": "grid", "sampler.gamma": [0.1]}, "sweep.mode"),
        ({"mode": "zip", "zip": {"sampler.T": [1.0]}}, "sweep.zip"),
        ({"sampler.gamma": [0.1], "sampler": {"gamma": [0.2]}}, "sweep.sampler.gamma"),
        ({"sampler.schedule": [None], "sampler.schedule.N": [10]}, "sweep.sampler.schedule.N"),
    ],
)
def test_bad_sweep_tables_name_the_key(sweep, key):
    with pytest.raises(ConfigError) as err:
        parse_sweep(exact_config(**sweep))
    assert str(err.value).startswith(f"{key}:")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "sweep, key, cell",
    [
        ({"sampler.gamma": [0.1, 1.5]}, "sampler.gamma", "sweep cell 2/2: sampler.gamma=1.5"),
        ({"score.M": [0.0, -0.1]}, "score.M", "sweep cell 2/2: score.M=-0.1"),
        ({"sampler.gamma": [0.1, 0.3]}, "sampler.T", "sweep cell 2/2: sampler.gamma=0.3"),
        ({"target.weights": [[1.0]]}, "target", "sweep cell 1/1: target.weights=[1.0]"),
        ({"process.kind": ["ou", "vp"]}, "process.kind", "sweep cell 2/2: process.kind=\"vp\""),
    ],
)
def test_a_bad_cell_fails_before_anything_runs(tmp_path, sweep, key, cell):
    with pytest.raises(ConfigError) as err:
        run_sweep(exact_config(**sweep), config_name="bad", out=tmp_path / "run", progress=False)
    message = str(err.value)
    assert message.startswith(key) and message.endswith(f"({cell})"), message
    assert not (tmp_path / "run").exists()


# Lists of 1..3 distinct values per axis, 1..3 axes over keys that stay valid whatever the value (bounded so the
# whole product stays <= 27 cells).
_AXES = {
    "score.M": st.floats(0.0, 2.0, allow_nan=False),  # bias norm >= 0
    "metrics.seed": st.integers(0, 2**31),  # any run seed
    "target.mean": st.floats(-5.0, 5.0, allow_nan=False).map(lambda x: [x]),  # a 1D mean, finite
}


@settings(max_examples=25, deadline=None)
@given(st.fixed_dictionaries({k: st.lists(v, min_size=1, max_size=3, unique_by=str) for k, v in _AXES.items()}),
       st.permutations(list(_AXES)))
def test_product_has_every_combination_once_whatever_the_axis_order(lists, order):
    # distinct values can still make equal configs (0.0 and -0.0): count distinct full configs independently
    raw = exact_config(**{k: lists[k] for k in order})
    cells, duplicates = _cells(raw)
    expected = {cell_key(_with(raw, dict(zip(lists, combo)))) for combo in itertools.product(*lists.values())}
    assert {c.key for c in cells} == expected
    assert len(cells) + duplicates == len(list(itertools.product(*lists.values())))


def _with(raw, assignments):
    """The plain config of one combination, built without the sweep module."""
    import copy

    out = copy.deepcopy({k: v for k, v in raw.items() if k != "sweep"})
    for path, value in assignments.items():
        table, key = path.split(".")
        out[table][key] = value
    return validate(out)
