"""The benefit statement (研发惠企测算结果报告): A4 portrait PDF, Chinese, every figure traceable.

Built with reportlab from an :class:`calc.evaluate.Evaluation`; the shipped CJK TrueType font is
embedded as a subset so the document prints the same everywhere and its text copies back as Chinese.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (CondPageBreak, Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate,
                                Spacer, Table, TableStyle)
from reportlab.platypus.doctemplate import LayoutError
from reportlab.platypus.tableofcontents import TableOfContents

from calc.advice import hnte_forward, hnte_forward_short, sme_forward, sme_forward_short
from calc.evaluate import Evaluation
from calc.money import fen_display, rate_percent, ratio_str, rmb_upper, round_fen, yuan_to_fen
from calc.quick import QUICK_INTERPRETATION
from calc.params import Params, load_params
from calc.version import __version__, versions_line

from .pdftext import MAIN, TextGuard, register_fonts
from .report import SEVERITY_NAMES, a107012_lines, a107012_notes, loss_lines, regime_text

BLUE = colors.HexColor("#1F4E79")
LIGHT = colors.HexColor("#DDEBF7")
GREY = colors.HexColor("#808080")
CN_NUM = "〇一二三四五六七八九十" + "".join(f"十{d}" for d in "一二三四五六七八九")
_GATE = {"pass": "满足", "fail": "不满足", "unknown": "待确认"}


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("base", fontName=MAIN, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "cell_i1": ParagraphStyle("cell_i1", parent=base, fontSize=8, leading=10.5, leftIndent=3 * mm),
        "cell_i2": ParagraphStyle("cell_i2", parent=base, fontSize=8, leading=10.5, leftIndent=6 * mm),
        "num": ParagraphStyle("num", parent=base, fontSize=8, leading=10.5, alignment=TA_RIGHT),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER, textColor=BLUE),
        "h1": ParagraphStyle("h1", parent=base, fontSize=13, leading=18, spaceBefore=10, spaceAfter=5, textColor=BLUE),
        "h2": ParagraphStyle("h2", parent=base, fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=3, textColor=BLUE),
        "big": ParagraphStyle("big", parent=base, fontSize=20, leading=26, alignment=TA_CENTER, textColor=BLUE),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "note_center": ParagraphStyle("note_center", parent=base, fontSize=7.5, leading=10, alignment=TA_CENTER,
                                      textColor=GREY),
        "note": ParagraphStyle("note", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#C55A11")),
        "right_small": ParagraphStyle("right_small", parent=base, fontSize=7.5, leading=10, alignment=TA_RIGHT,
                                      textColor=GREY),
        "h3": ParagraphStyle("h3", parent=base, fontSize=9.5, leading=13, spaceBefore=2, spaceAfter=2, textColor=BLUE),
        "sub": ParagraphStyle("sub", parent=base, fontSize=7.5, leading=10, textColor=GREY),
        "sub_num": ParagraphStyle("sub_num", parent=base, fontSize=7.5, leading=10, textColor=GREY, alignment=TA_RIGHT),
        "faint": ParagraphStyle("faint", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#A0A0A0")),
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
        self._page_counts = []
        self._startPage()

    def save(self):
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            for x, y, template, size in state.get("_page_counts", ()):
                self.setFont(MAIN, size)
                self.setFillColor(colors.black)
                self.drawString(x, y, template.format(total=total))
            self.setFont(MAIN, 7.5)
            self.setFillColor(GREY)
            self.drawString(18 * mm, 10 * mm, self.footer_text)
            self.drawRightString(A4[0] - 18 * mm, 10 * mm, f"第 {self._pageNumber} / {total} 页")
            super().showPage()
        super().save()


class StatementError(Exception):
    """The statement cannot be laid out: a Chinese message naming the field (shown as is by the CLI and the GUI)."""


# user text in a table cell is clipped to this many characters (a LayoutError is never the answer, C1)
CELL_MAX = 240
NAME_MAX = 120
# the technical appendix lists at most this many projects / ledger groups / checklist rows (C2: bounded)
APPENDIX_ROWS_MAX = 400


KIND_STATUS = {"exact": "预估", "provisional": "暂定预估", "up_to": "最高可得", "range": "预估区间", "conditional": "附条件",
               "not_computable": "无法计算"}


def clip(text, limit: int = CELL_MAX) -> str:
    """User text shortened for a cell: at most ``limit`` characters, the rest replaced by a note (never a crash)."""
    if text is None:
        return ""
    if isinstance(text, (bytes, bytearray, memoryview)):
        return "（内容无法识别）"
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"…（共{len(text)}字，已截断）"


def cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


class _PageCount(Flowable):
    """Text with the total page count, written once the document is complete (the canvas knows it)."""

    def __init__(self, template: str, font_size: float = 8.5, width: float = 174 * mm):
        super().__init__()
        self.template, self.font_size, self.width, self.height = template, font_size, width, font_size * 1.6

    def wrap(self, aw, ah):
        return self.width, self.height

    def draw(self):
        x, y = self.canv.absolutePosition(0, 2)
        page = self.canv.getPageNumber()
        self.canv._page_counts = getattr(self.canv, "_page_counts", []) + [
            (x, y, self.template.replace("{page}", str(page)), self.font_size)]


class _Bookmark(Flowable):
    """An invisible mark: a PDF outline entry (bookmark) and a table-of-contents entry at this place."""

    def __init__(self, title: str, level: int = 0):
        super().__init__()
        self.title, self.level, self.key = title, level, f"bm{id(self)}"
        self.width = self.height = 0

    def wrap(self, aw, ah):
        return 0, 0

    def draw(self):
        self.canv.bookmarkPage(self.key)
        self.canv.addOutlineEntry(self.title, self.key, level=self.level, closed=self.level > 0)


class _SealArea(Flowable):
    """The free area for the enterprise's 公章: a faint dashed circle of Ø 42 mm with its caption."""

    def __init__(self, caption: str, size: float = 43.5 * mm):
        super().__init__()
        self.caption, self.size = caption, size
        self.width = self.height = size

    def wrap(self, aw, ah):
        return self.size, self.size

    def draw(self):
        c = self.canv
        c.saveState()
        c.setStrokeColor(colors.HexColor("#C8C8C8"))
        c.setDash(2, 2)
        c.circle(self.size / 2, self.size / 2, 21 * mm)
        c.setFillColor(colors.HexColor("#A0A0A0"))
        c.setFont(MAIN, 8)
        c.drawCentredString(self.size / 2, self.size / 2 - 3, self.caption)
        c.restoreState()


class Statement:
    def __init__(self, ev: Evaluation, params: Params | None = None, *, issued: dt.date | None = None,
                 version: str = "", checklist=None, appendix: bool = False, advisor: str | None = None):
        self.ev, self.params = ev, params or load_params()
        self.quick = QUICK_INTERPRETATION in ev.interpretations      # typed totals, not a 辅助账
        self.advisor = advisor if advisor else ev.ledger.profile.advisor
        self.checklist = checklist          # calc.evidence.Checklist: the optional 留存备查资料清单 appendix
        self.appendix_on = bool(appendix) or checklist is not None
        self.issued = issued or dt.date.today()
        self.version = version or __version__
        self.s = _styles()
        self.t = TextGuard()
        self.story: list = []
        self._section = 0
        self._appendix_no = 0

    # -- helpers --------------------------------------------------------------------------
    def p(self, text, style="base") -> Paragraph:
        return Paragraph(self.t(text), self.s[style])

    def pm(self, markup: str, style="base") -> Paragraph:
        """A paragraph from trusted markup (only the app's own literals)."""
        return Paragraph(markup, self.s[style])

    def cell(self, text, style="cell") -> Paragraph:
        return self.p(clip(text), style)

    def table(self, rows, widths, header_rows=1, num_cols=(), zebra=True, bold_rows=()) -> Table:
        data = []
        for r, row in enumerate(rows):
            out = []
            for c, v in enumerate(row):
                if isinstance(v, Flowable):
                    out.append(v)
                else:
                    out.append(self.cell(v, "num" if c in num_cols and r >= header_rows else "cell"))
            data.append(out)
        tbl = Table(data, colWidths=widths, repeatRows=header_rows, splitInRow=1)
        style = [("GRID", (0, 0), (-1, -1), 0.4, GREY), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                 ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
        if header_rows:
            style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), LIGHT))
        for r in bold_rows:
            style.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#F2F2F2")))
        tbl.setStyle(TableStyle(style))
        return tbl

    @staticmethod
    def money(fen) -> str:
        return f"{fen_display(int(fen))}"

    def heading(self, text: str, style: str = "h1", numbered: bool = True) -> list:
        """A heading kept with what follows (keep-with-next) and bookmarked; h1 headings numbered 一、二、…"""
        if numbered and style == "h1":
            self._section += 1
            text = f"{CN_NUM[self._section]}、{text}"
        para = self.p(text, style)
        para.keepWithNext = True
        mark = _Bookmark(self.t.plain(text), 0 if style == "h1" else 1)
        return [CondPageBreak(40 * mm if style == "h1" else 25 * mm), mark, para]

    def add_heading(self, text: str, style: str = "h1", numbered: bool = True) -> None:
        self.story.extend(self.heading(text, style, numbered))

    def appendix_heading(self, text: str, *, new_page: bool = False) -> None:
        self._appendix_no += 1
        title = f"附录{CN_NUM[self._appendix_no]}　{text}"
        if new_page:
            self.story.append(PageBreak())
        self.story.extend(self.heading(title, "h1", numbered=False))

    def prepay_basis(self) -> str:
        """The rule that lets a prepayment enjoy the deduction: 2023年第11号 from 2023, 2021年第28号 before."""
        return ("国家税务总局 财政部公告2023年第11号" if self.ev.year >= 2023 else "国家税务总局公告2021年第28号第一条")

    @property
    def is_period(self) -> bool:
        return self.ev.period != "year"

    def period_text(self) -> str:
        period = self.ev.sd.period
        return f"{period.label}（{cn_date(period.start)}—{cn_date(period.end)}）"

    def report_number(self) -> str:
        prof = self.ev.ledger.profile
        code = "".join(ch for ch in str(prof.credit_code or "") if ch.isalnum())[-6:] or "000000"
        per = {"year": "ND", "H1": "H1", "Q1-Q3": "Q3"}.get(self.ev.period, "ND")
        return f"YF-{self.ev.year}{per}-{code}-{self.issued:%Y%m%d}"

    # -- the figures of page 1 ----------------------------------------------------------------
    def hnte_in_doubt(self) -> str | None:
        """Why the 15% rate of a certified enterprise is not certain for this year (None: not in doubt)."""
        hn = self.ev.hnte
        if hn is None or not hn.certified:
            return None
        failed = [c for c in hn.conditions if c.status == "fail"]
        rc = hn.certificate.recheck if hn.certificate is not None else None
        if rc is not None and rc.status == "fail" and all(c.gate != rc.gate for c in failed):
            failed.append(rc)
        if failed:
            return "、".join(f"{c.name}" for c in failed) + "不符合"
        unknown = [c for c in hn.conditions if c.status == "unknown"]
        if unknown:
            return "、".join(c.name for c in unknown) + "待补充资料"
        return None

    def tax_items(self) -> list[dict]:
        """The tax effect lines of page 1: label, amount (分 or None = not computable), text, counted (in the
        headline) and status."""
        ev = self.ev
        te = ev.tax
        items = []
        br = ev.basic_research
        br_text = (f"企业投入基础研究支出再加计扣除 ¥{self.money(br.extra)}（比例{rate_percent(br.rate)}，"
                   f"{br.entry.source.cite}）" if br is not None else "")
        if ev.sd.eligible:
            label = "研发费用加计扣除节税" if br is None else "加计扣除节税（研发费用、基础研究）"
            if te is not None:
                items.append(dict(label=label, amount=te.tax_saved, counted=True,
                                  text=f"研发费用在据实扣除基础上再加计扣除 ¥{self.money(ev.sd.extra_deduction)}"
                                       f"（比例{rate_percent(ev.sd.rate)}）{'；' + br_text if br_text else ''}，少缴企业所得税。"))
            else:
                items.append(dict(label=label, amount=None, counted=False,
                                  text=f"无法计算（缺应纳税所得额）。本期加计扣除额 ¥{self.money(ev.sd.extra_deduction)}"
                                       "（A107012第51行）已算出，" + ("填写应纳税所得额" if self.quick else
                                       "填写“年度数据”的应纳税所得额") + "后可算出节税额。"))
        else:
            items.append(dict(label="研发费用加计扣除", amount=None, counted=False, text=f"不适用：{ev.sd.reason}"))
            if br is not None and te is not None:
                items.append(dict(label="企业投入基础研究支出加计扣除节税", amount=te.tax_saved, counted=True,
                                  text=f"{br_text}，少缴企业所得税。"))
        if ev.hnte_saving:
            doubt = self.hnte_in_doubt()
            if doubt is None:
                items.append(dict(label="高新技术企业15%税率节税", amount=ev.hnte_saving, counted=True,
                                  text="证书覆盖本年度，按15%而非25%税率缴纳企业所得税。"))
            else:
                items.append(dict(label="高新技术企业15%税率节税（附条件）", amount=ev.hnte_saving, counted=False,
                                  text=f"未计入合计：{doubt}，该年度15%税率优惠存在被追缴的风险（见需关注事项）。"))
        if ev.slp_saving:
            items.append(dict(label="小型微利企业优惠节税", amount=ev.slp_saving, counted=True,
                              text="按小型微利企业优惠税率缴纳企业所得税（与高新技术企业15%税率不叠加，从优选择）。"))
        return items

    def subsidy_rows(self) -> list[dict]:
        """One row per post-subsidy component (never summed into the headline): label, status, amount text."""
        rows = []
        for est in self.ev.subsidies:
            prov = ("" if getattr(est, "status", "verified") == "verified" else "（暂定规则）") or (
                "" if getattr(est, "doc_number", "") else "（办法文号未取得，暂定）")   # issue 15: no 文号 → provisional
            head = f"{est.region}：{est.title}{prov}"
            if not est.eligible:
                rows.append(dict(pack=head, label="—", status="不符合", amount="—",
                                 text=clip(est.reason or "不符合申报条件", 120)))
                continue
            for c in est.components:
                if c.amount is None:
                    status, amount = "无法计算", "—"
                    text = "缺：" + clip(c.reason or "；".join(c.needs), 120)
                elif not c.eligible:
                    continue
                else:
                    status = "仅供参考" if c.info_only else KIND_STATUS.get(c.kind, c.kind)
                    if c.kind == "range" and c.low is not None:
                        amount = f"{self.money(c.low)}～{self.money(c.amount)}"
                    else:
                        amount = ("最高 " if c.up_to or c.kind == "up_to" else "") + self.money(c.amount)
                    text = ("附条件：" + "；".join(c.conditions)) if c.kind == "conditional" and c.conditions else ""
                rows.append(dict(pack=head, label=c.label, status=status, amount=amount, text=clip(text, 160)))
        return rows

    # -- page 1 ---------------------------------------------------------------------------------
    def header(self):
        ev, prof = self.ev, self.ev.ledger.profile
        title = "研发惠企测算结果报告" + ("（预缴申报测算）" if self.is_period else "")
        self.story.append(self.p(title, "title"))
        self.story.append(self.p(f"报告编号：{self.report_number()}", "right_small"))
        info = [
            ["企业名称", clip(prof.name, NAME_MAX) or "（未填）", "统一社会信用代码", clip(prof.credit_code, 40) or "（未填）"],
            ["所属期间", self.pm(self.t(self.ev.sd.period.label) + "<br/>" + self.t(
                f"{cn_date(self.ev.sd.period.start)}—{cn_date(self.ev.sd.period.end)}"), "cell"), "出具日期", cn_date(self.issued)],
            ["行业代码", clip(prof.industry_code, 40) or "（未填）", "编制人 / 科技特派员",
             f"{clip(prof.prepared_by, 40) or '—'} / {clip(self.advisor, 60) or '—'}"],
        ]
        self.story.append(self.table(info, [24 * mm, 62 * mm, 32 * mm, 56 * mm], header_rows=0))
        if self.quick:
            who = f"科技特派员{clip(self.advisor, 40)}" if self.advisor else "科技特派员"
            self.story.append(self.p(
                f"快速测算：本报告依据{who}录入的汇总数（按费用类别的合计额）测算，不是依据研发支出辅助账；"
                "申报享受时须按规定设置研发支出辅助账并留存备查。", "note"))
        self.story.append(Spacer(1, 2 * mm))

    def conclusion(self):
        ev = self.ev
        self.add_heading("测算结论")
        items = self.tax_items()
        counted = [i for i in items if i["counted"]]
        if self.is_period:
            label = "本期预缴申报享受加计扣除可少缴企业所得税（测算）"
        else:
            label = "税收优惠测算节税额"
        if counted:
            total = sum(i["amount"] for i in counted)
            self.story.append(self.p(label, "center"))
            self.story.append(self.p(f"¥{self.money(total)}", "big"))
            self.story.append(self.p(rmb_upper(total), "center"))
        else:
            reason = items[0]["text"] if items else ""
            missing = "无法计算（缺应纳税所得额）" if ev.tax is None and ev.sd.eligible else "无"
            self.story.append(self.p(label, "center"))
            self.story.append(self.p(missing, "big"))
            if ev.sd.eligible:
                self.story.append(self.p(f"本期研发费用加计扣除额 ¥{self.money(ev.sd.extra_deduction)}"
                                         "（A107012第51行，已算出）", "center"))
            elif reason:
                self.story.append(self.p(reason, "center"))
        self.story.append(self.p("仅含依申报表计算的税收优惠；财政后补助为预估，单列于下方，不计入本金额。"
                                 + (f"预缴享受的金额在年度汇算清缴时按全年数据统一计算、多退少补（{self.prepay_basis()}）。"
                                    if self.is_period else ""), "note_center"))
        self.story.append(Spacer(1, 2 * mm))
        rows = [["税收优惠", "金额（元）", "说明"]]
        for i in items:
            amount = "无法计算" if i["amount"] is None else self.money(i["amount"])
            if i["amount"] is not None and not i["counted"]:
                amount += "（未计入）"
            rows.append([i["label"], amount, i["text"]])
        self.story.append(self.table(rows, [46 * mm, 36 * mm, 92 * mm], num_cols=(1,)))
        subs = self.subsidy_rows()
        if subs:
            self.story.append(Spacer(1, 2 * mm))
            self.story.append(self.p("财政后补助（预估，以主管部门核定为准，不计入上方金额）", "h3"))
            rows = [[self.p("补助", "sub"), self.p("状态", "sub"), self.p("金额（元）", "sub_num")]]
            spans = []
            last = None
            for r in subs:
                if r["pack"] != last:
                    spans.append(len(rows))
                    rows.append([self.p(r["pack"], "sub"), "", ""])
                    last = r["pack"]
                label = r["label"] if r["label"] != "—" else ""
                text = f"{label}（{r['text']}）" if r["text"] and label else (label or r["text"])
                rows.append([self.p("　" + text, "sub"), self.p(r["status"], "sub"), self.p(r["amount"], "sub_num")])
            tbl = Table(rows, colWidths=[122 * mm, 20 * mm, 32 * mm], splitInRow=1)
            style = [("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#D0D0D0")),
                     ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                     ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
            style += [("SPAN", (0, r), (-1, r)) for r in spans]
            tbl.setStyle(TableStyle(style))
            self.story.append(tbl)

    def attention_items(self) -> list[str]:
        """The 需关注事项 of page 1: what the signer must know, with what happens if nothing is done."""
        ev = self.ev
        out = []
        errors = [f for f in self.period_findings() if f.severity == "error"]
        if errors:
            out.append(f"导入校验发现错误 {len(errors)} 项，所在明细行未计入测算；若不更正，加计扣除额可能少计。")
        if ev.tax is None and ev.sd.eligible:
            out.append("缺应纳税所得额：节税额无法计算；请" + ("填写应纳税所得额" if self.quick else "在“年度数据”中填写")
                       + "后重新生成。")
        risks = list(ev.risks)
        high = [r for r in risks if r.severity == "高风险"]
        for r in high[:3]:
            out.append(f"高风险：{clip(r.title, 60)}——{clip(r.message, 110)}。若不处理，后续管理中可能被要求说明，"
                       "无法说明的部分可能被调增应纳税所得额。")
        if len(high) > 3:
            out.append(f"另有高风险事项 {len(high) - 3} 项。")
        other = [r for r in risks if r.severity != "高风险"]
        if other:
            n_att = sum(1 for r in other if r.severity == "关注")
            out.append(f"风险扫描另有关注 {n_att} 项、提示 {len(other) - n_att} 项，请准备说明并留存所列资料。")
        hn = ev.hnte
        if hn is not None:
            doubt = self.hnte_in_doubt()
            if doubt is not None and hn.certified:
                out.append(f"已认定高新技术企业，但{doubt}（{ev.year}年度按15%税率计税）：后续管理中发现不符合认定条件的，"
                           "可能被取消资格并追缴自不符合年度起已享受的税收优惠（国科发火〔2016〕32号第十六条、"
                           f"国家税务总局公告2017年第24号），本年15%税率节税 ¥{self.money(ev.hnte_saving)} 未计入合计。")
            elif hn.unknown and not hn.failed and not hn.certified:
                names = "、".join(c.name for c in hn.conditions if c.status == "unknown")
                out.append(f"高新技术企业：{clip(names, 80)}待补充资料，暂无法判断能否通过认定。")
            elif hn.failed and not hn.certified:
                names = "、".join(c.name for c in hn.conditions if c.status == "fail")
                out.append(f"高新技术企业：{names}{self.hnte_verdict_short()}；按现有数据申请认定可能不通过。")
            pend = ev.hnte_pending()
            if pend is not None:
                out.append(f"待人工指定高企费用类别的研发支出 ¥{self.money(pend['amount'])}"
                           f"（{hn.window[0]}—{hn.window[-1]}年度）暂未计入高企口径；若不指定，研发费用比例按"
                           f"{ratio_str(pend['ratio_now'] * 100, 2)}%计，全部计入后可能为{ratio_str(pend['ratio_after'] * 100, 2)}%。")
        sme = ev.tech_sme
        if sme is not None and sme.eligible is False:
            out.append(f"科技型中小企业（{sme.year}年评价）：不符合条件，不能按科技型中小企业享受相关政策。")
        if self.is_period:
            out.append("预缴阶段仅就本期明细行执行风险扫描；需全年数据的检查在年度汇算清缴时执行。")
        return out

    def attention(self):
        items = self.attention_items()
        if not items:
            items = ["未发现需要特别关注的事项（以已执行的检查为限，见第二部分）。"]
        paras = [self.p("需关注事项", "h3")] + [self.p("• " + t, "small") for t in items]
        box = Table([[paras]], colWidths=[174 * mm])
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#C55A11")),
                                 ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FFF4E5")),
                                 ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
        self.story.append(Spacer(1, 3 * mm))
        self.story.append(box)

    def disclaimer_text(self) -> str:
        basis = "录入的汇总数" if self.quick else "企业提供的研发支出辅助账、年度数据等资料"
        text = (f"声明：本报告是依据{basis}所作的测算，不是鉴证报告，不构成鉴证意见。"
                "研发费用加计扣除等企业所得税优惠实行“自行判别、申报享受、相关资料留存备查”的办理方式"
                "（国家税务总局公告2018年第23号），企业对所提供资料及申报的真实性、合法性负责，并按规定留存备查；"
                "税务机关依法实施后续管理。财政后补助为预估，最终以主管部门核定为准。")
        if self.is_period:
            text += (f"本期为预缴申报测算（{self.prepay_basis()}）：预缴时享受的加计扣除金额在年度汇算清缴时统一计算、"
                     "多退少补；预缴享受的，同样应按规定设置研发支出辅助账，并将A107012等资料留存备查。")
        return text

    def signature(self):
        prof = self.ev.ledger.profile
        block = [Spacer(1, 2 * mm), self.p(self.disclaimer_text(), "small"),
                 _PageCount("本报告共 {total} 页（签署页为第 {page} 页），请在各页加盖骑缝章。")]
        sign = [[self.p("签字与盖章", "cell"), self.p("签字", "cell"), self.p("日期", "cell"), _SealArea("企业公章")],
                [self.p("编制人", "cell"), self.p(clip(prof.prepared_by, 40) or "", "faint"), self.p("年　月　日", "faint"), ""],
                [self.p("复核人", "cell"), "", self.p("年　月　日", "faint"), ""],
                [self.p("签发人（企业负责人）", "cell"), "", self.p("年　月　日", "faint"), ""]]
        tbl = Table(sign, colWidths=[34 * mm, 56 * mm, 34 * mm, 50 * mm],
                    rowHeights=[6 * mm, 12.5 * mm, 12.5 * mm, 12.5 * mm])
        tbl.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GREY), ("SPAN", (3, 0), (3, 3)),
                                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (3, 0), (3, 0), "CENTER"),
                                 ("BACKGROUND", (0, 0), (2, 0), LIGHT), ("VALIGN", (2, 1), (2, -1), "BOTTOM"),
                                 ("LEFTPADDING", (3, 0), (3, 0), 0), ("RIGHTPADDING", (3, 0), (3, 0), 0),
                                 ("TOPPADDING", (3, 0), (3, 0), 0), ("BOTTOMPADDING", (3, 0), (3, 0), 0)]))
        block.append(tbl)
        if self.advisor:
            adv = [[self.p("测算人员（中介机构或科技特派员，签字）", "cell"), self.p(clip(self.advisor, 40), "faint"),
                    self.p("执业证号", "cell"), ""],
                   [self.p("出具机构（盖章）", "cell"), "", self.p("日期", "cell"), self.p("年　月　日", "faint")]]
            at = Table(adv, colWidths=[34 * mm, 56 * mm, 34 * mm, 50 * mm], rowHeights=[12 * mm, 14 * mm])
            at.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GREY), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
            block += [Spacer(1, 1.5 * mm), at]
        self.story.append(KeepTogether(block))

    # -- page 2: the key conditions -----------------------------------------------------------------
    def income_tax(self):
        te = self.ev.tax
        self.add_heading("企业所得税测算", "h2", numbered=False)
        if te is None:
            self.story.append(self.p("未填应纳税所得额：节税额无法计算（不是零）。", "small"))
            return
        a, b = te.without, te.with_
        sd = self.ev.sd
        link = self.params.filing_link(sd.period.year, sd.period.end if self.is_period else None) or {}
        form = link.get("return_form") or ("A200000" if self.is_period else "A100000")
        ln = dict(link.get("return_lines") or {})        # the return's lines by filing year (law data)

        def at(name: str) -> str:
            return f"（{ln[name]}）" if ln.get(name) else ""
        ded = "研发费用加计扣除" if self.ev.basic_research is None else "加计扣除（研发费用、基础研究）"
        rows = [[f"项目（申报表{form}{'，修订后行次未核对' if link.get('unverified') else ''}）", "未享受加计扣除", "享受加计扣除"],
                ["加计扣除前的所得（输入的应纳税所得额）", self.money(te.before), self.money(te.before)],
                [f"减：{ded}{at('ded')}", self.money(0), self.money(te.deduction)]]
        if ln.get("adj") or not self.is_period:
            rows.append([f"纳税调整后所得{at('adj')}", self.money(te.before), self.money(te.before - te.deduction)])
        rows += [[f"减：弥补以前年度亏损{at('loss')}", self.money(a.losses_used), self.money(b.losses_used)],
                 [f"应纳税所得额{at('ti')}", self.money(a.taxable_income), self.money(b.taxable_income)],
                 [f"适用税率 / 优惠{at('rate')}", regime_text(a.choice), regime_text(b.choice)],
                 [f"应纳税额{at('tax')}", self.money(a.choice.tax), self.money(b.choice.tax)]]
        if te.tax_credit:       # 抵免所得税额 and the net tax, with their lines where the year's form has them
            rows += [[f"减：抵免所得税额{at('credit')}", self.money(a.credit_used), self.money(b.credit_used)],
                     [f"应纳税额{at('net')}", self.money(a.tax), self.money(b.tax)]]
        self.story.append(self.table(rows, [78 * mm, 48 * mm, 48 * mm], num_cols=(1, 2)))
        parts = []
        for opt in b.choice.comparison():
            if opt["available"]:
                parts.append(f"{opt['label']}：应纳税额 ¥{fen_display(yuan_to_fen(opt['tax']))}"
                             + ("（选用）" if opt["elected"] else ""))
            else:
                parts.append(f"{opt['label']}：不适用（{opt['reason']}）")
        self.story.append(self.p("税率从优（不得叠加）：" + "；".join(parts) + "。", "small"))
        self.story.append(self.p(f"节税额为有、无加计扣除两次计算的应纳税额之差：¥{self.money(te.tax_saved)}。", "small"))
        for note in [*loss_lines(te), *te.notes]:
            self.story.append(self.p(note, "small"))
        if te.cliff_warning:
            self.story.append(self.p("注意：" + te.cliff_warning, "small"))

    def hnte_verdict_short(self) -> str:
        hn = self.ev.hnte
        pend = self.ev.hnte_pending()
        if hn.failed:
            if pend is not None and any(c.id in ("rd_ratio", "rd_ratio_recheck") for c in hn.conditions
                                        if c.status == "fail"):
                after = ratio_str(pend["ratio_after"] * 100, 2)
                maybe = (f"分类后可能为{after}%，可能达标" if pend["would_pass"]
                         else f"分类后可能为{after}%，仍低于{rate_percent(pend['threshold'])}")
                return f"暂不符合（待分类 ¥{self.money(pend['amount'])}，{maybe}）"
            return "不符合"
        if hn.unknown:
            return "待补充资料"
        return "符合" if hn.assessment == "eligible_likely" else "不确定"

    def key_conditions(self):
        ev = self.ev
        self.add_heading("主要条件与依据")
        self.income_tax()
        hn, sme = ev.hnte, ev.tech_sme
        if hn is not None:
            self.add_heading("高新技术企业", "h2", numbered=False)
            if hn.certificate is not None:
                self.story.append(self.p(hn.certificate.text, "small"))
            self.story.append(self.p(f"{hn.application_date.year}年申请认定（近三个会计年度 {hn.window[0]}—{hn.window[-1]}）："
                                     f"{self.hnte_verdict_short()}。", "base"))
            passed = [f"{c.gate} {c.name}" for c in hn.conditions if c.status == "pass"]
            rows = [["条件", "结论", "说明"]]
            for c in hn.conditions:
                if c.status == "pass":
                    continue
                status = self.STATUS.get(c.status, c.status)
                if c.id in ("rd_ratio", "rd_ratio_recheck") and c.status == "fail" and ev.hnte_pending() is not None:
                    status = "暂不符合"
                rows.append([f"{c.gate} {c.name}", status, c.text + (f"（{c.basis}）" if c.basis else "")])
            if len(rows) > 1:
                self.story.append(self.table(rows, [40 * mm, 16 * mm, 118 * mm]))
            if passed:
                self.story.append(self.p("符合：" + "、".join(passed) + "。", "small"))
            forward = hnte_forward_short(hn, self.issued)   # advice looks forward (issue 15): the next application
            if forward:
                self.story.append(self.p(f"面向下次申请：{forward}。", "small"))
        if sme is not None:
            self.add_heading(f"科技型中小企业（{sme.year}年评价，数据年度{sme.data_year}）", "h2", numbered=False)
            self.story.append(self.p(sme.verdict_text, "small"))
            forward = sme_forward_short(sme, self.issued)
            if forward:
                self.story.append(self.p(f"面向下次评价：{forward}。", "small"))
        if ev.subsidies:
            self.add_heading("财政后补助（预估）", "h2", numbered=False)
            self.subsidy_table()
        self.risk_summary()
        self.checks_summary()
        self.story.append(self.p(
            "技术附录（A107012、分项目汇总、计算过程追溯、明细账行汇总、检查结果、风险提示详情）" +
            ("见后。" if self.appendix_on else "未附（生成时选择“附技术附录”可附上）。"), "small"))

    def subsidy_table(self):
        """S24: 补助类别 / 条件 / 基数 / 比例 / 预估额 / 状态, 元 with 2 decimals."""
        self.story.append(self.p("后补助属于财政资金，最终金额由主管部门按预算、核查和排序确定，可能低于本预估。", "small"))
        rows = [["补助类别", "条件", "基数（元）", "比例", "预估额（元）", "状态"]]
        for est in self.ev.subsidies:
            gate_text = "；".join(f"{g.label}：{_GATE.get(g.status, g.status)}" for g in est.gates)
            if not est.eligible:
                rows.append([clip(est.title, 80), clip(gate_text or est.reason, 160), "—", "—", "—", "不符合"])
                continue
            for c in est.components:
                gates = c.gates if c.eligible else [g for g in c.gates if g.status == "fail"] or c.gates
                conds = "；".join(f"{g.label}：{_GATE.get(g.status, g.status)}" for g in gates) or "—"
                base = "—" if c.base_value is None else self.money(round_fen(c.base_value))
                if c.amount is None:
                    amount, status = "—", "无法计算：缺" + clip(c.reason or "、".join(c.needs), 60)
                elif not c.eligible:
                    amount, status = "—", "不符合"
                else:
                    amount = (f"{self.money(c.low)}～{self.money(c.amount)}" if c.kind == "range" and c.low is not None
                              else ("最高 " if c.up_to or c.kind == "up_to" else "") + self.money(c.amount))
                    status = "仅供参考" if c.info_only else KIND_STATUS.get(c.kind, c.kind)
                rows.append([clip(c.label, 60), clip(conds, 200), base, clip(c.rate_text or "—", 30), amount, status])
        self.story.append(self.table(rows, [34 * mm, 58 * mm, 24 * mm, 14 * mm, 26 * mm, 18 * mm], num_cols=(2, 4)))
        for est in self.ev.subsidies:
            if est.status != "verified":          # issue 16: why the rule is provisional / retired, in Chinese
                reason = est.status_reason or "未取得正式文号的政策依据"
                self.story.append(self.p(f"{est.title}：{reason}。本预估为暂定。", "small"))

    def risk_summary(self):
        ev = self.ev
        risks = list(ev.risks)
        self.add_heading("税务风险扫描", "h2", numbered=False)
        if ev.risk_inputs is None:
            self.story.append(self.p("本期未执行税务风险扫描。", "small"))
            return
        scope = "本期明细行" if self.is_period else f"{ev.year}年度数据"
        if not risks:
            self.story.append(self.p(f"按风险筛查规则对{scope}执行了扫描，未发现需要提示的风险事项。", "small"))
        else:
            counts = {s: sum(1 for r in risks if r.severity == s) for s in ("高风险", "关注", "提示")}
            self.story.append(self.p(f"对{scope}执行风险扫描：高风险 {counts['高风险']} 项，关注 {counts['关注']} 项，"
                                     f"提示 {counts['提示']} 项。风险提示不影响上述计算结果。", "small"))
            for r in [r for r in risks if r.severity == "高风险"][:5]:
                self.story.append(self.p(f"［{r.severity}］{clip(r.title, 60)}：{clip(r.message, 110)}", "small"))
            watch = [clip(r.title, 40) for r in risks if r.severity == "关注"]
            if watch:                                 # titles only: the details are in the technical appendix
                self.story.append(self.p("［关注］" + "；".join(watch[:8]) + ("等" if len(watch) > 8 else "")
                                         + "（说明与留存资料见技术附录）。", "small"))
        not_run = ev.risks_not_run
        if not_run:
            self.story.append(self.p("未执行的检查（需全年数据，年度汇算清缴时执行）：" + "、".join(
                x.split(" ", 1)[-1] for x in not_run) + "。", "small"))

    def checks_summary(self):
        ran, not_run = self.checks()
        if not_run:
            self.story.append(self.p("因缺少数据未能执行的检查：" + "；".join(not_run) + "。", "small"))

    def versions_block(self):
        self.story.append(self.p(f"版本信息（用于复现测算）：{self.versions_line()}。"
                                 + self.ev.law_as_of_text + "（本报告所用参数文件和规则包中最早的核对日期）。", "versions"))

    def versions_line(self) -> str:
        """The app, parameter-file and (used) rule-pack versions: what is needed to reproduce the figures."""
        used = [e.pack_id for e in self.ev.subsidies]
        return versions_line(self.params, used, app_version=self.version)

    def period_findings(self) -> list:
        """The findings that belong to the statement's period: a finding located on a ledger line or a
        person-month outside a prepayment period is left out (printed as a count, never as inside)."""
        ev = self.ev
        if not self.is_period:
            return list(ev.findings)
        start, end = ev.sd.period.start, ev.sd.period.end
        dates = {}
        for l in ev.ledger.lines:
            if l.src is not None:
                dates[(l.src.sheet, l.src.row)] = (l.date, l.date)
        alloc = getattr(ev.ledger, "allocation", None)
        for ld in getattr(alloc, "loads", ()) or ():
            try:
                y, m = int(ld.month[:4]), int(ld.month[5:7])
            except (TypeError, ValueError):
                continue
            first = dt.date(y, m, 1)
            last = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
            if ld.src is not None:
                dates[(ld.src.sheet, ld.src.row)] = (first, last)
        out = []
        for f in ev.findings:
            span = dates.get((f.sheet, f.row))
            if span is not None and (span[1] < start or span[0] > end):
                continue
            out.append(f)
        return out

    STATUS = {"pass": "符合", "fail": "不符合", "unknown": "待补充", True: "符合", False: "不符合", None: "待补充"}

    # -- the technical appendix -------------------------------------------------------------------
    def a107012(self):
        sd = self.ev.sd
        self.appendix_heading("研发费用加计扣除优惠明细表（A107012）")
        if not sd.eligible:
            self.story.append(self.p(f"本期不适用研发费用加计扣除：{sd.reason}"))
            return
        src = sd.rate_entry.source if sd.rate_entry else None
        rate_text = (f"前三季度{rate_percent(sd.q4['x_q13'])}、第四季度{rate_percent(sd.q4['x_q4'])}"
                     f"（{sd.q4['method_label']}）" if sd.q4 else f"{rate_percent(sd.rate)}")
        self.story.append(self.p(f"加计扣除比例：{rate_text}；依据：{src.cite if src else '—'}。"
                                 f"表样：{sd.layout.get('title') or 'A107012'}（行次名称按申报年度）。"))
        if sd.confirmation:                                # the 120% rests on the user's confirmation: its basis
            self.story.append(self.p(sd.confirmation + "。", "small"))
        rows = [["行次", "项目", "金额（数量）"]]
        bold = []
        for number, label, value in a107012_lines(sd, self.params):
            if re.match(r"^[一二三四五六七八九十]+、", label):      # S12: the form's hierarchy by weight and indent
                bold.append(len(rows))
            elif label.startswith(("（", "(")):
                label = self.p(label, "cell_i1")
            elif re.match(r"^\d+\.", label) or label.startswith(("其中", "减：")):
                label = self.p(label, "cell_i2")
            rows.append([number, label, value])
        self.story.append(self.table(rows, [12 * mm, 128 * mm, 34 * mm], num_cols=(2,), bold_rows=bold))
        self.story.append(self.p("注：" + self.params.text("sd_r01_note") + "（解释口径AI-SD-14，见“采用的解释口径”）。", "small"))
        for note in a107012_notes(sd, self.params):
            self.story.append(self.p(note, "small"))

    def basic_research(self):
        """企业投入基础研究支出加计扣除 (2022年第32号): a preference of its own, not part of A107012."""
        br = self.ev.basic_research
        if br is None:
            return
        self.story.append(self.p("企业投入基础研究支出加计扣除", "h2"))
        self.story.append(self.p(
            f"企业投入基础研究支出 ¥{self.money(br.amount)} × 加计扣除比例 {rate_percent(br.rate)} = "
            f"加计扣除额 ¥{self.money(br.extra)}（{br.entry.source.cite}）。该项不填入A107012，与研发费用加计扣除一并减少"
            f"应纳税所得额，节税额合并计算。"))
        link = self.params.filing_link(self.ev.year)
        if link is not None and link.get("basic_research"):
            self.story.append(self.p(f"申报填写：{link['basic_research']}。"
                                     + (f"※ {link['unverified']}。" if link.get("unverified") else ""), "small"))

    def projects(self):
        sd = self.ev.sd
        if not sd.eligible:
            return
        self.appendix_heading("分项目汇总（摘要）")
        self.story.append(self.p("按项目列示允许加计扣除金额（摘要，列次为研发支出辅助账汇总表的合计列；"
                                 "完整的汇总表见导出的工作簿）。", "small"))
        rows = [["项目编号", "项目名称", "类型", "前五项小计", "其他相关费用（限额后）", "委托境内×80%",
                 "委托境外（限额后）", "允许加计扣除金额合计"]]
        bold = []
        listed = 0
        skipped = 0
        for r in sd.summary:
            if r.ledger_type:
                if listed >= APPENDIX_ROWS_MAX:
                    skipped += 1
                    continue
                listed += 1
            else:
                bold.append(len(rows))
            rows.append([clip(r.project_no, 40), clip(r.name, 80), r.ledger_type or "", self.money(r.cols["6"]),
                         self.money(r.cols["7.2"]), self.money(r.cols["8.2"]), self.money(r.cols["8.4"]),
                         self.money(r.cols["total"])])
        self.story.append(self.table(rows, [17 * mm, 36 * mm, 13 * mm, 22 * mm, 22 * mm, 21 * mm, 21 * mm, 22 * mm],
                                     num_cols=(3, 4, 5, 6, 7), bold_rows=bold))
        if skipped:
            self.story.append(self.p(f"另有 {skipped} 个项目行未列出（合计行已含），见导出的研发支出辅助账汇总表。", "small"))
        if sd.intangibles:
            self.add_heading("研发形成的无形资产摊销", "h2", numbered=False)
            rows = [["项目", "形成日期", "无形资产成本（资本化金额）", "摊销月数", "本期月数", "本期摊销额"]]
            for a in sd.intangibles[:APPENDIX_ROWS_MAX]:
                rows.append([clip(a.project_no, 40), a.formed.isoformat(), self.money(a.base), str(a.months_total),
                             str(a.months_in_period), self.money(round_fen(a.amount_exact))])
            self.story.append(self.table(rows, [25 * mm, 25 * mm, 40 * mm, 22 * mm, 22 * mm, 40 * mm],
                                         num_cols=(2, 3, 4, 5)))

    def hnte_section(self):
        hn, sme = self.ev.hnte, self.ev.tech_sme
        if hn is None and sme is None:
            return
        self.appendix_heading("高新技术企业与科技型中小企业（详细）")
        if hn is not None:
            self.add_heading("高新技术企业（依据国科发火〔2016〕32号、195号）", "h2", numbered=False)
            if hn.certificate is not None:
                self.story.append(self.p(hn.certificate.text))
            self.story.append(self.p(f"{hn.assessment_text}。申请日期 {hn.application_date}"
                                     f"{'（假定）' if hn.application_date_assumed else ''}，近三个会计年度 "
                                     f"{hn.window[0]}—{hn.window[-1]}。结论：{self.hnte_verdict_short()}。"))
            rows = [["条件", "结论", "说明与达标所需"]]
            for c in hn.conditions:
                extra = c.to_pass if c.status != "pass" and c.to_pass and c.to_pass not in c.text else ""
                rows.append([f"{c.gate} {c.name}", self.STATUS.get(c.status, c.status),
                             c.text + (f"。{extra}" if extra else "") + (f"（{c.basis}）" if c.basis else "")])
            self.story.append(self.table(rows, [34 * mm, 14 * mm, 126 * mm]))
            forward = hnte_forward(hn, self.issued)
            if forward:
                self.story.append(Spacer(1, 1.5 * mm))
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
                block = self.heading(f"{b.year}年度研发费用三种口径衔接", "h2", numbered=False)
                rows = [["口径与调整", "金额（元）"]]
                bold = []
                for caliber, label, total in (("super", "加计扣除口径（A107012第40行）", b.super_total),
                                              ("hnte", "高新技术企业口径", b.hnte_total)):
                    bold.append(len(rows))
                    rows.append(["会计口径研发支出（起点）", self.money(b.accounting_total)])
                    for g in b.groups(caliber):
                        rows.append([f"  {g.text}（{len(g.line_ids)}行）" if g.line_ids else f"  {g.text}",
                                     self.money(g.amount)])
                    bold.append(len(rows))
                    rows.append([label, self.money(total or 0)])
                block.append(self.table(rows, [138 * mm, 36 * mm], num_cols=(1,), bold_rows=bold))
                self.story.extend(block)
        if sme is not None:
            self.add_heading(f"科技型中小企业（{sme.year}年评价，数据年度{sme.data_year}）", "h2", numbered=False)
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
        self.appendix_heading("财政后补助测算过程")
        for est in subs:
            conf = (f"正式规则，已核实，核对日期 {est.reviewed_on}" if est.status == "verified"
                    else "暂定规则，预估仅供参考")
            self.add_heading(f"{est.title}（{conf}，政策期间 {est.period_text}）", "h2", numbered=False)
            lines = est.explain()
            self.story.append(self.p(lines[0]))
            for line in lines[1:]:
                self.story.append(self.p(clip(line.strip(), 600), "small"))

    def findings(self):
        ev = self.ev
        self.appendix_heading("检查结果、解释口径与依据")
        found = self.period_findings()
        outside = len(ev.findings) - len(found)
        counts = defaultdict(int)
        for f in found:
            counts[f.severity] += 1
        self.story.append(self.p(f"错误 {counts['error']} 项，警告 {counts['warning']} 项，提示 {counts['info']} 项。"
                                 "错误所在的明细行未计入；警告需核实；提示为说明。"
                                 + (f"另有 {outside} 项位于本期以外的明细行或月份，未列出。" if outside else "")))
        shown = [f for f in found if f.severity != "info"]
        infos = defaultdict(list)
        for f in found:
            if f.severity == "info":
                infos[f.code].append(f)
        rows = [["级别", "位置", "说明"]]
        for f in shown[:200]:
            rows.append([SEVERITY_NAMES[f.severity], clip(f.where, 80), clip(f.message, 400)])
        for code, group in infos.items():
            where = clip(group[0].where, 80) + (f" 等{len(group)}处" if len(group) > 1 else "")
            rows.append(["提示", where, clip(group[0].message, 400)])
        if len(rows) > 1:
            self.story.append(self.table(rows, [12 * mm, 38 * mm, 124 * mm]))
        if len(shown) > 200:
            self.story.append(self.p(f"（另有 {len(shown) - 200} 项未列出，请在软件中查看全部）", "small"))
        block = self.heading("已执行的检查", "h2", numbered=False)
        ran, not_run = self.checks()
        block += [self.p("✓ " + text, "small") for text in ran]
        self.story.append(KeepTogether(block))
        if not_run:
            block = self.heading("未执行的检查", "h2", numbered=False)
            block += [self.p("✗ " + text, "small") for text in not_run]
            self.story.append(KeepTogether(block))
        block = self.heading("采用的解释口径", "h2", numbered=False)
        rows = [["编号", "内容"]]
        for i in sorted(ev.interpretations):
            it = self.params.interpretation(i)
            rows.append([i, it.text + (f"（理由：{it.why}）" if it.why else "")])
        block.append(self.table(rows, [22 * mm, 152 * mm]))
        self.story.extend(block)
        block = self.heading("引用的法律依据", "h2", numbered=False)
        for key in self.cited_sources():
            block.append(self.p(self.source_line(key), "small"))
        self.story.append(KeepTogether(block[:5]))
        self.story.extend(block[5:])

    def risk_section(self):
        """税务风险提示 (appendix): each risk finding with why the bureau looks at it and what to keep."""
        ev = self.ev
        risks = ev.risks
        self.appendix_heading("税务风险提示（详细）")
        if ev.risk_inputs is None:
            self.story.append(self.p("本期未执行税务风险扫描。", "small"))
            return
        if not risks:
            scope = "本期明细行" if self.is_period else f"{ev.year}年度数据"
            self.story.append(self.p(f"按风险筛查规则对{scope}执行了扫描，未发现需要提示的风险事项。", "small"))
        else:
            counts = {s: sum(1 for r in risks if r.severity == s) for s in ("高风险", "关注", "提示")}
            self.story.append(self.p(f"模拟税务机关后续管理的风险扫描：高风险 {counts['高风险']} 项，关注 {counts['关注']} 项，"
                                     f"提示 {counts['提示']} 项。风险提示不影响上述计算结果，表示该事项可能被关注，"
                                     "请准备说明并留存所列资料。", "small"))
            rows = [["级别", "编号", "风险事项", "位置"]]
            for r in risks:
                rows.append([r.severity, r.rule_id, r.title, clip(r.where or "—", 120)])
            self.story.append(self.table(rows, [14 * mm, 18 * mm, 96 * mm, 46 * mm]))
            for r in risks:
                block = [self.p(f"［{r.severity}］{r.rule_id} {r.title}", "h2"), self.p(clip(r.message, 800)),
                         self.p(f"为何关注：{r.why}", "small"), self.p(f"留存资料：{r.evidence}", "small")]
                tail = "；".join(x for x in (f"依据：{r.basis}" if r.basis else "",
                                            f"位置：{clip(r.where, 300)}" if r.where else "") if x)
                if tail:
                    block.append(self.p(tail, "small"))
                self.story.append(KeepTogether(block))
        if ev.risks_not_run:
            self.story.append(self.p("未执行的检查（需全年数据，年度汇算清缴时执行）：" + "；".join(ev.risks_not_run)
                                     + "。", "small"))

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
        if ev.risk_inputs is not None:
            ran.append("税务风险扫描（" + ("本期明细行，逐行规则" if self.is_period else "全年") + "）")
        else:
            not_run.append("税务风险扫描")
        if self.is_period:
            not_run.append("高新技术企业、科技型中小企业条件与财政后补助（按年度评价，见年度报告）")
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
        out.append(self.disclaimer_text())       # 2018年第23号, 2023年第11号 / 2021年第28号
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

    def trace_appendix(self):
        sd, ev = self.ev.sd, self.ev
        if not sd.eligible:
            return
        self.appendix_heading("计算过程追溯", new_page=True)
        self.story.append(self.p("每一行次的公式、输入、参数及其法律依据，以及所依据的明细账行（按项目和费用代码的行数与金额）。", "small"))
        rows = [["行次", "公式与输入", "参数与依据"]]
        for key in sd.row_keys():
            t = sd.traces.get(key)
            if t is None:
                continue
            inputs = "；".join(f"{n} = {self.money(v) if isinstance(v, int) and not isinstance(v, bool) else v}"
                              for n, v in t.inputs)
            params = "；".join(f"{n} {v}（{s}）" if s else f"{n} {v}" for n, v, s in t.params)
            ai = f" [{', '.join(t.interpretations)}]" if t.interpretations else ""
            label = f"第{int(key[1:])}行" if key[1:].isdigit() else t.label
            text = f"{t.formula}{('：' + inputs) if inputs else ''}{ai}"
            if self.quick:                       # the synthetic projects of the quick estimate are not shown
                text = re.sub(r"QE0\d", "汇总数", text)
            rows.append([label, clip(text, 1200), clip(params, 600)])
        self.story.append(self.table(rows, [16 * mm, 98 * mm, 60 * mm]))
        if self.quick:
            return
        self.add_heading("明细账行汇总（按项目、费用代码）", "h2", numbered=False)
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
        bold = []
        projects = sorted({no for no, _ in by})
        shown = projects[:APPENDIX_ROWS_MAX]
        for no in shown:
            n_sum = a_sum = 0
            for (pno, code), (n, amount) in sorted((k, v) for k, v in by.items() if k[0] == no):
                rows.append([clip(no, 40), f"{code} {self.params.codes[code].label}", str(n), self.money(amount)])
                n_sum += n
                a_sum += amount
            bold.append(len(rows))
            rows.append([clip(no, 40), "项目小计", str(n_sum), self.money(a_sum)])
        self.story.append(self.table(rows, [22 * mm, 104 * mm, 14 * mm, 34 * mm], num_cols=(2, 3), bold_rows=bold))
        if len(projects) > len(shown):
            self.story.append(self.p(f"另有 {len(projects) - len(shown)} 个项目未列出，见导出的研发支出辅助账。", "small"))
        if sd.excluded:
            reasons = defaultdict(lambda: [0, 0])
            for i, why in sd.excluded:
                code = by_id[i].code
                item = self.params.codes[code].label if code in self.params.codes else ""
                if item and item not in why:          # S33: name the item (通讯费, 办公费、外事费, …)
                    why = f"{why}（{item}）"
                reasons[why][0] += 1
                reasons[why][1] += by_id[i].base_amount
            rows = [["未计入原因", "行数", "金额（元）"]]
            for why, (n, amount) in sorted(reasons.items()):
                rows.append([why, str(n), self.money(amount)])
            self.add_heading("未计入加计扣除的明细行", "h2", numbered=False)
            self.story.append(self.table(rows, [120 * mm, 20 * mm, 34 * mm], num_cols=(1, 2)))

    def contents(self):
        self.story.append(PageBreak())
        self.story.append(self.p("技术附录", "title"))
        self.story.append(self.p("以下附录供复核与留存备查使用：申报表明细、计算过程、检查与风险详情。", "center"))
        toc = TableOfContents()
        toc.levelStyles = [ParagraphStyle("toc0", parent=self.s["base"], fontSize=10, leading=15, leftIndent=4 * mm,
                                          firstLineIndent=-4 * mm)]
        toc.dotsMinLevel = 0
        self.story.append(Spacer(1, 4 * mm))
        self.story.append(toc)
        self.toc = toc

    def missing_chars_note(self):
        if self.t.missing:
            chars = "、".join(f"“{c}”(U+{ord(c):04X})" for c in list(self.t.missing)[:60])
            note = KeepTogether([
                self.pm(f'<font color="#C00000">字体提示：以下字符字体不支持，已显示为“〓”：</font>', "small"),
                Paragraph(self.t(chars).replace("〓", "?"), self.s["small"])])
            self.story.insert(getattr(self, "_note_at", len(self.story)), note)   # closes the owner's version

    def build(self, path: str | Path) -> dict:
        ev = self.ev
        getattr(ev, "risks", ())       # screened first: the rules' interpretations are listed in the appendix
        self.toc = None
        self.header()
        self.conclusion()
        self.attention()
        self.signature()
        self.story.append(PageBreak())
        self.key_conditions()
        self.versions_block()
        self._note_at = len(self.story)
        if self.appendix_on:
            self.contents()
            self.story.append(PageBreak())
            self.a107012()
            self.basic_research()
            if not self.quick:               # the quick estimate's projects are synthetic: not shown
                self.projects()
            if not self.is_period:
                self.hnte_section()
                self.subsidy_section()
            self.findings()
            self.risk_section()
            self.trace_appendix()
            if self.checklist is not None:
                checklist_appendix(self, self.checklist)
        self.missing_chars_note()
        prof = ev.ledger.profile
        name = clip(prof.name, 10**9)
        name = name if len(name) <= 30 else name[:30] + "…"        # the footer has one line
        footer = self.t.plain(f"{name} · {ev.sd.period.label} · 报告编号 {self.report_number()}".strip())
        doc = _Doc(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                   bottomMargin=18 * mm, title="研发惠企测算结果报告", author="研发惠企测算",
                   subject=self.t.plain(clip(prof.name, NAME_MAX)), creator="研发惠企测算")
        canvasmaker = _canvas_with_footer(footer)
        try:
            if self.toc is not None:
                doc.multiBuild(self.story, canvasmaker=canvasmaker, maxPasses=4)
            else:
                doc.build(self.story, canvasmaker=canvasmaker)
        except LayoutError as exc:
            raise StatementError(_layout_message(ev, exc)) from None
        return {"missing_characters": dict(self.t.missing), "pages": canvasmaker.pages[-1] if canvasmaker.pages else 0}


class _Doc(SimpleDocTemplate):
    def afterFlowable(self, flowable):
        if isinstance(flowable, _Bookmark) and flowable.level == 0 and flowable.title.startswith("附录"):
            self.notify("TOCEntry", (0, flowable.title, self.page, flowable.key))


def _canvas_with_footer(footer: str):
    pages: list[int] = []

    class C(_NumberedCanvas):
        footer_text = footer

        def save(self):
            pages.append(len(self._saved))
            super().save()

    C.pages = pages
    return C


def _layout_message(ev: Evaluation, exc: Exception) -> str:
    """A Chinese message for a statement that could not be laid out, naming the longest user field."""
    prof = ev.ledger.profile
    fields = [("企业名称", prof.name), ("统一社会信用代码", prof.credit_code), ("行业代码", prof.industry_code),
              ("编制人", prof.prepared_by), ("科技特派员", prof.advisor)]
    for no, p in list(ev.ledger.projects.items())[:100000]:
        fields.append((f"项目编号", no))
        fields.append((f"项目“{clip(no, 20)}”的项目名称", getattr(p, "name", None)))
    name, value = max(fields, key=lambda f: len(str(f[1] or "")))
    return (f"报告无法排版：{name}过长（{len(str(value or ''))}字），请缩短后重试。"
            if len(str(value or "")) > CELL_MAX else "报告无法排版：某一内容过长，无法放入一页，请缩短较长的名称或说明后重试。")


def write_statement(ev: Evaluation, path: str | Path, params: Params | None = None, *,
                    issued: dt.date | None = None, version: str = "", checklist=None, appendix: bool = False,
                    advisor: str | None = None) -> dict:
    """Write the benefit statement PDF; returns facts about it (characters the fonts lack, page count).

    The owner's version (page 1 to sign + the key conditions) by default; ``appendix=True`` adds the technical
    appendix (A107012, project summary, HNTE detail, subsidy workings, findings, risks, traces).  ``checklist``
    (a :class:`calc.evidence.Checklist`) adds the 留存备查资料清单 to the appendix (and so implies it).
    Raises :class:`StatementError` (Chinese message) when the content cannot be laid out."""
    return Statement(ev, params, issued=issued, version=version, checklist=checklist, appendix=appendix,
                     advisor=advisor).build(path)


def checklist_appendix(st: "Statement", cl) -> None:
    """留存备查资料清单 — per project the applicable documents, marked 已备齐 / 缺 / 未标记, with the attached
    files (paths relative to the workspace folder) and the retention end date."""
    st.appendix_heading(f"留存备查资料清单（{cl.year}年度）", new_page=True)
    missing_files = cl.missing_files
    st.story.append(st.p(
        f"依据{st.params.cite('97号', '六')}、{st.params.cite('2018年第23号')}、{st.params.cite('指引2.0', '六(三)')}"
        f"和{st.params.cite('64号', '三')}。"
        f"应留存资料 {len(cl.required)} 项，已标记备齐 {cl.done} 项，尚缺或未标记 {len(cl.missing)} 项"
        + (f"，附件缺失 {len(missing_files)} 个" if missing_files else "")
        + f"。留存期限：自{cl.year}年度汇算清缴期结束次日起{cl.retention_years}年，至 {cn_date(cl.retention_end)}。", "small"))
    rows = [["项目", "序号", "资料", "依据", "状态", "附件与备注"]]
    for e in cl.entries[:APPENDIX_ROWS_MAX * 10]:
        files = "；".join(p + ("" if ok else "（文件缺失）") for p, ok in e.files)
        note = "；".join(x for x in (files, e.mark.note) if x)
        who = f"{e.project_no} {e.project_name}".strip() if e.project_no else "企业（整体）"
        rows.append([clip(who, 60), e.item.id, e.item.title, e.item.citation, e.status, clip(note, 300) or "—"])
    st.story.append(st.table(rows, [22 * mm, 10 * mm, 66 * mm, 22 * mm, 16 * mm, 38 * mm]))
    if len(cl.entries) > APPENDIX_ROWS_MAX * 10:
        st.story.append(st.p(f"另有 {len(cl.entries) - APPENDIX_ROWS_MAX * 10} 项未列出，请在软件中查看。", "small"))
    sign = Table([[st.p("核对人（签字）", "cell"), "", st.p("核对日期", "cell"), st.p("年　月　日", "faint")]],
                 colWidths=[30 * mm, 60 * mm, 30 * mm, 54 * mm], rowHeights=[13 * mm])
    sign.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GREY), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    st.story.append(Spacer(1, 3 * mm))
    st.story.append(sign)
