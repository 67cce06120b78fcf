"""The user manual's generated parts: screenshots from the real application and the workbook tables.

    .venv/bin/python scripts/make_manual_screenshots.py               # screenshots + tables
    .venv/bin/python scripts/make_manual_screenshots.py --tables-only # only the tables of docs/manual/README.md

Screenshots (docs/manual/images/*.png) come from the application's own windows, started offscreen on the
bundled sample enterprise: the main window (企业信息, 研发支出, 人员工时, 工时分配, the 风险 findings, 测算结果
and its tabs, 报告), the 留存备查 checklist, the audit trail, the re-import comparison (on a copy of the sample
workbook with a few edits), the 工作区一览 roster (on three workspaces made from the sample), the quick estimate
dialog and the ERP import wizard on a generated 用友 U8 voucher export.  The clock and the user name of the
workspace audit trail are fixed, so the pictures do not change from run to run.  The workbook-template
section of the manual (between the GENERATED markers) is written from calc.schema and the 费用代码 table,
so the manual cannot drift from what the importer accepts; tests/test_packaging.py checks it is current.
Settings and presets go to a temporary folder, never to the user's configuration.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MANUAL = ROOT / "docs" / "manual" / "README.md"
IMAGES = ROOT / "docs" / "manual" / "images"
BEGIN = "<!-- BEGIN GENERATED: workbook tables (scripts/make_manual_screenshots.py) -->"
END = "<!-- END GENERATED: workbook tables -->"
SIZE = (1360, 820)


# -- the workbook tables (no Qt) ------------------------------------------------------------------------
def _cell(text) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def template_tables_markdown() -> str:
    """The sheets and columns of the import workbook, from calc.schema (the importer's contract)."""
    from calc import schema as S
    from calc.params import load_params
    from forms.template import KIND_LABELS

    def columns_table(cols, first="列名") -> list[str]:
        out = [f"| {first} | 类型 | 必填 | 可选值 / 说明 |", "|---|---|---|---|"]
        for c in cols:
            notes = []
            if c.choices:
                notes.append("可选：" + "、".join(c.choices))
            if c.help:
                notes.append(c.help)
            kind = "小时数" if c.header in hours else KIND_LABELS.get(c.kind, c.kind)
            out.append(f"| {_cell(c.header)} | {kind} | {'是' if c.required else ''} | "
                       f"{_cell('；'.join(notes))} |")
        return out

    intro = {
        S.SHEET_PROFILE: "两列：“字段”和“值”，每行一个字段（字段名须与下表一致）。",
        S.SHEET_YEARS: "每个年度一行；“季度”填 H1 或 Q1-Q3 的行用于7月、10月预缴申报。",
        S.SHEET_PROJECTS: "每个研发项目一行；“项目编号”在“研发支出”和“调整事项”中引用。",
        S.SHEET_LINES: "研发支出辅助账明细：每张凭证的每个研发费用分录一行。",
        S.SHEET_ADJUSTMENTS: "特殊收入、当年销售研发产品对应材料、以前年度形成无形资产的本年摊销等调整。",
        S.SHEET_FACTS: "可选：地区后补助规则包所需的信息（规模以上企业、统计口径研发经费等）。",
        "人员工时": "工时分配（见第 5.7 节）的工时：每人每月在每个研发项目（及非研发工作）上的实际工时，一行一个人员、月份和项目。"
                    "“工时”以小时为单位（不是金额），可有两位小数。",
        "人员薪酬": "工时分配的薪酬：每人每月的工资薪金和单位负担的五险一金。软件按该人员当月的工时比例分配到各项目，"
                    "生成研发支出行；填写了本表的人员，不要再在“研发支出”中手工录入同一部分工资。",
        "设备折旧": "工时分配的折旧：研发与生产共用的仪器、设备每月的税法折旧额，按“设备工时”分配到各项目。",
        "设备工时": "工时分配的设备工时：每台设备每月在各研发项目（及非研发使用）上的使用工时（小时）。",
    }
    hours = {"工时"}          # read with the amount parser (two decimals), but they are hours
    lines = [BEGIN, "", "> 本节由 `scripts/make_manual_screenshots.py` 按程序的导入规则（`calc/schema.py`）生成，请勿手工修改。", ""]
    sheets = [(S.SHEET_PROFILE, S.PROFILE_FIELDS)] + list(S.TABLE_COLUMNS.items())
    for n, (sheet, cols) in enumerate(sheets, 1):
        optional = "（可选）" if sheet == S.SHEET_FACTS or sheet in ("人员工时", "人员薪酬", "设备折旧", "设备工时") else ""
        lines += [f"#### {n}. 工作表“{sheet}”{optional}", "", intro.get(sheet, ""), ""]
        lines += columns_table(cols, "字段" if sheet == S.SHEET_PROFILE else "列名")
        lines.append("")
    params = load_params()
    lines += [f"#### {len(sheets) + 1}. 费用代码（“研发支出”表的“费用代码”列）", "",
              "R 开头的代码对应 A107012 的行次，可以加计扣除；NE 开头的代码不得加计扣除（导入后单独列示）。", "",
              "| 费用代码 | 名称 | 类别 |", "|---|---|---|"]
    for code, c in params.codes.items():
        cat = params.categories[c.category].label if c.category else "不可加计扣除"
        lines.append(f"| {code} | {_cell(c.label)} | {_cell(cat)} |")
    lines += ["", END]
    return "\n".join(lines)


def update_manual(path: Path = MANUAL) -> bool:
    """Replace the generated section of the manual; True if the file changed."""
    text = path.read_text(encoding="utf-8")
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + template_tables_markdown() + text[stop:]
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


# -- a generated ERP export ------------------------------------------------------------------------------
def make_u8_export(path: Path) -> Path:
    """A small 用友 U8 凭证列表 export as accountants produce it: title rows, a header in row 5, debit/credit
    分录, the date and voucher number only on a voucher's first 分录, a line without a 项目 and a 合计 row."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "凭证列表"
    ws["A1"] = "记账凭证列表"
    ws.merge_cells("A1:I1")
    ws["A2"] = "核算单位：宁夏银川精工传感科技有限公司"
    ws["A3"] = "期间：2024.01-2024.12"
    header = ["制单日期", "凭证编号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额", "项目", "制单人"]
    for j, h in enumerate(header, 1):
        ws.cell(5, j, h)
    d = dt.date
    rows = [
        [d(2024, 1, 31), "转-0163", "计提1月研发人员工资（研究人员）", "53010101", "研发支出/费用化支出/人员人工/工资",
         32268.15, None, "RD04 高温压力变送器"],
        [None, None, "计提1月研发人员工资（研究人员）", "221101", "应付职工薪酬/工资", None, 32268.15, None],
        [d(2024, 1, 31), "转-0155", "计提1月研发人员社会保险费", "53010102", "研发支出/费用化支出/人员人工/社会保险",
         11214.99, None, "RD04"],
        [d(2024, 2, 15), "付-0056", "工装夹具开发制造费-标定夹具", "53010103", "研发支出/费用化支出/直接投入/材料",
         "7,446.88", None, "RD04"],
        [d(2024, 3, 12), "记-0038", "差旅费报销-刘工（北京）", "53010104", "研发支出/费用化支出/其他相关/差旅费",
         991.19, None, "RD04"],
        [d(2024, 3, 20), "付-0101", "购置样机外壳及附件", "53010105", "研发支出/费用化支出/直接投入/样品样机",
         24226.41, None, "RD11"],
        [d(2024, 4, 8), "付-0130", "研发设备维修费-压力循环疲劳试验台", "53010106", "研发支出/费用化支出",
         3304.90, None, "RD07"],
        [d(2024, 5, 6), "付-0160", "专利申请费", "53010107", "研发支出/费用化支出/其他相关/知识产权",
         7485.15, None, "RD12"],
        [d(2024, 6, 1), "付-0188", "购买测试软件", "53010108", "研发支出/费用化支出/其他", 990.00, None, "RD99"],
        [d(2024, 6, 30), "转-0230", "分摊6月研发试验室电费", "53010109", "研发支出/费用化支出/直接投入/燃料动力",
         2527.33, None, None],
        [d(2024, 12, 31), "转-0900", "结转研发支出至管理费用", "530101", "研发支出/费用化支出", None, 90455.00, None],
        ["合计", None, None, None, None, 90455.00, 122723.15, None],
    ]
    for i, values in enumerate(rows, 6):
        for j, v in enumerate(values + ["马晓燕"] if values[0] != "合计" else values, 1):
            if v is not None:
                ws.cell(i, j, v)
    for col, width in zip("ABCDEFGHI", (12, 10, 34, 11, 36, 12, 12, 20, 8)):
        ws.column_dimensions[col].width = width
    wb.save(path)
    return path


# -- screenshots -----------------------------------------------------------------------------------------
class Shooter:
    def __init__(self, out: Path):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        import desktop  # noqa: F401  (the PySide6 reference-count workaround, before any Qt call)
        from PySide6.QtWidgets import QApplication

        from desktop.fonts import ensure_font
        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        self.app.setApplicationName("研发惠企测算")
        ensure_font(self.app)
        self.out = out
        self.out.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def pump(self, until=lambda: False, timeout: float = 0.3) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.app.processEvents()
            if until():
                return True
            time.sleep(0.01)
        self.app.processEvents()
        return until()

    def wait(self, until, what: str, timeout: float = 120) -> None:
        if not self.pump(until, timeout):
            raise SystemExit(f"make_manual_screenshots: timed out waiting for {what}")

    def shot(self, widget, name: str, height: int | None = None) -> Path:
        """Save ``widget`` as images/NAME.png (only its top ``height`` pixels if given)."""
        from PySide6.QtCore import QRect
        self.pump(timeout=0.3)
        image = widget.grab(QRect(0, 0, widget.width(), height)) if height else widget.grab()
        if image.isNull():
            raise SystemExit(f"make_manual_screenshots: empty grab for {name}")
        path = self.out / f"{name}.png"
        image.save(str(path))
        self.written.append(path)
        print(f"  {path.relative_to(ROOT)}  {image.width()}×{image.height()}")
        return path

    # -- the main window ----------------------------------------------------------------------------
    def main_window(self) -> None:
        from desktop.main_window import MainWindow
        win = MainWindow()
        win.ask = lambda *a, **k: 1
        win.resize(*SIZE)
        win.show()
        # the sample's temporary folder under a fixed name: the status bar shows the workspace path
        import shutil
        from unittest import mock
        demo = Path(tempfile.gettempdir()) / "rd-benefit-demo"
        shutil.rmtree(demo, ignore_errors=True)

        def fixed_mkdtemp(*args, **kwargs):
            demo.mkdir()
            return str(demo)
        with mock.patch("tempfile.mkdtemp", fixed_mkdtemp):
            win.open_sample()
        self.wait(lambda: win.doc.evaluation is not None, "the sample evaluation")
        self.pump(timeout=0.5)
        win.tabs.setCurrentWidget(win.profile_page)
        self.shot(win, "main_profile")
        win.tabs.setCurrentWidget(win.pages["projects"])
        self.shot(win, "main_projects")
        page = win.pages["lines"]
        win.tabs.setCurrentWidget(page)
        self.shot(win, "main_ledger")
        self.allocation(win)
        self.risk_findings(win)
        # the results and the statement with the findings panel closed, to show more of them
        win.findings_dock.hide()
        win.resize(SIZE[0], SIZE[1] + 60)
        win.tabs.setCurrentWidget(win.results)
        rv = win.results
        for tab, name, key in ((0, "results_sd", "R40"), (1, "results_tax", "tax"), (2, "results_hnte", "hnte:rd_ratio"),
                               (3, "results_techsme", "techsme.indicator:rd_sales"),
                               (4, "results_subsidy", "subsidy:ningxia-2022:A"), (5, "results_checks", None)):
            rv.show_tab(tab)
            if key and not rv.select_figure(key):
                print(f"  (no figure {key})")
            if tab == 0:
                from PySide6.QtWidgets import QAbstractItemView
                rv.a107012_view.scrollTo(rv.a107012_index(40), QAbstractItemView.ScrollHint.PositionAtCenter)
                rv.a107012_view.setCurrentIndex(rv.a107012_index(40))
            self.shot(win, name)
        win.save_statement()                   # 报告 tab: the statement is written and previewed
        self.wait(lambda: not win.statement.busy and win.statement.page_count > 0, "the statement preview")
        self.shot(win, "statement")
        self.checklist(win)
        self.audit(win)
        self.import_diff(win)
        win.doc.detach(discard=True)
        win.close()
        shutil.rmtree(demo, ignore_errors=True)

    # -- issue #9: 工时分配, 风险, 留存备查, 审计记录, 导入前比较, 工作区一览 --------------------------------
    def allocation(self, win) -> None:
        """The 人员工时 sheet and the 工时分配 tab with 马建军 (E0031, December over 210 hours) selected."""
        from PySide6.QtWidgets import QAbstractItemView
        win.tabs.setCurrentWidget(win.pages["timesheets"])
        self.shot(win, "main_timesheets")
        view = win.allocation_view
        win.findings_dock.hide()                    # room for the three tables
        win.tabs.setCurrentWidget(view)
        self.pump(timeout=0.3)
        for r in range(view.persons.rowCount()):
            if view.persons.item(r, 0).text() == "E0031":
                view.persons.selectRow(r)
                break
        self.pump(timeout=0.2)
        last = view.months.rowCount() - 1
        if last < 0 or view.months.item(last, 6).text() != "是":
            raise SystemExit("make_manual_screenshots: E0031's December is not over the limit any more")
        view.months.selectRow(last)
        view.months.scrollToItem(view.months.item(last, 0), QAbstractItemView.ScrollHint.PositionAtBottom)
        self.shot(win, "allocation")
        win.findings_dock.show()

    def risk_findings(self, win) -> None:
        """The 风险 group of the findings panel, its first (高风险) item activated: the window jumps to the row."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QAbstractItemView
        group = win.risk_group
        if group is None or group.childCount() == 0:
            raise SystemExit("make_manual_screenshots: the sample has no risk findings")
        win.resizeDocks([win.findings_dock], [300], Qt.Orientation.Vertical)
        win.findings.setColumnWidth(0, 120)
        win.findings.setColumnWidth(1, 150)
        item = group.child(0)
        win.findings.setCurrentItem(item)
        win._finding_activated(item, 0)
        self.pump(timeout=0.3)
        win.findings.scrollToItem(group, QAbstractItemView.ScrollHint.PositionAtTop)
        self.pump(timeout=0.2)
        self.shot(win, "risk_findings")

    def checklist(self, win) -> None:
        """留存备查资料清单 of 2024 with a few documents marked, one with attachments (one of them missing)."""
        view = win.show_checklist()
        view.resize(1280, 700)
        folder = win.doc.ws.path.parent / "留存备查"
        folder.mkdir(exist_ok=True)
        ids = [(e.project_no, e.item.id) for e in view.entries]
        for key in (("", "E06"), ("RD04", "E01"), ("RD04", "E02")):
            if key in ids:
                view.set_present(ids.index(key), True)
        (folder / "RD04研发工时记录.pdf").write_bytes(b"%PDF-1.4")
        if ("RD04", "E04") in ids:
            r = ids.index(("RD04", "E04"))
            view.attach(r, [str(folder / "RD04研发工时记录.pdf"), str(folder / "RD04工时分配计算表.xlsx")])
            view.table.item(r, 7).setText("工时表由人事部每月提供")
        self.pump(timeout=0.3)
        self.shot(view, "checklist")
        view.close()

    def audit(self, win) -> None:
        """The audit trail after a cell edit and the checklist marks (clock and user fixed by main())."""
        page = win.pages["projects"]
        row = page.model.row_of_id(page.model.ids[3])
        page.model.setData(page.model.index(row, page.model.column_of("results")), "发明专利授权1项、实用新型专利3项")
        view = win.show_audit()
        view.resize(1280, 560)
        self.pump(timeout=0.3)
        self.shot(view, "audit")
        view.close()

    def import_diff(self, win) -> None:
        """导入前比较: the sample workbook edited in Excel (an amount corrected, a voucher added, one deleted, a
        timesheet row changed) compared with the open workspace before importing."""
        import datetime as dt

        import main
        import openpyxl

        from desktop.diff_dialog import DiffDialog
        from forms.workbook import load_ledger

        path = Path(win.doc.ws.path.parent) / "示例企业（修订）.xlsx"
        wb = openpyxl.load_workbook(main.SAMPLE)
        lines = wb["研发支出"]
        head = {c.value: c.column for c in lines[1]}
        amount, code = head["会计金额"], head["费用代码"]
        by_code = {}
        for r in range(lines.max_row, 1, -1):                             # the last R08 and R09 lines (2024)
            by_code.setdefault(lines.cell(r, code).value, r)
        lines.cell(by_code["R08"], amount).value = "971.05"                # a corrected amount (digits swapped)
        lines.delete_rows(by_code["R09"])                                  # a line booked twice, removed
        row = [None] * len(head)
        for name, value in (("日期", dt.datetime(2024, 12, 27)), ("凭证种类", "记"), ("凭证号", "记-1288"),
                            ("项目编号", "RD12"), ("费用代码", "R30"), ("摘要", "RD12项目验收评审专家费"),
                            ("会计金额", 6000)):
            row[head[name] - 1] = value
        lines.append(row)                                                 # a voucher added
        hours = wb["人员工时"]
        hours.cell(hours.max_row, 5).value = 160                           # a timesheet corrected
        wb.save(path)
        diff = win.doc.ws.import_diff(load_ledger(path), mode="replace")
        if diff.empty:
            raise SystemExit("make_manual_screenshots: the edited workbook shows no difference")
        dlg = DiffDialog(diff, path.name, win)
        dlg.resize(1180, 560)
        dlg.tabs.setCurrentWidget(dlg.details["lines"])
        dlg.show()
        self.pump(timeout=0.3)
        self.shot(dlg, "import_diff")
        dlg.reject()

    def roster(self, tmp: Path) -> None:
        """工作区一览 of a folder of three enterprises made from the sample (names, codes and amounts changed)."""
        import decimal

        import main
        import openpyxl

        from calc.identifiers import credit_code_check_char
        from desktop.roster_view import RosterView
        from forms.roster import clear_cache
        from forms.workbook import load_ledger
        from forms.workspace import Workspace

        import shutil
        folder = Path(tempfile.gettempdir()) / "rd-manual" / "客户工作区"     # a fixed name: it is in the picture
        shutil.rmtree(folder.parent, ignore_errors=True)
        folder.mkdir(parents=True)
        for file, name, code17, factor in (("精工传感.rdw", "宁夏银川精工传感科技有限公司", None, None),
                                           ("恒远新材料.rdw", "石嘴山市恒远新材料有限公司", "91640200MA76Q2K3X", "0.55"),
                                           ("塞上农机.rdw", "吴忠市塞上智能农机装备有限公司", "91640300MA77B8H1R", "1.35")):
            source = main.SAMPLE
            if code17:
                wb = openpyxl.load_workbook(main.SAMPLE)
                prof = wb["企业信息"]
                for r in range(2, prof.max_row + 1):
                    field = prof.cell(r, 1).value
                    if field == "企业名称":
                        prof.cell(r, 2).value = name
                    elif field == "统一社会信用代码":
                        prof.cell(r, 2).value = code17 + credit_code_check_char(code17)
                sheet = wb["研发支出"]
                col = {c.value: c.column for c in sheet[1]}["会计金额"]
                for r in range(2, sheet.max_row + 1):
                    v = sheet.cell(r, col).value
                    if v is not None:
                        sheet.cell(r, col).value = str((decimal.Decimal(str(v)) * decimal.Decimal(factor))
                                                       .quantize(decimal.Decimal("0.01")))
                source = tmp / f"{name}.xlsx"
                wb.save(source)
            Workspace.create(folder / file, load_ledger(source), user="杨志刚").close()
        clear_cache()
        view = RosterView(folder)
        view.resize(1360, 260)
        view.show()
        for c in (1, 6):
            view.view.resizeColumnToContents(c)
        self.pump(timeout=0.3)
        if view.model.rowCount() != 3 or any(r.error for r in view.model.rows):
            raise SystemExit("make_manual_screenshots: the roster did not read the three workspaces")
        self.shot(view, "roster")
        view.close()
        shutil.rmtree(folder.parent, ignore_errors=True)

    # -- the quick estimate -------------------------------------------------------------------------
    def quick_estimate(self) -> None:
        from desktop.quick_estimate import QuickEstimateDialog
        dlg = QuickEstimateDialog()
        dlg.resize(1280, 900)
        dlg.show()
        dlg.set_values({"name": "甲公司", "industry_code": "C3981", "year": "2024", "staff": "850,000",
                        "direct": "300000", "depreciation": "75000", "amortisation": "50,000", "design": "50000",
                        "other": "175,000", "entrusted_domestic": "350,000", "main_revenue": "95,000,000",
                        "total_income": "100,000,000", "taxable_income": "10,000,000", "staff_total": "120",
                        "staff_rd": "30", "fact:independent_legal_person": True, "fact:good_credit": True,
                        "fact:above_scale": True, "fact:first_above_scale": False,
                        "packs": ["ningxia-2022"]})
        if dlg.compute() is None:
            raise SystemExit("make_manual_screenshots: the quick estimate did not compute")
        self.shot(dlg, "quick_estimate")
        dlg.close()

    # -- the ERP import wizard ----------------------------------------------------------------------
    def import_wizard(self, tmp: Path) -> None:
        import main
        from PySide6.QtWidgets import QWizard

        from desktop.import_wizard import COL_CODE, COL_PROJECT, ImportWizard
        from forms.workbook import load_ledger
        from forms.workspace import Workspace

        ws = Workspace.create(tmp / "示例企业.rdw", load_ledger(main.SAMPLE))
        export = make_u8_export(tmp / "用友U8凭证列表.xlsx")
        wiz = ImportWizard(ws, path=export, preset_dir=tmp / "presets")
        wiz.resize(1280, 820)
        wiz.show()
        self.wait(lambda: not wiz.busy and wiz.source is not None, "the wizard to read the export")
        self.shot(wiz, "import_1_file", height=200)
        for name in ("import_2_header", "import_3_mapping"):
            wiz.next()
            self.pump(timeout=0.3)
            self.shot(wiz, name)
        wiz.next()
        self.wait(lambda: not wiz.busy and wiz.conversion is not None, "the conversion")
        self.shot(wiz, "import_4_check")
        # settle the two lines waiting for the user: a 费用代码 for the test software, the unknown project RD99
        # created, a project for the electricity line — then the last page
        model = wiz.check_page.model
        row = {ln["origin"]["row"]: i for i, ln in enumerate(model.lines)}
        wiz.add_new_project("RD99", "测试软件平台研发")
        ok = [model.setData(model.index(row[14], COL_CODE), "R12"),
              model.setData(model.index(row[15], COL_CODE), "R10"),
              model.setData(model.index(row[15], COL_PROJECT), "RD04")]
        self.pump(timeout=0.3)
        if not all(ok) or not wiz.button(QWizard.WizardButton.NextButton).isEnabled():
            raise SystemExit(f"make_manual_screenshots: the check page did not accept the fixes {ok}")
        wiz.next()
        self.shot(wiz, "import_5_import")
        wiz.reject()
        ws.close(discard=True)


def fixed_clock() -> None:
    """The audit trail's clock and user fixed (a deterministic manual): 2025-03-10 09:00:00 +08:00, one minute per
    stamp, user 马晓燕 — only in this process, by replacing forms.workspace's clock function."""
    import itertools

    import forms.workspace as W
    tick = itertools.count()
    start = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    W._now = lambda: (start + dt.timedelta(minutes=next(tick))).isoformat(timespec="seconds")
    os.environ["LOGNAME"] = os.environ["USER"] = os.environ["USERNAME"] = "马晓燕"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables-only", action="store_true", help="only regenerate the workbook tables of the manual")
    ap.add_argument("--out", default=str(IMAGES), help="folder of the images (default docs/manual/images)")
    args = ap.parse_args(argv)
    changed = update_manual()
    print(f"{MANUAL.relative_to(ROOT)}: workbook tables {'updated' if changed else 'unchanged'}")
    if args.tables_only:
        return 0
    with tempfile.TemporaryDirectory(prefix="rd-manual-") as tmp:
        tmp = Path(tmp)
        os.environ["XDG_CONFIG_HOME"] = os.environ["APPDATA"] = str(tmp / "config")   # never the user's settings
        fixed_clock()
        shooter = Shooter(Path(args.out))
        shooter.main_window()
        shooter.roster(tmp)
        shooter.quick_estimate()
        shooter.import_wizard(tmp)
    print(f"{len(shooter.written)} screenshots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
