"""YAML of files a user can place or edit (own rule packs, ERP presets, parameter folders): plain data only.

``yaml.safe_load`` builds no objects, but it expands aliases: a few hundred bytes of nested ``&a``/``*a``
("billion laughs") become 10⁹ nodes for whoever walks the document, and ``main.py packs`` or the app's pack list
would hang (hostile-input review R2).  :func:`load` refuses every alias (no file the program ships uses one) and
any text above :data:`MAX_CHARS`, with a :class:`yaml.YAMLError` whose ``problem`` is one Chinese sentence and
whose ``problem_mark`` gives the line, so the callers' existing YAML error messages apply unchanged."""
from __future__ import annotations

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent

#: A rule pack, preset or parameter file is a few kilobytes (the largest shipped one: 30 KB); 1 M characters is
#: far above any real one and bounds the time of reading a folder of them (the pure-Python parser reads about
#: 1 MB a second).
MAX_CHARS = 1_000_000

ALIAS_MESSAGE = "不支持 YAML 别名（“*名称”引用）：请把引用的内容直接写出"


class TooLarge(yaml.YAMLError):
    def __init__(self, size: int):
        super().__init__(f"文件过大（{size:,} 个字符，上限 {MAX_CHARS:,}），不像规则或预设文件")
        self.problem = str(self)
        self.problem_mark = None


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader with aliases refused where the composer meets them (before anything is expanded)."""

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise ComposerError(None, None, ALIAS_MESSAGE, event.start_mark)
        return super().compose_node(parent, index)


def load(text: str):
    """``yaml.safe_load`` of ``text`` without aliases and at most :data:`MAX_CHARS` long."""
    if len(text) > MAX_CHARS:
        raise TooLarge(len(text))
    return yaml.load(text, Loader=_NoAliasLoader)      # noqa: S506 (a SafeLoader subclass)


def read_text(path, encoding: str = "utf-8") -> str:
    """The text of a user's YAML file; :class:`TooLarge` (a YAMLError) before reading a file that cannot be one."""
    import os
    size = os.path.getsize(path)
    if size > 4 * MAX_CHARS:                  # 4 bytes a character at most in UTF-8
        raise TooLarge(size)
    return open(path, encoding=encoding).read()      # noqa: SIM115 (closed by refcount, as Path.read_text)
