"""Citations in the style a tax bureau uses: 文号 then 条款, e.g. 财税〔2015〕119号第二条第1项.

The parameter files keep each source as a key, its full title (``sources``) and the article as a compact
reference (``ref``: "二.1", "一(一)6", "第十一条(五)", "§4.3.2.2.1").  This module turns them into the words a
user reads: the document's number (文号, or the law's title) followed by the article written out
(第二条第1项, 第一条第（一）项第6目).  Pure text functions; no file formats.
"""
from __future__ import annotations

import re

_CN = "一二三四五六七八九十百零"
_NUMBER = re.compile(r"[\u4e00-\u9fff]*〔\d{4}〕\d+号")                     # 财税〔2015〕119号, 国科发火〔2016〕32号
_ANNOUNCEMENT = re.compile(r"((?:[\u4e00-\u9fff]+\s)*[\u4e00-\u9fff]*公告\d{4}年第\d+号)")   # 财政部 税务总局公告2023年第7号
_TITLE = re.compile(r"《[^》]+》")
_ARTICLE = re.compile(rf"^(?:第([{_CN}]+)条|([{_CN}]+)(?![{_CN}]*条))")
_ITEM_CN = re.compile(rf"^[(（]([{_CN}]+)[)）]")
_ITEM_NUM = re.compile(r"^[.．]?(\d+)")
_SUB = re.compile(r"^[(（](\d+)[)）]")


def document_number(title: str) -> str:
    """The short form a citation starts with: the 文号 when the title carries one (财税〔2015〕119号,
    国家税务总局公告2017年第40号), else the document's title in 《》 (laws, guides), else the title itself."""
    m = _NUMBER.search(title)
    if m:
        return m.group(0)
    m = _ANNOUNCEMENT.search(title)
    if m:
        return m.group(1).strip()
    m = _TITLE.search(title)
    if m:
        return m.group(0) + ("（2.0版）" if "（2.0版）" in title and "2.0版" not in m.group(0) else "")
    return title


def _one_ref(ref: str) -> str:
    ref = ref.strip()
    if not ref:
        return ""
    if ref.startswith("§"):
        return f"第{ref[1:].strip()}节"
    out = []
    m = _ARTICLE.match(ref)
    if not m:
        return ref
    out.append(f"第{m.group(1) or m.group(2)}条")
    rest = ref[m.end():]
    level_item = False
    m = _ITEM_CN.match(rest)
    if m:
        out.append(f"第（{m.group(1)}）项")
        rest, level_item = rest[m.end():], True
    m = _ITEM_NUM.match(rest)
    if m:
        out.append(f"第{m.group(1)}{'目' if level_item else '项'}")
        rest = rest[m.end():]
    m = _SUB.match(rest)
    if m:
        out.append(f"（{m.group(1)}）")
        rest = rest[m.end():]
    return "".join(out) + rest


def article(ref: str) -> str:
    """"二.1" → "第二条第1项"; "一(一)6" → "第一条第（一）项第6目"; "第十一条(五)" → "第十一条第（五）项";
    several articles ("一(三)、三(一)") → each written out, joined with "、"."""
    parts = [p for p in re.split(r"[、,，]\s*", ref or "") if p.strip()]
    return "、".join(_one_ref(p) for p in parts)


def cite(title: str, ref: str = "", resolve=None) -> str:
    """The citation of one source: 文号 + 条款.  ``ref`` may name further sources ("一(一)6; 国家税务总局公告2017年第40号第六条"):
    ``resolve(key)`` gives the title of such a key (None when unknown)."""
    chunks = [c.strip() for c in re.split(r"[;；]", ref or "")]
    first, more = chunks[0] if chunks else "", chunks[1:]
    out = [document_number(title) + article(first)]
    for c in more:
        key, _, r = c.partition(" ")
        other = resolve(key) if resolve else None
        out.append(document_number(other) + article(r) if other else c)
    return "；".join(x for x in out if x)
