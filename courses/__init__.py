"""Wagtail pages: catalogue, programmes (micro-degrees), courses and modules; runs, enrolment."""
