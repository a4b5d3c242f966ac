"""Colour names from hex codes and back, through tables built from data.COLOURS while the module loads."""
from . import data

_BY_CODE = {code: name for name, code in data.COLOURS.items()}


def colour_name(code):
    """The name of the colour with this hex code (`#rgb` or `#rrggbb`, any case, spaces around allowed),
    or None when no colour has that code. Raises ValueError for text that is not a hex code."""
    code = code.strip().lower()
    if len(code) == 4 and code.startswith("#"):
        code = "#" + "".join(c * 2 for c in code[1:])
    if len(code) != 7 or not code.startswith("#") or any(c not in "0123456789abcdef" for c in code[1:]):
        raise ValueError(f"not a hex colour code: {code!r}")
    return _BY_CODE.get(code)


def names_like(fragment, limit=5):
    """Up to `limit` colour names that contain `fragment` (any case), shortest first, then alphabetical."""
    fragment = fragment.strip().lower()
    found = [name for name in data.COLOURS if fragment in name]
    found.sort(key=lambda name: (len(name), name))
    return found[:limit]


def shade_count(prefix, limit=len(data.COLOURS)):
    """How many colour names start with `prefix` (any case), counting at most `limit`."""
    prefix = prefix.lower()
    count = 0
    for name in data.COLOURS:
        if name.startswith(prefix) and count < limit:
            count += 1
    return count
