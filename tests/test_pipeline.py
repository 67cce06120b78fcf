"""The science bureau's cultivation pipeline (issue 19): tiers of the sample roster derived by hand from the rules,
the forward-looking application year, certain vs estimated benefits, roster findings, outputs and the CLI."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from calc.params import load_params
from calc.pipeline import next_application_year, tiers
from forms.pipeline import evaluate_roster, read_roster, run_pipeline, write_roster_template

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "sample_roster.xlsx"
AS_OF = dt.date(2026, 12, 7)
YEAR = 2025
WAN = 1_000_000          # 分 in 1万元


@pytest.fixture(scope="module")
def run():
    return run_pipeline(SAMPLE, YEAR, as_of=AS_OF)


def by_name(run, prefix):
    return [r for r in run.results if r.name.startswith(prefix)]


# ------------------------------------------------------------------ the sample roster, by hand
#
# Data year 2025, as-of date 2026-12-07. The 2026 application round closed on 2026-09-30 (AI-PIPE-01), so the next
# realistic application is 2027, which looks at 2024–2026 (2026 still open). Thresholds (国科发火〔2016〕32号 第十一条):
# 科技人员 ≥ 10 %; R&D / sales over three years ≥ 5 % (sales ≤ 5,000万), 4 % (5,000万–2亿), 3 % (> 2亿);
# 高新技术产品收入 ≥ 60 % of total income; ≥ 1 IP; registered one year before applying. 科小 (国科发政〔2017〕115号):
# staff ≤ 500, sales and assets ≤ 2亿, score ≥ 60 with a non-zero staff score.
#
# G1 恒信精密仪器: certificates issued 2023-11-20, 2024-10-15, 2024-12-01, 2025-10-30, 2023-12-08 each cover tax
#    year 2025 (three tax years from the year of issue) → 已认定高企. The two issued in 2023 expire in 2026 → the
#    label says 2026年期满需重新认定.
# G2 瑞丰智能科技: R&D (500+10j, 550, 600)万 / sales (8,000, 9,000, 10,000)万 ≥ 6.1 % > 4 %; window 2024–2026 with
#    2026 = 2025: (550+600+600)/(9,000+10,000+10,000) = 6.03 % ≥ 4 %; staff 30/150 = 20 %; 高新收入 7,000/10,100 =
#    69 %; 6 Ⅱ类 IP; founded 2015 → every figure passes → 高企后备.
# G3 启明新材料: R&D (300, 320, 350)万 / 30,000万 = 3.23 % < 4 %. 2027 (2024–2026): 2026 needs 4 % × 30,000 − 670 =
#    530万 but can reach 350 × 1.3 = 455万 → no. 2028 (2025–2027): 2026–2027 need 1,200 − 350 = 850万, can reach
#    455 + 591.5 = 1,046.5万 → yes → 高企培育, earliest 2028, R&D needed 8,500,000.00.
# G4 安泰电子: staff 12/150 = 8 % < 10 %, measured on the latest year: 2026 is open → 高企培育, earliest 2027.
# G5 华创软件: no IP; can be obtained before an application a year after the as-of date → 高企培育, earliest 2027.
# G6 宏达机械: R&D 60万 / sales 6,000万 = 1 % against 4 %: even with 30 % growth a year the open years of the 2030
#    window reach 101.4 + 131.8 + 171.4 = 404.6万 < 720万 → 差距较大; a 2026 入库登记编号 → 科小已入库.
# G7 云图数据: only 2025 is known (HNTE R&D ratio unknown, not a failure); 科小: staff 20/60 = 33 % → 20, R&D 200 /
#    4,500 = 4.4 % → 30, Ⅰ类 IP → 30 = 80 ≥ 60; staff 60 ≤ 500, sales 4,500万 ≤ 2亿, assets 3,000万 ≤ 2亿 →
#    可入库科小.
# G8 大成化工: R&D 1 % of 5亿 against 3 % (far); 科小 staff 800 > 500 → 不适用.
# G9 顺达商贸: R&D 0.33 % (far); 科小 staff score 5 % → 0 → 不适用; no taxable income → saving 无法计算.
# G10 新芽生物: founded 2025-11-01: at the assumed 2026-07-01 application it is 242 days old (< 365) → after one
#    year; the 2026 round has closed → 2027; every figure passes → 高企培育, earliest 2027.
EXPECTED = {
    "恒信精密仪器": ("hnte_certified", None),
    "瑞丰智能科技": ("hnte_reserve", 2027),
    "启明新材料": ("hnte_cultivate", 2028),
    "安泰电子": ("hnte_cultivate", 2027),
    "华创软件": ("hnte_cultivate", 2027),
    "宏达机械": ("sme_registered", None),
    "云图数据": ("sme_eligible", None),
    "大成化工": ("none", None),
    "顺达商贸": ("none", None),
    "新芽生物": ("hnte_cultivate", 2027),
}


def test_sample_roster_has_50_enterprises_and_every_tier(run):
    assert len(run.results) == 50
    assert not run.findings
    assert {r.tier for r in run.results} == {t.id for t in tiers()}


@pytest.mark.parametrize("prefix", list(EXPECTED))
def test_sample_roster_tiers_derived_by_hand(run, prefix):
    tier, earliest = EXPECTED[prefix]
    group = by_name(run, prefix)
    assert len(group) == 5
    for r in group:
        assert r.ok, r.error
        assert r.tier == tier, (r.name, r.tier_label, r.hnte.text)
        if earliest is not None:
            assert r.hnte.earliest_year == earliest, r.hnte.text
            assert r.hnte.window == tuple(range(earliest - 3, earliest))


def test_recertification_label(run):
    labels = {r.name: r.tier_label for r in by_name(run, "恒信精密仪器")}
    assert labels["恒信精密仪器1号有限公司"] == "已认定高企（2026年期满需重新认定）"
    assert labels["恒信精密仪器5号有限公司"] == "已认定高企（2026年期满需重新认定）"
    assert labels["恒信精密仪器2号有限公司"] == "已认定高企"


def test_hand_figures(run):
    g3 = by_name(run, "启明新材料")[0]
    assert g3.hnte.rd_needed == 850 * WAN
    assert "2026—2027年度合计研发费用需不低于¥8,500,000.00" in g3.hnte.text
    # G2: taxable 900万 at 25 % (not 小型微利: over 300万); extra deduction 600万 (100 %) → 150万
    g2 = by_name(run, "瑞丰智能科技")[0]
    assert (g2.sd_deduction, g2.sd_saving, g2.certain) == (600 * WAN, 150 * WAN, 150 * WAN)
    # G1 certified: 15 % rate: 600万 × 15 % = 90万; and 15 % vs 25 % on 900万 = 90万 → 180万 certain
    g1 = by_name(run, "恒信精密仪器")[0]
    assert (g1.sd_saving, g1.hnte_saving, g1.certain) == (90 * WAN, 90 * WAN, 180 * WAN)
    # G9: no taxable income → the saving is unknown, never 0
    g9 = by_name(run, "顺达商贸")[0]
    assert g9.sd_saving is None and g9.certain is None
    assert "应纳税所得额（计算节税额）" in g9.missing
    # G10: a loss year: the saving is computed and is 0
    g10 = by_name(run, "新芽生物")[0]
    assert g10.certain == 0


def test_subsidies_never_summed_into_certain(run):
    g2 = by_name(run, "瑞丰智能科技")[0]
    assert g2.subsidies, "湖南省 policy resolved by region name"
    title, amount, kind, status = g2.subsidies[0]
    assert "湖南" in title
    assert g2.certain == 150 * WAN                # the tax effect only
    if kind == "conditional":
        assert g2.conditional == amount and g2.estimated == 0 and status.startswith("附条件")


def test_next_application_year():
    p = load_params()
    assert next_application_year(2025, dt.date(2026, 9, 30), p) == 2026
    assert next_application_year(2025, dt.date(2026, 10, 1), p) == 2027
    assert next_application_year(2025, dt.date(2025, 12, 31), p) == 2026
    assert next_application_year(2023, dt.date(2026, 12, 7), p) == 2027


def test_same_roster_earlier_as_of_date_moves_the_year(tmp_path):
    run = run_pipeline(SAMPLE, YEAR, as_of=dt.date(2026, 3, 1))
    g4 = by_name(run, "安泰电子")[0]
    # the 2026 round is still open, but the staff ratio is measured on 2025 (closed): 2027 at the earliest
    assert g4.hnte.next_year == 2026 and g4.hnte.earliest_year == 2027
    g2 = by_name(run, "瑞丰智能科技")[0]
    assert g2.tier == "hnte_reserve" and g2.hnte.earliest_year == 2026 and g2.hnte.window == (2023, 2024, 2025)


def test_tier_rules_are_validated(monkeypatch):
    p = load_params()
    table = p.tables["pipeline"]["tiers"]
    monkeypatch.setitem(p.tables["pipeline"], "tiers", table + [{"id": "x", "label": "X", "when": {"nope": 1}}])
    with pytest.raises(ValueError, match="未知的事实"):
        tiers(p)
    monkeypatch.setitem(p.tables["pipeline"], "tiers", table[:-1])
    with pytest.raises(ValueError, match="兜底"):
        tiers(p)


# ------------------------------------------------------------------ roster input

def _roster(tmp_path, rows, headers=None):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "培育库名册"
    headers = headers or ["企业名称", "所属行业代码", "研发费用（当年）", "销售收入（当年）", "统一社会信用代码"]
    ws.append(headers)
    for r in rows:
        ws.append(r)
    path = tmp_path / "名册.xlsx"
    wb.save(path)
    return path


def test_roster_findings_name_sheet_row_column_and_keep_valid_rows(tmp_path):
    from calc.identifiers import credit_code_check_char
    code = "91430100MA4L00001" + credit_code_check_char("91430100MA4L00001")
    path = _roster(tmp_path, [["甲公司", "C3981", "1,000,000", "20000000", None],
                              ["乙公司", "C3981", "一百万", "20000000", None],
                              [None, "C3981", "100", None, None],
                              ["丙公司", "ZZ99", None, None, None],
                              ["丁公司", "I6513", None, None, code],
                              ["戊公司", "I6513", None, None, code]])
    roster = read_roster(path, YEAR)
    where = {(f.row, f.column) for f in roster.findings}
    assert (3, "C") in where                     # 乙: the amount
    assert (4, "A") in where                     # no name
    assert (5, "B") in where                     # unknown industry code
    assert any(f.code == "W_ROSTER_DUPLICATE" and f.row == 7 for f in roster.findings)
    results, _ = evaluate_roster(roster, YEAR, as_of=AS_OF)
    assert [r.name for r in results if r.ok] == ["甲公司", "丁公司", "戊公司"]
    bad = [r for r in results if not r.ok]
    assert len(bad) == 3 and all(r.error for r in bad)


def test_roster_without_required_column(tmp_path):
    path = _roster(tmp_path, [["甲公司"]], headers=["企业名称"])
    roster = read_roster(path, YEAR)
    assert any("缺少必填列“所属行业代码”" in f.message for f in roster.findings)
    assert roster.rows == []


def test_empty_roster_is_a_warning_not_an_error(tmp_path):
    path = _roster(tmp_path, [])
    run = run_pipeline(path, YEAR, as_of=AS_OF)
    assert run.results == [] and not run.has_errors
    assert any(f.code == "W_ROSTER_EMPTY" for f in run.findings)


def test_template_round_trip(tmp_path):
    path = tmp_path / "模板.xlsx"
    write_roster_template(path)
    roster = read_roster(path, YEAR)
    assert not [f for f in roster.findings if f.severity == "error"]
    assert len(roster.rows) == 1 and roster.rows[0].quick is not None       # the example row


def test_pool_gives_the_same_results_in_order(monkeypatch):
    import forms.pipeline as fp
    roster = read_roster(SAMPLE, YEAR)
    here, _ = evaluate_roster(roster, YEAR, as_of=AS_OF)
    monkeypatch.setattr(fp, "_POOL_MIN_ROSTER", 1)
    monkeypatch.setattr(fp, "_ROSTER_CHUNK", 7)
    monkeypatch.setattr(fp, "_workers", lambda: 2)
    pooled, _ = evaluate_roster(roster, YEAR, as_of=AS_OF)
    assert [r.as_dict() for r in pooled] == [r.as_dict() for r in here]


def test_cancel_stops_early():
    roster = read_roster(SAMPLE, YEAR)
    seen = []
    results, _ = evaluate_roster(roster, YEAR, as_of=AS_OF, progress=lambda d, n: seen.append(d),
                                 cancelled=lambda: len(seen) >= 3)
    assert 0 < len(results) < 50


# ------------------------------------------------------------------ folder input

def test_folder_of_workspaces_and_workbooks(tmp_path):
    import shutil
    from forms.workspace import Workspace
    from forms.pipeline import evaluate_folder
    ledger = ROOT / "resources" / "sample" / "sample_enterprise.xlsx"
    shutil.copy(ledger, tmp_path / "示例企业.xlsx")
    from forms.workbook import load_ledger
    ws = Workspace.create(tmp_path / "示例企业.rdw", load_ledger(ledger))
    ws.close()
    (tmp_path / "坏文件.xlsx").write_bytes(b"not a workbook")
    results, findings = evaluate_folder(tmp_path, 2024, as_of=AS_OF)
    assert len(results) == 3
    good = [r for r in results if r.ok]
    assert len(good) == 2 and good[0].as_dict()["benefit"] == good[1].as_dict()["benefit"]
    bad = [r for r in results if not r.ok]
    assert bad[0].key == "坏文件.xlsx" and "内部错误" not in bad[0].error


# ------------------------------------------------------------------ outputs

DEV_TEXT = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|\b[A-Za-z_]+\.(md|py|yaml|json)\b|\bAI-PIPE|\b(solid|provisional|pooled)\b")


def test_workbook_sheets_sums_and_formula_safety(tmp_path, run):
    from openpyxl import load_workbook
    from forms.pipeline_report import write_pipeline_workbook
    from calc.pipeline import EnterpriseResult
    evil = EnterpriseResult("名册第99行", "=HYPERLINK(\"http://x\")", "", "@区", "", "+特派员", YEAR, error="资料有误")
    run2 = type(run)(run.source, run.kind, run.year, run.as_of, run.results + [evil], run.findings)
    path = write_pipeline_workbook(run2, tmp_path / "培育库.xlsx")
    wb = load_workbook(path)
    names = wb.sheetnames
    assert names[:2] == ["汇总", "全部企业"]
    for t in tiers():
        assert t.label in names
    assert "特派员-王建国" in names
    all_ws = wb["全部企业"]
    cells = [c for row in all_ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith(("=", "@", "+"))]
    assert cells and all(c.data_type == "s" for c in cells)
    # the summary's certain total = Σ certain of the enterprises that have one (G9's five are counted apart)
    s = wb["汇总"]
    total_row = next(r for r in s.iter_rows() if r[0].value == "合计")
    assert str(total_row[3].value) == str(sum(r.certain for r in run.results if r.certain is not None) / 100) or \
        float(total_row[3].value) * 100 == sum(r.certain for r in run.results if r.certain is not None)
    assert total_row[4].value == 5
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    text = text.replace(SAMPLE.name, "")          # the user's own file name is theirs to print
    assert not DEV_TEXT.search(text), DEV_TEXT.search(text)
    assert "无法计算（缺应纳税所得额）" in text


def test_brief_pdf_text_and_pages(tmp_path, run):
    from forms.pdftext import FONT_DIR  # noqa: F401  (fonts shipped)
    from forms.pipeline_report import write_pipeline_brief
    path = write_pipeline_brief(run, tmp_path / "简报.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "科技型企业培育库测算简报" in text
    assert "纳入测算企业50家" in text
    assert "另有5家缺应纳税所得额，节税额无法计算，未计入" in text
    assert not DEV_TEXT.search(text), DEV_TEXT.search(text)
    pages = subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "p")], capture_output=True)
    assert pages.returncode == 0 and len(list(tmp_path.glob("p-*.png"))) >= 2


def test_cli_pipeline_json_workbook_pdf(tmp_path):
    out, pdf = tmp_path / "培育库.xlsx", tmp_path / "简报.pdf"
    cp = subprocess.run([sys.executable, str(ROOT / "main.py"), "pipeline", str(SAMPLE), "--year", "2025",
                         "--as-of", "2026-12-07", "-o", str(out), "--pdf", str(pdf), "--json"],
                        capture_output=True, text=True, cwd=ROOT)
    assert cp.returncode == 0, cp.stderr
    doc = json.loads(cp.stdout)
    assert doc["summary"]["all"]["count"] == 50
    assert doc["summary"]["tier"]["hnte_reserve"]["count"] == 5
    assert doc["enterprises"][0]["benefit"]["certain"] == "1800000.00"
    assert out.exists() and pdf.exists()


def test_cli_refuses_output_onto_input_and_bad_inputs(tmp_path):
    import shutil
    src = tmp_path / "名册.xlsx"
    shutil.copy(SAMPLE, src)
    before = src.read_bytes()
    cp = subprocess.run([sys.executable, str(ROOT / "main.py"), "pipeline", str(src), "--year", "2025", "-o", str(src)],
                        capture_output=True, text=True, cwd=ROOT)
    assert cp.returncode == 2 and "输出文件与输入文件相同" in cp.stderr and src.read_bytes() == before
    (tmp_path / "x.xlsx").write_text("not a workbook")
    cp = subprocess.run([sys.executable, str(ROOT / "main.py"), "pipeline", str(tmp_path / "x.xlsx"), "--year", "2025",
                         "--json"], capture_output=True, text=True, cwd=ROOT)
    assert cp.returncode == 2 and "Traceback" not in cp.stderr
    cp = subprocess.run([sys.executable, str(ROOT / "main.py"), "template", "--roster", "-o", str(tmp_path / "t.xlsx")],
                        capture_output=True, text=True, cwd=ROOT)
    assert cp.returncode == 0 and (tmp_path / "t.xlsx").exists()


# ------------------------------------------------------------------ 创新券 and 科创贷 (estimated from a planned purchase or loan)

def test_voucher_and_loan_packs_shown_apart(tmp_path):
    """成都科技创新券: 20 % of the service fee, ≤ 10万 a year (30万 → 6万); 天府科创贷: 30 % of the LPR interest
    (30万 → 9万) + 50 % of the guarantee fee (10万 → 5万); neither is a post-subsidy nor part of the certain figure."""
    path = _roster(tmp_path, [["成都甲公司", "I6513", "2000000", "40000000", None, "20254301001A00001",
                               "四川省成都市；四川省", "300000", "300000", "100000"]],
                   headers=["企业名称", "所属行业代码", "研发费用（当年）", "销售收入（当年）", "统一社会信用代码",
                            "科小入库登记编号", "后补助政策", "计划购买科技服务费用", "科创贷：贷款利息（按1年期LPR）",
                            "科创贷：担保费"])
    run = run_pipeline(path, YEAR, as_of=AS_OF)
    r = run.results[0]
    assert r.ok
    assert not any("创新券" in t or "科创贷" in t for t, *_ in r.subsidies)    # the 四川 post-subsidy stays there
    by_title = {t: (a, k) for t, a, k, _ in r.support}
    voucher = next(v for t, v in by_title.items() if "创新券" in t)
    loan = next(v for t, v in by_title.items() if "科创贷" in t)
    assert voucher == (6 * WAN, "up_to")
    assert loan[0] == 14 * WAN
    assert r.certain == r.sd_saving and r.estimated == 0
    assert r.as_dict()["support"]["items"][0]["amount"] == "60000.00"


def test_region_name_resolves_one_policy_of_each_kind():
    from forms.pipeline import resolve_packs
    ids, unknown = resolve_packs(["四川省", "不存在的地区"], 2026)
    assert unknown == ["不存在的地区"]
    from calc.subsidy import load_packs
    packs = load_packs(include_user=False)
    cats = [packs[i].category for i in ids]
    assert sorted(cats) == sorted(set(cats)) and "loan" in cats
