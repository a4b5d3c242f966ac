"""Python 2 and TYPE_CHECKING branches: carried as written, but they bind and need nothing."""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

from sftset.ci_mining.dead_branches import prune, static_truth
from test_ci_build import _build, _fn, _records, _write


def _truth(expr: str, module: str = "") -> bool | None:
    from sftset.ci_mining.dead_branches import _single_assignments
    tree = ast.parse(textwrap.dedent(module))
    return static_truth(ast.parse(expr, mode="eval").body, _single_assignments(tree))


def test_version_tests_decided_only_when_every_supported_python_agrees():
    assert _truth("sys.version_info[0] == 2") is False
    assert _truth("sys.version_info >= (3,)") is True
    assert _truth("sys.version_info.major > 2 and not six.PY2") is True
    assert _truth("sys.version_info[:2] >= (3, 8)") is True
    assert _truth("sys.version_info < (3, 11)") is None  # true on 3.10 only: the branch may run
    assert _truth("typing.TYPE_CHECKING") is False
    assert _truth("py3k", "import sys\npy = sys.version_info\npy3k = py.major > 2\n") is True
    assert _truth("PY2", "from six import PY2\n") is False
    assert _truth("PY3", "PY3 = sys.version_info[0] == 3\nPY3 = False\n") is None  # bound twice: unknown
    assert _truth("platform() == 'linux'") is None


def test_prune_keeps_the_live_branch():
    tree = ast.parse(textwrap.dedent("""
        if sys.version_info[0] >= 3:
            import http.client as httplib
        else:
            import httplib
        if magic():
            from StringIO import StringIO
        else:
            from io import StringIO
        def f(x):
            if TYPE_CHECKING:
                import _typeshed
            return x
    """))
    prune(tree)
    text = ast.unparse(tree)
    assert "import httplib" not in text and "http.client" in text
    assert "from StringIO" not in text and "from io import StringIO" in text
    assert "_typeshed" not in text


def test_compat_module_functions_are_mined_with_the_whole_if_carried(tmp_path):
    root = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/compat.py": """
            import sys
            from typing import TYPE_CHECKING
            PY3 = sys.version_info[0] >= 3
            if PY3:
                from io import StringIO
                text_type = str
            else:
                from cStringIO import StringIO
                import httplib
                text_type = unicode
            if TYPE_CHECKING:
                import typing_extensions as te
            try:
                string_types = (basestring,)
            except NameError:
                string_types = (str,)
        """,
        "pkg/core.py": """
            from .compat import StringIO, text_type, PY3, string_types

            def is_text(x):
                \"\"\"Whether x is text.\"\"\"
                return isinstance(x, string_types)

            def shout(x):
                \"\"\"Upper-case text, through a stream.\"\"\"
                if not PY3:
                    x = x.decode('utf-8')
                buf = StringIO()
                buf.write(text_type(x).upper())
                return buf.getvalue()

            def dead_local(x):
                \"\"\"A local annotation is never evaluated.\"\"\"
                out: te.Self = x * 2
                return out
        """,
    })
    recs = _records(("('ab',)", "'AB'"), ("('x y',)", "'X Y'"), ("('',)", "''"))
    result = _build(root, ["pkg"], _fn("pkg.core", "shout", records=recs),
                    _fn("pkg.core", "dead_local", records=_records(("(1,)", "2"), ("(2,)", "4"), ("(3,)", "6"))),
                    _fn("pkg.core", "is_text", records=_records(("('a',)", "True"), ("(1,)", "False"), ("(b'',)", "False"))))
    assert result.drops == []
    is_text = next(c for c in result.candidates if c.entry_point == "is_text")  # `basestring`: absent on Python 3 too
    program = is_text.prompt + is_text.solution + "\nassert is_text('a') and not is_text(1)\n"
    done = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shout = next(c for c in result.candidates if c.entry_point == "shout")
    assert "else:\n    from cStringIO import StringIO" in shout.context  # carried as written, never run
    program = shout.prompt + shout.solution + "\nassert shout('ab') == 'AB'\n"
    done = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_live_third_party_import_still_drops(tmp_path):
    root = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": """
            import sys
            if sys.version_info < (3, 11):
                from typing_extensions import Self
            else:
                from typing import Self

            def same(x) -> "Self":
                return Self if x else x
        """,
    })
    result = _build(root, ["pkg"], _fn("pkg.a", "same"))
    assert [d[1] for d in result.drops] == ["needs a third-party module"]
