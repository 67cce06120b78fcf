"""Rates shown exactly (issue 17 “Rates shown exactly”): an effective rate of 2.5% is “2.5%” / “0.025” in every
output — text, JSON, statement — never “0.03” / “3%”.

Published figure: the 小型微利企业 portion of annual taxable income up to 1,000,000 元 in 2021–2022 is counted at
12.5% and taxed at 20%, an effective burden of 2.5% (财政部 税务总局公告2021年第12号第一条 with 财税〔2019〕13号第二条;
国家税务总局《关于落实支持小型微利企业和个体工商户发展所得税优惠政策有关事项的公告》(2021年第8号) 解读：
“实际税负由5%降至2.5%”).  For 2022, 800,000 元 → 800,000 × 2.5% = 20,000.00 元.
"""
from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest

import main
from calc.money import rate_percent, rate_str
from tests.builders import build, project, year_row


@pytest.mark.parametrize("x, dec, pct", [
    (Fraction(1, 40), "0.025", "2.5%"), (Fraction(1, 4), "0.25", "25%"), (Fraction(3, 20), "0.15", "15%"),
    (Fraction(1, 20), "0.05", "5%"), (Fraction(1), "1.00", "100%"), (Fraction(7, 4), "1.75", "175%"),
    (Fraction(1, 80), "0.0125", "1.25%"), (Fraction(1, 12), "0.0833", "约8.33%")])
def test_rate_formatters_are_exact(x, dec, pct):
    assert rate_str(x) == dec
    assert rate_percent(x) == pct


def _slp_2022(tmp_path):
    return build(tmp_path, years=[year_row(2022, total_income=Decimal(5_000_000), taxable_income=Decimal(800_000),
                                           staff_quarterly_avg=20, assets_quarterly_avg=Decimal(8_000_000))],
                 projects=[project("RD01")])


def test_effective_rate_2_5_percent_in_json_text_and_statement(tmp_path, capsys):
    path = _slp_2022(tmp_path)
    assert main.main(["compute", str(path), "--year", "2022", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    it = doc["income_tax"]
    assert it["regime"] == "small_low_profit" and it["tax_payable"] == "20000.00"
    assert it["rate"] == "0.025" and it["rate_percent"] == "2.5%"
    slp = next(o for o in it["regime_comparison"]["options"] if o["regime"] == "small_low_profit")
    assert slp["rate"] == "0.025" and slp["rate_percent"] == "2.5%"
    assert "0.03" not in json.dumps(it)

    assert main.main(["compute", str(path), "--year", "2022"]) == 0
    text = capsys.readouterr().out
    assert "实际税负率 2.5%" in text and "税率 2.5%" in text and "3%" not in text.split("二、企业所得税")[1].split("三、")[0]


def test_statement_shows_2_5_percent(tmp_path):
    import subprocess
    path = _slp_2022(tmp_path)
    pdf = tmp_path / "s.pdf"
    assert main.main(["statement", str(path), "--year", "2022", "-o", str(pdf)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "2.5%" in text.replace(" ", "")
