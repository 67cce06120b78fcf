"""Advice that looks forward: what the NEXT application (高新技术企业认定) or evaluation (科技型中小企业评价) after a
given date will look at, never what a closed year "should have had".

A statement is issued on a date (its 出具日期, an input: tests pass fixed dates).  Every year that has ended by
then is closed — its accounts and returns are filed and may not be rewritten.  The next application a hint may
address is therefore the first one whose last data year is still open on the issue date:

* 高企认定 in year A looks at the three accounting years A−3 … A−1 (国科发火〔2016〕32号第十一条); the first A with
  A−1 ≥ the issue year is A = issue year + 1 (issued 2026-12-07 → 2027 application, 2024–2026 data).
* 科技型中小企业评价 in year E uses the data of year E−1 (国科发政〔2017〕115号; AI-24): E = issue year + 1.

The hints use the figures the statement computed for its own years as a reference point, say so, and state
what the open years must reach.  Pure computation on calc results; the words are plain Chinese.
"""
from __future__ import annotations

import datetime as dt
from fractions import Fraction

from .money import fen_display, ratio_str

_WINDOW_CONDITIONS = ("rd_ratio", "rd_ratio_recheck", "domestic_rd_ratio")
_YEAR_CONDITIONS = ("staff_ratio", "hitech_income_ratio")


def next_hnte_application(issued: dt.date) -> int:
    """The first 高企 application year whose three data years are not all closed on ``issued``."""
    return issued.year + 1


def next_sme_evaluation(issued: dt.date) -> int:
    """The first 科技型中小企业 evaluation year whose data year is still open on ``issued``."""
    return issued.year + 1


def _pct(x: Fraction) -> str:
    """0.04 → 4%; 0.038 → 3.8%; 0.11502 → 11.5%."""
    return ratio_str(x * 100, 2).rstrip("0").rstrip(".") + "%"


def _year_values(cond, suffix: str) -> dict[int, int]:
    out = {}
    for tr in getattr(cond, "traces", ()) or ():
        for name, value in tr.inputs:
            if isinstance(value, int) and not isinstance(value, bool) and name[:4].isdigit() and name[4:].startswith("年度" + suffix):
                out[int(name[:4])] = value
    return out


def hnte_forward(hn, issued: dt.date) -> list[str]:
    """Forward-looking lines for the conditions of ``hn`` (calc.hnte.HnteEvaluation) that are not met or not known:
    what the next application after ``issued`` needs, with its data years."""
    if hn is None:
        return []
    a = next_hnte_application(issued)
    years = list(range(a - 3, a))
    closed = [y for y in years if y < issued.year]
    open_ = [y for y in years if y >= issued.year]
    lines = [f"若{a}年申请认定，近三个会计年度为{years[0]}—{years[-1]}年度"
             + (f"（其中{'、'.join(map(str, closed))}年度已结束，数据不得追溯调整）" if closed else "") + "："]
    for c in hn.conditions:
        if c.status == "pass" or c.threshold is None or not isinstance(c.threshold, Fraction):
            continue
        t = c.threshold
        if c.id in ("rd_ratio", "rd_ratio_recheck"):
            rd, sales = _year_values(c, "研发费用"), _year_values(c, "销售收入")
            text = (f"研究开发费用占比：{years[0]}—{years[-1]}年度研发费用（高企口径）合计占同期销售收入合计须不低于"
                    f"{_pct(t)}（档次按{years[-1]}年度销售收入确定）")
            known = [y for y in years if y in rd and y in sales and y < issued.year]
            rest = [y for y in years if y not in known]
            if known and rest:
                base_year = max(known)
                base = sales[base_year]
                need = t * (sum(sales[y] for y in known) + base * len(rest)) - sum(rd[y] for y in known)
                need = max(0, -((-need.numerator) // need.denominator))
                rest_text = "、".join(map(str, rest))
                text += (f"；{'、'.join(map(str, known))}年度研发费用¥{fen_display(sum(rd[y] for y in known))}、"
                         f"销售收入¥{fen_display(sum(sales[y] for y in known))}，若{rest_text}年度销售收入与{base_year}年度持平，"
                         f"{rest_text}年度研发费用（高企口径）{'合计' if len(rest) > 1 else ''}须不低于¥{fen_display(need)}")
                done = [y for y in rest if y < issued.year]
                if done:
                    text += f"（{'、'.join(map(str, done))}年度已结束，请以其实际数核对）"
            lines.append(text)
        elif c.id == "domestic_rd_ratio":
            lines.append(f"境内研究开发费用占比：{years[0]}—{years[-1]}年度合计须不低于{_pct(t)}")
        elif c.id == "staff_ratio":
            lines.append(f"科技人员占比：{years[-1]}年度科技人员（全年月平均数，累计实际工作183天以上）占职工总数须不低于{_pct(t)}"
                         + (f"（{hn.year}年度为{_pct(c.value)}）" if isinstance(c.value, Fraction) else ""))
        elif c.id == "hitech_income_ratio":
            lines.append(f"高新技术产品（服务）收入占比：{years[-1]}年度须不低于{_pct(t)}"
                         + (f"（{hn.year}年度为{_pct(c.value)}）" if isinstance(c.value, Fraction) else ""))
    return lines if len(lines) > 1 else []


def sme_forward(sme, issued: dt.date) -> list[str]:
    """Forward-looking lines from the 科技型中小企业 hints of ``sme`` (calc.techsme evaluation): framed for the next
    evaluation after ``issued`` and its data year; the hints' amounts are measured on the statement's data year."""
    if sme is None or not sme.next_band:
        return []
    e = next_sme_evaluation(issued)
    head = f"若{e}年评价（数据年度{e - 1}年）"
    if sme.data_year != e - 1:
        head += f"，以下差距按{sme.data_year}年度数据测算，仅供{e - 1}年度参照（已结束年度的数据不得追溯调整）"
    lines = [head + "："]
    for h in sme.next_band:
        lines.append(h if isinstance(h, str) else h.get("text", ""))
    return lines


def hnte_forward_short(hn, issued: dt.date) -> str:
    """One line for the owner's version: the next application, its data years and the thresholds not yet met."""
    lines = hnte_forward(hn, issued)
    if not lines:
        return ""
    parts = [line.split("：", 1)[0] for line in lines[1:]]
    a = next_hnte_application(issued)
    return (f"若{a}年申请认定，须{a - 3}—{a - 1}年度达到{'、'.join(parts)}的要求"
            f"（{'、'.join(str(y) for y in range(a - 3, a) if y < issued.year)}年度已结束，数据不得追溯调整；"
            "所需金额见技术附录）" if any(y < issued.year for y in range(a - 3, a)) else
            f"若{a}年申请认定，须{a - 3}—{a - 1}年度达到{'、'.join(parts)}的要求（所需金额见技术附录）")


def sme_forward_short(sme, issued: dt.date) -> str:
    """One line for the owner's version: the next evaluation and its data year."""
    if sme is None or not sme.next_band:
        return ""
    e = next_sme_evaluation(issued)
    score = next((h for h in sme.next_band if isinstance(h, dict) and h.get("indicator") == "score"), None)
    gap = f"，综合得分须达到{score['target']}分（{sme.data_year}年度为{score['current']}分）" if score else ""
    return f"若{e}年评价，按数据年度{e - 1}年的数据评价{gap}（差距与所需投入见技术附录）"
