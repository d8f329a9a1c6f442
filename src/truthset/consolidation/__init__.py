"""Consolidation: turn several workers' annotations of one data object into one label."""
