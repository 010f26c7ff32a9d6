"""Voting: participatory budgeting rounds, ballots online and on paper, and counting."""
