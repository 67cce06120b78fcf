"""Regenerate docs/law-sources.md: every parameter file and rule pack with its sources, verified window and review
date (issue 16).  Generated from resources/params/*.yaml and resources/packs/*.yaml — edit those, not the doc;
tests/test_pack_freshness.py checks the doc is current."""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _cell(x) -> str:
    return str(x if x is not None else "").replace("|", "\\|").replace("\n", " ").strip()


def _years(v) -> str:
    if not v:
        return "未核实"
    a, b = v
    return f"{a}" if a == b else f"{a}—{b}"


def _param_sources(doc: dict) -> str:
    src = doc.get("sources") or {}
    if isinstance(src, dict):
        items = []
        for k, v in src.items():
            items.append(_cell(v if isinstance(v, str) else (v.get("title") if isinstance(v, dict) else v) or k))
        return "；".join(items)
    if isinstance(src, list):
        return "；".join(_cell(s.get("title") if isinstance(s, dict) else s) for s in src)
    return ""


def render() -> str:
    from calc.subsidy import load_packs
    from calc.rulepack import CONFIDENCE, STATUS_LABELS
    out = ["# 法规数据来源与核对日期（Law data sources and review dates）", "",
           "由 `scripts/make_law_sources_doc.py` 根据 `resources/params/*.yaml` 和 `resources/packs/*.yaml` 生成，"
           "请修改数据文件后重新生成，不要直接编辑本文件。", "",
           "- **核对日期**（`reviewed_on`）：最近一次对照法规文本核对该文件的日期。",
           "- **核实范围**（`verified`）：核对覆盖的年度（参数文件按税款所属年度，规则包按奖补年度）、核对了什么、对照哪份文本。",
           "- 规则包用于核实范围以外的奖补年度、没有注明起止年度、没有文号或来自二手资料时，结果一律标为“暂定”，不给出确定金额。",
           "- “法规数据截至”：一次测算所用参数文件和规则包中**最早**的核对日期（数据只和其中最旧的部分一样新）。", "",
           "## 参数文件", "",
           "| 文件 | 核对日期 | 核实年度 | 核对内容 | 对照文本 | 引用的法规 |", "|---|---|---|---|---|---|"]
    for f in sorted((ROOT / "resources" / "params").glob("*.yaml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        ver = doc.get("verified") or {}
        years = _years(ver.get("tax_years")) if ver.get("tax_years") or ver.get("against") != "不适用" else "不适用"
        out.append("| " + " | ".join([f"`{f.name}`", _cell(doc.get("reviewed_on") or "未注明"),
                                      years, _cell(ver.get("checked")),
                                      _cell(ver.get("against")), _param_sources(doc)]) + " |")
    out += ["", "## 后补助规则包", "",
            "| 编号 | 地区 | 政策（文号） | 发文机关 | 适用奖补年度 | 可信度 | 状态 | 核对日期 | 核实奖补年度 | 核对内容 | 对照文本 | 来源 |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in sorted(load_packs(include_user=False).values(), key=lambda p: p.pack_id):
        doc = f"{p.title}（{p.doc_number}）" if p.doc_number else f"{p.title}（未注明文号）"
        status = STATUS_LABELS["retired"] if p.status == "retired" else "在用"
        srcs = "；".join(_cell(s.cite()) for s in p.sources.values())
        out.append("| " + " | ".join([f"`{p.pack_id}`", _cell(p.region), _cell(doc), _cell("、".join(p.issuer)),
                                      _cell(p.period_text), CONFIDENCE[p.confidence], status,
                                      _cell(p.reviewed_on or "未注明"), _cell(p.verified_text),
                                      _cell(p.verified_checked), _cell(p.verified_against), srcs]) + " |")
    out += ["", "## 查找但未能核实（2026-12-07）", "",
            "以下地区的现行研发后补助规则本次未能找到可核对的原文或完整参数，暂不提供规则包（不等于没有政策）：",
            "上海、北京（市级）、天津、杭州（市级）、苏州（市级）、深圳（2021年以后的研发资助核算标准）、广州（市级）、"
            "成都、合肥、东莞；龙岗区2023年以后的正式实施细则（只见2023-11-13征求意见稿）。"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    target = ROOT / "docs" / "law-sources.md"
    target.write_text(render(), encoding="utf-8")
    print(target, file=sys.stderr)
