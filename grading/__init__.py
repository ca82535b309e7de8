"""Assignments, submissions, the grading sandbox and pipeline, the gradebook, certificates."""
