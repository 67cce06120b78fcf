"""Write ``resources/sample/sample_roster.xlsx``: a science bureau's roster of 50 synthetic enterprises.

Ten groups of five, each group built so that one rule of the cultivation tiers decides its place (the expected tier
of every enterprise is derived by hand in tests/test_pipeline.py from the rules, for data year 2025 and the as-of
date 2026-12-07). Names, districts, industries and commissioners vary; amounts are round so the arithmetic can be
checked on paper. Run: ``.venv/bin/python resources/sample/make_roster.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from calc.identifiers import credit_code_check_char  # noqa: E402
from calc.pipeline_input import ROSTER_COLUMNS, ROSTER_SHEET  # noqa: E402

TARGET = ROOT / "resources" / "sample" / "sample_roster.xlsx"
DISTRICTS = ("高新区", "经开区", "城东区", "城西区", "临江县")
COMMISSIONERS = ("王建国", "李敏", "张卫东", "刘芳", "陈志强")
INDUSTRIES = ("C3981", "I6513", "C3562", "M7320", "C2710")
WAN = 10_000          # 元


def credit_code(i: int) -> str:
    first17 = f"91430100MA4L{i:05d}"
    assert len(first17) == 17
    return first17 + credit_code_check_char(first17)


def base(i: int, name: str) -> dict:
    return {"企业名称": name, "统一社会信用代码": credit_code(i), "所在区县": DISTRICTS[i % 5],
            "所属行业代码": INDUSTRIES[(i // 5) % 5], "科技特派员": COMMISSIONERS[(i * 3) % 5], "成立日期": "2015-03-01",
            "居民企业": "是", "产品不属于禁止限制淘汰类": "是", "无严重失信和经营异常记录": "是"}


def years(rd: tuple, sales: tuple) -> dict:
    """R&D and sales of 2023, 2024, 2025 in 万元."""
    return {"研发费用（前年）": rd[0] * WAN, "研发费用（上年）": rd[1] * WAN, "研发费用（当年）": rd[2] * WAN,
            "销售收入（前年）": sales[0] * WAN, "销售收入（上年）": sales[1] * WAN, "销售收入（当年）": sales[2] * WAN}


def groups() -> list[dict]:
    rows: list[dict] = []
    k = 0

    def add(name, **fields):
        nonlocal k
        k += 1
        row = base(k, name)
        row.update(fields)
        rows.append(row)

    # G1 已认定高企: certificates that cover 2025 (issued 2023-11 … 2025-10)
    for j, issued in enumerate(("2023-11-20", "2024-10-15", "2024-12-01", "2025-10-30", "2023-12-08")):
        add(f"恒信精密仪器{j + 1}号有限公司", 高企证书编号=f"GR20{issued[2:4]}43000{j:04d}", 高企证书发证日期=issued,
            **years((500, 550, 600), (9000, 9500, 10000)), **{"收入总额（当年）": 10100 * WAN,
            "高新技术产品（服务）收入（当年）": 7000 * WAN, "职工总数": 200, "科技人员数": 40, "Ⅱ类知识产权数": 8,
            "资产总额（当年）": 15000 * WAN, "负债总额（当年）": 6000 * WAN, "应纳税所得额（当年，加计扣除前）": 1500 * WAN})
    # G2 高企后备: every figure passes with room; the 2024–2026 window (2026 as 2025) passes too
    for j in range(5):
        add(f"瑞丰智能科技{j + 1}号有限公司", 后补助政策="湖南省", **years((500 + 10 * j, 550, 600), (8000, 9000, 10000)),
            **{"收入总额（当年）": 10100 * WAN, "高新技术产品（服务）收入（当年）": 7000 * WAN, "职工总数": 150,
               "科技人员数": 30, "Ⅱ类知识产权数": 6, "资产总额（当年）": 12000 * WAN, "负债总额（当年）": 5000 * WAN,
               "应纳税所得额（当年，加计扣除前）": 900 * WAN})
    # G3 高企培育（R&D ratio short; reachable for the 2028 application)
    for j in range(5):
        add(f"启明新材料{j + 1}号有限公司", 后补助政策="湖南省", **years((300, 320, 350), (10000, 10000, 10000)),
            **{"收入总额（当年）": 10000 * WAN, "高新技术产品（服务）收入（当年）": 7000 * WAN, "职工总数": 150,
               "科技人员数": 30, "Ⅱ类知识产权数": 5, "资产总额（当年）": 12000 * WAN, "负债总额（当年）": 5000 * WAN,
               "应纳税所得额（当年，加计扣除前）": 800 * WAN})
    # G4 高企培育（科技人员占比 8%: met once the latest year of a window is open → 2027)
    for j in range(5):
        add(f"安泰电子{j + 1}号有限公司", **years((500, 550, 600), (8000, 9000, 10000)),
            **{"收入总额（当年）": 10100 * WAN, "高新技术产品（服务）收入（当年）": 7000 * WAN, "职工总数": 150,
               "科技人员数": 12, "Ⅱ类知识产权数": 6, "资产总额（当年）": 12000 * WAN, "负债总额（当年）": 5000 * WAN,
               "应纳税所得额（当年，加计扣除前）": 700 * WAN})
    # G5 高企培育（no intellectual property yet → before the 2027 application)
    for j in range(5):
        add(f"华创软件{j + 1}号有限公司", **years((300, 330, 360), (5500, 5800, 6000)),
            **{"收入总额（当年）": 6000 * WAN, "高新技术产品（服务）收入（当年）": 5000 * WAN, "职工总数": 80,
               "科技人员数": 30, "Ⅰ类知识产权数": 0, "Ⅱ类知识产权数": 0, "资产总额（当年）": 5000 * WAN,
               "负债总额（当年）": 2000 * WAN, "应纳税所得额（当年，加计扣除前）": 400 * WAN})
    # G6 科小已入库: R&D ratio 1 %, far from 4 %; a 2026 入库登记编号
    for j in range(5):
        add(f"宏达机械{j + 1}号有限公司", 科小入库登记编号=f"2026430100{j + 1}A{j:05d}",
            **years((60, 60, 60), (6000, 6000, 6000)),
            **{"收入总额（当年）": 6000 * WAN, "高新技术产品（服务）收入（当年）": 1000 * WAN, "职工总数": 100,
               "科技人员数": 30, "Ⅰ类知识产权数": 1, "资产总额（当年）": 4000 * WAN, "负债总额（当年）": 2000 * WAN,
               "成本费用支出总额（当年）": 5500 * WAN, "应纳税所得额（当年，加计扣除前）": 300 * WAN})
    # G7 可入库科小: only the current year is known (HNTE 资料不全); 科小 score 20 + 30 + 30 = 80
    for j in range(5):
        add(f"云图数据{j + 1}号有限公司", **{"研发费用（当年）": 200 * WAN, "销售收入（当年）": 4500 * WAN,
            "收入总额（当年）": 4500 * WAN, "职工总数": 60, "科技人员数": 20, "Ⅰ类知识产权数": 2,
            "资产总额（当年）": 3000 * WAN, "负债总额（当年）": 1000 * WAN, "成本费用支出总额（当年）": 4000 * WAN,
            "应纳税所得额（当年，加计扣除前）": 200 * WAN})
    # G8 不适用: too big for 科小 (staff 800, sales 5亿), R&D 1 % (HNTE far)
    for j in range(5):
        add(f"大成化工{j + 1}号股份有限公司", **years((500, 500, 500), (50000, 50000, 50000)),
            **{"收入总额（当年）": 50000 * WAN, "高新技术产品（服务）收入（当年）": 5000 * WAN, "职工总数": 800,
               "科技人员数": 40, "Ⅱ类知识产权数": 3, "资产总额（当年）": 60000 * WAN, "负债总额（当年）": 30000 * WAN,
               "应纳税所得额（当年，加计扣除前）": 3000 * WAN})
    # G9 不适用: 科小 score below 60 (staff 5 % → 0) and HNTE far; no taxable income (节税额无法计算)
    for j in range(5):
        add(f"顺达商贸{j + 1}号有限公司", **years((10, 10, 10), (3000, 3000, 3000)),
            **{"收入总额（当年）": 3000 * WAN, "高新技术产品（服务）收入（当年）": 0, "职工总数": 100, "科技人员数": 5,
               "Ⅱ类知识产权数": 1, "资产总额（当年）": 2000 * WAN, "负债总额（当年）": 800 * WAN})
    # G10 高企培育（founded 2025-11: not one year old at a 2026 application → 2027; a loss year: saving 0)
    for j in range(5):
        add(f"新芽生物{j + 1}号有限公司", 成立日期="2025-11-01",
            **{"研发费用（当年）": 30 * WAN, "销售收入（当年）": 200 * WAN, "收入总额（当年）": 200 * WAN,
               "高新技术产品（服务）收入（当年）": 180 * WAN, "职工总数": 20, "科技人员数": 10, "Ⅰ类知识产权数": 1,
               "资产总额（当年）": 500 * WAN, "负债总额（当年）": 100 * WAN, "成本费用支出总额（当年）": 250 * WAN,
               "应纳税所得额（当年，加计扣除前）": -50 * WAN})
    return rows


def write(path: Path = TARGET) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from forms.template import _save
    from forms.xlsx_cells import put_value

    wb = Workbook()
    ws = wb.active
    ws.title = ROSTER_SHEET
    headers = [c.header for c in ROSTER_COLUMNS]
    for j, h in enumerate(headers, start=1):
        put_value(ws.cell(1, j), h)
        ws.cell(1, j).font = Font(bold=True)
    for i, row in enumerate(groups(), start=2):
        unknown = set(row) - set(headers)
        assert not unknown, unknown
        for j, h in enumerate(headers, start=1):
            v = row.get(h)
            if v is not None:
                put_value(ws.cell(i, j), v)
    _save(wb, path)
    return path


if __name__ == "__main__":
    print(write())
