"""One source interface for web judges and local datasets: the same `entries(ids, contests, limit)`
and `parse`, the ids/limit selection written once, the sites that list by contest saying so, and
the caps on judge data with their defaults in one place."""
from __future__ import annotations

from pathlib import Path

import pytest

from sftset.scrapers import DATASETS, SITES, site_class
from sftset.scrapers.apps import Apps
from sftset.scrapers.base import CaseCaps, LocalSource, Page, Site, Source, select
from sftset.scrapers.convert import ConvertOptions
from sftset.scrapers.http import Fetcher
from sftset.scrapers.sources import SOURCE_KEYS

DATASETS_DIR = Path(__file__).parent / "fixtures" / "datasets"


def test_every_source_has_one_interface():
    for table, local in ((SITES, False), (DATASETS, True)):
        for name in table:
            cls = site_class(name, local=local)
            assert issubclass(cls, Site if not local else LocalSource) and issubclass(cls, Source), name
            assert cls.name == name
    assert {n for n in SITES if site_class(n).lists_contests} == {"codeforces", "atcoder"}
    assert not any(site_class(n, local=True).lists_contests for n in DATASETS)


def test_selection_by_ids_and_limit_reads_no_further():
    def items():
        yield "a", lambda: Page("a")
        yield "b", lambda: Page("b")
        yield "c", lambda: Page("c")
        raise AssertionError("read past the limit")

    assert [i for i, _ in select(items(), None, 2)] == ["a", "b"]
    assert [i for i, _ in select(items(), ["c", "a"], 2)] == ["a", "c"]
    assert [i for i, _ in select(items(), None, 0)] == []


def test_web_and_local_sources_select_the_same_way():
    apps = Apps(DATASETS_DIR / "apps")
    assert [i for i, _ in apps.entries(limit=2)] == ["train/0001", "train/0111"]
    assert [i for i, _ in apps.entries(["train/4184"])] == ["train/4184"]
    with pytest.raises(NotImplementedError, match="no contests"):
        apps.entries(contests="abc300")
    with Fetcher() as f:
        cf = site_class("codeforces")(f, None, {"max_hidden": 7})
        entries = cf.entries(["25/A", "100/D", "1/A"], None, 2)  # given ids: nothing is fetched to list them
        assert [i for i, _ in entries] == ["25/A", "100/D"]
        assert cf.caps == CaseCaps(max_hidden=7)


def test_case_caps_have_one_default():
    caps = CaseCaps()
    assert {k: SOURCE_KEYS[k][1] for k in ("max_case_bytes", "max_hidden", "max_generated")} == vars(caps)
    assert isinstance(ConvertOptions(), CaseCaps) and ConvertOptions().max_hidden == caps.max_hidden
    assert CaseCaps.of({"max_hidden": None, "path": "x"}) == caps  # unset keys keep the default


def test_kattis_data_linked_by_symlink_text_is_followed():
    # problemtools' oddecho reuses subtask1's cases in subtask2 through symlinks; the fixture copy
    # (like a checkout without symlink support) holds the link target as the file's text
    from sftset.scrapers import kattis

    pkg = Path(__file__).parent / "fixtures" / "judges" / "kattis" / "problem-packages" / "examples" / "oddecho"
    assert (pkg / "data" / "secret" / "subtask2" / "1.in").read_text().strip() == "../subtask1/1.in"
    p = kattis.parse_package(pkg)
    assert not any(".in" in i or ".ans" in o for i, o in p.hidden)
    assert ("5\nhello\ni\nam\nan\necho\n", "hello\nam\necho\n") in p.samples
