"""Never importable: setup.py fails first."""
