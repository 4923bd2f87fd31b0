"""YAML read as the office typed it: strings unless a schema says otherwise, and a key given
twice in one mapping an error naming both lines (PyYAML keeps the last one silently).

The one YAML reader of the project, and a guarded one: a file over :data:`MAX_BYTES`, an
alias (``*name``: YAML's expansion, which turns a few lines into 10⁹ nodes) or nesting
deeper than :data:`MAX_DEPTH` is refused, from the parser's events, before anything is
built from it. :func:`load_yaml_lines` also gives the line of every key and list item, so a
schema (:mod:`baocao.configschema`) can name the line of each problem."""

from __future__ import annotations

import copy
import hashlib
import io
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

# libyaml's parser where PyYAML was built with it (the wheels are): the same documents, the
# same marks, five to ten times faster; the constructors and resolvers below stay Python.
_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """YAML as usual, but a key given twice in one mapping is an error naming both lines."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.get(key)
                except TypeError:
                    continue
                if first is not None:
                    raise DuplicateKeyError(key, first, key_node.start_mark)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _TextLoader(_UniqueKeyLoader):
    """Every plain scalar is text, as the person typed it: ``so: 045`` is "045" (not 37),
    ``ngay_bao_cao: 2023-12-05`` is "2023-12-05", ``hoi_nghi: yes`` is "yes"; an empty value is ""."""

    yaml_implicit_resolvers: dict = {}


def _empty_as_text(loader, node):
    return loader.construct_scalar(node)


_TextLoader.add_constructor("tag:yaml.org,2002:null", _empty_as_text)


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: object, first_line: int, mark):
        self.key = key
        self.first_line = first_line
        self.problem_mark = mark
        self.problem = f"duplicate key {key!r}"


#: The largest YAML file read (the largest the project ships is about 30 kB).
MAX_BYTES = 1 << 20
#: The deepest nesting of mappings and lists (the project's files use 4).
MAX_DEPTH = 20

Lines = dict[tuple, int]  # path of keys and list indexes → line (1-based) of that key or item

_PARSED: dict[tuple[bool, bytes], tuple[Any, Lines]] = {}


class _Refused(yaml.YAMLError):
    """A file the guard does not parse: what, where, what to do."""

    def __init__(self, vi: str, en: str, line: int | None, hint_vi: str, hint_en: str):
        self.vi, self.en, self.line, self.hint_vi, self.hint_en = vi, en, line, hint_vi, hint_en


def _read_bounded(path: Path) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _Refused(
            f"tệp lớn hơn {MAX_BYTES // 1024} KiB: không phải tệp cấu hình hay thông tin văn bản",
            f"the file is larger than {MAX_BYTES // 1024} KiB: not a configuration or metadata file",
            None,
            "dùng tệp mẫu của dự án (tệp này bị thay bằng một tệp khác?)",
            "use the project's own file (was this one replaced by another?)",
        )
    return data


def _guard(text: str, loader: type) -> None:
    """Refuse aliases and deep nesting, from the parser's events (nothing is built yet)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"dòng {line}: bí danh YAML '*{event.anchor}' không được dùng (có thể làm tệp nở ra hàng tỷ phần tử)",
                f"line {line}: the YAML alias '*{event.anchor}' is not allowed (it can expand a file into "
                "billions of nodes)",
                line,
                f"viết thẳng giá trị thay cho '*{event.anchor}' (và bỏ '&{event.anchor}')",
                f"write the value itself instead of '*{event.anchor}' (and drop '&{event.anchor}')",
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(
                    f"dòng {line}: lồng nhau quá {MAX_DEPTH} cấp",
                    f"line {line}: nested more than {MAX_DEPTH} levels deep",
                    line,
                    "viết lại theo tệp mẫu của dự án",
                    "write it as the project's sample file does",
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _lines(node: yaml.Node | None) -> Lines:
    """The line of every key and list item, by path (an alias-free tree: the guard ran)."""
    lines: Lines = {}
    stack: list[tuple[yaml.Node, tuple]] = [(node, ())] if node is not None else []
    while stack:
        current, path = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key = path + (key_node.value,)
                lines.setdefault(key, key_node.start_mark.line + 1)
                stack.append((value_node, key))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                lines[path + (i,)] = item.start_mark.line + 1
                stack.append((item, path + (i,)))
    return lines


def _parse(data: bytes, text: bool) -> tuple[Any, Lines]:
    loader_class = _TextLoader if text else _UniqueKeyLoader
    # as open(path, encoding="utf-8") reads it (universal newlines), from the bytes hashed
    with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8") as fh:
        source = fh.read()
    _guard(source, loader_class)
    loader = loader_class(source)
    try:
        node = loader.get_single_node()
        value = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return value, _lines(node)


def load_yaml(path: Path, *, text: bool = False) -> Any:
    """A YAML file; ``text``: every value as text (the offices' files, whose schema is all text).

    A key given twice is an error naming its line (YAML would silently keep the last); a file
    too large, with an alias or nested too deep is refused (see the module's docstring).
    A file already read in this process with the same bytes is not parsed again (a copy of
    what it gave is returned): a build reads the reference and the unit's configuration
    several times.
    """
    return load_yaml_lines(path, text=text)[0]


def load_yaml_lines(path: Path, *, text: bool = False) -> tuple[Any, Lines]:
    """:func:`load_yaml`, and the line of every key and list item (for a schema's messages)."""
    path = Path(path)
    try:
        data = _read_bounded(path)
        key = (text, hashlib.sha256(data).digest())
        if key not in _PARSED:
            parsed = _parse(data, text)
            if len(_PARSED) >= 256:
                return parsed
            _PARSED[key] = copy.deepcopy(parsed)
        return copy.deepcopy(_PARSED[key])
    except FileNotFoundError:
        raise ConfigError(
            f"không tìm thấy tệp {path}",
            f"file not found: {path}",
        ) from None
    except UnicodeDecodeError as exc:
        error = ConfigError(
            f"tệp {path} không được lưu dạng UTF-8 (byte {exc.start})",
            f"{path} is not saved as UTF-8 (byte {exc.start})",
            hint_vi="mở tệp bằng Notepad, chọn File > Save As, Encoding: UTF-8, rồi lưu đè",
            hint_en="open it in Notepad, File > Save As, Encoding: UTF-8, and save over it",
        )
        error.line, error.key = None, ""
        raise error from None
    except _Refused as exc:
        error = ConfigError(f"tệp {path}: {exc.vi}", f"{path}: {exc.en}", hint_vi=exc.hint_vi, hint_en=exc.hint_en)
        error.line, error.key = exc.line, ""
        raise error from None
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1
        error = ConfigError(
            f"tệp {path.name} có khóa '{exc.key}' hai lần (dòng {exc.first_line} và dòng {line}); chỉ giữ một dòng",
            f"{path.name} gives the key '{exc.key}' twice (lines {exc.first_line} and {line}); keep one",
            hint_vi=f"xóa một trong hai dòng '{exc.key}: …' (dòng {exc.first_line} hoặc {line})",
            hint_en=f"delete one of the two '{exc.key}: …' lines ({exc.first_line} or {line})",
        )
        error.line, error.key = line, str(exc.key)
        raise error from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark else ""
        where_en = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        error = ConfigError(
            f"tệp {path} không đúng cú pháp YAML{where}: {getattr(exc, 'problem', exc)}",
            f"{path} is not valid YAML{where_en}: {getattr(exc, 'problem', exc)}",
            hint_vi="kiểm tra dấu hai chấm, thụt lề và dấu nháy ở dòng đó",
            hint_en="check the colon, indentation and quotes on that line",
        )
        error.line, error.key = (mark.line + 1 if mark else None), ""
        raise error from None
