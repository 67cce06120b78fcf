"""The import wizard (desktop/import_wizard.py) driven offscreen with pytest-qt on a messy 用友 U8 voucher export."""
from __future__ import annotations

import ctypes
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _immortalize_singletons() -> None:
    """PySide6 6.12 (an abi3 wheel) on Python 3.11 drops one reference to None on every call of a void method
    (setText, processEvents, qWait…) and one to True on every Python signal emit; on 3.12+ they are immortal
    and nothing happens, on 3.11 the interpreter aborts after a few thousand calls ("none_dealloc").  Give them
    a huge reference count, as 3.12 does.  (Belongs in tests/conftest.py and the application's startup.)"""
    if sys.version_info >= (3, 12):
        return
    for obj in (None, True, False):
        ref = ctypes.c_ssize_t.from_address(id(obj))
        if ref.value < 1 << 40:
            ref.value += 1 << 42


_immortalize_singletons()

import datetime as dt  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QFontDatabase  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QStyleOptionViewItem, QWizard  # noqa: E402

import main  # noqa: E402
from desktop.import_wizard import (CODE_ROLE, COL_AMOUNT, COL_CODE, COL_KEEP, COL_PROJECT, PAGE_CHECK,  # noqa: E402
                                   PAGE_FILE, PAGE_HEADER, PAGE_IMPORT, PAGE_MAPPING, ImportWizard)
from forms import erp_import as E  # noqa: E402
from forms.workbook import load_ledger  # noqa: E402
from forms.workspace import Workspace  # noqa: E402
from tests.test_erp_import import make_u8_voucher  # noqa: E402

FONT = Path(__file__).resolve().parent.parent / "resources" / "fonts" / "wqy-microhei.ttc"
PRESET = "我的U8导出"
LABEL = "导入ERP凭证：u8凭证.xlsx"
TIMEOUT = 15000


@pytest.fixture(autouse=True)
def _cjk_font(qapp):
    try:
        from desktop.fonts import ensure_font
        ensure_font(qapp)
    except ImportError:
        fid = QFontDatabase.addApplicationFont(str(FONT))
        families = QFontDatabase.applicationFontFamilies(fid)
        if families:
            font = qapp.font()
            font.setFamily(families[0])
            qapp.setFont(font)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))     # never the real user folder
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
    ws = Workspace.create(tmp_path / "s.rdw", load_ledger(main.SAMPLE))
    export = make_u8_voucher(tmp_path / "u8凭证.xlsx")
    yield ws, export, tmp_path / "presets"
    ws.close(discard=True)


def open_wizard(qtbot, ws, export, preset_dir) -> ImportWizard:
    wiz = ImportWizard(ws, path=export, preset_dir=preset_dir)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(lambda: not wiz.busy and wiz.source is not None, timeout=TIMEOUT)
    assert wiz.currentId() == PAGE_FILE
    return wiz


def next_page(wiz, expected: int) -> None:
    assert wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    wiz.next()
    assert wiz.currentId() == expected


def wait_converted(qtbot, wiz) -> None:
    qtbot.waitUntil(lambda: not wiz.busy and wiz.conversion is not None, timeout=TIMEOUT)


def line_index(wiz, excel_row: int) -> int:
    lines = wiz.check_page.model.lines
    return next(i for i, ln in enumerate(lines) if ln["origin"]["row"] == excel_row)


def tree_findings(wiz) -> dict[str, list]:
    out: dict[str, list] = {}
    tree = wiz.check_page.findings
    for k in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(k)
        out[top.data(0, CODE_ROLE)] = [top.child(j) for j in range(top.childCount())]
    return out


def test_wizard_imports_a_messy_u8_export(qtbot, env):
    ws, export, preset_dir = env
    lines_before = ws.count("lines")
    projects_before = [p["project_no"] for p in ws.rows("projects")]
    undo_before = ws.undo_label

    wiz = open_wizard(qtbot, ws, export, preset_dir)
    # ---- 1. 选择文件
    page = wiz.file_page
    assert page.path.text() == str(export)
    assert wiz.sheet == "凭证列表" and page.sheet.currentData() == "凭证列表"
    assert page.error.text() == "" and "u8凭证.xlsx" in page.info.text()
    next_page(wiz, PAGE_HEADER)

    # ---- 2. 表头与格式: detected header row 5, the U8 preset preselected with its score
    hp = wiz.header_page
    assert wiz.header.excel_row == 5 and hp.row.value() == 5
    assert hp.raw.header_rows == {4} and hp.raw.rowCount() >= 21
    assert "第5行" in hp.header_info.text() and "2024" in hp.header_info.text()
    assert wiz.preset.id == "yonyou-u8-voucher" and wiz.scores["yonyou-u8-voucher"] == 1.0
    assert hp.preset.currentData().id == "yonyou-u8-voucher" and "100%" in hp.score.text()
    hp.row.setValue(6)                                   # the user moves the header: a data row is no header
    assert wiz.header.excel_row == 6 and hp.raw.header_rows == {5}
    assert not wiz.header_auto
    hp.row.setValue(5)
    assert wiz.header_auto and wiz.mapping.columns["debit"] == "借方金额"
    next_page(wiz, PAGE_MAPPING)

    # ---- 3. 列对应: one combo per field; a missing amount column blocks Next
    mp = wiz.mapping_page
    assert set(mp.combos) == set(E.FIELD_LABELS)
    assert mp.combos["date"].currentData() == "制单日期" and mp.combos["project"].currentData() == "项目"
    assert mp.combos["year"].currentData() is None
    mp.combos["debit"].setCurrentIndex(0)
    assert not mp.isComplete() and not wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    assert any("借方" in mp.problems.item(k).text() for k in range(mp.problems.count()))
    mp.combos["debit"].setCurrentIndex(mp.combos["debit"].findData("借方金额"))
    assert mp.isComplete() and wiz.mapping.columns["debit"] == "借方金额"
    saved = wiz.save_current_preset(PRESET)
    assert saved.name == PRESET and "工作区" in mp.saved.text()
    next_page(wiz, PAGE_CHECK)

    # ---- 4. 预览与检查
    wait_converted(qtbot, wiz)
    cp = wiz.check_page
    model = cp.model
    assert [ln["origin"]["row"] for ln in model.lines] == [6, 8, 10, 11, 12, 13, 14, 15, 16, 18]
    status = {ln["origin"]["row"]: ln["status"] for ln in model.lines}
    assert status[11] == status[12] == "error" and status[14] == status[18] == "review" and status[6] == "ok"
    i18 = line_index(wiz, 18)
    assert model.data(model.index(i18, COL_PROJECT)) == "RD99（未登记）"
    assert model.missing(i18) == ["code", "project"]
    assert model.flags(model.index(line_index(wiz, 11), COL_CODE)) & Qt.ItemFlag.ItemIsEditable == \
        Qt.ItemFlag.NoItemFlags                                             # error lines are not imported
    assert not cp.isComplete() and not wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "1 行" in cp.note.text()

    # findings grouped by code; info groups collapsed; double-click jumps to the cell
    groups = tree_findings(wiz)
    assert {"E_ERP_AMOUNT", "E_ERP_DATE", "W_ERP_NO_CODE", "W_ERP_PROJECT_UNKNOWN", "I_ERP_NOT_RD"} <= set(groups)
    tree = cp.findings
    tops = {tree.topLevelItem(k).data(0, CODE_ROLE): tree.topLevelItem(k) for k in range(tree.topLevelItemCount())}
    assert tops["I_ERP_NOT_RD"].text(0).endswith("（2）") and not tops["I_ERP_NOT_RD"].isExpanded()
    assert tops["E_ERP_AMOUNT"].isExpanded()
    item = groups["E_ERP_AMOUNT"][0]
    assert "12,3a" in item.text(0) and item.text(1) == "凭证列表!F11"
    tree.itemDoubleClicked.emit(item, 0)
    current = cp.proxy.mapToSource(cp.view.currentIndex())
    assert (current.row(), current.column()) == (line_index(wiz, 11), COL_AMOUNT)
    tree.itemDoubleClicked.emit(groups["W_ERP_PROJECT_UNKNOWN"][0], 0)
    current = cp.proxy.mapToSource(cp.view.currentIndex())
    assert (current.row(), current.column()) == (i18, COL_PROJECT)
    skipped = groups["I_ERP_TOTAL_ROW"][0].data(0, Qt.ItemDataRole.UserRole)
    assert not wiz.jump_to_finding(skipped) and "第19行" in cp.note.text()

    # fix the review line: a 费用代码 from the official list, and create the unknown project RD99
    assert not model.setData(model.index(i18, COL_CODE), "X99")               # not a 费用代码
    cell = cp.proxy.mapFromSource(model.index(i18, COL_CODE))                  # the combo editor of the grid
    editor = cp.code_delegate.createEditor(cp.view.viewport(), QStyleOptionViewItem(), cell)
    cp.code_delegate.setEditorData(editor, cell)
    assert editor.currentIndex() == -1 and editor.count() == len(E._code_table())
    editor.setCurrentIndex(editor.findData("R12"))
    assert editor.currentText().startswith("R12") and "样品" in editor.currentText()
    cp.code_delegate.setModelData(editor, cp.proxy, cell)
    editor.deleteLater()
    assert model.data(model.index(i18, COL_CODE)).startswith("R12 ")
    assert model.missing(i18) == ["project"]
    assert not model.setData(model.index(i18, COL_PROJECT), "RD99")           # not registered yet
    assert cp.unknown.count() == 1 and cp.unknown.currentData() == "RD99"
    wiz.add_new_project("RD99", "测试软件平台研发")
    assert model.missing(i18) == [] and cp.unknown.count() == 0 and "RD99" in cp.created.text()
    assert any(v == "RD99" for v, _ in cp._project_items()) and len(cp._code_items()) == len(E._code_table())
    # untick row 13 (0.1 + 0.2 元): kept out of the import
    assert model.setData(model.index(line_index(wiz, 13), COL_KEEP), Qt.CheckState.Unchecked,
                         Qt.ItemDataRole.CheckStateRole)
    assert cp.isComplete() and wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    cp.view.setCurrentIndex(cp.proxy.mapFromSource(model.index(i18, COL_CODE)))
    qtbot.wait(50)
    assert wiz.grab().save("/tmp/wizard.png")

    next_page(wiz, PAGE_IMPORT)
    # ---- 5. 导入
    summary = wiz.import_page.summary.text()
    assert "<b>7</b> 行" in summary and "RD99 测试软件平台研发" in summary and "2 行" in summary
    wiz.button(QWizard.WizardButton.FinishButton).click()
    assert wiz.result() == QDialog.DialogCode.Accepted

    rows = ws.rows("lines")
    assert len(rows) == lines_before + 7
    new = rows[lines_before:]
    assert [r["id"] for r in new] == wiz.imported_ids
    assert [(r["date"], r["voucher_kind"], r["voucher_no"], r["project_no"], r["code"], r["amount"]) for r in new] == [
        ("2024-01-31", "记", "0001", "RD01", "R04", 5_000_000),
        ("2024-02-05", "记", "0012", "RD02", "R08", 123_456),
        ("2024-03-10", "记", "0020", "RD02", "R08", -10_010),
        ("2024-04-02", "记", "0026", "RD01", "R14", 15_000),
        ("2024-05-06", "记", "0030", "RD02", "R15", 300_000),
        ("2024-05-06", "记", "0030", "RD02", "R05", 80_000),
        ("2024-06-01", "记", "0040", "RD99", "R12", 1_000),
    ]
    assert new[0]["summary"] == "计提1月研发人员工资"
    projects = ws.rows("projects")
    assert [p["project_no"] for p in projects] == projects_before + ["RD99"]
    assert (projects[-1]["name"], projects[-1]["form"], projects[-1]["ledger_type"]) == ("测试软件平台研发", "自主研发",
                                                                                          "费用化")
    ledger = ws.ledger()
    assert sum(1 for ln in ledger.lines if ln.date == dt.date(2024, 6, 1) and ln.project_no == "RD99") == 1

    # the audit trail records the import: file, mode, counts (issue #9)
    entry = ws.history(1)[0]
    assert entry["action"] == "import" and entry["new"]["kind"] == "erp" and entry["new"]["mode"] == "append"
    assert entry["new"]["counts"] == {"projects": 1, "lines": 7} and entry["batch_id"] == ws.last_batch_id

    # one undo removes the projects and lines of the import
    assert ws.undo_label == LABEL
    assert ws.undo() == LABEL
    assert ws.count("lines") == lines_before
    assert [p["project_no"] for p in ws.rows("projects")] == projects_before
    assert ws.undo_label == undo_before

    # the preset is in the workspace and in the user folder
    assert [p["name"] for p in ws.presets("erp")] == [PRESET]
    assert ws.presets("erp")[0]["mapping"]["columns"]["debit"] == ["借方金额"]
    user = [p for p in E.load_presets(preset_dir) if p.origin == "user"]
    assert [(p.id, p.name) for p in user] == [("user-" + PRESET, PRESET)]
    assert user[0].columns["date"] == ("制单日期",)


def test_wizard_reruns_with_the_saved_preset(qtbot, env, tmp_path):
    ws, export, preset_dir = env
    first = open_wizard(qtbot, ws, export, preset_dir)
    next_page(first, PAGE_HEADER)
    next_page(first, PAGE_MAPPING)
    first.mapping_page.combos["voucher_kind"].setCurrentIndex(0)
    first.mapping_page.year.setValue(2024)                    # a changed option is kept in the preset
    first.save_current_preset(PRESET)
    first.reject()
    lines_before = ws.count("lines")

    # another computer: the user folder is empty, the preset travels with the workspace file
    wiz = open_wizard(qtbot, ws, export, tmp_path / "elsewhere")
    next_page(wiz, PAGE_HEADER)
    hp = wiz.header_page
    names = [hp.preset.itemData(k).name for k in range(hp.preset.count() - 1)]
    assert PRESET in names
    k = names.index(PRESET)
    assert hp.preset.itemData(k).origin == "workspace" and "工作区" in hp.preset.itemText(k)
    hp.preset.setCurrentIndex(k)                              # the user picks the saved preset
    assert wiz.preset.name == PRESET and wiz.mapping.preset_id == "ws-" + PRESET
    assert wiz.mapping.year == 2024
    assert wiz.mapping.columns == first.mapping.columns
    next_page(wiz, PAGE_MAPPING)
    assert wiz.mapping_page.year.value() == 2024
    next_page(wiz, PAGE_CHECK)
    wait_converted(qtbot, wiz)
    model = wiz.check_page.model
    i18 = line_index(wiz, 18)
    assert model.setData(model.index(i18, COL_CODE), "R12")
    assert model.setData(model.index(i18, COL_PROJECT), "RD02")                # an existing project instead
    assert model.data(model.index(i18, COL_PROJECT)) == "RD02"
    assert wiz.check_page.isComplete()
    next_page(wiz, PAGE_IMPORT)
    assert wiz.accept() is None and wiz.result() == QDialog.DialogCode.Accepted
    new = ws.rows("lines")[lines_before:]
    assert len(new) == 8 == len(wiz.imported_ids)
    assert [r["amount"] for r in new] == [5_000_000, 123_456, -10_010, 30, 15_000, 300_000, 80_000, 1_000]
    assert (new[-1]["project_no"], new[-1]["code"]) == ("RD02", "R12")
    assert [p["project_no"] for p in ws.rows("projects")][-1] == "RD12"       # no project created
    assert ws.undo() == LABEL and ws.count("lines") == lines_before


def test_unreadable_file_and_cancel(qtbot, env, tmp_path):
    ws, export, preset_dir = env
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    wiz = ImportWizard(ws, path=bad, preset_dir=preset_dir)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(lambda: not wiz.busy, timeout=TIMEOUT)
    assert wiz.source is None and wiz.file_page.error.text()          # the reader's message, inline
    assert not wiz.file_page.isComplete() and not wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    wiz.next()
    assert wiz.currentId() == PAGE_FILE

    # cancelling the worker: its late result is ignored
    wiz.load_path(export)
    assert wiz.busy
    wiz.cancel_work()
    assert not wiz.busy and wiz.file_page.error.text() == "已取消读取文件"
    qtbot.wait(300)
    QApplication.processEvents()
    assert wiz.source is None
    wiz.load_path(export)
    qtbot.waitUntil(lambda: not wiz.busy and wiz.source is not None, timeout=TIMEOUT)
    assert wiz.file_page.error.text() == "" and wiz.file_page.isComplete()


def test_big_gbk_csv_converts_off_the_ui_thread(qtbot, env, tmp_path):
    ws, _, preset_dir = env
    rows = ["科目明细账", "日期,凭证号,摘要,科目编码,科目名称,借方金额,贷方金额,项目"]
    for i in range(6000):
        rows.append(f"2024-03-{i % 28 + 1:02d},记-{i + 1},计提研发人员工资,53010101,研发支出/人员人工/工资,"
                    f"{i % 900 + 1}.25,,RD0{i % 3 + 1}")
        rows.append(f"2024-03-{i % 28 + 1:02d},记-{i + 1},计提工资,221101,应付职工薪酬/工资,,{i % 900 + 1}.25,")
    path = tmp_path / "明细账.csv"
    path.write_text("\r\n".join(rows), encoding="gbk")
    lines_before = ws.count("lines")
    wiz = open_wizard(qtbot, ws, path, preset_dir)
    assert wiz.source.kind == "csv" and wiz.header.excel_row == 2
    next_page(wiz, PAGE_HEADER)
    next_page(wiz, PAGE_MAPPING)
    next_page(wiz, PAGE_CHECK)
    assert wiz.busy or wiz.conversion is not None          # the conversion runs on the thread pool
    wait_converted(qtbot, wiz)
    model = wiz.check_page.model
    assert model.rowCount() == 6000 and model.kept_count == 6000 and not model.blockers()
    assert model.kept_total == sum((i % 900 + 1) * 100 + 25 for i in range(6000))
    groups = tree_findings(wiz)
    assert [c.text(0)[-5:] for c in groups["I_ERP_NOT_RD"]] == ["×6000"]      # identical messages once (#33)
    next_page(wiz, PAGE_IMPORT)
    wiz.accept()
    assert ws.count("lines") == lines_before + 6000 == lines_before + len(wiz.imported_ids)
    ws.undo()
    assert ws.count("lines") == lines_before


def test_problems_grouped_with_counts_in_chinese_and_refreshed_after_new_project(qtbot, env, tmp_path):
    """Review #33: identical messages once with ×N, the 位置 column in Chinese (no finding codes), and the
    list follows 新建为研发项目 without 重新检查."""
    import openpyxl
    import re
    ws, export, preset_dir = env
    wb = openpyxl.load_workbook(export)
    sh = wb["凭证列表"]
    for r in (19, 21):
        for c in range(1, 10):
            sh.cell(r, c).value = None
    for k in range(6):                                     # six more lines on the unregistered RD99
        sh.cell(19 + k, 1, dt.datetime(2024, 7, 1 + k))
        for c, v in enumerate((f"记-05{k}", "购买测试软件", "53010109", "研发支出/费用化支出/其他", 10 + k, None,
                               "RD99", "张三"), 2):
            sh.cell(19 + k, c, v)
    wb.save(export)
    wiz = open_wizard(qtbot, ws, export, preset_dir)
    next_page(wiz, PAGE_HEADER)
    next_page(wiz, PAGE_MAPPING)
    next_page(wiz, PAGE_CHECK)
    wait_converted(qtbot, wiz)
    cp = wiz.check_page
    tree = cp.findings
    groups = tree_findings(wiz)
    unknown = groups["W_ERP_PROJECT_UNKNOWN"]
    assert len(unknown) == 1 and unknown[0].text(0) == "项目编号“RD99”未在项目表中登记 ×7"
    assert unknown[0].text(1) == "凭证列表 第18—24行（7处）"
    for k in range(tree.topLevelItemCount()):              # no finding code anywhere in the 位置 column
        top = tree.topLevelItem(k)
        for item in [top] + [top.child(j) for j in range(top.childCount())]:
            assert not re.search(r"[A-Z]_[A-Z]", item.text(1)), item.text(1)
    tree.itemDoubleClicked.emit(unknown[0], 0)             # the grouped entry jumps to its first line
    current = cp.proxy.mapToSource(cp.view.currentIndex())
    assert (current.row(), current.column()) == (line_index(wiz, 18), COL_PROJECT)
    wiz.resize(1100, 760)
    qtbot.wait(50)
    wiz.grab().save(str(tmp_path / "before.png"))
    wiz.grab().save("/tmp/desktop2_wizard_problems.png")
    wiz.add_new_project("RD99", "测试软件平台研发")            # as 新建为研发项目… does
    assert "W_ERP_PROJECT_UNKNOWN" not in tree_findings(wiz)
    assert "E_ERP_AMOUNT" in tree_findings(wiz)            # the other problems stay
