"""Per-stage wall time and peak memory of `stratify run`, from the Dagster event log and RSS samples.

A step's stage is the group of the assets it materializes (groups are the stages, see the README); a step
that only evaluates checks is quality. dbt steps build models and run their tests in one subprocess, so
their tests are split out by dbt's own per-node execution time (dagster-dbt puts it on every event as
"Execution Duration"; dbt runs one thread here, so the nodes run one after another). Time outside any
step (process start, imports, dbt parse, job set-up) is reported as orchestration.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

STAGES = ("ingest", "transform", "quality", "segment", "publish", "drift")
OUTSIDE = "orchestration"
DURATION = "Execution Duration"
TOP = 10  # steps and dbt models listed in "where the time goes"


@dataclass(frozen=True)
class Window:
    """A span of wall-clock time (time.time()) spent on one stage."""

    start: float
    end: float
    stage: str
    step: str = ""  # the Dagster step key; empty for a dbt test's sub-window


def asset_groups() -> dict[str, str]:
    """Asset key ('raw/pos') -> its group, from the definitions the run used."""
    from pipelines.definitions import defs

    return {spec.key.to_user_string(): spec.group_name for spec in defs.resolve_all_asset_specs()}


def _meta_seconds(metadata) -> float:
    value = metadata.get(DURATION)
    return float(value.value) if value is not None else 0.0


def step_windows(entries, groups: dict[str, str]) -> tuple[list[Window], list[Window]]:
    """Whole-step windows and the dbt-test sub-windows inside them, from one run's event log entries."""
    from dagster import DagsterEventType as E

    starts: dict[str, float] = {}
    stage_of: dict[str, str] = {}
    steps: list[Window] = []
    tests: list[Window] = []
    for entry in entries:
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        key, kind = entry.step_key, event.event_type
        if kind == E.STEP_START:
            starts[key] = entry.timestamp
        elif kind == E.ASSET_MATERIALIZATION:
            asset = event.step_materialization_data.materialization.asset_key.to_user_string()
            stage_of.setdefault(key, groups.get(asset, OUTSIDE))
        elif kind == E.ASSET_CHECK_EVALUATION:
            seconds = _meta_seconds(event.event_specific_data.metadata)
            if seconds > 0:  # a dbt test, timed by dbt; Python checks are whole steps of their own
                tests.append(Window(entry.timestamp - seconds, entry.timestamp, "quality"))
        elif kind in (E.STEP_SUCCESS, E.STEP_FAILURE) and key in starts:
            steps.append(Window(starts.pop(key), entry.timestamp, stage_of.get(key, "quality"), key))
    return steps, tests


def dbt_model_seconds(entries) -> dict[str, float]:
    """dbt's own execution time of each model materialized in one run's log (asset key -> seconds)."""
    from dagster import DagsterEventType as E

    seconds: dict[str, float] = {}
    for entry in entries:
        event = entry.dagster_event
        if event is not None and event.event_type == E.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            took = _meta_seconds(materialization.metadata)
            if took > 0:
                asset = materialization.asset_key.to_user_string()
                seconds[asset] = seconds.get(asset, 0.0) + took
    return seconds


def heaviest(seconds_by_name: dict[str, float], top: int) -> list[dict]:
    """The `top` largest entries as [{"name", "seconds"}], largest first (the report's "where the time goes")."""
    ranked = sorted(seconds_by_name.items(), key=lambda item: -item[1])[:top]
    return [{"name": name, "seconds": seconds} for name, seconds in ranked]


def step_seconds(steps: list[Window]) -> dict[str, float]:
    """Seconds per step key, summed over the runs (each snapshot job runs the same steps)."""
    total: dict[str, float] = defaultdict(float)
    for step in steps:
        total[step.step] += step.end - step.start
    return dict(total)


def stage_times(steps: list[Window], tests: list[Window], wall_s: float) -> dict[str, float]:
    """Seconds per stage; dbt test time moves from its step's stage to quality."""
    times = dict.fromkeys((*STAGES, OUTSIDE), 0.0)
    for step in steps:
        times[step.stage] += step.end - step.start
    for test in tests:
        inside = next((s for s in steps if s.start <= test.end <= s.end + 1e-3), None)
        if inside is not None and inside.stage != "quality":
            times[inside.stage] -= test.end - test.start
            times["quality"] += test.end - test.start
    times[OUTSIDE] = max(0.0, wall_s - sum(s.end - s.start for s in steps))
    return times


def stage_peaks(samples: list[tuple[float, int]], steps: list[Window], tests: list[Window]) -> dict[str, int]:
    """Peak tree RSS per stage: each sample goes to the dbt test, else the step, it falls in.

    A stage whose steps all fell between two samples (steps shorter than the sampling interval, as on
    tiny data) gets the sample nearest to one of its steps instead of none.
    """
    peaks: dict[str, int] = defaultdict(int)
    for at, rss in samples:
        window = next((w for w in tests if w.start <= at <= w.end), None)
        window = window or next((w for w in steps if w.start <= at <= w.end), None)
        stage = window.stage if window else OUTSIDE
        peaks[stage] = max(peaks[stage], rss)
    for step in steps:
        if not peaks.get(step.stage) and samples:
            middle = (step.start + step.end) / 2
            peaks[step.stage] = min(samples, key=lambda sample: abs(sample[0] - middle))[1]
    return {stage: peaks.get(stage, 0) for stage in (*STAGES, OUTSIDE)}


def pipeline_stages(dagster_home: str, run_ids_before: set[str], wall_s: float, samples) -> dict:
    """Per-stage seconds and peak RSS over the runs `stratify run` just made, plus each run's wall time."""
    import dagster as dg

    groups = asset_groups()
    steps: list[Window] = []
    tests: list[Window] = []
    jobs = []
    models: dict[str, float] = defaultdict(float)
    with dg.DagsterInstance.from_config(dagster_home) as instance:
        for run in reversed(instance.get_runs()):  # oldest first
            if run.run_id in run_ids_before:
                continue
            entries = instance.all_logs(run.run_id)
            run_steps, run_tests = step_windows(entries, groups)
            steps += run_steps
            tests += run_tests
            for asset, seconds in dbt_model_seconds(entries).items():
                models[asset] += seconds
            span = [e.timestamp for e in entries]
            snapshot = run.tags.get("stratify/snapshot_date")
            jobs.append({"job": run.job_name, "snapshot_date": snapshot, "seconds": max(span) - min(span)})
    return {
        "seconds": stage_times(steps, tests, wall_s),
        "stage_peak_rss": stage_peaks(samples, steps, tests),
        "jobs": jobs,
        "dbt_tests_separated": bool(tests),
        "heaviest_steps": heaviest(step_seconds(steps), TOP),
        "heaviest_dbt_models": heaviest(models, TOP),
    }


def run_ids(dagster_home: str) -> set[str]:
    """Ids of the runs already in the instance, so a second `stratify run` is measured on its own."""
    import dagster as dg

    with dg.DagsterInstance.from_config(dagster_home) as instance:
        return {run.run_id for run in instance.get_runs()}
