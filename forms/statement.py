"""The benefit statement (研发惠企测算结果报告): A4 portrait PDF, Chinese, every figure traceable.

Built with reportlab from an :class:`calc.evaluate.Evaluation`; the shipped CJK TrueType font is
embedded as a subset so the document prints the same everywhere and its text copies back as Chinese.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (CondPageBreak, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from calc.advice import hnte_forward, sme_forward
from calc.evaluate import Evaluation
from calc.money import fen_display, rate_percent, rmb_upper, round_fen
from calc.params import Params, load_params
from calc.version import __version__, versions_line

from .pdftext import MAIN, TextGuard, register_fonts
from .report import SEVERITY_NAMES, a107012_lines, a107012_notes, regime_text

BLUE = colors.HexColor("#1F4E79")
LIGHT = colors.HexColor("#DDEBF7")
GREY = colors.HexColor("#808080")


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("base", fontName=MAIN, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "num": ParagraphStyle("num", parent=base, fontSize=8, leading=10.5, alignment=TA_RIGHT),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER, textColor=BLUE),
        "h1": ParagraphStyle("h1", parent=base, fontSize=13, leading=18, spaceBefore=10, spaceAfter=5, textColor=BLUE),
        "h2": ParagraphStyle("h2", parent=base, fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=3, textColor=BLUE),
        "big": ParagraphStyle("big", parent=base, fontSize=20, leading=26, alignment=TA_CENTER, textColor=BLUE),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "versions": ParagraphStyle("versions", parent=base, fontSize=6.5, leading=8.5, spaceBefore=1.5, wordWrap=None,
                                   textColor=GREY),
    }


class _NumberedCanvas(rl_canvas.Canvas):
    """Draws "第 x / y 页" once the page count is known."""

    footer_text = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved = []

    def showPage(self):
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self.setFont(MAIN, 7.5)
            self.setFillColor(GREY)
            self.drawString(18 * mm, 10 * mm, self.footer_text)
            self.drawRightString(A4[0] - 18 * mm, 10 * mm, f"第 {self._pageNumber} / {total} 页")
            super().showPage()
        super().save()


class Statement:
    def __init__(self, ev: Evaluation, params: Params | None = None, *, issued: dt.date | None = None,
                 version: str = "", checklist=None):
        self.ev, self.params = ev, params or load_params()
        self.checklist = checklist          # calc.evidence.Checklist: the optional 留存备查资料清单 appendix
        self.issued = issued or dt.date.today()
        self.version = version or __version__
        self.s = _styles()
        self.t = TextGuard()
        self.story: list = []

    # -- helpers --------------------------------------------------------------------------
    def p(self, text, style="base") -> Paragraph:
        return Paragraph(self.t(text), self.s[style])

    def pm(self, markup: str, style="base") -> Paragraph:
        """A paragraph from trusted markup (only the app's own literals)."""
        return Paragraph(markup, self.s[style])

    def table(self, rows, widths, header_rows=1, num_cols=(), zebra=True, bold_rows=()) -> Table:
        data = []
        for r, row in enumerate(rows):
            out = []
            for c, v in enumerate(row):
                if isinstance(v, Paragraph):
                    out.append(v)
                else:
                    out.append(self.p(v, "num" if c in num_cols and r >= header_rows else "cell"))
            data.append(out)
        tbl = Table(data, colWidths=widths, repeatRows=header_rows)
        style = [("GRID", (0, 0), (-1, -1), 0.4, GREY), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                 ("BACKGROUND", (0, 0), (-1, header_rows - 1), LIGHT),
                 ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
        for r in bold_rows:
            style.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#F2F2F2")))
        tbl.setStyle(TableStyle(style))
        return tbl

    @staticmethod
    def money(fen) -> str:
        return f"{fen_display(int(fen))}"

    # -- sections ---------------------------------------------------------------------------
    def header(self):
        ev, prof = self.ev, self.ev.ledger.profile
        self.story.append(self.p("研发惠企测算结果报告", "title"))
        period = ev.sd.period
        info = [
            ["企业名称", prof.name or "（未填）", "统一社会信用代码", prof.credit_code or "（未填）"],
            ["所属期间", f"{period.label}（{period.start} 至 {period.end}）", "出具日期",
             self.issued.isoformat()],
            ["行业代码", prof.industry_code or "（未填）", "编制人 / 科技特派员",
             f"{prof.prepared_by or '—'} / {prof.advisor or '—'}"],
        ]
        self.story.append(self.table(info, [24 * mm, 62 * mm, 32 * mm, 56 * mm], header_rows=0))
        self.story.append(self.p(self.versions_line(), "versions"))
        self.story.append(Spacer(1, 3 * mm))

    def versions_line(self) -> str:
        """The app, parameter-file and (used) rule-pack versions: what is needed to reproduce the figures."""
        used = [e.pack_id for e in self.ev.subsidies]
        return versions_line(self.params, used, app_version=self.version)

    def benefit_items(self) -> list[tuple[str, int, str, bool]]:
        """(label, amount 分, plain-language explanation, up_to)."""
        ev = self.ev
        items = []
        te = ev.tax
        br = ev.basic_research
        br_text = (f"企业投入基础研究支出再加计扣除 ¥{self.money(br.extra)}（比例{rate_percent(br.rate)}，"
                   f"财政部 税务总局公告2022年第32号）" if br is not None else "")
        if ev.sd.eligible:
            label = "研发费用加计扣除节税" if br is None else "加计扣除节税（研发费用、基础研究）"
            if te is not None:
                items.append((label, te.tax_saved,
                              f"研发费用在据实扣除基础上再加计扣除 ¥{self.money(ev.sd.extra_deduction)}"
                              f"（比例{rate_percent(ev.sd.rate)}）{'；' + br_text if br_text else ''}，少缴企业所得税。", False))
            else:
                items.append((label, 0, "未填应纳税所得额，节税额无法计算。", False))
        else:
            items.append(("研发费用加计扣除节税", 0, f"不适用：{ev.sd.reason}", False))
            if br is not None and te is not None:
                items.append(("企业投入基础研究支出加计扣除节税", te.tax_saved, f"{br_text}，少缴企业所得税。", False))
        if ev.hnte_saving:
            items.append(("高新技术企业15%税率节税", ev.hnte_saving, "按15%而非25%税率缴纳企业所得税。", False))
        if ev.slp_saving:
            items.append(("小型微利企业优惠节税", ev.slp_saving, "按小型微利企业优惠税率缴纳企业所得税。", False))
        for est in ev.subsidies:
            if est.total is None or not est.eligible or est.total_kind not in ("exact", "up_to"):
                continue
            conf = "" if est.confidence == "solid" else "（暂定规则）"
            items.append((f"研发后补助：{est.region}{conf}", est.total,
                          f"{est.title}；{est.data_year}年度数据，{est.award_year}年申报。预估金额，以主管部门核定为准。",
                          bool(est.up_to or est.total_kind == "up_to")))
        return items

    def summary(self):
        ev = self.ev
        self.story.append(self.p("一、惠企金额汇总", "h1"))
        items = self.benefit_items()
        total = sum(a for _, a, _, _ in items)
        self.story.append(self.p(f"合计惠企金额 ¥{self.money(total)}", "big"))
        self.story.append(self.p(rmb_upper(total) + ("（含“最高可得”项目，按上限计）" if any(u for *_, u in items) else ""),
                                 "center"))
        self.story.append(Spacer(1, 3 * mm))
        rows = [["项目", "金额（元）", "说明"]]
        for label, amount, text, up_to in items:
            rows.append([label, ("最高 " if up_to else "") + self.money(amount), text])
        rows.append(["合计", self.money(total), ""])
        self.story.append(self.table(rows, [48 * mm, 34 * mm, 92 * mm], num_cols=(1,), bold_rows=(len(rows) - 1,)))
        self.story.append(Spacer(1, 3 * mm))
        self.story.append(self.chart(items))
        te = ev.tax
        if te is not None:
            b = te.with_
            self.story.append(self.p("企业所得税测算", "h2"))
            rows = [["项目", "未享受加计扣除", "享受加计扣除"],
                    ["应纳税所得额", self.money(te.without.taxable_income), self.money(b.taxable_income)],
                    ["适用税率 / 优惠", regime_text(te.without.choice), regime_text(b.choice)],
                    ["应纳税额", self.money(te.without.tax), self.money(b.tax)]]
            self.story.append(self.table(rows, [58 * mm, 58 * mm, 58 * mm], num_cols=(1, 2)))
            for note in te.notes:
                self.story.append(self.p(note, "small"))
            self.story.append(self.p(f"节税额为享受与未享受加计扣除两次计算的应纳税额之差：¥{self.money(te.tax_saved)}。"
                                     f"加计扣除前应纳税所得额 ¥{self.money(te.before)}，以前年度可弥补亏损 ¥{self.money(te.prior_losses)}。",
                                     "small"))

    def chart(self, items) -> Drawing:
        d = Drawing(170 * mm, max(28, 11 * len(items)) * mm * 0.55 + 10 * mm)
        values = [max(0, a) // 100 for _, a, _, _ in items] or [0]       # whole 元 for the bar geometry only
        bc = HorizontalBarChart()
        bc.x, bc.y = 58 * mm, 4 * mm
        bc.height = d.height - 8 * mm
        bc.width = 100 * mm
        bc.data = [values]
        bc.valueAxis.valueMin = 0
        bc.valueAxis.valueMax = max(values) * 11 // 10 + 1
        bc.valueAxis.visible = False
        bc.categoryAxis.categoryNames = [self.t.plain(l)[:18] for l, *_ in items] or [""]
        bc.categoryAxis.labels.fontName = MAIN
        bc.categoryAxis.labels.fontSize = 7.5
        bc.categoryAxis.labels.dx = -2
        bc.categoryAxis.labels.boxAnchor = "e"
        bc.categoryAxis.reverseDirection = True
        bc.bars[0].fillColor = BLUE
        bc.barLabelFormat = lambda v: ""
        d.add(bc)
        n = len(values)
        for i, (_, amount, _, up_to) in enumerate(items):
            y = bc.y + bc.height * (n - i - 0.5) / n - 3
            d.add(String(bc.x + bc.width + 2, y, ("最高 " if up_to else "") + "¥" + self.money(amount),
                         fontName=MAIN, fontSize=7.5))
        return d

    def a107012(self):
        sd = self.ev.sd
        self.story.append(CondPageBreak(60 * mm))
        self.story.append(self.p("二、研发费用加计扣除（A107012《研发费用加计扣除优惠明细表》）", "h1"))
        if not sd.eligible:
            self.story.append(self.p(f"本期不适用研发费用加计扣除：{sd.reason}"))
            return
        src = sd.rate_entry.source if sd.rate_entry else None
        rate_text = (f"前三季度{rate_percent(sd.q4['x_q13'])}、第四季度{rate_percent(sd.q4['x_q4'])}"
                     f"（{sd.q4['method_label']}）" if sd.q4 else f"{rate_percent(sd.rate)}")
        self.story.append(self.p(f"加计扣除比例：{rate_text}；依据：{src.cite if src else '—'}。"
                                 f"表样：{sd.layout.get('title') or 'A107012'}（行次名称按申报年度）。"))
        rows = [["行次", "项目", "金额（数量）"]]
        for number, label, value in a107012_lines(sd, self.params):
            rows.append([number, label, value])
        bold = [i for i, r in enumerate(rows) if r[0] in ("2", "40", "45", "47", "51")]
        self.story.append(self.table(rows, [12 * mm, 128 * mm, 34 * mm], num_cols=(2,), bold_rows=bold))
        for note in a107012_notes(sd, self.params):
            self.story.append(self.p(note, "base"))

    def basic_research(self):
        """企业投入基础研究支出加计扣除 (2022年第32号): a preference of its own, not part of A107012."""
        br = self.ev.basic_research
        if br is None:
            return
        self.story.append(self.p("企业投入基础研究支出加计扣除", "h2"))
        src = br.entry.source
        self.story.append(self.p(
            f"企业投入基础研究支出 ¥{self.money(br.amount)} × 加计扣除比例 {rate_percent(br.rate)} = "
            f"加计扣除额 ¥{self.money(br.extra)}（{src.cite}）。该项不填入A107012，与研发费用加计扣除一并减少"
            f"应纳税所得额，节税额合并计算。"))
        link = self.params.filing_link(self.ev.year)
        if link is not None and link.get("basic_research"):
            self.story.append(self.p(f"申报填写：{link['basic_research']}。"
                                     + (f"※ {link['unverified']}。" if link.get("unverified") else ""), "base"))

    def projects(self):
        sd = self.ev.sd
        if not sd.eligible:
            return
        self.story.append(CondPageBreak(50 * mm))
        self.story.append(self.p("三、分项目明细（研发支出辅助账汇总表）", "h1"))
        rows = [["项目编号", "项目名称", "类型", "前五项", "其他(调整后)", "委托境内×80%", "委托境外(调整后)", "允许加计扣除合计"]]
        bold = []
        for r in sd.summary:
            if not r.ledger_type:
                bold.append(len(rows))
            rows.append([r.project_no, r.name, r.ledger_type or "", self.money(r.cols["6"]), self.money(r.cols["7.2"]),
                         self.money(r.cols["8.2"]), self.money(r.cols["8.4"]), self.money(r.cols["total"])])
        self.story.append(self.table(rows, [17 * mm, 40 * mm, 15 * mm, 21 * mm, 20 * mm, 20 * mm, 20 * mm, 21 * mm],
                                     num_cols=(3, 4, 5, 6, 7), bold_rows=bold))
        if sd.intangibles:
            self.story.append(self.p("研发形成的无形资产摊销", "h2"))
            rows = [["项目", "形成日期", "无形资产成本（资本化金额）", "摊销月数", "本期月数", "本期摊销额"]]
            for a in sd.intangibles:
                rows.append([a.project_no, a.formed.isoformat(), self.money(a.base), str(a.months_total),
                             str(a.months_in_period), self.money(round_fen(a.amount_exact))])
            self.story.append(self.table(rows, [25 * mm, 25 * mm, 35 * mm, 25 * mm, 25 * mm, 39 * mm], num_cols=(2, 3, 4, 5)))

    STATUS = {"pass": "符合", "fail": "不符合", "unknown": "待补充", True: "符合", False: "不符合", None: "待补充"}

    def hnte_section(self):
        hn, sme = self.ev.hnte, self.ev.tech_sme
        if hn is None and sme is None:
            return
        self.story.append(CondPageBreak(60 * mm))
        self.story.append(self.p("四、高新技术企业与科技型中小企业", "h1"))
        if hn is not None:
            self.story.append(self.p(f"高新技术企业（{hn.rules}）", "h2"))
            if hn.certificate is not None:
                self.story.append(self.p(hn.certificate.text))
            self.story.append(self.p(f"{hn.assessment_text}。申请日期 {hn.application_date}"
                                     f"{'（假定）' if hn.application_date_assumed else ''}，近三个会计年度 "
                                     f"{hn.window[0]}—{hn.window[-1]}。"))
            rows = [["条件", "结论", "说明与达标所需"]]
            for c in hn.conditions:
                extra = c.to_pass if c.status != "pass" and c.to_pass and c.to_pass not in c.text else ""
                rows.append([f"{c.gate} {c.name}", self.STATUS.get(c.status, c.status),
                             c.text + (f"。{extra}" if extra else "") + (f"（{c.basis}）" if c.basis else "")])
            self.story.append(self.table(rows, [34 * mm, 14 * mm, 126 * mm]))
            forward = hnte_forward(hn, self.issued)
            if forward:
                self.story.append(self.p("面向下次申请：" + forward[0], "small"))
                for line in forward[1:]:
                    self.story.append(self.p("→ " + line, "small"))
            sc = hn.score
            self.story.append(self.p(f"创新能力评价：综合得分 [{sc.composite[0]}, {sc.composite[1]}] 分"
                                     f"（须超过70分），结论：{ {'pass_likely': '很可能通过', 'fail_likely': '很可能不通过', 'uncertain': '不确定'}.get(sc.verdict, sc.verdict) }", "base"))
            rows = [["指标", "分项", "最低", "最高", "依据"]]
            for part in (sc.ip, sc.conversion, sc.management, sc.growth):
                rows.append([part.label, "小计", str(part.min), str(part.max), ""])
                for item in part.items:
                    rows.append(["", item.label, str(item.min), str(item.max), item.basis])
            self.story.append(self.table(rows, [26 * mm, 42 * mm, 12 * mm, 12 * mm, 82 * mm], num_cols=(2, 3)))
            if hn.bridge is not None:
                b = hn.bridge
                self.story.append(self.p(f"{b.year}年度研发费用三种口径衔接", "h2"))
                rows = [["口径与调整", "金额（元）"], ["会计口径研发支出", self.money(b.accounting_total)]]
                for caliber, label, total in (("super", "加计扣除口径（A107012第40行）", b.super_total),
                                              ("hnte", "高新技术企业口径", b.hnte_total)):
                    for g in b.groups(caliber):
                        rows.append([f"  {g.text}（{len(g.line_ids)}行）" if g.line_ids else f"  {g.text}", self.money(g.amount)])
                    rows.append([label, self.money(total or 0)])
                self.story.append(self.table(rows, [138 * mm, 36 * mm], num_cols=(1,)))
        if sme is not None:
            self.story.append(self.p(f"科技型中小企业（{sme.year}年评价，数据年度{sme.data_year}）", "h2"))
            self.story.append(self.p(sme.verdict_text))
            rows = [["条件", "结论", "说明"]]
            for c in sme.conditions:
                rows.append([c.name, self.STATUS.get(c.status, c.status), c.text])
            self.story.append(self.table(rows, [40 * mm, 16 * mm, 118 * mm]))
            rows = [["评价指标", "得分", "说明"]]
            for ind in sme.indicators.values():
                rows.append([ind.name, "—" if ind.score is None else str(ind.score), ind.text])
            self.story.append(self.table(rows, [40 * mm, 16 * mm, 118 * mm], num_cols=(1,)))
            forward = sme_forward(sme, self.issued)
            if forward:
                self.story.append(self.p("面向下次评价：" + forward[0], "small"))
                for line in forward[1:]:
                    self.story.append(self.p("→ " + line, "small"))

    def subsidy_section(self):
        subs = self.ev.subsidies
        if not subs:
            return
        self.story.append(CondPageBreak(60 * mm))
        self.story.append(self.p("五、研发费用财政后补助（预估）", "h1"))
        self.story.append(self.p("后补助属于财政资金，最终金额由主管部门按预算、核查和排序确定，可能低于本预估；"
                                 "“最高可得”表示按上限计算。", "small"))
        for est in subs:
            conf = "正式规则" if est.confidence == "solid" else "暂定规则（依据尚无正式文号，预估仅供参考）"
            self.story.append(self.p(f"{est.title}［{conf}，政策期间 {est.period_text}］", "h2"))
            lines = est.explain()
            self.story.append(self.p(lines[0]))
            for line in lines[1:]:
                self.story.append(self.p(line.strip(), "small"))

    def findings(self):
        ev = self.ev
        self.story.append(CondPageBreak(50 * mm))
        self.story.append(self.p("六、检查结果、假设与依据", "h1"))
        counts = defaultdict(int)
        for f in ev.findings:
            counts[f.severity] += 1
        self.story.append(self.p(f"错误 {counts['error']} 项，警告 {counts['warning']} 项，提示 {counts['info']} 项。"
                                 "错误所在的明细行未计入；警告需核实；提示为说明。"))
        shown = [f for f in ev.findings if f.severity != "info"]
        infos = defaultdict(list)
        for f in ev.findings:
            if f.severity == "info":
                infos[f.code].append(f)
        rows = [["级别", "位置", "说明"]]
        for f in shown[:200]:
            rows.append([SEVERITY_NAMES[f.severity], f.where, f.message])
        for code, group in infos.items():
            where = group[0].where + (f" 等{len(group)}处" if len(group) > 1 else "")
            rows.append(["提示", where, group[0].message])
        if len(rows) > 1:
            self.story.append(self.table(rows, [12 * mm, 38 * mm, 124 * mm]))
        if len(shown) > 200:
            self.story.append(self.p(f"（另有 {len(shown) - 200} 项未列出，请在软件中查看全部）", "small"))
        self.story.append(self.p("已执行的检查", "h2"))
        ran, not_run = self.checks()
        for text in ran:
            self.story.append(self.p("✓ " + text, "small"))
        if not_run:
            self.story.append(self.p("因缺少数据未能执行的检查", "h2"))
            for text in not_run:
                self.story.append(self.p("✗ " + text, "small"))
        self.story.append(self.p("采用的解释口径", "h2"))
        rows = [["编号", "内容"]]
        for i in sorted(ev.interpretations):
            it = self.params.interpretation(i)
            rows.append([i, it.text + (f"（理由：{it.why}）" if it.why else "")])
        self.story.append(self.table(rows, [22 * mm, 152 * mm]))
        self.story.append(self.p("引用的法律依据", "h2"))
        for key in self.cited_sources():
            self.story.append(self.p(self.source_line(key), "small"))

    def risk_section(self):
        """七、税务风险提示: each risk finding with why the bureau looks at it and what to keep (calc/risk.py)."""
        risks = getattr(self.ev, "risks", ())
        self.story.append(CondPageBreak(50 * mm))
        self.story.append(self.p("七、税务风险提示", "h1"))
        if not risks:
            self.story.append(self.p("按本应用的税务风险筛查规则检查，未发现需要提示的风险事项。", "small"))
            return
        counts = {s: sum(1 for r in risks if r.severity == s) for s in ("高风险", "关注", "提示")}
        self.story.append(self.p(f"模拟税务机关后续管理的风险扫描：高风险 {counts['高风险']} 项，关注 {counts['关注']} 项，"
                                 f"提示 {counts['提示']} 项。风险提示不影响上述计算结果，表示该事项可能被关注，"
                                 "请准备说明并留存所列资料（AI-RISK-01）。", "small"))
        rows = [["级别", "编号", "风险事项", "位置"]]
        for r in risks:
            rows.append([r.severity, r.rule_id, r.title, r.where or "—"])
        self.story.append(self.table(rows, [14 * mm, 18 * mm, 96 * mm, 46 * mm]))
        for r in risks:
            block = [self.p(f"［{r.severity}］{r.rule_id} {r.title}", "h2"), self.p(r.message),
                     self.p(f"为何关注：{r.why}", "small"), self.p(f"留存资料：{r.evidence}", "small")]
            tail = "；".join(x for x in (f"依据：{r.basis}" if r.basis else "", f"位置：{r.where}" if r.where else "") if x)
            if tail:
                block.append(self.p(tail, "small"))
            self.story.append(KeepTogether(block))

    def checks(self) -> tuple[list[str], list[str]]:
        ev = self.ev
        ran = ["工作簿导入校验（金额、日期、代码、项目、必填项、统一社会信用代码、行业代码）",
               "项目类别净额不为负、明细日期在项目期间内、委托研发合同登记与关联方提示",
               "负面清单行业50%测试" + ("（按行业代码判定）" if ev.sd.flags.negative_share is None else ""),
               "加计扣除比例（年度、企业类型）与其他相关费用限额、委托境外2/3限额",
               "汇总表与 A107012 第40行一致性核对"]
        not_run = []
        if ev.sd.period.year in (2021, 2022):
            ran.append("制造业企业50%测试" + ("（按行业代码判定）" if ev.sd.flags.manufacturing_share is None else ""))
        if ev.tax is None:
            not_run.append("企业所得税节税额：缺少“应纳税所得额”")
        else:
            ran.append("企业所得税：有/无加计扣除两次计算、亏损结转、税率从优选择")
        for f in ev.findings:
            if f.code in ("W_YEAR_MISSING", "W_NEGLIST_UNDECIDED"):
                not_run.append(f.message)
        return ran, not_run

    def _printed_texts(self) -> list[str]:
        """Every text of the evaluation the statement prints that may cite a document."""
        ev, out = self.ev, []
        for t in ev.sd.traces.values():
            out.append(t.formula)
            out += [str(v) for _, v in t.inputs] + [str(x) for p in t.params for x in p]
        out += [f.message for f in ev.findings]
        for part in (ev.hnte, ev.tech_sme):
            for c in (getattr(part, "conditions", None) or ()):
                out += [c.text, getattr(c, "to_pass", "") or "", getattr(c, "basis", "") or ""]
        if ev.tech_sme is not None:              # "115号 第七条": a source key and its article
            for x in ev.tech_sme.sources:
                key = max((k for k in self.params.sources if str(x).startswith(k)), key=len, default=None)
                out.append(self.params.cite(key, str(x)[len(key):].strip()) if key else str(x))
        out += [f"{r.basis} {r.why} {r.evidence}" for r in getattr(ev, "risks", ())]
        for i in ev.interpretations:
            it = self.params.interpretation(i)
            out += [it.text, it.why]
        if self.checklist is not None:
            out += [e.item.citation for e in self.checklist.entries]
        if ev.sd.rate_entry:
            out.append(ev.sd.rate_entry.source.cite)
        return out

    def cited_sources(self) -> list[str]:
        """The keys of every source a printed figure or check relies on: those named (by 文号 or title) in the
        printed texts, plus those every statement relies on (``cited_always``); national rules first."""
        from calc.citation import document_number
        corpus = "\n".join(self._printed_texts())
        keys = list(self.params.cited_always)
        for key, title in self.params.sources.items():
            short = document_number(title)
            by_name = not any(ch.isdigit() for ch in key) and len(key) >= 3 and key in corpus   # 劳动法, 民法典
            if key not in keys and (short in corpus or title in corpus or by_name):
                keys.append(key)
        local = (self.ev.ledger.profile.credit_code or "")[2:4]
        refs = [k for k in keys if k in self.params.reference_sources and self.params.reference_sources[k]["code"] != local]
        return [k for k in keys if k not in refs] + refs

    def source_line(self, key: str) -> str:
        """One entry of 引用的法律依据: the full title with its 文号; non-local guidance marked as such."""
        title = self.params.sources.get(key, key)
        ref = self.params.reference_sources.get(key)
        local = (self.ev.ledger.profile.credit_code or "")[2:4]
        if ref and ref["code"] != local:
            return f"{title}（参考（非本地规定）：{ref['region']}的规定，不作为本企业任何金额的唯一依据）"
        return title

    def appendix(self):
        sd, ev = self.ev.sd, self.ev
        if not sd.eligible:
            return
        self.story.append(PageBreak())
        self.story.append(self.p("附录：计算过程追溯", "h1"))
        self.story.append(self.p("每一行次的公式、输入、参数及其法律依据，以及所依据的明细账行（按项目和费用代码的行数与金额）。", "small"))
        rows = [["行次", "公式与输入", "参数与依据"]]
        order = sd.row_keys()
        for key in order:
            t = sd.traces.get(key)
            if t is None:
                continue
            inputs = "；".join(f"{n} = {self.money(v) if isinstance(v, int) and not isinstance(v, bool) else v}"
                              for n, v in t.inputs)
            params = "；".join(f"{n} {v}（{s}）" if s else f"{n} {v}" for n, v, s in t.params)
            ai = f" [{', '.join(t.interpretations)}]" if t.interpretations else ""
            rows.append([f"第{int(key[1:])}行" if key[1:].isdigit() else t.label,
                         f"{t.formula}{('：' + inputs) if inputs else ''}{ai}", params])
        self.story.append(self.table(rows, [16 * mm, 98 * mm, 60 * mm]))
        self.story.append(self.p("明细账行汇总（按项目、费用代码）", "h2"))
        by = defaultdict(lambda: [0, 0])
        by_id = {l.id: l for l in ev.ledger.lines}
        for t in sd.traces.values():
            if t.key.startswith("R") and len(t.key) == 3 and t.lines:
                for i in t.lines:
                    l = by_id[i]
                    amount = l.base_amount if l.share is None else round_fen(l.base_amount * l.share)
                    cell = by[(l.project_no, l.code)]
                    cell[0] += 1
                    cell[1] += amount
        rows = [["项目", "费用代码", "行数", "税法金额合计（元）"]]
        for (no, code), (n, amount) in sorted(by.items()):
            rows.append([no, f"{code} {self.params.codes[code].label}", str(n), self.money(amount)])
        self.story.append(self.table(rows, [22 * mm, 104 * mm, 14 * mm, 34 * mm], num_cols=(2, 3)))
        if sd.excluded:
            reasons = defaultdict(lambda: [0, 0])
            for i, why in sd.excluded:
                reasons[why][0] += 1
                reasons[why][1] += by_id[i].base_amount
            rows = [["未计入原因", "行数", "金额（元）"]]
            for why, (n, amount) in sorted(reasons.items()):
                rows.append([why, str(n), self.money(amount)])
            self.story.append(self.p("未计入加计扣除的明细行", "h2"))
            self.story.append(self.table(rows, [120 * mm, 20 * mm, 34 * mm], num_cols=(1, 2)))

    def signature(self):
        self.story.append(Spacer(1, 6 * mm))
        rows = [["企业负责人（签字）：", "", "财务负责人（签字）：", ""],
                ["编制人（签字）：", "", "科技特派员（签字）：", ""],
                ["日期：", "", "企业盖章：", ""]]
        tbl = self.table(rows, [34 * mm, 53 * mm, 34 * mm, 53 * mm], header_rows=0)
        tbl.setStyle(TableStyle([("ROWHEIGHT", (0, 0), (-1, -1), 14 * mm), ("GRID", (0, 0), (-1, -1), 0.4, GREY),
                                 ("BACKGROUND", (0, 0), (-1, -1), colors.white)]))
        self.story.append(KeepTogether([self.p("签字与盖章", "h2"), tbl,
                                        self.p("本报告为依据企业提供的研发支出辅助账和年度数据所作的测算，"
                                               "申报以主管税务机关和科技主管部门的审核为准；后补助为预估金额，最终以主管部门核定为准。",
                                               "small")]))

    def missing_chars_note(self):
        if self.t.missing:
            chars = "、".join(f"“{c}”(U+{ord(c):04X})" for c in self.t.missing)
            self.story.append(self.pm(f'<font color="#C00000">字体提示：以下字符字体不支持，已显示为“〓”：</font>', "small"))
            self.story.append(Paragraph(self.t(chars).replace("〓", "?"), self.s["small"]))

    def build(self, path: str | Path) -> dict:
        getattr(self.ev, "risks", ())       # screened first: the rules' interpretations are listed in 六
        self.header()
        self.summary()
        self.signature()
        self.story.append(PageBreak())
        self.a107012()
        self.basic_research()
        self.projects()
        self.hnte_section()
        self.subsidy_section()
        self.findings()
        self.risk_section()
        self.appendix()
        if self.checklist is not None:
            checklist_appendix(self, self.checklist)
        self.missing_chars_note()
        prof = self.ev.ledger.profile
        _NumberedCanvas.footer_text = self.t.plain(
            f"{(prof.name or '')[:40]} · {self.ev.sd.period.label} · 研发惠企测算 {self.version}".strip())
        doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                bottomMargin=18 * mm, title="研发惠企测算结果报告", author="研发惠企测算",
                                subject=self.t.plain(prof.name or ""), creator="R&D Benefit Desk")
        doc.build(self.story, canvasmaker=_NumberedCanvas)
        return {"missing_characters": dict(self.t.missing)}


def write_statement(ev: Evaluation, path: str | Path, params: Params | None = None, *,
                    issued: dt.date | None = None, version: str = "", checklist=None) -> dict:
    """Write the benefit statement PDF; returns facts about it (e.g. characters the fonts lack).
    ``checklist`` (a :class:`calc.evidence.Checklist`) adds the 留存备查资料清单 appendix (off by default)."""
    return Statement(ev, params, issued=issued, version=version, checklist=checklist).build(path)


def checklist_appendix(st: "Statement", cl) -> None:
    """附录：留存备查资料清单 — per project the applicable documents (super_deduction.md §9.3), marked 已备齐 / 缺 /
    未标记, with the attached files (paths relative to the workspace folder) and the retention end date."""
    st.story.append(PageBreak())
    st.story.append(st.p(f"附录：留存备查资料清单（{cl.year}年度）", "h1"))
    missing_files = cl.missing_files
    st.story.append(st.p(
        f"依据97号公告六、2018年第23号公告、《研发费用加计扣除政策执行指引（2.0版）》六(三)和财税〔2018〕64号第三条。"
        f"应留存资料 {len(cl.required)} 项，已标记备齐 {cl.done} 项，尚缺或未标记 {len(cl.missing)} 项"
        + (f"，附件缺失 {len(missing_files)} 个" if missing_files else "")
        + f"。留存期限：自{cl.year}年度汇算清缴期结束次日起{cl.retention_years}年，至 {cl.retention_end.isoformat()}"
        "（AI-EVID-01）。", "small"))
    rows = [["项目", "序号", "资料", "依据", "状态", "附件与备注"]]
    last = None
    for e in cl.entries:
        files = "；".join(p + ("" if ok else "（文件缺失）") for p, ok in e.files)
        note = "；".join(x for x in (files, e.mark.note) if x)
        who = f"{e.project_no} {e.project_name}".strip() if e.project_no else "企业（整体）"
        rows.append([who if e.project_no != last else "", e.item.id, e.item.title, e.item.citation, e.status,
                     note or "—"])
        last = e.project_no
    st.story.append(st.table(rows, [22 * mm, 10 * mm, 66 * mm, 22 * mm, 16 * mm, 38 * mm]))
