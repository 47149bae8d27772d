"""Use cases: each takes validated input and a principal, and returns domain results."""
