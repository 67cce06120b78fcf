"""The bureau's roster (培育库名册): one row per enterprise with the totals a science bureau holds.

Each row becomes a :class:`calc.quick.QuickInput` of the data year Y (the year asked for) with the two earlier
years, so the one engine evaluates it exactly as the quick estimate does. Column headers name years relative to
Y — 当年 (Y), 上年 (Y−1), 前年 (Y−2) — so one template serves every year.

What a roster cannot say, and how it is read (AI-PIPE-03, shown with every result): the R&D expenses of a year
are one total, counted as 可加计扣除 and 高企 caliber alike, wholly domestic (境内), and without
其他相关费用 (no cap applies); 销售收入 is 主营业务收入 + 其他业务收入 as the bureau has it.

Pure computation: cells in (raw values), parsed values and Chinese problems out.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from .identifiers import check_credit_code, normalize_industry_code
from .money import AmountError, parse_amount
from .quick import QuickInput, validate
from .values import ValueProblem, parse_date, parse_int, parse_yesno

__all__ = ["RosterColumn", "ROSTER_COLUMNS", "ROSTER_SHEET", "RosterRow", "parse_row", "header_map",
           "ROSTER_INTERPRETATION"]

ROSTER_SHEET = "培育库名册"
ROSTER_INTERPRETATION = "AI-PIPE-03"


@dataclass(frozen=True)
class RosterColumn:
    header: str
    key: str            # target (see _apply): quick field, "prior1:…"/"prior2:…", "profile:…", "@meta"
    kind: str           # text | amount | signed | int | date | yesno | industry | credit
    required: bool = False
    help: str = ""
    example: object = None


_C = RosterColumn
ROSTER_COLUMNS: tuple[RosterColumn, ...] = (
    _C("企业名称", "name", "text", True, "与营业执照一致", "示例科技有限公司"),
    _C("统一社会信用代码", "credit_code", "credit", False, "18位", None),
    _C("所在区县", "@district", "text", False, "用于按区县汇总", "高新区"),
    _C("所属行业代码", "industry_code", "industry", True, "GB/T 4754-2017，如 C3981 或 I65", "C3981"),
    _C("科技特派员", "@commissioner", "text", False, "结对指导的科技特派员（按人汇总）", "王特派"),
    _C("成立日期", "profile:founded", "date", False, "高企“注册成立一年以上”", "2015-03-01"),
    _C("研发费用（前年）", "prior2:rd", "amount", False, "元；前年＝测算年度前两年", "3200000"),
    _C("研发费用（上年）", "prior1:rd", "amount", False, "元", "3600000"),
    _C("研发费用（当年）", "rd", "amount", False, "元；测算年度的研发费用合计", "4100000"),
    _C("销售收入（前年）", "prior2:main_revenue", "amount", False, "元；主营业务收入＋其他业务收入", "80000000"),
    _C("销售收入（上年）", "prior1:main_revenue", "amount", False, "元", "90000000"),
    _C("销售收入（当年）", "main_revenue", "amount", False, "元", "100000000"),
    _C("收入总额（当年）", "total_income", "amount", False, "元；企业所得税法第六条口径", "101000000"),
    _C("高新技术产品（服务）收入（当年）", "hitech_income", "amount", False, "元", "70000000"),
    _C("成本费用支出总额（当年）", "total_costs", "amount", False, "元；科技型中小企业研发投入指标", "90000000"),
    _C("职工总数", "staff_total", "int", False, "人", "150"),
    _C("科技人员数", "staff_rd", "int", False, "人", "25"),
    _C("资产总额（当年）", "total_assets", "amount", False, "元", "120000000"),
    _C("负债总额（当年）", "total_liabilities", "amount", False, "元", "50000000"),
    _C("Ⅰ类知识产权数", "profile:ip_class1", "int", False, "发明专利等", "1"),
    _C("Ⅱ类知识产权数", "profile:ip_class2", "int", False, "实用新型、软件著作权等", "8"),
    _C("高企证书编号", "hnte_cert_no", "text", False, "已认定的填写", None),
    _C("高企证书发证日期", "hnte_cert_date", "date", False, "证书自发证日起有效3年", None),
    _C("科小入库登记编号", "tech_sme_no", "text", False, "可填多个，逗号分隔", None),
    _C("应纳税所得额（当年，加计扣除前）", "taxable_income", "signed", False, "元；亏损填负数；空白时不计算节税额", "9000000"),
    _C("以前年度可弥补亏损", "prior_losses", "amount", False, "元", None),
    _C("居民企业", "profile:resident", "yesno", False, "是/否", "是"),
    _C("产品不属于禁止限制淘汰类", "profile:not_prohibited", "yesno", False, "是/否（科技型中小企业条件）", "是"),
    _C("无严重失信和经营异常记录", "profile:no_misconduct", "yesno", False, "是/否（科技型中小企业条件）", "是"),
    _C("后补助政策", "@packs", "text", False, "所在地区后补助政策、创新券或科创贷政策的名称或地区（见“可选政策”工作表），"
       "多个用；分隔", None),
    _C("计划购买科技服务费用", "fact:planned_service_fee", "amount", False, "元；创新券测算：当年计划购买的检验检测、专利代理等服务",
       None),
    _C("科创贷：贷款利息（按1年期LPR）", "fact:loan_interest_lpr", "amount", False, "元；科创贷融资成本补助测算", None),
    _C("科创贷：担保费", "fact:guarantee_fee", "amount", False, "元", None),
)
_BY_HEADER = {unicodedata.normalize("NFKC", c.header).replace(" ", ""): c for c in ROSTER_COLUMNS}


def _norm_header(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).replace(" ", "").replace("\u3000", "").strip()


def header_map(header_row: list) -> tuple[dict[int, RosterColumn], list[str]]:
    """{column index: RosterColumn} of a header row, and the problems (missing required, duplicates)."""
    found: dict[int, RosterColumn] = {}
    seen: dict[str, int] = {}
    problems = []
    for i, cell in enumerate(header_row):
        col = _BY_HEADER.get(_norm_header(cell))
        if col is None:
            continue
        if col.header in seen:
            problems.append(f"列“{col.header}”出现两次，只读取第一列")
            continue
        seen[col.header] = i
        found[i] = col
    for c in ROSTER_COLUMNS:
        if c.required and c.header not in seen:
            problems.append(f"缺少必填列“{c.header}”")
    return found, problems


@dataclass
class RosterRow:
    row: int                      # the sheet row (1-based)
    quick: QuickInput | None      # None when the row has errors
    district: str = ""
    commissioner: str = ""
    packs: tuple = ()             # policy names or ids as typed
    problems: tuple = ()          # ((column header, Chinese message), …)
    name: str = ""


def _parse(col: RosterColumn, raw: object):
    if col.kind in ("amount", "signed"):
        v = parse_amount(raw)
        if v is not None and v < 0 and col.kind == "amount":
            raise ValueProblem("不能为负数")
        return v
    if col.kind == "int":
        return parse_int(raw, minimum=0)
    if col.kind == "date":
        return parse_date(raw)
    if col.kind == "yesno":
        return parse_yesno(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip() if raw is not None else ""
    if not text:
        return None
    if len(text) > 200:
        raise ValueProblem(f"内容过长（{len(text)}个字符，最多200个）")
    if col.kind == "industry":
        code, problem = normalize_industry_code(text)
        if problem:
            raise ValueProblem(problem)
        return code
    if col.kind == "credit":
        problem = check_credit_code(text)
        if problem:
            raise ValueProblem(problem)
        return text.upper()
    return text


def parse_row(row_no: int, cells: dict[RosterColumn, object], year: int) -> RosterRow:
    """One roster row (``cells``: column → raw value) → :class:`RosterRow`. Never raises."""
    problems: list[tuple[str, str]] = []
    values: dict[str, object] = {}
    for col, raw in cells.items():
        try:
            values[col.key] = _parse(col, raw)
        except (AmountError, ValueProblem, ValueError) as exc:
            problems.append((col.header, str(exc)))
    for col in ROSTER_COLUMNS:
        if col.required and values.get(col.key) is None and not any(h == col.header for h, _ in problems):
            problems.append((col.header, "必填"))
    name = str(values.get("name") or "")
    packs = tuple(p.strip() for p in str(values.get("@packs") or "").replace(";", "；").replace(",", "；")
                  .replace("，", "；").split("；") if p.strip())
    out = RosterRow(row_no, None, str(values.get("@district") or ""), str(values.get("@commissioner") or ""), packs,
                    tuple(problems), name)
    if problems:
        return out
    prior: dict[int, dict] = {year - 1: {}, year - 2: {}}
    kw: dict[str, object] = {}
    other: dict[str, object] = {}
    facts: dict[str, object] = {}
    rd = values.get("rd")
    for key, v in values.items():
        if v is None or key.startswith("@") or key == "rd":
            continue
        if key.startswith("prior"):
            n, field = key[5:].split(":")
            py = year - int(n)
            if field == "rd":
                prior[py].update(rd_hnte=v, rd_super=v, rd_domestic=v)
            else:
                prior[py][field] = v
        elif key.startswith("profile:"):
            other[key[8:]] = v
        elif key.startswith("fact:"):
            facts[key[5:]] = v
        else:
            kw[key] = v
    if rd:
        kw["direct"] = rd                  # one category: no 其他相关费用 cap applies (AI-PIPE-03)
    if values.get("main_revenue") is not None:
        kw.setdefault("other_revenue", 0)
    for py in list(prior):
        if prior[py].get("main_revenue") is not None:
            prior[py].setdefault("other_revenue", 0)
        if not prior[py]:
            del prior[py]
    q = QuickInput(year=year, prior_years=prior, profile_other=other, facts=facts, **kw)
    msgs = validate(q)
    if msgs:
        return RosterRow(row_no, None, out.district, out.commissioner, packs, tuple(("", m) for m in msgs), name)
    out.quick = q
    return out

