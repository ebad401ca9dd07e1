"""The dbt CLI resource: dbt run in the step's process, and no `dbt --version` subprocess in every run.

dagster-dbt starts a `dbt` subprocess for every call, and asks the executable for its version
(`dbt --version`, a second Python start-up) once per resource object, which Dagster builds anew for every
run. When the executable is the dbt installed beside this Python (the case for `make`, cron and `dagster dev`
from the virtualenv), both are avoidable: its version is the installed dbt-core package's, and dbt can be
called through its Python API in this process (dbt_in_process.py). Any other dbt is run as dagster-dbt runs it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster import AssetExecutionContext, OpExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource
from dagster_dbt.asset_utils import (
    DBT_INDIRECT_SELECTION_ENV,
    extract_runtime_selection_from_args,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from dagster_dbt.dagster_dbt_translator import validate_opt_translator
from dagster_dbt.dbt_manifest import DbtManifestParam, validate_manifest
from packaging import version

from pipelines.transform.dbt_in_process import InProcessDbtInvocation
from pipelines.transform.dbt_runs import PARSE_STATE, project_target


def is_beside_python(executable: str) -> bool:
    """True when `executable` is the dbt script of this Python's environment (same bin folder)."""
    return Path(executable).parent.absolute() == Path(sys.executable).parent.absolute()


class StratifyDbtCli(DbtCliResource):
    """DbtCliResource calling our own dbt in-process, its version read from the installed package."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if is_beside_python(self.dbt_executable):
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version

    def cli(
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: DbtManifestParam | None = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: OpExecutionContext | AssetExecutionContext | None = None,
        target_path: Path | None = None,
    ) -> DbtCliInvocation:
        """dagster-dbt's `cli` (same arguments, selection and environment), run in-process for our own dbt."""
        if not is_beside_python(self.dbt_executable):
            return super().cli(
                args,
                raise_on_error=raise_on_error,
                manifest=manifest,
                dagster_dbt_translator=dagster_dbt_translator,
                context=context,
                target_path=target_path,
            )
        translator = validate_opt_translator(dagster_dbt_translator) or DagsterDbtTranslator()
        cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest=validate_manifest(manifest) if manifest else {},
            dagster_dbt_translator=translator,
            runtime_selects=selects,
            runtime_excludes=excludes,
        )
        target_path = target_path or self._get_unique_target_path(context=context)
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir).absolute()
        if not target_path.is_absolute():
            target_path = project_dir / target_path
        _seed_parse_state(project_dir, target_path)
        profile_args = [*(["--profile", self.profile] if self.profile else [])]
        profile_args += ["--target", self.target] if self.target else []
        return InProcessDbtInvocation(
            process=None,
            manifest=params.manifest,
            dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir,
            target_path=target_path,
            raise_on_error=raise_on_error,
            cli_version=self._cli_version,
            project=params.dbt_project,
            context=context,
            args=[*self.global_config_flags, *cleaned_args, *profile_args, *params.selection_args],
            env=self._invocation_env(project_dir, target_path, params.indirect_selection),
        )

    def _invocation_env(self, project_dir: Path, target_path: Path, indirect_selection: str | None) -> dict[str, str]:
        """The environment dagster-dbt gives its dbt subprocess (dbt reads these as its flags' defaults), with
        dbt's own stdout silenced: events reach Dagster through a callback instead (dbt_in_process.py)."""
        env = {
            **os.environ,
            "DAGSTER_DBT_CLI": "true",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_LOG_FORMAT": "json",
            # dagster-dbt prints each event it reads; dbt printing them too would double the step's stdout
            "DBT_LOG_LEVEL": "none",
            "DBT_LOG_LEVEL_FILE": "debug",
            "DBT_TARGET_PATH": os.fspath(target_path),
            "DBT_LOG_PATH": os.fspath(target_path),
            "DBT_PROJECT_DIR": str(project_dir),
            **({"DBT_PROFILES_DIR": self.profiles_dir} if self.profiles_dir else {}),
        }
        if indirect_selection:
            env[DBT_INDIRECT_SELECTION_ENV] = indirect_selection
        return env


def _seed_parse_state(project_dir: Path, target_path: Path) -> None:
    """Copy the project's partial-parse file into the call's fresh target folder, as dagster-dbt does before
    starting dbt, so dbt skips parsing when nothing changed (see dbt_runs.keep_parse_state)."""
    source, copy = project_target(project_dir) / PARSE_STATE, target_path / PARSE_STATE
    if source.is_file() and not copy.exists():
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)
