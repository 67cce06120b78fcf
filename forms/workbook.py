"""Open a ledger workbook file (xlsx/xls) and build the ledger from it."""
from __future__ import annotations

from pathlib import Path

from calc.ingest import build_ledger, gc_paused, line_intakes
from calc.model import Ledger
from calc.money import percent_text
from calc.params import Params

from .xlsx_reader import WorkbookError, read_workbook

__all__ = ["load_ledger", "WorkbookError"]


def load_ledger(path: str | Path, params: Params | None = None) -> Ledger:
    """Read a canonical workbook. Raises :class:`WorkbookError` for a file that is not a readable workbook."""
    with gc_paused():
        intakes = line_intakes(params)     # 研发支出 is parsed while the reader reads it
        raw = read_workbook(path, consumers=intakes)
        ledger = build_ledger({name: sheet.rows for name, sheet in raw.sheets.items()}, params,
                              intakes={k: v for k, v in intakes.items() if k in raw.sheets and raw.sheets[k].consumed})
    if raw.macro_enabled:
        return _with_macro_note(ledger, Path(path).name)
    return ledger


def _with_macro_note(ledger: Ledger, name: str) -> Ledger:
    """A macro-enabled workbook (.xlsm, vbaProject) is read like any other — its macros are never run — and the
    user is told so (an info finding at the top of the list, on the 企业信息 sheet: the workbook as a whole)."""
    import dataclasses

    from calc import schema as S
    from calc.model import INFO, Finding

    note = Finding(INFO, "I_MACROS_IGNORED", f"工作簿“{name}”含宏：宏未运行（本应用只读取单元格中的数值和文字），"
                   "如宏会改写数据，请在 Excel 中确认后另存为 .xlsx 再导入", S.SHEET_PROFILE)
    return dataclasses.replace(ledger, findings=(note, *ledger.findings))


# -- export back to the canonical workbook (round trip) ---------------------------------------

def _amount(fen):
    from calc.money import fen_to_decimal
    return None if fen is None else fen_to_decimal(fen)


def ledger_to_rows(ledger: Ledger) -> dict:
    """The ledger as the dicts :func:`forms.template.write_workbook` takes (field → value)."""
    from calc import schema as S

    prof = ledger.profile
    profile = dict(prof.other)
    profile.update({"name": prof.name, "credit_code": prof.credit_code, "industry_code": prof.industry_code,
                    "collection": prof.collection, "founded": prof.founded, "hnte_cert_no": prof.hnte_cert_no,
                    "hnte_cert_date": prof.hnte_cert_date, "tech_sme_no": ",".join(prof.tech_sme_nos) or None,
                    "ic_or_machine_tool": prof.ic_or_machine_tool, "ic_basis": prof.ic_basis,
                    "packs": ",".join(prof.packs) or None, "prepared_by": prof.prepared_by, "advisor": prof.advisor})
    amount_fields = {c.field for c in S.YEAR_COLUMNS if c.kind == S.AMOUNT}
    years = []
    for y in ledger.years:
        row = {"year": y.year, "period": None if y.period == "year" else y.period}
        for k, v in y.values.items():
            row[k] = _amount(v) if k in amount_fields else v
        years.append(row)
    projects = [{"project_no": p.project_no, "name": p.name, "form": p.form, "ledger_type": p.ledger_type,
                 "start": p.start, "end": p.end, "status": p.status, "entrustee": p.entrustee,
                 "entrustee_related": p.entrustee_related, "entrustee_location": p.entrustee_location,
                 "contract_no": p.contract_no, "ownership": p.ownership, "ia_date": p.ia_date,
                 "ia_years": p.ia_years, "ia_base": _amount(p.ia_base), "results": p.results}
                for p in ledger.projects.values()]
    lines = [{"date": l.date, "voucher_kind": l.voucher_kind, "voucher_no": l.voucher_no,
              "project_no": l.project_no, "code": l.code, "summary": l.summary, "amount": _amount(l.amount),
              "tax_amount": _amount(l.tax_amount), "funding": l.funding, "share": percent_text(l.share),
              "hnte_category": l.hnte_category}
             for l in ledger.lines if l.basis is None]          # generated (工时分配) lines come from their sheets
    adjustments = [{"year": a.year, "kind": a.kind, "project_no": a.project_no, "amount": _amount(a.amount),
                    "date": a.date, "note": a.note} for a in ledger.adjustments]
    from calc.subsidy import FACTS
    facts = []
    for y, name, value, _ in ledger.facts:
        fact = FACTS.get(name)
        text = _amount(value) if fact is not None and fact.kind == "money" else _fact_text(value)
        facts.append({"year": y, "name": fact.label if fact else name, "value": text})
    return {"profile": profile, "years": years, "projects": projects, "lines": lines, "adjustments": adjustments,
            "facts": facts, **allocation_rows(ledger)}


def _hours(h):
    from decimal import Decimal
    return Decimal(h.numerator * (100 // h.denominator)).scaleb(-2) if 100 % h.denominator == 0 else \
        Decimal(h.numerator) / Decimal(h.denominator)


def allocation_rows(ledger: Ledger) -> dict:
    """The 工时分配 sheets (人员工时, 人员薪酬, 设备折旧, 设备工时) as rows for :func:`forms.template.write_workbook`."""
    from calc.schema import NON_RD
    a = ledger.allocation
    if a is None:
        return {"timesheets": [], "payroll": [], "equipment": [], "equipment_hours": []}
    return {
        "timesheets": [{"person_id": t.person_id, "name": t.name, "month": t.month, "project_no": t.project_no or NON_RD,
                        "hours": _hours(t.hours)} for t in a.timesheets],
        "payroll": [{"person_id": p.person_id, "name": p.name, "staff_type": p.staff_type, "month": p.month,
                     "wages": _amount(p.wages), "insurance": _amount(p.insurance), "voucher_no": p.voucher_no}
                    for p in a.payroll],
        "equipment": [{"asset_id": e.asset_id, "name": e.name, "kind": e.kind, "month": e.month,
                       "depreciation": _amount(e.depreciation), "voucher_no": e.voucher_no} for e in a.equipment],
        "equipment_hours": [{"asset_id": e.asset_id, "month": e.month, "project_no": e.project_no or NON_RD,
                             "hours": _hours(e.hours)} for e in a.equipment_hours],
    }


def _fact_text(value):
    """A parsed fact back to the text a user would type (amounts in 元, ratios as %, 是/否)."""
    from fractions import Fraction
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Fraction):
        return percent_text(value)
    return value


def save_ledger(ledger: Ledger, path: str | Path) -> None:
    """Write the ledger as the canonical workbook (importing it again gives the same figures)."""
    from .template import write_workbook

    write_workbook(path, **ledger_to_rows(ledger))
