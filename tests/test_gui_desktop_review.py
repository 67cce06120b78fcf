"""The desktop review (docs: ../shared/reviews/desktop-app.md, issue 18) replayed through the real widgets:
keys, wheel, clipboard and wizard steps, the way the reviewer drove the window (pytest-qt, offscreen)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

pytestmark = pytest.mark.usefixtures("private_config")


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


# -- #1 a stale statement is never saved or printed ------------------------------------------------------
def test_statement_goes_stale_on_edit_and_saved_pdf_has_the_new_figure(sample_window, qtbot, tmp_path):
    win = sample_window
    view = win.statement
    win.tabs.setCurrentWidget(view)
    assert view.generate_button.isVisibleTo(view)              # #24: the empty pane offers 生成报告
    QTest.mouseClick(view.generate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.pdf_path is not None and not view.busy, timeout=120000)
    assert view.save_button.isEnabled() and not view.stale_bar.isVisible()
    old_sd = win.doc.evaluation.sd.extra_deduction
    assert _yuan(old_sd) in _pdf_text(view.pdf_path)
    # edit an amount in the ledger the way a user does: the statement says at once it is out of date
    page = win.pages["lines"]
    model = page.model
    col = model.column_of("amount")
    row = next(r for r in range(model.rowCount()) if model.data_cols["code"][model.view[r]] == "R04"
               and str(model.data_cols["date"][model.view[r]]).startswith("2024"))
    old = model.data_cols["amount"][model.view[row]]
    assert model.setData(model.index(row, col), _yuan(old + 100_000_00))
    assert view.stale and view.stale_bar.isVisible()
    assert not view.save_button.isEnabled() and not view.print_button.isEnabled()
    with pytest.raises(RuntimeError, match="过期"):
        view.save_pdf(tmp_path / "old.pdf")
    assert view.save_pdf_dialog() is None
    # 重新生成 → the statement of the current data, saved
    QTest.mouseClick(view.regenerate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.pdf_path is not None and not view.busy and not view.stale, timeout=120000)
    assert view.save_button.isEnabled()
    ev = win.doc.evaluation
    saved = view.save_pdf(tmp_path / "new.pdf")
    text = _pdf_text(saved)
    assert view.ev.sd.extra_deduction == ev.sd.extra_deduction != old_sd
    (tmp_path / "text.txt").write_text(text)
    assert _yuan(ev.sd.extra_deduction) in text
    assert _yuan(old_sd) not in text


# -- #4, #5, #6: the ledger as a spreadsheet ----------------------------------------------------------------
def _ledger(win):
    page = win.pages["lines"]
    win.tabs.setCurrentWidget(page)
    page.view.setFocus()
    return page, page.view, page.model


def _type(widget, text):
    """Keys for ASCII, an input-method commit for Chinese (as a Pinyin IME delivers it)."""
    from PySide6.QtGui import QInputMethodEvent
    for ch in text:
        if ord(ch) < 128:
            QTest.keyClicks(widget, ch)
        else:
            ev = QInputMethodEvent()
            ev.setCommitString(ch)
            QApplication.sendEvent(widget, ev)


def _type_into_current(qtbot, view, text, then=Qt.Key_Tab):
    """Type into the current cell as a user does (typing on a cell opens its editor; after Tab the next
    cell's editor is already open), then press ``then``."""
    if view.state() != view.State.EditingState:
        QTest.keyClick(view, Qt.Key_F2)
    editor = QApplication.focusWidget()
    assert editor is not view and view.state() == view.State.EditingState
    target = editor.lineEdit() if hasattr(editor, "lineEdit") and editor.lineEdit() else editor
    target.selectAll()
    _type(target, text)
    QTest.keyClick(QApplication.focusWidget(), then)


def test_a_whole_ledger_line_typed_with_tab_and_no_mouse(sample_window, qtbot):
    win = sample_window
    page, view, model = _ledger(win)
    page.add_button.click()
    rid = model.row_id(view.currentIndex().row())
    assert view.currentIndex().column() == 0
    values = ["2024/6/30", "记", "0100", "RD01", "R08", "键盘录入的一行", "1,234.50"]
    for text in values:
        _type_into_current(qtbot, view, text)
    row = win.doc.ws.rows_by_id("lines", {rid})[rid]
    stored = dict(zip([c.field for c in model.columns], row))
    assert stored["date"] == "2024-06-30"                 # the date re-sorted the table: the editor followed
    assert stored["voucher_kind"] == "记" and stored["voucher_no"] == "0100"
    assert stored["project_no"] == "RD01" and stored["code"] == "R08"
    assert stored["summary"] == "键盘录入的一行" and stored["amount"] == 123450
    # the editor is now on the next column of the same line (税法金额)
    cur = view.currentIndex()
    assert model.row_id(cur.row()) == rid and model.columns[cur.column()].field == "tax_amount"
    assert view.state() == view.State.EditingState
    # Shift+Tab goes back along the row
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_Escape)
    QTest.keyClick(view, Qt.Key_Backtab, Qt.ShiftModifier)
    assert model.columns[view.currentIndex().column()].field == "amount"
    # Enter moves down one row in the same column
    QTest.keyClick(view, Qt.Key_Up)
    before = view.currentIndex().row()
    QTest.keyClick(view, Qt.Key_Return)
    assert view.currentIndex().row() == before + 1 and model.columns[view.currentIndex().column()].field == "amount"


def test_unknown_code_typed_is_an_error_on_the_cell_never_swapped(sample_window, qtbot):
    win = sample_window
    page, view, model = _ledger(win)
    col = model.column_of("code")
    for typed in ("R07", "R16", "R99", "NE5"):
        view.setCurrentIndex(model.index(0, col))
        rid = model.row_id(0)
        QTest.keyClick(view, Qt.Key_F2)
        editor = QApplication.focusWidget()
        line = editor.lineEdit() if hasattr(editor, "lineEdit") else editor
        line.selectAll()
        QTest.keyClicks(line, typed)
        QTest.keyClick(line, Qt.Key_Return)
        qtbot.wait(10)                          # Enter commits through a queued call
        stored = win.doc.ws.rows_by_id("lines", {rid})[rid][col]
        assert stored == typed, f"{typed} was replaced by {stored}"
        row = model.row_of_id(rid)
        assert model.index(row, col).data(Qt.BackgroundRole) is not None
        assert "不在费用代码表中" in model.index(row, col).data(Qt.ToolTipRole)
        assert typed in win.last_error and "不在费用代码表中" in win.last_error
    # a known code typed in lower case is taken as that code, and the cell is clean again
    view.setCurrentIndex(model.index(model.row_of_id(rid), col))
    QTest.keyClick(view, Qt.Key_F2)
    line = QApplication.focusWidget().lineEdit()
    line.selectAll()
    QTest.keyClicks(line, "r08")
    QTest.keyClick(line, Qt.Key_Tab)
    assert win.doc.ws.rows_by_id("lines", {rid})[rid][col] == "R08"
    assert model.index(model.row_of_id(rid), col).data(Qt.BackgroundRole) is None


def test_copy_and_paste_blocks_with_excel(sample_window, qtbot):
    win = sample_window
    page, view, model = _ledger(win)
    ws = win.doc.ws
    # Ctrl+C on a block of 2 rows × 3 columns gives Excel's tab-separated text
    c_voucher, c_amount = model.column_of("voucher_no"), model.column_of("amount")
    sel = view.selectionModel()
    from PySide6.QtCore import QItemSelection, QItemSelectionModel
    view.setCurrentIndex(model.index(0, c_voucher))
    sel.select(QItemSelection(model.index(0, c_voucher), model.index(1, c_voucher + 2)), QItemSelectionModel.ClearAndSelect)
    QTest.keySequence(view, "Ctrl+C")
    text = QApplication.clipboard().text()
    lines = text.rstrip("\r\n").split("\r\n")
    assert len(lines) == 2 and all(len(l.split("\t")) == 3 for l in lines)
    assert lines[0].split("\t")[0] == model.index(0, c_voucher).data()
    # a block from WPS: two new lines (header row included: columns are mapped by name), Chinese, separators,
    # dates in common forms — appended as ONE undo step
    before = ws.count("lines")
    QApplication.clipboard().setText("日期\t凭证号\t项目编号\t费用代码\t摘要\t会计金额\r\n"
                                     "2024年3月5日\t记-9007\tRD01\tR08\t实验材料（粘贴）\t\"12,345.60\"\r\n"
                                     "2024.03.06\t记-9008\tRD01\tR04\t水电费\t1 000\r\n")
    win.act_paste.trigger()
    assert ws.count("lines") == before + 2
    new = [r for r in ws.rows("lines") if r["voucher_no"] in ("记-9007", "记-9008")]
    assert {(r["date"], r["amount"]) for r in new} == {("2024-03-05", 1234560), ("2024-03-06", 100000)}
    win.undo()
    assert ws.count("lines") == before
    # over existing cells: amounts pasted into the selected column, one step; invalid cells → nothing written
    rid0, rid1 = model.row_id(0), model.row_id(1)
    view.setCurrentIndex(model.index(0, c_amount))
    QApplication.clipboard().setText("1,111.11\n2,222.22\n")
    QTest.keySequence(view, "Ctrl+V")
    got = ws.rows_by_id("lines", {rid0, rid1})
    assert got[rid0][c_amount] == 111111 and got[rid1][c_amount] == 222222
    win.undo()
    got = ws.rows_by_id("lines", {rid0, rid1})
    assert got[rid0][c_amount] != 111111 and got[rid1][c_amount] != 222222
    win.quiet_dialogs = True
    view.setCurrentIndex(model.index(model.row_of_id(rid0), c_amount))
    QApplication.clipboard().setText("3,333.33\n8,00o.00\n")
    QTest.keySequence(view, "Ctrl+V")
    assert ws.rows_by_id("lines", {rid0})[rid0][c_amount] != 333333
    assert any("无法识别" in p and "第2行" in p for p in win.last_paste_problems)
    # the 编辑 menu has the spreadsheet commands
    edit = next(a.menu() for a in win.menuBar().actions() if a.text().startswith("编辑"))
    names = [a.text() for a in edit.actions()]
    for wanted in ("复制", "粘贴", "删除行", "查找…"):
        assert wanted in names
    win.act_find.trigger()
    assert QApplication.focusWidget() is page.f_text


# -- #7, #8: the quick estimate --------------------------------------------------------------------------------
@pytest.fixture
def quick(qtbot):
    from desktop.fonts import ensure_font
    from desktop.quick_estimate import QuickEstimateDialog
    ensure_font()
    dlg = QuickEstimateDialog()
    qtbot.addWidget(dlg)
    dlg.resize(1280, 700)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def _wheel(widget, dy=-120):
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    glob = QPointF(widget.mapToGlobal(pos.toPoint()))
    ev = QWheelEvent(pos, glob, QPoint(0, 0), QPoint(0, dy), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def test_the_wheel_scrolls_the_form_and_never_flips_a_combo_box(quick, qtbot):
    combo = quick.combos["profile:resident"]
    assert combo.currentText() == "未填"
    scroll = combo.parentWidget()
    while scroll is not None and not hasattr(scroll, "verticalScrollBar"):
        scroll = scroll.parentWidget()
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0, "the form is longer than the window"
    before = bar.value()
    for _ in range(3):
        _wheel(combo)
    assert combo.currentText() == "未填", "the wheel changed 居民企业 without a click"
    assert bar.value() > before, "the wheel scrolled the form"
    # once the user has clicked into it (focus), the wheel does change it
    combo.setFocus()
    _wheel(combo)
    assert combo.currentText() != "未填"


def test_quick_estimate_headline_is_the_certain_tax_effect_and_subsidy_is_apart(quick, qtbot):
    quick.set_values({"name": "中卫市恒远新材料有限公司", "year": "2025", "industry_code": "C2661",
                      "staff": "1,200,000", "direct": "1,000,000", "depreciation": "300,000", "design": "300,000",
                      "other": "200,000", "main_revenue": "50,000,000", "total_income": "50,000,000",
                      "taxable_income": "6,000,000", "staff_total": "80", "staff_rd": "15",
                      "hnte_cert_no": "GR202364000123", "hnte_cert_date": "2023-11-20", "profile:resident": True,
                      "packs": ["ningxia-2022"]})
    QTest.mouseClick(quick.compute_button, Qt.LeftButton)
    ev = quick.evaluation
    assert ev is not None
    from calc.money import fen_display
    head = quick.results_view.total_label.text() + quick.results_view.upper_label.text()
    certain = ev.tax.tax_saved + ev.hnte_saving + ev.slp_saving
    assert fen_display(certain) in head
    assert "含“最高可得”" not in head and "不计入合计" in head
    subs = [e for e in ev.subsidies if e.eligible and e.total is not None]
    assert subs, "the 宁夏 subsidy has an amount"
    breakdown = quick.results_view.breakdown_label.text()
    for est in subs:
        assert fen_display(est.total) in breakdown and "不计入合计" in breakdown
        assert fen_display(certain + est.total) not in head


# -- #9: 所在地区后补助政策 by name --------------------------------------------------------------------------------
def test_region_policy_chosen_by_name_in_the_enterprise_form(sample_window, qtbot):
    from PySide6.QtCore import QTimer
    win = sample_window
    page = win.profile_page
    win.tabs.setCurrentWidget(page)
    edit = page.edits["packs"]
    assert edit.isReadOnly(), "no internal ids to type"
    assert "ningxia" not in edit.text() and "宁夏" in edit.text()
    seen = {}

    def in_dialog():
        dlg = page.pack_dialog
        tree = dlg.picker
        QTest.keyClicks(dlg.search, "")
        _type(dlg.search, "苏州")
        shown = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount()) if not tree.topLevelItem(i).isHidden()]
        seen["provinces"] = [t.text(0) for t in shown]
        js = next(t for t in shown if t.text(0) == "江苏省")
        leaf = next(js.child(j) for j in range(js.childCount()) if not js.child(j).isHidden())
        seen["leaf"] = (leaf.text(0), leaf.text(1))
        leaf.setCheckState(0, Qt.Checked)
        # 宁夏 stays chosen: untick it, as the enterprise is in 苏州
        tree.item_of("ningxia-2022").setCheckState(0, Qt.Unchecked)
        dlg.accept()

    QTimer.singleShot(50, in_dialog)
    page.pack_button.setFocus()
    QTest.mouseClick(page.pack_button, Qt.LeftButton)
    assert seen["provinces"] == ["江苏省"]                        # 宿州 (安徽) is not 苏州
    assert seen["leaf"][0].startswith("苏州市吴中区 · ") and seen["leaf"][1] in ("正式", "暂定", "已停止")
    assert win.doc.ws.profile()["packs"] == "suzhou-wuzhong"
    assert edit.text().startswith("江苏省苏州市吴中区 · ") and "suzhou" not in edit.text()
    qtbot.waitUntil(lambda: [e.pack_id for e in win.doc.evaluation.subsidies] == ["suzhou-wuzhong"], timeout=60000)
    win.undo()
    assert "宁夏" in edit.text()


def test_an_unknown_policy_message_lists_no_internal_ids(sample_window, qtbot):
    win = sample_window
    win.doc.ws.set_profile("packs", "江苏省")
    qtbot.waitUntil(lambda: any(f.code == "W_PACK_UNKNOWN" for f in win.doc.evaluation.findings), timeout=60000)
    msg = next(f.message for f in win.doc.evaluation.findings if f.code == "W_PACK_UNKNOWN")
    assert "江苏省" in msg and "选择" in msg
    assert "ningxia" not in msg and "chongqing" not in msg and "'" not in msg


# -- #2, #3, #18: ERP imports that cannot double count -------------------------------------------------------
def _u8_with_carry_over(path):
    import datetime as dt
    import openpyxl
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.title = "凭证列表"
    sh.append(["记账凭证列表"])
    sh.append(["制单日期", "凭证编号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额", "项目", "制单人"])
    D = dt.date
    for row in (
        [D(2024, 1, 31), "记-0001", "计提1月研发人员工资", "53010101", "研发支出/费用化支出/人员人工/工资", 50000, None, "RD01", "张三"],
        [D(2024, 2, 5), "记-0012", "支付1月研发中心电费", "5301010202", "研发支出/费用化支出/直接投入/燃料动力", 1234.56, None, "RD02", "张三"],
        [D(2024, 12, 31), "记-0100", "结转本年研发费用", "660217", "管理费用/研发费用", 51234.56, None, "RD01", "张三"],
        [D(2024, 12, 31), "记-0100", "结转本年研发费用", "530101", "研发支出/费用化支出", None, 51234.56, None, "张三"],
    ):
        sh.append(row)
    wb.save(path)
    return path


def _wizard_to_check(qtbot, ws, path, preset_dir):
    from PySide6.QtWidgets import QWizard
    from desktop.import_wizard import PAGE_CHECK, ImportWizard
    wiz = ImportWizard(ws, path=path, preset_dir=preset_dir)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(lambda: not wiz.busy and wiz.source is not None, timeout=30000)
    while wiz.currentId() != PAGE_CHECK:
        assert wiz.button(QWizard.WizardButton.NextButton).isEnabled()
        wiz.next()
    qtbot.waitUntil(lambda: not wiz.busy and wiz.conversion is not None, timeout=30000)
    return wiz


@pytest.fixture
def erp_env(tmp_path, private_config):
    import main
    from desktop.fonts import ensure_font
    from forms.workbook import load_ledger
    from forms.workspace import Workspace
    ensure_font()
    ws = Workspace.create(tmp_path / "s.rdw", load_ledger(main.SAMPLE))
    yield ws, _u8_with_carry_over(tmp_path / "u8序时账.xlsx"), tmp_path / "presets"
    ws.close(discard=True)


def test_carry_over_pairs_are_not_imported_and_reimport_is_caught(erp_env, qtbot):
    from calc.money import fen_display
    from desktop.import_wizard import COL_CODE, COL_KEEP
    ws, path, presets = erp_env
    wiz = _wizard_to_check(qtbot, ws, path, presets)
    cp, m = wiz.check_page, wiz.check_page.model
    by_voucher = {(ln["voucher_no"], ln.get("account_code")): i for i, ln in enumerate(m.lines)}
    debit = by_voucher[("0100", "660217")]                       # 借 管理费用-研发费用: the carry-over's debit side
    assert m.lines[debit]["status"] == "transfer" and not m.kept(debit)
    assert m.kept_total == 50000_00 + 1234_56                    # the real R&D only, not doubled
    assert "51,234.56" in cp.transfer_note.text() and "不导入" in cp.transfer_note.text()
    assert fen_display(m.kept_total) in cp.summary.text()
    power = by_voucher[("0012", "5301010202")]
    assert m.lines[power]["suggested_code"] == "R10"             # 电费 is 动力, not 燃料
    assert m.lines[power]["voucher_no"] == "0012"                # padding kept
    # bulk: no line of the 燃料动力 科目
    cp.view.setCurrentIndex(cp.proxy.mapFromSource(m.index(power, COL_KEEP)))
    QTest.mouseClick(cp.exclude_account, Qt.LeftButton)
    assert not m.kept(power)
    m.setData(m.index(power, COL_KEEP), Qt.Checked, Qt.CheckStateRole)
    if not m.kept(power):
        m.excluded.discard(power)
        m.refresh()
    if m.blockers():
        for i in m.blockers():
            m.setData(m.index(i, COL_CODE), "R10", Qt.EditRole)
    before = ws.count("lines")
    assert wiz.do_import()
    assert ws.count("lines") == before + 2
    # the same file again: every line is already in the ledger; nothing is imported unless the user says so
    again = _wizard_to_check(qtbot, ws, path, presets)
    m2 = again.check_page.model
    assert len(m2.duplicates) == 2 and m2.kept_count == 0
    assert again.check_page.duplicate_label.isVisibleTo(again.check_page)
    assert "重复" in again.check_page.duplicate_label.text()
    again.check_page.duplicate_mode.setCurrentIndex(again.check_page.duplicate_mode.findData("replace"))
    assert m2.kept_count == 2 and len(again.replaced_row_ids()) == 2
    for i in m2.blockers():
        m2.setData(m2.index(i, COL_CODE), "R10", Qt.EditRole)
    assert again.do_import()
    assert ws.count("lines") == before + 2                       # replaced, not doubled


# -- #15, #17, #19, #25, #27: fitting people and machines ------------------------------------------------------
@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
def test_the_window_fits_small_laptop_screens(qtbot, size, monkeypatch):
    from PySide6.QtCore import QRect
    from desktop.main_window import MainWindow
    avail = QRect(0, 0, size[0], size[1] - 40)                    # less the task bar
    monkeypatch.setattr(MainWindow, "available", lambda self: avail)
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.width() <= avail.width() and win.height() + 40 <= avail.height()
    assert win.too_big_for_screen()                                # run() opens it maximised
    assert win.minimumWidth() <= avail.width() and win.minimumHeight() <= avail.height()


def test_qt_dialogs_follow_the_chosen_language(qtbot):
    from PySide6.QtCore import QCoreApplication
    from desktop.app import install_qt_translator
    app = QApplication.instance()
    tr = install_qt_translator(app, "zh")
    assert tr is not None
    try:
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    finally:
        app.removeTranslator(tr)


def test_start_page_instead_of_inputs_that_discard_typing(qtbot):
    from desktop.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win)
    win.ask = lambda *a, **k: 1
    win.show()
    assert win.stack.currentWidget() is win.start_page
    assert set(win.start_buttons) == {"new", "open", "sample", "quick"}
    QTest.mouseClick(win.start_buttons["sample"], Qt.LeftButton)
    qtbot.waitUntil(lambda: win.doc.evaluation is not None, timeout=60000)
    assert win.stack.currentWidget() is win.tabs
    win.doc.detach(discard=True)
    win.update_status()
    assert win.stack.currentWidget() is win.start_page
    assert win.recent_list.count() >= 1


def test_help_opens_the_offline_manual_and_language_switch_offers_restart(sample_window, qtbot, monkeypatch):
    win = sample_window
    help_menu = next(a.menu() for a in win.menuBar().actions() if a.text().startswith("帮助"))
    assert "用户手册" in [a.text() for a in help_menu.actions()]
    win.act_manual.trigger()
    text = win.manual_browser.toPlainText()
    assert "研发" in text and len(text) > 2000
    asked = []
    win.ask = lambda title, text, buttons=("是", "否"): asked.append((text, buttons)) or 0
    restarted = []
    monkeypatch.setattr(type(win), "restart_app", lambda self: restarted.append(True) or True)
    assert win.language_actions["zh"].isChecked()
    assert "Chinese" in win.language_actions["en"].text()          # says which parts stay Chinese
    win.language_actions["en"].trigger()
    assert asked and "重新启动" in asked[0][0] and restarted == [True]
    from desktop.settings import load_settings
    assert load_settings().language == "en"


# -- #26: the roster shows what a commissioner reports --------------------------------------------------------
def test_roster_shows_tax_saved_and_marks_the_subsidy(tmp_path, private_config):
    import main
    from calc.evaluate import evaluate
    from calc.money import fen_display
    from desktop.roster_view import COLUMNS, row_cells
    from forms.roster import read_workspace
    from forms.workbook import load_ledger
    from forms.workspace import Workspace
    ledger = load_ledger(main.SAMPLE)
    with Workspace.create(tmp_path / "甲.rdw", ledger) as ws:
        ws.save()
    row = read_workspace(tmp_path / "甲.rdw", use_cache=False)
    ev = evaluate(ledger, row.year)
    certain = ev.tax.tax_saved + ev.hnte_saving + ev.slp_saving
    assert row.tax_saved == certain
    cells = dict(zip(COLUMNS, row_cells(row)))
    assert cells["节税合计"] == fen_display(certain)
    sub = cells["后补助(最高项，不计入合计)"]
    if row.subsidy is not None:
        assert any(k in sub for k in ("预估", "附条件", "最高可得"))


# -- #20, #21: findings in the app's own terms; a new line is never a silent placeholder -------------------
def test_new_line_is_flagged_and_findings_name_the_grid_row(sample_window, qtbot):
    win = sample_window
    page, view, model = _ledger(win)
    view.setCurrentIndex(model.index(3, 0))
    prev_date = model.index(3, 0).data()
    page.add_button.click()
    rid = model.row_id(view.currentIndex().row())
    new = dict(zip([c.field for c in model.columns], win.doc.ws.rows_by_id("lines", {rid})[rid]))
    assert new["date"] == prev_date and new["voucher_no"] is None and new["code"] is None
    qtbot.waitUntil(lambda: any(win.doc.ws.locate(f) and win.doc.ws.locate(f)[1] == rid
                                for f in win.doc.evaluation.findings), timeout=60000)
    f = next(f for f in win.doc.evaluation.findings if win.doc.ws.locate(f) and win.doc.ws.locate(f)[1] == rid)
    where = win.where_text(f)
    assert where.startswith(f"研发支出 第{model.row_of_id(rid) + 1}行"), where
    assert "!" not in where


def test_year_table_headers_explain_themselves(sample_window):
    model = sample_window.pages["years"].model
    tips = [model.headerData(i, Qt.Horizontal, Qt.ToolTipRole) for i in range(model.columnCount())]
    assert any(t and t.startswith("资产总额（季度平均）") for t in tips)
    assert all(t for t in tips)


def test_quick_estimate_amounts_get_separators_on_leaving_the_field(quick, qtbot):
    edit = quick.edits["staff"]
    edit.setFocus()
    QTest.keyClicks(edit, "6000000")
    QTest.keyClick(edit, Qt.Key_Tab)                    # leave the field
    assert edit.text() == "6,000,000.00"


def test_facts_money_shown_with_separators_and_edited_exactly(sample_window, qtbot):
    """Review #28: 补助测算信息 shows 研发经费支出 as 8,214,530.00 like every amount; editing keeps the exact text."""
    win = sample_window
    page = win.pages["facts"]
    win.tabs.setCurrentWidget(page)
    model, view = page.model, page.view
    name_c, value_c = model.column_of("name"), model.column_of("value")
    r = next(i for i in range(model.rowCount()) if str(model.index(i, name_c).data()).startswith("研发经费支出"))
    idx = model.index(r, value_c)
    assert idx.data(Qt.DisplayRole) == "8,214,530.00"
    assert idx.data(Qt.EditRole).replace(",", "") == "8214530.00"
    yes = next(i for i in range(model.rowCount()) if model.index(i, value_c).data(Qt.EditRole) in ("是", "否"))
    assert model.index(yes, value_c).data(Qt.DisplayRole) in ("是", "否")      # non-money facts untouched
    view.setCurrentIndex(idx)
    view.setFocus()
    _type_into_current(qtbot, view, "9000000.5", then=Qt.Key_Return)
    qtbot.waitUntil(lambda: model.index(r, value_c).data(Qt.EditRole) == "9000000.5", timeout=5000)
    assert model.index(r, value_c).data(Qt.DisplayRole) == "9,000,000.50"
    win.resize(1280, 800)
    QApplication.processEvents()
    page.grab().save("/tmp/desktop2_facts.png")
