# The projects here are mined by the CI miner's tests, never collected as our own tests.
collect_ignore_glob = ["*"]
