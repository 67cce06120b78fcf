"""工时分配: allocate payroll and shared-equipment depreciation across projects by recorded hours.

Input: the optional sheets 人员工时 / 人员薪酬 / 设备折旧 / 设备工时 (calc.schema).  For every payroll row
(one person, one month) each pay component — 工资薪金, 五险一金 — is split across the destinations the person
worked on that month (each R&D project and 非研发) in proportion to the hours, with the largest-remainder rule
(super_deduction.md §0.2), so the parts add up to the payroll amount to the 分.  Depreciation of a device in a
month is split the same way by its usage hours (§7.2).  The R&D parts become ledger lines (R04/R05/R06,
R17/R18) that carry their allocation basis (``Line.basis``); the non-R&D parts are reported, not booked.

Each person's R&D days per year (R&D hours ÷ 8, AI-ALLOC-02) feed the HNTE 183-day test (hnte_sme.md §1.4):
the staff cost of a person below 183 R&D days in a year is left out of the HNTE view (AI-ALLOC-05).

Pure computation: no Qt, no file formats.  Parsing uses the canonical table reader, :mod:`calc.tables`.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction

from . import schema as S
from .model import ERROR, HNTE_BELOW_183, INFO, WARNING, Finding, Line, Src
from .money import fen_display, split_largest_remainder
from .params import load_params
from .tables import read_table
from .values import ValueProblem, clean_text, parse_date

__all__ = ["TimeRow", "PayRow", "EquipmentRow", "EquipmentHoursRow", "AllocationPart", "PersonMonthLoad",
           "PersonYear", "AllocationResult", "allocate", "build_allocation", "person_month_loads", "parse_month",
           "limits", "hours_text", "STAFF_CODES", "INTERPRETATIONS"]

STAFF_CODES = ("R04", "R05", "R06")
EQUIPMENT_CODES = ("R17", "R18")
INTERPRETATIONS = ("AI-ALLOC-01", "AI-ALLOC-02", "AI-ALLOC-03", "AI-ALLOC-04", "AI-ALLOC-05", "AI-ALLOC-06")
_NON_RD_WORDS = {"非研发", "非研发工作", "生产", "非研发活动"}


# --------------------------------------------------------------------------- records

@dataclass(frozen=True)
class TimeRow:
    person_id: str
    name: str | None
    month: str                      # 'YYYY-MM'
    project_no: str | None          # None = 非研发
    hours: Fraction
    src: Src


@dataclass(frozen=True)
class PayRow:
    person_id: str
    name: str | None
    staff_type: str                 # 在职 / 兼职 / 临时聘用 / 劳务派遣
    month: str
    wages: int                      # 分
    insurance: int                  # 分
    voucher_no: str | None
    src: Src


@dataclass(frozen=True)
class EquipmentRow:
    asset_id: str
    name: str | None
    kind: str                       # 仪器 → R17 / 设备 → R18
    month: str
    depreciation: int               # 分
    voucher_no: str | None
    src: Src


@dataclass(frozen=True)
class EquipmentHoursRow:
    asset_id: str
    month: str
    project_no: str | None          # None = 非研发
    hours: Fraction
    src: Src


@dataclass(frozen=True)
class AllocationPart:
    """One part of one payroll or depreciation amount: its destination, hours and allocated 分."""
    component: str                  # 工资薪金 / 五险一金 / 折旧额
    subject: str                    # person id or asset id
    name: str | None
    month: str
    destination: str                # project number, or schema.NON_RD
    hours: Fraction
    total_hours: Fraction
    total: int                      # the amount split (分)
    amount: int                     # this part (分)
    code: str | None                # ledger code of an R&D part; None for 非研发
    src: Src                        # the payroll / depreciation row
    line_id: int | None = None      # the generated ledger line (R&D parts)

    @property
    def rd(self) -> bool:
        return self.destination != S.NON_RD


@dataclass(frozen=True)
class PersonMonthLoad:
    """One person's recorded hours in one month (for the over-100%-time test and risk screening)."""
    person_id: str
    name: str | None
    month: str                      # 'YYYY-MM'
    rd_hours: Fraction
    total_hours: Fraction
    limit_hours: Fraction           # standard month + overtime limit
    src: Src                        # the person-month's first 人员工时 row
    by_project: tuple = ()          # ((project no or 非研发, hours), …)

    @property
    def over_limit(self) -> bool:
        return self.total_hours > self.limit_hours

    @property
    def share(self) -> Fraction | None:
        return self.rd_hours / self.total_hours if self.total_hours else None


@dataclass(frozen=True)
class PersonYear:
    """One person's year: R&D days for the 183-day test, allocated R&D staff cost."""
    person_id: str
    name: str | None
    year: int
    staff_type: str | None
    months: int                     # months with recorded hours
    rd_hours: Fraction
    total_hours: Fraction
    rd_days: Fraction               # rd_hours ÷ hours per day
    meets_183: bool
    over_limit_months: tuple = ()   # 'YYYY-MM' of the months above the limit
    wages: int = 0                  # payroll 工资薪金 (分)
    insurance: int = 0              # payroll 五险一金
    wages_rd: int = 0               # allocated to R&D projects
    insurance_rd: int = 0
    by_project: tuple = ()          # ((project no, allocated 分), …)


@dataclass(frozen=True)
class AllocationResult:
    timesheets: tuple = ()
    payroll: tuple = ()
    equipment: tuple = ()
    equipment_hours: tuple = ()
    parts: tuple = ()               # AllocationPart, in payroll / depreciation row order
    lines: tuple = ()               # generated ledger lines
    loads: tuple = ()               # PersonMonthLoad
    persons: tuple = ()             # PersonYear, by person then year
    findings: tuple = ()
    limit_hours: Fraction = Fraction(0)
    rd_days_threshold: Fraction = Fraction(183)
    hours_per_day: Fraction = Fraction(8)
    extra: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.timesheets or self.payroll or self.equipment or self.equipment_hours)

    def years(self) -> list[int]:
        return sorted({int(p.month[:4]) for p in self.parts} | {int(t.month[:4]) for t in self.timesheets})

    def project_totals(self, year: int | None = None) -> dict[str, dict[str, int]]:
        """destination → {code (or 非研发 component): allocated 分}; projects in number order, 非研发 last."""
        out: dict[str, dict[str, int]] = {}
        for p in self.parts:
            if year is not None and int(p.month[:4]) != year:
                continue
            key = p.code or p.component
            d = out.setdefault(p.destination, {})
            d[key] = d.get(key, 0) + p.amount
        return dict(sorted(out.items(), key=lambda kv: (kv[0] == S.NON_RD, kv[0])))

    def persons_of(self, year: int) -> tuple:
        return tuple(p for p in self.persons if p.year == year)


# --------------------------------------------------------------------------- helpers

_MONTH_RE = (re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"), re.compile(r"^(\d{4})(\d{2})$"))


def parse_month(value: object) -> str:
    """A month cell → 'YYYY-MM': 2024-03, 2024/3, 2024年3月, 202403 or any date of the month."""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    text = clean_text(value)
    if text is None:
        raise ValueProblem("月份为空")
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    text = re.sub(r"[ T]?\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)
    for pattern in _MONTH_RE:
        m = pattern.match(text)
        if m:
            y, mth = int(m.group(1)), int(m.group(2))
            if 1900 <= y <= 2100 and 1 <= mth <= 12:
                return f"{y:04d}-{mth:02d}"
            break
    try:
        d = parse_date(text)
    except ValueProblem:
        d = None
    if d is None:
        raise ValueProblem(f"月份“{text}”无法识别（可用 2024-03、2024年3月 或该月任一日期）")
    return f"{d.year:04d}-{d.month:02d}"


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    y, m = int(month[:4]), int(month[5:7])
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def hours_text(h: Fraction) -> str:
    """168 → '168'; 7.5 → '7.5' (hours are kept to 0.01 h)."""
    if h.denominator == 1:
        return str(h.numerator)
    with localcontext() as ctx:         # enough digits for any hours total (the default 28 fail on huge ones)
        ctx.prec = max(28, (h.numerator.bit_length() + h.denominator.bit_length()) * 31 // 100 + 8)
        d = Decimal(h.numerator) / Decimal(h.denominator)
        return format(d.quantize(Decimal("0.01")).normalize(), "f")


def _param(params, name: str, day: dt.date) -> Fraction:
    """The value of resources/params/allocation.yaml in force on ``day``; for a month no entry covers (a
    timesheet of 2005 and the 2008 monthly days, say) the entry nearest to it."""
    entry = params.maybe_at(name, day) or min(params.scalars[name], key=lambda e: abs((e.start - day).days))
    return entry.fraction


def limits(params, day: dt.date) -> tuple[Fraction, Fraction, Fraction]:
    """(hours per R&D day, monthly hour limit = hours/day × days/month + overtime, 183-day threshold)."""
    params = params or load_params()
    per_day = _param(params, "alloc_hours_per_day", day)
    month_days = _param(params, "alloc_days_per_month", day)
    overtime = _param(params, "alloc_overtime_hours_per_month", day)
    threshold = _param(params, "alloc_hnte_rd_days", day)
    return per_day, per_day * month_days + overtime, threshold


def _destination(raw: str | None) -> str | None:
    """A timesheet's 项目编号 → project number, or None for 非研发."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", raw).replace(" ", "")
    return None if text in _NON_RD_WORDS else raw


# --------------------------------------------------------------------------- reading the sheets

def _read(sheets, projects: dict, out) -> tuple[list, list, list, list]:
    """Parse the four optional sheets; every problem is a finding with its cell, valid rows are kept."""

    def month_of(v, sheet, excel_row, cols):
        try:
            return parse_month(v.get("month"))
        except ValueProblem as exc:
            out.add(ERROR, "E_MONTH", f"月份：{exc}", sheet, excel_row, "月份", cols.get("month"))
            return None

    def project_of(v, sheet, excel_row, cols):
        no = _destination(v.get("project_no"))
        if no is not None and no not in projects:
            if no in out.rejected_projects:
                out.add(ERROR, "E_PROJECT_INVALID", f"项目“{no}”在“研发项目”第{out.rejected_projects[no]}行有错误，改正后本行才能计入",
                        sheet, excel_row, "项目编号", cols.get("project_no"))
            else:
                out.add(ERROR, "E_PROJECT_UNKNOWN", f"项目编号“{no}”未在“研发项目”中登记（非研发工时请填“非研发”或留空）",
                        sheet, excel_row, "项目编号", cols.get("project_no"))
            return False, None
        return True, no

    def hours_of(v, sheet, excel_row, cols):
        h = v.get("hours")
        if h is None:
            return None
        if h < 0:
            out.add(ERROR, "E_HOURS_NEGATIVE", "工时不能为负数", sheet, excel_row, "工时", cols.get("hours"))
            return None
        return Fraction(h, 100)

    timesheets, payroll, equipment, equipment_hours = [], [], [], []
    sheet = S.SHEET_TIMESHEETS
    if sheet in sheets:
        for excel_row, v, ok in read_table(sheet, sheets[sheet], S.TIMESHEET_COLUMNS, out):
            cols = v["_cols"]
            month = month_of(v, sheet, excel_row, cols) if v.get("month") is not None else None
            good, no = project_of(v, sheet, excel_row, cols)
            hours = hours_of(v, sheet, excel_row, cols)
            if ok and good and month and hours is not None:
                timesheets.append(TimeRow(v["person_id"], v.get("name"), month, no, hours, Src(sheet, excel_row)))
    sheet = S.SHEET_PAYROLL
    if sheet in sheets:
        for excel_row, v, ok in read_table(sheet, sheets[sheet], S.PAYROLL_COLUMNS, out):
            cols = v["_cols"]
            month = month_of(v, sheet, excel_row, cols) if v.get("month") is not None else None
            if ok and month:
                if v.get("wages") is None and v.get("insurance") is None:
                    out.add(WARNING, "W_PAYROLL_EMPTY", "工资薪金和五险一金均未填写，本行不参与分配", sheet, excel_row,
                            "工资薪金", cols.get("wages"))
                    continue
                payroll.append(PayRow(v["person_id"], v.get("name"), v.get("staff_type") or "在职", month,
                                      v.get("wages") or 0, v.get("insurance") or 0, v.get("voucher_no"),
                                      Src(sheet, excel_row)))
    sheet = S.SHEET_EQUIPMENT
    if sheet in sheets:
        for excel_row, v, ok in read_table(sheet, sheets[sheet], S.EQUIPMENT_COLUMNS, out):
            cols = v["_cols"]
            month = month_of(v, sheet, excel_row, cols) if v.get("month") is not None else None
            if ok and month:
                equipment.append(EquipmentRow(v["asset_id"], v.get("name"), v.get("kind") or "设备", month,
                                              v["depreciation"], v.get("voucher_no"), Src(sheet, excel_row)))
    sheet = S.SHEET_EQUIPMENT_HOURS
    if sheet in sheets:
        for excel_row, v, ok in read_table(sheet, sheets[sheet], S.EQUIPMENT_HOURS_COLUMNS, out):
            cols = v["_cols"]
            month = month_of(v, sheet, excel_row, cols) if v.get("month") is not None else None
            good, no = project_of(v, sheet, excel_row, cols)
            hours = hours_of(v, sheet, excel_row, cols)
            if ok and good and month and hours is not None:
                equipment_hours.append(EquipmentHoursRow(v["asset_id"], month, no, hours, Src(sheet, excel_row)))
    return timesheets, payroll, equipment, equipment_hours


def build_allocation(sheets, projects: dict, params, out, first_line_id: int) -> AllocationResult:
    """Read the allocation sheets and allocate (called by :func:`calc.ingest.build_ledger`); the findings
    are added to ``out`` (the ingest collector) and kept on the result."""
    start = len(out.findings)
    records = _read(sheets, projects, out)
    result = allocate(*records, projects=projects, params=params, first_line_id=first_line_id)
    out.findings.extend(result.findings)
    object.__setattr__(result, "findings", tuple(out.findings[start:]))
    return result


# --------------------------------------------------------------------------- allocation

def _add(findings: list, severity, code, message, src: Src | None, column: str | None = None):
    findings.append(Finding(severity, code, message, src.sheet if src else None, src.row if src else None, column))


def _duplicates(rows, key, code: str, who: str, sheet: str, column: str, findings: list) -> None:
    """A second payroll (depreciation) row of the same person (device) and month: both are allocated, so a
    repeated row would count twice — a warning on the later row, no figure changed."""
    seen: dict = {}
    for r in rows:
        first = seen.setdefault(key(r), r.src)
        if first is not r.src:
            subject = getattr(r, "name", None) or key(r)[0]
            _add(findings, WARNING, code,
                 f"{who}“{subject}”{r.month}在“{sheet}”中已有第{first.row}行：两行分别按工时分配、合计计入，请核实是否重复录入",
                 r.src, column)


def _order(dests) -> list:
    """Destinations in the order of §0.2 ties: lower project number first, 非研发 last."""
    return sorted(dests, key=lambda d: (d is None, d or ""))


def allocate(timesheets=(), payroll=(), equipment=(), equipment_hours=(), *, projects: dict, params=None,
             first_line_id: int = 0) -> AllocationResult:
    findings: list[Finding] = []
    params = params or load_params()
    any_day = dt.date(2024, 1, 1)
    per_day, limit, threshold = limits(params, any_day)      # the result's headline rules (summary)
    by_day: dict[dt.date, tuple] = {}

    def rules_on(day: dt.date) -> tuple[Fraction, Fraction, Fraction]:
        if day not in by_day:
            by_day[day] = limits(params, day)
        return by_day[day]

    def rd_days(rd_hours: Fraction, year: int) -> tuple[Fraction, bool, Fraction]:
        """R&D days of a person-year and the HNTE 183-day test, with the rules of that year (AI-ALLOC-02)."""
        per, _, thr = rules_on(dt.date(year, 12, 31))
        days = rd_hours / per
        return days, days >= thr, thr

    # hours per person-month and destination (None = 非研发)
    hours: dict[tuple, dict] = defaultdict(lambda: defaultdict(Fraction))
    first_src: dict[tuple, Src] = {}
    names: dict[str, str] = {}
    for t in timesheets:
        key = (t.person_id, t.month)
        hours[key][t.project_no] += t.hours
        first_src.setdefault(key, t.src)
        if t.name:
            names.setdefault(t.person_id, t.name)
        if t.project_no is not None:
            p = projects.get(t.project_no)
            lo, hi = _month_bounds(t.month)
            if p is not None and ((p.start and hi < p.start) or (p.end and lo > p.end)):
                _add(findings, WARNING, "W_HOURS_OUTSIDE_PERIOD",
                     f"{t.month}不在项目“{t.project_no}”的研发期间（{p.start or '…'}至{p.end or '…'}）内：该月工时及按其分配的金额请核实",
                     t.src, "月份")
    for pr in payroll:
        if pr.name:
            names.setdefault(pr.person_id, pr.name)

    # person-month loads and the over-100%-time test
    loads = []
    for (pid, month), by in hours.items():
        _, lim, _ = rules_on(_month_bounds(month)[0])
        total = sum(by.values(), Fraction(0))
        rd = sum((h for d, h in by.items() if d is not None), Fraction(0))
        load = PersonMonthLoad(pid, names.get(pid), month, rd, total, lim, first_src[(pid, month)],
                               tuple((d or S.NON_RD, h) for d, h in ((d, by[d]) for d in _order(by))))
        loads.append(load)
        if load.over_limit:
            _add(findings, WARNING, "W_HOURS_OVER_LIMIT",
                 f"人员“{names.get(pid) or pid}”{month}记录工时合计{hours_text(total)}小时，超过月标准工时加加班上限{hours_text(lim)}小时"
                 f"（超过100%工时，劳动法第四十一条），请核实工时记录", load.src, "工时")
    loads.sort(key=lambda x: (x.person_id, x.month))

    paid = {(pr.person_id, pr.month) for pr in payroll}
    for key, by in hours.items():
        if key not in paid and any(d is not None and h for d, h in by.items()):
            _add(findings, WARNING, "W_HOURS_NO_PAYROLL",
                 f"人员“{names.get(key[0]) or key[0]}”{key[1]}有研发工时但“人员薪酬”中没有该月薪酬：工时计入研发天数，没有可分配的金额",
                 first_src[key], "人员编号")

    parts: list[AllocationPart] = []
    lines: list[Line] = []
    next_id = first_line_id
    person_year_days: dict[tuple, Fraction] = defaultdict(Fraction)
    for (pid, month), by in hours.items():
        person_year_days[(pid, int(month[:4]))] += sum((h for d, h in by.items() if d is not None), Fraction(0))

    def below_183(pid: str, year: int) -> bool:
        return not rd_days(person_year_days.get((pid, year), Fraction(0)), year)[1]

    def split(total: int, by: dict, component: str, subject: str, name, month: str, code_of, src: Src,
              voucher_no, summary_head: str, staff: bool):
        nonlocal next_id
        dests = _order(d for d, h in by.items())
        weights = [by[d] for d in dests]
        whole = sum(weights, Fraction(0))
        amounts = split_largest_remainder(total, weights)
        lo, hi = _month_bounds(month)
        for d, h, amount in zip(dests, weights, amounts):
            code = code_of if d is not None else None
            line_id = None
            if d is not None and amount:
                p = projects[d]
                day = hi
                if p.end and day > p.end and p.end >= lo:
                    day = p.end
                if p.start and day < p.start:
                    day = hi
                basis = (f"{src.sheet}第{src.row}行 {component} {fen_display(total)} × 工时 {hours_text(h)}/{hours_text(whole)}小时"
                         f"（{subject} {month}，{'人员工时' if staff else '设备工时'}；最大余额法至分）")
                hnte_cat = HNTE_BELOW_183 if staff and below_183(subject, lo.year) else None
                lines.append(Line(next_id, day, d, code, amount, None, None, "自有", "转" if voucher_no else None,
                                  voucher_no, f"{month} {name or subject} {summary_head} 按工时分配 {hours_text(h)}/{hours_text(whole)}小时",
                                  src, hnte_cat, basis))
                line_id = next_id
                next_id += 1
            parts.append(AllocationPart(component, subject, name, month, d or S.NON_RD, h, whole, total, amount,
                                        code, src, line_id))

    _duplicates(payroll, lambda r: (r.person_id, r.month), "W_PAYROLL_DUPLICATE", "人员", "人员薪酬", "人员编号", findings)
    for pr in payroll:
        by = hours.get((pr.person_id, pr.month))
        if not by or not sum(by.values(), Fraction(0)):
            _add(findings, WARNING, "W_PAYROLL_NO_HOURS",
                 f"人员“{pr.name or pr.person_id}”{pr.month}有薪酬但没有工时记录：未分摊的人员人工不得加计扣除（国家税务总局公告2017年第40号第一条第（三）项），本行不生成研发支出",
                 pr.src, "人员编号")
            continue
        dispatched = pr.staff_type in ("临时聘用", "劳务派遣")
        name = pr.name or names.get(pr.person_id)
        for component, total, code in (("工资薪金", pr.wages, "R06" if dispatched else "R04"),
                                       ("五险一金", pr.insurance, "R06" if dispatched else "R05")):
            if total:
                split(total, by, component, pr.person_id, name, pr.month, code, pr.src, pr.voucher_no,
                      "劳务费" if dispatched and component == "工资薪金" else component, True)

    # equipment
    usage: dict[tuple, dict] = defaultdict(lambda: defaultdict(Fraction))
    usage_src: dict[tuple, Src] = {}
    for e in equipment_hours:
        usage[(e.asset_id, e.month)][e.project_no] += e.hours
        usage_src.setdefault((e.asset_id, e.month), e.src)
        if e.project_no is not None:
            p = projects.get(e.project_no)
            lo, hi = _month_bounds(e.month)
            if p is not None and ((p.start and hi < p.start) or (p.end and lo > p.end)):
                _add(findings, WARNING, "W_HOURS_OUTSIDE_PERIOD",
                     f"{e.month}不在项目“{e.project_no}”的研发期间（{p.start or '…'}至{p.end or '…'}）内：该月设备工时及按其分配的折旧请核实",
                     e.src, "月份")
    booked = {(e.asset_id, e.month) for e in equipment}
    for key, src in usage_src.items():
        if key not in booked:
            _add(findings, INFO, "I_EQUIPMENT_HOURS_ONLY",
                 f"设备“{key[0]}”{key[1]}有使用工时但“设备折旧”中没有该月折旧额：不生成研发支出", src, "设备编号")
    _duplicates(equipment, lambda r: (r.asset_id, r.month), "W_EQUIPMENT_DUPLICATE", "设备", "设备折旧", "设备编号", findings)
    for e in equipment:
        by = usage.get((e.asset_id, e.month))
        if not by or not sum(by.values(), Fraction(0)):
            _add(findings, WARNING, "W_EQUIPMENT_NO_HOURS",
                 f"设备“{e.name or e.asset_id}”{e.month}有折旧但没有使用工时记录：未分摊的折旧不得加计扣除（国家税务总局公告2017年第40号第三条第（一）项），本行不生成研发支出",
                 e.src, "设备编号")
            continue
        code = "R17" if e.kind == "仪器" else "R18"
        split(e.depreciation, by, "折旧额", e.asset_id, e.name, e.month, code, e.src, e.voucher_no,
              f"{e.kind}折旧", False)

    # person-years
    persons = []
    staff_type = {pr.person_id: pr.staff_type for pr in payroll}
    loads_by = defaultdict(list)
    for ld in loads:
        loads_by[(ld.person_id, int(ld.month[:4]))].append(ld)
    money = defaultdict(lambda: [0, 0, 0, 0, defaultdict(int)])
    for pr in payroll:
        m = money[(pr.person_id, int(pr.month[:4]))]
        m[0] += pr.wages
        m[1] += pr.insurance
    for part in parts:
        if part.component == "折旧额" or not part.rd:
            continue
        m = money[(part.subject, int(part.month[:4]))]
        m[2 if part.component == "工资薪金" else 3] += part.amount
        m[4][part.destination] += part.amount
    for key in sorted(set(loads_by) | set(money)):
        pid, year = key
        lds = loads_by.get(key, [])
        rd = sum((x.rd_hours for x in lds), Fraction(0))
        total = sum((x.total_hours for x in lds), Fraction(0))
        days, meets, thr = rd_days(rd, year)
        m = money.get(key, [0, 0, 0, 0, {}])
        py = PersonYear(pid, names.get(pid), year, staff_type.get(pid), len(lds), rd, total, days, meets,
                        tuple(x.month for x in lds if x.over_limit), m[0], m[1], m[2], m[3],
                        tuple(sorted(m[4].items())))
        persons.append(py)
        if lds and rd and not py.meets_183 and (m[2] or m[3]):
            _add(findings, INFO, "I_RD_DAYS_BELOW_183",
                 f"人员“{py.name or pid}”{year}年研发工时{hours_text(rd)}小时，折合{hours_text(days)}天，不足{hours_text(thr)}天："
                 f"不属于高企科技人员，其按工时分配的人员人工不计入高企口径研发费用（仍可加计扣除，AI-ALLOC-05）",
                 lds[0].src, "工时")

    return AllocationResult(tuple(timesheets), tuple(payroll), tuple(equipment), tuple(equipment_hours),
                            tuple(parts), tuple(lines), tuple(loads), tuple(persons), tuple(findings), limit,
                            threshold, per_day)


# --------------------------------------------------------------------------- checks against the manual ledger

def double_count_findings(lines, result: AllocationResult | None) -> list[Finding]:
    """Manual 研发支出 lines that may repeat what the allocation generated: a staff line (R04/R05/R06) of the
    same project, code and month as a generated one, or a depreciation line naming an allocated device."""
    if result is None or not result.lines:
        return []
    staff = {(l.project_no, l.code, l.date.year, l.date.month) for l in result.lines if l.code in STAFF_CODES}
    assets = {}
    for e in result.equipment:
        assets.setdefault(e.asset_id, e.name)
    dep_months = {(l.project_no, l.date.year, l.date.month) for l in result.lines if l.code in EQUIPMENT_CODES}
    out = []
    for l in lines:
        if l.basis is not None or l.src is None or l.src.sheet != S.SHEET_LINES:
            continue
        if l.code in STAFF_CODES and (l.project_no, l.code, l.date.year, l.date.month) in staff:
            out.append(Finding(WARNING, "W_ALLOC_DOUBLE",
                               f"“人员薪酬”按工时分配已为项目“{l.project_no}”{l.date.year}-{l.date.month:02d}生成{l.code}：本行可能重复归集同一人员的人工费用，请核实（AI-ALLOC-06）",
                               l.src.sheet, l.src.row, "费用代码"))
        elif l.code in EQUIPMENT_CODES and (l.project_no, l.date.year, l.date.month) in dep_months and l.summary and any(
                (aid and aid in l.summary) or (name and name in l.summary) for aid, name in assets.items()):
            out.append(Finding(WARNING, "W_ALLOC_DOUBLE",
                               f"“设备折旧”按工时分配已为项目“{l.project_no}”{l.date.year}-{l.date.month:02d}生成该设备的折旧：本行可能重复归集，请核实（AI-ALLOC-06）",
                               l.src.sheet, l.src.row, "摘要"))
    return out


def person_month_loads(ledger, params=None) -> tuple[PersonMonthLoad, ...]:
    """Every person-month of the ledger's 人员工时 with its R&D hours, total hours and the monthly limit
    (standard hours + overtime limit of the parameters in force that month), as allocated when the ledger was
    built (calc.ingest.build_ledger, with the parameters it was given; ``params`` is kept for the interface)."""
    result = getattr(ledger, "allocation", None)
    return result.loads if result is not None else ()


# --------------------------------------------------------------------------- summary

def summary(result: AllocationResult | None, year: int) -> dict | None:
    """The allocation of one year as plain data (amounts in 分, hours and days as Fractions)."""
    if result is None or result.empty:
        return None
    persons = result.persons_of(year)
    projects = result.project_totals(year)
    loads = [ld for ld in result.loads if ld.month.startswith(f"{year:04d}-")]
    return {
        "year": year,
        "hours_per_day": result.hours_per_day,
        "limit_hours": result.limit_hours,
        "rd_days_threshold": result.rd_days_threshold,
        "persons": persons,
        "projects": projects,
        "over_limit": [ld for ld in loads if ld.over_limit],
        "lines": sum(1 for l in result.lines if l.date.year == year),
        "rd_total": sum(p.amount for p in result.parts if p.rd and int(p.month[:4]) == year),
        "non_rd_total": sum(p.amount for p in result.parts if not p.rd and int(p.month[:4]) == year),
    }
