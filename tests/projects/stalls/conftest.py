# pytest puts this folder on sys.path, so the tests import wordtools from the tree.
