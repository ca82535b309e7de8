"""Sandboxes that run learner code: a fresh one per submission, no network, limits."""
