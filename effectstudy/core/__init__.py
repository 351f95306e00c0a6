"""Shared foundations: errors, schema, result base, argument checks, labels, formatting, params.

Imports nothing else of the package."""
