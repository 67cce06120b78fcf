"""Build a :class:`~calc.model.Ledger` from the raw cell values of the canonical workbook.

Input: ``{sheet name: rows}``, each row a list of raw cell values (str, int, float, Decimal,
bool, date, datetime or None) at its Excel position (``rows[0]`` is Excel row 1).  Output: the
ledger of every valid record and a finding for every problem (severity, code, Chinese message,
sheet, row, column).  Nothing is guessed: a line with a bad cell is reported and left out,
every other line is kept.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from fractions import Fraction

from . import schema as S
from .identifiers import check_credit_code, normalize_industry_code, tech_sme_year
from .model import ERROR, INFO, WARNING, Adjustment, Finding, Ledger, Line, Profile, Project, Src, YearData
from .money import AmountError, fen_display, parse_amount, parse_ratio, round_fen
from .params import Params, load_params
from .values import (ValueProblem, clean_text, is_blank, parse_choice, parse_date, parse_int, parse_year,
                     parse_yesno)


def column_letter(index0: int) -> str:
    out = ""
    n = index0 + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


_BRACKET_TAIL = re.compile(r"[（(][^（）()]*[）)]$")


def _norm_header(value: object) -> str:
    text = clean_text(value) or ""
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\n", "")


def _match_header(value: object, columns: Sequence[S.Column]) -> S.Column | None:
    text = _norm_header(value)
    if not text:
        return None
    by_header = {unicodedata.normalize("NFKC", c.header): c for c in columns}
    if text in by_header:
        return by_header[text]
    stripped = _BRACKET_TAIL.sub("", text)
    while stripped != text:
        if stripped in by_header:
            return by_header[stripped]
        text, stripped = stripped, _BRACKET_TAIL.sub("", stripped)
    return None


class _Collector:
    def __init__(self):
        self.findings: list[Finding] = []
        self.rejected_projects: dict[str, int] = {}   # project no → row of a project row with errors

    def add(self, severity, code, message, sheet=None, row=None, column=None, col_index=None):
        cell = f"{column_letter(col_index)}{row}" if (col_index is not None and row) else None
        self.findings.append(Finding(severity, code, message, sheet, row, column, cell))


_VALUE_CODES = {S.AMOUNT: "E_AMOUNT", S.DATE: "E_DATE", S.YESNO: "E_YESNO", S.INT: "E_INT",
                S.RATIO: "E_RATIO", S.YEAR: "E_YEAR", S.TEXT: "E_CHOICE"}


def _parse_cell(col: S.Column, raw: object):
    if col.kind == S.AMOUNT:
        return parse_amount(raw)
    if col.kind == S.DATE:
        return parse_date(raw)
    if col.kind == S.YESNO:
        return parse_yesno(raw)
    if col.kind == S.INT:
        return parse_int(raw)
    if col.kind == S.YEAR:
        return parse_year(raw)
    if col.kind == S.RATIO:
        return parse_ratio(raw)
    if col.choices:
        return parse_choice(raw, col.choices)
    return clean_text(raw)


def _read_table(sheet: str, rows: Sequence[Sequence[object]], columns: Sequence[S.Column], out: _Collector):
    """Yield ``(excel_row, {field: value}, ok)`` for every non-blank data row."""
    header_at, mapping = None, {}
    for i, row in enumerate(rows[:30]):
        found = {j: c for j, v in enumerate(row) if (c := _match_header(v, columns))}
        if len(found) >= min(2, len(columns)):
            header_at, mapping = i, found
            break
    if header_at is None:
        out.add(ERROR, "E_HEADER_MISSING", f"工作表“{sheet}”找不到表头行（应含 {'、'.join(c.header for c in columns[:4])} 等列）",
                sheet, 1)
        return
    seen: dict[str, int] = {}
    for j, col in list(mapping.items()):
        if col.field in seen:
            out.add(WARNING, "W_COLUMN_DUPLICATE", f"列“{col.header}”重复，只使用第一列", sheet, header_at + 1,
                    col.header, j)
            del mapping[j]
        else:
            seen[col.field] = j
    for j, v in enumerate(rows[header_at]):
        if j not in mapping and not is_blank(v):
            out.add(INFO, "I_EXTRA_COLUMN", f"列“{clean_text(v)}”不是模板列，已忽略", sheet, header_at + 1,
                    clean_text(v), j)
    for col in columns:
        if col.required and col.field not in seen:
            out.add(ERROR, "E_COLUMN_MISSING", f"缺少必填列“{col.header}”", sheet, header_at + 1, col.header)
    if any(col.required and col.field not in seen for col in columns):
        return
    for i in range(header_at + 1, len(rows)):
        row = rows[i]
        if all(is_blank(v) for v in row):
            continue
        excel_row = i + 1
        values, ok = {}, True
        for j, col in mapping.items():
            raw = row[j] if j < len(row) else None
            if is_blank(raw):
                if col.required:
                    out.add(ERROR, "E_REQUIRED", f"必填项“{col.header}”为空", sheet, excel_row, col.header, j)
                    ok = False
                values[col.field] = None
                continue
            try:
                values[col.field] = _parse_cell(col, raw)
            except (AmountError, ValueProblem) as exc:
                out.add(ERROR, _VALUE_CODES.get(col.kind, "E_VALUE"), f"{col.header}：{exc}", sheet, excel_row,
                        col.header, j)
                values[col.field] = None
                ok = False
        values["_cols"] = {c.field: j for j, c in mapping.items()}
        yield excel_row, values, ok


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


def build_ledger(sheets: Mapping[str, Sequence[Sequence[object]]], params: Params | None = None) -> Ledger:
    params = params or load_params()
    out = _Collector()
    for name in sheets:
        if name not in S.SHEETS and name not in (S.SHEET_HELP, "代码表", S.SHEET_FACTS):
            out.add(INFO, "I_EXTRA_SHEET", f"工作表“{name}”不是模板工作表，已忽略", name)
    for name in (S.SHEET_PROFILE, S.SHEET_PROJECTS, S.SHEET_LINES):
        if name not in sheets:
            out.add(ERROR, "E_SHEET_MISSING", f"缺少工作表“{name}”", name)
    profile = _profile(sheets.get(S.SHEET_PROFILE), out)
    years = _years(sheets.get(S.SHEET_YEARS, ()), out) if S.SHEET_YEARS in sheets else ()
    projects = _projects(sheets.get(S.SHEET_PROJECTS, ()), out) if S.SHEET_PROJECTS in sheets else {}
    lines = _lines(sheets.get(S.SHEET_LINES, ()), projects, params, out) if S.SHEET_LINES in sheets else ()
    adjustments = _adjustments(sheets.get(S.SHEET_ADJUSTMENTS, ()), projects, out) \
        if S.SHEET_ADJUSTMENTS in sheets else ()
    facts = _facts(sheets.get(S.SHEET_FACTS, ()), out) if S.SHEET_FACTS in sheets else ()
    _cross_checks(projects, lines, params, out)
    return Ledger(profile, tuple(years), projects, tuple(lines), tuple(adjustments), tuple(out.findings),
                  tuple(facts))


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
    core = {"name", "credit_code", "industry_code", "collection", "founded", "hnte_cert_no", "hnte_cert_date",
            "tech_sme_no", "ic_or_machine_tool", "ic_basis", "packs", "prepared_by", "advisor"}
    return Profile(
        name=values.get("name"), credit_code=credit or None, industry_code=industry,
        collection=values.get("collection") or "查账征收", founded=values.get("founded"),
        hnte_cert_no=values.get("hnte_cert_no"), hnte_cert_date=values.get("hnte_cert_date"),
        tech_sme_nos=sme, ic_or_machine_tool=bool(values.get("ic_or_machine_tool")),
        ic_basis=values.get("ic_basis"), packs=packs, prepared_by=values.get("prepared_by"),
        advisor=values.get("advisor"),
        other={k: v for k, v in values.items() if k not in core}, rows=where)


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
    return projects


# -- 研发支出 ----------------------------------------------------------------------------

def _lines(rows, projects: dict[str, Project], params: Params, out: _Collector) -> list[Line]:
    sheet = S.SHEET_LINES
    codes = _code_index(params)
    lines: list[Line] = []
    for excel_row, v, ok in _read_table(sheet, rows, S.LINE_COLUMNS, out):
        cols = v["_cols"]
        raw_code = v.get("code")
        code = None
        if raw_code:
            key = unicodedata.normalize("NFKC", raw_code).replace(" ", "").upper()
            code = codes.get(key) or codes.get(unicodedata.normalize("NFKC", raw_code).replace(" ", ""))
            if code is None:
                out.add(ERROR, "E_CODE_UNKNOWN", f"费用代码“{raw_code}”不存在（应为 R04…R39、NE01…NE99、行次号或官方行次名称）",
                        sheet, excel_row, "费用代码", cols.get("code"))
                ok = False
        no = v.get("project_no")
        if no and no not in projects:
            if no in out.rejected_projects:
                out.add(ERROR, "E_PROJECT_INVALID",
                        f"项目“{no}”在“研发项目”第{out.rejected_projects[no]}行有错误，改正后本行才能计入", sheet,
                        excel_row, "项目编号", cols.get("project_no"))
            else:
                out.add(ERROR, "E_PROJECT_UNKNOWN", f"项目编号“{no}”未在“研发项目”中登记", sheet, excel_row, "项目编号",
                        cols.get("project_no"))
            ok = False
        if v.get("share") is not None and v["share"] == 0:
            out.add(WARNING, "W_SHARE_ZERO", "研发工时占比为0%：本行不计入加计扣除", sheet, excel_row, "研发工时占比",
                    cols.get("share"))
        if not ok:
            continue
        line = Line(len(lines), v["date"], no, code, v["amount"], v.get("tax_amount"), v.get("share"),
                    v.get("funding") or "自有", v.get("voucher_kind"), v.get("voucher_no"), v.get("summary"),
                    Src(sheet, excel_row), v.get("hnte_category"))
        lines.append(line)
        p = projects[no]
        if (p.start and line.date < p.start) or (p.end and line.date > p.end):
            out.add(WARNING, "W_OUTSIDE_PERIOD",
                    f"日期{line.date.isoformat()}不在项目“{no}”的研发期间（{p.start or '…'}至{p.end or '…'}）内，请核实是否属于该项目",
                    sheet, excel_row, "日期", cols.get("date"))
        if line.date.year < 2016:
            out.add(WARNING, "W_BEFORE_2016", "2016年以前的支出不适用本办法（财税〔2015〕119号），仅作记录", sheet,
                    excel_row, "日期", cols.get("date"))
        if code == "R39":
            out.add(WARNING, "W_R39", "委托境外个人进行研发活动的费用不得加计扣除（财税〔2018〕64号 六），仅列报于第39行",
                    sheet, excel_row, "费用代码", cols.get("code"))
        if line.funding == "财政资金（不征税）":
            out.add(INFO, "I_GRANT", "财政资金（作不征税收入处理）形成的费用不得加计扣除（97号 二(五)），本行不计入",
                    sheet, excel_row, "资金来源", cols.get("funding"))
        if line.code in ("R36", "R37") and p.form not in ("委托研发",):
            out.add(WARNING, "W_ENTRUST_FORM", f"委托研发费用记在研发形式为“{p.form}”的项目“{no}”中，请核对", sheet,
                    excel_row, "费用代码", cols.get("code"))
        if line.code == "R36" and p.entrustee_location == "境外":
            out.add(WARNING, "W_ENTRUST_LOCATION", f"项目“{no}”受托方在境外，代码 R36（境内）与之不符", sheet, excel_row,
                    "费用代码", cols.get("code"))
        if line.code == "R37" and p.entrustee_location == "境内":
            out.add(WARNING, "W_ENTRUST_LOCATION", f"项目“{no}”受托方在境内，代码 R37（境外机构）与之不符", sheet,
                    excel_row, "费用代码", cols.get("code"))
    return lines


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

def _cross_checks(projects: dict[str, Project], lines: list[Line], params: Params, out: _Collector) -> None:
    sheet = S.SHEET_PROJECTS
    entrusted_codes: dict[str, set[str]] = defaultdict(set)
    net: dict[tuple[str, int, str], int] = defaultdict(int)
    for line in lines:
        c = params.codes[line.code]
        if line.code in ("R36", "R37", "R39"):
            entrusted_codes[line.project_no].add(line.code)
        if c.category and line.funding != "财政资金（不征税）":
            # the net ELIGIBLE amount: after the 研发工时占比 share, grant-funded lines left out
            amount = line.base_amount if line.share is None else round_fen(line.base_amount * line.share)
            net[(line.project_no, line.date.year, c.category)] += amount
    for (no, year, cat), total in net.items():
        if total < 0:
            p = projects[no]
            out.add(ERROR, "E_NEGATIVE_CATEGORY",
                    f"项目“{no}”{year}年度“{params.categories[cat].label}”净额为负（{fen_display(total)}），红字冲销超过原发生额，请核对",
                    sheet, p.src.row, "项目编号", 0)
    for no, codes_used in entrusted_codes.items():
        p = projects[no]
        eligible_codes = codes_used & {"R36", "R37"}
        if not eligible_codes:
            continue
        if not p.entrustee or not p.entrustee_location:
            out.add(WARNING, "W_ENTRUST_COUNTERPARTY",
                    f"委托研发项目“{no}”未填受托方名称或所在地（境内/境外），请补充受托方信息", sheet, p.src.row, "受托方名称")
        if not p.contract_no:
            out.add(WARNING, "W_ENTRUST_CONTRACT",
                    f"委托研发项目“{no}”未填技术合同登记号：未经登记的技术开发合同不得加计扣除（63号 第六条），其委托研发费用不计入",
                    sheet, p.src.row, "技术合同登记号")
        if p.entrustee_related:
            out.add(WARNING, "W_ENTRUST_RELATED",
                    f"受托方“{p.entrustee or no}”为关联方：须取得受托方研发项目费用支出明细（全部实际发生额）后方可申报（财税〔2015〕119号 二.1）",
                    sheet, p.src.row, "受托方是否关联方")
