"""What every command gets: settings, the state store (opened on first use), paths."""
from __future__ import annotations

import argparse
from functools import cached_property
from pathlib import Path

from .config import Config
from .store import StateStore


class Context:
    def __init__(self, args: argparse.Namespace, config: Config):
        self.args = args
        self.config = config
        self.verbosity: int = getattr(args, "verbose", 0) - getattr(args, "quiet", 0)

    @cached_property
    def curated_dir(self) -> Path:
        return Path(self.config.resolve(getattr(self.args, "curated", None), "paths", "curated", "curated", str))

    @cached_property
    def state_path(self) -> Path:
        return Path(self.config.resolve(getattr(self.args, "state", None), "paths", "state",
                                        str(self.curated_dir / "state.sqlite"), str))

    @cached_property
    def store(self) -> StateStore:
        return StateStore(self.state_path)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
