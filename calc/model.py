"""Immutable ledger records that know where they came from, and findings as data."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or note: severity, stable code, Chinese message and its location."""
    severity: str
    code: str
    message: str
    sheet: str | None = None
    row: int | None = None          # Excel row number (1-based)
    column: str | None = None       # header text, e.g. 会计金额
    cell: str | None = None         # A1 reference, e.g. G12

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        if self.sheet and self.row:
            return f"{self.sheet}!第{self.row}行"
        return self.sheet or ""

    def as_line(self) -> str:
        where = self.where
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "sheet": self.sheet, "row": self.row, "column": self.column}


@dataclass(frozen=True, slots=True)
class Src:
    sheet: str
    row: int


@dataclass(frozen=True)
class Profile:
    name: str | None = None
    credit_code: str | None = None
    industry_code: str | None = None
    collection: str = "查账征收"
    founded: dt.date | None = None
    hnte_cert_no: str | None = None
    hnte_cert_date: dt.date | None = None
    tech_sme_nos: tuple[str, ...] = ()
    ic_or_machine_tool: bool = False
    ic_basis: str | None = None
    packs: tuple[str, ...] = ()
    prepared_by: str | None = None
    advisor: str | None = None
    other: dict = field(default_factory=dict)      # the remaining profile fields, parsed
    rows: dict = field(default_factory=dict)       # field → Excel row in 企业信息


@dataclass(frozen=True)
class YearData:
    year: int
    period: str = "year"            # year | H1 | Q1-Q3
    values: dict = field(default_factory=dict)    # field → int 分 (amounts) / int (counts)
    src: Src | None = None

    def get(self, name: str):
        return self.values.get(name)


@dataclass(frozen=True)
class Project:
    project_no: str
    name: str
    form: str
    ledger_type: str
    start: dt.date | None = None
    end: dt.date | None = None
    status: str = "未结束"
    entrustee: str | None = None
    entrustee_related: bool | None = None
    entrustee_location: str | None = None
    contract_no: str | None = None
    ownership: str | None = None
    ia_date: dt.date | None = None
    ia_years: int | None = None
    ia_base: int | None = None
    results: str | None = None
    src: Src | None = None

    @property
    def capitalised(self) -> bool:
        return self.ledger_type == "资本化"


@dataclass(frozen=True, slots=True)
class Line:
    """One ledger line (研发支出 row). Amounts in 分."""
    id: int                         # position in the ledger (stable order)
    date: dt.date
    project_no: str
    code: str
    amount: int                     # 会计金额
    tax_amount: int | None = None   # 税法金额; None = equal to 会计金额
    share: Fraction | None = None   # 研发工时占比
    funding: str = "自有"
    voucher_kind: str | None = None
    voucher_no: str | None = None
    summary: str | None = None
    src: Src | None = None
    hnte_category: str | None = None    # user override of the code's HNTE (195号) category; "不计入" = excluded

    @property
    def base_amount(self) -> int:
        return self.amount if self.tax_amount is None else self.tax_amount


@dataclass(frozen=True)
class Adjustment:
    year: int
    kind: str
    amount: int
    project_no: str | None = None
    date: dt.date | None = None
    note: str | None = None
    src: Src | None = None


@dataclass(frozen=True)
class Ledger:
    profile: Profile
    years: tuple[YearData, ...]
    projects: dict                   # project_no → Project (insertion order = sheet order)
    lines: tuple[Line, ...]
    adjustments: tuple[Adjustment, ...]
    findings: tuple[Finding, ...] = ()
    facts: tuple = ()                # (year | None, fact name, parsed value, Src) from 补助测算信息

    def year_row(self, year: int, period: str = "year") -> YearData | None:
        for y in self.years:
            if y.year == year and y.period == period:
                return y
        return None

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)
