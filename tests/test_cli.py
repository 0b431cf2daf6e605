"""The researchers' command line (``theory-suite``, sims/cli.py): exit codes and messages."""

import pytest
import toy_maps  # noqa: F401  (registers TOY-M1)

from sims import cli, registry


def test_claims_lists_every_claim(capsys):
    assert cli.main(["claims"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(registry.all_claims())


def test_check_passes_at_the_defaults_and_fails_with_exit_1_where_the_claim_fails(capsys):
    assert cli.main(["check", "DL1", "--tier", "quick"]) == 0
    assert "DL1 deep_linear.mode_trajectory: PASS" in capsys.readouterr().out
    # Far beyond the O(lr) regime (lr x s = 0.8): GD leaves the gradient flow's trajectory.
    assert cli.main(["check", "DL1", "--tier", "quick", "learning_rate=0.4"]) == 1
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "NOPE"], "NOPE"),
        (["check", "DL1", "no_such_parameter=1"], "no_such_parameter"),
        (["check", "DL1", "learning_rate=-1"], "learning_rate"),
        (["map", "NOPE"], "map must be one of"),
    ],
)
def test_bad_input_exits_with_a_message_naming_it(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code not in (0, None)
    captured = capsys.readouterr()
    assert message in captured.err + captured.out + str(exit_.value.code)


def test_map_writes_its_csv_where_asked(tmp_path, capsys):
    assert cli.main(["map", "TOY-M1", "--resolution", "4", "--results", str(tmp_path)]) == 0
    assert (tmp_path / "maps" / "TOY-M1.csv").is_file()
    assert "TOY-M1" in capsys.readouterr().out
