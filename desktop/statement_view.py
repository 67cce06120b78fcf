"""The benefit statement inside the application: preview, save as PDF, print, export the official workbooks.

The PDF is written by :func:`forms.statement.write_statement` in a worker thread (the UI never waits for it);
its pages are rendered with pypdfium2 into images, shown one under the other scaled to the view width.
Printing renders each page again with pypdfium2 at the printer's resolution and paints it with QPainter.

Signals
    ready(int)          the statement is generated and previewed; argument: page count
    failed(str)         generating the statement failed (the message is also shown in the view)
    printed(int)        pages sent to a printer
    saved(str)          the PDF was saved to this path
    exported(list)      the official workbooks were exported (list of paths as str)
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import threading
import traceback
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRect, QRunnable, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from desktop.results_view import emit
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QScrollArea, QSpinBox,
                               QVBoxLayout, QWidget)

PREVIEW_DPI = 110            # preview pages are rendered once at this resolution, then scaled to the view width
MAX_PRINT_DPI = 300          # printing renders at the printer's resolution, capped (1200 dpi A4 would need 0.5 GB)
_PDFIUM = threading.Lock()   # pdfium is not thread-safe: one document operation at a time
_BUILD = threading.Lock()    # one statement build at a time (reportlab's font registry and page footer are global)


def render_pdf_pages(path: str | Path, dpi: float, pages: list[int] | None = None) -> list[QImage]:
    """Render pages of a PDF into QImages at ``dpi`` (pypdfium2). Safe to call from a worker thread."""
    import pypdfium2 as pdfium

    out = []
    with _PDFIUM:
        pdf = pdfium.PdfDocument(str(path))
        try:
            indices = range(len(pdf)) if pages is None else pages
            for i in indices:
                page = pdf[i]
                try:
                    bitmap = page.render(scale=dpi / 72.0, rev_byteorder=True, prefer_bgrx=True)
                    try:
                        fmt = {"RGBX": QImage.Format.Format_RGBX8888, "RGBA": QImage.Format.Format_RGBA8888,
                               "RGB": QImage.Format.Format_RGB888, "L": QImage.Format.Format_Grayscale8,
                               "BGRX": QImage.Format.Format_RGB32, "BGRA": QImage.Format.Format_ARGB32,
                               "BGR": QImage.Format.Format_BGR888}[bitmap.mode]
                        img = QImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, fmt).copy()
                        img.setDotsPerMeterX(round(dpi / 0.0254))
                        img.setDotsPerMeterY(round(dpi / 0.0254))
                        out.append(img)
                    finally:
                        bitmap.close()
                finally:
                    page.close()
        finally:
            pdf.close()
    return out


def pdf_page_count(path: str | Path) -> int:
    import pypdfium2 as pdfium

    with _PDFIUM:
        pdf = pdfium.PdfDocument(str(path))
        try:
            return len(pdf)
        finally:
            pdf.close()


class _Signals(QObject):
    done = Signal(int, object)        # generation, result
    error = Signal(int, str)          # generation, message


class _Job(QRunnable):
    """Runs ``fn`` off the UI thread and reports through queued signals."""

    def __init__(self, generation: int, fn):
        super().__init__()
        self.generation, self.fn = generation, fn
        self.signals = _Signals()
        self.setAutoDelete(True)

    def run(self):
        try:
            result = self.fn()
        except Exception as exc:                 # reported to the UI, never raised in the pool
            from forms.statement import StatementError
            if isinstance(exc, StatementError):  # a Chinese message naming the field (M2): shown as is
                emit(self.signals.error, self.generation, str(exc))
                return
            detail = traceback.format_exc(limit=3)
            emit(self.signals.error, self.generation, f"{exc.__class__.__name__}: {exc}\n{detail}")
        else:
            emit(self.signals.done, self.generation, result)


def _safe_file_part(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\r\n\t]+', "_", text).strip(" .") or "企业"


class StatementView(QWidget):
    """Preview of the 研发惠企测算结果报告 with 保存PDF…, 打印… and 导出报表…."""

    ready = Signal(int)
    failed = Signal(str)
    printed = Signal(int)
    saved = Signal(str)
    exported = Signal(list)
    regenerate_requested = Signal()     # the user asks for a statement of the current data

    def __init__(self, parent: QWidget | None = None, *, version: str = "", params=None,
                 pool: QThreadPool | None = None):
        super().__init__(parent)
        self.version, self.params = version, params
        self.pool = pool or QThreadPool.globalInstance()
        self.ev = None
        self.pdf_path: Path | None = None
        self.page_count = 0
        self.info: dict = {}
        self.busy = False
        self._generation = 0
        self._jobs: set = set()              # keep signal holders alive until their job reports
        self._images: list[QImage] = []
        self._printer: QPrinter | None = None
        self._labels: list[QLabel] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="rd-statement-")
        self.destroyed.connect(lambda *_, d=self._tmp: d.cleanup())
        self._build()
        self._update_buttons()

    # -- construction ----------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.save_button = QPushButton("保存PDF…")
        self.save_button.clicked.connect(self.save_pdf_dialog)
        self.print_button = QPushButton("打印…")
        self.print_button.clicked.connect(self.print_dialog)
        self.export_button = QPushButton("导出报表…")
        self.export_button.setToolTip("导出 A107012、研发支出辅助账和研发支出辅助账汇总表（Excel）")
        self.export_button.clicked.connect(self.export_dialog)
        self.generate_button = QPushButton(QCoreApplication.translate("StatementView", "生成报告"))
        self.generate_button.setToolTip(QCoreApplication.translate("StatementView", "按当前数据生成报告"))
        self.generate_button.clicked.connect(lambda: emit(self.regenerate_requested))
        bar.addWidget(self.generate_button)
        for b in (self.save_button, self.print_button, self.export_button):
            bar.addWidget(b)
        from PySide6.QtWidgets import QCheckBox
        self.checklist_box = QCheckBox(QCoreApplication.translate("StatementView", "附加留存备查资料清单"))   # off by default; needs checklist_source
        self.checklist_box.toggled.connect(lambda _on: self.ev is not None and self.show_evaluation(self.ev))
        self.checklist_source = None          # ev → calc.evidence.Checklist (set by the main window)
        # the technical appendix (A107012, traces, ledger summaries, findings): off by default, the owner's
        # version is page 1 to sign and the key conditions (1–2 pages)
        self.appendix_box = QCheckBox(QCoreApplication.translate("StatementView", "附技术附录"))
        self.appendix_box.setToolTip(QCoreApplication.translate(
            "StatementView", "附上A107012、分项目汇总、计算过程追溯、明细账行汇总、检查结果与风险提示详情"))
        self.appendix_box.toggled.connect(lambda _on: self.ev is not None and self.show_evaluation(self.ev))
        bar.addWidget(self.appendix_box)
        self.folder_source = None             # () → the folder file dialogs start in (set by the main window)
        bar.addWidget(self.checklist_box)
        bar.addStretch(1)
        self.status_label = QLabel()
        bar.addWidget(self.status_label)
        bar.addSpacing(12)
        bar.addWidget(QLabel("第"))
        self.page_spin = QSpinBox()
        self.page_spin.setRange(0, 0)
        self.page_spin.valueChanged.connect(self.go_to_page)
        bar.addWidget(self.page_spin)
        self.page_total_label = QLabel("/ 0 页")
        bar.addWidget(self.page_total_label)
        lay.addLayout(bar)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("background: #FDECEA; color: #B3261E; padding: 6px; border: 1px solid #F0B8B3;")
        self.error_label.hide()
        lay.addWidget(self.error_label)
        # stale: the data changed after this statement was generated (review desktop-app #1)
        self.stale = False
        self.stale_bar = QWidget()
        stale_lay = QHBoxLayout(self.stale_bar)
        stale_lay.setContentsMargins(6, 4, 6, 4)
        self.stale_label = QLabel(QCoreApplication.translate(
            "StatementView", "数据已修改，此报告已过期（与当前数据不符），不能保存或打印。请重新生成。"))
        self.stale_label.setWordWrap(True)
        self.stale_bar.setStyleSheet("background: #FFF4CE; color: #7A4F01; border: 1px solid #E8C766;")
        self.regenerate_button = QPushButton(QCoreApplication.translate("StatementView", "重新生成报告"))
        self.regenerate_button.clicked.connect(lambda: emit(self.regenerate_requested))
        stale_lay.addWidget(self.stale_label, 1)
        stale_lay.addWidget(self.regenerate_button)
        self.stale_bar.hide()
        lay.addWidget(self.stale_bar)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)   # pages fit the width
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)      # … which stays stable
        self.scroll.setStyleSheet("QScrollArea { background: #7F8790; }")
        self.pages_widget = QWidget()
        self.pages_widget.setStyleSheet("background: #7F8790;")
        self.pages_layout = QVBoxLayout(self.pages_widget)
        self.pages_layout.setContentsMargins(12, 12, 12, 12)
        self.pages_layout.setSpacing(12)
        self.pages_layout.addStretch(1)
        self.scroll.setWidget(self.pages_widget)
        self.scroll.verticalScrollBar().valueChanged.connect(self._sync_spin)
        lay.addWidget(self.scroll, 1)
        self.placeholder = QLabel("尚未生成报告")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: white;")
        self.pages_layout.insertWidget(0, self.placeholder)
        self._rescale_timer = QTimer(self)
        self._rescale_timer.setSingleShot(True)
        self._rescale_timer.setInterval(60)
        self._rescale_timer.timeout.connect(self._rescale)

    # -- generation ------------------------------------------------------------------------------
    def show_evaluation(self, ev) -> None:
        """Write the statement of ``ev`` in a worker thread and preview it when done (``ready``/``failed``)."""
        self.ev = ev
        self._generation += 1
        gen = self._generation
        self.error_label.hide()
        self.stale = False
        self.stale_bar.hide()
        if ev is None:
            self._clear_pages("尚未生成报告")
            self.pdf_path, self.page_count, self.busy = None, 0, False
            self._update_buttons()
            return
        self.busy = True
        self.status_label.setText("正在生成报告…")
        self._update_buttons()
        path = Path(self._tmp.name) / f"statement_{gen}.pdf"
        params, version = self.params, self.version
        checklist = None
        if self.checklist_box.isChecked() and self.checklist_source is not None and ev.period == "year":
            try:
                checklist = self.checklist_source(ev)
            except Exception:             # noqa: BLE001 - the statement is still produced without the appendix
                checklist = None

        appendix = self.appendix_box.isChecked()

        def work():
            from forms.statement import write_statement
            with _BUILD:
                info = write_statement(ev, path, params, issued=dt.date.today(), version=version,
                                       checklist=checklist, appendix=appendix)
            images = render_pdf_pages(path, PREVIEW_DPI)
            return path, info, images

        self._start(gen, work, self._on_generated, self._on_failed)

    def _start(self, gen: int, fn, on_done, on_error) -> None:
        job = _Job(gen, fn)
        holder = job.signals
        self._jobs.add(holder)

        def done(g, result, holder=holder):
            self._jobs.discard(holder)
            if shiboken6.isValid(self):                  # the view may have been closed meanwhile
                on_done(g, result)

        def error(g, message, holder=holder):
            self._jobs.discard(holder)
            if shiboken6.isValid(self):
                on_error(g, message)

        holder.done.connect(done, Qt.ConnectionType.QueuedConnection)
        holder.error.connect(error, Qt.ConnectionType.QueuedConnection)
        self.pool.start(job)

    def _on_generated(self, gen: int, result) -> None:
        if gen != self._generation:                      # a newer evaluation was shown meanwhile
            return
        path, info, images = result
        old = self.pdf_path
        self.pdf_path, self.info, self._images = Path(path), info or {}, images
        self.page_count = len(images)
        self.busy = False
        if old is not None and old != self.pdf_path and self._printer is None:
            try:
                old.unlink()
            except OSError:
                pass
        self._show_pages()
        missing = self.info.get("missing_characters") or {}
        note = f"；{len(missing)} 个字符字体不支持，已显示为“〓”" if missing else ""
        self.status_label.setText(f"报告已生成{note}")
        self._update_buttons()
        emit(self.ready, self.page_count)

    def _on_failed(self, gen: int, message: str) -> None:
        if gen != self._generation:
            return
        self.busy = False
        self.status_label.setText("生成失败")
        self.show_error("生成报告失败：" + message.splitlines()[0], message)
        self._update_buttons()
        emit(self.failed, message.splitlines()[0])

    def mark_stale(self) -> None:
        """The data changed after the shown statement was made: say so at once and refuse to save or print it
        (a saved or printed statement always matches the current data)."""
        if self.ev is None and self.pdf_path is None and not self.busy:
            return                                         # nothing generated yet: nothing can be stale
        self._generation += 1                              # a build under way is for old data: drop its result
        self.busy = False
        self.stale = True
        self.stale_bar.show()
        self.status_label.setText(QCoreApplication.translate("StatementView", "报告已过期"))
        self._update_buttons()

    def show_error(self, text: str, detail: str = "") -> None:
        self.error_label.setText(text)
        self.error_label.setToolTip(detail or text)
        self.error_label.show()

    # -- preview ---------------------------------------------------------------------------------
    def _clear_pages(self, text: str = "") -> None:
        for lab in self._labels:
            self.pages_layout.removeWidget(lab)
            lab.deleteLater()
        self._labels = []
        self._images = []
        self.placeholder.setText(text)
        self.placeholder.setVisible(bool(text))
        self.page_spin.blockSignals(True)
        self.page_spin.setRange(0, 0)
        self.page_spin.blockSignals(False)
        self.page_total_label.setText("/ 0 页")

    def _show_pages(self) -> None:
        images = self._images
        self._clear_pages("")
        self._images = images
        for i, _img in enumerate(images):
            lab = QLabel()
            lab.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            lab.setStyleSheet("background: white; border: 1px solid #50575E;")
            lab.setToolTip(f"第 {i + 1} 页")
            self.pages_layout.insertWidget(i, lab, 0, Qt.AlignmentFlag.AlignHCenter)
            self._labels.append(lab)
        self.page_spin.blockSignals(True)
        self.page_spin.setRange(1 if images else 0, len(images))
        self.page_spin.setValue(1 if images else 0)
        self.page_spin.blockSignals(False)
        self.page_total_label.setText(f"/ {len(images)} 页")
        self._rescale()

    def page_width(self) -> int:
        """The width pages are shown at: the view width less margins and the scroll bar."""
        m = self.pages_layout.contentsMargins()
        w = self.scroll.viewport().width() - m.left() - m.right() - 2
        return max(200, w)

    def _rescale(self) -> None:
        if not self._images:
            return
        width = self.page_width()
        for img, lab in zip(self._images, self._labels):
            pm = QPixmap.fromImage(img).scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
            lab.setPixmap(pm)
            lab.setFixedSize(pm.size() + QSize(2, 2))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self._images:
            self._rescale_timer.start()

    def page_image(self, index: int) -> QImage:
        """The preview image of page ``index`` (0-based), at PREVIEW_DPI."""
        return self._images[index]

    def go_to_page(self, number: int) -> None:
        if 1 <= number <= len(self._labels):
            self.pages_layout.activate()                     # positions are valid before the first paint too
            self.pages_widget.resize(self.pages_widget.width(), self.pages_widget.sizeHint().height())
            lab = self._labels[number - 1]
            self.scroll.verticalScrollBar().setValue(max(0, lab.y() - self.pages_layout.spacing()))

    def _sync_spin(self, value: int) -> None:
        if not self._labels:
            return
        current = 1
        for i, lab in enumerate(self._labels):
            if lab.y() <= value + self.scroll.viewport().height() // 3:
                current = i + 1
        self.page_spin.blockSignals(True)
        self.page_spin.setValue(current)
        self.page_spin.blockSignals(False)

    def _update_buttons(self) -> None:
        have = self.pdf_path is not None and not self.busy and not self.stale
        if hasattr(self, "generate_button"):
            self.generate_button.setVisible(self.pdf_path is None and not self.busy)
        self.save_button.setEnabled(have)
        self.print_button.setEnabled(have)
        self.export_button.setEnabled(self.ev is not None and not self.stale)

    # -- save ------------------------------------------------------------------------------------
    def default_file_name(self) -> str:
        """"<企业名称>_<年度>_研发惠企测算报告.pdf"."""
        ev = self.ev
        name = (ev.ledger.profile.name if ev is not None else None) or "企业"
        year = ev.year if ev is not None else ""
        return f"{_safe_file_part(name)}_{year}_研发惠企测算报告.pdf"

    def save_pdf(self, path: str | Path) -> Path:
        """Copy the generated statement to ``path`` (atomically: a temporary file next to it, then renamed)."""
        if self.pdf_path is None or self.busy:
            raise RuntimeError("报告尚未生成")
        if self.stale:
            raise RuntimeError("数据已修改，报告已过期，请重新生成")
        target = Path(path)
        if target.suffix.lower() != ".pdf":
            target = target.with_name(target.name + ".pdf")
        tmp = target.with_name(f".{target.name}.part")
        shutil.copyfile(self.pdf_path, tmp)
        tmp.replace(target)
        emit(self.saved, str(target))
        return target

    def save_pdf_dialog(self) -> Path | None:
        if self.pdf_path is None or self.stale or self.busy:
            return None
        start = str(Path(self._start_folder()) / self.default_file_name())
        path, _ = QFileDialog.getSaveFileName(self, "保存报告", start, "PDF 文件 (*.pdf)")
        if not path:
            return None
        try:
            return self.save_pdf(path)
        except OSError as exc:
            QMessageBox.critical(self, "保存失败", f"无法保存到 {path}：\n{exc}")
            return None

    def _start_folder(self) -> str:
        try:
            return str(self.folder_source()) if self.folder_source is not None else str(Path.home())
        except Exception:             # noqa: BLE001 — a starting folder is only a convenience
            return str(Path.home())

    # -- print -----------------------------------------------------------------------------------
    def print_dialog(self) -> int:
        if self.pdf_path is None or self.busy or self.stale:
            return 0
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.default_file_name()[:-4])
        printer.setFromTo(1, self.page_count)
        dlg = QPrintDialog(printer, self)
        dlg.setWindowTitle("打印报告")
        dlg.setMinMax(1, self.page_count)
        if dlg.exec() != QPrintDialog.DialogCode.Accepted:
            return 0
        self.print_async(printer)
        return 1

    def print_async(self, printer: QPrinter) -> None:
        """:meth:`print_to` in a worker thread (Qt supports painting on a QPrinter outside the GUI thread);
        ``printed`` when done, errors shown in the view and as ``failed``."""
        self.status_label.setText("正在打印…")
        self.print_button.setEnabled(False)
        self._printer = printer                    # kept alive until the job reports

        def done(_g, count):
            self._printer = None
            self._update_buttons()
            self.status_label.setText(f"已打印 {count} 页")
            emit(self.printed, count)

        def error(_g, message):
            self._printer = None
            self._update_buttons()
            self.status_label.setText("打印失败")
            self.show_error("打印失败：" + message.splitlines()[0], message)
            emit(self.failed, message.splitlines()[0])

        self._start(-2, lambda: self._print_pages(printer), done, error)

    def print_to(self, printer: QPrinter) -> int:
        """Print the statement on ``printer`` (honours its page range); returns the number of pages printed.

        Each page is rendered with pypdfium2 at the printer's resolution (capped at MAX_PRINT_DPI) and
        painted over the full sheet, keeping its aspect ratio; the PDF carries its own margins."""
        count = self._print_pages(printer)
        emit(self.printed, count)
        return count

    def _print_pages(self, printer: QPrinter) -> int:
        if self.pdf_path is None:
            raise RuntimeError("报告尚未生成")
        if self.stale:
            raise RuntimeError("数据已修改，报告已过期，请重新生成")
        first, last = 1, self.page_count
        if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
            first, last = max(1, printer.fromPage()), min(self.page_count, printer.toPage() or self.page_count)
        pages = list(range(first - 1, last))
        if not pages:
            return 0
        printer.setFullPage(True)
        if not printer.docName():
            printer.setDocName(self.default_file_name()[:-4])
        dpi = min(printer.resolution(), MAX_PRINT_DPI)
        painter = QPainter()
        if not painter.begin(printer):
            raise RuntimeError("无法开始打印（打印机不可用）")
        count = 0
        try:
            for n, index in enumerate(pages):
                if n:
                    printer.newPage()
                img = render_pdf_pages(self.pdf_path, dpi, [index])[0]
                target = painter.viewport()
                size = img.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                rect = QRect(target.x() + (target.width() - size.width()) // 2,
                             target.y() + (target.height() - size.height()) // 2, size.width(), size.height())
                painter.drawImage(rect, img)
                count += 1
        finally:
            painter.end()
        return count

    # -- export ----------------------------------------------------------------------------------
    def export_reports(self, folder: str | Path) -> None:
        """Export the official workbooks of the shown evaluation into ``folder`` in a worker (``exported``)."""
        if self.ev is None:
            raise RuntimeError("没有可导出的结果")
        if self.stale:
            raise RuntimeError("数据已修改，报告已过期，请重新生成")
        ev, params = self.ev, self.params
        self.status_label.setText("正在导出报表…")
        self.export_button.setEnabled(False)

        def work():
            from forms.exports import export_all
            Path(folder).mkdir(parents=True, exist_ok=True)
            return [str(p) for p in export_all(ev, folder, params)]

        def done(_g, paths):
            self.export_button.setEnabled(self.ev is not None)
            self.status_label.setText(f"已导出 {len(paths)} 个文件到 {folder}")
            emit(self.exported, list(paths))

        def error(_g, message):
            self.export_button.setEnabled(self.ev is not None)
            self.status_label.setText("导出失败")
            self.show_error("导出报表失败：" + message.splitlines()[0], message)
            emit(self.failed, message.splitlines()[0])

        self._start(-1, work, done, error)

    def export_dialog(self) -> None:
        if self.ev is None:
            return
        folder = QFileDialog.getExistingDirectory(self, "选择导出文件夹", self._start_folder())
        if folder:
            self.export_reports(folder)
