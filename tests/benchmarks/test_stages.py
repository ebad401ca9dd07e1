"""Per-stage peaks from RSS samples: every sample counted where it fell, no stage left without one."""

from benchmarks.stages import Window, heaviest, stage_peaks, step_seconds


def test_samples_go_to_the_test_or_step_they_fall_in():
    samples = [(0.0, 100), (0.2, 300), (0.4, 200), (0.6, 50)]
    steps = [Window(0.1, 0.5, "transform")]
    tests = [Window(0.35, 0.45, "quality")]
    peaks = stage_peaks(samples, steps, tests)
    assert (peaks["transform"], peaks["quality"], peaks["orchestration"]) == (300, 200, 100)


def test_a_step_between_two_samples_gets_the_nearest_one():
    samples = [(0.0, 100), (0.2, 300), (0.4, 200)]
    steps = [Window(0.05, 0.09, "drift"), Window(0.15, 0.25, "segment")]
    peaks = stage_peaks(samples, steps, [])
    assert peaks["drift"] == 100 and peaks["segment"] == 300 and peaks["publish"] == 0


def test_steps_are_summed_over_runs_and_ranked_largest_first():
    steps = [
        Window(0.0, 2.0, "transform", "dbt"),
        Window(3.0, 4.0, "segment", "fit"),
        Window(5.0, 6.5, "transform", "dbt"),
    ]
    ranked = heaviest(step_seconds(steps), top=1)
    assert ranked == [{"name": "dbt", "seconds": 3.5}]
