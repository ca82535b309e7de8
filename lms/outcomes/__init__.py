"""Employment outcomes: consent, the follow-up at +3 and +6 months, and the answers."""
