"""The sweep engine (sims/sweep.py) on a toy map with a known boundary (tests/toy_maps.py):
storage, resume, grown grids, boundaries, and the Dask path giving the same numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import toy_maps

from sims import registry, sweep, validity

SPEC = sweep._MAPS["TOY-M1"]
NUMBERS = ["error", "tolerance", "z"]


def _chunks_before():
    return len(toy_maps.EVALUATED)


def test_grid_keys_and_seeds_are_deterministic():
    a, b = sweep.grid(SPEC, 5), sweep.grid(SPEC, 5)
    assert len(a) == 2 * 25 and a["key"].is_unique
    pd.testing.assert_frame_equal(a, b)
    assert a["seed"].between(0, 2**31 - 1).all()


def test_axis_refuses_bad_ranges():
    with pytest.raises(ValueError, match="low > 0"):
        sweep.Axis("u0", 0.0, 1.0)
    with pytest.raises(ValueError, match="low < high"):
        sweep.Axis("u0", 1.0, 1.0)
    with pytest.raises(ValueError, match="resolution"):
        sweep.Axis("u0", 0.1, 1.0).values(1)


def test_stored_points_are_not_recomputed_and_a_grown_grid_computes_only_new_points(tmp_path):
    first = sweep.run(SPEC, 8, store=tmp_path, chunk=8)
    assert first.attrs["computed_chunks"] == 16
    again = sweep.run(SPEC, 8, store=tmp_path, chunk=8)
    assert again.attrs["computed_chunks"] == 0
    pd.testing.assert_frame_equal(first[NUMBERS], again[NUMBERS])
    # geomspace(0.1, 10, 15) contains every point of geomspace(0.1, 10, 8): 225 - 64 new per panel.
    before = _chunks_before()
    grown = sweep.run(SPEC, 15, store=tmp_path, chunk=8)
    assert len(grown) == 2 * 225
    assert sum(toy_maps.EVALUATED[before:]) == 2 * (225 - 64)
    shared = grown.merge(first, on="key", suffixes=("", "_first"))
    assert len(shared) == 128
    np.testing.assert_array_equal(shared["error"], shared["error_first"])


def test_a_point_does_not_depend_on_its_chunk(tmp_path):
    small = sweep.run(SPEC, 6, store=tmp_path / "a", chunk=3)
    large = sweep.run(SPEC, 6, store=tmp_path / "b", chunk=50)
    np.testing.assert_array_equal(small["error"], large["error"])


def test_csv_has_the_same_bytes_on_every_run(tmp_path):
    frame = sweep.run(SPEC, 6, store=tmp_path / "store")
    first = validity.write_csv(SPEC, frame, tmp_path / "one").read_bytes()
    rerun = sweep.run(SPEC, 6, store=tmp_path / "store")
    assert validity.write_csv(SPEC, rerun, tmp_path / "two").read_bytes() == first


def test_summary_reports_the_kernels_speed_and_no_member_steps_for_a_kernel_that_trains_nothing(tmp_path):
    frame = sweep.run(SPEC, 6, store=tmp_path / "store")
    assert frame["member_steps"].eq(0).all()
    speed = validity.throughput(frame)
    assert speed["points_per_s"] == pytest.approx(len(frame) / frame["seconds"].sum(), rel=0.01)
    assert math.isnan(speed["member_steps_per_s"])
    steps = validity.throughput(frame.assign(member_steps=100.0))["member_steps_per_s"]
    assert steps == pytest.approx(100 * len(frame) / frame["seconds"].sum(), rel=1e-6)
    timings = (tmp_path / "results" / "maps" / f"{SPEC.name}.timings.csv").as_posix()
    validity.write_csv(SPEC, frame, tmp_path / "results")
    assert pd.read_csv(timings).columns.tolist()[:3] == ["key", "seconds", "member_steps"]


def test_boundary_is_found_where_the_toy_crosses_and_a_wrong_one_fails():
    frame = sweep.run(SPEC, 12, store=None)
    lines, measured = sweep.measured_boundary(SPEC, frame[frame["panel_index"] == 0])
    on = np.isfinite(measured)
    assert on.sum() >= 4
    np.testing.assert_allclose(measured[on], 0.5 / lines[on] ** 2, rtol=0.05)
    assert sweep.boundary_agreement(SPEC, frame).passed
    assert not sweep.boundary_agreement(SPEC, frame, toy_maps.toy_wrong_boundary).passed
    diverged = frame[frame["diverged"]]
    assert len(diverged) == 2 and np.isinf(diverged["z"]).all() and (diverged["status"] == "diverged").all()


def test_a_boundary_off_the_grid_is_undefined_and_fails():
    frame = sweep.run(SPEC, 6, store=None)
    outcome = sweep.boundary_agreement(SPEC, frame, lambda x, **_: 1e6 * np.ones_like(x))
    assert not outcome.passed
    assert math.isnan(outcome.headline.observed) and "undefined" in outcome.headline.note


def test_the_map_is_a_claim_with_its_wrong_boundary_as_perturbation():
    claim = registry.get("TOY-M1")
    run = claim.simulate(resolution=6)
    assert claim.compare(None, run).passed
    for name, wrong in claim.perturbations.items():
        assert not claim.compare(wrong, run).passed, name


@pytest.fixture(scope="module")
def cluster_executor(tmp_path_factory):
    """A 2-worker Dask LocalCluster (spawned processes); a worker that dies mid-chunk once
    (SIMS_TOY_KILL) tests that its chunk is retried elsewhere."""
    pytest.importorskip("distributed")
    import os

    from sims.cli import dask_executor

    kill = tmp_path_factory.mktemp("kill") / "killed"
    os.environ["SIMS_TOY_KILL"] = str(kill)
    try:
        with dask_executor(local_workers=2) as executor:
            yield executor, kill
    finally:
        os.environ.pop("SIMS_TOY_KILL", None)


def test_dask_gives_the_in_process_numbers_and_retries_a_killed_worker(cluster_executor, tmp_path):
    executor, kill = cluster_executor
    local = sweep.run(SPEC, 4, store=tmp_path / "local", chunk=4)
    remote = sweep.run(SPEC, 4, store=tmp_path / "remote", chunk=4, executor=executor)
    assert kill.exists(), "no worker was killed: the retry was not exercised"
    np.testing.assert_allclose(remote["error"], local["error"], rtol=1e-12, atol=0)
    assert (remote["key"].to_numpy() == local["key"].to_numpy()).all()


def test_an_interrupted_map_resumes_with_at_most_workers_plus_one_chunks(cluster_executor, tmp_path):
    """Interrupt a map on the cluster once half its chunks are done: the rerun computes the
    rest, and at most workers + 1 chunks are computed twice (those in flight)."""
    import os

    executor, _ = cluster_executor
    log = tmp_path / "evaluated.log"
    try:
        grid = sweep.grid(SPEC, 6)
        chunks = 2 * math.ceil(36 / 4)
        with pytest.raises(RuntimeError, match="interrupted"):
            sweep.run(
                SPEC, 6, store=tmp_path / "store", chunk=4, executor=_Interrupting(executor, log, chunks // 2)
            )
        resumed = sweep.run(
            SPEC, 6, store=tmp_path / "store", chunk=4, executor=_Interrupting(executor, log, None)
        )
    finally:
        os.environ.pop("SIMS_TOY_LOG", None)  # set by in-process calls of _logged, if any
    assert len(resumed) == len(grid) and resumed["error"].notna().all()
    evaluated = len(log.read_text().splitlines())
    assert resumed.attrs["computed_chunks"] < chunks, "nothing was kept from the interrupted run"
    assert evaluated <= chunks + 2 + 1, f"{evaluated} chunk evaluations for {chunks} chunks"


class _Interrupting:
    """An executor that runs chunks with SIMS_TOY_LOG set and, unless ``after`` is None,
    interrupts the map (its first chunk raises) once ``after`` chunks were logged."""

    def __init__(self, executor, log, after):
        self.executor, self.log, self.after, self.submitted = executor, str(log), after, 0

    def submit(self, function, *args):
        self.submitted += 1
        if self.submitted == 1 and self.after is not None:
            return self.executor.submit(_interrupt, self.log, self.after)
        return self.executor.submit(_logged, self.log, function, *args)


def _logged(log, function, *args):
    import os

    os.environ["SIMS_TOY_LOG"] = log
    return function(*args)


def _interrupt(log, after):
    import time
    from pathlib import Path

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Path(log).exists() and len(Path(log).read_text().splitlines()) >= after:
            break
        time.sleep(0.05)
    raise RuntimeError("interrupted")


def test_a_subset_of_panels_keeps_the_maps_panel_numbering(tmp_path):
    """A run over one panel stores its points; the full run then reads them back in the right
    panel (they were stored with the subset's index 0 once, merging panels)."""
    last = dict(SPEC.panels[-1])
    part = sweep.run(SPEC, 4, panels=[last], store=tmp_path)
    assert part["panel_index"].unique().tolist() == [len(SPEC.panels) - 1]
    full = sweep.run(SPEC, 4, store=tmp_path)
    expected = sweep.grid(SPEC, 4).set_index("key")["panel_index"]
    assert (full.set_index("key")["panel_index"] == expected.loc[full["key"]]).all()
