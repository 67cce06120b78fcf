"""Build a :class:`~calc.model.Ledger` from the raw cell values of the canonical workbook.

Input: ``{sheet name: rows}``, each row a list of raw cell values (str, int, float, Decimal,
bool, date, datetime or None) at its Excel position (``rows[0]`` is Excel row 1).  Output: the
ledger of every valid record and a finding for every problem (severity, code, Chinese message,
sheet, row, column).  Nothing is guessed: a line with a bad cell is reported and left out,
every other line is kept.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import operator
import re
import unicodedata
from collections.abc import Mapping, Sequence

import numpy as np

from . import schema as S
from .allocation import build_allocation
from .columns import LINE_COLUMN_FIELDS, LineColumns, attach_columns, carry_memo
from .identifiers import check_credit_code, normalize_industry_code, parse_hnte_certificates, tech_sme_year
from .model import ERROR, INFO, WARNING, Adjustment, Ledger, Line, Profile, Project, Src, YearData, slot_maker
from .money import AmountError, fen_display, parse_amount, parse_ratio
from .params import Params, load_params
from .values import BIDI_RE, ValueProblem, clean_text, is_blank, lookalike_key, parse_int, parse_yesno, strip_invisible

from .tables import (_MISSING, _VALUE_CODES, TableIntake, _Collector, _match_header, _norm_header,  # noqa: F401
                     _parse_cell, _parse_column, _parse_rows, _parse_table, _read_table, _row_blank, _Table)

def _code_index(params: Params) -> dict[str, str]:
    index: dict[str, str] = {}
    for code, c in params.codes.items():
        index[code] = code
        if c.row is not None:
            index[str(c.row)] = code
            index[f"{c.row:02d}"] = code
        label = unicodedata.normalize("NFKC", c.label).replace(" ", "")
        index.setdefault(label, code)
        index.setdefault(re.sub(r"^[0-9]+\.|^\([一二三]\)", "", label), code)
        if code.startswith("NE"):
            index.setdefault(f"NE{int(code[2:])}", code)
    return index


_PROMOTE_AFTER = 200_000      # objects allocated in a gc_paused block above which it skips the young collection


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection inside (an import allocates millions of objects and no cycles: the
    collector would walk them over and over); reference counting still frees everything."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if gc.get_count()[0] > _PROMOTE_AFTER and not gc.get_freeze_count():
                # a big block (an import, a large evaluation): what was allocated inside goes straight to the
                # oldest generation (two list splices), so the first collection after this does not walk
                # every object of the ledger or evaluation again; small blocks are left to the collector
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def build_ledger(sheets: Mapping[str, Sequence[Sequence[object]]], params: Params | None = None, *,
                 intakes: Mapping[str, TableIntake] | None = None) -> Ledger:
    """The ledger of a canonical workbook's sheets (``{sheet name: rows}``).  ``intakes``: sheets whose rows a
    reader has already fed to a :class:`TableIntake` (see :func:`line_intakes`); their rows in ``sheets`` are
    then not used (only their presence)."""
    with gc_paused():
        return _build_ledger(sheets, params or load_params(), intakes or {})


def line_intakes(params: Params | None = None) -> dict[str, TableIntake]:
    """The intakes a streaming reader may feed for :func:`build_ledger`: the 研发支出 sheet's."""
    return {S.SHEET_LINES: LinesIntake(params or load_params())}


class LinesIntake(TableIntake):
    """The 研发支出 intake: besides parsing each block it makes the block's :class:`Line` records, for the rows that
    will be lines unless their project turns out to be unknown (the projects are read later).  :func:`_lines`
    uses them when the rows that are lines are exactly those (``made``), and makes the lines again otherwise."""

    def __init__(self, params: Params):
        self.resolver = _LineRows(S.SHEET_LINES, {}, {}, {}, params)
        super().__init__(S.SHEET_LINES, S.LINE_COLUMNS)

    def reset(self) -> None:
        super().reset()
        self.lines: list[Line] = []
        self.made: list[bool] = []                       # per data row: a line was made
        self.line_columns: dict[str, list] = {f: [] for f in LINE_COLUMN_FIELDS}   # complete even with no data row   # complete even with no data row

    def _body(self, start: int, rows) -> None:
        first = len(self.rows)
        super()._body(start, rows)
        if self.mapping is None or len(self.rows) == first:
            return
        n = len(self.rows) - first
        blank = [None] * n
        v = {f: (self.values[f][first:] if f in self.values else blank) for f in _LINE_FIELDS}
        resolve = self.resolver.resolve
        code_of = {raw: resolve(raw) for raw in set(v["code"]) if raw}
        codes = list(map(code_of.get, v["code"]))
        keep = [code is not None and (first + k) not in self.problems for k, code in enumerate(codes)]
        lines, columns = _make_lines(self.sheet, v["date"], v["project_no"], codes, v["amount"], v["tax_amount"],
                                     v["share"], v["funding"], v["voucher_kind"], v["voucher_no"], v["summary"],
                                     v["hnte_category"], self.rows[first:], keep, len(self.lines))
        self.lines.extend(lines)
        self.made.extend(keep)
        for field, column in columns.items():
            self.line_columns.setdefault(field, []).extend(column)


_KNOWN_SHEETS = frozenset((*S.SHEETS, S.SHEET_HELP, "代码表", S.SHEET_FACTS, *S.ALLOCATION_SHEETS))


def _sheet_names_trimmed(sheets: Mapping[str, Sequence], out: _Collector) -> Mapping[str, Sequence]:
    """A template sheet whose name has spaces (ASCII or full-width) or invisible characters around it, or
    full-width letters, is read under its template name with a note: in Excel it shows with the right name
    (review M7).  Never when the exact name is also there."""
    renamed = {}
    for name in sheets:
        if name in _KNOWN_SHEETS:
            continue
        canon = unicodedata.normalize("NFKC", strip_invisible(name)).strip()
        if canon in _KNOWN_SHEETS and canon not in sheets and canon not in renamed.values():
            renamed[name] = canon
    if not renamed:
        return sheets
    for name, canon in renamed.items():
        out.add(INFO, "I_SHEET_NAME_TRIMMED", f"工作表名称“{name}”前后有空格或不可见字符，已按“{canon}”读取", canon)
    return {renamed.get(name, name): rows for name, rows in sheets.items()}


def _build_ledger(sheets: Mapping[str, Sequence[Sequence[object]]], params: Params,
                  intakes: Mapping[str, TableIntake]) -> Ledger:
    out = _Collector()
    sheets = _sheet_names_trimmed(sheets, out)
    for name in sheets:
        if name not in S.SHEETS and name not in (S.SHEET_HELP, "代码表", S.SHEET_FACTS, *S.ALLOCATION_SHEETS):
            out.add(INFO, "I_EXTRA_SHEET", f"工作表“{name}”不是模板工作表，已忽略", name)
    for name in (S.SHEET_PROFILE, S.SHEET_PROJECTS, S.SHEET_LINES):
        if name not in sheets:
            out.add(ERROR, "E_SHEET_MISSING", f"缺少工作表“{name}”", name)
    profile = _profile(sheets.get(S.SHEET_PROFILE), out)
    for no, cert in profile.hnte_certificates():
        if params.maybe_at("hnte_certificate_years", dt.date(cert.year, 12, 31)) is None:
            field = "hnte_cert_date" if cert == profile.hnte_cert_date else "hnte_cert_history"
            out.add(ERROR, "E_HNTE_CERT_DATE", f"高新技术企业证书{no or ''}发证日期{cert.isoformat()}不在本应用可计算的认定办法期间内"
                    "（国科发火〔2008〕172号起）：请核对日期", S.SHEET_PROFILE, profile.rows.get(field), "值", 1)
    years = _years(sheets.get(S.SHEET_YEARS, ()), out) if S.SHEET_YEARS in sheets else ()
    projects = _projects(sheets.get(S.SHEET_PROJECTS, ()), out) if S.SHEET_PROJECTS in sheets else {}
    lines = _lines(sheets.get(S.SHEET_LINES, ()), projects, params, out, intakes.get(S.SHEET_LINES)) \
        if S.SHEET_LINES in sheets else ()
    adjustments = _adjustments(sheets.get(S.SHEET_ADJUSTMENTS, ()), projects, out) \
        if S.SHEET_ADJUSTMENTS in sheets else ()
    facts = _facts(sheets.get(S.SHEET_FACTS, ()), out) if S.SHEET_FACTS in sheets else ()
    allocation = None
    if any(name in sheets for name in S.ALLOCATION_SHEETS):     # 工时分配: generated lines after the manual ones
        allocation = build_allocation(sheets, projects, params, out, len(lines))
        lines = [*lines, *allocation.lines]
    cols = LineColumns(lines, out.line_columns if allocation is None else None)  # built once with the ledger
    cross_at = len(out.findings)
    _cross_checks(projects, cols, params, out)
    _allocation_checks(lines, allocation, out)
    ledger = Ledger(profile, tuple(years), projects, tuple(lines), tuple(adjustments), tuple(out.findings),
                    tuple(facts), allocation)
    attach_columns(ledger, cols)
    if out.build is not None:
        out.build.after = tuple(out.findings[out.build.after_at:cross_at])
        out.build.params = params
        object.__setattr__(ledger, "_build", out.build)
    return ledger


# -- 补助测算信息 --------------------------------------------------------------------------

def _facts(rows, out: _Collector) -> list:
    """(year | None, fact name, value, Src): names by Chinese label or id of calc.subsidy.FACTS, values
    parsed by the fact's kind; a name no shipped definition knows is kept as text for packs that declare it."""
    from .subsidy import FACTS

    sheet = S.SHEET_FACTS
    by_label = {unicodedata.normalize("NFKC", f.label).replace(" ", ""): f for f in FACTS.values()}
    result, seen = [], {}
    for excel_row, v, ok in _read_table(sheet, rows, S.FACT_COLUMNS, out):
        cols = v["_cols"]
        if not ok:
            continue
        raw_name = v["name"]
        key = unicodedata.normalize("NFKC", raw_name).replace(" ", "")
        fact = FACTS.get(raw_name) or by_label.get(key)
        raw_value = rows[excel_row - 1][cols["value"]]
        try:
            if fact is None:
                try:
                    value = parse_yesno(raw_value)          # most pack-specific facts are 是/否
                except ValueProblem:
                    value = clean_text(raw_value)
                out.add(INFO, "I_FACT_CUSTOM", f"“{raw_name}”不是内置的补助测算信息，按规则包自行声明的项目使用", sheet,
                        excel_row, "项目", cols.get("name"))
            elif fact.kind == "money":
                value = parse_amount(raw_value)
            elif fact.kind == "ratio":
                value = parse_ratio(raw_value)
            elif fact.kind == "bool":
                value = parse_yesno(raw_value)
            else:
                value = parse_int(raw_value, minimum=1 if fact.kind == "rank" else 0)
        except (AmountError, ValueProblem) as exc:
            out.add(ERROR, "E_FACT_VALUE", f"{raw_name}：{exc}", sheet, excel_row, "值", cols.get("value"))
            continue
        name = fact.name if fact else raw_name
        k = (v.get("year"), name)
        if k in seen:
            out.add(ERROR, "E_FACT_DUPLICATE", f"“{raw_name}”{'' if k[0] is None else f'{k[0]}年度'}重复（已在第{seen[k]}行）", sheet,
                    excel_row, "项目", cols.get("name"))
            continue
        seen[k] = excel_row
        result.append((v.get("year"), name, value, Src(sheet, excel_row)))
    return result


# -- 企业信息 ----------------------------------------------------------------------------

def _profile(rows, out: _Collector) -> Profile:
    sheet = S.SHEET_PROFILE
    if rows is None:
        return Profile()
    by_header = {c.header: c for c in S.PROFILE_FIELDS}
    values: dict[str, object] = {}
    where: dict[str, int] = {}
    for i, row in enumerate(rows):
        if not row or is_blank(row[0]):
            continue
        key = _norm_header(row[0])
        col = by_header.get(key) or _match_header(row[0], S.PROFILE_FIELDS)
        if col is None:
            if key not in ("字段",):
                out.add(INFO, "I_EXTRA_FIELD", f"字段“{key}”不是模板字段，已忽略", sheet, i + 1, "字段", 0)
            continue
        raw = row[1] if len(row) > 1 else None
        if col.field in values:
            out.add(WARNING, "W_FIELD_DUPLICATE", f"字段“{col.header}”重复，只使用第一次填写", sheet, i + 1, "值", 1)
            continue
        where[col.field] = i + 1
        if isinstance(raw, str) and BIDI_RE.search(raw):
            out.add(WARNING, "W_TEXT_DIRECTION", f"{col.header}含文字方向控制字符（如 U+202E），在 Excel 与报告中会显示为"
                    "不同的顺序：已删除这些字符，请核对", sheet, i + 1, "值", 1)
        try:
            values[col.field] = _parse_cell(col, raw)
        except (AmountError, ValueProblem) as exc:
            out.add(ERROR, _VALUE_CODES.get(col.kind, "E_VALUE"), f"{col.header}：{exc}", sheet, i + 1, "值", 1)
            values[col.field] = None
    for col in S.PROFILE_FIELDS:
        if col.required and values.get(col.field) is None and not any(
                f.sheet == sheet and f.row == where.get(col.field) and f.severity == ERROR for f in out.findings):
            out.add(ERROR, "E_PROFILE_REQUIRED", f"企业信息缺少必填字段“{col.header}”", sheet, where.get(col.field),
                    "值", 1 if where.get(col.field) else None)
    credit = values.get("credit_code")
    if credit:
        problem = check_credit_code(str(credit))
        if problem:
            out.add(ERROR, "E_CREDIT_CODE", problem, sheet, where.get("credit_code"), "值", 1)
        credit = unicodedata.normalize("NFKC", str(credit)).strip().upper()
    industry = values.get("industry_code")
    if industry:
        canonical, problem = normalize_industry_code(str(industry))
        if problem:
            out.add(ERROR, "E_INDUSTRY_CODE", problem, sheet, where.get("industry_code"), "值", 1)
            industry = None
        else:
            industry = canonical
    sme = tuple(n.strip() for n in re.split(r"[,，;；\s]+", str(values.get("tech_sme_no") or "")) if n.strip())
    for n in sme:
        if tech_sme_year(n) is None:
            out.add(WARNING, "W_TECH_SME_NO", f"科技型中小企业入库登记编号“{n}”格式无法识别（应以登记年度开头）", sheet,
                    where.get("tech_sme_no"), "值", 1)
    packs = tuple(p.strip() for p in re.split(r"[,，;；\s]+", str(values.get("packs") or "")) if p.strip())
    certs, problems = parse_hnte_certificates(values.get("hnte_cert_history"))
    for problem in problems:
        out.add(ERROR, "E_HNTE_CERT_HISTORY", f"高新技术企业历次证书：{problem}", sheet, where.get("hnte_cert_history"),
                "值", 1)
    cert_no, cert_date = values.get("hnte_cert_no"), values.get("hnte_cert_date")
    for no, day in certs:
        if cert_no and no and no != cert_no and day == cert_date:
            out.add(WARNING, "W_HNTE_CERT_MISMATCH", f"高新技术企业历次证书中{day.isoformat()}颁发的证书编号“{no}”与"
                    f"“高新技术企业证书编号”“{cert_no}”不同：请核对", sheet, where.get("hnte_cert_history"), "值", 1)
    if cert_no and cert_date is None and not certs:
        out.add(WARNING, "W_HNTE_CERT_NO_DATE", "填写了高新技术企业证书编号但未填发证日期：无法确定证书覆盖的纳税年度，"
                "本测算不按高新技术企业计算", sheet, where.get("hnte_cert_no"), "值", 1)
    start, founded = values.get("operating_start"), values.get("founded")
    if isinstance(start, dt.date) and isinstance(founded, dt.date) and start < founded:
        out.add(WARNING, "W_OPERATING_START", f"开始经营日期{start.isoformat()}早于成立日期{founded.isoformat()}：请核对",
                sheet, where.get("operating_start"), "值", 1)
    core = {"name", "credit_code", "industry_code", "collection", "founded", "hnte_cert_no", "hnte_cert_date",
            "tech_sme_no", "ic_or_machine_tool", "ic_basis", "packs", "prepared_by", "advisor"}
    return Profile(
        name=values.get("name"), credit_code=credit or None, industry_code=industry,
        collection=values.get("collection") or "查账征收", founded=values.get("founded"),
        hnte_cert_no=values.get("hnte_cert_no"), hnte_cert_date=values.get("hnte_cert_date"),
        tech_sme_nos=sme, ic_or_machine_tool=bool(values.get("ic_or_machine_tool")),
        ic_basis=values.get("ic_basis"), packs=packs, prepared_by=values.get("prepared_by"),
        advisor=values.get("advisor"),
        other={k: v for k, v in values.items() if k not in core}, rows=where, hnte_certs=certs)


# -- 年度数据 ----------------------------------------------------------------------------

def _years(rows, out: _Collector) -> list[YearData]:
    sheet = S.SHEET_YEARS
    result: list[YearData] = []
    seen: dict[tuple[int, str], int] = {}
    for excel_row, values, ok in _read_table(sheet, rows, S.YEAR_COLUMNS, out):
        year = values.get("year")
        if year is None:
            continue
        period = values.get("period") or "year"
        if (year, period) in seen:
            out.add(ERROR, "E_YEAR_DUPLICATE", f"{year}年度{'' if period == 'year' else period}数据重复（已在第{seen[(year, period)]}行填写），本行未采用",
                    sheet, excel_row, "年度", values["_cols"].get("year"))
            continue
        seen[(year, period)] = excel_row
        data = {k: v for k, v in values.items() if k not in ("year", "period", "_cols") and v is not None}
        result.append(YearData(year, period, data, Src(sheet, excel_row)))
    return result


# -- 研发项目 ----------------------------------------------------------------------------

def _projects(rows, out: _Collector) -> dict[str, Project]:
    sheet = S.SHEET_PROJECTS
    projects: dict[str, Project] = {}
    rejected: dict[str, int] = {}
    for excel_row, v, ok in _read_table(sheet, rows, S.PROJECT_COLUMNS, out):
        cols = v["_cols"]
        no = v.get("project_no")
        if not no:
            continue
        if no in projects:
            out.add(ERROR, "E_PROJECT_DUPLICATE", f"项目编号“{no}”重复（已在第{projects[no].src.row}行），本行未采用",
                    sheet, excel_row, "项目编号", cols.get("project_no"))
            continue
        if not all(v.get(f) for f in ("name", "form", "ledger_type")):
            rejected.setdefault(no, excel_row)   # the bad cell is already a finding; the project is not usable
            continue
        if v.get("start") and v.get("end") and v["end"] < v["start"]:
            out.add(ERROR, "E_PROJECT_DATES", f"项目“{no}”结束日期早于开始日期", sheet, excel_row, "结束日期",
                    cols.get("end"))
        ia_years = v.get("ia_years")
        p = Project(no, v["name"], v["form"], v["ledger_type"], v.get("start"), v.get("end"),
                    v.get("status") or "未结束", v.get("entrustee"), v.get("entrustee_related"),
                    v.get("entrustee_location"), v.get("contract_no"), v.get("ownership"), v.get("ia_date"),
                    ia_years, v.get("ia_base"), v.get("results"), Src(sheet, excel_row))
        if p.capitalised and p.status == "已结束" and p.ia_date is None and p.ia_base is None:
            out.add(INFO, "I_CAPITALISED_NO_IA", f"资本化项目“{no}”已结束但未填无形资产形成日期：按 AI-SD-10 于结束年度作费用化处理",
                    sheet, excel_row, "无形资产形成日期", cols.get("ia_date"))
        if p.ia_date and not p.capitalised:
            out.add(WARNING, "W_IA_NOT_CAPITALISED", f"项目“{no}”支出类型为费用化，却填写了无形资产形成日期（未使用）",
                    sheet, excel_row, "无形资产形成日期", cols.get("ia_date"))
        if p.capitalised and (p.ia_date or p.ia_base is not None) and (ia_years is None or ia_years < 10):
            out.add(WARNING, "W_IA_LIFE", f"项目“{no}”摊销年限{'未填' if ia_years is None else f'为{ia_years}年'}：研发形成的无形资产摊销年限不得低于10年，按10年计算（AI-APP-05）",
                    sheet, excel_row, "摊销年限", cols.get("ia_years"))
        if p.form == "委托研发" and p.ownership == "受托方":
            out.add(WARNING, "W_OWNERSHIP", f"项目“{no}”研发成果归受托方所有：委托方不得加计扣除（指引2.0 三(一)1(2)），其支出不计入",
                    sheet, excel_row, "研发成果归属", cols.get("ownership"))
        projects[no] = p
    for no, row in rejected.items():
        if no not in projects:
            out.rejected_projects[no] = row
    seen: dict[str, Project] = {}
    for no, p in projects.items():          # numbers that differ only in case, width, accents or invisible marks
        first = seen.setdefault(lookalike_key(no), p)
        if first is not p:
            out.add(WARNING, "W_PROJECT_LOOKALIKE",
                    f"项目编号“{no}”与第{first.src.row}行的“{first.project_no}”看起来相同（只差大小写、全角半角、"
                    "组合字符或不可见字符）：可能是同一项目登记了两次，支出会被分开计算，请核对", sheet, p.src.row,
                    "项目编号", None)
    return projects


# -- 研发支出 ----------------------------------------------------------------------------

_GRANT = "财政资金（不征税）"
_ORDINAL_2016 = dt.date(2016, 1, 1).toordinal()
_LINE_FIELDS = ("date", "voucher_kind", "voucher_no", "project_no", "code", "summary", "amount", "tax_amount",
                "funding", "share", "hnte_category")


#: 税法金额 above this multiple of 会计金额 is flagged (review M4).  Not law: a screening heuristic — a one-time
#: deduction of equipment (财税〔2018〕54号) can legitimately exceed the accounting depreciation many times over.
TAX_AMOUNT_FACTOR = 10


def tax_odd(amount: int | None, tax: int) -> bool:
    """税法金额 of the other sign than 会计金额, or more than :data:`TAX_AMOUNT_FACTOR` times it."""
    if amount is None or tax == amount:
        return False
    if (tax < 0 < amount) or (amount < 0 < tax):
        return True
    return abs(tax) > TAX_AMOUNT_FACTOR * abs(amount)


def tax_odd_rows(amounts, taxes) -> list[int]:
    """The data rows whose 税法金额 :func:`tax_odd` flags."""
    return [k for k, (a, t) in enumerate(zip(amounts, taxes)) if t is not None and t != a and tax_odd(a, t)]


def _tax_message(amount: int | None, tax: int) -> str:
    if amount is not None and ((tax < 0 < amount) or (amount < 0 < tax)):
        return (f"税法金额（{fen_display(tax)}）与会计金额（{fen_display(amount)}）正负相反：请核对是否填错符号或填错列；"
                "加计扣除按税法金额计算")
    return (f"税法金额（{fen_display(tax)}）超过会计金额（{fen_display(amount or 0)}）的{TAX_AMOUNT_FACTOR}倍：请核对"
            "（设备一次性税前扣除等情形可能属实）；加计扣除按税法金额计算")


class _LineRows:
    """The checks of one 研发支出 row after its cells are parsed, and its :class:`Line` when it is valid.

    ``values`` holds the parsed columns (``field → [value per data row]``); a full import checks every row,
    :func:`patch_lines` one edited row with the same code."""

    def __init__(self, sheet: str, cols: dict, projects: dict, rejected: dict, params: Params):
        self.sheet, self.cols, self.projects, self.rejected = sheet, cols, projects, rejected
        self.codes = _code_index(params)
        self.code_of: dict[str, str | None] = {}
        self.entrusting = {"R36", "R37", "R39"}
        self.c_code, self.c_no, self.c_share, self.c_date, self.c_funding = (
            cols.get(f) for f in ("code", "project_no", "share", "date", "funding"))

    def use(self, values: dict, n: int) -> None:
        self._codes = None
        blank = [None] * n
        (self.dates, self.kinds, self.vouchers, self.nos, self.raw_codes, self.summaries, self.amounts, self.taxes,
         self.fundings, self.shares, self.categories) = (values.get(f, blank) for f in _LINE_FIELDS)

    def resolve(self, raw_code: str) -> str | None:
        """The expense code a 费用代码 cell names (code, row number or official label), or None."""
        code = self.code_of.get(raw_code, _MISSING)
        if code is _MISSING:
            key = unicodedata.normalize("NFKC", raw_code).replace(" ", "").upper()
            code = self.code_of[raw_code] = (
                self.codes.get(key) or self.codes.get(unicodedata.normalize("NFKC", raw_code).replace(" ", "")))
        return code

    def lookalike(self, no: str) -> str | None:
        """A registered project number that looks like ``no`` (the same :func:`lookalike_key`)."""
        key = lookalike_key(no)
        return next((p for p in self.projects if lookalike_key(p) == key), None)

    def codes_by_row(self) -> list[str | None]:
        if self._codes is None:
            code_of = {raw: self.resolve(raw) for raw in set(self.raw_codes) if raw}
            self._codes = list(map(code_of.get, self.raw_codes))
        return self._codes

    def quiet(self, problems: dict) -> list[bool]:
        """Per data row: True when :meth:`check` would add no finding and return a line — its cells parse, its code
        and project are known, and none of the row checks applies.  (Computed from the columns, a distinct
        value at a time; the rows that are not quiet go through ``check``.)"""
        projects, entrusting = self.projects, self.entrusting
        nos, codes, n = self.nos, self.codes_by_row(), len(self.nos)

        def pair_quiet(no, code) -> bool:
            p = projects.get(no)
            if p is None or code is None or code == "R39":
                return False
            if code in entrusting:
                if p.form not in ("委托研发",):
                    return False
                if (code == "R36" and p.entrustee_location == "境外") or (code == "R37" and p.entrustee_location == "境内"):
                    return False
            return True

        pairs = {pair: pair_quiet(*pair) for pair in set(zip(nos, codes))}
        ok = np.fromiter(map(pairs.__getitem__, zip(nos, codes)), dtype=bool, count=n)
        if problems:
            ok[np.fromiter(problems, dtype=np.int64, count=len(problems))] = False
        zero = {s for s in set(self.shares) if s is not None and s == 0}
        if zero:
            ok &= ~np.fromiter(map(zero.__contains__, self.shares), dtype=bool, count=n)
        ok &= ~np.fromiter(map(frozenset((_GRANT,)).__contains__, self.fundings), dtype=bool, count=n)
        odd = tax_odd_rows(self.amounts, self.taxes)
        if odd:
            ok[np.fromiter(odd, dtype=np.int64, count=len(odd))] = False
        ordinal = {d: d.toordinal() for d in set(self.dates) if d is not None}
        ordinal[None] = 0
        day = np.fromiter(map(ordinal.__getitem__, self.dates), dtype=np.int64, count=n)
        ok &= day >= _ORDINAL_2016
        index = {no: i for i, no in enumerate(projects)}
        bounds = np.array([(p.start.toordinal() if p.start else -1, p.end.toordinal() if p.end else 1 << 40)
                           for p in projects.values()] + [(-1, 1 << 40)], dtype=np.int64).reshape(-1, 2)
        proj = np.fromiter(map(index.get, nos, itertools.repeat(len(index))), dtype=np.int64, count=n)
        ok &= (day >= bounds[proj, 0]) & (day <= bounds[proj, 1])
        return ok.tolist()

    def check(self, k: int, excel_row: int, ok: bool, line_id: int, add) -> Line | None:
        sheet = self.sheet
        raw_code = self.raw_codes[k]
        code = None
        if raw_code:
            code = self.resolve(raw_code)
            if code is None:
                add(ERROR, "E_CODE_UNKNOWN", f"费用代码“{raw_code}”不存在（应为 R04…R39、NE01…NE99、行次号或官方行次名称）",
                    sheet, excel_row, "费用代码", self.c_code)
                ok = False
        no = self.nos[k]
        if no and no not in self.projects:
            if no in self.rejected:
                add(ERROR, "E_PROJECT_INVALID", f"项目“{no}”在“研发项目”第{self.rejected[no]}行有错误，改正后本行才能计入",
                    sheet, excel_row, "项目编号", self.c_no)
            else:
                like = self.lookalike(no)
                add(ERROR, "E_PROJECT_UNKNOWN", f"项目编号“{no}”未在“研发项目”中登记"
                    + (f"（与已登记的“{like}”只差大小写、全角半角或不可见字符）" if like else ""), sheet, excel_row,
                    "项目编号", self.c_no)
            ok = False
        share = self.shares[k]
        if share is not None and share == 0:
            add(WARNING, "W_SHARE_ZERO", "研发工时占比为0%：本行不计入加计扣除", sheet, excel_row, "研发工时占比", self.c_share)
        if not ok:
            return None
        day, funding = self.dates[k], self.fundings[k] or "自有"
        line = Line(line_id, day, no, code, self.amounts[k], self.taxes[k], share, funding, self.kinds[k],
                    self.vouchers[k], self.summaries[k], Src(sheet, excel_row), self.categories[k])
        p = self.projects[no]
        if (p.start and day < p.start) or (p.end and day > p.end):
            add(WARNING, "W_OUTSIDE_PERIOD",
                f"日期{day.isoformat()}不在项目“{no}”的研发期间（{p.start or '…'}至{p.end or '…'}）内，请核实是否属于该项目",
                sheet, excel_row, "日期", self.c_date)
        if day.year < 2016:
            add(WARNING, "W_BEFORE_2016", "2016年以前的支出不适用本办法（财税〔2015〕119号），仅作记录", sheet,
                excel_row, "日期", self.c_date)
        tax = self.taxes[k]
        if tax is not None and tax_odd(self.amounts[k], tax):
            add(WARNING, "W_TAX_AMOUNT", _tax_message(self.amounts[k], tax), sheet, excel_row, "税法金额",
                self.cols.get("tax_amount"))
        if code == "R39":
            add(WARNING, "W_R39", "委托境外个人进行研发活动的费用不得加计扣除（财税〔2018〕64号第六条），仅列报于第39行",
                sheet, excel_row, "费用代码", self.c_code)
        if funding == _GRANT:
            add(INFO, "I_GRANT", "财政资金（作不征税收入处理）形成的费用不得加计扣除（国家税务总局公告2015年第97号第二条第（五）项），本行不计入",
                sheet, excel_row, "资金来源", self.c_funding)
        if code in self.entrusting and code != "R39":
            if p.form not in ("委托研发",):
                add(WARNING, "W_ENTRUST_FORM", f"委托研发费用记在研发形式为“{p.form}”的项目“{no}”中，请核对", sheet,
                    excel_row, "费用代码", self.c_code)
            if code == "R36" and p.entrustee_location == "境外":
                add(WARNING, "W_ENTRUST_LOCATION", f"项目“{no}”受托方在境外，代码 R36（境内）与之不符", sheet,
                    excel_row, "费用代码", self.c_code)
            if code == "R37" and p.entrustee_location == "境内":
                add(WARNING, "W_ENTRUST_LOCATION", f"项目“{no}”受托方在境内，代码 R37（境外机构）与之不符", sheet,
                    excel_row, "费用代码", self.c_code)
        return line


class _LinesBuild:
    """What :func:`patch_lines` needs to redo one row of 研发支出 as a full import would."""

    def __init__(self, table: _Table, checker: _LineRows, before: tuple, after_at: int):
        self.table, self.checker = table, checker
        self.before = before                  # findings up to the first 研发支出 row (header findings included)
        self.after_at = after_at              # where the findings after 研发支出 start (in the full list)
        self.after: tuple = ()                # findings of 调整事项 and 补助测算信息
        self.row_findings: dict[int, tuple] = {}     # data row k → its findings
        self.line_of: list[int] = []                 # data row k → its line index, or -1
        self.params: Params | None = None
        self._k_of: dict[int, int] | None = None

    def k_of(self, sheet_row: int) -> int | None:
        if self._k_of is None:
            self._k_of = {i: k for k, i in enumerate(self.table.rows)}
        return self._k_of.get(sheet_row)


_make_line = slot_maker(Line)
_make_src = slot_maker(Src)


def _lines(rows, projects: dict[str, Project], params: Params, out: _Collector,
           intake: TableIntake | None = None) -> list[Line]:
    """The lines of 研发支出 and their findings, in row order.

    Most rows of a ledger say nothing: their cells parse, their code and project are known and none of the
    row checks of :meth:`_LineRows.check` applies (:meth:`_LineRows.quiet` decides that from the columns).  Only
    the other rows go through ``check`` one by one, which gives their findings and whether they are valid; the
    lines of all valid rows are then made column-wise, with the arguments ``check`` gives them."""
    sheet = S.SHEET_LINES
    table = intake.table(out) if intake is not None else _parse_table(sheet, rows, S.LINE_COLUMNS, out)
    if table is None:
        return []
    problems = table.problems
    checker = _LineRows(sheet, table.cols, projects, out.rejected_projects, params)
    n = len(table.rows)
    checker.use(table.values, n)
    findings = out.findings
    build = out.build = _LinesBuild(table, checker, tuple(findings), 0)
    row_findings = build.row_findings
    add, check = out.add, checker.check
    quiet = checker.quiet(problems)
    valid = list(quiet)
    for k in itertools.compress(range(n), map(operator.not_, quiet)):
        start = len(findings)
        ok = True if k not in problems else table.emit_problems(k, out)
        valid[k] = check(k, table.rows[k] + 1, ok, 0, add) is not None
        if len(findings) != start:
            row_findings[k] = tuple(findings[start:])
    kept_rows = np.array(valid, dtype=bool).reshape(-1)
    ids = np.cumsum(kept_rows) - 1
    build.line_of.extend(np.where(kept_rows, ids, -1).tolist())
    count = int(kept_rows.sum())
    build.after_at = len(findings)

    intake_lines = getattr(intake, "lines", None)
    if intake_lines is not None and intake.made == valid:      # the lines the intake made as the rows came in
        out.line_columns = intake.line_columns
        return intake_lines
    c = checker
    lines, out.line_columns = _make_lines(sheet, c.dates, c.nos, c.codes_by_row(), c.amounts, c.taxes, c.shares,
                                          c.fundings, c.kinds, c.vouchers, c.summaries, c.categories, table.rows,
                                          valid, 0)
    return lines


def _make_lines(sheet, dates, nos, codes, amounts, taxes, shares, fundings, kinds, vouchers, summaries, categories,
                rows, keep: list[bool], first_id: int) -> tuple[list[Line], dict[str, list]]:
    """The :class:`Line` records of the data rows ``k`` with ``keep[k]`` (ids from ``first_id``, as
    :meth:`_LineRows.check` makes them) and their columns by field name, for :class:`LineColumns`."""
    every = all(keep)

    def kept(column):
        return column if every else list(itertools.compress(column, keep))

    columns = {"date": kept(dates), "project_no": kept(nos), "code": kept(codes), "amount": kept(amounts),
               "tax_amount": kept(taxes), "share": kept(shares), "funding": [f or "自有" for f in kept(fundings)],
               "hnte_category": kept(categories)}
    count = len(columns["date"])
    srcs = map(_make_src, itertools.repeat(sheet), map((1).__add__, kept(rows)))
    lines = list(map(_make_line, range(first_id, first_id + count), columns["date"], columns["project_no"],
                     columns["code"], columns["amount"], columns["tax_amount"], columns["share"], columns["funding"],
                     kept(kinds), kept(vouchers), kept(summaries), srcs, columns["hnte_category"],
                     itertools.repeat(None)))
    return lines, columns


def patch_lines(ledger: Ledger, edits: Mapping[int, Sequence[object]]) -> Ledger | None:
    """The ledger after 研发支出 rows were edited in place — ``edits``: 0-based sheet row → its new raw cells —
    equal to :func:`build_ledger` of the edited sheets, or ``None`` when an edit is not a simple in-place one
    (a row becomes valid or invalid or blank, a row that was not a data row): then build the ledger again.

    Only the edited rows are parsed and checked; the checks across rows are recomputed from the columns, and
    results already computed for years the edits cannot reach are kept (see :func:`calc.columns.carry_memo`)."""
    build: _LinesBuild | None = ledger.__dict__.get("_build")
    if build is None or not edits:
        return None
    table, checker = build.table, build.checker
    ks, raws = [], []
    for sheet_row, raw in edits.items():
        k = build.k_of(sheet_row)
        if k is None or not raw or _row_blank(raw):
            return None
        ks.append(k)
        raws.append(raw)
    values, problems = _parse_rows(table.mapping, raws)
    single = _Table(table.sheet, table.header_at, table.mapping, [table.rows[k] for k in ks], values, problems)
    probe = _LineRows(checker.sheet, checker.cols, checker.projects, checker.rejected, build.params)
    probe.use(values, len(ks))
    lines = list(ledger.lines)
    row_findings = dict(build.row_findings)
    changed: dict[int, tuple[Line, Line]] = {}
    for n, k in enumerate(ks):
        out = _Collector()
        ok = single.emit_problems(n, out)
        index = build.line_of[k]
        line = probe.check(n, table.rows[k] + 1, ok, lines[index].id if index >= 0 else 0, out.add)
        if (line is None) != (index < 0):
            return None                                 # the row enters or leaves the ledger: ids move
        if out.findings:
            row_findings[k] = tuple(out.findings)
        else:
            row_findings.pop(k, None)
        if line is not None:
            changed[index] = (lines[index], line)
            lines[index] = line
    old_cols: LineColumns = ledger.__dict__.get("_line_columns") or LineColumns(ledger.lines)
    cols = old_cols.patched({i: new for i, (_, new) in changed.items()}, tuple(lines))
    out = _Collector()
    _cross_checks(ledger.projects, cols, build.params, out)
    _allocation_checks(lines, ledger.allocation, out)
    findings = list(build.before)
    for k in sorted(row_findings):
        findings.extend(row_findings[k])
    findings.extend(build.after)
    findings.extend(out.findings)
    patched = Ledger(ledger.profile, ledger.years, ledger.projects, tuple(lines), ledger.adjustments,
                     tuple(findings), ledger.facts, ledger.allocation)
    attach_columns(patched, cols)
    new_build = _LinesBuild(table, checker, build.before, build.after_at)
    new_build.after, new_build.params, new_build.line_of = build.after, build.params, build.line_of
    new_build.row_findings, new_build._k_of = row_findings, build._k_of
    object.__setattr__(patched, "_build", new_build)
    carry_memo(ledger, patched, [d for old, new in changed.values() for d in (old.date, new.date)])
    return patched


# -- 调整事项 ----------------------------------------------------------------------------

def _adjustments(rows, projects, out: _Collector) -> list[Adjustment]:
    sheet = S.SHEET_ADJUSTMENTS
    result: list[Adjustment] = []
    for excel_row, v, ok in _read_table(sheet, rows, S.ADJUSTMENT_COLUMNS, out):
        cols = v["_cols"]
        if v.get("project_no") and v["project_no"] not in projects:
            out.add(ERROR, "E_PROJECT_UNKNOWN", f"项目编号“{v['project_no']}”未在“研发项目”中登记", sheet, excel_row,
                    "项目编号", cols.get("project_no"))
            ok = False
        if not ok:
            continue
        if v["amount"] < 0:
            out.add(ERROR, "E_ADJUSTMENT_NEGATIVE", "调整金额不应为负数", sheet, excel_row, "金额", cols.get("amount"))
            continue
        if v.get("date") and v["date"].year != v["year"]:
            out.add(WARNING, "W_ADJUSTMENT_DATE", f"日期{v['date']}不在{v['year']}年度内", sheet, excel_row, "日期",
                    cols.get("date"))
        if v["kind"] == "其他":
            out.add(INFO, "I_ADJUSTMENT_OTHER", "类型为“其他”的调整事项仅作记录，不参与计算", sheet, excel_row, "类型",
                    cols.get("kind"))
        result.append(Adjustment(v["year"], v["kind"], v["amount"], v.get("project_no"), v.get("date"),
                                 v.get("note"), Src(sheet, excel_row)))
    return result


# -- checks across sheets ----------------------------------------------------------------

def _allocation_checks(lines, allocation, out: _Collector) -> None:
    """Manual lines that may double-count what 工时分配 generated (calc.allocation)."""
    if allocation is not None and allocation.lines:
        from .allocation import double_count_findings
        out.findings.extend(double_count_findings(lines, allocation))


def _cross_checks(projects: dict[str, Project], cols: LineColumns, params: Params, out: _Collector) -> None:
    """Checks across the lines: a project's net eligible amount per year and category must not be negative
    (red reversals exceeding what they reverse); entrusted projects need their counterparty and contract."""
    import numpy as np

    sheet = S.SHEET_PROJECTS
    categories = list(params.categories)
    cat_index = {c: i for i, c in enumerate(categories)}
    code_cat = np.array([cat_index[c.category] if (c := params.codes[k]).category else -1 for k in cols.code_keys]
                        or [-1], dtype=np.int64)
    eligible = np.flatnonzero((code_cat[cols.code] >= 0) & ~cols.grant) if cols.n else np.zeros(0, np.int64)
    reported: set[tuple[str, int]] = set()
    # the net ELIGIBLE amount: after the 研发工时占比 share, grant-funded lines left out
    for no, year, c, total in cols.negative_nets(eligible, code_cat[cols.code[eligible]], len(categories),
                                                 cols.elig[eligible]):
        reported.add((no, year))
        out.add(ERROR, "E_NEGATIVE_CATEGORY",
                f"项目“{no}”{year}年度“{params.categories[categories[c]].label}”净额为负（{fen_display(total)}），红字冲销超过原发生额，请核对",
                sheet, projects[no].src.row, "项目编号", 0)
    from .hnte import hnte_negative_nets          # the HNTE view: all funding, 会计金额, the user's 高企费用类别
    for no, year, cat, total in hnte_negative_nets(cols, projects, params):
        if (no, year) in reported:                # the same reversal, already reported for the super-deduction
            continue
        p = projects.get(no)
        out.add(ERROR, "E_NEGATIVE_HNTE_CATEGORY",
                f"项目“{no}”{year}年度高企口径“{cat}”净额为负（{fen_display(total)}）：红字冲销超过原发生额，"
                f"或冲销行的高企费用类别与原行不同，请核对", sheet, p.src.row if p and p.src else None, "项目编号", 0)
    entrusting = np.array([k in ("R36", "R37", "R39") for k in cols.code_keys] or [False], dtype=bool)
    rows = np.flatnonzero(entrusting[cols.code]) if cols.n else np.zeros(0, np.int64)
    if not len(rows):
        return
    projs, first = np.unique(cols.proj[rows], return_index=True)
    for u in np.argsort(first, kind="stable").tolist():
        pi = int(projs[u])
        no = cols.proj_keys[pi]
        codes_used = {cols.code_keys[c] for c in np.unique(cols.code[rows[cols.proj[rows] == pi]]).tolist()}
        p = projects[no]
        if not codes_used & {"R36", "R37"}:
            continue
        if not p.entrustee or not p.entrustee_location:
            out.add(WARNING, "W_ENTRUST_COUNTERPARTY",
                    f"委托研发项目“{no}”未填受托方名称或所在地（境内/境外），请补充受托方信息", sheet, p.src.row, "受托方名称")
        if not p.contract_no:
            out.add(WARNING, "W_ENTRUST_CONTRACT",
                    f"委托研发项目“{no}”未填技术合同登记号：未经登记的技术开发合同不得加计扣除（国科发政字〔2000〕63号第六条），其委托研发费用不计入",
                    sheet, p.src.row, "技术合同登记号")
        if p.entrustee_related:
            out.add(WARNING, "W_ENTRUST_RELATED",
                    f"受托方“{p.entrustee or no}”为关联方：须取得受托方研发项目费用支出明细（全部实际发生额）后方可申报（财税〔2015〕119号第二条第1项）",
                    sheet, p.src.row, "受托方是否关联方")
