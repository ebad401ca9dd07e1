import pytest

from pipelines.quality.snapshot_checks import judge


@pytest.mark.parametrize(
    ("current", "previous", "passed"),
    [
        (1000, None, True),  # first snapshot or warm-up
        (1000, 1000, True),
        (1400, 1000, True),
        (1600, 1000, False),  # customers appeared from nowhere (a doubled load)
        (600, 1000, False),  # customers vanished (a missing channel export)
    ],
)
def test_customer_count_change_is_judged_against_the_previous_snapshot(current, previous, passed):
    assert judge(current, previous, 1.5)[0] is passed
