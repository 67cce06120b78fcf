"""企业投入基础研究支出加计扣除 (财政部 税务总局公告2022年第32号 一): a preference of its own, beside A107012.

The enterprise's 出资 to 非营利性科研机构、高等学校 and 政府性自然科学基金 for basic research, entered per tax year on
the 年度数据 sheet, is deducted at the amount paid and may additionally be deducted at the dated rate (100% from
2022-01-01).  Computed for the annual settlement only (AI-APP-30).  Amounts are integer 分, rounded once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from .model import WARNING, Finding, Ledger
from .money import fen_display, fen_str, rate_percent, rate_str, round_fen
from .params import Dated, Params
from .superdeduction import Trace

LABEL = "企业投入基础研究支出加计扣除"


@dataclass
class BasicResearch:
    year: int
    amount: int                      # 分: 企业投入基础研究支出 of the year
    rate: Fraction
    extra: int                       # 分: the additional deduction
    entry: Dated
    trace: Trace
    findings: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"amount": fen_str(self.amount), "rate": rate_str(self.rate), "extra_deduction": fen_str(self.extra),
                "source": self.entry.source.cite,
                "trace": self.trace.as_dict()}


def basic_research(ledger: Ledger, year: int, period: str, params: Params) -> tuple[BasicResearch | None, list]:
    """(the deduction or None, findings). None when nothing is entered, or the year/period/collection does not allow it."""
    row = ledger.year_row(year)
    amount = row.get("basic_research") if row is not None else None
    findings: list = []
    if not amount:
        return None, findings
    src = row.src.row if row is not None and row.src else None
    if period != "year":
        return None, findings
    if ledger.profile.collection == "核定征收":
        findings.append(Finding(WARNING, "W_BASIC_RESEARCH", "企业所得税核定征收企业不适用企业投入基础研究支出加计扣除", "年度数据",
                                src, "企业投入基础研究支出"))
        return None, findings
    entry = params.maybe_at("basic_research_rate", dt.date(year, 12, 31))
    if entry is None or entry.start > dt.date(year, 1, 1):
        findings.append(Finding(WARNING, "W_BASIC_RESEARCH",
                                f"{year}年度早于2022年：企业投入基础研究支出的加计扣除自2022年1月1日起执行（财政部 税务总局公告2022年第32号），"
                                f"填写的{fen_display(amount)}元未计算加计扣除", "年度数据", src, "企业投入基础研究支出"))
        return None, findings
    if amount < 0:
        findings.append(Finding(WARNING, "W_BASIC_RESEARCH", f"{year}年度企业投入基础研究支出为负数，未计算加计扣除", "年度数据",
                                src, "企业投入基础研究支出"))
        return None, findings
    rate = entry.fraction
    extra = round_fen(amount * rate)
    pct = rate_percent(rate)
    trace = Trace("basic_research", params.text("br_label", year=year), extra, params.text("br_formula", pct=pct),
                  [(params.text("br_input"), amount), (params.text("br_rate"), pct)],
                  [(params.text("br_rate"), pct, entry.source.cite)],
                  interpretations=tuple(entry.interpretations))
    return BasicResearch(year, amount, rate, extra, entry, trace, findings), findings
