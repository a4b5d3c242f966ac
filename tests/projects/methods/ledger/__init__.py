"""Money and tallies: classes for the CI miner's method tests."""
