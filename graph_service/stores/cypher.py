"""The one loader of `cypher/*.cypher`: named statements, with labels and types filled from the whitelist."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from graph_service.schema import Label, RelType

CYPHER_DIR = Path(__file__).resolve().parents[2] / "cypher"
_NAME = re.compile(r"^//\s*name:\s*(\w+)\s*$")
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


@lru_cache
def statements(directory: Path = CYPHER_DIR) -> dict[str, str]:
    """name -> statement text, from every `// name: X` block in the directory's .cypher files."""
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.cypher")):
        name: str | None = None
        lines: list[str] = []
        for line in [*path.read_text(encoding="utf-8").splitlines(), "// name: _end"]:
            match = _NAME.match(line.strip())
            if match:
                if name:
                    if name in found:
                        raise ValueError(f"{path}: statement {name!r} is defined twice")
                    found[name] = "\n".join(lines).strip().rstrip(";")
                name, lines = match.group(1), []
            elif name and not line.strip().startswith("//"):
                lines.append(line)
    found.pop("_end", None)
    return found


def parameters(text: str) -> set[str]:
    return set(_PARAM.findall(text))


def statement(name: str, label: Label | None = None, rel_type: RelType | None = None) -> str:
    """The named statement; `__LABEL__` / `__TYPE__` are replaced only by whitelisted enum members."""
    text = statements()[name]
    if "__LABEL__" in text:
        if not isinstance(label, Label):
            raise TypeError(f"{name} needs a Label, got {label!r}")
        text = text.replace("__LABEL__", label.value)
    if "__TYPE__" in text:
        if not isinstance(rel_type, RelType):
            raise TypeError(f"{name} needs a RelType, got {rel_type!r}")
        text = text.replace("__TYPE__", rel_type.value)
    return text
