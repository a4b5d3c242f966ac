"""One module per subcommand; `sftset.cli` discovers them. See cli.py for the interface."""
