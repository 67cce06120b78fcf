"""The audit trail (审计记录) of a workspace as rows to show, filter and export (xlsx / CSV).

Entries come from :meth:`forms.workspace.Workspace.history` (who = OS user, when, action, table, row, field, old,
new, batch, label).  Exported cells are formula-safe (:mod:`forms.xlsx_cells`; in CSV a leading = + - @ gets a
quote prefix ``'``).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .xlsx_cells import FORMULA_TRIGGERS, put_text

__all__ = ["ACTION_NAMES", "TABLE_NAMES", "AuditRow", "audit_rows", "filter_rows", "export_audit_xlsx",
           "export_audit_csv", "HEADERS"]

ACTION_NAMES = {"set": "修改", "insert": "新增行", "delete": "删除行", "import": "导入", "create": "新建",
                "recover": "恢复", "export": "导出"}
HEADERS = ("时间", "用户", "操作", "表", "行号", "字段", "原值", "新值", "批次", "说明")


def _table_names() -> dict[str, str]:
    from .workspace import TABLE_SHEETS
    return {**TABLE_SHEETS, "evidence": "留存备查", "history": "审计记录"}


TABLE_NAMES = _table_names()


@dataclass(frozen=True)
class AuditRow:
    id: int
    ts: str
    user: str
    action: str
    table: str | None
    row_id: int | None
    field: str
    old: str
    new: str
    batch_id: int | None
    label: str

    @property
    def date(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.ts[:10])
        except (TypeError, ValueError):
            return None

    def cells(self) -> list:
        return [self.ts.replace("T", " ")[:19], self.user, ACTION_NAMES.get(self.action, self.action),
                TABLE_NAMES.get(self.table or "", self.table or ""), "" if self.row_id is None else self.row_id,
                self.field, self.old, self.new, "" if self.batch_id is None else self.batch_id, self.label]

    def text(self) -> str:
        return " ".join(str(c) for c in self.cells()).lower()


def _field_header(table: str | None, field: str | None) -> str:
    if not field:
        return ""
    if table == "evidence":
        from calc.evidence import parse_mark_key
        k = parse_mark_key(field)
        return f"{k[0]}年度 {k[1] or '企业'} {k[2]}" if k else field
    from .workspace import columns_of
    try:
        return next((c.header for c in columns_of(table) if c.field == field), field)
    except Exception:          # noqa: BLE001 - an unknown table name: show the raw field
        return field


def _value_text(table: str | None, field: str | None, value) -> str:
    if value is None:
        return ""
    if table == "evidence":
        try:
            d = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            return str(value)
        if not isinstance(d, dict):
            return str(value)
        state = {True: "已备齐", False: "缺"}.get(d.get("present"), "未标记")
        parts = [state]
        if d.get("files"):
            parts.append("附件：" + "、".join(d["files"]))
        if d.get("note"):
            parts.append("备注：" + d["note"])
        return "；".join(parts)
    if isinstance(value, dict):
        if "count" in value and "ids" in value:
            return f"{value['count']} 行"
        from .workspace import display_value
        out = []
        for f, v in value.items():
            if f in ("id", "position") or v is None:
                continue
            try:
                shown = display_value(table, f, v) if table and table != "profile" else str(v)
            except Exception:      # noqa: BLE001
                shown = str(v)
            out.append(f"{_field_header(table, f)}={shown}")
        return "，".join(out)
    if isinstance(value, (list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    from .workspace import display_value
    try:
        return display_value(table or "profile", field, value) if field else str(value)
    except Exception:              # noqa: BLE001 - unknown field: raw
        return str(value)


def audit_rows(entries: Iterable[dict]) -> list[AuditRow]:
    """History entries (dicts of :meth:`Workspace.history`) → rows with display texts."""
    out = []
    for e in entries:
        table, field, action = e.get("table"), e.get("field"), e.get("action") or ""
        if action == "import":
            detail = e.get("new")
            new = ""
            if isinstance(detail, dict):
                counts = detail.get("counts") or {}
                new = "，".join(f"{TABLE_NAMES.get(t, t)} {n}" for t, n in counts.items() if n)
            old = ""
        else:
            old, new = _value_text(table, field, e.get("old")), _value_text(table, field, e.get("new"))
        out.append(AuditRow(int(e.get("id") or 0), str(e.get("ts") or ""), str(e.get("user") or ""), action, table,
                            e.get("row_id"), _field_header(table, field) if field != "rows" else "", old, new,
                            e.get("batch_id"), str(e.get("label") or "")))
    return out


def filter_rows(rows: Sequence[AuditRow], *, text: str = "", user: str | None = None, action: str | None = None,
                table: str | None = None, date_from: dt.date | None = None,
                date_to: dt.date | None = None) -> list[AuditRow]:
    """Rows matching all given filters (``text``: case-insensitive substring of any cell, words ANDed)."""
    words = [w.lower() for w in text.split()]
    out = []
    for r in rows:
        if user and r.user != user:
            continue
        if action and r.action != action:
            continue
        if table and r.table != table:
            continue
        d = r.date
        if date_from and (d is None or d < date_from):
            continue
        if date_to and (d is None or d > date_to):
            continue
        if words:
            t = r.text()
            if not all(w in t for w in words):
                continue
        out.append(r)
    return out


def _atomic(path: Path, write) -> None:
    path = Path(os.path.abspath(path))
    tmp = path.with_name(f"{path.stem}-tmp-{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def export_audit_xlsx(rows: Sequence[AuditRow], path: str | os.PathLike, *, title: str = "") -> Path:
    """The rows as a workbook (sheet 审计记录), every text cell formula-safe."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    def write(tmp: Path) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = "审计记录"
        start = 1
        if title:
            put_text(ws.cell(1, 1), title)
            ws.cell(1, 1).font = Font(bold=True, size=12)
            start = 3
        for c, h in enumerate(HEADERS, start=1):
            cell = ws.cell(start, c)
            put_text(cell, h)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        for r, row in enumerate(rows, start=start + 1):
            for c, v in enumerate(row.cells(), start=1):
                cell = ws.cell(r, c)
                if isinstance(v, int) and not isinstance(v, bool):
                    cell.value = v
                else:
                    put_text(cell, _xml_safe(v))
        for c, w in enumerate((20, 12, 8, 12, 8, 18, 30, 30, 6, 40), start=1):
            ws.column_dimensions[ws.cell(start, c).column_letter].width = w
        ws.freeze_panes = ws.cell(start + 1, 1)
        from .xlsx_stream import save_workbook
        save_workbook(wb, tmp)          # a full disk: closed cleanly, no ZipFile.__del__ traceback (C4)

    _atomic(Path(path), write)
    return Path(path)


def _xml_safe(v) -> str:
    import re
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", "" if v is None else str(v))


def _csv_safe(v) -> str:
    text = "" if v is None else str(v)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def export_audit_csv(rows: Sequence[AuditRow], path: str | os.PathLike) -> Path:
    """The rows as CSV (UTF-8 with BOM so Excel reads the Chinese), formula-safe."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADERS)
            for row in rows:
                w.writerow([_csv_safe(v) for v in row.cells()])

    _atomic(Path(path), write)
    return Path(path)
