"""Functions the suite calls only once or twice."""
