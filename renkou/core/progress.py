"""Progress of a long job, for the terminal and for the page (进度).

A batch job draws its progress with :func:`progress_bar` — a tqdm bar, shown on the
terminal when the command asks for it — and the same steps reach whatever sink the
caller set with :func:`reporting_to`: the background worker sets one that writes the
job's progress file, which the job's page reads every second. One call in the job's
code serves both; the job knows nothing of pages.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from tqdm import tqdm

__all__ = ["progress_bar", "reporting_to", "ProgressFile", "read_progress", "step"]

#: (phase, done, total or None) → None
Sink = Callable[[str, int, "int | None"], None]
_sink: ContextVar[Sink | None] = ContextVar("renkou_progress_sink", default=None)


@contextmanager
def reporting_to(sink: Sink) -> Iterator[None]:
    """Send the steps of every :func:`progress_bar` opened inside to ``sink``."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


class _Bar(tqdm):
    """A tqdm bar that also tells the current sink how far it is."""

    def __init__(self, *args: Any, desc: str = "", total: int | None = None,
                 **kwargs: Any) -> None:
        self._sink = _sink.get()
        self._steps = 0
        self._phase, self._total = desc, total  # a disabled tqdm keeps neither
        super().__init__(*args, desc=desc, total=total, **kwargs)
        if self._sink is not None:
            self._sink(self._phase, 0, self._total)

    def update(self, n: float | None = 1) -> bool | None:
        shown = super().update(n)
        self._steps += int(n or 0)
        if self._sink is not None:
            self._sink(self._phase, self._steps, self._total)
        return shown


def progress_bar(*, desc: str, total: int | None = None, show: bool = False,
                 unit: str = " rows", **options: Any) -> tqdm:
    """A progress bar: drawn on the terminal when ``show``, reported to the job's page
    whenever a sink is set."""
    options.setdefault("mininterval", 0.5)
    options.setdefault("unit_scale", True)
    return _Bar(total=total, desc=desc, unit=unit, disable=not show, **options)


class ProgressFile:
    """A sink writing ``{"phase", "done", "total"}`` to a JSON file, at most twice a
    second (and always at a phase's start), replaced atomically so a reader never sees
    half a file; with ``log_path``, also a line with the time at every new phase and
    every :meth:`say` (the job's log)."""

    def __init__(self, path: Path, every: float = 0.5, log_path: Path | None = None) -> None:
        self.path = Path(path)
        self.log_path = log_path
        self.every = every
        self._last = 0.0
        self._phase: str | None = None

    def say(self, text: str) -> None:
        """Add a line to the log."""
        if self.log_path is None:
            return
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"{time.strftime('%H:%M:%S')}  {text}\n")

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if phase != self._phase:
            if phase:
                self.say(phase)
        elif now - self._last < self.every and done != total:
            return
        self._phase, self._last = phase, now
        partial = self.path.with_suffix(".part")
        partial.write_text(json.dumps({"phase": phase, "done": done, "total": total}),
                           encoding="utf-8")
        os.replace(partial, self.path)


def read_progress(path: Path) -> dict[str, Any]:
    """What a :class:`ProgressFile` last wrote (empty before the first step)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def step(phase: str, done: int = 0, total: int | None = None) -> None:
    """Report one step of a job that counts its own steps (``phase`` with ``done`` of
    ``total``) to the current sink, if any; nothing on the terminal."""
    sink = _sink.get()
    if sink is not None:
        sink(phase, done, total)
