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
    for variant, scale in (("cold", 10.0), ("cached", 1.0)):
        rows += [
            dict(benchmark="figure:fig_a", variant=variant, seconds=2 * scale),
            dict(benchmark="process:make_all", variant=variant, seconds=3 * scale),
            dict(benchmark="process:agreement_report", variant=variant, seconds=scale),
            dict(benchmark="process:make_figures", variant=variant, seconds=4 * scale),
        ]
    return pd.DataFrame(rows)


def test_markdown_has_every_section_with_the_measured_numbers():
    text = bench.to_markdown(_rows(), peak=100.0)
    assert "| engine:tiny | jax_engine | 1.000 | 200 | 50.00 | 2.00 | 0.500 |" in text
    assert "| information_plane | training | 40.0 |" in text
    assert "| **make figures, total** | 40.0 | 4.0 |" in text
    assert "| fig_a | 20.0 | 2.0 |" in text


def test_engine_only_report_leaves_out_the_other_sections():
    frame = _rows()
    text = bench.to_markdown(frame[frame["benchmark"].str.startswith("engine:")], peak=100.0)
    assert "Experiments" not in text and "make figures" not in text
