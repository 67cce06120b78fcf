"""Post-subsidy packs wired into the workbook, compute, JSON, statement and `main.py packs`."""
from __future__ import annotations

import json
import shutil
import subprocess

import main
from calc.evaluate import evaluate
from calc.money import yuan_to_fen
from forms.workbook import load_ledger


def test_sample_ningxia_estimate_in_json(capsys):
    assert main.main(["compute", str(main.SAMPLE), "--year", "2024", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    subs = {s["pack"]: s for s in doc["post_subsidy"]}
    nx = subs["ningxia-2022"]
    # B1 = 2024 A107012 row 40 = 7,026,335.04; 一般企业 10% → 702,633.50 (exact)
    assert doc["super_deduction"]["a107012"]["40"] == "7026335.04"
    # issue 16: the 宁夏 办法's 文号 was not retrieved → the same figure, marked provisional with the reason
    assert nx["amount"] == "702633.50" and nx["kind"] == "provisional" and nx["up_to"] is False
    assert nx["status"] == "provisional" and "文号" in nx["status_reason"]
    assert doc["law_data_as_of"] == "2026-12-07"
    assert nx["confidence"] == "provisional" and nx["data_year"] == 2024 and nx["award_year"] == 2025
    assert doc["post_subsidy_total"] == "702633.50"
    benefit = yuan_to_fen(doc["super_deduction"]["tax_saving"]) + yuan_to_fen(nx["amount"])
    assert yuan_to_fen(doc["total_benefit"]) == benefit


def test_extra_pack_from_command_line(capsys):
    assert main.main(["compute", str(main.SAMPLE), "--year", "2024", "--json", "--pack", "hunan-2024"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["pack"] for s in doc["post_subsidy"]] == ["ningxia-2022", "hunan-2024"]


def test_unknown_pack_is_a_warning_not_a_crash():
    ev = evaluate(load_ledger(main.SAMPLE), 2024, packs=["atlantis-2099"])
    assert any(f.code == "W_PACK_UNKNOWN" for f in ev.findings)


def test_packs_command_lists_confidence_and_period(capsys):
    assert main.main(["packs"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("ningxia-2022"))
    assert "宁夏" in line and "2023年起" in line and "可靠" in line
    assert any("暂定" in l for l in out.splitlines())


def test_statement_shows_subsidy(tmp_path):
    if not shutil.which("pdftotext"):
        return
    out = tmp_path / "s.pdf"
    assert main.main(["statement", str(main.SAMPLE), "--year", "2024", "-o", str(out)]) == 0
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "财政后补助" in text and "702,633.50" in text
