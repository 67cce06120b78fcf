"""Issue 17, “Defects from published examples”: one test per defect, with the published figures and their source.

The empty ledger and the exact rates have their own files (tests/test_empty_ledger.py, tests/test_exact_rates.py);
the 2022 A107012 row 50 method code belongs to the law-currency work.  Where a figure is not stated by a published
source but derived from the rule it cites, the test says so.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import main
from calc.evaluate import evaluate
from calc.incometax import loss_last_year
from calc.params import load_params
from forms.workbook import load_ledger
from tests.builders import build, line, other_year, profile, project, year_row

P = load_params()


def _y(year, ti, **kw):
    return year_row(year, total_income=Decimal(100_000_000), manufacturing_revenue=0, negative_list_revenue=0,
                    taxable_income=Decimal(ti), **kw)


# ------------------------------------------------------------------------------------------ losses by year

def _hs_p1(tmp_path, *, cert=True, typed=None):
    """hnte_sme.md §8.1 HS-P1, the interpretive example published with 财税〔2018〕76号 / 国家税务总局公告2018年第45号
    (万元): an enterprise qualified as 高企 from 2019; a 2014 loss of 300 offset by 2018 income of 200 and 2019 income
    of 50 (50 left); a 2015 loss of 200 and a 2016 loss of 100.  Published result: the 2014 remainder may be offset
    against 2020–2024 income, the 2015 loss against 2020–2025, the 2016 loss against 2020–2026."""
    prof = profile(hnte_cert_no="GR201932000001", hnte_cert_date=dt.date(2019, 11, 28)) if cert else profile()
    years = [_y(2014, -3_000_000), _y(2015, -2_000_000), _y(2016, -1_000_000), _y(2017, 0), _y(2018, 2_000_000),
             _y(2019, 500_000), _y(2020, 4_000_000, **({"prior_losses": Decimal(typed)} if typed is not None else {}))]
    return build(tmp_path, prof=prof, years=years, projects=[project("RD01")])


def test_hs_p1_losses_by_year_ten_year_rule(tmp_path):
    ev = evaluate(load_ledger(_hs_p1(tmp_path)), 2020)
    te = ev.tax
    sched = te.loss_schedule
    # the published last years
    assert {y: l.last_year for y, l in sched.lines.items()} == {2014: 2024, 2015: 2025, 2016: 2026}
    assert [loss_last_year(y, {2019, 2020, 2021}, P)[0] for y in (2014, 2015, 2016)] == [2024, 2025, 2026]
    # 2018 (200) and 2019 (50) went to the 2014 loss first (oldest first): 50 left of it
    assert [(o.loss_year, o.income_year, o.amount) for o in sched.offsets] == [(2014, 2018, 200_000_000),
                                                                             (2014, 2019, 50_000_000)]
    assert sched.lines[2014].remaining == 50_000_000
    # 2020: 400 of income absorbs 50 (2014) + 200 (2015) + 100 (2016) = 350 → 50 taxable at 15% (高企 2019–2021)
    assert te.prior_losses == 350_000_000 and te.with_.taxable_income == 50_000_000
    assert te.with_.loss_offsets == [(2014, 50_000_000), (2015, 200_000_000), (2016, 100_000_000)]
    assert te.with_.choice.regime == "hnte" and te.with_.tax == 7_500_000
    doc = te.as_dict()
    assert doc["prior_losses_basis"] == "yearly"
    trace = {r["year"]: r for r in doc["loss_schedule"]}
    assert trace[2014]["used_this_year"] == "500000.00" and trace[2014]["last_year"] == 2024
    assert trace[2014]["used_before"] == [{"year": 2018, "amount": "2000000.00"}, {"year": 2019, "amount": "500000.00"}]


def test_hs_p1_without_qualification_the_2014_loss_expires(tmp_path):
    """The same years without the 2019 qualification: the 2014 loss may be used until 2019 only (企业所得税法第十八条),
    so its 50 expires; 2020 absorbs 200 + 100 = 300 and 100 is taxable."""
    te = evaluate(load_ledger(_hs_p1(tmp_path, cert=False)), 2020).tax
    assert te.loss_schedule.lines[2014].last_year == 2019 and te.loss_schedule.lines[2014].expired == 50_000_000
    assert te.prior_losses == 300_000_000 and te.with_.taxable_income == 100_000_000
    assert any("2014年亏损 500,000.00 元已超过弥补期限" in n for n in te.notes)


def test_typed_total_and_yearly_rows_disagree_is_a_finding(tmp_path, capsys):
    path = _hs_p1(tmp_path, typed=3_000_000)
    ev = evaluate(load_ledger(path), 2020)
    found = [f for f in ev.findings if f.code == "W_PRIOR_LOSSES_MISMATCH"]
    assert len(found) == 1 and "3,000,000.00" in found[0].message and "3,500,000.00" in found[0].message
    assert found[0].sheet == "年度数据" and found[0].column == "以前年度可弥补亏损"
    # agreeing figures: no finding
    ev = evaluate(load_ledger(_hs_p1(tmp_path, typed=3_500_000)), 2020)
    assert not [f for f in ev.findings if f.code == "W_PRIOR_LOSSES_MISMATCH"]
    assert main.main(["compute", str(path), "--year", "2020", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["income_tax"]["loss_mismatch"] and doc["income_tax"]["prior_losses_typed"] == "3000000.00"


def test_typed_total_alone_still_works(tmp_path):
    """No yearly loss rows: the typed 以前年度可弥补亏损 is used as one pool, as before (AI-APP-06)."""
    path = build(tmp_path, years=[_y(2024, 1_000_000, prior_losses=Decimal(400_000))], projects=[project("RD01")])
    te = evaluate(load_ledger(path), 2024).tax
    assert te.loss_schedule is None and te.prior_losses == 40_000_000 and te.with_.taxable_income == 60_000_000


def test_earlier_years_loss_is_after_its_own_extra_deduction(tmp_path):
    """An earlier year with ledger lines: its loss is 应纳税所得额 (before the deduction, as the column says) less
    that year's A107012 row 51 (derived; 2023 rate 100%, 财政部 税务总局公告2023年第7号第一条)."""
    years = [_y(2023, -100_000), _y(2024, 1_000_000)]
    path = build(tmp_path, years=years, projects=[project("RD01")], lines=[line("2023-05-10", "RD01", "R04", 200_000)])
    te = evaluate(load_ledger(path), 2024).tax
    assert te.loss_schedule.lines[2023].amount == 30_000_000          # 100,000 + 200,000 × 100%
    assert te.with_.taxable_income == 70_000_000


# ------------------------------------------------------------------------------------------ re-certified 高企

def _recertified(tmp_path, history: str | None):
    """The issue's case: certified 2019 and again 2022.  A certificate issued in year I covers the tax years I … I+2
    (国科发火〔2016〕32号第十七条 有效期三年; 国家税务总局公告2017年第24号第一条 自颁发证书所属年度起享受; AI-14), so
    2019–2021 and 2022–2024: 2021 is taxed at 15% (企业所得税法第二十八条)."""
    prof = profile(hnte_cert_no="GR202232005678", hnte_cert_date=dt.date(2022, 12, 14),
                   **({"hnte_cert_history": history} if history else {}))
    years = [_y(2016, -1_000_000), _y(2017, 0), _y(2018, 0), _y(2019, 0), _y(2020, 0), _y(2021, 10_000_000)]
    return build(tmp_path, prof=prof, years=years, projects=[project("RD01")])


def test_recertified_enterprise_2021_at_15_percent(tmp_path):
    ledger = load_ledger(_recertified(tmp_path, "GR201932001234 2019-12-02；GR202232005678 2022-12-14"))
    assert not [f for f in ledger.findings if f.severity == "error"]
    assert ledger.profile.hnte_certificates() == (("GR201932001234", dt.date(2019, 12, 2)),
                                                 ("GR202232005678", dt.date(2022, 12, 14)))
    ev = evaluate(ledger, 2021)
    assert ev.hnte_certified_years == {2019, 2020, 2021, 2022, 2023, 2024}
    te = ev.tax
    # the 2016 loss (5 years before the 2019 qualification year) carries 10 years: used in 2021
    assert te.loss_schedule.lines[2016].last_year == 2026 and te.prior_losses == 100_000_000
    assert te.with_.taxable_income == 900_000_000
    assert te.with_.choice.regime == "hnte" and te.with_.tax == 135_000_000        # 9,000,000 × 15%
    # the certificate shown for 2021 is the 2019 one, and the other one is named
    cert = ev.hnte.certificate
    assert cert.cert_no == "GR201932001234" and cert.issue_date == dt.date(2019, 12, 2) and cert.covers_year
    assert "GR202232005678" in cert.text


def test_single_certificate_as_before(tmp_path):
    """Only the latest certificate (the single-certificate input, unchanged): 2021 at 25%, and the 2016 loss expired
    after 2021 but still usable in 2021 (5 years: 2017–2021)."""
    te = evaluate(load_ledger(_recertified(tmp_path, None)), 2021).tax
    assert te.with_.choice.regime == "standard" and te.with_.tax == 225_000_000       # 9,000,000 × 25%


def test_certificate_history_errors_are_findings(tmp_path):
    ledger = load_ledger(_recertified(tmp_path, "GR201932001234；GR202232005678 2022-12-14"))
    bad = [f for f in ledger.findings if f.code == "E_HNTE_CERT_HISTORY"]
    assert len(bad) == 1 and bad[0].sheet == "企业信息" and "未写发证日期" in bad[0].message


def test_certificate_history_in_the_workspace_and_back(tmp_path):
    from forms.workspace import Workspace
    ledger = load_ledger(_recertified(tmp_path, "GR201932001234 2019-12-02"))
    ws = Workspace.create(tmp_path / "w.rdw", ledger)
    try:
        assert ws.profile()["hnte_cert_history"] == "GR201932001234 2019-12-02"
        again = ws.ledger()
        assert [d for _, d in again.profile.hnte_certificates()] == [dt.date(2019, 12, 2), dt.date(2022, 12, 14)]
        ws.set_profile("hnte_cert_history", "GR201632000001 2016-11-30；GR201932001234 2019-12-02")
        assert len(ws.ledger().profile.hnte_certificates()) == 3
    finally:
        ws.close(discard=True)


def test_certificate_history_in_the_quick_estimate():
    from calc.quick import QuickInput, evaluate_quick
    q = QuickInput(year=2021, industry_code="C3981", staff=10_000_000, taxable_income=1_000_000_000,
                   hnte_cert_no="GR202232005678", hnte_cert_date=dt.date(2022, 12, 14),
                   hnte_cert_history="GR201932001234 2019-12-02")
    assert evaluate_quick(q).tax.with_.choice.regime == "hnte"


# ------------------------------------------------------------------------------------------ income-tax credit

def test_tax_credit_reduces_the_tax_payable(tmp_path, capsys):
    """专用设备投资抵免: 10% of the investment is credited against the year's tax, any excess carried forward up to 5
    years (财税〔2008〕48号第一条; A100000第27行 “减：抵免所得税额”).  Derived figures: 2024, taxable income
    10,000,000.00 at 25% = 2,500,000.00; equipment of 3,000,000.00 → credit 300,000.00 → payable 2,200,000.00."""
    path = build(tmp_path, years=[_y(2024, 10_000_000, tax_credit=Decimal(300_000))], projects=[project("RD01")])
    te = evaluate(load_ledger(path), 2024).tax
    assert te.with_.choice.tax == 250_000_000 and te.with_.credit_used == 30_000_000 and te.with_.tax == 220_000_000
    assert main.main(["compute", str(path), "--year", "2024", "--json"]) == 0
    it = json.loads(capsys.readouterr().out)["income_tax"]
    assert it["tax_payable"] == "2200000.00" and it["tax_before_credit"] == "2500000.00" and it["tax_credit"] == "300000.00"
    # a credit larger than the tax: payable 0, the rest carried forward (said)
    path = build(tmp_path, years=[_y(2024, 1_000_000, tax_credit=Decimal(300_000))], projects=[project("RD01")])
    te = evaluate(load_ledger(path), 2024).tax
    assert te.with_.tax == 0 and te.with_.credit_used == te.with_.choice.tax
    assert any("结转以后年度" in n for n in te.notes)


# ------------------------------------------------------------------------------------------ operating start date

def _q4(tmp_path, **prof):
    return build(tmp_path, prof=profile(founded=dt.date(2021, 3, 1), **prof), years=[other_year(2022)],
                 projects=[project("RD01")], lines=[line("2022-11-10", "RD01", "R04", 1_200_000)])


def test_q4_2022_proration_by_months_of_operation(tmp_path):
    """2022 第四季度: the Q4 R&D may be taken as the full-year amount × (Oct–Dec operating months ÷ 2022 operating
    months) (财政部 税务总局 科技部公告2022年第28号; super_deduction.md §1.5 method B, AI-SD-03).  Registered 2021 and
    operating all 2022 → 3/12: L1_Q4 300,000.00, R51 = 300,000.00 + 900,000.00 × 75% = 975,000.00 (the spec's
    illustration).  Operating only from 2022-06-15 (registered earlier) → 3/7 (derived): L1_Q4 = 514,285.71,
    R51 = 514,285.71 + 685,714.29 × 75% (514,285.72) = 1,028,571.43."""
    sd = evaluate(load_ledger(_q4(tmp_path)), 2022, q4_method="B").sd
    assert sd.q4["methods"]["B"]["months"] == (3, 12)
    assert sd.q4["methods"]["B"]["L1_Q4"] == 30_000_000 and sd.q4["methods"]["B"]["R51"] == 97_500_000
    sd = evaluate(load_ledger(_q4(tmp_path, operating_start=dt.date(2022, 6, 15))), 2022, q4_method="B").sd
    assert sd.q4["methods"]["B"]["months"] == (3, 7)
    assert sd.q4["methods"]["B"]["L1_Q4"] == 51_428_571 and sd.q4["methods"]["B"]["R51"] == 102_857_143


def test_operating_start_before_registration_is_a_warning(tmp_path):
    ledger = load_ledger(_q4(tmp_path, operating_start=dt.date(2020, 1, 1)))
    assert [f.code for f in ledger.findings if f.code == "W_OPERATING_START"] == ["W_OPERATING_START"]


def test_gui_certificate_table_edits_the_history(sample_window, qtbot, tmp_path):
    """企业信息 in the app: 高新技术企业历次证书 is a small table; adding a row stores the history in the workspace and
    the evaluation uses it."""
    from PySide6.QtWidgets import QTableWidgetItem

    from desktop.cert_table import CertificateTable
    win = sample_window
    page = win.profile_page
    table = page.edits["hnte_cert_history"]
    assert isinstance(table, CertificateTable)
    table.add.click()
    table.table.setItem(0, 0, QTableWidgetItem("GR201932001234"))
    table.table.setItem(0, 1, QTableWidgetItem("2019-12-02"))
    assert win.doc.ws.profile().get("hnte_cert_history") == "GR201932001234 2019-12-02"
    assert dt.date(2019, 12, 2) in [d for _, d in win.doc.ws.ledger().profile.hnte_certificates()]
    page.reload(win.doc.ws)
    assert table.table.rowCount() == 1 and table.text() == "GR201932001234 2019-12-02"
    table.grab().save(str(tmp_path / "cert_table.png"))


def test_workspace_written_before_the_new_columns_gains_them(tmp_path):
    """Schema migration: a workspace whose 年度数据 table has no 抵免所得税额 column (written before it existed) opens,
    gains the column, and the credit typed afterwards reaches the tax (forms.workspace._migrate, additive)."""
    import sqlite3

    from forms.workspace import Workspace
    path = tmp_path / "old.rdw"
    ws = Workspace.create(path, load_ledger(build(tmp_path, years=[_y(2024, 10_000_000)], projects=[project("RD01")])))
    ws.save()
    ws.close()
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE years DROP COLUMN tax_credit")
    conn.commit()
    conn.close()
    ws = Workspace.open(path)
    try:
        row = ws.rows("years")[0]
        assert "tax_credit" in row
        ws.set_value("years", row["id"], "tax_credit", "300000")
        assert evaluate(ws.ledger(), 2024).tax.with_.tax == 220_000_000
    finally:
        ws.close(discard=True)


def test_losses_and_credit_in_text_and_statement(tmp_path, capsys):
    import subprocess
    path = _hs_p1(tmp_path)
    assert main.main(["compute", str(path), "--year", "2020"]) == 0
    text = capsys.readouterr().out
    assert "2014年亏损 3,000,000.00 元，2018年弥补 2,000,000.00 元、2019年弥补 500,000.00 元，本年弥补 500,000.00 元" in text
    assert "可弥补至2024年（10年）" in text
    pdf = tmp_path / "s.pdf"
    assert main.main(["statement", str(path), "--year", "2020", "-o", str(pdf)]) == 0
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.replace("\n", "")
    assert "可弥补至2026年" in out
    path = build(tmp_path, years=[_y(2024, 10_000_000, tax_credit=Decimal(300_000))], projects=[project("RD01")])
    assert main.main(["compute", str(path), "--year", "2024"]) == 0
    assert "减：抵免所得税额 ¥300,000.00，应纳所得税额 ¥2,200,000.00" in capsys.readouterr().out
    assert main.main(["statement", str(path), "--year", "2024", "-o", str(pdf)]) == 0
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "抵免所得税额" in out and "2,200,000.00" in out


def test_quick_estimate_losses_of_earlier_years():
    """The quick estimate takes each earlier year's 应纳税所得额 (a loss as a negative figure): 2023 loss 300,000 is
    offset against 2024 income (5 years, 企业所得税法第十八条)."""
    from calc.quick import QuickInput, evaluate_quick, parse_quick
    q, errors, problems = parse_quick({"year": "2024", "industry_code": "C3981", "taxable_income": "1000000",
                                       "prior1:taxable_income": "-300000"})
    assert not errors and not problems, (errors, problems)
    te = evaluate_quick(q).tax
    assert te.loss_schedule.lines[2023].amount == 30_000_000 and te.with_.taxable_income == 70_000_000
    assert QuickInput is not None


def test_certificate_history_date_outside_the_rules_is_refused(tmp_path):
    """A certificate dated before the first 认定办法 (国科发火〔2008〕172号) in the history: E_HNTE_CERT_DATE on the
    history row, and that certificate covers no year (never guessed)."""
    ledger = load_ledger(_recertified(tmp_path, "GR200132000001 2001-05-01"))
    bad = [f for f in ledger.findings if f.code == "E_HNTE_CERT_DATE"]
    assert len(bad) == 1 and "GR200132000001" in bad[0].message and bad[0].row == ledger.profile.rows["hnte_cert_history"]
