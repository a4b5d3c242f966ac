"""Stream rows (dicts) from the files users bring: JSON Lines (optionally .gz), a JSON array,
Parquet (as Hugging Face publishes CodeContests) or Arrow files (a `datasets` cache), one file
or a folder of them. Parquet/Arrow need pyarrow (installed with the `test` extra, via `datasets`)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError
from ..jsonl import read_jsonl
from .base import ParseError

SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".parquet", ".arrow")


def data_files(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_file():
        return [path]
    files = [p for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES)]
    return sorted(files)


def _pyarrow():
    try:
        import pyarrow
    except ImportError:
        raise ParseError("reading Parquet/Arrow needs pyarrow: pip install pyarrow") from None
    return pyarrow


def iter_rows(path: Path) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(file stem, row index within the file, row) for every row of every data file."""
    for f in data_files(path):
        stem = f.name
        for suffix in SUFFIXES:
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        for i, row in enumerate(_rows_of(f)):
            yield stem, i, row


def _rows_of(f: Path) -> Iterator[dict[str, Any]]:
    name = f.name
    if name.endswith((".jsonl", ".jsonl.gz")):
        try:
            yield from read_jsonl(f)
        except InputError as exc:  # a bad dump is one item's failure here, not the run's
            raise ParseError(str(exc)) from None
    elif name.endswith((".json", ".json.gz")):
        opener = gzip.open if name.endswith(".gz") else open
        with opener(f, "rt", encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ParseError(f"{f}:{exc.lineno}: invalid JSON ({exc.msg})") from None
        rows = data if isinstance(data, list) else data.get("rows", data.get("data", [])) if isinstance(data, dict) else []
        for row in rows:
            if isinstance(row, dict):
                yield row.get("row", row) if isinstance(row.get("row"), dict) else row
    elif name.endswith(".parquet"):
        _pyarrow()
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(f).iter_batches(batch_size=32):
            yield from batch.to_pylist()
    elif name.endswith(".arrow"):
        pa = _pyarrow()
        import pyarrow.ipc as ipc

        with pa.memory_map(str(f)) as source:
            try:  # the IPC file format first (it has a footer); the datasets cache uses the stream format
                reader = ipc.open_file(source)
                batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
            except pa.ArrowInvalid:
                source.seek(0)
                batches = ipc.open_stream(source)
            for batch in batches:
                yield from batch.to_pylist()
