import json

import pytest

from jettag import cli


def test_every_verb_has_help():
    parser = cli.build_parser()
    text = parser.format_help()
    for verb in cli.VERBS:
        assert verb in text


def test_spec_parsing(tmp_path):
    assert cli.parse_spec('{"a": 1}') == {"a": 1}
    f = tmp_path / "s.yaml"
    f.write_text("a: 2\n")
    assert cli.parse_spec(f"@{f}") == {"a": 2}


def test_user_errors_are_one_line_and_exit_2(tmp_path, capsys):
    rc = cli.main(["config", "--spec", json.dumps({"training": {"epochs": 0}}), "--output", str(tmp_path / "c.yaml")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "training.epochs" in err and "Traceback" not in err
    assert not (tmp_path / "c.yaml").exists()


def test_bad_json_spec(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["config"])
    rc = cli.main(["config", "--spec", "{not json", "--output", "x.yaml"])
    assert rc == 2
    assert "not valid JSON" in capsys.readouterr().err
