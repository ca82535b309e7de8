"""Accounts: the custom user (email login), the learner profile with the statistics fields
and consent, roles as groups. The lowest room: it imports no other app of the project."""
