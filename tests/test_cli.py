"""The `stratify` command's failures are clear and non-zero."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_demo_data_writes_the_landing_folder(home, capsys):
    assert main(["demo-data", "--customers", "50", "--days", "60"]) == 0
    assert (home / "landing" / "pos").is_dir() and (home / "landing" / "_truth" / "persons.csv").exists()
    assert "50 customers" in capsys.readouterr().out


@pytest.mark.slow
def test_run_without_salt_fails_naming_the_variable(home):
    main(["demo-data", "--customers", "30", "--days", "60"])
    env = {k: v for k, v in os.environ.items() if k != "STRATIFY_PII_SALT"}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("stratify")), "run"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("stratify run: STRATIFY_PII_SALT is not set")
    assert "Sources holding PII: crm_customers, ecommerce, app, marketplace." in done.stderr
    assert "Traceback" not in done.stderr and not (home / "warehouse.duckdb").exists()  # stopped before loading


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("segment:\n  tier_nmes: [a]\n", "segment.tier_nmes\n  Extra inputs are not permitted"),
        ("segment: [\n", "not valid YAML"),
    ],
)
def test_a_bad_config_is_one_message_naming_file_and_field_not_a_traceback(home, tmp_path, text, said):
    config = tmp_path / "bad.yaml"
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "STRATIFY_CONFIG": str(config)}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("stratify")), "run"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"stratify run: {config}: ") and said in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--customers", "0"], "argument --customers: expected a whole number above 0, got '0'"),
        (["--countries", "DE,XX"], "argument --countries: unknown country code(s) ['XX']"),
    ],
)
def test_demo_data_refuses_bad_arguments_by_name(home, capsys, args, said):
    with pytest.raises(SystemExit) as exit_:
        main(["demo-data", *args])
    assert exit_.value.code == 2 and said in capsys.readouterr().err
    assert not (home / "landing").exists()


def test_run_with_another_salt_than_the_warehouses_stops_before_loading(home, capsys):
    import duckdb

    from pipelines.ingest.salt import DDL, fingerprint

    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA ops")
        con.execute(DDL)
        con.execute("INSERT INTO ops.pii_salt VALUES (?, TIMESTAMP '2025-01-02 03:04:00')", [fingerprint("demo")])
    assert main(["run"]) == 1  # the home fixture's salt is test-salt
    err = capsys.readouterr().err
    assert err.startswith("stratify run: STRATIFY_PII_SALT is not the salt this warehouse's PII was hashed with")
    assert "(first used 2025-01-02 03:04 UTC)" in err
