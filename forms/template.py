"""The ledger workbook writer: the empty import template and any filled workbook.

``write_template(path)`` writes the empty template of interfaces.md §1; ``write_workbook``
writes the same layout filled with data (the exporter's and the sample generator's path).
Sheet names, headers, kinds and choices come from :mod:`calc.schema`; the 费用代码 table
from ``resources/params/expense_codes.yaml``.

Rows are dicts keyed by the ``Column.field`` names of calc/schema.py.  Values may be
``str``, ``int``, ``bool``, ``Decimal``, ``datetime.date`` or ``None``; ``float`` is refused
(money is exact).  Keys that are not a field of the sheet are ignored.

The output is reproducible: the document properties and the zip entry times are constant,
so the same data gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Mapping

import yaml
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from calc import schema
from calc import yamlsafe
from calc.params import PARAMS_DIR
from calc.schema import Column

from .xlsx_cells import FMT_AMOUNT, FMT_DATE, FMT_INT, FMT_RATIO, FMT_TEXT, put_decimal, put_text

__all__ = ["write_workbook", "write_template", "SHEET_CODES", "CODE_TABLE_HEADERS", "load_code_table"]

SHEET_CODES = "代码表"
CODE_TABLE_HEADERS = ("费用代码", "名称", "类别", "可加计扣除")
PROFILE_HEADERS = ("字段", "值", "说明")


#: constant document time: the same data gives the same file
FIXED_TIMESTAMP = dt.datetime(2024, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# rows covered by drop-downs and the project-number list
_LAST_ROW = 1048576
_PROJECT_LIST_ROWS = 2000

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_SECTION_FILL = PatternFill("solid", fgColor="FCE4D6")
_HEADER_FONT = Font(bold=True, color="1F3864")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_TITLE_FONT = Font(bold=True, size=16, color="1F3864")
_SECTION_FONT = Font(bold=True, size=12, color="833C0B")
_BOLD = Font(bold=True)
_THIN = Side(style="thin", color="9BC2E6")
_HEADER_BORDER = Border(bottom=_THIN, top=_THIN, left=_THIN, right=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

KIND_LABELS = {
    schema.TEXT: "文本",
    schema.AMOUNT: "金额（元）",
    schema.DATE: "日期",
    schema.YESNO: "是/否",
    schema.INT: "整数",
    schema.RATIO: "比例",
    schema.YEAR: "年度",
}

_KIND_FORMATS = {
    schema.AMOUNT: FMT_AMOUNT,
    schema.DATE: FMT_DATE,
    schema.INT: FMT_INT,
    schema.YEAR: FMT_INT,
    schema.TEXT: FMT_TEXT,
}

_KIND_WIDTHS = {
    schema.AMOUNT: 17,
    schema.DATE: 12,
    schema.YESNO: 10,
    schema.INT: 10,
    schema.RATIO: 12,
    schema.YEAR: 8,
    schema.TEXT: 14,
}

# wider text columns (by field name)
_FIELD_WIDTHS = {
    "name": 40,
    "summary": 38,
    "entrustee": 34,
    "results": 30,
    "note": 50,
    "contract_no": 20,
    "voucher_no": 11,
    "voucher_kind": 9,
    "project_no": 10,
    "code": 10,
    "funding": 18,
    "kind": 26,
    "ownership": 12,
    "form": 10,
    "ledger_type": 10,
    "status": 10,
    "entrustee_location": 10,
    "period": 8,
}

SHEET_PURPOSES = (
    (schema.SHEET_PROFILE, "企业基本信息：每行一个字段，在“值”列填写。"),
    (schema.SHEET_YEARS, "年度数据：每个纳税年度一行（测算年度及之前最多三年）。“季度”填 H1 或 Q1-Q3 时该行为预缴期间，"
                         "金额填年初至期末的累计数。"),
    (schema.SHEET_PROJECTS, "研发项目：每个研发项目一行，项目编号唯一。"),
    (schema.SHEET_LINES, "研发支出：研发支出辅助账明细，每行一笔；一张凭证涉及多种费用或多个项目时拆为多行。"),
    (schema.SHEET_ADJUSTMENTS, "调整事项：不属于明细账的调整，如特殊收入、当年销售研发产品对应材料。"),
    (schema.SHEET_FACTS, "补助测算信息（可选）：地区研发后补助规则包需要而账簿无法提供的信息，如规模以上企业、统计口径研发经费支出、专精特新；每行一项，年度空白表示企业层面。"),
    (schema.SHEET_TIMESHEETS, "人员工时（可选）：研发人员每月在各研发项目和非研发工作上的工时；与“人员薪酬”一起按工时分配工资薪金和五险一金，并统计每人研发天数（高企科技人员183天）。"),
    (schema.SHEET_PAYROLL, "人员薪酬（可选）：研发人员每月的工资薪金和五险一金；按“人员工时”分配到各研发项目，自动生成研发支出（R04/R05/R06），非研发部分不计入。"),
    (schema.SHEET_EQUIPMENT, "设备折旧（可选）：研发与生产共用仪器、设备每月的折旧额；按“设备工时”分配，研发部分自动生成研发支出（R17/R18）。"),
    (schema.SHEET_EQUIPMENT_HOURS, "设备工时（可选）：共用仪器、设备每月在各研发项目和非研发用途上的使用工时。"),
    (SHEET_CODES + "（隐藏）", "费用代码下拉列表的数据来源，请勿修改；代码说明见本页末尾。"),
)

GENERAL_RULES = (
    "每个表第1行为表头，请勿修改表头文字；表头后可加单位，如“金额（元）”。数据从第2行开始，中间不要留空行。",
    "红色表头为必填列；蓝色表头为选填列。把鼠标停在表头上可看到该列说明。",
    "金额单位为元，保留两位小数。可填数字，也可填文本：1,234.56、¥1234.56、￥1,234.56、全角数字 １２３４．５６、"
    "(1,234.56)（括号表示负数）或 -1234.56。无法识别的金额会在导入时报错并指出单元格。",
    "负数金额表示红字冲销（如领料退库、冲回多计提的工资），允许出现；但同一项目同一费用类别在一个年度的净额不得为负。",
    "日期可填 Excel 日期，或文本 2024-03-05、2024/3/5、2024年3月5日、20240305。研发支出的日期决定所属年度和预缴期间。",
    "是/否可填：是/否、Y/N、TRUE/FALSE、1/0。",
    "比例（研发工时占比）可填 40% 或 0.4；加计扣除金额 = 税法金额（空白时为会计金额）× 研发工时占比。",
    "下拉列表只是提示：直接粘贴数据不会被拦截，导入时统一校验并列出所有问题（工作表!单元格: 说明）。",
    "费用代码为 NE 开头的支出（如研发用房屋折旧、办公费、通讯费）照常登记：保留在辅助账和高企口径中展示，"
    "但永远不计入加计扣除。",
    "R39（委托境外个人进行研发活动）只在 A107012 第39行列报，不得加计扣除。",
    "资金来源为“财政资金（不征税）”的支出（作为不征税收入处理的财政性资金所形成的费用）不得加计扣除（国家税务总局公告2015年第97号第二条第（五）项）。",
    "费用代码也可填 A107012 行次数字（如 4）或完整的中文行次名称。",
    "本工作簿中多余的工作表和多余的列会被忽略（导入时给出提示信息），不会报错。",
)


# --------------------------------------------------------------------------- code table

def load_code_table(path: str | Path | None = None) -> list[dict[str, object]]:
    """The 费用代码 table as dicts: code, row, label, category (label or None), eligible, reason."""
    p = Path(path) if path else PARAMS_DIR / "expense_codes.yaml"
    doc = yamlsafe.load(p.read_text(encoding="utf-8"))
    categories = {c["id"]: c["label"] for c in doc["categories"]}
    out = []
    for c in doc["codes"]:
        cat = c.get("category")
        out.append({
            "code": str(c["code"]),
            "row": c.get("row"),
            "label": str(c["label"]),
            "category": categories.get(cat) if cat else None,
            "eligible": bool(c["eligible"]),
            "reason": str(c.get("reason") or ""),
        })
    return out


def _category_text(entry: Mapping[str, object]) -> str:
    return str(entry["category"]) if entry["category"] else "不可加计扣除项目"


# --------------------------------------------------------------------------- values


def _put(cell: Cell, column: Column | None, value: object) -> None:
    """Write one value with the number format of its column's kind (never through float)."""
    kind = column.kind if column else schema.TEXT
    if value is None:
        return
    if isinstance(value, float):
        raise TypeError(f"{column.header if column else '单元格'}: 不接受 float（金额须为 Decimal 或 int）")
    if isinstance(value, bool):
        cell.value = "是" if value else "否"
        return
    if isinstance(value, Decimal):
        fmt = FMT_RATIO if kind == schema.RATIO else FMT_INT if kind in (schema.INT, schema.YEAR) else FMT_AMOUNT
        put_decimal(cell, value, fmt)            # exact decimal text in <v>, never through float
        return
    if isinstance(value, (dt.date, dt.datetime)):
        cell.value = value
        cell.number_format = FMT_DATE
        return
    if isinstance(value, int):
        cell.value = value
        cell.number_format = FMT_AMOUNT if kind == schema.AMOUNT else FMT_INT
        return
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    put_text(cell, value)                        # formula-safe text (= + - @ tab CR)
    cell.number_format = FMT_TEXT


# --------------------------------------------------------------------------- sheets

def _yesno_choices(column: Column) -> tuple[str, ...]:
    if column.choices:
        return column.choices
    if column.kind == schema.YESNO:
        return ("是", "否")
    return ()


def _list_validation(formula: str, title: str, prompt: str | None = None) -> DataValidation:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False,
                        showErrorMessage=True, errorStyle="warning", errorTitle=title,
                        error="该值不在下拉列表中。导入时会再次校验；如确认无误可点“是”继续。")
    if prompt:
        dv.showInputMessage = True
        dv.promptTitle = title[:32]
        dv.prompt = prompt[:255]
    return dv


def _inline_list(choices: Iterable[str]) -> str:
    return '"' + ",".join(choices) + '"'


def _column_width(column: Column) -> float:
    base = _FIELD_WIDTHS.get(column.field, _KIND_WIDTHS.get(column.kind, 14))
    return max(base, len(column.header) * 2 + 3)


def _help_text(column: Column) -> str:
    parts = []
    if column.help:
        parts.append(column.help)
    choices = _yesno_choices(column)
    if choices and column.kind != schema.YESNO:
        parts.append("可选：" + " / ".join(choices))
    elif column.kind == schema.YESNO:
        parts.append("是/否")
    if column.required:
        parts.append("必填")
    return "；".join(parts)


def _style_header(cell: Cell, column: Column | None, required: bool) -> None:
    cell.font = _REQUIRED_FONT if required else _HEADER_FONT
    cell.fill = _HEADER_FILL
    cell.border = _HEADER_BORDER
    cell.alignment = _CENTER


def _write_table(ws: Worksheet, columns: tuple[Column, ...], rows: Iterable[Mapping[str, object]],
                 code_count: int, project_rows: int) -> int:
    for j, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j, value=column.header)
        _style_header(cell, column, column.required)
        help_text = _help_text(column)
        if help_text:
            cell.comment = Comment(f"{column.header}（{KIND_LABELS.get(column.kind, '')}）：{help_text}", "研发惠企测算",
                                   width=260, height=90)
        letter = get_column_letter(j)
        dim = ws.column_dimensions[letter]
        dim.width = _column_width(column)
        fmt = _KIND_FORMATS.get(column.kind)
        if fmt:
            dim.number_format = fmt              # blank cells typed later keep the format

    n = 0
    for n, row in enumerate(rows, start=1):
        r = n + 1
        for j, column in enumerate(columns, start=1):
            value = row.get(column.field)
            if value is not None and value != "":
                _put(ws.cell(row=r, column=j), column, value)

    last_letter = get_column_letter(len(columns))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last_letter}{max(n + 1, 2)}"
    ws.sheet_view.zoomScale = 100

    # drop-downs
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        sqref = f"{letter}2:{letter}{_LAST_ROW}"
        choices = _yesno_choices(column)
        dv = None
        if choices:
            dv = _list_validation(_inline_list(choices), column.header)
        elif ws.title == schema.SHEET_LINES and column.field == "code":
            dv = _list_validation(f"{quote_sheetname(SHEET_CODES)}!$A$2:$A${code_count + 1}", column.header,
                                  "费用代码见“填写说明”页末尾的代码表（R 开头可加计扣除，NE 开头不可）")
        elif column.field == "project_no" and ws.title in (schema.SHEET_LINES, schema.SHEET_ADJUSTMENTS):
            dv = _list_validation(f"{quote_sheetname(schema.SHEET_PROJECTS)}!$A$2:$A${project_rows}",
                                  column.header, "须为“研发项目”表中已有的项目编号")
        if dv is not None:
            dv.add(sqref)
            ws.add_data_validation(dv)
    return n


def _write_profile(ws: Worksheet, profile: Mapping[str, object]) -> None:
    for j, header in enumerate(PROFILE_HEADERS, start=1):
        _style_header(ws.cell(row=1, column=j, value=header), None, False)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 60
    for i, column in enumerate(schema.PROFILE_FIELDS, start=2):
        key = ws.cell(row=i, column=1, value=column.header)
        key.font = _REQUIRED_FONT if column.required else _BOLD
        value_cell = ws.cell(row=i, column=2)
        fmt = _KIND_FORMATS.get(column.kind)
        if fmt:
            value_cell.number_format = fmt
        value = profile.get(column.field)
        if value is not None and value != "":
            _put(value_cell, column, value)
        note = column.help
        choices = _yesno_choices(column)
        if choices and column.kind != schema.YESNO:
            note = (note + "；" if note else "") + "可选：" + " / ".join(choices)
        elif column.kind == schema.YESNO and not note:
            note = "是/否"
        if column.required:
            note = (note or "") + "（必填）"
        ws.cell(row=i, column=3, value=note or None).alignment = _WRAP
        if choices:
            dv = _list_validation(_inline_list(choices), column.header)
            dv.add(f"B{i}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"


def _write_code_sheet(ws: Worksheet, codes: list[dict[str, object]]) -> None:
    for j, header in enumerate(CODE_TABLE_HEADERS, start=1):
        _style_header(ws.cell(row=1, column=j, value=header), None, False)
    for i, c in enumerate(codes, start=2):
        ws.cell(row=i, column=1, value=str(c["code"]))
        ws.cell(row=i, column=2, value=str(c["label"]))
        ws.cell(row=i, column=3, value=_category_text(c))
        ws.cell(row=i, column=4, value="是" if c["eligible"] else "否")
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 30
    ws.column_dimensions["D"].width = 12
    ws.freeze_panes = "A2"
    ws.sheet_state = "hidden"


def _help_row(ws: Worksheet, r: int, values: Iterable[object], *, font: Font | None = None,
              fill: PatternFill | None = None) -> int:
    for j, v in enumerate(values, start=1):
        cell = ws.cell(row=r, column=j, value=v)
        cell.alignment = _WRAP
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
    return r + 1


def _section(ws: Worksheet, r: int, title: str) -> int:
    r += 1
    cell = ws.cell(row=r, column=1, value=title)
    cell.font = _SECTION_FONT
    return r + 1


def _columns_block(ws: Worksheet, r: int, columns: tuple[Column, ...], extra: Mapping[str, str] = {}) -> int:
    r = _help_row(ws, r, ("列名", "必填", "类型", "可选值", "说明"), font=_BOLD, fill=_HEADER_FILL)
    for column in columns:
        choices = _yesno_choices(column)
        note = column.help
        if column.field in extra:
            note = (note + "。" if note else "") + extra[column.field]
        r = _help_row(ws, r, (column.header, "是" if column.required else "", KIND_LABELS.get(column.kind, ""),
                              " / ".join(choices), note))
        if column.required:
            ws.cell(row=r - 1, column=1).font = _REQUIRED_FONT
    return r


_PROFILE_EXTRA = {
    "credit_code": "导入时核对校验位",
    "industry_code": "门类字母决定是否制造业及是否属于负面清单行业",
    "hnte_cert_no": "已取得高新技术企业证书时填写",
    "packs": "可用的规则包见命令 main.py packs",
    "tech_grade": "高企创新能力评价“技术的先进程度”自评等级",
    "core_grade": "高企创新能力评价“对主要产品（服务）在技术上发挥核心支持作用”自评等级",
}
_YEARS_EXTRA = {
    "main_revenue": "销售收入 = 主营业务收入 + 其他业务收入（高企研发费用占比的分母）",
    "other_revenue": "",
    "nontaxable_income": "如作为不征税收入处理的财政资金",
    "hitech_income": "用于高企“高新技术产品（服务）收入占比不低于60%”",
    "staff_total": "全年月平均数",
    "staff_rd": "全年月平均数",
    "total_assets": "年末数",
    "total_liabilities": "年末数",
    "rd_super": "有研发支出明细的年度由明细计算，此列忽略",
}
_PROJECTS_EXTRA = {
    "project_no": "如 RD01；研发支出、调整事项按此编号关联项目",
    "form": "委托研发须填写受托方信息和技术合同登记号",
    "ledger_type": "资本化项目在形成无形资产的年度统一纳入计算，之后按摊销年限摊销",
    "start": "研发支出日期超出项目起止日期时给出警告",
    "entrustee": "委托研发的受托方；合作研发可填合作方",
    "entrustee_related": "关联方须向委托方提供研发费用支出明细",
    "contract_no": "技术开发（委托）合同登记号；未登记的委托研发不得加计扣除",
    "ia_date": "资本化项目：从形成当月起摊销",
}
_LINES_EXTRA = {
    "date": "决定所属纳税年度和预缴期间",
    "project_no": "须为“研发项目”表中已有的项目编号",
    "voucher_kind": "如 记 / 收 / 付 / 转",
    "voucher_no": "如 记-0312",
    "code": "见本页末尾的费用代码表；也可填行次数字或中文名称",
    "amount": "负数为红字冲销",
    "tax_amount": "与会计金额不同时填写，如加速折旧的税前扣除折旧额",
    "share": "共用人员、设备按实际工时等合理方法分摊的研发部分",
}
_ADJ_EXTRA = {
    "kind": "特殊收入：研发过程中形成的下脚料、残次品、中间试制品等收入；当年销售研发产品对应材料：已计入研发费用的材料",
    "amount": "正数",
}

_CODE_NOTES = {
    "R36": "按实际支付额填列，加计扣除时按80%计入；须有技术合同登记号",
    "R37": "按实际支付额填列，加计扣除时按80%计入，且不超过境内符合条件的研发费用的三分之二",
}


def _write_help(ws: Worksheet, codes: list[dict[str, object]]) -> None:
    widths = (30, 8, 12, 30, 80)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    r = 1
    ws.cell(row=r, column=1, value="研发惠企测算 — 研发费用台账导入模板 填写说明").font = _TITLE_FONT
    r += 1
    ws.cell(row=r, column=1, value="一个工作簿对应一家企业：企业信息、年度数据、研发项目、研发支出明细和调整事项。"
                                   "可在 Excel 或 WPS 中填写后导入；程序导出的工作簿也采用本格式。").alignment = _WRAP
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
    ws.row_dimensions[r].height = 32
    r += 1

    r = _section(ws, r, "一、工作表说明")
    r = _help_row(ws, r, ("工作表", "", "", "", "用途"), font=_BOLD, fill=_HEADER_FILL)
    for name, purpose in SHEET_PURPOSES:
        r = _help_row(ws, r, (name, "", "", "", purpose))

    r = _section(ws, r, "二、填写通则")
    for i, rule in enumerate(GENERAL_RULES, start=1):
        ws.cell(row=r, column=1, value=f"{i}.").alignment = Alignment(horizontal="right", vertical="top")
        cell = ws.cell(row=r, column=2, value=rule)
        cell.alignment = _WRAP
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=5)
        ws.row_dimensions[r].height = 32 if len(rule) > 60 else 18
        r += 1

    r = _section(ws, r, f"三、{schema.SHEET_PROFILE}（两列：字段 / 值）")
    r = _columns_block(ws, r, schema.PROFILE_FIELDS, _PROFILE_EXTRA)
    r = _section(ws, r, f"四、{schema.SHEET_YEARS}（每个年度一行）")
    r = _columns_block(ws, r, schema.YEAR_COLUMNS, _YEARS_EXTRA)
    r = _section(ws, r, f"五、{schema.SHEET_PROJECTS}（每个项目一行）")
    r = _columns_block(ws, r, schema.PROJECT_COLUMNS, _PROJECTS_EXTRA)
    r = _section(ws, r, f"六、{schema.SHEET_LINES}（每笔支出一行）")
    r = _columns_block(ws, r, schema.LINE_COLUMNS, _LINES_EXTRA)
    r = _section(ws, r, f"七、{schema.SHEET_ADJUSTMENTS}")
    r = _columns_block(ws, r, schema.ADJUSTMENT_COLUMNS, _ADJ_EXTRA)

    r = _section(ws, r, "八、工时分配（可选）：人员工时、人员薪酬、设备折旧、设备工时")
    r = _help_row(ws, r, ("", "", "", "", "填写后，每人每月的工资薪金、五险一金（每台设备每月的折旧额）按当月工时比例以最大余额法分配到各研发项目"
                                          "和非研发工作，合计至分等于原金额；研发部分自动生成研发支出行（不要在“研发支出”中重复录入），"
                                          "非研发部分不计入。每人研发工时÷8为研发天数，用于高企科技人员183天判断。"))
    for name, columns in ((schema.SHEET_TIMESHEETS, schema.TIMESHEET_COLUMNS), (schema.SHEET_PAYROLL, schema.PAYROLL_COLUMNS),
                          (schema.SHEET_EQUIPMENT, schema.EQUIPMENT_COLUMNS),
                          (schema.SHEET_EQUIPMENT_HOURS, schema.EQUIPMENT_HOURS_COLUMNS)):
        r = _help_row(ws, r, (name,), font=_BOLD)
        r = _columns_block(ws, r, columns)

    r = _section(ws, r, "九、费用代码表（R 开头为 A107012 行次，可加计扣除；NE 开头保留在账中但不加计扣除）")
    r = _help_row(ws, r, ("费用代码", "行次", "类别", "可加计扣除", "名称 / 不可加计扣除原因"), font=_BOLD,
                  fill=_HEADER_FILL)
    for c in codes:
        text = str(c["label"])
        if not c["eligible"] and c["reason"]:
            text += f"（{c['reason']}）"
        elif c["code"] in _CODE_NOTES:
            text += f"（{_CODE_NOTES[c['code']]}）"
        r = _help_row(ws, r, (c["code"], c["row"], _category_text(c), "是" if c["eligible"] else "否", text))

    r = _section(ws, r, "十、其他")
    for note in ("本模板由“研发惠企测算”生成；命令 main.py template -o 文件名.xlsx 可重新生成空白模板。",
                 "测算结果仅供参考，申报以主管税务机关和科技主管部门的审核为准。"):
        cell = ws.cell(row=r, column=1, value=note)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        cell.alignment = _WRAP
        r += 1
    ws.freeze_panes = "A2"


# --------------------------------------------------------------------------- saving

class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one constant time (reproducible bytes)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl streams each worksheet to a temporary file and adds it with write()
        with open(filename, "rb") as fh:
            data = fh.read()
        self.writestr(arcname or Path(filename).name, data)


def _save(wb: Workbook, path) -> None:
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    wb.properties.creator = "研发惠企测算"
    wb.properties.lastModifiedBy = "研发惠企测算"
    wb.properties.title = "研发费用台账"
    target = path if hasattr(path, "write") else Path(path)
    archive = _FixedTimeZip(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        ExcelWriter(wb, archive).save()
    except BaseException:
        from .xlsx_stream import _abandon_zip
        _abandon_zip(archive)         # a full disk: closed here, no ZipFile.__del__ traceback later (C4)
        raise


# --------------------------------------------------------------------------- public API

def write_workbook(path, *, profile: dict[str, object] | None = None, years: Iterable[Mapping] = (),
                   projects: Iterable[Mapping] = (), lines: Iterable[Mapping] = (),
                   adjustments: Iterable[Mapping] = (), facts: Iterable[Mapping] = (),
                   timesheets: Iterable[Mapping] = (), payroll: Iterable[Mapping] = (),
                   equipment: Iterable[Mapping] = (), equipment_hours: Iterable[Mapping] = ()) -> None:
    """Write the ledger workbook of interfaces.md §1 (filled with the given rows) to ``path``."""
    codes = load_code_table()
    projects = list(projects)
    project_rows = max(_PROJECT_LIST_ROWS, len(projects) + 1)

    wb = Workbook()
    help_ws = wb.active
    help_ws.title = schema.SHEET_HELP
    _write_help(help_ws, codes)

    _write_profile(wb.create_sheet(schema.SHEET_PROFILE), profile or {})
    data = {
        schema.SHEET_YEARS: years,
        schema.SHEET_PROJECTS: projects,
        schema.SHEET_LINES: lines,
        schema.SHEET_ADJUSTMENTS: adjustments,
        schema.SHEET_FACTS: facts,
        schema.SHEET_TIMESHEETS: timesheets,
        schema.SHEET_PAYROLL: payroll,
        schema.SHEET_EQUIPMENT: equipment,
        schema.SHEET_EQUIPMENT_HOURS: equipment_hours,
    }
    for name in (schema.SHEET_YEARS, schema.SHEET_PROJECTS, schema.SHEET_LINES, schema.SHEET_ADJUSTMENTS,
                 schema.SHEET_FACTS, *schema.ALLOCATION_SHEETS):
        ws = wb.create_sheet(name)
        _write_table(ws, schema.TABLE_COLUMNS[name], data[name], len(codes), project_rows)

    _write_code_sheet(wb.create_sheet(SHEET_CODES), codes)
    wb.active = 0
    _save(wb, path)


def write_template(path) -> None:
    """Write the empty import template (interfaces.md §1) to ``path``."""
    write_workbook(path)
