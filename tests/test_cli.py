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
    assert "STRATIFY_PII_SALT is not set" in done.stderr
    assert "raw__crm_customers" in done.stderr
