"""快速测算: one form of totals → the same results and statement with no ledger (issue 6, item 6).

A thin shell over :mod:`calc.quick`: the fields, their parsing and validation, the synthetic ledger
and the evaluation all live there; this dialog lays the fields out, shows each field's problem under
it while the user types, and hands the evaluation to the results view, the statement writer and the
workbook writer (so the advisor can continue in the full ledger later).

For tests and callers: :meth:`QuickEstimateDialog.set_values`, :meth:`~QuickEstimateDialog.values`,
:meth:`~QuickEstimateDialog.compute`, :attr:`~QuickEstimateDialog.evaluation`,
:meth:`~QuickEstimateDialog.write_statement_to`, :meth:`~QuickEstimateDialog.save_workbook_to`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QFrame, QGridLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QScrollArea, QSplitter, QTextBrowser, QVBoxLayout, QWidget)

from calc.identifiers import industry_name, normalize_industry_code
from calc.money import fen_display, rate_percent
from calc.params import Params, load_params
from calc.quick import (FIELD_BY_KEY, QUICK_FACTS, QUICK_FIELDS, QUICK_INTERPRETATION, check_field, evaluate_quick,
                        fact_label, parse_quick)

GROUPS = (
    ("企业", "企业"),
    ("研发费用", "研发费用（按类别，全年合计）"),
    ("委托研发", "委托研发"),
    ("收入与人员", "收入与人员"),
    ("所得税", "所得税"),
    ("身份", "身份"),
    ("以前年度", "以前年度（高新技术企业近三年指标，可选）"),
    ("后补助", "后补助"),
)
PRIOR_ROWS = ("main_revenue", "other_revenue", "rd_hnte", "rd_domestic", "total_assets", "total_liabilities",
              "taxable_income")
TRI = ("未填", "是", "否")
TRI_VALUES = {0: None, 1: True, 2: False}
ERROR_STYLE = "color: #B3261E; font-size: 9pt;"
BAD_EDIT = "QLineEdit { border: 1px solid #B3261E; background: #FDECEA; }"
CONFIDENCE = {"solid": ("正式规则", "#1E7B34"), "provisional": ("暂定规则", "#B26A00")}


def _tri_combo() -> QComboBox:
    box = QComboBox()
    box.addItems(TRI)
    return box


class QuickEstimateDialog(QDialog):
    """The quick-estimate form with its results. ``evaluation`` is the latest successful result."""

    workbook_saved = Signal(str)      # path of a workbook written by 保存为工作簿…
    statement_saved = Signal(str)     # path of a statement PDF written by 生成报告…

    def __init__(self, parent: QWidget | None = None, params: Params | None = None):
        super().__init__(parent)
        self.setWindowTitle("快速测算（按汇总数，无需明细账）")
        from .ledger_view import install_wheel_guard
        install_wheel_guard()                 # the wheel scrolls the form, never flips an unfocused combo box
        self.params = params or load_params()
        self.evaluation = None
        self.quick_input = None
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self.checks: dict[str, QCheckBox] = {}
        self.combos: dict[str, QComboBox] = {}
        self._build()
        self.set_values({"year": str(dt.date.today().year - 1), "industry_code": "C"})
        self.resize(1280, 860)

    # -- construction ------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 10, 10, 10)
        intro = QLabel("按全年汇总数测算加计扣除、所得税、高新技术企业、科技型中小企业和后补助。"
                       "金额单位为元，可输入 1,234.56 或 ¥1234.56（不支持“万”）；"
                       f"结果按合成账簿计算（解释口径 {QUICK_INTERPRETATION}），正式申报以辅助账为准。")
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #333;")
        outer.addWidget(intro)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(self.splitter, 1)

        form_host = QWidget()
        self.form_layout = QVBoxLayout(form_host)
        self.form_layout.setContentsMargins(0, 0, 6, 0)
        self.groups: dict[str, QGroupBox] = {}
        forms: dict[str, QFormLayout] = {}
        for gid, title in GROUPS:
            box = QGroupBox(title)
            self.groups[gid] = box
            self.form_layout.addWidget(box)
            if gid in ("以前年度", "后补助"):
                continue
            fl = QFormLayout(box)
            fl.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            fl.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            fl.setVerticalSpacing(4)
            forms[gid] = fl
        self._form_labels: list[QLabel] = []
        for f in QUICK_FIELDS:
            if f.group in forms:
                forms[f.group].addRow(self._label(f.label, f.help), self._field(f))
        self._build_prior(self.groups["以前年度"])
        self._build_subsidy(self.groups["后补助"])
        self.form_layout.addStretch(1)
        # one label column width for every group, so the fields line up down the form
        width = max(lab.sizeHint().width() for lab in self._form_labels)
        for lab in self._form_labels:
            lab.setMinimumWidth(width)
            lab.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form_host)
        scroll.setMinimumWidth(470)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.splitter.addWidget(scroll)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)
        head = QFrame()
        head.setObjectName("quickHead")
        head.setStyleSheet("#quickHead { background: #EEF4FA; border: 1px solid #C9D9EA; border-radius: 4px; }")
        hl = QVBoxLayout(head)
        hl.setContentsMargins(10, 6, 10, 6)
        self.extra_label = QLabel()
        self.extra_label.setStyleSheet("color: #1F4E79; font-size: 14pt; font-weight: bold;")
        self.saving_label = QLabel()
        self.total_label = QLabel()
        line = QHBoxLayout()
        line.addWidget(self.extra_label)
        line.addStretch(1)
        line.addWidget(self.saving_label)
        hl.addLayout(line)
        hl.addWidget(self.total_label)
        for lab in (self.extra_label, self.saving_label, self.total_label):
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(ERROR_STYLE)
        hl.addWidget(self.problems_label)
        rl.addWidget(head)
        self.results = self._results_widget()
        rl.addWidget(self.results, 1)
        if self.results_view is not None:
            self.total_label.hide()           # the results view's own header shows the total benefit
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([520, 760])

        buttons = QHBoxLayout()
        self.compute_button = QPushButton("计算")
        self.compute_button.setDefault(True)
        self.compute_button.clicked.connect(self.compute)
        self.report_button = QPushButton("生成报告…")
        self.report_button.clicked.connect(self.save_statement)
        self.workbook_button = QPushButton("保存为工作簿…")
        self.workbook_button.setToolTip("保存为标准工作簿，可在完整账簿中继续编辑（导入到工作区）")
        self.workbook_button.clicked.connect(self.save_workbook)
        self.close_button = QPushButton("关闭")
        self.close_button.clicked.connect(self.reject)
        for b in (self.report_button, self.workbook_button, self.close_button):
            b.setAutoDefault(False)
        self.status_label = QLabel()
        self.status_label.setStyleSheet("color: #555;")
        buttons.addWidget(self.compute_button)
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.workbook_button)
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.close_button)
        outer.addLayout(buttons)
        self._show_evaluation(None)

    def _label(self, text: str, help_text: str = "") -> QLabel:
        lab = QLabel(text)
        if help_text:
            lab.setToolTip(help_text)
        self._form_labels.append(lab)
        return lab

    def _field(self, f) -> QWidget:
        if f.kind == "bool":
            if f.key == "ic_or_machine_tool":
                box = QCheckBox("是")
                box.setToolTip(f.help)
                self.checks[f.key] = box
                box.toggled.connect(self._changed)
                return box
            combo = _tri_combo()
            combo.setToolTip(f.help)
            self.combos[f.key] = combo
            combo.currentIndexChanged.connect(self._changed)
            return combo
        host = QWidget()
        vl = QVBoxLayout(host)
        vl.setContentsMargins(0, 0, 0, 0)
        vl.setSpacing(1)
        row = QHBoxLayout()
        row.setSpacing(4)
        edit = QLineEdit()
        edit.setObjectName(f.key)
        edit.setToolTip(f.help)
        if f.kind in ("amount", "signed_amount"):
            edit.setPlaceholderText("0.00")
            edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif f.kind == "date":
            edit.setPlaceholderText("如 2023-07-01")
        elif f.help and f.kind in ("text", "industry", "int"):
            edit.setPlaceholderText(f.help if len(f.help) <= 24 else "")
        row.addWidget(edit, 1)
        if f.kind in ("amount", "signed_amount"):
            unit = QLabel("元")
            unit.setStyleSheet("color: #666;")
            row.addWidget(unit)
        vl.addLayout(row)
        if f.key == "industry_code":
            self.industry_label = QLabel()
            self.industry_label.setStyleSheet("color: #555; font-size: 9pt;")
            vl.addWidget(self.industry_label)
        err = QLabel()
        err.setStyleSheet(ERROR_STYLE)
        err.setWordWrap(True)
        err.hide()
        vl.addWidget(err)
        self.edits[f.key] = edit
        self.errors[f.key] = err
        edit.textChanged.connect(lambda text, key=f.key: self._on_text(key, text))
        if f.kind in ("amount", "signed_amount"):
            edit.editingFinished.connect(lambda e=edit: self._format_amount(e))
        return host

    @staticmethod
    def _format_amount(edit: QLineEdit) -> None:
        """On leaving an amount field: separators, so 6000000 and 60000000 can be told apart (review #12)."""
        from calc.money import AmountError, parse_amount
        text = edit.text().strip()
        if not text:
            return
        try:
            fen = parse_amount(text)
        except (AmountError, ValueError):
            return                          # the field's own message says what is wrong
        if fen is not None and fen_display(fen) != text:
            edit.setText(fen_display(fen))

    def _build_prior(self, box: QGroupBox) -> None:
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        self.prior_headers = {}
        for col, n in ((1, 2), (2, 1)):
            head = QLabel()
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            head.setStyleSheet("font-weight: bold;")
            grid.addWidget(head, 0, col)
            self.prior_headers[n] = head
        for r, name in enumerate(PRIOR_ROWS, 1):
            f = FIELD_BY_KEY[f"prior1:{name}"]
            grid.addWidget(QLabel(f.label), r, 0, Qt.AlignmentFlag.AlignRight)
            for col, n in ((1, 2), (2, 1)):
                key = f"prior{n}:{name}"
                edit = QLineEdit()
                edit.setObjectName(key)
                edit.setPlaceholderText("0.00")
                edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                edit.textChanged.connect(lambda text, key=key: self._on_text(key, text))
                self.edits[key] = edit
                grid.addWidget(edit, r, col)
        self.prior_error = QLabel()
        self.prior_error.setStyleSheet(ERROR_STYLE)
        self.prior_error.setWordWrap(True)
        self.prior_error.hide()
        grid.addWidget(self.prior_error, len(PRIOR_ROWS) + 1, 0, 1, 3)
        note = QLabel("金额单位：元。用于高新技术企业研发费用占比（近三年）、成长性指标和按年度弥补亏损；测算年度取上方数据。")
        note.setWordWrap(True)
        note.setStyleSheet("color: #666; font-size: 9pt;")
        grid.addWidget(note, len(PRIOR_ROWS) + 2, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

    def _build_subsidy(self, box: QGroupBox) -> None:
        vl = QVBoxLayout(box)
        vl.addWidget(QLabel("所在地区后补助政策（可多选）："))
        from .pack_picker import PackPicker
        self.pack_list = PackPicker()             # province → city/district → policy, with status (never ids)
        self.pack_list.setMinimumHeight(220)
        errors = self.pack_list.errors
        self.pack_list.changed.connect(self._changed)
        vl.addWidget(self.pack_list)
        if errors:
            bad = QLabel("部分规则包无法读取：" + "；".join(str(e) for e in errors[:3]))
            bad.setWordWrap(True)
            bad.setStyleSheet(ERROR_STYLE)
            vl.addWidget(bad)
        facts = QFormLayout()
        facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for name in QUICK_FACTS:
            key = f"fact:{name}"
            combo = _tri_combo()
            combo.currentIndexChanged.connect(self._changed)
            self.combos[key] = combo
            label = QLabel(fact_label(name))
            label.setWordWrap(True)
            facts.addRow(label, combo)
        vl.addLayout(facts)

    def _results_widget(self) -> QWidget:
        try:
            from .results_view import ResultsView
            self.results_view = ResultsView(self, params=self.params)
            self.text_view = None
            return self.results_view
        except Exception:                 # not there (yet) or broken: the plain-text summary instead
            self.results_view = None
            self.text_view = QTextBrowser()
            return self.text_view

    # -- values ------------------------------------------------------------------------------------
    def values(self) -> dict:
        """The form's raw values: texts as typed, True/False/None for yes/no fields, ``packs`` as ids."""
        out: dict = {key: edit.text() for key, edit in self.edits.items()}
        out.update({key: box.isChecked() for key, box in self.checks.items()})
        out.update({key: TRI_VALUES[combo.currentIndex()] for key, combo in self.combos.items()})
        out["packs"] = self.pack_list.selected()
        return out

    def set_values(self, values: dict) -> None:
        """Fill fields by key (calc.quick.QUICK_FIELDS keys, ``packs``); unknown keys are ignored."""
        for key, value in values.items():
            if key in self.edits:
                self.edits[key].setText("" if value is None else str(value))
            elif key in self.checks:
                self.checks[key].setChecked(bool(value))
            elif key in self.combos:
                self.combos[key].setCurrentIndex(0 if value is None else (1 if value in (True, "是") else 2))
            elif key == "packs":
                self.pack_list.set_selected(value or ())

    # -- live validation ---------------------------------------------------------------------------
    def _on_text(self, key: str, text: str) -> None:
        message = check_field(key, text)
        self._set_error(key, message)
        if key == "year":
            self._update_prior_headers(text)
        elif key == "industry_code":
            self._update_industry(text)
        self._changed()

    def _set_error(self, key: str, message: str | None) -> None:
        edit = self.edits.get(key)
        if edit is not None:
            edit.setStyleSheet(BAD_EDIT if message else "")
            edit.setToolTip(message or (FIELD_BY_KEY[key].help if key in FIELD_BY_KEY else ""))
        label = self.errors.get(key)
        if label is not None:
            label.setText(message or "")
            label.setVisible(bool(message))
        elif ":" in key and key.startswith("prior"):
            bad = [(k, check_field(k, e.text())) for k, e in self.edits.items() if k.startswith("prior") and ":" in k]
            bad = [(k, m) for k, m in bad if m]
            if key not in dict(bad) and message:
                bad.append((key, message))
            if bad:
                k, m = bad[0]
                self.prior_error.setText(f"{self._field_title(k)}：{m}")
            self.prior_error.setVisible(bool(bad))

    def _field_title(self, key: str) -> str:
        f = FIELD_BY_KEY.get(key)
        if f is None:
            return key
        if key.startswith("prior") and ":" in key:
            n = int(key[len("prior"):].split(":", 1)[0])
            return f"{self.prior_headers[n].text()}{f.label}"
        if key.startswith("fact:"):
            return fact_label(key[5:])
        return f.label

    def _update_prior_headers(self, text: str) -> None:
        try:
            year = int(text.strip())
        except ValueError:
            year = None
        for n, head in self.prior_headers.items():
            head.setText(f"{year - n}年" if year else f"前{n}年")

    def _update_industry(self, text: str) -> None:
        code, problem = normalize_industry_code(text) if text.strip() else (None, None)
        self.industry_label.setText(industry_name(code) or "" if code else "")

    def _changed(self, *_args) -> None:
        if self.evaluation is not None:
            self.status_label.setText("数据已修改：请重新计算")

    # -- compute -----------------------------------------------------------------------------------
    def compute(self):
        """Parse the form and evaluate; returns the :class:`~calc.evaluate.Evaluation` or ``None``
        (the problems are shown under their fields)."""
        q, errors, rest = parse_quick(self.values())
        for key in list(self.edits):
            self._set_error(key, errors.get(key))
        if q is None:
            self.evaluation = self.quick_input = None
            msgs = [f"{self._field_title(k)}：{m}" for k, m in errors.items()] + rest
            self._show_evaluation(None, "请先改正以下问题：\n" + "\n".join(msgs))
            self.status_label.setText("未计算：输入有误")
            return None
        try:
            ev = evaluate_quick(q, params=self.params)
        except Exception as exc:          # shown in the dialog, never a crash
            self.evaluation = None
            self._show_evaluation(None, f"计算出错：{type(exc).__name__}: {exc}")
            return None
        self.evaluation, self.quick_input = ev, q
        self._show_evaluation(ev)
        self.status_label.setText("已计算")
        return ev

    def _show_evaluation(self, ev, problem: str = "") -> None:
        if ev is None:
            self.extra_label.setText("加计扣除额：—")
            self.saving_label.setText("")
            self.total_label.setText("填写数据后点击“计算”" if not problem else "")
        else:
            rate = ev.sd.rows.get("R50") if ev.sd.eligible else None
            rate_text = f"（加计扣除比例 {rate_percent(rate)}）" if rate is not None and not ev.sd.q4 else ""
            if ev.sd.eligible:
                self.extra_label.setText(f"加计扣除额（A107012第51行）：¥{fen_display(ev.sd.extra_deduction)}{rate_text}")
            else:
                self.extra_label.setText(f"不适用加计扣除：{ev.sd.reason}")
            saving = f"本年节税额：¥{fen_display(ev.tax.tax_saved)}" if ev.tax is not None else "节税额：未填应纳税所得额，无法计算"
            self.saving_label.setText(saving)
            from .figures import certain_total, subsidy_mark
            total = certain_total(ev)
            subs = [f"{est.region} {subsidy_mark(est)} ¥{fen_display(est.total)}" for est in ev.subsidies
                    if est.eligible and est.total is not None]
            self.total_label.setText(("合计节税：无法计算（未填应纳税所得额）" if total is None else
                                      f"合计节税（税收优惠）：¥{fen_display(total)}")
                                     + (f"；后补助另列，不计入合计：{'；'.join(subs)}" if subs else ""))
        self.problems_label.setText(problem)
        self.problems_label.setVisible(bool(problem))
        if self.results_view is not None:
            self.results_view.set_evaluation(ev)
        elif self.text_view is not None:
            if ev is None:
                self.text_view.setPlainText("")
            else:
                from forms.report import text_summary
                self.text_view.setPlainText(text_summary(ev, self.params))
        self.report_button.setEnabled(ev is not None)
        self.workbook_button.setEnabled(ev is not None)

    # -- outputs -----------------------------------------------------------------------------------
    def _default_name(self, suffix: str) -> str:
        q = self.quick_input
        name = (q.name if q and q.name else "快速测算").replace("/", "_")
        return f"{name}_{q.year if q else ''}{suffix}"

    def _ask_path(self, title: str, default: str, filt: str, ext: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, default, filt)
        if not path:
            return None
        return path if path.lower().endswith(ext) else path + ext

    def save_statement(self) -> str | None:
        """生成报告…: recompute, ask for a path and write the statement PDF there."""
        if self.compute() is None:
            return None
        path = self._ask_path("生成测算报告", self._default_name("_测算报告.pdf"), "PDF 文件 (*.pdf)", ".pdf")
        return self.write_statement_to(path) if path else None

    def save_workbook(self) -> str | None:
        """保存为工作簿…: recompute, ask for a path and write the canonical workbook there."""
        if self.compute() is None:
            return None
        path = self._ask_path("保存为工作簿", self._default_name("_快速测算.xlsx"), "Excel 工作簿 (*.xlsx)", ".xlsx")
        return self.save_workbook_to(path) if path else None

    def write_statement_to(self, path: str | Path) -> str | None:
        from forms.statement import write_statement
        if self.evaluation is None:
            return None
        try:
            info = write_statement(self.evaluation, path, self.params,
                                   advisor=getattr(self, "advisor_name", "") or None)
        except Exception as exc:        # noqa: BLE001 — OSError, StatementError: a message, never a traceback
            self.status_label.setText(f"报告未保存：{exc}")
            return None
        missing = (info or {}).get("missing_characters") or {}
        note = f"（{len(missing)}个字符字体缺失）" if missing else ""
        self.status_label.setText(f"报告已保存：{path}{note}")
        self.statement_saved.emit(str(path))
        return str(path)

    def save_workbook_to(self, path: str | Path) -> str | None:
        from forms.workbook import save_ledger
        if self.evaluation is None:
            return None
        try:
            save_ledger(self.evaluation.ledger, path)
        except OSError as exc:
            self.status_label.setText(f"工作簿未保存：{exc}")
            return None
        self.status_label.setText(f"工作簿已保存：{path}（可在完整账簿中继续编辑）")
        self.workbook_saved.emit(str(path))
        return str(path)
