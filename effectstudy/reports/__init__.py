"""Report output, provenance, the notebook runner, the yearly summary, disclosure control.

Only ``reports``, ``cli`` and ``study`` import this stage."""
