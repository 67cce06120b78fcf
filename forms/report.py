"""The ``--json`` document (interfaces.md §2) and the readable summary of ``main.py compute``."""
from __future__ import annotations

from fractions import Fraction

from calc.evaluate import Evaluation, slp_status
from calc.money import fen_display, fen_str, rate_percent, rate_str, yuan_to_fen
from calc.params import Params, load_params
from calc.superdeduction import PERIOD_NAMES, SDResult

SEVERITY_NAMES = {"error": "错误", "warning": "警告", "info": "提示"}
REGIME_NAMES = {"standard": "一般企业 25%", "hnte": "高新技术企业 15%", "small_low_profit": "小型微利企业",
                "none": "无应纳税所得额"}


def loss_lines(te) -> list[str]:
    """The losses of earlier years, year by year as A106000 shows them (when given by year)."""
    trace = te.loss_trace()
    if not trace:
        return []
    out = ["以前年度亏损弥补（按年度数据逐年计算，先发生先弥补）："]
    for r in trace:
        before = "、".join(f"{u['year']}年弥补 {fen_display(yuan_to_fen(u['amount']))} 元" for u in r["used_before"])
        out.append(f"  {r['year']}年亏损 {fen_display(yuan_to_fen(r['loss']))} 元" + (f"，{before}" if before else "")
                   + f"，本年弥补 {fen_display(yuan_to_fen(r['used_this_year']))} 元"
                   + (f"，已过期 {fen_display(yuan_to_fen(r['expired']))} 元" if r["expired"] != "0.00" else "")
                   + f"，余额 {fen_display(yuan_to_fen(r['remaining']))} 元，可弥补至{r['last_year']}年"
                   + ("（10年）" if r["extended_by"] is not None else "（5年）"))
    return out


def regime_text(choice) -> str:
    """The elected regime with its rate, exact (2.5%, never 3%): the 小型微利企业 effective rate is shown too."""
    name = REGIME_NAMES.get(choice.regime, choice.regime)
    if choice.regime == "small_low_profit" and choice.rate is not None:
        return f"{name}（实际税负率 {rate_percent(choice.rate)}）"
    return name


def _row_json_key(key: str) -> str:
    return str(int(key[1:])) if key.startswith("R") and key[1:].isdigit() else key


def _value_json(key: str, value) -> object:
    if key == "R01":
        return int(value)
    if key == "R50" or isinstance(value, Fraction):
        return rate_str(Fraction(value))
    return fen_str(int(value))


def a107012_json(sd: SDResult) -> dict:
    if not sd.eligible:
        return {}
    out = {}
    for key in [f"R{n:02d}" for n in range(1, 53)] + ["L1", "L1_Q4", "L1_Q13", "R51_Q4", "R51_Q13"]:
        if key in sd.rows:
            out[_row_json_key(key)] = _value_json(key, sd.rows[key])
    return out


def method_code(sd: SDResult) -> str | None:
    m = sd.method_code()
    return str(m["code"]) if m else None


UNVERIFIED_MARK = "※"


def a107012_notes(sd: SDResult, params: Params) -> list[str]:
    """The lines printed under the form: the version and its announcement, what is not verified, and where
    the amounts go in the return — all from the layout data."""
    if not sd.layout:
        return []
    lay = sd.layout
    src = params.source(lay["source"])
    out = [params.text("a107012_layout_note", title=lay["title"], citation=src.citation)]
    if lay.get("unverified_all"):
        out.append(f"{UNVERIFIED_MARK} {lay['unverified_all']}。")
    tail = {t["key"]: t for t in lay["tail"]}
    for key, text in sd.unverified_rows().items():
        number = tail[key]["number"] if key in tail else str(int(key[1:]))
        out.append(UNVERIFIED_MARK + " " + (params.text("a107012_unverified_row", number=number, text=text) if number else
                                           params.text("a107012_unverified_line", text=text,
                                                       label=tail[key]["label"] if key in tail else params.row_labels[key])))
    link = params.filing_link(sd.period.year, sd.period.end if sd.period.prepayment else None)
    if link is not None:
        cites = [params.source(link["source"], link.get("ref", "")).cite]
        cites += [params.source(extra).citation for extra in link.get("sources_also") or ()]
        text = params.text("a107012_filing_note", text=link["text"], cite="；".join(cites))
        if link.get("unverified"):
            text += f"{UNVERIFIED_MARK} {link['unverified']}。"
        out.append(text)
    return out


def a107012_code_text(sd: SDResult) -> str | None:
    """Row 50 as the form asks for it: the code and its meaning (None where the layout has no code)."""
    m = sd.method_code()
    return f"{m['code']} {m['label']}" if m else None


def summary_table_json(sd: SDResult) -> list:
    return [{"project_no": r.project_no, "name": r.name, "status": r.status, "ledger_type": r.ledger_type,
             **{k: fen_str(v) for k, v in r.cols.items()}} for r in sd.summary]


def evaluation_json(ev: Evaluation, params: Params | None = None) -> dict:
    params = params or load_params()
    risks = risks_json(ev)              # screened first: the rules' interpretations join the list below
    sd, te, prof = ev.sd, ev.tax, ev.ledger.profile
    super_ded = {
        "eligible": sd.eligible,
        "reason": sd.reason or None,
        "rate": rate_str(sd.rate),
        "rate_source": sd.rate_entry.source.citation if sd.rate_entry else None,
        "rate_source_key": str(sd.rate_entry.source) if sd.rate_entry else None,
        "rate_source_cite": sd.rate_entry.source.cite if sd.rate_entry else None,      # 财政部 税务总局公告2023年第7号第一条
        "layout": sd.layout["id"] if sd.layout else None,
        "layout_title": (sd.layout.get("title") or None) if sd.layout else None,   # what users read instead of the id
        "method_code": method_code(sd),
        "method_code_text": a107012_code_text(sd),
        "rate_confirmation": sd.confirmation or None,
        "layout_title": sd.layout["title"] if sd.layout else None,
        "layout_source": params.source(sd.layout["source"]).citation if sd.layout else None,
        "unverified_rows": {_row_json_key(k): v for k, v in sd.unverified_rows().items()},
        "layout_unverified_all": (sd.layout or {}).get("unverified_all"),
        "a107012": a107012_json(sd),
        "extra_deduction": fen_str(sd.extra_deduction),
        "tax_saving": fen_str(te.tax_saved) if te else None,
        "q4_split": None,
        "summary_table": summary_table_json(sd) if sd.eligible else [],
        "trace": {(_row_json_key(k)): t.as_dict() for k, t in sd.traces.items()},
        "excluded_lines": len(sd.excluded),
    }
    basic_research = ev.basic_research.as_dict() if ev.basic_research is not None else None
    if sd.q4:
        super_ded["q4_split"] = {"method": sd.q4["method"],
                                 "methods": {m: {k: fen_str(v) for k, v in d.items() if isinstance(v, int)}
                                             for m, d in sd.q4["methods"].items()}}
    income = te.as_dict() if te is not None else None
    hnte = ev.hnte.as_dict() if ev.hnte is not None else {"conditions": [], "score": None}
    covering = prof.hnte_certificate_for(ev.year)
    hnte.update({"certified": ev.year in ev.hnte_certified_years,
                 "certificate_no": covering[0] if covering else prof.hnte_cert_no,
                 "certificates": [{"no": n, "issued": d.isoformat()} for n, d in prof.hnte_certificates()],
                 "certificate_years": sorted(ev.hnte_certified_years), "tax_saving": fen_str(ev.hnte_saving)})
    tech_sme = ev.tech_sme.as_dict() if ev.tech_sme is not None else {"eligible": None, "score": None,
                                                                       "direct_pass": None}
    tech_sme["registered"] = bool(prof.tech_sme_nos)
    tech_sme["status_for_super_deduction"] = sd.flags.tech_sme if sd.eligible else None
    small = slp_status(ev)
    small["tax_saving"] = fen_str(ev.slp_saving)
    doc = {
        "schema": 1,
        "enterprise": {"name": prof.name, "credit_code": prof.credit_code, "industry_code": prof.industry_code},
        "year": ev.year,
        "period": ev.period,
        "super_deduction": super_ded,
        "basic_research": basic_research,
        "income_tax": income,
        "hnte": hnte,
        "tech_sme": tech_sme,
        "small_low_profit": small,
        "post_subsidy": [e.as_json() for e in ev.subsidies],
        "support": [e.as_json() for e in ev.support],       # 创新券 / 科创贷 (not R&D post-subsidies)
        "post_subsidy_total": fen_str(ev.subsidy_total),
        "post_subsidy_up_to": ev.subsidy_up_to,
        "total_benefit": fen_str(ev.total_benefit),
        "law_data_as_of": ev.law_as_of or None,       # issue 16: earliest reviewed_on of the law data used
        "interpretations": [{"id": i, "text": params.interpretation(i).text, "why": params.interpretation(i).why or None}
                            for i in sorted(ev.interpretations)],
        "findings": [f.as_dict() for f in ev.findings],
        "risks": risks,
        "allocation": allocation_json(ev),
    }
    return doc


def risks_json(ev: Evaluation) -> list:
    """The risk screening findings (calc/risk.py): id, severity, title, message, why, evidence, locations."""
    return [r.as_dict() for r in getattr(ev, "risks", ())]


def risk_lines(ev: Evaluation) -> list[str]:
    """The short 风险提示 section of the text summary (empty when nothing fired)."""
    risks = getattr(ev, "risks", ())
    if not risks:
        return []
    counts = {s: sum(1 for r in risks if r.severity == s) for s in ("高风险", "关注", "提示")}
    out = [f"风险提示（模拟税务机关风险扫描，不影响计算结果，AI-RISK-01）：高风险 {counts['高风险']} 项，"
           f"关注 {counts['关注']} 项，提示 {counts['提示']} 项"]
    for r in risks:
        where = f"（{r.where}）" if r.where else ""
        out.append(f"  [{r.severity}] {r.rule_id} {r.title}：{r.message}{where}")
        out.append(f"      留存资料：{r.evidence}")
    return out

def allocation_json(ev: Evaluation) -> dict | None:
    """工时分配 of the year (additive key ``allocation``): per person R&D days and the 183-day flag, per project
    the allocated amounts, over-limit person-months.  None when the ledger has no allocation sheets."""
    a = getattr(ev, "allocation", None)
    if not a:
        return None
    return {
        "year": a["year"],
        "hours_per_day": _hours_json(a["hours_per_day"]),
        "limit_hours": _hours_json(a["limit_hours"]),
        "rd_days_threshold": _hours_json(a["rd_days_threshold"]),
        "lines": a["lines"],
        "rd_total": fen_str(a["rd_total"]),
        "non_rd_total": fen_str(a["non_rd_total"]),
        "persons": [{"person_id": p.person_id, "name": p.name, "staff_type": p.staff_type, "months": p.months,
                     "rd_hours": _hours_json(p.rd_hours), "total_hours": _hours_json(p.total_hours),
                     "rd_days": _hours_json(p.rd_days), "meets_183": p.meets_183,
                     "over_limit_months": list(p.over_limit_months), "wages": fen_str(p.wages),
                     "insurance": fen_str(p.insurance), "wages_rd": fen_str(p.wages_rd),
                     "insurance_rd": fen_str(p.insurance_rd)} for p in a["persons"]],
        "projects": [{"project_no": no, **{k: fen_str(v) for k, v in d.items()}} for no, d in a["projects"].items()],
        "over_limit": [{"person_id": ld.person_id, "name": ld.name, "month": ld.month,
                        "total_hours": _hours_json(ld.total_hours), "limit_hours": _hours_json(ld.limit_hours),
                        "sheet": ld.src.sheet, "row": ld.src.row} for ld in a["over_limit"]],
    }


def _hours_json(h) -> str:
    """Hours or days as an exact decimal text to 0.01 (ROUND_HALF_UP)."""
    from calc.money import round_fen
    return fen_str(round_fen(Fraction(h) * 100))


def _amount_cell(key: str, value) -> str:
    if key == "R01":
        return str(value)
    if key == "R50":
        return f"{rate_percent(Fraction(value))}"
    return fen_display(int(value))


def a107012_lines(sd: SDResult, params: Params) -> list[tuple[str, str, str]]:
    """(display number, label, amount) in the filing layout's order."""
    lines = []
    tail = {t["key"]: t for t in sd.layout["tail"]} if sd.layout else {}
    unverified = sd.unverified_rows()
    code = sd.method_code()
    for key in sd.row_keys():
        if key not in sd.rows:
            value = ""
        else:
            value = _amount_cell(key, sd.rows[key])
        if key in tail:
            number = "" if tail[key]["number"] is None else str(tail[key]["number"])
            label = tail[key]["label"]
        else:
            number, label = str(int(key[1:])), params.row_labels[key]
        if key == "R50" and code is not None:
            label, value = f"{label}：{code['code']} {code['label']}", str(code["code"])
        if key in unverified:
            label += UNVERIFIED_MARK
        lines.append((number, label, value))
    return lines


def text_summary(ev: Evaluation, params: Params | None = None) -> str:
    params = params or load_params()
    sd, te, prof = ev.sd, ev.tax, ev.ledger.profile
    risk = risk_lines(ev)               # screened first: the rules' interpretations are listed at the end
    out = []
    out.append(f"研发惠企测算 — {prof.name or '（未填企业名称）'}（{prof.credit_code or '—'}）")
    out.append(f"{sd.period.label}    行业代码 {prof.industry_code or '—'}")
    out.append(ev.law_as_of_text)
    out.append("")
    out.append("一、研发费用加计扣除")
    if not sd.eligible:
        out.append(f"  不适用：{sd.reason}")
    else:
        src = sd.rate_entry.source if sd.rate_entry else None
        if sd.q4:
            out.append(f"  加计扣除比例：前三季度 {rate_percent(sd.q4['x_q13'])}，第四季度 {rate_percent(sd.q4['x_q4'])}"
                       f"（{sd.q4['method_label']}，2022年第28号）")
        else:
            out.append(f"  加计扣除比例：{rate_percent(sd.rate)}（{src.citation if src else ''} {src.ref if src else ''}）")
        out.append(f"  加计扣除额（A107012 第51行）：¥{fen_display(sd.extra_deduction)}")
        if sd.confirmation:
            out.append(f"  {sd.confirmation}")
        br = ev.basic_research
        if br is not None:
            out.append(f"  企业投入基础研究支出加计扣除额：¥{fen_display(br.amount)} × {rate_percent(br.rate)} = "
                       f"¥{fen_display(br.extra)}（{br.entry.source.cite}；不填入A107012）")
        if te is not None:
            out.append(f"  本年节税额：¥{fen_display(te.tax_saved)}（有/无加计扣除两次计算之差，AI-SD-15"
                       f"{'；含企业投入基础研究支出加计扣除' if br is not None else ''}）")
            for note in te.notes:
                out.append(f"  {note}")
        out.append("")
        out.append(f"  A107012《研发费用加计扣除优惠明细表》（{sd.layout['title']}）")
        for number, label, value in a107012_lines(sd, params):
            short = label if len(label) <= 40 else label[:39] + ("…" + UNVERIFIED_MARK if label.endswith(UNVERIFIED_MARK) else "…")
            out.append(f"  {number:>4}  {short:<40}  {value:>18}")
        for note in a107012_notes(sd, params):
            out.append(f"  {note}")
        out.append("")
        out.append("  研发支出辅助账汇总表（允许加计扣除金额合计，按项目）")
        for r in sd.summary:
            if r.ledger_type or r.cols.get("total"):
                out.append(f"    {r.project_no:<14} {r.name[:18]:<18} {r.ledger_type:<4} {fen_display(r.cols['total']):>18}")
    out.append("")
    out.append("二、企业所得税")
    if te is None:
        out.append("  未填应纳税所得额，无法计算")
    else:
        b = te.with_
        out.append(f"  加计扣除前应纳税所得额 ¥{fen_display(te.before)}；扣除后 ¥{fen_display(b.taxable_income)}")
        if te.tax_credit:
            out.append(f"  适用：{regime_text(b.choice)}；应纳税额 ¥{fen_display(b.choice.tax)}，"
                       f"减：抵免所得税额 ¥{fen_display(b.credit_used)}，应纳所得税额 ¥{fen_display(b.tax)}")
        else:
            out.append(f"  适用：{regime_text(b.choice)}；应纳税额 ¥{fen_display(b.tax)}")
        for line in loss_lines(te):
            out.append(f"  {line}")
        if ev.hnte_saving:
            out.append(f"  高新技术企业15%税率节税 ¥{fen_display(ev.hnte_saving)}")
        if ev.slp_saving:
            out.append(f"  小型微利企业优惠节税 ¥{fen_display(ev.slp_saving)}")
        out.append("  税率方案比较（不得叠加，从优选择）：")
        for opt in b.choice.comparison():
            if opt["available"]:
                state = (f"应纳税额 ¥{fen_display(yuan_to_fen(opt['tax']))}（税率 {opt['rate_percent']}）"
                         + ("  ← 选用" if opt["elected"] else ""))
            else:
                state = f"不适用：{opt['reason']}"
            out.append(f"    {opt['label']}：{state}")
        if te.cliff_warning:
            out.append(f"  注意：{te.cliff_warning}")
    if ev.hnte is not None:
        h = ev.hnte
        out.append("")
        out.append(f"三、高新技术企业（{h.rules}）")
        if h.certified:
            cert = h.certificate
            out.append(f"  已认定：证书覆盖纳税年度 {'、'.join(str(y) for y in cert.tax_years)}")
        out.append(f"  评估：{h.assessment_text}（申请日期 {h.application_date}{'，假定' if h.application_date_assumed else ''}；"
                   f"近三个会计年度 {h.window[0]}—{h.window[-1]}）")
        marks = {"pass": "✓", "fail": "✗", "unknown": "?"}
        for c in h.conditions:
            out.append(f"  {marks.get(c.status, '?')} {c.text}")
            if c.status == "fail" and c.to_pass and c.to_pass not in c.text:
                out.append(f"      → {c.to_pass}")
        sc = h.score
        out.append(f"  创新能力评价：[{sc.composite[0]}, {sc.composite[1]}] 分，{sc.verdict}")
    if ev.tech_sme is not None:
        t = ev.tech_sme
        out.append("")
        out.append(f"四、科技型中小企业（{t.year}年评价，数据年度{t.data_year}）：{t.verdict_text}")
        out.append(f"  得分 {t.score if t.score is not None else list(t.score_range)}：科技人员 {t.staff_score}、"
                   f"研发投入 {t.rd_score}（{'销售收入' if t.rd_option == 'sales' else '成本费用'}口径）、科技成果 {t.ip_score}")
        for hint in t.next_band[:4]:
            out.append(f"  → {hint if isinstance(hint, str) else hint.get('text', hint)}")
    if ev.subsidies:
        out.append("")
        out.append("五、研发费用财政后补助（预估，以主管部门核定为准）")
        for e in ev.subsidies:
            conf = "正式规则·已核实" if e.status == "verified" else "暂定规则" if e.status == "provisional" else "已停止"
            out.append(f"  [{e.pack_id}·{conf}·{e.period_text}] {e.headline()}")
            if e.status_reason and e.status != "verified":
                out.append(f"    规则状态：{e.status_reason}（规则包核对日期 {e.reviewed_on or '未注明'}）")
            for line in e.explain()[1:]:
                if line.startswith("  ") and not line.startswith(("  来源", "  AI-", "  PS-")):
                    out.append("  " + line)
    out.append("")
    out.append(f"合计惠企金额：¥{fen_display(ev.total_benefit)}" + ("（含“最高可得”的后补助）" if ev.subsidy_up_to else ""))
    counts = {s: sum(1 for f in ev.findings if f.severity == s) for s in ("error", "warning", "info")}
    out.append(f"检查结果：错误 {counts['error']} 项，警告 {counts['warning']} 项，提示 {counts['info']} 项")
    for f in [f for f in ev.findings if f.severity != "info"][:30]:
        out.append(f"  [{SEVERITY_NAMES[f.severity]}] {f.as_line()}")
    if risk:
        out.append("")
        out.extend(risk)
    if ev.interpretations:
        out.append("")
        out.append("采用的解释口径：")
        for i in sorted(ev.interpretations):
            out.append(f"  {i}：{params.interpretation(i).text}")
    return "\n".join(out)
