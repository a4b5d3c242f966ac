"""Hard cases for the CI miner."""
