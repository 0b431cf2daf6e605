"""make bench's report: every section is written from the rows it measured (no timing here)."""

import pandas as pd

from sims import bench


def _rows():
    rows = [
        dict(
            benchmark="engine:tiny",
            variant=v,
            seconds=s,
            seed_steps_per_s=r,
            gflops=g,
            ratio_to_numpy_batched=q,
            fraction_of_matmul_peak=g / 100,
        )
        for v, s, r, g, q in [("jax_engine", 1.0, 200.0, 50.0, 2.0), ("numpy_batched", 2.0, 100.0, 25.0, 1.0)]
    ]
    rows += [
        dict(benchmark="experiment:information_plane", variant=v, seconds=s)
        for v, s in [("training", 40.0), ("mutual_information", 5.0), ("process", 50.0)]
    ]
    rows += [
        dict(benchmark="ib4:training", variant=v, seconds=s, member_epochs_per_s=r, ratio_to_numpy_replica=q)
        for v, s, r, q in [("jax_engine", 2.0, 900.0, 9.0), ("numpy_replica_per_run", 2.0, 100.0, 1.0)]
    ]
    for variant, scale in (("cold", 10.0), ("warm_compile", 5.0), ("cached", 1.0)):
        rows += [
            dict(benchmark="figure:fig_a", variant=variant, seconds=2 * scale),
            dict(benchmark="process:make_all", variant=variant, seconds=3 * scale),
            dict(benchmark="process:agreement_report", variant=variant, seconds=scale),
            dict(benchmark="process:make_figures", variant=variant, seconds=4 * scale),
            dict(benchmark="jax:trace", variant=variant, seconds=0.5 * scale),
            dict(benchmark="jax:lower", variant=variant, seconds=0.5 * scale),
            dict(benchmark="jax:compile", variant=variant, seconds=scale),
        ]
    return pd.DataFrame(rows)


def test_markdown_has_every_section_with_the_measured_numbers():
    text = bench.to_markdown(_rows(), peak=100.0, load=(3.0, 4.0))
    assert "| engine:tiny | jax_engine | 1.000 | 200 | 50.00 | 2.00 | 0.500 |" in text
    assert "Load average (1 min) at the start and the end: 3.0, 4.0" in text
    assert "| jax_engine | 2.00 | 900 | 9.0 |" in text
    # the full experiment: 6 x 8000 member-epochs in 40 s against the replica's 100 per s
    assert "| full experiment, compile included (section below) | 40.00 | 1,200 | 12.0 |" in text
    assert "| information_plane | training | 40.0 |" in text
    assert "| process | cold s | warm compile cache s | cached s |" in text
    assert "| **make figures, total** | 40.0 | 20.0 | 4.0 |" in text
    assert "| XLA compilation (share of the total) | 10.0 (25%) | 5.0 (25%) | 1.0 (25%) |" in text
    assert "| JAX tracing + lowering | 10.0 | 5.0 | 1.0 |" in text
    assert "| fig_a | 20.0 | 10.0 | 2.0 |" in text


def test_engine_only_report_leaves_out_the_other_sections():
    frame = _rows()
    text = bench.to_markdown(frame[frame["benchmark"].str.startswith("engine:")], peak=100.0)
    assert "Experiments" not in text and "make figures" not in text and "IB4" not in text


def test_map_section_reports_each_map_the_totals_and_the_executor_ratios():
    rows = [
        dict(benchmark="maps:all", variant="cold", seconds=90.0),
        dict(benchmark="maps:all", variant="warm", seconds=9.0),
        dict(
            benchmark="map:DL-M1",
            variant="cold",
            seconds=12.0,
            points=768,
            points_per_s=64.0,
            member_steps_per_s=2.5e6,
        ),
        dict(
            benchmark="map:RC-M1",
            variant="cold",
            seconds=4.0,
            points=256,
            points_per_s=64.0,
            member_steps_per_s=float("nan"),
        ),
        dict(benchmark="executor:DL-M1", variant="in_process_2_devices", seconds=20.0),
        dict(benchmark="executor:DL-M1", variant="dask_local_cluster_2_workers", seconds=25.0),
    ]
    text = bench.to_markdown(pd.DataFrame(rows), peak=100.0)
    assert "| DL-M1 | 768 | 12.0 | 64.0 | 2,500,000 |" in text
    assert "| RC-M1 | 256 | 4.0 | 64.0 | n/a |" in text
    assert "| **all ten, `theory-suite maps` process** | 1024 | 90.0 | | |" in text
    assert "| **warm (every point stored)** | | 9.0 | | |" in text
    assert "| dask_local_cluster_2_workers | 25.0 | 1.25 |" in text
    assert "Validity maps" not in bench.to_markdown(_rows(), peak=100.0)


def test_kernel_anatomy_classes_kernels_by_how_often_they_ran():
    from sims import bench_profile

    # 2 devices x 2 epochs x 16 steps: step kernels ran 64 times, epoch kernels 4 times; the
    # epoch's largest loop is the step scan (its time holds the steps' kernels), the smaller one
    # the random bits; Python events and other counts are left out.
    counts = {
        "dot.1": 64,
        "ynn_fusion.2": 64,
        "add_tanh_fusion": 64,
        "gather_fusion": 64,
        "sort.3": 4,
        "copy.4": 4,
        "while.5": 4,
        "while.6": 4,
        "ThunkExecutor::Execute": 7,
    }
    totals = {"dot.1": 640.0, "ynn_fusion.2": 320.0, "add_tanh_fusion": 64.0, "gather_fusion": 128.0}
    totals |= {
        "sort.3": 400.0,
        "copy.4": 4.0,
        "while.5": 2000.0,
        "while.6": 40.0,
        "ThunkExecutor::Execute": 1.0,
    }
    found = dict(wall=0.01, devices=2, members=6, steps=16, total=totals, count=counts)
    rows = {r["variant"]: r for r in bench_profile.anatomy(found, "ib4", epochs=2)}
    assert rows["in the 16 steps: matmul (XLA's dot emitter)"] == dict(
        benchmark="anatomy:ib4",
        variant="in the 16 steps: matmul (XLA's dot emitter)",
        kernels=16,
        microseconds=160.0,
    )
    assert rows["in the 16 steps: matmul (YNNPACK)"]["microseconds"] == 80.0
    assert rows["in the 16 steps: gather (the minibatch)"]["kernels"] == 16
    assert rows["sort (the permutation)"] == dict(
        benchmark="anatomy:ib4", variant="sort (the permutation)", kernels=1, microseconds=100.0
    )
    # the copy and the smaller loop: (4 + 40) / 4 us an epoch on a device
    assert rows["random bits (threefry loop) and bookkeeping"]["microseconds"] == 11.0
    assert rows["an epoch's untraced wall time"]["microseconds"] == 5000.0
    assert rows["an epoch's untraced wall time"]["kernels"] == 16 * 4 + 1 + 2
    text = "\n".join(bench_profile.to_markdown(pd.DataFrame(list(rows.values()))))
    assert "| sort (the permutation) | 1 | 100 |" in text
    assert "74.6 us of wall time per kernel run." in text  # 5000 / 67


def test_scaling_rows_and_their_table_put_members_in_order():
    from sims import bench_profile

    # JSON keys are strings: 12 must come after 3, and each ratio is to the single member.
    rows = bench_profile.scaling({"12": 1.2e-3, "1": 1e-3, "3": 0.5e-3})
    assert [r["members"] for r in rows] == [1, 3, 12]
    assert rows[0] == dict(
        benchmark="scaling:ib4", variant="1 member on one device", members=1, microseconds=1000.0
    )
    text = "\n".join(bench_profile.to_markdown(pd.DataFrame(rows)))
    assert "| 3 | 500 | 0.50 |" in text
    assert "| 12 | 1200 | 1.20 |" in text


def test_bench_driver_writes_the_engine_rows_and_the_anatomy(tmp_path, monkeypatch):
    """make bench's driver end to end at toy sizes (the kernel trace stubbed: it needs a fresh
    process): the rows of every part reach bench.csv and bench.md."""
    from sims import bench_profile

    monkeypatch.setattr(bench, "CASES", {"engine:deep_linear_tiny": ((2, 3, 2), "linear", 4, 5)})
    monkeypatch.setattr(bench, "SEEDS", 2)
    monkeypatch.setattr(bench, "matmul_gflops", lambda: 100.0)
    found = dict(wall=0.001, devices=1, members=2, steps=1, total={"dot.1": 30.0}, count={"dot.1": 3})
    monkeypatch.setattr(
        bench_profile, "anatomy_rows", lambda case: bench_profile.anatomy(found, "engine:deep_linear_tiny", 3)
    )
    args = ["--skip-figures", "--skip-experiments", "--skip-ib4", "--skip-maps", "--out", str(tmp_path)]
    bench.main(args)
    text = (tmp_path / "bench.md").read_text()
    assert "| engine:deep_linear_tiny | jax_engine |" in text
    assert "| in the step: matmul (XLA's dot emitter) | 1 | 10 |" in text
    frame = pd.read_csv(tmp_path / "bench.csv")
    assert {"engine:deep_linear_tiny", "anatomy:engine:deep_linear_tiny"} <= set(frame["benchmark"])
