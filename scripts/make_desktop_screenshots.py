"""Screenshots of the views changed for issue 18 (review desktop-app), for docs/manual/images:
start page, stale statement banner, region policy picker, import wizard with 结转 and duplicates, 快速测算 headline.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_desktop_screenshots.py
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
IMAGES = ROOT / "docs" / "manual" / "images"


def wait(app, cond, limit=600):
    import time
    end = time.time() + limit
    while not cond():
        app.processEvents()
        if time.time() > end:
            raise TimeoutError
        time.sleep(0.02)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="rd-shots-"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
    import desktop  # noqa: F401
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from desktop.fonts import ensure_font
    ensure_font(app)
    from desktop.main_window import MainWindow
    IMAGES.mkdir(parents=True, exist_ok=True)

    win = MainWindow()
    win.ask = lambda *a, **k: 1
    win.resize(1280, 720)
    win.show()
    app.processEvents()
    win.grab().save(str(IMAGES / "start_page.png"))

    win.open_sample()
    wait(app, lambda: win.doc.evaluation is not None)
    # the statement goes stale after an edit
    win.save_statement()
    view = win.statement
    wait(app, lambda: view.pdf_path is not None and not view.busy)
    model = win.pages["lines"].model
    col = model.column_of("amount")
    model.setData(model.index(0, col), "99,999.00")
    win.tabs.setCurrentWidget(view)
    app.processEvents()
    win.grab().save(str(IMAGES / "statement_stale.png"))

    # the region policy picker
    from desktop.pack_picker import PackPickerDialog
    dlg = PackPickerDialog(["ningxia-2022"], win)
    dlg.search.setText("苏州")
    dlg.show()
    app.processEvents()
    dlg.grab().save(str(IMAGES / "pack_picker.png"))
    dlg.close()

    # the import wizard: 结转 and duplicates
    from desktop.import_wizard import PAGE_CHECK, ImportWizard
    from tests.test_gui_desktop_review import _u8_with_carry_over
    path = _u8_with_carry_over(tmp / "u8序时账.xlsx")
    ws = win.doc.ws
    wiz = ImportWizard(ws, path=path, preset_dir=tmp / "presets")
    wiz.resize(1280, 720)
    wiz.show()
    wait(app, lambda: not wiz.busy and wiz.source is not None)
    while wiz.currentId() != PAGE_CHECK:
        wiz.next()
    wait(app, lambda: not wiz.busy and wiz.conversion is not None)
    app.processEvents()
    wiz.grab().save(str(IMAGES / "import_transfer.png"))
    wiz.close()

    # 快速测算: the headline is the certain tax effect; the subsidy apart
    from desktop.quick_estimate import QuickEstimateDialog
    q = QuickEstimateDialog(win)
    q.resize(1280, 720)
    q.set_values({"name": "中卫市恒远新材料有限公司", "year": "2025", "industry_code": "C2661",
                  "staff": "1,200,000", "direct": "1,000,000", "depreciation": "300,000", "design": "300,000",
                  "other": "200,000", "main_revenue": "50,000,000", "total_income": "50,000,000",
                  "taxable_income": "6,000,000", "staff_total": "80", "staff_rd": "15",
                  "hnte_cert_no": "GR202364000123", "hnte_cert_date": "2023-11-20", "profile:resident": True,
                  "packs": ["ningxia-2022"]})
    q.show()
    q.compute()
    app.processEvents()
    q.grab().save(str(IMAGES / "quick_estimate_headline.png"))
    q.close()
    win.doc.detach(discard=True)
    print("written:", ", ".join(p for p in ("start_page.png", "statement_stale.png", "pack_picker.png",
                                             "import_transfer.png", "quick_estimate_headline.png")))


if __name__ == "__main__":
    main()
