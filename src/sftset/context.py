"""What every command and stage gets: settings, the state store (opened on first use), paths, and the
run's executors (chosen once, made on first use, closed at the end of the run)."""
from __future__ import annotations

import argparse
from functools import cached_property
from pathlib import Path
from typing import Any

from .config import Config
from .store import StateStore


class Context:
    def __init__(self, args: argparse.Namespace, config: Config):
        self.args = args
        self.config = config
        self.verbosity: int = getattr(args, "verbose", 0) - getattr(args, "quiet", 0)

    def flag(self, name: str) -> Any:
        """The command-line value of `name`, or None where this command has no such flag (commands
        add different flags; a stage's `settings_from_context` reads them through here)."""
        return getattr(self.args, name, None)

    @cached_property
    def curated_dir(self) -> Path:
        return Path(self.config.resolve(self.flag("curated"), "paths", "curated", "curated", str))

    @cached_property
    def state_path(self) -> Path:
        return Path(self.config.resolve(self.flag("state"), "paths", "state",
                                        str(self.curated_dir / "state.sqlite"), str))

    @cached_property
    def store(self) -> StateStore:
        return StateStore(self.state_path)

    @cached_property
    def executors(self):
        """The run's executors (sftset.executors.RunExecutors): `ctx.executors.get(workers)`."""
        from . import executors

        return executors.RunExecutors(executors.settings_from_context(self))

    def close(self) -> None:
        if "executors" in self.__dict__:
            self.executors.close()
        if "store" in self.__dict__:
            self.store.close()
