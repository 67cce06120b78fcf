"""Write the Qt translation source resources/i18n/rd_benefit_en.ts and compile it to .qm with lrelease.

Chinese is the source language of the interface; English is a translation. Contexts: MainWindow (the
window shell) and schema (the workbook's sheet and column names shown as table headers).
    .venv/bin/python scripts/make_translations.py
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAIN_WINDOW = {
    "研发惠企测算": "R&D Benefit Desk", " 年度 ": " Year ", " 期间 ": " Period ",
    "Excel 工作簿 (*.xlsx *.xls)": "Excel workbooks (*.xlsx *.xls)", "Excel 工作簿 (*.xlsx)": "Excel workbook (*.xlsx)",
    "不保存": "Don't save", "不可加计扣除": "not eligible", "不恢复": "Don't recover", "从工作簿导入": "Import from workbook",
    "从工作簿导入…": "Import from workbook…", "位置": "Location", "保存": "Save", "保存修改": "Save changes", "全部": "All",
    "关于": "About", "删除所选行": "Delete selected rows", "取消": "Cancel", "另存为": "Save as", "另存为…": "Save as…",
    "只读打开": "Open read-only", "否": "No", "导入ERP凭证…": "Import ERP vouchers…", "导出为工作簿": "Export as workbook",
    "导出为工作簿…": "Export as workbook…", "导出申报报表到文件夹": "Export the filing forms to a folder",
    "导出申报报表（A107012、辅助账、汇总表）…": "Export filing forms (A107012, ledgers, summary)…", "工具(&T)": "&Tools",
    "已导出：": "Exported: ", "帮助(&H)": "&Help", "必填 ": "required ", "快速测算…": "Quick estimate…", "恢复": "Recover",
    "恢复未保存的修改": "Recover unsaved changes", "打开": "Open", "打开…": "Open…", "报告": "Statement", "提示": "Info",
    "搜索": "Search", "摘要、凭证号…": "Summary, voucher no…", "撤销": "Undo", "文件(&F)": "&File",
    "文件正在使用": "File in use", "新增行": "Add row", "新建工作区": "New workspace", "新建工作区…": "New workspace…",
    "是": "Yes", "是否恢复？": "Recover it?", "最近打开": "Recent files", "月份": "Month", "月份 如 2024-03": "Month e.g. 2024-03",
    "未打开工作区": "No workspace open", "检查结果": "Findings", "正在计算…": "Computing…", "测算期间": "Period",
    "测算结果": "Results", "生成报告…": "Statement…", "研发费用加计扣除、高新技术企业与研发后补助测算（离线）":
    "R&D super-deduction, high-tech enterprise and post-subsidy estimates (offline)", "级别": "Level",
    "编辑(&E)": "&Edit", "计算完成": "Computed", "说明": "Message", "费用代码": "Code", "退出": "Quit", "重做": "Redo",
    "重新计算": "Recompute", "项目": "Project", "（只读）": " (read-only)", "视图(&V)": "&View",
    "语言 / Language": "Language / 语言", "界面语言将在重新启动后生效": "The interface language applies after a restart",
    "年度汇算": "Annual", "上半年（7月预缴）": "H1 (July prepayment)", "前三季度（10月预缴）": "Q1–Q3 (October prepayment)",
    "错误": "Error", "警告": "Warning",
    "企业信息": "Enterprise", "年度数据": "Yearly data", "研发项目": "Projects", "研发支出": "Ledger",
    "调整事项": "Adjustments", "补助测算信息": "Subsidy facts",
}


def schema_names() -> dict:
    from calc import schema as S
    english = {
        "企业名称": "Name", "统一社会信用代码": "Credit code", "所属行业代码": "Industry code", "征收方式": "Assessment",
        "成立日期": "Founded", "年度": "Year", "季度": "Period", "主营业务收入": "Main revenue", "其他业务收入": "Other revenue",
        "收入总额": "Total income", "不征税收入": "Non-taxable income", "投资收益": "Investment income",
        "高新技术产品（服务）收入": "High-tech income", "负面清单行业收入": "Negative-list revenue",
        "制造业业务收入": "Manufacturing revenue", "职工总数": "Staff", "科技人员数": "R&D staff", "资产总额": "Assets",
        "负债总额": "Liabilities", "应纳税所得额": "Taxable income", "以前年度可弥补亏损": "Prior losses",
        "研发费用（加计扣除口径）": "R&D (super-deduction)", "研发费用（高企口径）": "R&D (HNTE)", "境内研发费用": "Domestic R&D",
        "从业人数（季度平均）": "Headcount (quarterly avg.)", "资产总额（季度平均）": "Assets (quarterly avg.)",
        "成本费用支出总额": "Total costs", "项目编号": "Project no.", "项目名称": "Project name", "研发形式": "Form",
        "支出类型": "Expensed/capitalised", "开始日期": "Start", "结束日期": "End", "完成情况": "Status",
        "受托方名称": "Entrustee", "受托方是否关联方": "Related party", "受托方所在地": "Entrustee location",
        "技术合同登记号": "Contract reg. no.", "研发成果归属": "Ownership of results", "无形资产形成日期": "IA formed",
        "摊销年限": "Amortisation years", "无形资产计税基础": "IA tax base", "研发成果": "Results", "日期": "Date",
        "凭证种类": "Voucher type", "凭证号": "Voucher no.", "费用代码": "Code", "摘要": "Summary", "会计金额": "Amount",
        "税法金额": "Tax amount", "资金来源": "Funding", "研发工时占比": "R&D share", "高企费用类别": "HNTE category",
        "类型": "Type", "金额": "Amount", "说明": "Note", "项目": "Item", "值": "Value",
    }
    out = {}
    for cols in S.TABLE_COLUMNS.values():
        for c in cols:
            if c.header in english:
                out[c.header] = english[c.header]
    return out


def ts_text() -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>", '<TS version="2.1" language="en_US">']
    for context, table in (("MainWindow", MAIN_WINDOW), ("schema", schema_names())):
        parts.append(f"<context><name>{context}</name>")
        for src, tr in table.items():
            parts.append(f"<message><source>{escape(src)}</source><translation>{escape(tr)}</translation></message>")
        parts.append("</context>")
    parts.append("</TS>")
    return "\n".join(parts) + "\n"


def main() -> None:
    out = ROOT / "resources" / "i18n"
    out.mkdir(parents=True, exist_ok=True)
    ts = out / "rd_benefit_en.ts"
    ts.write_text(ts_text(), encoding="utf-8")
    lrelease = shutil.which("pyside6-lrelease") or str(Path(sys.executable).parent / "pyside6-lrelease")
    subprocess.run([lrelease, str(ts), "-qm", str(out / "rd_benefit_en.qm")], check=True, capture_output=True)
    print(out / "rd_benefit_en.qm")


if __name__ == "__main__":
    main()
