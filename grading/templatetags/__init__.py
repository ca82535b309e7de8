"""Template tags of grading: the assignment panel, points and grade messages."""
