"""YAML read as the office typed it: strings unless a schema says otherwise, and a key given
twice in one mapping an error naming both lines (PyYAML keeps the last one silently)."""

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


_PARSED: dict[tuple[bool, bytes], Any] = {}


def load_yaml(path: Path, *, text: bool = False) -> Any:
    """A YAML file; ``text``: every value as text (the offices' files, whose schema is all text).

    A key given twice is an error naming its line (YAML would silently keep the last).
    A file already read in this process with the same bytes is not parsed again (a copy of
    what it gave is returned): a build reads the reference and the unit's configuration
    several times.
    """
    try:
        data = Path(path).read_bytes()
        key = (text, hashlib.sha256(data).digest())
        if key in _PARSED:
            return copy.deepcopy(_PARSED[key])
        # as open(path, encoding="utf-8") reads it (universal newlines), from the bytes hashed
        with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8") as fh:
            value = yaml.load(fh, Loader=_TextLoader if text else _UniqueKeyLoader)  # noqa: S506 - safe loaders
        if len(_PARSED) < 256:
            _PARSED[key] = copy.deepcopy(value)
        return value
    except FileNotFoundError:
        raise ConfigError(
            f"không tìm thấy tệp {path}",
            f"file not found: {path}",
        ) from None
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
