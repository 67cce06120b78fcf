"""Write the Qt translation source resources/i18n/rd_benefit_en.ts and compile it to .qm with lrelease.

Chinese is the source language of the interface; English is a translation. Contexts: MainWindow (the
window shell), schema (the workbook's sheet and column names shown as table headers) and one per view module
of the issue-#9 features (AllocationView, AuditView, ChecklistView, DiffDialog, RosterView, ResultsView,
StatementView), each the context of that module's ``_t()``.
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
    "复制": "Copy", "粘贴": "Paste", "删除行": "Delete rows", "查找…": "Find…", "选择…": "Choose…",
    "用户手册": "User manual", "找不到用户手册：": "User manual not found: ", "界面语言": "Interface language",
    "界面语言将在重新启动后生效。现在重新启动吗？": "The interface language applies after a restart. Restart now?",
    "立即重新启动": "Restart now", "稍后": "Later", "打开示例": "Open the sample", "（暂无）": "(none)",
    "未打开工作区：新建一个企业的工作区，打开已有的，或先看示例。":
        "No workspace open: create one for an enterprise, open one, or look at the sample first.",
    "未选择（点击“选择…”按省份选择所在地区的政策）": "None chosen (click “Choose…” to pick the region's policy)",
    "所在地区后补助政策：点击“选择…”按省、市/区选择": "Regional post-subsidy policy: click “Choose…” to pick by province and city",
    "粘贴": "Paste", "粘贴未执行（没有写入任何内容）：": "Nothing pasted (nothing was written): ",
    "未打开可编辑的工作区": "No editable workspace open",
    "年度汇算": "Annual", "上半年（7月预缴）": "H1 (July prepayment)", "前三季度（10月预缴）": "Q1–Q3 (October prepayment)",
    "错误": "Error", "警告": "Warning",
    "企业信息": "Enterprise", "年度数据": "Yearly data", "研发项目": "Projects", "研发支出": "Ledger",
    "调整事项": "Adjustments", "补助测算信息": "Subsidy facts",
    # issue #9: time allocation, risk screening, evidence checklist, audit trail, roster
    "人员工时": "Timesheets", "人员薪酬": "Payroll", "设备折旧": "Equipment depreciation", "设备工时": "Equipment hours",
    "工时分配": "Time allocation", "工作区一览…": "Workspace roster…", "留存备查资料清单…": "Evidence checklist…",
    "审计记录…": "Audit trail…", "设置…": "Settings…", "风险": "Risk", "{n} 项": "{n} items",
    "税务风险提示（模拟税务机关风险扫描，不影响计算结果）":
    "Tax risk flags (a simulated tax-bureau risk scan; the figures are not affected)",
    "正在导入工作簿…": "Importing the workbook…", "导入已取消": "Import cancelled",
    "提示": "Info", "关注": "Attention", "高风险": "High risk",
}

SHEETS = {k: MAIN_WINDOW[k] for k in ("企业信息", "年度数据", "研发项目", "研发支出", "调整事项", "补助测算信息",
                                      "人员工时", "人员薪酬", "设备折旧", "设备工时")}
RISK_LEVELS = {"提示": "Info", "关注": "Attention", "高风险": "High risk"}
COMMON = {"关闭": "Close", "刷新": "Refresh", "取消": "Cancel", "全部": "All", "是": "Yes", "否": "No"}

ALLOCATION_VIEW = {
    **COMMON,
    "人员编号": "Person no.", "姓名": "Name", "人员类型": "Staff type", "月数": "Months", "研发工时": "R&D hours",
    "总工时": "Total hours", "研发工时占比": "R&D share", "研发天数": "R&D days", "≥183天": "≥183 days",
    "超工时月份": "Over-limit months", "工资薪金": "Wages", "五险一金": "Social insurance",
    "分配至研发（工资）": "To R&D (wages)", "分配至研发（五险一金）": "To R&D (social insurance)",
    "月份": "Month", "上限": "Limit", "研发占比": "R&D share", "各项目工时": "Hours by project",
    "超过100%工时": "Over 100%", "项目": "Project", "工资薪金 R04": "Wages R04", "五险一金 R05": "Social ins. R05",
    "外聘劳务 R06": "External staff R06", "仪器折旧 R17": "Instruments R17", "设备折旧 R18": "Equipment R18",
    "合计": "Total", "研发合计": "R&D total", "、": ", ", "{m}月": "{m}", "非研发": "Non-R&D", "（不计入）": " (not counted)",
    "未导入人员工时、人员薪酬或设备折旧：在对应表中填写后，按工时分配的研发支出和研发天数显示在这里。":
    "No timesheets, payroll or equipment depreciation yet: fill in those sheets and the R&D expense allocated by "
    "hours and the R&D days appear here.",
    "人员登记（研发天数 = 研发工时 ÷ 8；高企科技人员须 ≥ 183天）":
    "Staff register (R&D days = R&D hours ÷ 8; HNTE R&D staff need ≥ 183 days)",
    "所选人员各月工时": "Monthly hours of the selected person", "各项目按工时分配的金额": "Amounts allocated to projects by hours",
    "{year}年度：{persons} 人；研发天数不足{days}天 {below} 人；超过100%工时（每月 {limit} 小时）{over} 人月；"
    "按工时分配至研发项目 ¥{rd}，非研发 ¥{non}（不计入研发支出）":
    "{year}: {persons} people; {below} below {days} R&D days; {over} person-months over 100% ({limit} hours a month); "
    "allocated to R&D projects ¥{rd}, non-R&D ¥{non} (not booked as R&D expense)",
}

AUDIT_VIEW = {
    **COMMON,
    "审计记录": "Audit trail", "搜索（说明、字段、数值…）": "Search (note, field, value…)", "日期": "Dates",
    "用户": "User", "操作": "Action", "表": "Table", "至": "to", "导出 Excel…": "Export Excel…",
    "导出 CSV…": "Export CSV…", "显示 {shown} / 共 {total} 条记录": "Showing {shown} of {total} entries",
    "导出审计记录": "Export the audit trail", "导出失败：": "Export failed: ",
    "已导出 {n} 条记录到 {path}": "Exported {n} entries to {path}",
    # forms.audit.HEADERS, ACTION_NAMES and TABLE_NAMES
    "时间": "Time", "行号": "Row", "字段": "Field", "原值": "Old value", "新值": "New value", "批次": "Batch",
    "说明": "Note", "修改": "Edit", "新增行": "Add row", "删除行": "Delete row", "导入": "Import", "新建": "Create",
    "恢复": "Recover", "导出": "Export", **SHEETS, "留存备查": "Evidence",
}

CHECKLIST_VIEW = {
    **COMMON,
    "留存备查资料清单": "Evidence checklist", "年度": "Year", "项目": "Project", "序号": "No.", "资料": "Document",
    "依据": "Basis", "已备齐": "On file", "状态": "Status", "附件": "Attachments", "备注": "Note",
    "附加文件…": "Attach files…", "移除附件": "Remove attachments", "打开附件": "Open attachments",
    "企业（整体）": "Enterprise (whole)", "（文件缺失）": " (file missing)",
    "已备齐（附件缺失）": "On file (attachment missing)", "缺": "Missing", "未取得": "Not obtained",
    "未标记": "Not marked", "如有": "If any",
    "应留存 {required} 项，已备齐 {done} 项，尚缺或未标记 {missing} 项":
    "{required} documents to keep, {done} on file, {missing} missing or not marked",
    "；附件缺失 {n} 个": "; {n} attachments missing",
    "。保存期限至 {end}（自{year}年度汇算清缴期结束次日起{years}年）。":
    ". Keep until {end} ({years} years from the day after the {year} annual settlement period). ",
    "附件按相对于工作区文件所在文件夹的路径保存。": "Attachments are stored relative to the workspace file's folder.",
    "留存备查": "Evidence", "附加文件": "Attach files", "请先选中一行资料": "Select one document row first",
    "附加留存备查资料": "Attach evidence documents",
}

DIFF_DIALOG = {
    **COMMON, **SHEETS,
    "导入前比较": "Before importing", "替换导入（工作区将与工作簿一致）": "Replace (the workspace will match the workbook)",
    "合并导入": "Merge", "：新增 {added}，修改 {changed}，删除 {removed}，未变 {unchanged}":
    ": {added} added, {changed} changed, {removed} removed, {unchanged} unchanged",
    "表": "Table", "新增": "Added", "修改": "Changed", "删除": "Removed", "未变": "Unchanged",
    "变化": "Change", "标识": "Key", "明细": "Details",
    "工作簿与当前数据一致，导入不会改变数据。": "The workbook matches the current data: importing changes nothing.",
    "（每张表最多列出 {n} 处变化，上方计数为全部）": "(at most {n} changes listed per table; the counts above cover all)",
    "应用导入": "Apply import",
}

ROSTER_VIEW = {
    **COMMON,
    "工作区一览": "Workspace roster", "文件夹": "Folder", "选择…": "Choose…", "包括子文件夹": "Include subfolders",
    "打开": "Open", "文件": "File", "企业名称": "Enterprise", "统一社会信用代码": "Credit code", "年度": "Year",
    "研发费用(第40行)": "R&D expense (line 40)", "加计扣除额(第51行)": "Super-deduction (line 51)",
    "高企认定": "HNTE", "后补助(最高项)": "Post-subsidy (largest)", "问题数": "Findings", "最后保存": "Last saved",
    "状态": "Status", "A107012 第40行：本年允许加计扣除的研发费用合计": "A107012 line 40: eligible R&D expense of the year",
    "A107012 第51行：本年研发费用加计扣除额": "A107012 line 51: the super-deduction of the year",
    "高新技术企业：证书有效或认定条件测算结论": "High-tech enterprise: valid certificate or the assessment",
    "可测算的后补助中金额最高的一项": "The largest estimated post-subsidy", "错误与警告的条数": "Errors and warnings",
    "已认定（证书有效）": "Certified (valid)", "不符合认定条件": "Not eligible", "很可能符合认定条件": "Likely eligible",
    "尚不确定": "Uncertain", "正在被 {user} 编辑": "Being edited by {user}", "（最高）": " (up to)",
    "{n}（错误 {errors}）": "{n} ({errors} errors)", "选择存放工作区的文件夹": "Choose the folder of the workspaces",
    "请选择存放工作区（.rdw）的文件夹": "Choose the folder that holds the workspaces (.rdw)",
    "正在读取…": "Reading…", "共 {n} 个工作区": "{n} workspaces", "，{n} 个无法读取": ", {n} unreadable",
    "。双击打开；金额单位：元": ". Double-click to open; amounts in yuan",
    "节税合计": "Tax saved", "后补助(最高项，不计入合计)": "Post-subsidy (largest, not in the total)",
    "确定的税收效应：加计扣除节税＋高企15%税率节税＋小型微利优惠；不含后补助":
        "The certain tax effect: super-deduction saving + 15% HNTE rate + small low-profit relief; no post-subsidy",
    "可测算的后补助中金额最高的一项，注明预估／附条件／最高可得；不计入节税合计":
        "The largest estimated post-subsidy, marked estimate / conditional / up to; not in the tax total",
    "无法计算": "Cannot be computed", "预估": "estimate", "附条件": "conditional", "最高可得": "up to",
    "预估区间": "estimated range",
}

RESULTS_VIEW = {
    **RISK_LEVELS, "风险级别": "Risk level", "规则": "Rule", "处数": "Places", "首处位置": "First place",
    "风险事项（悬停查看为何关注与留存资料）": "Risk (hover for why it matters and what to keep on file)",
}

PACK_PICKER = {"地区 · 政策": "Region · policy", "状态": "Status", "适用": "Applies", "其他": "Other",
               "全省（区、市）": "Whole province", "选择所在地区后补助政策": "Choose the regional post-subsidy policy",
               "按省份展开，勾选企业注册地适用的政策（可多选）。“暂定”表示政策参数尚待核实。":
                   "Expand a province and tick the policies of the enterprise's registered place (several allowed). "
                   "“暂定” (provisional) means the parameters are not yet verified.",
               "搜索地区或政策名称，如 苏州、宁夏": "Search region or policy, e.g. 苏州, 宁夏"}

STATEMENT_VIEW = {"数据已修改，此报告已过期（与当前数据不符），不能保存或打印。请重新生成。":
                      "The data changed: this statement is out of date and cannot be saved or printed. Regenerate it.",
                  "重新生成报告": "Regenerate", "生成报告": "Generate the statement",
                  "按当前数据生成报告": "Generate the statement of the current data", "报告已过期": "Statement out of date",
                  "附加留存备查资料清单": "Append the evidence checklist", "附技术附录": "Append the technical appendix",
                  "附上A107012、分项目汇总、计算过程追溯、明细账行汇总、检查结果与风险提示详情":
                      "Append A107012, the project summary, the traces, the ledger summary, the findings and the risk details"}


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
        # the time-allocation sheets (人员工时, 人员薪酬, 设备折旧, 设备工时)
        "人员编号": "Person no.", "姓名": "Name", "月份": "Month", "工时": "Hours", "人员类型": "Staff type",
        "工资薪金": "Wages", "五险一金": "Social insurance", "设备编号": "Equipment no.", "设备名称": "Equipment name",
        "类别": "Category", "折旧额": "Depreciation",
    }
    out = {}
    for cols in S.TABLE_COLUMNS.values():
        for c in cols:
            if c.header in english:
                out[c.header] = english[c.header]
    return out


def contexts() -> dict[str, dict]:
    """Translation context → {Chinese source: English}; every header the views show from their tuples is covered."""
    return {"MainWindow": MAIN_WINDOW, "schema": schema_names(), "AllocationView": ALLOCATION_VIEW,
            "AuditView": AUDIT_VIEW, "ChecklistView": CHECKLIST_VIEW, "DiffDialog": DIFF_DIALOG,
            "RosterView": ROSTER_VIEW, "ResultsView": RESULTS_VIEW, "StatementView": STATEMENT_VIEW,
            "PackPicker": PACK_PICKER}


def untranslated() -> dict[str, list[str]]:
    """Header and label tuples of the issue-#9 views without an English entry (empty when complete)."""
    from calc.hnte import ASSESSMENT_NAMES
    from desktop import allocation_view, checklist_view, diff_dialog, roster_view
    from forms.audit import ACTION_NAMES, HEADERS, TABLE_NAMES
    need = {
        "AllocationView": [*allocation_view.PERSON_HEADERS, *allocation_view.MONTH_HEADERS,
                           *allocation_view.PROJECT_HEADERS],
        "AuditView": [*HEADERS, *ACTION_NAMES.values(), *TABLE_NAMES.values()],
        "ChecklistView": [*checklist_view.COLUMNS, "已备齐", "已备齐（附件缺失）", "缺", "未取得", "未标记", "如有"],
        "DiffDialog": [*diff_dialog.KIND_TEXT.values()],
        "RosterView": [*roster_view.COLUMNS, *roster_view.HEADER_TIPS.values(), *ASSESSMENT_NAMES.values()],
    }
    table = contexts()
    return {ctx: missing for ctx, texts in need.items() if (missing := [t for t in texts if t not in table[ctx]])}


def ts_text() -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>", '<TS version="2.1" language="en_US">']
    for context, table in contexts().items():
        parts.append(f"<context><name>{context}</name>")
        for src, tr in table.items():
            parts.append(f"<message><source>{escape(src)}</source><translation>{escape(tr)}</translation></message>")
        parts.append("</context>")
    parts.append("</TS>")
    return "\n".join(parts) + "\n"


def main() -> None:
    missing = untranslated()
    if missing:
        raise SystemExit(f"make_translations: no English for {missing}")
    out = ROOT / "resources" / "i18n"
    out.mkdir(parents=True, exist_ok=True)
    ts = out / "rd_benefit_en.ts"
    ts.write_text(ts_text(), encoding="utf-8")
    lrelease = shutil.which("pyside6-lrelease") or str(Path(sys.executable).parent / "pyside6-lrelease")
    subprocess.run([lrelease, str(ts), "-qm", str(out / "rd_benefit_en.qm")], check=True, capture_output=True)
    print(out / "rd_benefit_en.qm")


if __name__ == "__main__":
    main()
