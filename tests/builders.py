"""Build ledger workbooks for tests and load them through the user's import path."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

from calc.evaluate import evaluate
from calc.identifiers import credit_code_check_char
from forms.template import write_workbook
from forms.workbook import load_ledger

_counter = itertools.count(1)


def credit_code(first17: str = "91640100MA7X2K3L1") -> str:
    return first17 + credit_code_check_char(first17)


def wan(x) -> Decimal:
    """万元 → 元 (exact)."""
    return Decimal(str(x)) * 10000


def profile(**kw) -> dict:
    base = {"name": "测试企业有限公司", "credit_code": credit_code(), "industry_code": "C3981"}
    base.update(kw)
    return base


def project(no, name=None, form="自主研发", ledger_type="费用化", **kw) -> dict:
    return {"project_no": no, "name": name or f"项目{no}", "form": form, "ledger_type": ledger_type, **kw}


def line(date, project_no, code, amount, **kw) -> dict:
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    return {"date": date, "voucher_no": kw.pop("voucher_no", f"记-{next(_counter):04d}"), "project_no": project_no,
            "code": code, "amount": Decimal(str(amount)), **kw}


def year_row(year, **kw) -> dict:
    return {"year": year, **{k: (Decimal(str(v)) if isinstance(v, (int, float, str)) and k not in ("period", "staff_total", "staff_rd") else v) for k, v in kw.items()}}


def build(tmp_path: Path, *, prof=None, years=(), projects=(), lines=(), adjustments=(), name=None) -> Path:
    path = Path(tmp_path) / (name or f"ledger{next(_counter)}.xlsx")
    write_workbook(path, profile=prof or profile(), years=list(years), projects=list(projects), lines=list(lines),
                   adjustments=list(adjustments))
    return path


def evaluate_workbook(path: Path, year: int, period: str = "year", **kw):
    ledger = load_ledger(path)
    return evaluate(ledger, year, period, **kw)


def manufacturer_year(year, period=None):
    """A year row that makes the enterprise a 制造业企业 (share ≥ 50%) and not negative-list."""
    row = year_row(year, total_income=100_000_000, manufacturing_revenue=80_000_000, negative_list_revenue=0,
                   main_revenue=95_000_000)
    if period:
        row["period"] = period
    return row


def other_year(year, period=None):
    """A year row for a non-manufacturer outside the negative list."""
    row = year_row(year, total_income=100_000_000, manufacturing_revenue=0, negative_list_revenue=0,
                   main_revenue=95_000_000)
    if period:
        row["period"] = period
    return row
