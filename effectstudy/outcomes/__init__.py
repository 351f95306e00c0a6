"""Pre/post outcomes: effect sizes, reliable change, clinical significance."""
