raise SystemExit("this project does not build (a test case for the CI miner)")
