"""sims.map_figure's helpers for the teaching notebooks: stored results, the nearest grid point,
the reading sentence, and a marker off the map pinned to its edge.

A synthetic frame on DL-M1's grid (3 x 3 per panel, made-up z): nothing is simulated.
"""

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sims import map_figure, sweep

NAME = "DL-M1"


@pytest.fixture(scope="module")
def spec():
    return sweep.get(NAME)


@pytest.fixture
def frame(spec):
    """DL-M1's 3 x 3 grid in every panel, z = 10^(column index - 1) x (1 + panel index):
    0.1, 1, 10 along x in the first panel."""
    points = sweep.grid(spec, 3)
    column = points.groupby("panel_index")["x"].rank(method="dense").to_numpy() - 1
    points["z"] = 10.0 ** (column - 1) * (1 + points["panel_index"].to_numpy())
    points["diverged"] = False
    points["note"] = ""
    return points


def _point(spec, i, j):
    """The (i-th x, j-th y) value of the 3 x 3 grid."""
    return float(spec.x.values(3)[i]), float(spec.y.values(3)[j])


def test_nearest_point_reads_the_grid_point_nearest_in_log(spec, frame):
    x, y = _point(spec, 2, 0)
    assert map_figure.z_at(spec, frame, {"depth": 2}, x, y) == pytest.approx(10.0)
    assert map_figure.z_at(NAME, frame, {"depth": 4}, x, y) == pytest.approx(20.0)
    # Nearer the middle column in log (0.6 of the way from the first to the middle): 1, not 0.1.
    x0, x1 = spec.x.values(3)[:2]
    between = float(x0 * (x1 / x0) ** 0.6)
    assert map_figure.z_at(spec, frame, {"depth": 2}, between, y) == pytest.approx(1.0)
    row = map_figure.nearest_point(spec, frame, {"depth": 2}, between, y)
    assert (row["x"], row["y"]) == pytest.approx(_point(spec, 1, 0))


def test_a_point_off_the_map_reads_the_nearest_edge_point(spec, frame):
    # Far beyond the right edge and below the bottom, and at 0 on a log axis (no warning).
    assert map_figure.z_at(spec, frame, {"depth": 2}, 1e3, 1e-9) == pytest.approx(10.0)
    assert map_figure.z_at(spec, frame, {"depth": 2}, 0.0, 1e-9) == pytest.approx(0.1)
    assert map_figure.on_map(spec, 1e3, 1e-9) == (spec.x.high, spec.y.low, False)
    assert map_figure.on_map(spec, *_point(spec, 1, 1))[2]


def test_nearest_point_refuses_a_panel_not_in_the_frame(spec, frame):
    with pytest.raises(ValueError, match="panel"):
        map_figure.z_at(spec, frame, {"depth": 3}, *_point(spec, 1, 1))


@pytest.mark.parametrize(
    ("column", "z", "expected"),
    [
        (0, 0.1, "in the blue region: the closed form (DL1/DL3) holds there (z = error / tolerance = 0.1"),
        (2, 10.0, "in the red region: the closed form (DL1/DL3) fails there (z = error / tolerance = 10"),
        (1, 1.3, "near the boundary z = 1 (z = error / tolerance = 1.3"),
        (1, 0.75, "near the boundary z = 1"),
        (1, np.inf, "in the red region: the simulation diverged"),
        (1, np.nan, "comparison is undefined at the nearest grid point (too few seeds)"),
    ],
)
def test_reading_names_the_region_of_the_nearest_point(spec, frame, column, z, expected):
    x, y = _point(spec, column, 1)
    at = np.isclose(frame["x"], x) & np.isclose(frame["y"], y) & (frame["panel_index"] == 0)
    frame.loc[at, "z"] = z
    frame.loc[at, "note"] = "too few seeds"
    sentence = map_figure.reading(spec, frame, dict(panel={"depth": 2}, x=x, y=y))
    assert sentence.startswith("Your point lies "), sentence
    assert expected in sentence, sentence


def test_reading_says_when_the_point_is_off_the_map(spec, frame):
    sentence = map_figure.reading(spec, frame, dict(panel={"depth": 2}, x=1e3, y=1e-9))
    assert sentence.startswith("Your point lies outside the map (drawn open at its edge)")
    assert "in the red region" in sentence


def test_draw_pins_a_marker_off_the_map_to_its_edge(spec, frame):
    fig = Figure(layout="constrained")
    marker = dict(panel={"depth": 4}, x=1e3, y=1e-9, label="here")
    (ax,) = map_figure.draw(spec, frame, fig, marker=marker, panels=[{"depth": 4}])
    (line,) = [line for line in ax.get_lines() if line.get_label().startswith("here")]
    assert line.get_label() == "here (outside: at the edge)"
    assert (line.get_xdata()[0], line.get_ydata()[0]) == (spec.x.high, spec.y.low)
    assert line.get_markerfacecolor() == "none"


def test_marked_panel_draws_one_panel_with_its_reading(spec, frame):
    x, y = _point(spec, 0, 0)
    fig, sentence = map_figure.marked_panel(
        spec, frame, {"depth": 8}, dict(panel={"depth": 8}, x=x, y=y, label="here")
    )
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["depth = 8"]
    assert "(z = error / tolerance = 0.3 at" in sentence
    assert "here" in [text.get_text() for text in fig.legends[0].get_texts()]
    assert map_figure.marked_panel(spec, frame, {"depth": 8})[1] == ""


def _store(results, spec, frame):
    """Write ``frame`` as results/maps/<map>.csv, the columns sweep.write_csv writes."""
    folder = results / "maps"
    folder.mkdir(parents=True)
    stored = frame.assign(error=frame["z"], tolerance=1.0, status="ok")
    stored.drop(columns=["panel_index"]).to_csv(folder / f"{spec.name}.csv", index=False)
    timings = pd.DataFrame({"key": frame["key"], "seconds": 0.1, "code": spec.fingerprint()[:16]})
    timings.to_csv(folder / f"{spec.name}.timings.csv", index=False)


def test_a_map_stored_by_other_code_is_stale_and_the_notebook_says_so(tmp_path, spec, frame):
    _store(tmp_path, spec, frame)
    assert map_figure.stored(NAME, results=tmp_path)[0] == "current"
    timings = tmp_path / "maps" / f"{spec.name}.timings.csv"
    pd.read_csv(timings).assign(code="0123456789abcdef").to_csv(timings, index=False)
    assert map_figure.stored(NAME, results=tmp_path) == ("stale", None)
    where = dict(map=NAME, panel={"depth": 2}, marker=None)
    assert map_figure.notebook_view(where, results=tmp_path) == (None, map_figure.STALE)
    timings.unlink()  # results without their timings: which code wrote them is unknown
    assert map_figure.stored(NAME, results=tmp_path)[0] == "stale"


def test_read_stored_reads_a_results_folder(tmp_path, spec, frame):
    assert map_figure.read_stored(NAME, results=tmp_path) is None
    _store(tmp_path, spec, frame)
    stored = map_figure.read_stored(NAME, results=tmp_path)
    assert len(stored) == len(frame)
    assert stored["panel_index"].tolist() == frame["panel_index"].tolist()
    assert stored["z"].to_numpy() == pytest.approx(frame["z"].to_numpy())
    assert not stored["diverged"].any()


def test_read_stored_refuses_another_versions_panels(tmp_path, spec, frame):
    frame["panel"] = frame["panel"].where(frame["panel_index"] != 2, json.dumps({"depth": 16}))
    _store(tmp_path, spec, frame)
    assert map_figure.read_stored(NAME, results=tmp_path) is None


def test_stored_or_computed_computes_nothing_without_the_button(tmp_path, spec, frame, monkeypatch):
    def no_run(*args, **kwargs):
        raise AssertionError("sweep.run called without compute=True")

    monkeypatch.setattr(sweep, "run", no_run)
    monkeypatch.setattr(map_figure, "_COMPUTED", {})
    assert map_figure.stored_or_computed(NAME, results=tmp_path) is None
    _store(tmp_path, spec, frame)
    assert len(map_figure.stored_or_computed(NAME, results=tmp_path)) == len(frame)


def test_stored_or_computed_keeps_what_the_button_computed(tmp_path, spec, frame, monkeypatch):
    calls = []

    def quick_run(map_spec, resolution):
        calls.append((map_spec.name, resolution))
        return frame

    monkeypatch.setattr(sweep, "run", quick_run)
    monkeypatch.setattr(map_figure, "_COMPUTED", {})
    assert map_figure.stored_or_computed(NAME, compute=True, results=tmp_path) is frame
    assert calls == [(NAME, spec.quick_resolution)]
    assert map_figure.stored_or_computed(NAME, results=tmp_path) is frame  # a later slider move
    assert len(calls) == 1


def test_notebook_view_shows_the_stored_map_or_says_there_is_none(tmp_path, spec, frame, monkeypatch):
    monkeypatch.setattr(map_figure, "_COMPUTED", {})
    x, y = _point(spec, 2, 2)
    where = dict(map=NAME, panel={"depth": 2}, marker=dict(panel={"depth": 2}, x=x, y=y, label="here"))
    assert map_figure.notebook_view(where, results=tmp_path) == (None, map_figure.NOT_STORED)
    _store(tmp_path, spec, frame)
    figure, sentence = map_figure.notebook_view(where, results=tmp_path)
    assert [ax.get_title() for ax in figure.axes if ax.get_title()] == ["depth = 2"]
    assert sentence.startswith("Your point lies in the red region")
    assert map_figure.notebook_view(dict(where, marker=None), results=tmp_path)[1] == ""


def test_nearest_depth_panel_says_when_another_depth_is_shown(spec):
    depths = [p["depth"] for p in spec.panels]
    assert map_figure.nearest_depth_panel(spec, depths[0]) == ({"depth": depths[0]}, "")
    panel, note = map_figure.nearest_depth_panel(spec, 3)
    assert panel["depth"] in (2, 4)
    assert note == (
        f" The map has depths {', '.join(map(str, depths))}; your depth 3 is shown on the "
        f"depth-{panel['depth']} panel."
    )
