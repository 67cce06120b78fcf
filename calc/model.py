"""Immutable ledger records that know where they came from, and findings as data."""
from __future__ import annotations

import dataclasses
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
    hnte_certs: tuple = ()          # ((证书编号 | None, 发证日期), …): 高新技术企业历次证书 (the history, parsed)

    def hnte_certificates(self) -> tuple:
        """Every 高新技术企业 certificate ((no, issue date), …) by issue date: the history and the one of the
        证书编号 / 发证日期 fields (the latest, usually; counted once when it is also in the history)."""
        certs = {d: n for n, d in self.hnte_certs}
        if self.hnte_cert_date is not None:
            certs[self.hnte_cert_date] = self.hnte_cert_no or certs.get(self.hnte_cert_date)
        return tuple((certs[d], d) for d in sorted(certs))

    def hnte_certificate_for(self, year: int, years_covered: int = 3):
        """The certificate whose tax years (issue year … + n − 1, AI-14) cover ``year``; else the latest issued
        by then; else the first one; None without any certificate."""
        certs = self.hnte_certificates()
        covering = [c for c in certs if c[1].year <= year < c[1].year + years_covered]
        if covering:
            return covering[-1]
        before = [c for c in certs if c[1].year <= year]
        return before[-1] if before else (certs[0] if certs else None)

    @property
    def operating_since(self) -> dt.date | None:
        """开始经营日期 when given (it may differ from the registration date), else 成立日期."""
        start = self.other.get("operating_start")
        return start if isinstance(start, dt.date) else self.founded


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


#: 高企费用类别 of a generated staff-cost line whose person has fewer than 183 R&D days in the year (AI-ALLOC-05): out
#: of the HNTE view like “不计入”, with its own reason in the bridge.
HNTE_BELOW_183 = "不计入（未满183天）"


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
    basis: str | None = None            # generated by 工时分配 (calc.allocation): the allocation basis, traceable

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
    allocation: object = None        # calc.allocation.AllocationResult of 人员工时/人员薪酬/设备折旧/设备工时, or None

    def year_row(self, year: int, period: str = "year") -> YearData | None:
        for y in self.years:
            if y.year == year and y.period == period:
                return y
        return None

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)


def slot_maker(cls):
    """A constructor for a frozen slotted dataclass taking every field positionally, equal to ``cls(...)``.

    The generated ``__init__`` of a frozen dataclass sets each field through ``object.__setattr__``; this one
    sets the slots through their descriptors, about twice as fast — for the hundreds of thousands of
    :class:`Line` and :class:`Src` records an import makes.  Only for classes without ``__post_init__`` whose
    fields are all ``__init__`` parameters (checked here, so a later change to the class cannot make it wrong)."""
    fields = dataclasses.fields(cls)
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__") \
            or not all(f.init for f in fields):
        raise TypeError(f"slot_maker: {cls.__name__} is not a plain frozen slotted dataclass")
    names = [f.name for f in fields]
    env = {"_new": object.__new__, "_cls": cls}
    env.update({f"_set{i}": getattr(cls, n).__set__ for i, n in enumerate(names)})
    body = "".join(f"    _set{i}(o, {n})\n" for i, n in enumerate(names))
    exec(f"def make({', '.join(names)}):\n    o = _new(_cls)\n{body}    return o\n", env)  # noqa: S102
    make = env["make"]
    make.__doc__ = f"{cls.__name__}(…) with every field given positionally (see calc.model.slot_maker)."
    return make
