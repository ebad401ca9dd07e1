import dagster as dg

from pipelines.orchestration.sensors import landing_sensor
from pipelines.resources import StratifyResource


def _evaluate(instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"stratify": StratifyResource()})
    return landing_sensor(context), context.cursor


def test_new_landed_files_request_one_ingest_run(home):
    instance = dg.DagsterInstance.ephemeral()
    result, cursor = _evaluate(instance)
    assert isinstance(result, dg.SkipReason)
    (home / "landing" / "pos").mkdir(parents=True)
    (home / "landing" / "pos" / "pos_2025-01.csv").write_text("store_id\n")
    (home / "landing" / "pos" / "notes.txt").write_text("not matched by the glob")
    result, cursor = _evaluate(instance, cursor)
    assert isinstance(result, dg.RunRequest) and result.tags["stratify/new_files"] == "1"
    again, _ = _evaluate(instance, cursor)
    assert isinstance(again, dg.SkipReason)
