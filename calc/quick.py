"""Quick estimate for advisors: one set of totals → a synthetic ledger → the same evaluation.

An advisor on a site visit knows totals, not vouchers.  :func:`ledger_from_quick` turns a
:class:`QuickInput` into a :class:`~calc.model.Ledger` that :func:`calc.evaluate.evaluate` reads
exactly like a ledger imported from the workbook, so every result (A107012, tax, HNTE, 科技型中小企业,
post-subsidies) and the statement come from the one engine.  The figures are flagged with the
interpretation :data:`QUICK_INTERPRETATION` (docs/interpretations.md).

The mapping (Y = ``q.year``, every synthetic line dated Y-06-30 unless said otherwise):

============================  =================================================================
QuickInput                    synthetic ledger
============================  =================================================================
name, credit_code,            Profile (industry code normalised to GB/T 4754-2017; tech-SME
industry_code, statuses,      numbers split at commas; packs → 所在地区后补助政策)
packs
staff / direct /              project ``QE01`` “快速测算（汇总数）”, 自主研发, 费用化, Y-01-01…Y-12-31:
depreciation / amortisation   one line per non-zero category with the code R04 / R08 / R18 / R20 /
/ design / other              R24 / R29 (the category's first code; HNTE categories follow the codes)
ia_amount, ia_date, ia_years  the capitalised part of the six category totals: split over the
                              categories in proportion to the totals (largest remainder, exact 分) and
                              booked on project ``QE05`` (资本化, 已结束, IA formed on ``ia_date`` in Y,
                              lines dated min(Y-06-30, ia_date)); the rest stays on ``QE01``
entrusted_domestic            project ``QE02``, 委托研发, 境内, one R36 line
entrusted_overseas            project ``QE03``, 委托研发, 境外, one R37 line
entrusted_overseas_individual project ``QE04``, 委托研发, 境外, one R39 line (reported, not deducted)
                              — every entrusted project: non-related entrustee, results owned by the
                              enterprise (委托方) and a synthetic 技术合同登记号, so the 80 % and ⅔ rules apply
special_income                adjustment 特殊收入 (row 46)
materials                     adjustment 当年销售研发产品对应材料 (row 48)
prior_ia_amortisation         adjustment 以前年度形成无形资产本年摊销额 (row 44)
revenue, staff, assets,       the 年度数据 row of Y (schema field names; blank stays blank)
taxable_income, prior_losses, basic_research (企业投入基础研究支出, 2022年第32号)
prior_years                   one 年度数据 row per earlier year ({field: value}, e.g. main_revenue,
                              rd_hnte, rd_domestic, total_assets, total_liabilities)
facts                         补助测算信息 rows: enterprise-level facts without a year, the others for Y
profile_other                 the remaining 企业信息 fields (resident, ip_class1, …)
============================  =================================================================

Results equal those of a ledger with the same totals per category, project form and year: the
super-deduction pools the 其他相关费用 cap over all projects from 2021 and rounds the totals once.
Where the detail would matter the synthetic ledger gives one answer, named in the interpretation:
2016–2020 per-project cap (one pooled project here), the 2022 Q4 split (every line falls in Q1–Q3,
so the proportional method is elected) and the HNTE per-activity 其他费用 cap (one activity).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from . import schema as S
from .identifiers import check_credit_code, normalize_industry_code, parse_hnte_certificates, tech_sme_year
from .model import INFO, Adjustment, Finding, Ledger, Line, Profile, Project, Src, YearData
from .money import AmountError, parse_amount, split_largest_remainder
from .values import ValueProblem, parse_date, parse_int, parse_yesno

__all__ = ["QuickInput", "QuickInputError", "QuickField", "QUICK_FIELDS", "QUICK_INTERPRETATION", "CATEGORY_CODES",
           "ENTRUSTED", "YEAR_FIELDS", "PRIOR_FIELDS", "QUICK_FACTS", "validate", "ledger_from_quick",
           "evaluate_quick", "parse_quick", "check_field", "fact_label"]

QUICK_INTERPRETATION = "AI-APP-28"
QUICK_PROJECT = "QE01"
CAPITALISED_PROJECT = "QE05"

# super-deduction category → (ledger code, Chinese label)
CATEGORY_CODES: dict[str, tuple[str, str]] = {
    "staff": ("R04", "人员人工费用"),
    "direct": ("R08", "直接投入费用"),
    "depreciation": ("R18", "折旧费用"),
    "amortisation": ("R20", "无形资产摊销"),
    "design": ("R24", "新产品设计费等"),
    "other": ("R29", "其他相关费用"),
}
# entrusted amount → (project no, code, location, project name)
ENTRUSTED: dict[str, tuple[str, str, str, str]] = {
    "entrusted_domestic": ("QE02", "R36", "境内", "委托境内机构或个人研发（汇总数）"),
    "entrusted_overseas": ("QE03", "R37", "境外", "委托境外机构研发（汇总数）"),
    "entrusted_overseas_individual": ("QE04", "R39", "境外", "委托境外个人研发（汇总数）"),
}
# the 年度数据 fields of the estimate year (schema names)
YEAR_FIELDS = ("main_revenue", "other_revenue", "total_income", "manufacturing_revenue", "negative_list_revenue",
               "nontaxable_income", "investment_income", "hitech_income", "staff_total", "staff_rd", "total_assets",
               "total_liabilities", "total_costs", "taxable_income", "prior_losses", "tax_credit", "basic_research")
# the 年度数据 fields accepted for earlier years (the HNTE three-year window)
PRIOR_FIELDS = ("main_revenue", "other_revenue", "total_income", "rd_hnte", "rd_domestic", "rd_super",
                "total_assets", "total_liabilities", "staff_total", "staff_rd", "taxable_income")
COUNT_FIELDS = {"staff_total", "staff_rd"}
SIGNED_FIELDS = {"taxable_income", "investment_income"}       # may be negative (a loss)
# yes/no facts offered on the form (calc.subsidy.FACTS names)
QUICK_FACTS = ("above_scale", "first_above_scale", "independent_legal_person", "good_credit", "research_integrity",
               "sme", "zhuanjingtexin")

_YEAR_LABELS = {c.field: c.header for c in S.YEAR_COLUMNS}
_PROFILE_ATTRS = ("founded", "advisor")     # profile_other fields that are Profile attributes


@dataclass(frozen=True)
class QuickInput:
    """The totals of one enterprise and year. Amounts are int 分; ``None`` = not filled."""
    year: int | None = None
    name: str | None = None
    credit_code: str | None = None
    industry_code: str = "C"
    # eligible R&D per super-deduction category (税法金额, 分)
    staff: int = 0
    direct: int = 0
    depreciation: int = 0
    amortisation: int = 0
    design: int = 0
    other: int = 0
    # entrusted R&D (the amounts paid, before the 80 %)
    entrusted_domestic: int = 0
    entrusted_overseas: int = 0
    entrusted_overseas_individual: int = 0
    # capitalised part of the six category totals (an IA formed in the year), optional
    ia_amount: int = 0
    ia_date: dt.date | None = None
    ia_years: int | None = None
    # adjustments
    special_income: int = 0
    materials: int = 0
    prior_ia_amortisation: int = 0
    # 年度数据 of the year
    main_revenue: int | None = None
    other_revenue: int | None = None
    total_income: int | None = None
    manufacturing_revenue: int | None = None
    negative_list_revenue: int | None = None
    nontaxable_income: int | None = None
    investment_income: int | None = None
    hitech_income: int | None = None
    staff_total: int | None = None
    staff_rd: int | None = None
    total_assets: int | None = None
    total_liabilities: int | None = None
    total_costs: int | None = None
    taxable_income: int | None = None
    prior_losses: int | None = None
    tax_credit: int | None = None       # 抵免所得税额 (A100000 row 27)
    basic_research: int | None = None            # 企业投入基础研究支出 (2022年第32号), 分
    # statuses
    hnte_cert_no: str | None = None
    hnte_cert_date: dt.date | None = None
    hnte_cert_history: str | None = None    # 高新技术企业历次证书: “编号 日期；编号 日期”
    tech_sme_no: str | None = None
    ic_or_machine_tool: bool = False
    # earlier years: {year: {field: value}} (PRIOR_FIELDS)
    prior_years: Mapping = field(default_factory=dict)
    # post-subsidy rule packs and facts ({fact name: value})
    packs: tuple = ()
    facts: Mapping = field(default_factory=dict)
    # further 企业信息 fields ({schema field: parsed value}, e.g. resident, ip_class1, ip_class2)
    profile_other: Mapping = field(default_factory=dict)

    @property
    def own_total(self) -> int:
        return sum(getattr(self, c) for c in CATEGORY_CODES)


class QuickInputError(ValueError):
    """Raised by :func:`ledger_from_quick` for invalid input; ``problems`` are Chinese messages."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = list(problems)


# --------------------------------------------------------------------------- validation

_AMOUNT_LABELS = {
    "staff": "人员人工费用", "direct": "直接投入费用", "depreciation": "折旧费用", "amortisation": "无形资产摊销",
    "design": "新产品设计费等", "other": "其他相关费用", "entrusted_domestic": "委托境内机构或个人研发费用",
    "entrusted_overseas": "委托境外机构研发费用", "entrusted_overseas_individual": "委托境外个人研发费用",
    "ia_amount": "其中资本化（形成无形资产）金额", "special_income": "特殊收入",
    "materials": "当年销售研发产品对应材料", "prior_ia_amortisation": "以前年度形成无形资产本年摊销额",
}


def _label(name: str) -> str:
    return _AMOUNT_LABELS.get(name) or _YEAR_LABELS.get(name, name)


def _split_sme(text: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in re.split(r"[,，;；\s]+", str(text or "")) if n.strip())


def validate(q: QuickInput) -> list[str]:
    """Every problem of ``q`` as a Chinese message (empty when it can be computed). Never raises."""
    out: list[str] = []
    year = q.year
    if year is None:
        out.append("请填写测算年度")
    elif not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        out.append(f"测算年度“{year}”无效（应为四位年份，如 2023）")
        year = None
    for name in list(_AMOUNT_LABELS) + list(YEAR_FIELDS):
        v = getattr(q, name)
        if v is None:
            continue
        if not isinstance(v, int) or isinstance(v, bool):
            out.append(f"{_label(name)}应为整数（人数）或以分计的金额")
        elif v < 0 and name not in SIGNED_FIELDS:
            out.append(f"{_label(name)}不能为负数")
    if isinstance(q.staff_total, int) and isinstance(q.staff_rd, int) and 0 <= q.staff_total < q.staff_rd:
        out.append("科技人员数不能大于职工总数")
    code = (q.industry_code or "").strip()
    if not code:
        out.append("请填写所属行业代码（GB/T 4754-2017，如 C 或 C3981）")
    else:
        _, problem = normalize_industry_code(code)
        if problem:
            out.append(problem)
    if q.credit_code and q.credit_code.strip():
        problem = check_credit_code(q.credit_code)
        if problem:
            out.append(problem)
    for problem in parse_hnte_certificates(q.hnte_cert_history)[1]:
        out.append(f"高新技术企业历次证书：{problem}")
    for n in _split_sme(q.tech_sme_no):
        if tech_sme_year(n) is None:
            out.append(f"科技型中小企业入库登记编号“{n}”格式无法识别（应以登记年度开头）")
    own = q.own_total if all(isinstance(getattr(q, c), int) for c in CATEGORY_CODES) else 0
    if isinstance(q.ia_amount, int) and q.ia_amount > 0:
        if q.ia_date is None:
            out.append("填写了资本化金额，请同时填写无形资产形成日期")
        elif year is not None and q.ia_date.year != year:
            out.append(f"无形资产形成日期{q.ia_date}不在{year}年度内（以前年度形成的请填“以前年度形成无形资产本年摊销额”）")
        if q.ia_amount > own:
            out.append("资本化金额不能大于六类研发费用合计")
    elif q.ia_date is not None:
        out.append("填写了无形资产形成日期，请同时填写资本化金额")
    if q.ia_years is not None and (not isinstance(q.ia_years, int) or q.ia_years <= 0):
        out.append("摊销年限应为正整数")
    known = {c.field for c in S.PROFILE_FIELDS}
    for k in (q.profile_other or {}):
        if k not in known or k in ("name", "credit_code", "industry_code", "packs"):
            out.append(f"企业信息：不支持的项目“{k}”")
    for y, values in (q.prior_years or {}).items():
        if not isinstance(y, int) or (year is not None and y >= year):
            out.append(f"以前年度“{y}”应早于测算年度")
            continue
        for k, v in (values or {}).items():
            if k not in PRIOR_FIELDS:
                out.append(f"{y}年度：不支持的项目“{k}”")
            elif v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                out.append(f"{y}年度{_label(k)}应为整数或以分计的金额")
            elif v is not None and v < 0 and k not in SIGNED_FIELDS:
                out.append(f"{y}年度{_label(k)}不能为负数")
    return out


# --------------------------------------------------------------------------- the synthetic ledger

def ledger_from_quick(q: QuickInput) -> Ledger:
    """The synthetic ledger of the module docstring. Raises :class:`QuickInputError` when
    :func:`validate` finds problems."""
    problems = validate(q)
    if problems:
        raise QuickInputError(problems)
    y = q.year
    jan1, mid, dec31 = dt.date(y, 1, 1), dt.date(y, 6, 30), dt.date(y, 12, 31)
    industry, _ = normalize_industry_code(q.industry_code)
    credit = unicodedata.normalize("NFKC", q.credit_code).strip().upper() if q.credit_code and q.credit_code.strip() else None
    profile = Profile(name=(q.name or "").strip() or None, credit_code=credit, industry_code=industry,
                      hnte_cert_no=(q.hnte_cert_no or "").strip() or None, hnte_cert_date=q.hnte_cert_date,
                      tech_sme_nos=_split_sme(q.tech_sme_no), ic_or_machine_tool=bool(q.ic_or_machine_tool),
                      packs=tuple(dict.fromkeys(p for p in q.packs if p)),
                      founded=(q.profile_other or {}).get("founded"), advisor=(q.profile_other or {}).get("advisor"),
                      other={k: v for k, v in (q.profile_other or {}).items()
                             if v is not None and k not in _PROFILE_ATTRS},
                      hnte_certs=parse_hnte_certificates(q.hnte_cert_history)[0])
    projects: dict[str, Project] = {}
    lines: list[Line] = []

    def add_line(project_no: str, day: dt.date, code: str, amount: int, label: str) -> None:
        lines.append(Line(len(lines), day, project_no, code, amount, voucher_kind="快速测算",
                          voucher_no=f"QE-{len(lines) + 1:02d}", summary=f"快速测算：{label}合计"))

    cats = list(CATEGORY_CODES)
    totals = [getattr(q, c) for c in cats]
    cap = split_largest_remainder(q.ia_amount, totals) if q.ia_amount else [0] * len(cats)
    expensed = [t - c for t, c in zip(totals, cap)]
    if any(expensed):
        projects[QUICK_PROJECT] = Project(QUICK_PROJECT, "快速测算（汇总数）", "自主研发", "费用化", jan1, dec31)
        for cat, amount in zip(cats, expensed):
            if amount:
                code, label = CATEGORY_CODES[cat]
                add_line(QUICK_PROJECT, mid, code, amount, label)
    if q.ia_amount:
        projects[CAPITALISED_PROJECT] = Project(CAPITALISED_PROJECT, "快速测算：资本化部分（汇总数）", "自主研发", "资本化",
                                                jan1, q.ia_date, "已结束", ia_date=q.ia_date, ia_years=q.ia_years or 10)
        day = min(mid, q.ia_date)
        for cat, amount in zip(cats, cap):
            if amount:
                code, label = CATEGORY_CODES[cat]
                add_line(CAPITALISED_PROJECT, day, code, amount, label + "（资本化）")
    for name, (no, code, location, title) in ENTRUSTED.items():
        amount = getattr(q, name)
        if amount:
            projects[no] = Project(no, title, "委托研发", "费用化", jan1, dec31, entrustee=f"{location}受托方（汇总）",
                                   entrustee_related=False, entrustee_location=location,
                                   contract_no=f"快速测算-假定已登记-{no}", ownership="委托方")
            add_line(no, mid, code, amount, title.replace("（汇总数）", ""))
    adjustments = tuple(Adjustment(y, kind, amount, None, mid, "快速测算汇总数")
                        for kind, amount in (("特殊收入", q.special_income), ("当年销售研发产品对应材料", q.materials),
                                             ("以前年度形成无形资产本年摊销额", q.prior_ia_amortisation)) if amount)
    years = [YearData(y, "year", {k: getattr(q, k) for k in YEAR_FIELDS if getattr(q, k) is not None})]
    for py in sorted(q.prior_years or {}):
        values = {k: v for k, v in (q.prior_years[py] or {}).items() if v is not None}
        years.append(YearData(py, "year", values))
    facts = []
    from .subsidy import FACTS
    for name, value in (q.facts or {}).items():
        if value is None:
            continue
        fact = FACTS.get(name)
        fy = None if fact is not None and fact.scope == "enterprise" else y
        facts.append((fy, name, value, Src(S.SHEET_FACTS, len(facts) + 2)))
    note = Finding(INFO, "I_QUICK_ESTIMATE", f"快速测算：按汇总数生成的合成账簿计算（{QUICK_INTERPRETATION}），"
                   "委托研发假定技术合同已登记、成果归委托方；正式申报请以研发支出辅助账为准")
    return Ledger(profile, tuple(years), projects, tuple(lines), adjustments, (note,), tuple(facts))


def evaluate_quick(q: QuickInput, period: str = "year", params=None):
    """``evaluate`` on the synthetic ledger, with the quick-estimate interpretation flagged."""
    from .evaluate import evaluate

    ev = evaluate(ledger_from_quick(q), q.year, period, params=params)
    ev.interpretations.add(QUICK_INTERPRETATION)
    return ev


# --------------------------------------------------------------------------- the form's fields

@dataclass(frozen=True)
class QuickField:
    key: str            # QuickInput attribute, "prior<n>:<field>" (n years before), "fact:<name>", "profile:<field>"
    label: str
    kind: str           # amount | signed_amount | int | year | date | text | industry | bool
    group: str
    help: str = ""


_F = QuickField
QUICK_FIELDS: tuple[QuickField, ...] = (
    _F("name", "企业名称", "text", "企业"),
    _F("credit_code", "统一社会信用代码", "text", "企业", "可选；18位，校验位按 GB 32100-2015 核对"),
    _F("industry_code", "所属行业代码", "industry", "企业", "GB/T 4754-2017，如 C 或 C3981"),
    _F("year", "测算年度", "year", "企业", "如 2023"),
    _F("staff", "人员人工费用", "amount", "研发费用", "可加计扣除口径（税法金额）的全年合计，元"),
    _F("direct", "直接投入费用", "amount", "研发费用"),
    _F("depreciation", "折旧费用", "amount", "研发费用", "仅用于研发的仪器、设备"),
    _F("amortisation", "无形资产摊销", "amount", "研发费用", "软件、专利权、非专利技术"),
    _F("design", "新产品设计费等", "amount", "研发费用"),
    _F("other", "其他相关费用", "amount", "研发费用", "按前五项×10%÷(1−10%)限额计算"),
    _F("ia_amount", "其中：资本化金额", "amount", "研发费用", "可选：上述六类中本年形成无形资产的部分"),
    _F("ia_date", "无形资产形成日期", "date", "研发费用", "填写资本化金额时必填"),
    _F("ia_years", "摊销年限（年）", "int", "研发费用", "空白按10年"),
    _F("prior_ia_amortisation", "以前年度无形资产摊销额", "amount", "研发费用", "以前年度形成的无形资产本年摊销额，加计扣除口径（第44行）"),
    _F("special_income", "特殊收入", "amount", "研发费用", "研发过程中形成的下脚料、残次品、中间试制品等（第46行）"),
    _F("materials", "当年销售研发产品对应材料", "amount", "研发费用", "第48行"),
    _F("entrusted_domestic", "委托境内机构或个人", "amount", "委托研发", "支付金额，按80%计入"),
    _F("entrusted_overseas", "委托境外机构", "amount", "委托研发", "支付金额，按80%计入，不超过境内符合条件研发费用的2/3"),
    _F("entrusted_overseas_individual", "委托境外个人", "amount", "委托研发", "不得加计扣除，仅列报第39行"),
    _F("main_revenue", "主营业务收入", "amount", "收入与人员"),
    _F("other_revenue", "其他业务收入", "amount", "收入与人员"),
    _F("total_income", "收入总额", "amount", "收入与人员", "企业所得税法第六条口径"),
    _F("manufacturing_revenue", "制造业业务收入", "amount", "收入与人员", "空白时按行业代码判定"),
    _F("negative_list_revenue", "负面清单行业收入", "amount", "收入与人员", "空白时按行业代码判定"),
    _F("nontaxable_income", "不征税收入", "amount", "收入与人员"),
    _F("investment_income", "投资收益", "signed_amount", "收入与人员"),
    _F("hitech_income", "高新技术产品（服务）收入", "amount", "收入与人员"),
    _F("total_costs", "成本费用支出总额", "amount", "收入与人员", "科技型中小企业研发投入指标"),
    _F("staff_total", "职工总数", "int", "收入与人员"),
    _F("staff_rd", "科技人员数", "int", "收入与人员"),
    _F("total_assets", "资产总额", "amount", "收入与人员"),
    _F("total_liabilities", "负债总额", "amount", "收入与人员"),
    _F("taxable_income", "应纳税所得额（加计扣除前）", "signed_amount", "所得税", "当年加计扣除前的纳税调整后所得，亏损填负数"),
    _F("prior_losses", "以前年度可弥补亏损", "amount", "所得税"),
    _F("tax_credit", "抵免所得税额", "amount", "所得税", "如专用设备投资额10%抵免（A100000第27行），从应纳税额中减除"),
    _F("basic_research", "企业投入基础研究支出", "amount", "所得税",
       "出资给非营利性科研机构、高等学校和政府性自然科学基金用于基础研究的支出，2022年起按100%加计扣除"),
    _F("hnte_cert_no", "高新技术企业证书编号", "text", "身份"),
    _F("hnte_cert_date", "高新技术企业证书发证日期", "date", "身份", "证书自发证日起有效3年"),
    _F("hnte_cert_history", "高新技术企业历次证书", "text", "身份",
       "重新认定时填写每一张：证书编号 发证日期，以；分隔，如 GR201932001234 2019-12-02；GR202232005678 2022-12-14"),
    _F("profile:operating_start", "开始经营日期", "date", "身份", "与成立日期不同时填写（2022年第四季度按经营月份分摊）"),
    _F("tech_sme_no", "科技型中小企业入库登记编号", "text", "身份", "可填多个，逗号分隔"),
    _F("ic_or_machine_tool", "集成电路或工业母机企业", "bool", "身份", "适用120%加计扣除比例（须由企业确认）"),
    _F("profile:resident", "居民企业", "bool", "身份", "在中国境内（不含港澳台）注册"),
    _F("profile:ip_class1", "Ⅰ类知识产权数量", "int", "身份"),
    _F("profile:ip_class2", "Ⅱ类知识产权数量", "int", "身份"),
) + tuple(
    _F(f"prior{n}:{f}", label, kind, "以前年度")
    for n in (2, 1)
    for f, label, kind in (("main_revenue", "主营业务收入", "amount"), ("other_revenue", "其他业务收入", "amount"),
                           ("rd_hnte", "研发费用（高企口径）", "amount"), ("rd_domestic", "境内研发费用", "amount"),
                           ("total_assets", "资产总额", "amount"), ("total_liabilities", "负债总额", "amount"),
                           ("taxable_income", "应纳税所得额（亏损填负数）", "signed_amount"))
) + tuple(_F(f"fact:{name}", "", "bool", "后补助") for name in QUICK_FACTS)

FIELD_BY_KEY = {f.key: f for f in QUICK_FIELDS}
_PRIOR_KEY = re.compile(r"^prior(\d+):(\w+)$")


def fact_label(name: str) -> str:
    from .subsidy import FACTS
    fact = FACTS.get(name)
    return fact.label if fact else name


def _parse_one(f: QuickField, raw: object):
    if f.kind in ("amount", "signed_amount"):
        value = parse_amount(raw)
        if value is not None and value < 0 and f.kind == "amount":
            raise ValueProblem("不能为负数")
        return value
    if f.kind in ("int", "year"):
        if f.kind == "year":
            value = parse_int(raw, minimum=0)
            if value is not None and not 2000 <= value <= 2100:
                raise ValueProblem(f"年度“{raw}”无效（应为四位年份，如 2023）")
            return value
        return parse_int(raw, minimum=0)
    if f.kind == "date":
        return parse_date(raw)
    if f.kind == "bool":
        if isinstance(raw, bool) or raw is None:
            return raw
        return parse_yesno(raw)
    if f.kind == "industry":
        text = unicodedata.normalize("NFKC", str(raw or "")).strip()
        if not text:
            return None
        code, problem = normalize_industry_code(text)
        if problem:
            raise ValueProblem(problem)
        return code
    text = unicodedata.normalize("NFKC", str(raw)).strip() if raw is not None else ""
    if f.key == "credit_code" and text:
        problem = check_credit_code(text)
        if problem:
            raise ValueProblem(problem)
    if f.key == "hnte_cert_history" and text:
        problems = parse_hnte_certificates(text)[1]
        if problems:
            raise ValueProblem("；".join(problems))
    return text or None


def check_field(key: str, raw: object) -> str | None:
    """The Chinese message for one field's raw value, or ``None`` when it parses (live validation)."""
    f = FIELD_BY_KEY.get(key)
    if f is None:
        return None
    try:
        _parse_one(f, raw)
    except (AmountError, ValueProblem, ValueError) as exc:
        return str(exc)
    return None


def parse_quick(values: Mapping[str, object]) -> tuple[QuickInput | None, dict[str, str], list[str]]:
    """The form's raw values (text as typed, bools, ``packs`` as a list) → ``(QuickInput or None,
    {field key: Chinese message}, [problems not tied to one field])``. Never raises."""
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    for key, raw in values.items():
        f = FIELD_BY_KEY.get(key)
        if f is None:
            continue
        try:
            parsed[key] = _parse_one(f, raw)
        except (AmountError, ValueProblem, ValueError) as exc:
            errors[key] = str(exc)
    if parsed.get("year") is None and "year" not in errors:
        errors["year"] = "请填写测算年度"
    if errors:
        return None, errors, []
    year = parsed["year"]
    kw: dict[str, object] = {}
    prior: dict[int, dict] = {}
    facts: dict[str, object] = {}
    other: dict[str, object] = {}
    names = {f.name for f in fields(QuickInput)}
    for key, value in parsed.items():
        m = _PRIOR_KEY.match(key)
        if m:
            if value is not None:
                prior.setdefault(year - int(m.group(1)), {})[m.group(2)] = value
        elif key.startswith("fact:"):
            if value is not None:
                facts[key[5:]] = value
        elif key.startswith("profile:"):
            if value is not None:
                other[key[8:]] = value
        elif key in names:
            if value is None and key in ("industry_code",):
                continue
            if value is None and key in _AMOUNT_LABELS:
                value = 0
            if value is None and key == "ic_or_machine_tool":
                value = False
            kw[key] = value
    packs = values.get("packs") or ()
    q = QuickInput(**kw, prior_years=prior, facts=facts, packs=tuple(packs), profile_other=other)
    problems = validate(q)
    # attach a problem to its field where there is one
    rest = []
    for p in problems:
        key = next((k for k, label in (("staff_rd", "科技人员数"), ("ia_date", "无形资产形成日期"), ("ia_amount", "资本化金额"))
                    if label in p and k not in errors), None)
        if key:
            errors[key] = p
        else:
            rest.append(p)
    return (None if problems else q), errors, rest


def with_values(q: QuickInput, **changes) -> QuickInput:
    """A copy with some fields changed (tests and callers that adjust one figure)."""
    return replace(q, **changes)
