# The package is used from the source tree (pytest puts this folder on sys.path).
