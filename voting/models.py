"""Vote rounds, pots, ballots and participation records."""
