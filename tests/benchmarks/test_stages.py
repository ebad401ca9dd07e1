"""Per-stage peaks from RSS samples: every sample counted where it fell, no stage left without one."""

from benchmarks.stages import Window, stage_peaks


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
