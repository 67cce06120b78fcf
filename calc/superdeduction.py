"""The R&D super-deduction engine: A107012 rows 1–52, the 2021版 汇总表 and a trace for every figure.

Follows super_deduction.md §8.4 step by step.  Amounts are integer 分; intermediate
quotients are exact ``Fraction``s rounded once with :func:`calc.money.round_fen`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .columns import LineIds, ledger_memo, line_columns, project_order
from .identifiers import tech_sme_covers
from .model import ERROR, INFO, WARNING, Finding, Ledger, Line, Project
from .money import (fen_display, fen_str, integer_weights, rate_percent, rate_str, ratio_str, round_fen,
                    split_largest_remainder)
from .params import Params, RateEntry, Source, load_params

PERIOD_ENDS = {"year": (12, 31), "H1": (6, 30), "Q1-Q3": (9, 30)}
PERIOD_NAMES = {"year": "年度", "H1": "上半年（7月预缴）", "Q1-Q3": "前三季度（10月预缴）"}
GRANT = "财政资金（不征税）"
SUMMARY_COLS = ("1", "2", "3", "4", "5", "6", "7.1", "7.2", "8.1", "8.2", "8.3", "8.4", "total")
FIRST_FIVE = ("staff", "direct", "depreciation", "amortisation", "design")


@dataclass(frozen=True)
class Period:
    year: int
    kind: str = "year"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        m, d = PERIOD_ENDS[self.kind]
        return dt.date(self.year, m, d)

    @property
    def prepayment(self) -> bool:
        return self.kind != "year"

    @property
    def label(self) -> str:
        return f"{self.year}年度" if self.kind == "year" else f"{self.year}年{PERIOD_NAMES[self.kind]}"

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass
class Trace:
    """How one figure was obtained: formula, inputs, parameters with sources, ledger lines."""
    key: str
    label: str
    value: object
    formula: str = ""
    inputs: list = field(default_factory=list)         # [(name, display value)]
    params: list = field(default_factory=list)         # [(name, value, source text)]
    lines: tuple = ()                                  # contributing Line ids
    interpretations: tuple = ()

    def as_dict(self) -> dict:
        """JSON form: integer inputs are amounts in 分 and become "1234.56" strings."""
        inputs = [[name, fen_str(v) if isinstance(v, int) and not isinstance(v, bool) else str(v)]
                  for name, v in self.inputs]
        return {"key": self.key, "label": self.label, "formula": self.formula,
                "inputs": inputs, "params": [[str(x) for x in p] for p in self.params],
                "line_count": len(self.lines), "interpretations": list(self.interpretations)}


def _rate_text(entry, x) -> str:
    """A rate as the user reads it: the entry's text (制造业企业100%) or the percentage."""
    return entry.text if entry is not None and entry.text else rate_percent(x)


@dataclass
class SummaryRow:
    """One row of the 2021版 研发支出辅助账汇总表."""
    project_no: str
    name: str
    status: str
    ledger_type: str
    cols: dict = field(default_factory=dict)           # SUMMARY_COLS → 分
    line_ids: tuple = ()


@dataclass
class Flags:
    gate_ok: bool = True
    gate_reason: str = ""
    negative_list: bool = False
    negative_share: Fraction | None = None
    manufacturing: bool = False
    manufacturing_share: Fraction | None = None
    tech_sme: bool = False
    ic_or_machine_tool: bool = False
    notes: list = field(default_factory=list)          # [(text, source, interpretations)]


@dataclass
class IntangibleAsset:
    project_no: str
    formed: dt.date
    base: int
    months_total: int
    start_month: dt.date
    months_in_period: int
    amount_exact: Fraction
    current_year: bool
    base_source: str


@dataclass
class SDResult:
    period: Period
    eligible: bool
    reason: str
    rate: Fraction
    rate_entry: RateEntry | None
    segments: list
    layout: dict | None
    rows: dict                                          # key → int 分 (R01: count; R50: Fraction)
    traces: dict
    summary: list                                       # SummaryRow … incl. subtotal rows
    flags: Flags
    intangibles: list
    q4: dict | None
    findings: list
    interpretations: set
    excluded: list                                      # [(line id, reason)]
    confirmation: str = ""                              # the basis of a user-confirmed rate (120%), printed with it

    @property
    def extra_deduction(self) -> int:
        return self.rows.get("R51", 0) if self.eligible else 0

    def method_code(self) -> dict | None:
        """The row-50 code entry of the layout (a ``method_codes`` item: code, label, unverified?) for this
        result: by the 2022年第28号 二 method chosen for a Q4-2022 split, else by the full-year rate."""
        if not self.layout or not self.eligible:
            return None
        for m in self.layout.get("method_codes") or ():
            if "q4_method" in m:
                if self.q4 and self.q4.get("method") == m["q4_method"]:
                    return m
            elif not self.q4 and Fraction(str(m["x"])) == self.rate:
                return m
        return None

    def unverified_rows(self) -> dict[str, str]:
        """Rows of the layout not verified against the published 填报说明: key → what is not (Chinese)."""
        if not self.layout:
            return {}
        code = self.method_code()
        out = {}
        for t in self.layout["tail"]:
            texts = [str(t["unverified"])] if t.get("unverified") else []
            if t["key"] == "R50" and code and code.get("unverified"):
                texts.append(str(code["unverified"]))
            if texts:
                out[t["key"]] = "；".join(texts)
        return out

    def row_keys(self) -> list[str]:
        """The rows of the filing layout, in display order."""
        if not self.layout:
            return []
        keys = [f"R{n:02d}" for n in range(1, 50)]
        return keys + [t["key"] for t in self.layout["tail"]]


def _share_out(total: int, cap_rows: list, exp_rows: list, col: str, weight: dict, per_row: bool = False) -> None:
    """Share a 汇总表 total among project rows (§4.5, §5.2, §9.2; AI-APP-02).

    资本化 rows: round_fen of their own share (``weight`` itself when ``per_row``, else
    total × weight / Σweight); the 费用化 rows share the rest by the largest-remainder rule.
    When that rest cannot be shared (no 费用化 weight, or a rounding residue that would make it
    negative) the whole total is shared over all rows by the largest-remainder rule, so the
    rows always add up to the total and none is negative.
    """
    rows = cap_rows + exp_rows
    w, d = integer_weights([weight[id(r)] for r in rows])     # weight[i] = w[i] / d, exactly
    wsum = sum(w)
    if wsum <= 0 or total == 0:
        for r in rows:
            r.cols[col] = 0
        return
    for r, wi in zip(cap_rows, w):
        r.cols[col] = round_fen(Fraction(wi, d) if per_row else Fraction(total * wi, wsum))
    rest = total - sum(r.cols[col] for r in cap_rows)
    exp_weights = w[len(cap_rows):]
    if rest >= 0 and (sum(exp_weights) > 0 or rest == 0):
        parts = split_largest_remainder(rest, exp_weights) if rest else [0] * len(exp_rows)
    else:
        parts_all = split_largest_remainder(total, w)
        for r, part in zip(cap_rows, parts_all):
            r.cols[col] = part
        parts = parts_all[len(cap_rows):]
    for r, part in zip(exp_rows, parts):
        r.cols[col] = part


def _small(keys: np.ndarray, size: int) -> np.ndarray:
    """Group indices in the narrowest unsigned type, so a stable sort of them is a radix sort."""
    return keys.astype(np.uint16) if size <= 65535 else keys


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


class SuperDeductionEngine:
    """Computes any period of any year of one ledger; results are memoised per period."""

    def __init__(self, ledger: Ledger, params: Params | None = None):
        self.ledger = ledger
        self.params = params or load_params()
        self.cols = line_columns(ledger)
        years = list(self.cols.years) + [a.year for a in ledger.adjustments]
        self.first_year = min(years) if years else None

    # -- public -----------------------------------------------------------------------
    def compute(self, year: int, period: str = "year", q4_method: str | None = None) -> SDResult:
        at = Period(year, period)
        # kept with the ledger: any engine on the same ledger (and params) reuses it
        return ledger_memo(self.ledger, ("sd", year, period, q4_method, at.end), lambda: self._compute(at, q4_method),
                           check=self.params)

    # -- flags and rate -----------------------------------------------------------------
    def year_figures(self, period: Period):
        row = self.ledger.year_row(period.year, period.kind) if period.prepayment else None
        return row or self.ledger.year_row(period.year)

    def flags(self, period: Period, findings: list, ais: set) -> Flags:
        p, prof = self.params, self.ledger.profile
        fl = Flags()
        day = period.end
        if prof.collection == "核定征收":
            fl.gate_ok, fl.gate_reason = False, "企业所得税核定征收企业不适用研发费用加计扣除（财税〔2015〕119号第五条第1项；《研发费用加计扣除政策执行指引（2.0版）》第四条第（一）项第2目）"
        row = self.year_figures(period)
        if period.prepayment and row is not None and row.period == "year":
            findings.append(Finding(INFO, "I_PERIOD_FIGURES", f"{period.label}未填年初至期末的年度数据，负面清单和制造业测试使用全年数据（AI-SD-05）", "年度数据", row.src.row if row.src else None))
        if period.prepayment:
            ais.add("AI-SD-05")
        industry = prof.industry_code or ""
        neg_industry = next((i for i in p.negative_list if any(industry.startswith(x) for x in i["prefixes"])), None)
        threshold = p.at("negative_list_threshold", day)
        vals = row.values if row else {}
        neg_rev = vals.get("negative_list_revenue")
        if neg_rev is None:
            fl.negative_list = neg_industry is not None
            ais.add("AI-APP-03")
            fl.notes.append((f"负面清单行业收入未填：按行业代码{industry or '（未填）'}判定为{'负面清单行业' if fl.negative_list else '非负面清单行业'}",
                             p.negative_list_source.cite, ("AI-APP-03",)))
        else:
            denom_parts = [vals.get("total_income"), vals.get("nontaxable_income") or 0, vals.get("investment_income") or 0]
            if denom_parts[0] is None:
                findings.append(Finding(WARNING, "W_NEGLIST_UNDECIDED", f"{period.year}年度未填收入总额，无法进行负面清单50%测试，请补充", "年度数据", row.src.row if row and row.src else None, "收入总额"))
            else:
                denominator = denom_parts[0] - denom_parts[1] - denom_parts[2]
                if denominator <= 0:
                    findings.append(Finding(WARNING, "W_NEGLIST_UNDECIDED", "收入总额减不征税收入和投资收益后不大于0，无法进行负面清单50%测试，请人工判断", "年度数据", row.src.row if row.src else None, "收入总额"))
                else:
                    fl.negative_share = Fraction(neg_rev, denominator)
                    fl.negative_list = fl.negative_share > threshold.fraction
                    fl.notes.append((f"负面清单行业收入占比 {ratio_str(fl.negative_share * 100)}% {'>' if fl.negative_list else '≤'} 50%",
                                     threshold.source.cite, ()))
        if fl.negative_list:
            fl.gate_ok = False
            fl.gate_reason = fl.gate_reason or f"属于负面清单行业（{neg_industry['name'] if neg_industry and neg_rev is None else '负面清单行业收入占比超过50%'}），不适用研发费用加计扣除（财税〔2015〕119号第四条）"
        mfg = p.maybe_at("manufacturing_threshold", day)
        if mfg is not None:
            mfg_rev, total = vals.get("manufacturing_revenue"), vals.get("total_income")
            is_c = any(industry.startswith(x) for x in p.manufacturing_prefixes)
            if mfg_rev is None or total is None or total <= 0:
                fl.manufacturing = is_c
                ais.add("AI-APP-03")
                fl.notes.append((f"制造业业务收入或收入总额未填：按行业代码{industry or '（未填）'}判定为{'制造业企业' if is_c else '非制造业企业'}",
                                 p.manufacturing_source.cite, ("AI-APP-03",)))
            else:
                fl.manufacturing_share = Fraction(mfg_rev, total)
                fl.manufacturing = fl.manufacturing_share >= mfg.fraction
                fl.notes.append((f"制造业业务收入占收入总额 {ratio_str(fl.manufacturing_share * 100)}% {'≥' if fl.manufacturing else '<'} 50%",
                                 mfg.source.cite, ()))
        fl.tech_sme = any(tech_sme_covers(n, period.year) for n in prof.tech_sme_nos)
        fl.ic_or_machine_tool = bool(prof.ic_or_machine_tool)
        return fl

    def _who(self, entry: RateEntry, fl: Flags) -> bool:
        if entry.who == "all":
            return True
        if entry.who == "tech_sme":
            return fl.tech_sme
        if entry.who == "manufacturing":
            return fl.manufacturing
        if entry.who == "ic_or_machine_tool":
            return fl.ic_or_machine_tool      # the profile flag is the user's confirmation
        return False

    def segments(self, year: int, fl: Flags) -> list[tuple[dt.date, dt.date, Fraction, RateEntry | None]]:
        """super_deduction.md §1.4: [(start, end, X, entry)] covering the year."""
        jan1, dec31 = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if not fl.gate_ok:
            return [(jan1, dec31, Fraction(0), None)]
        entries = [e for e in self.params.extra_rates if e.overlaps(jan1, dec31) and self._who(e, fl)]
        starts = sorted({jan1} | {e.start for e in entries if jan1 < e.start <= dec31}
                        | {e.end + dt.timedelta(days=1) for e in entries if e.end is not None and jan1 <= e.end < dec31})
        segs: list = []
        for i, s in enumerate(starts):
            t = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else dec31
            covering = [e for e in entries if e.start <= s and (e.end is None or e.end >= t)]
            if not covering:
                segs.append((s, t, Fraction(0), None))
                continue
            best = max(covering, key=lambda e: (e.x, e.start))
            if segs and segs[-1][2] == best.x:
                segs[-1] = (segs[-1][0], t, best.x, segs[-1][3])
            else:
                segs.append((s, t, best.x, best))
        return segs

    # -- the computation ---------------------------------------------------------------------
    def _compute(self, period: Period, q4_method: str | None) -> SDResult:
        p = self.params
        findings: list[Finding] = []
        ais: set[str] = set()
        traces: dict[str, Trace] = {}
        year, end = period.year, period.end
        first = p.value("first_tax_year", dt.date(2016, 1, 1))
        if year < first:
            fl = Flags(gate_ok=False, gate_reason=f"{year}年度早于{first}年，不适用财税〔2015〕119号（适用国税发〔2008〕116号，不在本应用范围）")
            return SDResult(period, False, fl.gate_reason, Fraction(0), None, [], None, {}, {}, [], fl, [], None,
                            findings, ais, [])
        fl = self.flags(period, findings, ais)
        if period.prepayment:
            allowed = p.maybe_at("prepayment_periods", end)
            if allowed is None or period.kind not in allowed.value:
                findings.append(Finding(WARNING, "W_PREPAYMENT_PERIOD", f"{year}年度没有“{PERIOD_NAMES[period.kind]}”预缴享受加计扣除的规定，本表仅供参考"))
        segs = self.segments(year, fl)
        if period.prepayment:
            seg = next(s for s in segs if s[0] <= end <= s[1])
            rate, rate_entry = seg[2], seg[3]
        else:
            rate, rate_entry = segs[0][2], segs[0][3]
        layout = p.layout_for(year, period.prepayment)
        if not fl.gate_ok:
            return SDResult(period, False, fl.gate_reason, Fraction(0), None, segs, None, {}, {}, [], fl, [], None,
                            findings, ais, [])

        # 2. projects in the pool, 3. lines cleaned
        entrusted_factor = p.at("entrusted_factor", end)
        overseas_ok = p.at("overseas_institution_eligible", end)
        rows_out, excluded, code_rows, code_lines = self._pool(period, findings, ais)

        # 汇总表: subtotals, 7.2, 8.2, 8.4 (§4.5, §5.2, §9.2)
        cap_rows = [r for r in rows_out if r.ledger_type == "资本化"]
        exp_rows = [r for r in rows_out if r.ledger_type == "费用化"]
        tot = {k: sum(r.cols[k] for r in rows_out) for k in ("1", "2", "3", "4", "5", "6", "7.1", "8.1", "8.3")}
        ratio = p.at("other_cost_ratio", end)
        mode = p.at("other_cost_cap_mode", end)
        cap_factor = ratio.fraction / (1 - ratio.fraction)
        if mode.value == "pooled":
            tot["7.2"] = max(0, round_fen(min(Fraction(tot["7.1"]), tot["6"] * cap_factor)))
            _share_out(tot["7.2"], cap_rows, exp_rows, "7.2", {id(r): r.cols["7.1"] for r in rows_out})
            other_formula = p.text("sd_r34_pooled")
        else:
            ais.add("AI-SD-11")
            allowed = {id(r): max(Fraction(0), min(Fraction(r.cols["7.1"]), r.cols["6"] * cap_factor)) for r in rows_out}
            tot["7.2"] = round_fen(sum(allowed.values(), Fraction(0)))
            _share_out(tot["7.2"], cap_rows, exp_rows, "7.2", allowed, per_row=True)
            other_formula = p.text("sd_r34_per_project")
        if exp_rows:
            ais.add("AI-APP-02")
        ef = entrusted_factor.fraction
        tot["8.2"] = round_fen(tot["8.1"] * ef)
        _share_out(tot["8.2"], cap_rows, exp_rows, "8.2", {id(r): r.cols["8.1"] * ef for r in rows_out}, per_row=True)
        if overseas_ok.value:
            two_thirds = p.at("overseas_cap_of_domestic", end)
            ais.add("AI-SD-06")
            domestic = tot["6"] + tot["7.2"] + tot["8.2"]
            tot["8.4"] = max(0, round_fen(min(tot["8.3"] * ef, domestic * two_thirds.fraction)))
        else:
            two_thirds = None
            tot["8.4"] = 0
        _share_out(tot["8.4"], cap_rows, exp_rows, "8.4", {id(r): r.cols["8.3"] for r in rows_out})
        for r in rows_out:
            r.cols["total"] = r.cols["6"] + r.cols["7.2"] + r.cols["8.2"] + r.cols["8.4"]
        cap_sub = SummaryRow("资本化金额小计", "", "", "", {k: sum(r.cols[k] for r in cap_rows) for k in SUMMARY_COLS})
        other_row = SummaryRow("其中：其他事项", "", "", "", {k: 0 for k in SUMMARY_COLS})
        tot_row = SummaryRow("金额合计", "", "", "", dict(tot))
        tot_row.cols["total"] = tot["6"] + tot["7.2"] + tot["8.2"] + tot["8.4"]
        exp_sub = SummaryRow("费用化金额小计", "", "", "", {k: tot_row.cols[k] - cap_sub.cols[k] for k in SUMMARY_COLS})

        # A107012 rows
        rows: dict[str, object] = {}
        src = lambda key, ref="": str(p.source(key, ref))      # noqa: E731
        for code, c in p.codes.items():
            if c.row is not None:
                rows[f"R{c.row:02d}"] = code_rows.get(code, 0)
                traces[f"R{c.row:02d}"] = Trace(f"R{c.row:02d}", p.row_labels.get(f"R{c.row:02d}", c.label), rows[f"R{c.row:02d}"],
                                                p.text("sd_row_code_sum", code=code, n=len(code_lines.get(code, []))),
                                                params=[("费用代码", code, c.source.cite)], lines=code_lines.get(code, ()))
        groups = {"R03": (4, 5, 6), "R07": tuple(range(8, 16)), "R16": (17, 18), "R19": (20, 21, 22),
                  "R23": tuple(range(24, 28)), "R28": tuple(range(29, 34))}
        for key, parts_ in groups.items():
            rows[key] = sum(rows[f"R{n:02d}"] for n in parts_)
            traces[key] = Trace(key, p.row_labels[key], rows[key], "+".join(str(n) for n in parts_),
                                [(f"第{n}行", rows[f"R{n:02d}"]) for n in parts_])
        assert rows["R03"] == tot["1"] and rows["R07"] == tot["2"] and rows["R28"] == tot["7.1"]
        rows["R34"] = tot["7.2"]
        traces["R34"] = Trace("R34", p.row_labels["R34"], rows["R34"], other_formula,
                              [("前五项合计 (3+7+16+19+23)", tot["6"]), ("其他相关费用 第28行", tot["7.1"])],
                              [("其他相关费用比例", p.value_text(ratio), ratio.source.cite), ("计算口径", p.value_text(mode), mode.source.cite)],
                              interpretations=mode.interpretations)
        rows["R02"] = sum(rows[k] for k in ("R03", "R07", "R16", "R19", "R23", "R34"))
        traces["R02"] = Trace("R02", p.row_labels["R02"], rows["R02"], "3+7+16+19+23+34",
                              [(f"第{int(k[1:])}行", rows[k]) for k in ("R03", "R07", "R16", "R19", "R23", "R34")])
        rows["R35"] = rows["R36"] + rows["R37"] + rows["R39"]
        traces["R35"] = Trace("R35", p.row_labels["R35"], rows["R35"], "36+37+39",
                              [("第36行", rows["R36"]), ("第37行", rows["R37"]), ("第39行", rows["R39"])])
        e36 = tot["8.2"]
        rows["R38"] = tot["8.4"]
        if two_thirds is not None:
            traces["R38"] = Trace("R38", p.row_labels["R38"], rows["R38"], p.text("sd_r38"),
                                  [("第37行 × 80%", round_fen(rows["R37"] * ef)), ("第2行", rows["R02"]),
                                   ("第36行 × 80%", e36)],
                                  [("委托比例", p.value_text(entrusted_factor), entrusted_factor.source.cite),
                                   ("境外上限", p.value_text(two_thirds), two_thirds.source.cite)], interpretations=("AI-SD-06",))
        else:
            traces["R38"] = Trace("R38", p.row_labels["R38"], 0, p.text("sd_r38_none"),
                                  params=[("委托境外机构", "不适用", overseas_ok.source.cite)])
        rows["R40"] = rows["R02"] + e36 + rows["R38"]
        traces["R40"] = Trace("R40", p.row_labels["R40"], rows["R40"], p.text("sd_r40"),
                              [("第2行", rows["R02"]), ("第36行 × 80%", e36), ("第38行", rows["R38"])],
                              [("委托比例", p.value_text(entrusted_factor), entrusted_factor.source.cite)])
        assert rows["R40"] == tot_row.cols["total"], "汇总表金额合计与A107012第40行不一致"
        rows["R42"] = cap_sub.cols["total"]
        traces["R42"] = Trace("R42", p.row_labels["R42"], rows["R42"], p.text("sd_r42"),
                              [(r.project_no, r.cols["total"]) for r in cap_rows])
        rows["R41"] = rows["R40"] - rows["R42"]
        traces["R41"] = Trace("R41", p.row_labels["R41"], rows["R41"], p.text("sd_r41"), [("第40行", rows["R40"]), ("第42行", rows["R42"])])

        # 10. intangible assets formed by R&D: rows 43/44
        intangibles = self._intangibles(period, {r.project_no: r for r in cap_rows}, findings, ais)
        r43 = round_fen(sum((a.amount_exact for a in intangibles if a.current_year), Fraction(0)))
        r44_assets = round_fen(sum((a.amount_exact for a in intangibles if not a.current_year), Fraction(0)))
        adj44 = self._adjustments(period, "以前年度形成无形资产本年摊销额", findings, ais)
        rows["R43"] = r43
        rows["R44"] = r44_assets + sum(a.amount for a in adj44)
        start_param = p.at("ia_start_month", end)
        traces["R43"] = Trace("R43", p.row_labels["R43"], r43, p.text("sd_r43"),
                              [(f"{a.project_no}（{a.formed}形成）", f"{fen_display(a.base)} × {a.months_in_period}/{a.months_total}") for a in intangibles if a.current_year],
                              [("起摊月份", p.value_text(start_param), start_param.source.cite)], interpretations=start_param.interpretations)
        traces["R44"] = Trace("R44", p.row_labels["R44"], rows["R44"], p.text("sd_r44"),
                              [(f"{a.project_no}（{a.formed}形成）", f"{fen_display(a.base)} × {a.months_in_period}/{a.months_total}") for a in intangibles if not a.current_year]
                              + [(f"调整事项 第{a.src.row if a.src else '?'}行", a.amount) for a in adj44],
                              [("起摊月份", p.value_text(start_param), start_param.source.cite)], interpretations=start_param.interpretations)
        rows["R45"] = rows["R41"] + rows["R43"] + rows["R44"]
        traces["R45"] = Trace("R45", p.row_labels["R45"], rows["R45"], p.text("sd_r45"),
                              [("第41行", rows["R41"]), ("第43行", rows["R43"]), ("第44行", rows["R44"])])
        adj46 = self._adjustments(period, "特殊收入", findings, ais)
        rows["R46"] = sum(a.amount for a in adj46)
        traces["R46"] = Trace("R46", p.row_labels["R46"], rows["R46"], p.text("sd_r46"),
                              [(f"调整事项 第{a.src.row if a.src else '?'}行", a.amount) for a in adj46], [("特殊收入", "冲减", p.cite("40号", "七(二)"))])
        rows["R47"] = max(0, rows["R45"] - rows["R46"])
        ais.add("AI-SD-07")
        traces["R47"] = Trace("R47", p.row_labels["R47"], rows["R47"], p.text("sd_r47"),
                              [("第45行", rows["R45"]), ("第46行", rows["R46"])], interpretations=("AI-SD-07",))
        adj48 = self._adjustments(period, "当年销售研发产品对应材料", findings, ais)
        rows["R48"] = sum(a.amount for a in adj48)
        traces["R48"] = Trace("R48", p.row_labels["R48"], rows["R48"], p.text("sd_r48"),
                              [(f"调整事项 第{a.src.row if a.src else '?'}行", a.amount) for a in adj48], [("材料冲减", "销售年度", p.cite("40号", "二(二)"))])
        prev = year - 1
        if self.first_year is not None and prev >= max(self.first_year, first):
            prev_result = self.compute(prev)
            rows["R49"] = prev_result.rows.get("R52", 0) if prev_result.eligible else 0
            prev_note = f"{prev}年度 A107012 第52行"
        else:
            rows["R49"] = 0
            prev_note = f"{prev}年度无账簿数据"
        traces["R49"] = Trace("R49", p.row_labels["R49"], rows["R49"], p.text("sd_r49"), [(prev_note, rows["R49"])])
        l1 = max(0, rows["R47"] - rows["R48"] - rows["R49"])
        rows["L1"] = l1
        traces["L1"] = Trace("L1", p.text("sd_l1_label"), l1, p.text("sd_l1"),
                             [("第47行", rows["R47"]), ("第48行", rows["R48"]), ("第49行", rows["R49"])], interpretations=("AI-SD-07",))
        rows["R52"] = max(0, rows["R48"] + rows["R49"] - rows["R47"])
        traces["R52"] = Trace("R52", "十、结转以后年度扣减金额", rows["R52"], p.text("sd_r52"),
                              [("第48行", rows["R48"]), ("第49行", rows["R49"]), ("第47行", rows["R47"])])

        # 15. rate and row 51
        rows["R50"] = rate
        rate_src = rate_entry.source.cite if rate_entry else ""
        traces["R50"] = Trace("R50", "八、加计扣除比例", rate, p.text("sd_r50"),
                              [("判定", f"{t}（依据{s}）" if s else t) for t, s, _ in fl.notes],
                              [("加计扣除比例", f"{_rate_text(e[3], e[2])}（{e[0]}至{e[1]}）", e[3].source.cite if e[3] else "") for e in segs],
                              interpretations=tuple(sorted({i for _, _, ii in fl.notes for i in ii} | set(rate_entry.interpretations if rate_entry else ()))))
        q4 = None
        if not period.prepayment and len(segs) > 1:
            q4 = self._q4_split(period, segs, l1, q4_method, ais)
            rows.update({k: q4[k] for k in ("L1_Q4", "L1_Q13", "R51_Q4", "R51_Q13")})
            rows["R51"] = q4["R51"]
            traces["R51"] = Trace("R51", "九、本年研发费用加计扣除总额", rows["R51"],
                                  p.text("sd_r51_q4"),
                                  [("方法", q4["method_label"]), ("第四季度部分", q4["L1_Q4"]), ("前三季度部分", q4["L1_Q13"])],
                                  [("加计扣除比例", s[3].text or rate_percent(s[2]), s[3].source.cite) for s in segs if s[3]],
                                  interpretations=("AI-SD-01", "AI-SD-02", "AI-SD-03"))
        else:
            rows["R51"] = round_fen(l1 * rate)
            traces["R51"] = Trace("R51", "九、本年研发费用加计扣除总额", rows["R51"], p.text("sd_r51"),
                                  [(p.text("sd_l1_label"), l1), ("加计扣除比例", rate_percent(rate))],
                                  [("加计扣除比例", (rate_entry.text or rate_percent(rate)) if rate_entry else "—", rate_src)])
        # the user's 集成电路 / 工业母机 confirmation and what it rests on (2023年第44号; the year's list: law data)
        confirmation = ""
        if any(sg[3] is not None and sg[3].who == "ic_or_machine_tool" for sg in segs):
            lst = p.maybe_at("ic_mt_list", dt.date(year, 12, 31))
            basis = (self.ledger.profile.ic_basis or "").strip()
            confirmation = (p.text("ic_confirmation", basis=basis or p.text("ic_basis_missing"))
                            + (p.text("ic_list", list=lst.value, cite=lst.source.cite) if lst else ""))
            if not basis:
                findings.append(Finding(WARNING, "W_IC_BASIS", "已确认为集成电路或工业母机企业并按120%加计扣除，但未填写“集成电路或工业母机企业认定依据”"
                                        + (f"（须列入{lst.value}）" if lst else ""), "企业信息",
                                        self.ledger.profile.rows.get("ic_basis"), "集成电路或工业母机企业认定依据"))
        # 16. row 1 (AI-SD-14)
        counted = sorted({r.project_no for r in rows_out if r.cols["total"] != 0})
        rows["R01"] = len(counted)
        ais.add("AI-SD-14")
        traces["R01"] = Trace("R01", p.row_labels["R01"], len(counted), p.text("sd_r01"),
                              [("项目", "、".join(counted) or "—")], interpretations=("AI-SD-14",))
        for key, t in traces.items():
            t.value = rows.get(key, t.value)
        summary = rows_out + [cap_sub, exp_sub, other_row, tot_row]
        return SDResult(period, True, "", rate, rate_entry, segs, layout, rows, traces, summary, fl, intangibles, q4,
                        findings, ais, excluded, confirmation)

    # -- the pool: which lines count in a period (§8.4 steps 2–3), as grouped integer sums ---------------
    def _pool(self, period: Period, findings: list, ais: set):
        """(summary rows of the pool projects, excluded [(line id, reason)], Σ per code, line ids per code)."""
        p, cols, ledger = self.params, self.cols, self.ledger
        start, end = period.start.toordinal(), period.end.toordinal()
        order, rank, n_ranks = project_order(ledger)
        projects = list(ledger.projects.values())
        in_period = (cols.ordinal >= start) & (cols.ordinal <= end)
        counts_in = np.bincount(rank[in_period], minlength=n_ranks).tolist()
        mode = np.zeros(n_ranks, dtype=np.int64)     # 0 out, 1 lines in period, 2 lines up to the end, 3 owned
        entries: list[tuple[int, Project, str]] = []         # the pool, in project order: (rank, project, type)
        formed = np.full(n_ranks, end, dtype=np.int64)       # capitalised: lines after this day come too late
        for r, proj in enumerate(projects):
            if proj.capitalised and proj.ia_date is not None:
                formed[r] = proj.ia_date.toordinal()
        if (formed != end).any():
            late_counts = np.bincount(rank[in_period & (cols.ordinal > formed[rank])], minlength=n_ranks).tolist()
        else:                                                # no project formed its asset before the end
            late_counts = [0] * n_ranks
        for r, proj in enumerate(projects):
            if proj.form == "委托研发" and proj.ownership == "受托方":
                mode[r] = 3
                continue
            if not proj.capitalised:
                if counts_in[r]:
                    mode[r] = 1
                    entries.append((r, proj, "费用化"))
            elif proj.ia_date and period.contains(proj.ia_date):
                mode[r] = 2
                entries.append((r, proj, "资本化"))
            elif proj.status == "已结束" and proj.ia_date is None and proj.ia_base is None and proj.end and period.contains(proj.end):
                mode[r] = 2
                entries.append((r, proj, "费用化"))
                ais.add("AI-SD-10")
            elif counts_in[r]:
                if proj.ia_date is None:
                    findings.append(Finding(INFO, "I_CAPITALISED_WAITING", f"资本化项目“{proj.project_no}”尚未形成无形资产：本期{counts_in[r]}行支出在形成无形资产年度统一计入", "研发项目", proj.src.row if proj.src else None))
                else:
                    late = late_counts[r]
                    if late:
                        findings.append(Finding(WARNING, "W_AFTER_IA", f"资本化项目“{proj.project_no}”在无形资产形成（{proj.ia_date}）后仍有{late}行支出，未计入", "研发项目", proj.src.row if proj.src else None))
        line_mode = mode[rank]
        if (mode == 3).any():
            owned = order[((line_mode == 3) & in_period)[order]]
        else:
            owned = order[:0]
        if (mode == 2).any():
            chosen = ((line_mode == 1) & in_period) | ((line_mode == 2) & (cols.ordinal <= end))
        else:
            chosen = (line_mode == 1) & in_period
        pool = order[chosen[order]]                          # pool lines in pool order
        # why a pool line is left out: 1 code not deductible, 2 grant, 3 entrusted without a registered contract
        categories = list(p.categories)
        cat_index = {c: i for i, c in enumerate(categories)}
        code_cat = np.array([cat_index.get(p.codes[k].category, -1) for k in cols.code_keys] or [-1], dtype=np.int64)
        entrusted_code = np.array([k in ("R36", "R37") for k in cols.code_keys] or [False], dtype=bool)
        no_contract = np.array([not (no in ledger.projects and ledger.projects[no].contract_no)
                                for no in cols.proj_keys] or [False], dtype=bool)
        pc = cols.code[pool]
        why = np.zeros(len(pool), dtype=np.int64)
        why[entrusted_code[pc] & no_contract[cols.proj[pool]]] = 3
        why[cols.grant[pool]] = 2
        why[code_cat[pc] < 0] = 1
        counted = pool[why == 0]
        if cols.has_share[counted].any():
            ais.add("AI-APP-01")
        excluded: list[tuple[int, str]] = [(i, "研发成果归受托方所有") for i in cols.ids[owned].tolist()]
        left_out = np.flatnonzero(why)
        if len(left_out):
            # the reason texts: one per code (not deductible), then grant, then contract
            texts = np.array([f"{k} {p.codes[k].reason}" for k in cols.code_keys]
                             + ["财政资金（不征税收入）形成的费用", "技术合同未登记"], dtype=object)
            w = why[left_out]
            reason = np.where(w == 1, pc[left_out], len(cols.code_keys) + w - 2)
            excluded.extend(zip(cols.ids[pool[left_out]].tolist(), texts[reason].tolist()))
        # Σ per pool project × category, per code; line ids per project and per code (pool order)
        nc = len(categories)
        crank = rank[counted]
        keys = crank * nc + code_cat[cols.code[counted]]
        amounts = cols.elig[counted]
        sums = cols.group_sums(keys, amounts, n_ranks * nc)
        per_code = cols.group_sums(cols.code[counted], amounts, len(cols.code_keys))
        code_rows = {k: v for k, v in zip(cols.code_keys, per_code)}
        ids = cols.ids[counted]
        codes_counted = cols.code[counted]
        by_code = np.argsort(_small(codes_counted, len(cols.code_keys)), kind="stable")
        bounds = np.searchsorted(codes_counted[by_code], np.arange(len(cols.code_keys) + 1))
        sorted_ids = ids[by_code]
        code_lines = {cols.code_keys[c]: LineIds(sorted_ids[bounds[c]:bounds[c + 1]])
                      for c in range(len(cols.code_keys)) if bounds[c + 1] > bounds[c]}
        pbounds = np.searchsorted(crank, np.arange(n_ranks + 1))
        result: list[SummaryRow] = []
        bounds_list = pbounds.tolist()
        where = [cat_index.get(c) for c in (*FIRST_FIVE, "other", "entrusted_domestic", "entrusted_overseas",
                                             "entrusted_overseas_individual")]
        for r, proj, ltype in entries:
            mine = sums[r * nc:(r + 1) * nc]
            s1, s2, s3, s4, s5, other, dom, abroad, r39 = (0 if j is None else mine[j] for j in where)
            finished = ltype == "资本化" or (proj.status == "已结束" and (proj.end is None or proj.end <= period.end))
            row = SummaryRow(proj.project_no, proj.name, "已结束" if finished else "未结束", ltype,
                             {"1": s1, "2": s2, "3": s3, "4": s4, "5": s5, "6": s1 + s2 + s3 + s4 + s5, "7.1": other,
                              "8.1": dom, "8.3": abroad}, LineIds(ids[bounds_list[r]:bounds_list[r + 1]]))
            row.r39 = r39
            result.append(row)
        return result, excluded, code_rows, code_lines

    # -- helpers -------------------------------------------------------------------------------
    def _adjustments(self, period: Period, kind: str, findings: list, ais: set) -> list:
        chosen = []
        for a in self.ledger.adjustments:
            if a.kind != kind or a.year != period.year:
                continue
            if period.prepayment:
                if a.date is None:
                    ais.add("AI-APP-04")
                    findings.append(Finding(INFO, "I_ADJUSTMENT_UNDATED", f"调整事项“{kind}”未填日期，只计入年度汇算，不计入{period.label}（AI-APP-04）", "调整事项", a.src.row if a.src else None, "日期"))
                    continue
                if a.date > period.end:
                    continue
            chosen.append(a)
        return chosen

    def _intangibles(self, period: Period, current_rows: dict, findings: list, ais: set) -> list[IntangibleAsset]:
        p = self.params
        out: list[IntangibleAsset] = []
        capitalised_rows: dict[int, dict] = {}            # per formation-year result: project → its 资本化 row
        min_months = p.value("ia_min_amortisation_months", period.end)
        start_mode = p.value("ia_start_month", period.end)
        ais.add("AI-SD-09")
        for proj in self.ledger.projects.values():
            if not proj.capitalised or proj.ia_date is None or proj.ia_date > period.end:
                continue
            if proj.ia_base is not None:
                base, how = proj.ia_base, "研发项目表填写的无形资产计税基础"
            elif proj.ia_date.year == period.year:
                row = current_rows.get(proj.project_no)
                if row is None:
                    continue
                base, how = row.cols["total"], f"{period.label}汇总表允许加计扣除金额合计"
            else:
                formed = self.compute(proj.ia_date.year)
                rows = capitalised_rows.get(id(formed))
                if rows is None:
                    rows = capitalised_rows[id(formed)] = {}
                    for r in formed.summary:
                        if r.ledger_type == "资本化":
                            rows.setdefault(r.project_no, r)
                row = rows.get(proj.project_no)
                if not formed.eligible or row is None:
                    findings.append(Finding(WARNING, "W_IA_BASE", f"无法确定项目“{proj.project_no}”无形资产的加计扣除计税基础（形成年度{proj.ia_date.year}无账簿数据或不适用加计扣除），请在研发项目表填写“无形资产计税基础”", "研发项目", proj.src.row if proj.src else None, "无形资产计税基础"))
                    continue
                base, how = row.cols["total"], f"{proj.ia_date.year}年度汇总表允许加计扣除金额合计"
            months_total = max(min_months, (proj.ia_years or 0) * 12)
            if not proj.ia_years or proj.ia_years * 12 < min_months:
                ais.add("AI-APP-05")
            start = proj.ia_date.replace(day=1)
            s = _month_index(proj.ia_date) + (1 if start_mode == "next_month" else 0)
            lo = max(s, _month_index(period.start))
            hi = min(_month_index(period.end), s + months_total - 1)
            months = max(0, hi - lo + 1)
            out.append(IntangibleAsset(proj.project_no, proj.ia_date, base, months_total, start, months,
                                       Fraction(base * months, months_total), proj.ia_date.year == period.year, how))
        return out

    def _q4_split(self, period: Period, segs, l1: int, q4_method: str | None, ais: set) -> dict:
        """super_deduction.md §1.5: both methods, the larger preselected."""
        ais.update({"AI-SD-01", "AI-SD-02", "AI-SD-03"})
        x13 = segs[0][2]
        x4 = segs[-1][2]
        q13_run = self.compute(period.year, "Q1-Q3")
        l1_q13_run = q13_run.rows.get("L1", 0) if q13_run.eligible else 0
        a_q4 = min(l1, max(0, l1 - l1_q13_run))
        started = self.ledger.profile.operating_since        # 开始经营日期, else 成立日期
        first_month = started.month if started and started.year == period.year else 1
        m_year = 12 - first_month + 1
        m_q4 = min(3, 12 - max(first_month, 10) + 1)
        b_q4 = round_fen(Fraction(l1 * m_q4, m_year)) if m_year > 0 else 0
        methods = {}
        for name, lq4, label in (("A", a_q4, "按实际发生数"), ("B", b_q4, "按比例")):
            lq13 = l1 - lq4
            r4, r13 = round_fen(lq4 * x4), round_fen(lq13 * x13)
            methods[name] = {"L1_Q4": lq4, "L1_Q13": lq13, "R51_Q4": r4, "R51_Q13": r13, "R51": r4 + r13, "method_label": label}
        methods["B"]["months"] = (m_q4, m_year)
        chosen = q4_method if q4_method in methods else ("A" if methods["A"]["R51"] >= methods["B"]["R51"] else "B")
        result = dict(methods[chosen])
        result.update({"method": chosen, "methods": methods, "L1_Q13_run": l1_q13_run, "x_q4": x4, "x_q13": x13})
        return result


def compute_super_deduction(ledger: Ledger, year: int, period: str = "year", params: Params | None = None,
                            q4_method: str | None = None) -> SDResult:
    return SuperDeductionEngine(ledger, params).compute(year, period, q4_method)
