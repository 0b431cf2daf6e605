"""The 12-bit task: the surrogate generator, the .mat loader and the published data set.

The published ``var_u.mat`` (Shwartz-Ziv & Tishby 2017) is read from ../shared/data (or
SIMS_IB_DATA), never copied into the project; its tests skip cleanly when it is absent.
"""

import numpy as np
import pytest
from scipy.io import savemat

from sims import datasets
from sims.datasets import (
    all_bit_patterns,
    default_data_source,
    information_plane_task,
    load_mat_task,
    published_data_path,
    published_task,
    twelve_bit_task,
)
from theory import information as th

PUBLISHED = datasets.DEFAULT_PUBLISHED_PATH
needs_published = pytest.mark.skipif(not PUBLISHED.is_file(), reason="../shared/data/var_u.mat not present")


@needs_published
def test_published_data_set_loads_with_its_documented_facts(monkeypatch):
    monkeypatch.delenv("SIMS_IB_DATA", raising=False)
    f, y = published_task()
    assert f.shape == (4096, 12) and y.shape == (4096,)
    assert np.array_equal(f, all_bit_patterns(12))  # same inputs and order as the generator
    assert int(y.sum()) == 2118
    p_xy = np.zeros((4096, 2))
    p_xy[np.arange(4096), y] = 1 / 4096
    # y is a function of x: I(X;Y) = H(Y) (shared/data/README.md).
    assert th.mutual_information(p_xy) == pytest.approx(0.999157, abs=1e-6)
    assert th.entropy(np.bincount(y) / 4096) == pytest.approx(0.999157, abs=1e-6)
    weight = f.sum(1)
    expected = {5: 0.0758, 6: 0.5758, 7: 0.9242}
    for k in range(13):
        share = float(np.mean(y[weight == k]))
        if k <= 4:
            assert share == 0.0, k
        elif k >= 8:
            assert share == 1.0, k
        else:
            assert share == pytest.approx(expected[k], abs=1e-4), k
    # The surrogate keeps the inputs and the weight <= 4 / >= 8 rule; 596 labels differ.
    xs, ys = twelve_bit_task()
    assert np.array_equal(xs, f) and int(np.sum(ys != y)) == 596


@needs_published
def test_data_source_follows_the_environment(monkeypatch):
    monkeypatch.delenv("SIMS_IB_DATA", raising=False)
    assert published_data_path() == PUBLISHED and default_data_source() == "published"
    monkeypatch.setenv("SIMS_IB_DATA", str(PUBLISHED))
    assert np.array_equal(information_plane_task("published")[1], published_task(PUBLISHED)[1])
    monkeypatch.setenv("SIMS_IB_DATA", "")  # explicit opt-out: the surrogate
    assert published_data_path() is None and default_data_source() == "surrogate"
    with pytest.raises(ValueError, match="published"):
        information_plane_task("published")


def test_surrogate_is_the_fallback_and_a_wrong_path_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "DEFAULT_PUBLISHED_PATH", tmp_path / "absent.mat")
    monkeypatch.delenv("SIMS_IB_DATA", raising=False)
    assert published_data_path() is None and default_data_source() == "surrogate"
    x, y = information_plane_task("surrogate")
    assert np.array_equal(y, twelve_bit_task()[1])
    monkeypatch.setenv("SIMS_IB_DATA", str(tmp_path / "typo.mat"))
    with pytest.raises(ValueError, match="SIMS_IB_DATA"):
        published_data_path()
    with pytest.raises(ValueError, match="data"):
        information_plane_task("mnist")


def test_a_different_file_is_not_taken_for_the_published_one(tmp_path):
    x, y = twelve_bit_task()
    path = tmp_path / "surrogate.mat"
    savemat(path, {"F": x, "y": y[None, :]})
    f, labels = load_mat_task(path)  # a valid .mat task ...
    assert np.array_equal(f, x) and np.array_equal(labels, y)
    with pytest.raises(ValueError, match="path must hold the published"):
        published_task(path)  # ... but not the published labels


@pytest.mark.parametrize(
    "content, match",
    [
        ({"F": np.full((4, 2), 0.5), "y": np.zeros((1, 4))}, "F"),
        ({"F": np.zeros((4, 2)), "y": np.array([[0, 1, 2, 0]])}, "y"),
        ({"F": np.zeros((4, 2)), "y": np.zeros((1, 3))}, "y"),
        ({"X": np.zeros((4, 2))}, "F"),
    ],
)
def test_loader_rejects_malformed_files(tmp_path, content, match):
    path = tmp_path / "bad.mat"
    savemat(path, content)
    with pytest.raises(ValueError, match=match):
        load_mat_task(path)
    not_mat = tmp_path / "text.mat"
    not_mat.write_text("not a mat file")
    with pytest.raises(ValueError, match="path"):
        load_mat_task(not_mat)
