"""The dbt resource knows its dbt's version without starting dbt when the dbt is the one beside Python."""

import re
import subprocess

import pytest
from packaging import version

from pipelines.transform.dbt_cli import StratifyDbtCli
from pipelines.transform.project import DBT_EXECUTABLE, dbt_project


def _reported(executable: str) -> version.Version:
    out = subprocess.run([executable, "--version"], capture_output=True, text=True, check=True).stdout
    return version.parse(re.search(r"(\d+\.\d+\.\d+)", out).group(1))


def test_our_dbt_version_is_what_dbt_reports_and_no_dbt_is_started(monkeypatch):
    reported = _reported(DBT_EXECUTABLE)

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"started {args}")

    monkeypatch.setattr(subprocess, "Popen", no_subprocess)  # under check_output, run and every other way
    assert StratifyDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)._cli_version == reported


def test_another_dbt_is_still_asked(tmp_path):
    fake = tmp_path / "dbt"
    fake.write_text("#!/bin/sh\nprintf 'Core:\\n  - installed: 9.8.7\\n'\n")
    fake.chmod(0o755)
    assert StratifyDbtCli(project_dir=dbt_project, dbt_executable=str(fake))._cli_version == version.parse("9.8.7")


@pytest.mark.parametrize("name", ["dbt", "python"])
def test_beside_python_means_the_same_bin_folder(name, tmp_path):
    from pipelines.transform.dbt_cli import is_beside_python

    assert is_beside_python(DBT_EXECUTABLE)
    assert not is_beside_python(str(tmp_path / name))
