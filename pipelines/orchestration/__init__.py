"""Orchestration: the snapshot calendar, jobs, schedules and sensors."""
