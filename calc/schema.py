"""The canonical ledger workbook (interfaces.md §1) as data.

Sheet names, column headers and value kinds are the contract shared by the importer
(``calc.ingest``), the template writer and the exporters (``forms``).  A header in a
user's file may carry a unit in brackets (``金额（元）``) and still match.
"""
from __future__ import annotations

from dataclasses import dataclass

# value kinds
TEXT, AMOUNT, DATE, YESNO, INT, RATIO, YEAR = "text", "amount", "date", "yesno", "int", "ratio", "year"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""


SHEET_PROFILE = "企业信息"
SHEET_YEARS = "年度数据"
SHEET_PROJECTS = "研发项目"
SHEET_LINES = "研发支出"
SHEET_ADJUSTMENTS = "调整事项"
SHEET_HELP = "填写说明"
SHEET_FACTS = "补助测算信息"        # optional: facts for regional post-subsidy rule packs
# optional (工时分配, calc/allocation.py): timesheets and payroll of R&D staff, shared equipment
SHEET_TIMESHEETS = "人员工时"
SHEET_PAYROLL = "人员薪酬"
SHEET_EQUIPMENT = "设备折旧"
SHEET_EQUIPMENT_HOURS = "设备工时"
ALLOCATION_SHEETS = (SHEET_TIMESHEETS, SHEET_PAYROLL, SHEET_EQUIPMENT, SHEET_EQUIPMENT_HOURS)
NON_RD = "非研发"                    # 项目编号 of non-R&D (production, administration) hours
STAFF_TYPES = ("在职", "兼职", "临时聘用", "劳务派遣")
EQUIPMENT_KINDS = ("仪器", "设备")

SHEETS = (SHEET_PROFILE, SHEET_YEARS, SHEET_PROJECTS, SHEET_LINES, SHEET_ADJUSTMENTS)

FORMS = ("自主研发", "委托研发", "合作研发", "集中研发")
LEDGER_TYPES = ("费用化", "资本化")
STATUSES = ("未结束", "已结束")
FUNDING = ("自有", "财政资金（不征税）", "财政资金（征税）")
LOCATIONS = ("境内", "境外")
OWNERSHIP = ("委托方", "双方共有", "受托方")
COLLECTION = ("查账征收", "核定征收")
ADJUSTMENT_TYPES = ("特殊收入", "当年销售研发产品对应材料", "以前年度形成无形资产本年摊销额", "其他")
PERIODS = ("H1", "Q1-Q3")

# 企业信息: two columns 字段 / 值; each row is one field.
PROFILE_FIELDS = (
    Column("企业名称", "name", TEXT, True),
    Column("统一社会信用代码", "credit_code", TEXT, True, help="18位，校验位按 GB 32100-2015 核对"),
    Column("所属行业代码", "industry_code", TEXT, True, help="GB/T 4754-2017 代码，如 C3981"),
    Column("征收方式", "collection", TEXT, False, COLLECTION, "默认 查账征收"),
    Column("成立日期", "founded", DATE),
    Column("高新技术企业证书编号", "hnte_cert_no", TEXT),
    Column("高新技术企业证书发证日期", "hnte_cert_date", DATE, help="证书自发证日起有效3年"),
    Column("高新技术企业历次证书", "hnte_cert_history", TEXT,
           help="重新认定、先后取得多张证书时填写每一张：证书编号 发证日期，以；分隔，"
                "如 GR201932001234 2019-12-02；GR202232005678 2022-12-14（各证书分别适用于其覆盖的纳税年度）"),
    Column("开始经营日期", "operating_start", DATE,
           help="与成立日期不同时填写（如成立后才开始经营）：2022年第四季度加计扣除按经营月份比例分摊时使用"),
    Column("科技型中小企业入库登记编号", "tech_sme_no", TEXT, help="可填多个，逗号分隔"),
    Column("集成电路或工业母机企业", "ic_or_machine_tool", YESNO, help="是/否：适用120%加计扣除比例（须由企业确认）"),
    Column("集成电路或工业母机企业认定依据", "ic_basis", TEXT, help="名单、标准及说明"),
    Column("所在地区后补助政策", "packs", TEXT, help="一个或多个规则包编号，逗号分隔，如 ningxia-2022"),
    Column("Ⅰ类知识产权数量", "ip_class1", INT),
    Column("Ⅱ类知识产权数量", "ip_class2", INT),
    Column("知识产权获得方式", "ip_acquisition", TEXT, choices=("自主研发", "仅受让受赠并购")),
    Column("参与标准制定", "standards", YESNO),
    Column("近三年科技成果转化数", "conversions", INT),
    Column("研发组织管理自评", "management_self", TEXT, help="四个整数以/分隔（满分6/6/4/4），如 5/4/3/3"),
    Column("技术先进程度自评", "tech_grade", TEXT, choices=("A", "B", "C", "D", "E")),
    Column("核心支持作用自评", "core_grade", TEXT, choices=("A", "B", "C", "D", "E")),
    Column("居民企业", "resident", YESNO, help="是否为在中国境内（不含港澳台）注册的居民企业（高企H0、科技型中小企业T1）"),
    Column("高新技术领域", "hnte_field", TEXT, help="《国家重点支持的高新技术领域》所属领域（至三级），如 先进制造与自动化/…"),
    Column("申请认定日期", "hnte_apply_date", DATE, help="高新技术企业申请日期；空白时按测算年度次年7月1日"),
    Column("近一年无重大安全质量事故和严重环境违法", "no_major_incident", YESNO, help="高企H8"),
    Column("产品不属于禁止限制淘汰类", "not_prohibited", YESNO, help="科技型中小企业T3"),
    Column("无严重失信和经营异常记录", "no_misconduct", YESNO, help="科技型中小企业T4：上年及当年无重大事故、严重环境违法、科研严重失信，未列入经营异常名录和严重违法失信名单"),
    Column("能够准确归集研发费用", "rd_accurate", YESNO,
           help="科技型中小企业T6（国科火字〔2022〕67号）：空白时，有研发支出明细的年度视为能够准确归集"),
    Column("Ⅱ类知识产权数量（科技型中小企业口径）", "ip_class2_sme", INT, help="有效Ⅱ类知识产权总数（不论是否用于高企申请）；空白时按Ⅱ类知识产权数量"),
    Column("近五年国家级科技奖励前三名", "national_award", YESNO, help="科技型中小企业直接认定条件"),
    Column("省部级以上研发机构", "provincial_lab", YESNO, help="科技型中小企业直接认定条件"),
    Column("近五年主导制定国际国家或行业标准", "led_standard", YESNO, help="科技型中小企业直接认定条件（起草单位前五名）"),
    Column("编制人", "prepared_by", TEXT),
    Column("科技特派员", "advisor", TEXT),
)

YEAR_COLUMNS = (
    Column("年度", "year", YEAR, True),
    Column("季度", "period", TEXT, False, PERIODS, "空白为全年；H1 或 Q1-Q3 表示预缴期间"),
    Column("主营业务收入", "main_revenue", AMOUNT),
    Column("其他业务收入", "other_revenue", AMOUNT),
    Column("收入总额", "total_income", AMOUNT, help="企业所得税法第六条口径"),
    Column("不征税收入", "nontaxable_income", AMOUNT),
    Column("投资收益", "investment_income", AMOUNT),
    Column("高新技术产品（服务）收入", "hitech_income", AMOUNT),
    Column("负面清单行业收入", "negative_list_revenue", AMOUNT, help="空白时按行业代码判定"),
    Column("制造业业务收入", "manufacturing_revenue", AMOUNT, help="空白时按行业代码判定"),
    Column("职工总数", "staff_total", INT),
    Column("科技人员数", "staff_rd", INT),
    Column("资产总额", "total_assets", AMOUNT),
    Column("负债总额", "total_liabilities", AMOUNT),
    Column("从业人数（季度平均）", "staff_quarterly_avg", INT, help="小型微利企业：含劳务派遣，按季度平均值计算的全年平均"),
    Column("资产总额（季度平均）", "assets_quarterly_avg", AMOUNT, help="小型微利企业：按季度平均值计算的全年平均"),
    Column("成本费用支出总额", "total_costs", AMOUNT, help="科技型中小企业：营业成本+税金及附加+销售、管理、研发、财务费用"),
    Column("应纳税所得额", "taxable_income", AMOUNT, help="当年加计扣除前的纳税调整后所得"),
    Column("以前年度可弥补亏损", "prior_losses", AMOUNT,
           help="可只填合计；各年度的应纳税所得额（亏损为负数）已在本表逐年填写时，按年度自动弥补并核对本合计"),
    Column("抵免所得税额", "tax_credit", AMOUNT,
           help="A100000第27行“减：抵免所得税额”，如专用设备投资额10%抵免（财税〔2008〕48号），从应纳税额中减除"),
    Column("研发费用（加计扣除口径）", "rd_super", AMOUNT, help="仅用于无明细账的年度"),
    Column("企业投入基础研究支出", "basic_research", AMOUNT,
           help="出资给非营利性科研机构、高等学校和政府性自然科学基金用于基础研究的支出（2022年起按100%加计扣除）"),
    Column("研发费用（高企口径）", "rd_hnte", AMOUNT, help="仅用于无明细账的年度"),
    Column("境内研发费用", "rd_domestic", AMOUNT, help="仅用于无明细账的年度"),
)

PROJECT_COLUMNS = (
    Column("项目编号", "project_no", TEXT, True),
    Column("项目名称", "name", TEXT, True),
    Column("研发形式", "form", TEXT, True, FORMS),
    Column("支出类型", "ledger_type", TEXT, True, LEDGER_TYPES),
    Column("开始日期", "start", DATE),
    Column("结束日期", "end", DATE),
    Column("完成情况", "status", TEXT, False, STATUSES, "默认 未结束"),
    Column("受托方名称", "entrustee", TEXT),
    Column("受托方是否关联方", "entrustee_related", YESNO),
    Column("受托方所在地", "entrustee_location", TEXT, False, LOCATIONS),
    Column("技术合同登记号", "contract_no", TEXT),
    Column("研发成果归属", "ownership", TEXT, False, OWNERSHIP, "受托方独有时委托方不得加计扣除"),
    Column("无形资产形成日期", "ia_date", DATE),
    Column("摊销年限", "ia_years", INT, help="不少于10年"),
    Column("无形资产计税基础", "ia_base", AMOUNT, help="仅用于账簿起始年度以前形成的无形资产：形成年度的允许加计扣除金额"),
    Column("研发成果", "results", TEXT),
)

LINE_COLUMNS = (
    Column("日期", "date", DATE, True),
    Column("凭证种类", "voucher_kind", TEXT),
    Column("凭证号", "voucher_no", TEXT, True),
    Column("项目编号", "project_no", TEXT, True),
    Column("费用代码", "code", TEXT, True),
    Column("摘要", "summary", TEXT),
    Column("会计金额", "amount", AMOUNT, True),
    Column("税法金额", "tax_amount", AMOUNT, help="空白等于会计金额"),
    Column("资金来源", "funding", TEXT, False, FUNDING, "默认 自有"),
    Column("研发工时占比", "share", RATIO, help="如 40%"),
    Column("高企费用类别", "hnte_category", TEXT, False,
           ("人员人工费用", "直接投入费用", "折旧费用与长期待摊费用", "无形资产摊销费用", "设计费用",
            "装备调试费用与试验费用", "委托外部研究开发费用", "其他费用", "不计入"),
           "空白时按费用代码对应的高企口径类别；可改为其他类别或“不计入”"),
)

ADJUSTMENT_COLUMNS = (
    Column("年度", "year", YEAR, True),
    Column("类型", "kind", TEXT, True, ADJUSTMENT_TYPES),
    Column("项目编号", "project_no", TEXT),
    Column("金额", "amount", AMOUNT, True),
    Column("日期", "date", DATE, help="可选：确认日期，决定所属预缴期间"),
    Column("说明", "note", TEXT),
)

FACT_COLUMNS = (
    Column("年度", "year", YEAR, help="数据年度；空白表示企业层面的信息（如独立法人、信用良好）"),
    Column("项目", "name", TEXT, True, help="补助测算所需信息的名称（见 main.py packs 或规则包说明），如 规模以上企业、统计口径研发经费支出"),
    Column("值", "value", TEXT, True, help="金额、比例（如 3%）、是/否或名次"),
    Column("说明", "note", TEXT),
)

_MONTH_HELP = "如 2024-03（或该月任一日期）"

TIMESHEET_COLUMNS = (
    Column("人员编号", "person_id", TEXT, True, help="同一人在各表中编号相同，如工号"),
    Column("姓名", "name", TEXT),
    Column("月份", "month", TEXT, True, help=_MONTH_HELP),
    Column("项目编号", "project_no", TEXT, help="研发项目编号；空白或“非研发”表示生产、管理等非研发工作"),
    Column("工时", "hours", AMOUNT, True, help="该月在该项目（或非研发工作）的实际工时（小时，可有两位小数）"),
)

PAYROLL_COLUMNS = (
    Column("人员编号", "person_id", TEXT, True, help="与“人员工时”的人员编号一致"),
    Column("姓名", "name", TEXT),
    Column("人员类型", "staff_type", TEXT, False, STAFF_TYPES,
           "默认 在职；在职、兼职的工资记R04、五险一金记R05；临时聘用、劳务派遣的劳务费记R06"),
    Column("月份", "month", TEXT, True, help=_MONTH_HELP),
    Column("工资薪金", "wages", AMOUNT, help="该月工资薪金总额（含奖金、津贴）"),
    Column("五险一金", "insurance", AMOUNT, help="单位负担的基本养老、医疗、失业、工伤、生育保险费和住房公积金"),
    Column("凭证号", "voucher_no", TEXT),
)

EQUIPMENT_COLUMNS = (
    Column("设备编号", "asset_id", TEXT, True, help="固定资产卡片编号"),
    Column("设备名称", "name", TEXT),
    Column("类别", "kind", TEXT, False, EQUIPMENT_KINDS, "仪器记R17，设备记R18；默认 设备"),
    Column("月份", "month", TEXT, True, help=_MONTH_HELP),
    Column("折旧额", "depreciation", AMOUNT, True, help="该月税前扣除的折旧额（税法金额）"),
    Column("凭证号", "voucher_no", TEXT),
)

EQUIPMENT_HOURS_COLUMNS = (
    Column("设备编号", "asset_id", TEXT, True, help="与“设备折旧”的设备编号一致"),
    Column("月份", "month", TEXT, True, help=_MONTH_HELP),
    Column("项目编号", "project_no", TEXT, help="研发项目编号；空白或“非研发”表示生产等非研发使用"),
    Column("工时", "hours", AMOUNT, True, help="该月使用工时（小时，可有两位小数）"),
)

TABLE_COLUMNS = {
    SHEET_YEARS: YEAR_COLUMNS,
    SHEET_PROJECTS: PROJECT_COLUMNS,
    SHEET_LINES: LINE_COLUMNS,
    SHEET_ADJUSTMENTS: ADJUSTMENT_COLUMNS,
    SHEET_FACTS: FACT_COLUMNS,
    SHEET_TIMESHEETS: TIMESHEET_COLUMNS,
    SHEET_PAYROLL: PAYROLL_COLUMNS,
    SHEET_EQUIPMENT: EQUIPMENT_COLUMNS,
    SHEET_EQUIPMENT_HOURS: EQUIPMENT_HOURS_COLUMNS,
}
