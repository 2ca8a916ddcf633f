"""Grading engine for the linear-classifier assignment (hidden checks, sandbox, rubric)."""
