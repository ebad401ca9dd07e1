"""The dbt CLI resource, without a `dbt --version` subprocess in every run.

dagster-dbt asks the dbt executable for its version (`dbt --version`: a second Python start-up, about 3 s
on a 2-core machine) once per resource object, and Dagster builds the resource anew for every run, so
every snapshot partition paid it before its first dbt step. When the executable is the dbt installed
beside this Python (the case for `make`, cron and `dagster dev` from the virtualenv), its version is the
installed dbt-core package's, read from the package metadata instead. Any other dbt is still asked.
"""

from __future__ import annotations

import sys
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version


def is_beside_python(executable: str) -> bool:
    """True when `executable` is the dbt script of this Python's environment (same bin folder)."""
    return Path(executable).parent.absolute() == Path(sys.executable).parent.absolute()


class StratifyDbtCli(DbtCliResource):
    """DbtCliResource whose dbt version comes from the installed package when the executable is ours."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if is_beside_python(self.dbt_executable):
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version
