"""The official workbooks: A107012, 研发支出辅助账 and 汇总表 reconcile with the computation and re-open."""
from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

import main
from calc.evaluate import evaluate
from calc.money import yuan_to_fen
from forms.exports import EXPORT_FILES, export_all
from forms.workbook import load_ledger
from tests.builders import build, line, other_year, profile, project


def fen(value) -> int:
    return 0 if value in (None, "") else yuan_to_fen(Decimal(str(value)))


@pytest.fixture(scope="module")
def sample_exports(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    ev = evaluate(load_ledger(main.SAMPLE), 2023)
    paths = export_all(ev, out)
    return ev, {name: p for name, p in zip(EXPORT_FILES, paths)}


def test_summary_totals_equal_a107012(sample_exports):
    ev, out = sample_exports
    ws = openpyxl.load_workbook(out["研发支出辅助账汇总表.xlsx"]).active
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r and r[0]}
    heads = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "项目编号")
    col = {h: i for i, h in enumerate(heads)}
    total = rows["金额合计"]
    r = ev.sd.rows
    assert fen(total[col["允许加计扣除金额合计"]]) == r["R40"]
    assert fen(rows["费用化金额小计"][col["允许加计扣除金额合计"]]) == r["R41"]
    assert fen(rows["资本化金额小计"][col["允许加计扣除金额合计"]]) == r["R42"]
    for head, key in (("1.人员人工费用", "R03"), ("2.直接投入费用", "R07"), ("3.折旧费用", "R16"),
                      ("4.无形资产摊销", "R19"), ("5.新产品设计费等", "R23"), ("7.1其他相关费用合计", "R28"),
                      ("7.2经限额调整后的其他相关费用", "R34"), ("8.1委托境内机构或个人进行研发活动所发生的费用", "R36"),
                      ("8.3委托境外机构进行研发活动所发生的费用", "R37"),
                      ("8.4经限额调整后的委托境外机构进行研发活动所发生的费用", "R38")):
        assert fen(total[col[head]]) == r[key], head


def test_a107012_workbook_matches_rows(sample_exports):
    ev, out = sample_exports
    ws = openpyxl.load_workbook(out["A107012.xlsx"]).active
    by_number = {str(row[0]): row[2] for row in ws.iter_rows(values_only=True) if row and row[0] and str(row[0]).isdigit()}
    for n in range(2, 50):
        assert fen(by_number[str(n)]) == ev.sd.rows[f"R{n:02d}"], n
    assert by_number["1"] == ev.sd.rows["R01"]
    assert fen(by_number["51"]) == ev.sd.rows["R51"]
    assert "110" in str(by_number["50"])


def test_ledgers_reconcile_with_summary(sample_exports):
    ev, out = sample_exports
    wb = openpyxl.load_workbook(out["研发支出辅助账.xlsx"])
    pool = {r.project_no: r for r in ev.sd.summary if r.ledger_type}
    assert set(pool) <= {name[:-3] for name in wb.sheetnames}
    for name in wb.sheetnames:
        ws = wb[name]
        rows = list(ws.iter_rows(values_only=True))
        total = next(r for r in rows if r and r[0] == "合计金额")
        end = next(i for i, r in enumerate(rows) if r and r[0] in ("本年合计", "合计金额"))
        body = rows[6:end]                           # the brought-forward line (if any) and the vouchers
        assert sum(fen(r[4]) for r in body) == fen(total[4])
        assert fen(total[5]) == sum(fen(v) for v in total[6:14])     # 税法规定的归集金额 = Σ detail columns
        no = name[:-3]
        if no in pool:
            s = pool[no].cols
            assert [fen(v) for v in total[6:12]] == [s["1"], s["2"], s["3"], s["4"], s["5"], s["7.1"]]
            assert (fen(total[12]), fen(total[13])) == (s["8.1"], s["8.3"])
        assert ws.print_title_rows in ("$1:$6", "1:6")       # the project rows print on every page (X12)
        assert ws.page_setup.orientation == "landscape"


def test_formula_injection_is_neutralised(tmp_path):
    nasty = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
    lines = [line("2024-03-01", "P1", "R04", 1000, summary=s, voucher_no=f"=V{i}") for i, s in enumerate(nasty)]
    path = build(tmp_path, prof=profile(name="=cmd|' /C calc'!A0"),
                 years=[other_year(2024)], projects=[project("P1", name="+恶意项目")], lines=lines)
    ev = evaluate(load_ledger(path), 2024)
    out = tmp_path / "out"
    for path in export_all(ev, out):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t", "\r")):
                        assert cell.data_type == "s" and cell.quotePrefix, (name, cell.coordinate, cell.value)


def test_cli_export(tmp_path, capsys):
    assert main.main(["export", str(main.SAMPLE), "--year", "2024", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 3 and all(n.startswith("2024年度_宁夏银川精工传感科技有限公司_") for n in names), names
    assert {n.split("_")[-1] for n in names} == set(EXPORT_FILES)
