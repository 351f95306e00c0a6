"""Pseudonyms, the research export, the study store, the audit log and retention."""
