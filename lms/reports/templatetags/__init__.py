"""Template tags of reporting: whether to show the statistics link."""
