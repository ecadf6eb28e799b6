"""YAML loading that remembers where every value came from.

Recipes, mapping files and instance files are written by hand, so every problem must point at a
file line and column. ``load`` composes the YAML node tree with PyYAML's *safe* loader (never an
unsafe one), builds plain Python data from it and keeps the key and value node of every JSON
path. Types follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1 defaults: only
``true``/``false`` are booleans (a country code ``NO`` stays text), dates stay text, and numbers
with a fraction become ``Decimal`` (never float). Aliases are capped (billion laughs), as are
size and nesting depth.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from engine.errors import ConfigError, Location

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 100
MAX_ALIAS_EXPANSIONS = 10_000
MAX_NODES = 1_000_000

PathKey = str | int
JsonPath = tuple[PathKey, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 core-schema scalar resolution (no yes/no booleans, no dates,
    no merge keys)."""

    yaml_implicit_resolvers: dict = {}


_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)


@dataclass(frozen=True)
class YamlIssue:
    """One problem found while reading YAML; line and col are 1-based."""

    line: int
    col: int
    message: str
    path: JsonPath = ()


class YamlError(ConfigError):
    """The text is not YAML iex can use. ``issues`` holds every located problem found."""

    def __init__(self, name: str, issues: list[YamlIssue]) -> None:
        first = issues[0]
        super().__init__(first.message, location=Location(file=name, line=first.line, col=first.col))
        self.name = name
        self.issues = issues


class _Abort(Exception):
    """Stop building: a limit was hit. Carries the issue to report."""

    def __init__(self, issue: YamlIssue) -> None:
        self.issue = issue


def format_path(path: JsonPath) -> str:
    """``("flows", "orders", "steps", 0)`` -> ``$.flows.orders.steps[0]``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$-]*", part):
            out += f".{part}"
        else:
            out += "[" + repr(part) + "]"
    return out


_PATH_TOKEN = re.compile(r"\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\]")


def parse_path(text: str) -> JsonPath:
    """Inverse of ``format_path`` for the paths it writes."""
    if not text.startswith("$"):
        raise ValueError(f"a JSON path starts with $: {text!r}")
    parts: list[PathKey] = []
    pos = 1
    while pos < len(text):
        m = _PATH_TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot read JSON path {text!r} at {pos}")
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(int(m.group(2)))
        else:
            parts.append(ast.literal_eval(m.group(3)))
        pos = m.end()
    return tuple(parts)


def value_at(data: Any, path: JsonPath) -> Any:
    """The value at ``path`` inside plain data, or None when the path does not exist."""
    for part in path:
        if isinstance(data, dict) and isinstance(part, str) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and not isinstance(part, bool) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


class Document:
    """Loaded YAML: ``data`` as plain Python, plus the position of every JSON path."""

    def __init__(self, name: str, source: str, data: Any, values: dict, keys: dict) -> None:
        self.name = name
        self.source = source
        self.data = data
        self._values: dict[JsonPath, yaml.Node] = values
        self._keys: dict[JsonPath, yaml.Node] = keys

    def has(self, path: JsonPath | str) -> bool:
        return _as_path(path) in self._values

    def get(self, path: JsonPath | str) -> Any:
        """The value at ``path``, or None when it does not exist."""
        return value_at(self.data, _as_path(path))

    def position(self, path: JsonPath | str, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the value at ``path`` (of its key when ``key``). A path that
        does not exist falls back to its nearest existing parent."""
        path = _as_path(path)
        while path not in self._values and path:
            path = path[:-1]
            key = True  # the parent's key says best where the missing piece belongs
        node = self._keys.get(path) if key else None
        node = node or self._values.get(path)
        if node is None:
            return (1, 1)
        return (node.start_mark.line + 1, node.start_mark.column + 1)

    def text_position(self, path: JsonPath | str, line: int, col: int) -> tuple[int, int]:
        """Where character (line, col) (1-based, relative to the string value at ``path``)
        sits in the file. Used to point inside a template. Falls back to the value's start."""
        path = _as_path(path)
        node = self._values.get(path)
        start = self.position(path)
        if not isinstance(node, yaml.ScalarNode):
            return start
        lines = node.value.split("\n")
        line = min(max(line, 1), len(lines))
        index = sum(len(text) + 1 for text in lines[: line - 1]) + max(col, 1) - 1
        marks = _char_marks(node, self.source)
        if not marks:
            return start
        return marks[min(index, len(marks) - 1)]

    def find_in_value(self, path: JsonPath | str, needle: str) -> tuple[int, int]:
        """Position of the first ``needle`` inside the string value at ``path`` (else the
        value's start)."""
        path = _as_path(path)
        node = self._values.get(path)
        if isinstance(node, yaml.ScalarNode):
            index = node.value.find(needle)
            marks = _char_marks(node, self.source) if index >= 0 else None
            if marks and index < len(marks):
                return marks[index]
        return self.position(path)


def _as_path(path: JsonPath | str) -> JsonPath:
    return parse_path(path) if isinstance(path, str) else tuple(path)


def load(source: str | Path, *, name: str | None = None) -> Document:
    """Load one YAML document from a path or from text. Raises ``YamlError`` with located
    issues for syntax errors, duplicate keys, unsupported tags and exceeded limits."""
    if isinstance(source, Path):
        name = name or str(source)
        text = _read(source, name)
    else:
        name = name or "<text>"
        text = source
        if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise YamlError(name, [YamlIssue(1, 1, f"the document is larger than {MAX_BYTES // (1024 * 1024)} MB")])
    try:
        _check_depth(text)
        node = _Loader(text).get_single_node()
    except _Abort as stop:
        raise YamlError(name, [stop.issue]) from None
    except yaml.YAMLError as exc:
        raise YamlError(name, [_syntax_issue(exc, text)]) from None
    except RecursionError:
        raise YamlError(name, [YamlIssue(1, 1, f"the document nests deeper than {MAX_DEPTH} levels")]) from None
    builder = _Builder(text)
    try:
        data = builder.build(node, (), 0) if node is not None else None
    except _Abort as stop:
        builder.issues.append(stop.issue)
    if builder.issues:
        raise YamlError(name, sorted(builder.issues, key=lambda i: (i.line, i.col)))
    return Document(name, text, data, builder.values, builder.keys)


def _read(path: Path, name: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise YamlError(name, [YamlIssue(1, 1, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")])
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlError(name, [YamlIssue(1, 1, f"cannot read the file: {exc.strerror or exc}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError(name, [YamlIssue(line, col, "the file is not UTF-8 text")]) from None


def _check_depth(text: str) -> None:
    """Walk the event stream (PyYAML's parser is not recursive) so that absurd nesting is one
    clear problem before the recursive composer runs."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                m = event.start_mark
                raise _Abort(YamlIssue(m.line + 1, m.column + 1, f"the document nests deeper than {MAX_DEPTH} levels"))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _syntax_issue(exc: yaml.YAMLError, text: str) -> YamlIssue:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        what = exc.problem or "invalid YAML"
        if exc.context and what.startswith("but "):
            what = f"{exc.context}, {what}"
        elif exc.context:
            what = f"{what} ({exc.context})"
        return YamlIssue(mark.line + 1, mark.column + 1, f"YAML syntax error: {what}")
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        return YamlIssue(line, col, f"YAML syntax error: character #x{code:04x} is not allowed")
    return YamlIssue(1, 1, f"YAML syntax error: {exc}")


class _Builder:
    """Turns composed nodes into plain data, recording nodes by path and collecting issues."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.values: dict[JsonPath, yaml.Node] = {}
        self.keys: dict[JsonPath, yaml.Node] = {}
        self.issues: list[YamlIssue] = []
        self._seen: set[int] = set()
        self._expansions = 0
        self._nodes = 0

    def issue(self, node: yaml.Node, message: str, path: JsonPath) -> None:
        self.issues.append(YamlIssue(node.start_mark.line + 1, node.start_mark.column + 1, message, path))

    def build(self, node: yaml.Node, path: JsonPath, depth: int) -> Any:
        self._count(node, path, depth)
        self.values.setdefault(path, node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self.issue(node, f"unsupported YAML tag {_short(node.tag)!r}", path)
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        if node.tag != _MAP:
            self.issue(node, f"unsupported YAML tag {_short(node.tag)!r}", path)
        return self._mapping(node, path, depth)

    def _count(self, node: yaml.Node, path: JsonPath, depth: int) -> None:
        self._nodes += 1
        mark = node.start_mark
        if depth > MAX_DEPTH:
            raise _Abort(YamlIssue(mark.line + 1, mark.column + 1, f"the document nests deeper than {MAX_DEPTH} levels (a recursive alias?)", path))
        if id(node) in self._seen:
            self._expansions += 1
            if self._expansions > MAX_ALIAS_EXPANSIONS:
                raise _Abort(YamlIssue(mark.line + 1, mark.column + 1, f"aliases expand to more than {MAX_ALIAS_EXPANSIONS} values; write the data out instead", path))
        self._seen.add(id(node))
        if self._nodes > MAX_NODES:
            raise _Abort(YamlIssue(mark.line + 1, mark.column + 1, f"the document has more than {MAX_NODES} values", path))

    def _mapping(self, node: yaml.MappingNode, path: JsonPath, depth: int) -> dict:
        out: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.issue(key_node, "a key must be plain text, not a list or mapping", path)
                continue
            key = key_node.value
            if key == "<<" and key_node.style is None:
                self.issue(key_node, "YAML merge keys (<<) are not supported; write the keys out", path + (key,))
                continue
            if key in first:
                m = first[key].start_mark
                self.issue(key_node, f"duplicate key {key!r} (first at line {m.line + 1}, col {m.column + 1})", path + (key,))
                continue
            first[key] = key_node
            self.keys[path + (key,)] = key_node
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out

    def _scalar(self, node: yaml.ScalarNode, path: JsonPath) -> Any:
        value, tag = node.value, node.tag
        if tag in (_STR, "!"):
            return value
        try:
            if tag == _NULL:
                if value not in ("", "~", "null", "Null", "NULL"):
                    raise ValueError
                return None
            if tag == _BOOL:
                if value.lower() not in ("true", "false"):
                    raise ValueError
                return value.lower() == "true"
            if tag == _INT:
                return _to_int(value)
            if tag == _FLOAT:
                number = Decimal(value)
                if not number.is_finite():
                    raise ValueError
                return number
        except (ValueError, InvalidOperation):
            self.issue(node, f"cannot read {value[:40]!r} as {tag.rsplit(':', 1)[-1]}", path)
            return value
        self.issue(node, f"unsupported YAML tag {_short(tag)!r}", path)
        return value


def _short(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _to_int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


# -- positions of characters inside a scalar ------------------------------------------------

def _char_marks(node: yaml.ScalarNode, source: str) -> list[tuple[int, int]] | None:
    """The (line, col) of each character of ``node.value`` in the file, rebuilt from the raw
    text by the scalar's style. None when the rebuild does not reproduce the value (then the
    caller points at the value's start rather than somewhere wrong)."""
    start, end = node.start_mark, node.end_mark
    raw = source[start.index : end.index]
    base_line, base_col = start.line + 1, start.column + 1
    if node.style in ("|", ">"):
        chars = _block_chars(raw, base_line, folded=node.style == ">")
    elif node.style in ("'", '"'):
        chars = _flow_chars(raw[1:-1], base_line, base_col + 1, node.style)
    else:
        chars = _flow_chars(raw, base_line, base_col, None)
    text = "".join(c for c, _ in chars)
    if text.rstrip("\n") != node.value.rstrip("\n"):
        return None
    return [pos for _, pos in chars] or [(base_line, base_col)]


def _raw_lines(raw: str, line: int, col: int) -> list[tuple[str, int, int]]:
    """Split raw text into (text, line, col-of-first-char) triples."""
    out = []
    for i, text in enumerate(raw.split("\n")):
        out.append((text.removesuffix("\r"), line + i, col if i == 0 else 1))
    return out


_JOIN = "\x00join"  # marks an escaped line break in a double-quoted scalar: the next line joins directly


def _flow_chars(raw: str, line: int, col: int, quote: str | None) -> list[tuple[str, tuple[int, int]]]:
    """Plain and quoted scalars: lines are folded (one break -> space, blank lines -> breaks)."""
    chars: list[tuple[str, tuple[int, int]]] = []
    lines = _raw_lines(raw, line, col)
    blanks = 0
    for n, (text, ln, c0) in enumerate(lines):
        lead = len(text) - len(text.lstrip(" \t")) if n > 0 else 0
        body = text[lead:]
        if n < len(lines) - 1 and not (quote == '"' and _escaped_break(body)):
            body = body.rstrip(" \t")
        if n > 0 and not body and n < len(lines) - 1:
            blanks += 1
            continue
        if n > 0 and not (quote == '"' and chars and chars[-1][0] == _JOIN):
            joiner = "\n" * blanks if blanks else " "
            for ch in joiner:
                chars.append((ch, (ln, c0 + lead)))
        if chars and chars[-1][0] == _JOIN:
            chars.pop()
        blanks = 0
        chars.extend(_unescape(body, ln, c0 + lead, quote))
    return chars


def _escaped_break(body: str) -> bool:
    stripped = body.rstrip(" \t")
    return stripped.endswith("\\") and (len(stripped) - len(stripped.rstrip("\\"))) % 2 == 1


_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
            "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
            "L": "\u2028", "P": "\u2029"}
_HEX = {"x": 2, "u": 4, "U": 8}


def _unescape(body: str, line: int, col: int, quote: str | None) -> list[tuple[str, tuple[int, int]]]:
    out: list[tuple[str, tuple[int, int]]] = []
    i = 0
    while i < len(body):
        pos = (line, col + i)
        ch = body[i]
        if quote == "'" and body.startswith("''", i):
            out.append(("'", pos))
            i += 2
        elif quote == '"' and ch == "\\" and i + 1 < len(body):
            code = body[i + 1]
            if code in _HEX:
                width = _HEX[code]
                out.append((chr(int(body[i + 2 : i + 2 + width] or "0", 16)), pos))
                i += 2 + width
            else:
                out.append((_ESCAPES.get(code, code), pos))
                i += 2
        elif quote == '"' and ch == "\\":
            out.append((_JOIN, pos))
            i += 1
        else:
            out.append((ch, pos))
            i += 1
    return out


def _block_chars(raw: str, line: int, *, folded: bool) -> list[tuple[str, tuple[int, int]]]:
    """Literal (|) and folded (>) block scalars: content starts on the line after the header."""
    lines = [text.removesuffix("\r") for text in raw.split("\n")]
    header, content = lines[0], lines[1:]
    m = re.search(r"[1-9]", header.split("#", 1)[0])
    indent = int(m.group()) if m else next((len(t) - len(t.lstrip(" ")) for t in content if t.strip()), 0)
    chars: list[tuple[str, tuple[int, int]]] = []
    previous_plain = False
    pending_break: tuple[str, tuple[int, int]] | None = None
    for n, text in enumerate(content):
        ln = line + 1 + n
        body = text[indent:] if len(text) >= indent else ""
        plain = bool(body) and not body[0] in " \t"
        if pending_break is not None:
            if folded and previous_plain and plain and pending_break[0] == "\n":
                chars.append((" ", pending_break[1]))
            else:
                chars.append(pending_break)
        if folded and not body and previous_plain and pending_break is not None and chars and chars[-1][0] == "\n":
            chars.pop()  # the break after a folded line is dropped before blank lines
            previous_plain = False
        chars.extend((ch, (ln, indent + 1 + k)) for k, ch in enumerate(body))
        pending_break = ("\n", (ln, indent + 1 + len(body)))
        if body:
            previous_plain = plain
    return chars
