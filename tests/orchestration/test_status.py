"""`stratify status` and the run's summary name the files rejected whole, until they load or leave landing."""

import duckdb
import pytest

from pipelines.cli import main
from pipelines.ingest.contracts import CONTRACTS
from pipelines.ingest.load_source import prepare_warehouse
from pipelines.ingest.loader import LoadRequest, load_file
from pipelines.orchestration.summary import _print_rejected
from tests.ingest.test_loader import HEADER, POS, RULES

LINE = "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n"


def _land(home) -> tuple:
    """A good file and one whose header misses most columns, both loaded into the home's warehouse."""
    folder = home / "landing" / "pos"
    folder.mkdir(parents=True)
    good, bad = folder / "pos_1.csv", folder / "pos_2.csv"
    good.write_text(HEADER + LINE)
    bad.write_text("store_id,receipt\nS1,R2\n")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        prepare_warehouse(con)
        con.execute(
            "INSERT INTO raw.stores (store_id, country, timezone, currency) VALUES ('S1', 'DE', 'Europe/Berlin', 'EUR')"
        )
        for run in ("run-1", "run-2"):  # the bad file is tried again in the second run: still one file
            for path in (good, bad):
                load_file(con, LoadRequest(path, CONTRACTS["pos"], POS, POS.files[0], RULES, run))
    return good, bad


def test_status_needs_attention_while_a_rejected_file_is_in_landing(home, capsys):
    _, bad = _land(home)
    assert main(["status"]) == 1
    text = capsys.readouterr().out
    assert "NEEDS ATTENTION" in text and "files rejected, not loaded: 1" in text
    assert f"pos: {bad}: header does not match" in text
    assert "1 files  1 rows loaded  0 quarantined  1 files rejected" in text  # each file once, not per attempt
    bad.unlink()  # taken out of landing: nothing is missing any more
    assert main(["status"]) == 0
    assert "healthy" in capsys.readouterr().out


def test_the_run_summary_lists_rejected_files(home, capsys):
    _, bad = _land(home)
    _print_rejected(home / "warehouse.duckdb")
    out = capsys.readouterr().out
    assert out.startswith("Files rejected, not loaded (1; fix the file or the config, and run again):")
    assert f"pos: {bad}: header does not match" in out
    bad.unlink()
    _print_rejected(home / "warehouse.duckdb")
    assert capsys.readouterr().out == ""


@pytest.mark.slow
def test_status_names_the_last_failed_run_until_one_succeeds(home, monkeypatch, capsys):
    """A failure only Dagster knows (here a PII source without its salt; a blocking dbt test is another) makes
    status unhealthy, naming job and step; the next successful run of the job clears it."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.demo.generator import DemoSpec, generate
    from pipelines.orchestration.runner import QUIET_LOGS

    generate(DemoSpec(customers=300, days=90, seed=3), home / "landing")
    monkeypatch.delenv("STRATIFY_PII_SALT")
    job = defs.resolve_job_def("ingest_job")
    with dg.DagsterInstance.get() as instance:
        assert not job.execute_in_process(instance=instance, run_config=QUIET_LOGS, raise_on_error=False).success
    assert main(["status"]) == 1
    text = capsys.readouterr().out
    assert "NEEDS ATTENTION" in text and "last ingest_job FAILED" in text
    assert "raw__crm_customers: " in text and "STRATIFY_PII_SALT is not set" in text
    monkeypatch.setenv("STRATIFY_PII_SALT", "test-salt")
    with dg.DagsterInstance.get() as instance:
        assert job.execute_in_process(instance=instance, run_config=QUIET_LOGS).success
    assert main(["status"]) == 0
    assert "FAILED" not in capsys.readouterr().out
