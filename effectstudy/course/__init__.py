"""Treatment course: stagnation, trajectories, treatment length, follow-up, satisfaction."""
