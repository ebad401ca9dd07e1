"""The landing sensor: new files in the landing folder launch the ingest job."""

import hashlib
import json

import dagster as dg

from pipelines.orchestration.jobs import ingest_job
from pipelines.resources import StratifyResource


def landed_files(stratify: StratifyResource) -> dict[str, float]:
    """Every file matched by a configured source glob, with its modification time."""
    landing = stratify.paths.landing
    found = {}
    for source in stratify.config.sources.values():
        for fileset in source.files:
            for path in landing.glob(fileset.path):
                if path.is_file():
                    found[str(path)] = path.stat().st_mtime
    return found


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_sensor(context: dg.SensorEvaluationContext, stratify: StratifyResource):
    """Launch ingestion when files appear or change in the landing folder (the cursor holds what was seen)."""
    seen = json.loads(context.cursor) if context.cursor else {}
    current = landed_files(stratify)
    new = sorted(p for p, mtime in current.items() if seen.get(p) != mtime)
    if not new:
        return dg.SkipReason(f"no new files among {len(current)} landed")
    run_key = hashlib.sha256(json.dumps([(p, current[p]) for p in new]).encode()).hexdigest()[:16]
    context.update_cursor(json.dumps(current))
    return dg.RunRequest(run_key=run_key, tags={"stratify/new_files": str(len(new))})


defs = dg.Definitions(sensors=[landing_sensor])
