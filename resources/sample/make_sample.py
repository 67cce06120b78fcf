"""Generate the bundled sample enterprise: resources/sample/sample_enterprise.xlsx.

Run from the repository root::

    python resources/sample/make_sample.py [OUTPUT.xlsx]

The enterprise is fictitious: 宁夏银川精工传感科技有限公司, a precision-sensor manufacturer in
银川 (GB/T 4754-2017 C3983 敏感元件及传感器制造), not yet a 高新技术企业.  The ledger runs from
2022-01-01 to 2024-12-31; 2021 is given by totals only.  Everything is derived from
``random.Random(SEED)`` and constant dates, so the output is byte-for-byte reproducible.

Designed properties (the tests and the demo rely on them):
- every budgeted category total is exact (amounts are integer 分, split by the largest remainder);
- 其他相关费用 exceed 前五项 ÷ 9 in 2024, so the 10% cap binds there;
- on the broadest HNTE reading the 2022–2024 R&D ratio is just under 4% of sales (a candidate
  that narrowly fails the R&D-ratio test of the 5,000万–2亿 tier);
- three lines lie a few days outside their project's period (to show the warning);
- reversals (红字冲销) never make a project's net in a category negative within a year.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import calendar  # noqa: E402
import datetime as dt  # noqa: E402
import random  # noqa: E402
from collections import defaultdict  # noqa: E402
from decimal import Decimal  # noqa: E402
from fractions import Fraction  # noqa: E402

from forms.template import write_workbook  # noqa: E402

SEED = 20241231
OUTPUT = Path(__file__).resolve().parent / "sample_enterprise.xlsx"
LEDGER_YEARS = (2022, 2023, 2024)

GRANT = "财政资金（不征税）"

# --------------------------------------------------------------------------- identifiers

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code_check_char(first17: str) -> str:
    """GB 32100-2015 check character of a 统一社会信用代码 from its first 17 characters."""
    if len(first17) != 17 or any(c not in CREDIT_CHARSET for c in first17):
        raise ValueError(f"not 17 valid characters: {first17!r}")
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARSET[(31 - total % 31) % 31]       # 31 → '0'


def credit_code_valid(code: str) -> bool:
    return (len(code) == 18 and all(c in CREDIT_CHARSET for c in code)
            and code[17] == credit_code_check_char(code[:17]))


def org_code_check_char(first8: str) -> str:
    """GB 11714-1997 check character of the 组织机构代码 (positions 9–17 of the credit code)."""
    def value(c: str) -> int:
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10
    c9 = 11 - sum(value(c) * w for c, w in zip(first8, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def make_credit_code() -> str:
    org_body = "55417382"                       # an old-style (pre-2015) 组织机构代码 body
    first17 = "91" + "640100" + org_body + org_code_check_char(org_body)
    code = first17 + credit_code_check_char(first17)
    assert credit_code_valid(code), code
    return code


# --------------------------------------------------------------------------- money helpers

def yuan(fen: int) -> Decimal:
    """Integer 分 → Decimal yuan with exactly two places."""
    return Decimal(fen).scaleb(-2)


def fen(text: str | int) -> int:
    d = Decimal(str(text))
    return int(d.scaleb(2).to_integral_exact())


def mul_fen(amount: int, num: int, den: int) -> int:
    """amount × num / den rounded half-up to 分 (integers only)."""
    q, r = divmod(abs(amount) * num * 2 + den, den * 2)
    return q if amount >= 0 else -q


def split(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` 分 proportionally to integer ``weights`` (largest remainder, exact)."""
    wsum = sum(weights)
    floors = [total * w // wsum for w in weights]
    rest = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % wsum), i))
    for i in order[:rest]:
        floors[i] += 1
    return floors


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def workday(d: dt.date) -> dt.date:
    while d.weekday() >= 5:
        d -= dt.timedelta(days=1)
    return d


# --------------------------------------------------------------------------- profile

def build_profile() -> dict[str, object]:
    return {
        "name": "宁夏银川精工传感科技有限公司",
        "credit_code": make_credit_code(),
        "industry_code": "C3983",                 # 敏感元件及传感器制造
        "collection": "查账征收",
        "founded": dt.date(2012, 5, 18),
        "hnte_cert_no": None,
        "hnte_cert_date": None,
        "tech_sme_no": None,
        "ic_or_machine_tool": False,
        "packs": "ningxia-2022",
        "ip_class1": 3,
        "ip_class2": 12,
        "ip_acquisition": "自主研发",
        "standards": True,
        "conversions": 15,
        "management_self": "5/5/4/4",
        "tech_grade": "A",
        "core_grade": "A",
        "resident": True,
        "hnte_field": "先进制造与自动化/工业生产过程控制系统/智能传感器与仪器仪表",
        "no_major_incident": True,
        "not_prohibited": True,
        "no_misconduct": True,
        "ip_class2_sme": 15,
        "national_award": False,
        "provincial_lab": True,
        "led_standard": False,
        "prepared_by": "马晓燕（财务部）",
        "advisor": "杨志刚（自治区科技特派员）",
    }


# --------------------------------------------------------------------------- yearly figures

# full years: (主营, 其他, 投资收益, 不征税收入, 营业外等其他收入, 高新收入‰ of 总额, 制造业‰, 职工, 科技人员,
#              资产, 负债, 应纳税所得额)
_YEAR_BASE = {
    2021: ("139856420.35", "5218640.80", "620000.00", "100000.00", "1093211.47", 648, 871, 398, 44,
           "278450316.20", "132608475.91", "14620583.16"),
    2022: ("152318640.27", "6327915.40", "680000.00", "120000.00", "850432.18", 651, 870, 405, 46,
           "296183520.64", "140215063.37", "16840215.36"),
    2023: ("164905318.52", "7012460.08", "760000.00", "150000.00", "903516.40", 652, 868, 418, 48,
           "318726045.83", "149308117.26", "19618432.07"),
    2024: ("179632147.81", "7718305.26", "820000.00", "600000.00", "1012388.55", 654, 867, 426, 49,
           "342915806.49", "158462930.75", "22463918.54"),
}
# 2021 has no ledger: R&D totals
_RD_2021 = {"rd_super": "5126480.35", "rd_hnte": "5642917.60", "rd_domestic": "5642917.60"}
# 2024 prepayment periods: share (‰) of the annual flow figures, staff averages, assets
_PERIODS_2024 = (("H1", 462, 421, 48, "331208447.15", "154027385.62"),
                 ("Q1-Q3", 721, 424, 49, "337650218.90", "156981406.33"))


def _year_row(year: int, share: int | None = None) -> dict[str, object]:
    (main, other, inv, nontax, misc, hitech_pm, manuf_pm, staff, staff_rd, assets, liab,
     taxable) = _YEAR_BASE[year]
    flows = {k: fen(v) for k, v in (("main", main), ("other", other), ("inv", inv), ("nontax", nontax),
                                     ("misc", misc), ("taxable", taxable))}
    if share is not None:
        flows = {k: mul_fen(v, share, 1000) for k, v in flows.items()}
        flows["nontax"] = fen("600000.00") if share > 500 else fen("300000.00")
    total = flows["main"] + flows["other"] + flows["inv"] + flows["nontax"] + flows["misc"]
    return {
        "year": year,
        "main_revenue": yuan(flows["main"]),
        "other_revenue": yuan(flows["other"]),
        "total_income": yuan(total),
        "nontaxable_income": yuan(flows["nontax"]),
        "investment_income": yuan(flows["inv"]),
        "hitech_income": yuan(mul_fen(total, hitech_pm, 1000) + 1733),
        "negative_list_revenue": Decimal("0.00"),
        "manufacturing_revenue": yuan(mul_fen(total, manuf_pm, 1000) - 2461),
        "staff_total": staff,
        "staff_rd": staff_rd,
        "total_assets": Decimal(assets),
        "total_liabilities": Decimal(liab),
        "staff_quarterly_avg": staff + 12,                 # incl. labour-dispatch workers
        "assets_quarterly_avg": Decimal(assets) - Decimal("12500000.00"),
        "total_costs": yuan(mul_fen(flows["main"] + flows["other"], 861, 1000)),
        "taxable_income": yuan(flows["taxable"]),
        "prior_losses": Decimal("0.00"),
    }


def build_years() -> list[dict[str, object]]:
    rows = []
    for year in (2021, 2022, 2023, 2024):
        row = _year_row(year)
        if year == 2021:
            row.update({k: Decimal(v) for k, v in _RD_2021.items()})
        rows.append(row)
    for period, share, staff, staff_rd, assets, liab in _PERIODS_2024:
        row = _year_row(2024, share)
        row.update({"period": period, "staff_total": staff, "staff_rd": staff_rd,
                    "total_assets": Decimal(assets), "total_liabilities": Decimal(liab)})
        rows.append(row)
    return rows


def sales(year: int) -> int:
    main, other = _YEAR_BASE[year][:2]
    return fen(main) + fen(other)


# --------------------------------------------------------------------------- projects

D = dt.date
PROJECTS: list[dict[str, object]] = [
    {"project_no": "RD01", "name": "高精度MEMS压力传感器温度漂移补偿技术研发", "form": "自主研发", "ledger_type": "费用化",
     "start": D(2022, 1, 4), "end": D(2022, 12, 28), "status": "已结束",
     "results": "发明专利申请1项、实用新型专利2项；全温区误差≤0.1%FS"},
    {"project_no": "RD02", "name": "工业物联网无线智能压力变送器研发", "form": "自主研发", "ledger_type": "费用化",
     "start": D(2022, 3, 1), "end": D(2023, 10, 31), "status": "已结束",
     "results": "样机3台，NB-IoT/LoRa双模通信；软件著作权2项"},
    {"project_no": "RD03", "name": "耐高温陶瓷压阻芯体封装工艺研发（开发阶段资本化）", "form": "自主研发",
     "ledger_type": "资本化", "start": D(2022, 3, 1), "end": D(2023, 7, 10), "status": "已结束",
     "ia_date": D(2023, 7, 10), "ia_years": 10, "results": "形成非专利技术“陶瓷压阻芯体共晶封装工艺”并确认为无形资产"},
    {"project_no": "RD04", "name": "面向煤化工的防爆型智能差压变送器研发", "form": "自主研发", "ledger_type": "费用化",
     "start": D(2022, 8, 1), "end": D(2024, 6, 28), "status": "已结束",
     "results": "取得防爆合格证；样机1台对外销售"},
    {"project_no": "RD05", "name": "光纤光栅应变传感解调算法委托开发", "form": "委托研发", "ledger_type": "费用化",
     "start": D(2023, 3, 1), "end": D(2024, 8, 31), "status": "已结束",
     "entrustee": "宁夏大学", "entrustee_related": False, "entrustee_location": "境内",
     "contract_no": "2023640100001234", "ownership": "委托方", "results": "解调算法及软件1套，技术报告1份"},
    {"project_no": "RD06", "name": "智能传感器自诊断嵌入式算法委托开发（境外关联方）", "form": "委托研发",
     "ledger_type": "费用化", "start": D(2023, 6, 1), "end": D(2025, 3, 31), "status": "未结束",
     "entrustee": "Jinggong Sensortechnik GmbH（德国，关联企业）", "entrustee_related": True,
     "entrustee_location": "境外", "contract_no": "2023640100002578", "ownership": "委托方",
     "results": "阶段成果：自诊断算法原型"},
    {"project_no": "RD07", "name": "氢能储运用高压氢气压力传感器合作研发", "form": "合作研发", "ledger_type": "费用化",
     "start": D(2024, 1, 2), "end": D(2025, 6, 30), "status": "未结束",
     "entrustee": "北方民族大学（合作方）", "entrustee_related": False, "entrustee_location": "境内",
     "contract_no": "2024640100000987", "ownership": "双方共有", "results": "阶段成果：抗氢脆膜片样件"},
    {"project_no": "RD08", "name": "集团集中研发—传感器数字孪生标定平台（本公司分摊部分）", "form": "集中研发",
     "ledger_type": "费用化", "start": D(2024, 3, 1), "end": D(2024, 12, 31), "status": "已结束",
     "results": "平台上线；按受益比例18%分摊"},
    {"project_no": "RD09", "name": "低功耗无线振动监测传感器研发（自治区重点研发计划）", "form": "自主研发",
     "ledger_type": "费用化", "start": D(2024, 2, 1), "end": D(2025, 12, 31), "status": "未结束",
     "results": "阶段成果：工程样机"},
    {"project_no": "RD10", "name": "压阻芯体长期稳定性失效机理分析（委托境外个人）", "form": "委托研发",
     "ledger_type": "费用化", "start": D(2024, 4, 1), "end": D(2024, 9, 30), "status": "已结束",
     "entrustee": "Dr. Hans Müller（德国籍个人）", "entrustee_related": False, "entrustee_location": "境外",
     "contract_no": "2024640100000412", "ownership": "委托方", "results": "失效机理分析报告1份"},
    {"project_no": "RD11", "name": "传感器自动化标定产线新工艺规程研发", "form": "自主研发", "ledger_type": "费用化",
     "start": D(2023, 4, 3), "end": D(2024, 3, 29), "status": "已结束",
     "results": "新工艺规程3项，标定效率提高40%"},
    {"project_no": "RD12", "name": "高温高压磁翻板液位变送器研发", "form": "自主研发", "ledger_type": "费用化",
     "start": D(2023, 2, 1), "end": D(2024, 12, 31), "status": "已结束",
     "results": "实用新型专利3项；样机通过型式试验"},
]
_BY_NO = {p["project_no"]: p for p in PROJECTS}

# own-R&D projects that receive budgeted lines: weight, last date of lines (capitalised: before the IA)
OWN = {
    "RD01": (100, None), "RD02": (120, None), "RD03": (90, D(2023, 6, 30)), "RD04": (110, None),
    "RD11": (70, None), "RD12": (100, None), "RD07": (80, None), "RD09": (90, None),
}

# preferred projects per code (when any of them is active in the year)
PREFER = {
    "R09": ("RD04", "RD12", "RD07"),
    "R11": ("RD02", "RD04", "RD12", "RD09", "RD03"),
    "R15": ("RD01", "RD11", "RD07"),
    "R21": ("RD01", "RD04", "RD09"),
    "R22": ("RD03", "RD11", "RD12"),
    "R24": ("RD02", "RD04", "RD12", "RD09", "RD01"),
    "R25": ("RD03", "RD11", "RD07"),
    "R04S": ("RD02", "RD11", "RD12"),
    "R18S": ("RD03", "RD04", "RD09"),
}


def lines_period(no: str) -> tuple[dt.date, dt.date]:
    p = _BY_NO[no]
    last = OWN.get(no, (0, None))[1] or p["end"]
    return p["start"], last


def active_months(no: str, year: int) -> list[int]:
    start, last = lines_period(no)
    return [m for m in range(1, 13) if dt.date(year, m, 1) <= last and month_end(year, m) >= start]


def clamp(no: str, d: dt.date) -> dt.date:
    start, last = lines_period(no)
    return max(start, min(last, d))


# --------------------------------------------------------------------------- budgets (元, 会计金额)

# code: (2022, 2023, 2024).  R04S / R18S: shared staff / equipment booked in full with a 研发工时占比.
BUDGET = {
    "R04": (2150000, 2250000, 2260000),
    "R04S": (120000, 132000, 140000),
    "R05": (570000, 610000, 620000),
    "R06": (120000, 130000, 140000),
    "R08": (720000, 760000, 800000),
    "R09": (28000, 30000, 32000),
    "R10": (82000, 88000, 95000),
    "R11": (150000, 120000, 130000),
    "R12": (100000, 86000, 110000),
    "R13": (56000, 72000, 80000),
    "R14": (58000, 66000, 72000),
    "R15": (42000, 48000, 50000),
    "R17": (150000, 157000, 161000),
    "R18": (218000, 228000, 243000),
    "R18S": (96000, 100000, 104000),
    "R20": (78000, 86000, 92000),
    "R21": (24000, 30000, 36000),
    "R22": (18000, 18000, 18000),
    "R24": (130000, 150000, 140000),
    "R25": (52000, 88000, 70000),
    "R29": (78000, 90000, 150000),
    "R30": (42000, 70000, 110000),
    "R31": (110000, 120000, 190000),
    "R32": (140000, 150000, 160000),
    "R33": (105000, 118000, 140000),
}

# how lines are laid out: "monthly" = per active project-month (× slots), "quarterly", or N events a year
LAYOUT = {
    "R04": ("monthly", 2), "R04S": ("monthly", 1), "R05": ("monthly", 2), "R10": ("monthly", 1),
    "R17": ("monthly", 1), "R18": ("monthly", 1), "R18S": ("monthly", 1), "R20": ("monthly", 1),
    "R21": ("monthly", 1), "R22": ("monthly", 1), "R32": ("quarterly", 2),
    "R06": ("events", 26), "R08": ("events", 240), "R09": ("events", 22), "R11": ("events", 11),
    "R12": ("events", 20), "R13": ("events", 16), "R14": ("events", 21), "R15": ("events", 8),
    "R24": ("events", 9), "R25": ("events", 7), "R29": ("events", 26), "R30": ("events", 10),
    "R31": ("events", 36), "R33": ("events", 88),
}
# monthly codes that go on one project only (the first preferred one active that year)
SINGLE_PROJECT = {"R04S", "R18S", "R21", "R22"}

MATERIALS = ("铝合金壳体材料", "316L不锈钢膜片", "氧化铝陶瓷基板", "MEMS硅片", "单晶硅压阻芯片", "信号调理芯片",
             "玻璃烧结座", "氟橡胶密封圈", "屏蔽电缆", "贴片电阻电容", "PCB电路板", "钛合金过程接头", "环氧灌封胶",
             "金丝键合线", "硅油填充液", "NB-IoT通信模组", "锂亚硫酰氯电池", "哈氏合金膜片", "磁翻板浮子组件",
             "防爆接线盒", "温度补偿电阻网络", "陶瓷压阻芯体坯件")
INSTRUMENTS = ("高精度数字压力计", "精密数字电桥", "频谱分析仪", "数字存储示波器", "六位半数字万用表", "红外热像仪")
EQUIPMENT = ("高低温交变湿热试验箱", "真空共晶焊炉", "晶圆划片机", "激光调阻机", "氦质谱检漏仪", "压力循环疲劳试验台")
SOFTWARE = ("ANSYS多物理场仿真软件", "LabVIEW测控软件", "SolidWorks三维设计软件", "Altium Designer电路设计软件")
PEOPLE = ("张工", "李工", "王工", "刘工", "马工", "杨工", "赵工", "周工", "丁工", "纳工", "金工", "田工")
CITIES = ("西安", "北京", "上海", "兰州", "深圳", "沈阳", "成都", "天津")


def _summary(code: str, rng: random.Random, d: dt.date, slot: int, no: str) -> str:
    m = d.month
    if code == "R04":
        return f"计提{m}月研发人员工资" + {0: "（研究人员）", 1: "（技术及辅助人员）"}.get(slot, "")
    if code == "R04S":
        return f"计提{m}月共用工艺工程师工资（按研发工时分摊）"
    if code == "R05":
        return f"计提{m}月研发人员" + ("住房公积金" if slot == 1 else "社会保险费")
    if code == "R06":
        return rng.choice((f"支付外聘研发人员劳务费-{rng.choice(PEOPLE)}", "支付劳务派遣研发辅助人员费用（宁夏鑫才人力资源公司）",
                           "支付临时聘用测试人员劳务费"))
    if code == "R08":
        return f"领用{rng.choice(MATERIALS)}"
    if code == "R09":
        return rng.choice(("研发试验用柴油（防爆试验发电机）", "高温老化试验用液化天然气", "研发试验用乙炔气"))
    if code == "R10":
        return f"分摊{m}月研发试验室电费"
    if code == "R11":
        return rng.choice(("试制模具加工费-传感器壳体压铸模", "工装夹具开发制造费-标定夹具", "试制模具加工费-膜片冲压模",
                           "中试工艺装备制造费-灌封工装"))
    if code == "R12":
        return rng.choice(("购置对标样品-进口压力变送器", "购置样机外壳及附件", "购置一般测试手段-压力校验泵",
                           "购置一般测试手段-示波器探头及夹具", "购置对标样品-液位计"))
    if code == "R13":
        return rng.choice(("试制产品检验费-宁夏计量测试院", "样机第三方防爆检验费", "试制产品EMC检测费", "试制品环境可靠性检验费"))
    if code == "R14":
        return rng.choice(("研发设备维修费-" + rng.choice(EQUIPMENT), "研发仪器校准检定费-" + rng.choice(INSTRUMENTS),
                           "研发设备运行维护费-真空泵保养"))
    if code == "R15":
        return rng.choice(("租入激光多普勒测振仪租赁费", "租入电磁兼容测试设备租赁费", "租入高压气体试验台租赁费"))
    if code == "R17":
        return f"计提{m}月研发仪器折旧-{INSTRUMENTS[(slot + hash_no(no)) % len(INSTRUMENTS)]}"
    if code == "R18":
        return f"计提{m}月研发设备折旧-{EQUIPMENT[(m + hash_no(no)) % len(EQUIPMENT)]}"
    if code == "R18S":
        return f"计提{m}月共用数控加工中心折旧（按研发工时分摊）"
    if code == "R20":
        return f"{m}月研发软件摊销-{SOFTWARE[(m + hash_no(no)) % len(SOFTWARE)]}"
    if code == "R21":
        return f"{m}月专利权摊销-一种压力传感器温度补偿方法"
    if code == "R22":
        return f"{m}月非专利技术摊销-MEMS芯片无应力封装技术"
    if code == "R24":
        return rng.choice(("支付新产品结构设计费", "新产品外观设计费", "新产品电路设计外包费", "新产品设计评审费"))
    if code == "R25":
        return rng.choice(("新工艺规程制定-标定作业指导书编制", "新工艺规程制定-共晶焊工艺验证", "新工艺规程制定-老化筛选规范"))
    if code == "R29":
        return rng.choice(("购买技术图书资料", "资料翻译费-IEC 60770标准翻译", f"专家咨询费-{rng.choice(('宁夏大学', '西安交通大学', '中科院沈阳自动化所'))}专家",
                           "高新科技研发保险费", "购买专业数据库资料费"))
    if code == "R30":
        return rng.choice(("研发成果查新检索费", "科技成果评价费", "项目验收评审费", "技术成果鉴定费"))
    if code == "R31":
        return rng.choice(("专利代理费-发明专利申请", "专利申请费", "专利代理费-实用新型专利申请", "软件著作权登记费",
                           "PCT国际专利申请代理费"))
    if code == "R32":
        return (f"{(m - 1) // 3 + 1}季度研发人员补充医疗保险费" if slot == 1
                else f"计提{(m - 1) // 3 + 1}季度研发人员职工福利费")
    if code == "R33":
        if rng.random() < 0.8:
            return f"差旅费报销-{rng.choice(PEOPLE)}（{rng.choice(CITIES)}）"
        return rng.choice(("会议费-项目技术研讨会", "参加传感器技术学术会议费", "会议费-项目中期检查会"))
    raise KeyError(code)


def hash_no(no: str) -> int:
    return int(no[2:])


VOUCHER_KIND = {
    "R04": "转", "R04S": "转", "R05": "转", "R17": "转", "R18": "转", "R18S": "转", "R20": "转", "R21": "转",
    "R22": "转", "R32": "转", "R08": "转", "R09": "转", "R10": "转", "R33": "记",
    "R06": "付", "R11": "付", "R12": "付", "R13": "付", "R14": "付", "R15": "付", "R24": "付", "R25": "付",
    "R29": "付", "R30": "付", "R31": "付", "R36": "付", "R37": "付", "R39": "付",
    "NE01": "转", "NE03": "付", "NE05": "转", "NE06": "付", "NE07": "记", "NE08": "付", "NE10": "转",
}
# codes booked on one shared voucher per month (group name)
VOUCHER_GROUP = {"R04": "wages", "R04S": "wages", "NE05": "wages", "R05": "social", "R17": "dep", "R18": "dep",
                 "R18S": "dep", "NE01": "dep", "NE10": "dep", "R20": "amort", "R21": "amort", "R22": "amort",
                 "R10": "power", "R32": "welfare"}


# --------------------------------------------------------------------------- lines

def _line(d, no, code, summary, amount, *, tax=None, funding=None, share=None, group=None) -> dict:
    return {"date": d, "project_no": no, "code": code, "summary": summary, "amount": amount,
            "tax_amount": tax, "funding": funding, "share": share, "_group": group}


def _weight(rng: random.Random, spread: float) -> int:
    return max(1, int(100000 * rng.uniform(1 - spread, 1 + spread)))


def _budget_lines(rng: random.Random) -> list[dict]:
    out = []
    for yi, year in enumerate(LEDGER_YEARS):
        active = [no for no in OWN if active_months(no, year)]
        for code, budgets in BUDGET.items():
            total = budgets[yi] * 100
            candidates = active
            pref = [no for no in PREFER.get(code, ()) if no in active]
            if pref:
                candidates = pref[:1] if code in SINGLE_PROJECT else pref
            layout, n = LAYOUT[code]
            slots = []        # (date, project, slot index, weight)
            if layout in ("monthly", "quarterly"):
                def bonus(m: int) -> int:
                    return 125 if (code in ("R04", "R05") and m == 12) else 100
                if code == "R04":
                    # one line per project-month, or two (研究人员 52% / 技术及辅助人员 48%) when a
                    # month's wages of the project would exceed 45,000 元
                    units = sum(OWN[no][0] * bonus(m) for no in candidates for m in active_months(no, year))
                    per_slot = {no: ((52, 48) if OWN[no][0] * total >= 4500000 * units // 100 else (100,))
                                for no in candidates}
                else:
                    per_slot = {no: ((70, 30) if n == 2 else (100,)) for no in candidates}
                for no in candidates:
                    pw = OWN[no][0]
                    for m in active_months(no, year):
                        if layout == "quarterly" and m % 3 != 0 and m != active_months(no, year)[-1]:
                            continue
                        d = clamp(no, month_end(year, m))
                        fractions = per_slot[no]
                        for s, frac in enumerate(fractions):
                            w = pw * bonus(m) * frac * _weight(rng, 0.05)
                            slots.append((d, no, s if len(fractions) > 1 else -1, w))
            else:
                months = [(no, m) for no in candidates for m in active_months(no, year)]
                mw = [OWN[no][0] for no, m in months]
                for _ in range(n):
                    no, m = rng.choices(months, weights=mw)[0]
                    day = rng.randint(1, calendar.monthrange(year, m)[1])
                    d = clamp(no, workday(dt.date(year, m, day)))
                    if d.year != year:
                        d = dt.date(year, m, day)
                    low, top, sigma = (190, 25000, 1.05) if code == "R08" else (150, 12000, 0.85)
                    w = max(low * 100, min(top * 100, int(100000 * rng.lognormvariate(0, sigma)))) + rng.randint(0, 6000)
                    slots.append((d, no, 0, w))
            parts = split(total, [s[3] for s in slots])
            for (d, no, s, _), amt in zip(slots, parts):
                line = _line(d, no, code, _summary(code, rng, d, s, no), amt,
                             group=VOUCHER_GROUP.get(code))
                if code == "R04S":
                    line["code"], line["share"] = "R04", Decimal("0.55")
                elif code == "R18S":
                    line["code"], line["share"] = "R18", "60%"
                out.append(line)
    return out


def _fixed_lines() -> list[dict]:
    """Lines outside the budgets: accelerated depreciation, split depreciation, NE items, entrusted."""
    out = []
    # 六轴精密标定台: accounting 8,350.00 a month, tax (shortened life) 13,916.67 — tax amount larger
    for year in LEDGER_YEARS:
        for m in range(1, 13):
            no = {2022: "RD01", 2023: "RD02", 2024: "RD12"}[year]
            if m not in active_months(no, year):
                continue
            d = clamp(no, month_end(year, m))
            out.append(_line(d, no, "R18", f"计提{m}月研发设备折旧-六轴精密标定台（税法缩短折旧年限）", fen("8350.00"),
                             tax=fen("13916.67"), group="dep"))
    # 共用恒温恒湿实验室设备: split on the voucher into an R&D part (R18) and the non-R&D part (NE10)
    for year in LEDGER_YEARS:
        no = {2022: "RD02", 2023: "RD04", 2024: "RD09"}[year]
        for m in active_months(no, year):
            d = clamp(no, month_end(year, m))
            out.append(_line(d, no, "R18", f"计提{m}月共用恒温恒湿设备折旧-研发分摊部分（65%）", fen("4219.50"),
                             group="dep"))
            out.append(_line(d, no, "NE10", f"计提{m}月共用恒温恒湿设备折旧-非研发分摊部分（35%）", fen("2272.04"),
                             group="dep"))
    # NE items: building depreciation, leased pilot workshop, admin staff, phone, office, training
    for year in LEDGER_YEARS:
        for m in range(1, 13):
            main_no = {2022: "RD01", 2023: "RD04", 2024: "RD12"}[year]
            d = clamp(main_no, month_end(year, m))
            out.append(_line(d, main_no, "NE01", f"计提{m}月研发中心大楼折旧", fen("6538.42"), group="dep"))
            out.append(_line(d, main_no, "NE05", f"计提{m}月研发部行政助理工资", fen("7650.00") + (year - 2022) * 35000,
                             group="wages"))
            out.append(_line(workday(dt.date(year, m, 12)), main_no, "NE06", f"支付{m}月研发部通讯费",
                             fen("986.00") + m * 1300))
            if year >= 2023 and m % 3 == 1:
                out.append(_line(workday(dt.date(year, m, 8)), main_no, "NE03",
                                 f"支付中试车间房屋租金（{year}年第{(m - 1) // 3 + 1}季度）", fen("36000.00")))
        for k, (mm, dd, amt) in enumerate(((3, 14, "2380.00"), (6, 20, "1895.50"), (9, 9, "3120.00"),
                                           (11, 23, "2046.80"))):
            out.append(_line(workday(dt.date(year, mm, dd)), main_no, "NE07", "研发部办公用品采购", fen(amt)))
        out.append(_line(workday(dt.date(year, 7, 15)), main_no, "NE08", "研发人员参加传感器设计培训班培训费",
                         fen({2022: "12800.00", 2023: "9600.00", 2024: "15200.00"}[year])))
    # 集中研发: the group's allocation to this member, quarterly by category (RD08)
    for q, d in ((2, D(2024, 6, 30)), (3, D(2024, 9, 30)), (4, D(2024, 12, 31))):
        for code, label, amt in (("R04", "人员人工费用（工资）", "58600.00"), ("R05", "人员人工费用（五险一金）", "15820.00"),
                                 ("R08", "直接投入费用（材料）", "19450.00"), ("R18", "折旧费用（设备）", "7930.00"),
                                 ("R20", "无形资产摊销（仿真软件）", "3260.00")):
            out.append(_line(d, "RD08", code, f"分摊集团集中研发项目{q}季度{label}", fen(amt) * (96 + q) // 100,
                             group=f"group-q{q}"))
    # entrusted: domestic university (R36), overseas related company (R37), overseas individual (R39)
    for d, text, amt in ((D(2023, 3, 20), "支付宁夏大学委托开发款第一期", "360000.00"),
                         (D(2023, 9, 15), "支付宁夏大学委托开发款第二期", "300000.00"),
                         (D(2024, 5, 22), "支付宁夏大学委托开发款第三期", "240000.00"),
                         (D(2024, 8, 28), "支付宁夏大学委托开发款尾款（验收后）", "100000.00")):
        out.append(_line(d, "RD05", "R36", text, fen(amt)))
    for d, text, amt in ((D(2023, 7, 18), "支付Jinggong Sensortechnik GmbH委托开发款第一期（EUR 50,000）", "385640.00"),
                         (D(2024, 1, 16), "支付Jinggong Sensortechnik GmbH委托开发款第二期（EUR 53,000）", "412300.00"),
                         (D(2024, 10, 21), "支付Jinggong Sensortechnik GmbH委托开发款第三期（EUR 38,000）", "298000.00")):
        out.append(_line(d, "RD06", "R37", text, fen(amt)))
    out.append(_line(D(2024, 6, 20), "RD10", "R39", "支付境外个人Dr. Hans Müller委托研究费（失效机理分析报告）",
                     fen("68500.00")))
    # three lines deliberately a few days outside their project's period
    out.append(_line(D(2022, 7, 27), "RD04", "R08", "领用316L不锈钢膜片（立项前预领）", fen("6380.00")))
    out.append(_line(D(2023, 11, 6), "RD02", "R31", "专利代理费-一种无线压力变送器低功耗唤醒方法（发明）", fen("8500.00")))
    out.append(_line(D(2024, 4, 3), "RD11", "R33", "差旅费报销-王工（结题验收后补报）", fen("1863.00")))
    return out


def _reversals(rng: random.Random, lines: list[dict]) -> list[dict]:
    """红字冲销: material returns (part of a line) and duplicated entries reversed in full."""
    out = []
    for year in LEDGER_YEARS:
        mats = [ln for ln in lines if ln["code"] == "R08" and ln["date"].year == year and ln["amount"] > 300000
                and ln["project_no"] in OWN and ln["date"].month < 12]
        for ln in rng.sample(mats, 6):
            back = ln["amount"] * rng.randint(10, 30) // 100
            ln["amount"] += back                       # the issue was larger; part goes back to stores
            d = clamp(ln["project_no"], ln["date"] + dt.timedelta(days=rng.randint(3, 12)))
            if d.year != year or d < ln["date"]:
                d = ln["date"]
            ret = _line(d, ln["project_no"], "R08", "研发领料退库-" + ln["summary"].removeprefix("领用"), -back)
            ret["_orig"] = ln
            out.append(ret)
    # duplicated entries and their full reversal
    dup = [("R04", 2023, 5, "RD04", "（重复计提）", "冲销5月重复计提研发人员工资", 6),
           ("R33", 2022, 9, "RD02", "（重复报销）", "冲红：重复报销差旅费", 4),
           ("R31", 2024, 10, "RD12", "（重复入账）", "冲销重复入账专利代理费", 9)]
    for code, year, month, no, mark, text, delay in dup:
        src = next(ln for ln in lines if ln["code"] == code and ln["project_no"] == no
                   and ln["date"].year == year and ln["date"].month >= month and not ln.get("share"))
        copy = dict(src, summary=src["summary"] + mark, _group=None)
        out.append(copy)
        d = clamp(no, src["date"] + dt.timedelta(days=delay))
        out.append(_line(d, no, code, text, -src["amount"]))
    return out


def _mark_grants(lines: list[dict]) -> None:
    """RD09 is partly funded by a 自治区重点研发计划 grant treated as 不征税收入."""
    used, limit = 0, fen("450000.00")
    for ln in sorted(lines, key=lambda x: (x["date"], x["summary"], x["amount"])):
        if ln["project_no"] == "RD09" and ln["code"] in ("R08", "R11", "R12", "R13") and ln["amount"] > 0:
            if used + ln["amount"] <= limit:
                ln["funding"] = GRANT
                ln["summary"] += "（重点研发计划专项资金）"
                used += ln["amount"]
    for ln in lines:                                   # a return follows the funding of its issue
        if ln.get("_orig") is not None and ln["_orig"]["funding"] == GRANT:
            ln["funding"] = GRANT
            ln["summary"] += "（重点研发计划专项资金）"


def _assign_vouchers(rng: random.Random, lines: list[dict]) -> None:
    """Voucher kind and number: numbering restarts each month per kind; grouped codes share a voucher."""
    vouchers: dict[tuple, list[dict]] = defaultdict(list)
    for i, ln in enumerate(lines):
        kind = VOUCHER_KIND[ln["code"]]
        ln["voucher_kind"] = kind
        if ln["_group"]:
            key = (ln["date"].year, ln["date"].month, kind, ln["_group"], ln["date"])
        else:
            key = (ln["date"].year, ln["date"].month, kind, "single", ln["date"], i)
        vouchers[key].append(ln)
    counters: dict[tuple, int] = {}
    order = sorted(vouchers, key=lambda k: (k[4], k[2], str(k[3]), k[5] if len(k) > 5 else -1))
    for key in order:
        ym = (key[0], key[1], key[2])
        counters[ym] = counters.get(ym, rng.randint(1, 20)) + rng.randint(1, 9)
        for ln in vouchers[key]:
            ln["voucher_no"] = f"{key[2]}-{counters[ym]:04d}"


def _risk_cases(lines: list[dict]) -> None:
    """A summary the tax bureau's screening questions (RISK-09, production keywords: 客户订单、返修): material of an
    R&D project partly used to repair a customer's order.  Text only: no figure changes, the rng is not touched."""
    ln = next(ln for ln in lines if ln["code"] == "R08" and ln["date"].year == 2024 and ln["project_no"] == "RD09"
              and ln["amount"] > 0 and ln["summary"].startswith("领用"))
    ln["summary"] += "（部分用于客户订单样机返修）"


def build_lines(rng: random.Random, taken: list | None = None) -> list[dict]:
    """The 研发支出 rows.  ``taken`` receives the lines that the 工时分配 sheets generate instead (see
    :func:`build_allocation`), removed after everything else is drawn so every other line stays the same."""
    lines = _budget_lines(rng)
    lines += _fixed_lines()
    lines += _reversals(rng, lines)
    _mark_grants(lines)
    _assign_vouchers(rng, lines)
    _risk_cases(lines)
    kept = []
    for ln in lines:
        (taken if taken is not None and _allocated(ln) else kept).append(ln)
    lines = kept
    lines.sort(key=lambda ln: (ln["date"], ln["voucher_kind"], ln["voucher_no"], ln["project_no"], ln["code"],
                               -ln["amount"]))
    out = []
    for ln in lines:
        row = {k: v for k, v in ln.items() if not k.startswith("_")}
        row["amount"] = yuan(ln["amount"])
        row["tax_amount"] = yuan(ln["tax_amount"]) if ln["tax_amount"] is not None else None
        out.append(row)
    return out


# --------------------------------------------------------------------------- 工时分配 (timesheets and payroll)

# Projects whose wages (R04) and 五险一金 (R05) come from 人员薪酬 × 人员工时 instead of manual lines, per year;
# and the shared 恒温恒湿 device whose R&D depreciation (R18) comes from 设备折旧 × 设备工时.  The payroll is
# built so that the allocation reproduces the replaced lines to the 分 (project, code, date, amount), so every
# figure of the sample stays as it was.
ALLOC_PROJECTS = {2023: ("RD11", "RD12"), 2024: ("RD07", "RD09", "RD12")}
SHARED_DEVICE = ("SB-2019-017", "共用恒温恒湿试验设备", "设备")
# dedicated researchers (研究人员, 技术人员) per project: all their hours on the project
TEAM = {"RD07": (("E0701", "陈思远"), ("E0702", "黄欣怡")), "RD09": (("E0901", "吴浩然"), ("E0902", "孙雅琴")),
        "RD11": (("E1101", "林建华"), ("E1102", "罗婷")), "RD12": (("E1201", "郭志强"), ("E1202", "何丽娟"))}
# shared staff: (id, name, type, R&D hours a month, non-R&D hours, wage 分, 五险一金 分)
TESTER = ("E0031", "马建军", "在职", 136, 32, 980000, 294000)       # 测试工程师: the selected projects + 产品出厂检验
PROCESS = ("E0032", "冯立新", "在职", 136, 32, 1120000, 336000)     # 工艺工程师: RD12 + 生产工艺支持
ADJUNCT = ("E0051", "白文博", "兼职", 60, 0, 450000, 0)             # 兼职专家: RD09, 2024年3–6月 (under 183 days)
STANDARD_HOURS = 168


def _allocated(ln: dict) -> bool:
    d = ln["date"]
    if ln["code"] in ("R04", "R05") and ln["project_no"] in ALLOC_PROJECTS.get(d.year, ()):
        return ln.get("share") is None and ln["amount"] > 0 and "重复" not in ln["summary"]
    return ln["code"] == "R18" and d.year in ALLOC_PROJECTS and "共用恒温恒湿设备折旧-研发分摊部分" in ln["summary"]


def _even(total: int, n: int) -> list[int]:
    return [total // n + (1 if i < total % n else 0) for i in range(n)]


def build_allocation(taken: list[dict]) -> dict[str, list[dict]]:
    """人员工时 / 人员薪酬 / 设备折旧 / 设备工时 that allocate to exactly the ``taken`` lines."""
    from calc.money import split_largest_remainder

    target: dict[tuple, int] = defaultdict(int)
    voucher: dict[tuple, str] = {}
    for ln in taken:
        key = (ln["date"].year, ln["date"].month, ln["project_no"], ln["code"])
        assert ln["date"] == clamp(ln["project_no"], month_end(ln["date"].year, ln["date"].month)), ln
        target[key] += ln["amount"]
        voucher.setdefault((ln["date"].year, ln["date"].month, ln["code"] == "R18"), ln["voucher_no"])
    timesheets, payroll, equipment, equipment_hours = [], [], [], []

    def alloc(total: int, hours: dict) -> dict:
        dests = sorted((d for d in hours if d), key=str) + [d for d in hours if d is None]
        return dict(zip(dests, split_largest_remainder(total, [hours[d] for d in dests])))

    def book(person, year, m, hours, wage, ins):
        pid, name, kind = person[:3]
        month = f"{year}-{m:02d}"
        for d in sorted((d for d in hours if d), key=str) + [d for d in hours if d is None]:
            timesheets.append({"person_id": pid, "name": name, "month": month, "project_no": d or "非研发",
                               "hours": Decimal(hours[d])})
        payroll.append({"person_id": pid, "name": name, "staff_type": kind, "month": month, "wages": yuan(wage),
                        "insurance": yuan(ins) if ins else None, "voucher_no": voucher.get((year, m, False))})
        return alloc(wage, hours), (alloc(ins, hours) if ins else {})

    for year, nos in ALLOC_PROJECTS.items():
        for m in range(1, 13):
            active = [no for no in nos if m in active_months(no, year)]
            shared: dict[tuple, int] = defaultdict(int)           # (project, code) → allocated to shared staff
            # 测试工程师: R&D hours spread over the active projects; December 2024 overtime on production
            pid, name, kind, rd, other, wage, ins = TESTER
            hours = dict(zip(active, _even(rd, len(active)))) if active else {}
            hours[None] = other + (STANDARD_HOURS - rd if not active else 0) + (48 if (year, m) == (2024, 12) else 0)
            w, i = book(TESTER, year, m, hours, wage, ins)
            for part, code in ((w, "R04"), (i, "R05")):
                for d, amt in part.items():
                    if d:
                        shared[(d, code)] += amt
            # 工艺工程师 on RD12
            if "RD12" in active:
                w, i = book(PROCESS, year, m, {"RD12": PROCESS[3], None: PROCESS[4]}, PROCESS[5], PROCESS[6])
                shared[("RD12", "R04")] += w["RD12"]
                shared[("RD12", "R05")] += i["RD12"]
            # 兼职专家 on RD09, 2024年3–6月
            if year == 2024 and 3 <= m <= 6 and "RD09" in active:
                w, _ = book(ADJUNCT, year, m, {"RD09": ADJUNCT[3]}, ADJUNCT[5], 0)
                shared[("RD09", "R04")] += w["RD09"]
            # the dedicated researchers take the rest of each replaced line total (研究人员 55%)
            for no in active:
                rest_w = target.pop((year, m, no, "R04")) - shared[(no, "R04")]
                rest_i = target.pop((year, m, no, "R05")) - shared[(no, "R05")]
                assert rest_w > 0 and rest_i > 0, (year, m, no)
                lead_w, lead_i = mul_fen(rest_w, 55, 100), mul_fen(rest_i, 55, 100)
                for person, wage, ins in ((TEAM[no][0], lead_w, lead_i), (TEAM[no][1], rest_w - lead_w, rest_i - lead_i)):
                    book((*person, "在职"), year, m, {no: STANDARD_HOURS}, wage, ins)
    # the shared device: 130 of 200 hours for R&D reproduces the 65% split of the replaced lines
    aid, aname, akind = SHARED_DEVICE
    for (year, m, no, code), amount in sorted(target.items()):
        assert code == "R18", (year, m, no, code)
        total = fen("6491.54")
        parts = alloc(total, {no: 130, None: 70})
        assert parts[no] == amount, (parts, amount)
        month = f"{year}-{m:02d}"
        equipment.append({"asset_id": aid, "name": aname, "kind": akind, "month": month, "depreciation": yuan(total),
                          "voucher_no": voucher.get((year, m, True))})
        equipment_hours.append({"asset_id": aid, "month": month, "project_no": no, "hours": Decimal(130)})
        equipment_hours.append({"asset_id": aid, "month": month, "project_no": "非研发", "hours": Decimal(70)})
    return {"timesheets": timesheets, "payroll": payroll, "equipment": equipment, "equipment_hours": equipment_hours}


# --------------------------------------------------------------------------- adjustments

def build_adjustments() -> list[dict[str, object]]:
    return [
        {"year": 2022, "kind": "当年销售研发产品对应材料", "project_no": "RD01", "amount": Decimal("38600.00"),
         "date": D(2022, 11, 21), "note": "RD01温漂补偿试验样机2台随货销售，对应已计入研发费用的材料成本"},
        {"year": 2023, "kind": "特殊收入", "project_no": "RD02", "amount": Decimal("86500.00"),
         "date": D(2023, 8, 25), "note": "研发试制过程中产生的不合格芯体及边角料出售收入"},
        {"year": 2024, "kind": "当年销售研发产品对应材料", "project_no": "RD04", "amount": Decimal("120000.00"),
         "date": D(2024, 9, 18), "note": "防爆型差压变送器样机对外销售，对应已计入研发费用的材料成本"},
        {"year": 2024, "kind": "其他", "project_no": None, "amount": Decimal("15600.00"), "date": D(2024, 12, 31),
         "note": "已离职研发人员股权激励费用本年摊销额（列入汇总表“其中：其他事项”，待确认是否加计扣除）"},
    ]


# --------------------------------------------------------------------------- assembling

def build_sample(seed: int = SEED) -> dict[str, object]:
    rng = random.Random(seed)
    taken: list[dict] = []
    lines = build_lines(rng, taken)
    allocated = [dict({k: v for k, v in ln.items() if not k.startswith("_")}, amount=yuan(ln["amount"]),
                      tax_amount=None) for ln in taken]
    return {
        "profile": build_profile(),
        "years": build_years(),
        "projects": [dict(p) for p in PROJECTS],
        "lines": lines,
        "adjustments": build_adjustments(),
        "allocation": build_allocation(taken),
        "allocated_lines": allocated,          # what the allocation generates (for summarise)
    }


def _share(value) -> Fraction:
    if value is None:
        return Fraction(1)
    if isinstance(value, str):
        return Fraction(value.rstrip("%")) / 100
    return Fraction(value)


def summarise(sample: dict) -> dict[int, dict[str, object]]:
    """The generator's own estimate of the key figures per ledger year (not the engine)."""
    categories = {"staff": ("R04", "R05", "R06"), "direct": tuple(f"R{i:02d}" for i in range(8, 16)),
                  "depreciation": ("R17", "R18"), "amortisation": ("R20", "R21", "R22"),
                  "design": ("R24", "R25", "R26", "R27"), "other": ("R29", "R30", "R31", "R32", "R33")}
    cat_of = {c: k for k, codes in categories.items() for c in codes}
    hnte_ne = {"NE01", "NE02", "NE03", "NE06", "NE09"}
    projects = {p["project_no"]: p for p in sample["projects"]}
    out: dict[int, dict[str, object]] = {}
    for year in LEDGER_YEARS:
        s = {"lines": 0, "by_category": defaultdict(int), "pool": defaultdict(int), "entrusted": defaultdict(int),
             "hnte": Fraction(0), "ne": 0, "grant": 0}
        for ln in [*sample["lines"], *sample.get("allocated_lines", ())]:
            p = projects[ln["project_no"]]
            amount = fen(ln["amount"])
            tax = fen(ln["tax_amount"]) if ln["tax_amount"] is not None else amount
            share = _share(ln["share"])
            code, y = ln["code"], ln["date"].year
            capitalised = p["ledger_type"] == "资本化"
            in_pool = (not capitalised and y == year) or (capitalised and p["ia_date"].year == year)
            if y == year:
                s["lines"] += 1
                if code in cat_of or code == "R32":
                    s["hnte"] += amount * share
                elif code in ("R36", "R37", "R39"):
                    s["hnte"] += Fraction(amount * 8, 10)
                    s["entrusted"][code] += amount
                elif code in hnte_ne:
                    s["hnte"] += amount
                if code.startswith("NE"):
                    s["ne"] += amount
            if code in cat_of and ln["funding"] != GRANT:
                eligible = tax * share
                if y == year:
                    s["by_category"][cat_of[code]] += eligible
                if in_pool:
                    s["pool"][cat_of[code]] += eligible
            if y == year and ln["funding"] == GRANT:
                s["grant"] += amount
        first_five = sum(v for k, v in s["pool"].items() if k != "other")
        s["cap"] = Fraction(first_five, 9)
        s["other"] = s["pool"]["other"]
        s["cap_binds"] = s["other"] > s["cap"]
        s["sales"] = sales(year)
        out[year] = s
    total_hnte = sum(s["hnte"] for s in out.values())
    total_sales = sum(s["sales"] for s in out.values())
    for s in out.values():
        s["hnte_ratio_3y"] = total_hnte / total_sales
    return out


CATEGORY_ORDER = ("staff", "direct", "depreciation", "amortisation", "design", "other")


def build_facts() -> list[dict[str, object]]:
    """补助测算信息: what the 宁夏 post-subsidy pack needs and the ledger cannot give."""
    return [
        {"year": None, "name": "具有独立法人资格", "value": "是", "note": "营业执照"},
        {"year": None, "name": "信用良好，无重大违法违规和严重失信记录", "value": "是", "note": "信用中国查询 2025-03"},
        {"year": 2023, "name": "规模以上企业（纳入统计的规上企业）", "value": "是", "note": "2016年起纳入规上统计"},
        {"year": 2024, "name": "规模以上企业（纳入统计的规上企业）", "value": "是", "note": ""},
        {"year": 2024, "name": "该年度首次纳入规模以上企业（首次入规）", "value": "否", "note": ""},
        {"year": 2024, "name": "此前已获得过首次入规工业企业研发费用奖补", "value": "否", "note": ""},
        {"year": 2024, "name": "研发经费支出（统计口径，企业一套表）", "value": "8,214,530.00", "note": "企业一套表107-1表"},
    ]


def _wan(x) -> str:
    """分 (int or Fraction) → 万元 text with two decimals."""
    x = Fraction(x)
    return f"{Decimal(x.numerator) / Decimal(x.denominator) / Decimal(1000000):,.2f}"


def main(argv: list[str] | None = None) -> Path:
    args = sys.argv[1:] if argv is None else list(argv)
    out = Path(args[0]) if args else OUTPUT
    sample = build_sample()
    write_workbook(out, profile=sample["profile"], years=sample["years"], projects=sample["projects"],
                   lines=sample["lines"], adjustments=sample["adjustments"], facts=build_facts(),
                   **sample["allocation"])
    summary = summarise(sample)
    print(f"wrote {out}: {len(sample['lines'])} lines, {len(sample['projects'])} projects, "
          f"credit code {sample['profile']['credit_code']}")
    for year, s in summary.items():
        cats = " ".join(f"{k}={_wan(s['by_category'][k])}" for k in CATEGORY_ORDER)
        print(f"{year}: lines={s['lines']} sales={_wan(s['sales'])}万 eligible(万): {cats}; "
              f"entrusted(万)={ {k: _wan(v) for k, v in s['entrusted'].items()} } "
              f"pool other={_wan(s['other'])} cap={_wan(s['cap'])} "
              f"binds={s['cap_binds']} hnte={_wan(s['hnte'])}")
    ratio = next(iter(summary.values()))["hnte_ratio_3y"]
    print(f"HNTE R&D ratio 2022-2024 (broad estimate): "
          f"{Decimal(ratio.numerator) * 100 / Decimal(ratio.denominator):.4f}%")
    return out


if __name__ == "__main__":
    main()
