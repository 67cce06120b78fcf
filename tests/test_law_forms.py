"""A107012 layouts of the filing year (issue 16 "Forms of the filing year"; issue 17 row 50 method code).

The expected rows below are the published forms as far as they could be read:
- rows 1–49 and the 2019 tail: 国家税务总局公告2019年第41号 A107012 表样;
- 2022 tail: 国家税务总局公告2022年第27号 — row 50 renamed 八、加计扣除比例及计算方法, code table added, lines L1,
  L1.1 (第四季度), L1.2 (前三季度) (四川省税务局宣传中心 summary of the 2022 changes, tax100.com 2023-03-15, grade B);
  row 50 code 121 = 第四季度金额按比例计算, 122 = 按实际发生数计算 (the published 2022 worked examples);
- 2024 on: 国家税务总局公告2025年第1号 (title and list of revised forms read on its government repost,
  xjjh.gov.cn, from 国家税务总局政策法规库); its A107012 填报说明 was not retrieved, so every row is unverified.
A row the product cannot verify must be marked, never silently claimed.
"""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from calc.money import yuan_to_fen as Y
from calc.params import load_params
from forms.exports import write_a107012
from forms.report import UNVERIFIED_MARK, a107012_lines, a107012_notes, evaluation_json
from tests.builders import build, evaluate_workbook, line, other_year, profile, project

P = load_params()

# 2019年第41号 rows 1–49 (the labels the forms print), checked row by row
PUBLISHED_1_49 = {
    1: "本年可享受研发费用加计扣除项目数量", 2: "一、自主研发、合作研发、集中研发（3+7+16+19+23+34）",
    3: "（一）人员人工费用（4+5+6）", 7: "（二）直接投入费用（8+9+10+11+12+13+14+15）", 16: "（三）折旧费用（17+18）",
    19: "（四）无形资产摊销（20+21+22）", 23: "（五）新产品设计费等（24+25+26+27）",
    28: "（六）其他相关费用（29+30+31+32+33）", 34: "（七）经限额调整后的其他相关费用", 35: "二、委托研发（36+37+39）",
    38: "其中：允许加计扣除的委托境外机构进行研发活动发生的费用", 40: "三、年度研发费用小计（2+36×80%+38）",
    41: "（一）本年费用化金额", 42: "（二）本年资本化金额", 43: "四、本年形成无形资产摊销额",
    44: "五、以前年度形成无形资产本年摊销额", 45: "六、允许扣除的研发费用合计（41+43+44）", 46: "减：特殊收入部分",
    47: "七、允许扣除的研发费用抵减特殊收入后的金额（45-46）",
    48: "减：当年销售研发活动直接形成产品（包括组成部分）对应的材料部分",
    49: "减：以前年度销售研发活动直接形成产品（包括组成部分）对应材料部分结转金额",
}
# 2022年第27号 tail: (number, label) as published; None = the row is not on the published summary → must be unverified
PUBLISHED_2022_TAIL = [("50", "八、加计扣除比例及计算方法"), ("L1", "本年允许加计扣除的研发费用总额（47-48-49）"),
                       ("L1.1", "其中：第四季度允许加计扣除的研发费用金额"), ("L1.2", "前三季度允许加计扣除的研发费用金额"),
                       ("51", None), (None, None), (None, None), ("52", "十、销售研发活动直接形成产品（包括组成部分）对应材料部分结转以后年度扣减金额")]


def _q4_ledger(tmp_path):
    # super_deduction.md §1.5 illustration: a 75% enterprise in 2022, L1 = 1,200,000, Q4 actual 200,000
    return build(tmp_path, prof=profile(industry_code="I6513"), years=[other_year(2022)], projects=[project("P")],
                 lines=[line("2022-03-01", "P", "R04", 1_000_000), line("2022-11-01", "P", "R04", 200_000)])


def test_rows_1_49_match_the_published_form():
    for n, label in PUBLISHED_1_49.items():
        assert P.row_labels[f"R{n:02d}"] == label, n


def test_2022_layout_row_by_row_against_27hao():
    lay = P.layout_for(2022, False)
    assert lay["id"] == "annual_2022" and lay["source"] == "2022年第27号"
    assert "2022年第27号" in P.source(lay["source"]).citation
    tail = lay["tail"]
    assert len(tail) == len(PUBLISHED_2022_TAIL)
    for row, (number, label) in zip(tail, PUBLISHED_2022_TAIL):
        if label is None:                           # not verifiable: marked, with the reason
            assert row.get("unverified"), row
        else:
            assert (row["number"], row["label"]) == (number, label)
            assert not row.get("unverified"), row
    # the 2022 prepayment keeps the 2019 form
    assert P.layout_for(2022, True)["source"] == "2019年第41号"


def test_2023_and_2024_layouts_cite_their_announcements():
    assert P.layout_for(2023, False)["source"] == "2022年第27号"
    assert P.layout_for(2024, True)["source"] == "2022年第27号"          # 2024 prepayments: before the 2025 forms
    for year in (2024, 2025, 2026):
        lay = P.layout_for(year, False)
        assert lay["source"] == "2025年第1号" and lay["unverified_all"]
    assert P.layout_for(2025, True)["source"] == "2025年第1号"
    assert "优化企业所得税年度纳税申报表" in P.source("2025年第1号").citation
    for lay in P.layouts.values():                 # no layout without its announcement
        assert lay["source"] in P.sources and lay["title"]


@pytest.mark.parametrize("method, code, words", [("B", "121", "按经营月份比例"), ("A", "122", "按实际发生数")])
def test_2022_row_50_prints_the_method_code(tmp_path, method, code, words):
    ev = evaluate_workbook(_q4_ledger(tmp_path), 2022, q4_method=method)
    assert ev.sd.method_code()["code"] == code
    lines = {number: (label, value) for number, label, value in a107012_lines(ev.sd, P)}
    label, value = lines["50"]
    assert value == code and code in label and words in label
    assert lines["L1.1"][1] == {"B": "300,000.00", "A": "200,000.00"}[method]
    assert lines["L1.2"][1] == {"B": "900,000.00", "A": "1,000,000.00"}[method]
    assert ev.sd.rows["R51"] == {"B": Y("975000"), "A": Y("950000")}[method]
    doc = evaluation_json(ev, P)["super_deduction"]
    assert doc["method_code"] == code and words in doc["method_code_text"]
    assert "2022年第27号" in doc["layout_source"]
    out = tmp_path / "A107012.xlsx"
    write_a107012(ev, out, P)
    ws = openpyxl.load_workbook(out).active
    cells = {str(r[0]): r for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert cells["50"][2] == code and words in cells["50"][1]
    assert "L1.1" in cells and "L1.2" in cells
    texts = [str(r[1]) for r in ws.iter_rows(values_only=True) if r and r[1]]
    assert any(t.startswith("表样：2022年度汇算清缴适用的表样") and "2022年第27号" in t for t in texts)


def test_unverified_rows_are_marked_on_the_form_and_explained(tmp_path):
    ev = evaluate_workbook(_q4_ledger(tmp_path), 2022)
    marked = [label for _, label, _ in a107012_lines(ev.sd, P) if label.endswith(UNVERIFIED_MARK)]
    assert set(ev.sd.unverified_rows()) == {"R51", "R51_Q4", "R51_Q13"}
    assert len(marked) == 3
    notes = a107012_notes(ev.sd, P)
    assert any("第51行未核实" in n for n in notes)
    assert not any("第50行未核实" in n for n in notes)        # 121/122 are from the published examples


def test_2024_form_says_every_row_is_unverified_and_where_the_amount_goes(tmp_path):
    path = build(tmp_path, prof=profile(industry_code="I6513"), years=[other_year(2025)], projects=[project("P")],
                 lines=[line("2025-03-01", "P", "R04", 100_000)])
    ev = evaluate_workbook(path, 2025)
    notes = "\n".join(a107012_notes(ev.sd, P))
    assert "2025年第1号" in notes and "全部行次未逐行核实" in notes
    assert "A107010）已取消" in notes and "优惠事项" in notes
    assert ev.sd.method_code()["code"] == "110"
    doc = evaluation_json(ev, P)["super_deduction"]
    assert doc["layout_unverified_all"] and doc["unverified_rows"]["50"]


@pytest.mark.parametrize("year, kind, source", [(2024, "H1", "2021年第28号"), (2025, "H1", "2021年第28号"),
                                                 (2025, "Q1-Q3", "2025年第17号"), (2026, "H1", "2025年第17号")])
def test_prepayment_filing_instructions_follow_the_form_in_force(year, kind, source):
    end = {"H1": dt.date(year, 6, 30), "Q1-Q3": dt.date(year, 9, 30)}[kind]
    link = P.filing_link(year, end)
    assert link["source"] == source
    if source == "2025年第17号":
        assert "事项代码" in link["text"]


def test_annual_filing_instructions_by_tax_year():
    assert "A107010" in P.filing_link(2023)["text"] and P.filing_link(2023)["source"] == "2019年第41号"
    link = P.filing_link(2024)
    assert link["source"] == "2025年第1号" and "已取消" in link["text"] and link["unverified"]


def test_one_source_key_one_title():
    assert P.source("国科发火〔2018〕11号").citation == \
        "科技部 国家税务总局《关于做好科技型中小企业评价工作有关事项的通知》国科发火〔2018〕11号"
    assert "国科火字〔2017〕144号" in P.source("国科火字〔2017〕144号").citation
    assert "火〔2018〕11号" not in P.sources
    assert not any("国科火字〔2018〕11号" in t for t in P.sources.values())


def test_a_key_with_two_titles_is_refused(tmp_path):
    import shutil
    from calc.params import ParamError
    d = tmp_path / "params"
    shutil.copytree(load_params().directory, d)
    f = d / "tech_sme.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("《关于做好科技型中小企业评价工作有关事项的通知》", "《另一个标题》"),
                 encoding="utf-8")
    with pytest.raises(ParamError) as err:
        load_params(d)
    assert "国科发火〔2018〕11号" in err.value.key


def test_return_lines_follow_the_form_of_the_year():
    # the statement's income-tax table labels its rows with the return lines of the year — data, not code
    assert P.filing_link(2023)["return_lines"]["ded"] == "A107010→第17行"
    new = P.filing_link(2024)
    assert new["return_form"] == "主表A100000" and set(new["return_lines"]) == {"ded"}
    assert P.filing_link(2025, dt.date(2025, 6, 30))["return_lines"]["ded"] == "第7行"
    late = P.filing_link(2025, dt.date(2025, 9, 30))
    assert late["return_lines"] == {"ded": "事项代码+金额"} and late["unverified"]


def test_results_view_shows_the_version_and_unverified_rows(qtbot):
    # the app says which announcement the form follows and what is not verified — never the layout's id
    import main
    from desktop.results_view import ResultsView
    from forms.workbook import load_ledger
    from calc.evaluate import evaluate
    ev = evaluate(load_ledger(main.SAMPLE), 2024)
    view = ResultsView()
    qtbot.addWidget(view)
    view.set_evaluation(ev)
    text = view.sd_info.text()
    assert "2025年第1号" in text and UNVERIFIED_MARK in text and "优惠事项" in text
    assert ev.sd.layout["id"] not in text
