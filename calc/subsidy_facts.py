"""The facts a post-subsidy rule pack reads, built from one ledger (calc.subsidy.FACTS names).

Ledger facts come from the engines (A107012 rows, the HNTE caliber); yearly and profile facts from the
workbook; everything else from the optional sheet 补助测算信息.  A fact nobody supplied stays absent, so
the pack reports "needs X" instead of computing with zero.
"""
from __future__ import annotations

from .columns import line_columns
from .hnte import hnte_caliber
from .identifiers import tech_sme_covers
from .incometax import hnte_years, tax_effect
from .model import Ledger
from .params import Params
from .subsidy import Facts, facts_from_values
from .superdeduction import SuperDeductionEngine


def ledger_facts(ledger: Ledger, latest_year: int, params: Params, engine: SuperDeductionEngine,
                 years_back: int = 5, packs: tuple = ()) -> Facts:
    """``packs``: the rule packs in use, whose own declared inputs may be named by their Chinese label."""
    certified = hnte_years(ledger, params)
    cols = line_columns(ledger)
    line_years = cols.years
    by_year: dict[int, dict] = {}
    for y in range(latest_year - years_back, latest_year + 1):
        vals: dict = {}
        row = ledger.year_row(y)
        if y in line_years:
            sd = engine.compute(y)
            vals["rd_super"] = (sd.rows.get("R40", 0) if sd.eligible else 0, f"{y}年度A107012第40行（账簿计算）")
            vals["extra_deduction"] = (sd.extra_deduction, f"{y}年度A107012第51行（账簿计算）")
            vals["sd_claimed"] = (sd.extra_deduction > 0, f"{y}年度A107012第51行大于0")
            vals["rd_accounting"] = (cols.total(cols.amount, cols.year == y),
                                     f"{y}年度研发支出会计金额合计")
            cal = hnte_caliber(ledger, y, params)
            if cal.total is not None:
                vals["rd_hnte"] = (cal.total, f"{y}年度高企口径研发费用（账簿计算）")
            te = tax_effect(ledger, y, sd.extra_deduction, params)
            if te is not None:
                vals["hnte_rate_elected"] = (te.with_.choice.regime == "hnte", f"{y}年度企业所得税税率选择")
        elif row is not None:
            if row.get("rd_super") is not None:
                vals["rd_super"] = (row.get("rd_super"), f"{y}年度数据：研发费用（加计扣除口径）")
            if row.get("rd_hnte") is not None:
                vals["rd_hnte"] = (row.get("rd_hnte"), f"{y}年度数据：研发费用（高企口径）")
        if row is not None:
            for name in ("main_revenue", "other_revenue"):
                if row.get(name) is not None:
                    vals[name] = (row.get(name), f"{y}年度数据")
        # the workbook fills these fields when the status exists: an empty field means "not certified"
        if ledger.profile.hnte_certificates():
            vals["hnte_certified"] = (y in certified, "企业信息：高新技术企业证书发证日期")
            vals["first_time_hnte"] = (y == ledger.profile.hnte_certificates()[0][1].year and y == min(certified),
                                       "企业信息：证书发证年度（首次认定以用户确认为准）")
        else:
            vals["hnte_certified"] = (False, "企业信息未填高新技术企业证书")
        vals["tech_sme"] = (any(tech_sme_covers(n, y) for n in ledger.profile.tech_sme_nos),
                            "企业信息：科技型中小企业入库登记编号" if ledger.profile.tech_sme_nos
                            else "企业信息未填科技型中小企业入库登记编号")
        by_year[y] = vals
    enterprise: dict = {}
    code = ledger.profile.industry_code or ""
    if code:
        enterprise["industrial"] = (code[:1] in ("B", "C", "D"), f"行业代码{code}")
        enterprise["manufacturing"] = (code[:1] == "C", f"行业代码{code}")
    custom = {}
    for pack in packs:
        for inp in pack.inputs.values():
            custom.setdefault(inp.label, inp.name)
            custom.setdefault(inp.name, inp.name)
    for year, name, value, src in ledger.facts:
        target = enterprise if year is None else by_year.setdefault(year, {})
        target[custom.get(name, name)] = (value, f"补助测算信息 第{src.row}行")
    return facts_from_values(by_year, enterprise)
