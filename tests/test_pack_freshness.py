"""Issue 16: rule packs and parameter files say how fresh they are.

Every pack and parameter file carries ``reviewed_on`` and a verified window; a pack applied to an award year past
what was verified, undated, or without a 文号 never gives an "exact" figure or a "solid" rule (status provisional,
reason in Chinese); retired packs compute their own years but are not offered later; 湖南 data year 2022 pays
12% / 8% with a 20万 floor and a 1000万 cap; 山东 2022 excludes 青岛 and ends, 2025 covers it; ``main.py packs``
shows the freshness columns; docs/law-sources.md is generated from the data and current."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from calc.params import load_params
from calc.rulepack import PACKS_DIR, WAN
from calc.subsidy import estimate, facts_from_values, law_data_as_of, list_packs, load_packs, offered_packs

ROOT = Path(__file__).resolve().parent.parent
PARAMS_DIR = ROOT / "resources" / "params"


def W(x) -> int:
    return int(Fraction(str(x)) * WAN)


@pytest.fixture(autouse=True)
def _isolated_user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-empty"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata-empty"))


@pytest.fixture(scope="module")
def packs():
    return load_packs(include_user=False)


# --------------------------------------------------------------------------- every file is dated

def test_every_pack_has_reviewed_on_and_a_verified_window(packs):
    for pid, p in packs.items():
        assert p.reviewed_on and dt.date.fromisoformat(p.reviewed_on), pid
        assert p.verified_checked and p.verified_against, pid
        if p.verified_from is not None:
            assert p.verified_from <= p.verified_to, pid


def test_every_parameter_file_has_reviewed_on_and_a_verified_window():
    params = load_params()
    for f in sorted(PARAMS_DIR.glob("*.yaml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert doc.get("reviewed_on"), f.name
        assert params.reviewed_on[f.name] == str(doc["reviewed_on"]), f.name
        ver = params.verified[f.name]
        assert ver["checked"] and ver["against"], f.name


def test_law_data_as_of_is_the_earliest_review_date_used(packs):
    params = load_params()
    assert law_data_as_of(params, [packs["hunan-2024"]]) == "2026-12-07"

    class Old:
        reviewed_on = "2025-01-31"

    class Never:
        reviewed_on = ""

    assert law_data_as_of(params, [packs["hunan-2024"], Old()]) == "2025-01-31"
    assert law_data_as_of(params, [Never()]) == ""


# --------------------------------------------------------------------------- stale packs are provisional

def _hunan(rd, prior, key, year=2024):
    return facts_from_values({year - 1: {"rd_super": W(rd), "sd_claimed": True, "rd_reserve_filed": True,
                                         "key_hitech_field": key},
                              year - 2: {"rd_super": W(prior)}}, {"independent_legal_person": True})


def test_stale_pack_gives_no_exact_figure_for_2026(packs):
    """shenzhen-longgang-2022 was verified for award years 2022–2023: applied to 2026 it computes the 2022 bands
    but says they are provisional, and why."""
    lg = packs["shenzhen-longgang-2022"]
    f = facts_from_values({2025: {"rd_audited": W(2000), "sales_revenue": W(20000), "hnte_certified": True,
                                  "sd_claimed": True, "above_scale": True, "zhuanjingtexin": True,
                                  "little_giant": False}})
    est = estimate(lg, f, 2026)
    assert est.total is not None
    assert est.total_kind != "exact" and est.confidence != "solid" and est.status == "provisional"
    assert "仅核实了2022—2023年度" in est.status_reason and "2026年度是否仍按此执行未经核实" in est.status_reason
    doc = est.as_json()
    assert doc["kind"] != "exact" and doc["status"] == "provisional" and doc["reviewed_on"] == "2026-12-07"
    assert any(line.startswith("规则状态：暂定 — ") for line in est.explain())


@pytest.mark.parametrize("pid", ["hubei-2017", "suzhou-wuzhong", "foshan-nanhai", "anhui-suzhou", "chongqing-banan"])
def test_no_pack_is_exact_or_solid_in_2026_unless_verified(packs, pid):
    p = packs[pid]
    status, reason = p.freshness(2026)
    assert status in ("provisional", "retired", "outside") and reason
    if p.effective_from is None:
        assert "施行年度未确定" in reason


def test_every_pack_for_2026_exact_only_when_verified(packs):
    for pid, p in packs.items():
        status, reason = p.freshness(2026)
        if status == "verified":
            assert p.doc_number and p.confidence == "solid" and p.verified_from <= 2026 <= p.verified_to, pid
        assert reason, pid


def test_undated_pack_is_provisional(packs):
    p = packs["suzhou-wuzhong"]
    est = estimate(p, facts_from_values({2025: {"rd_super": W(7500), "sd_claimed": True}}), 2026)
    assert est.total_kind != "exact" and est.status == "provisional" and "施行年度未确定" in est.status_reason


def test_retired_pack_computes_its_years_but_is_not_offered_later(packs):
    infos = {i.id: i for i in offered_packs(2026)}
    assert "shandong-2022" not in infos and "guangdong-2015" not in infos and "hunan-2021" not in infos
    assert "shandong-2025" in infos and "hunan-2024" in infos
    assert "shandong-2022" in {i.id for i in offered_packs(2025)}
    est = estimate(packs["guangdong-2015"], facts_from_values({2025: {"rd_super": W(100)}}), 2026)
    assert est.total is None and est.status == "retired" and "本政策已停止" in est.reason


# --------------------------------------------------------------------------- 湖南

@pytest.mark.parametrize("rd,prior,key,expected", [
    ("1500", "1000", True, "60"),        # 12% × 500万 (省重点高新技术领域)
    ("1500", "1000", False, "40"),       # 8% × 500万
    ("1200", "1000", False, "0"),        # 8% × 200万 = 16万 < 20万: nothing
    ("1200", "1000", True, "24"),        # 12% × 200万 = 24万 ≥ 20万
    ("20000", "10000", True, "1000"),    # 12% × 1亿 = 1200万 → cap 1000万
])
def test_hunan_data_year_2022_amounts(packs, rd, prior, key, expected):
    est = estimate(packs["hunan-2023"], _hunan(rd, prior, key, 2023), 2023)
    assert est.total == W(expected)
    assert est.status == "provisional" and "文号" in est.status_reason      # the text was not retrieved


def test_hunan_packs_cover_each_award_year_once(packs):
    hunan = [p for p in packs.values() if p.pack_id.startswith("hunan-")]
    for year in range(2018, 2027):
        live = [p.pack_id for p in hunan if p.freshness(year)[0] in ("verified", "provisional")]
        assert len(live) == 1, (year, live)
    assert packs["hunan-2021"].effective_to == 2022
    est = estimate(packs["hunan-2024"], _hunan("1100", "1000", True), 2024)
    assert est.total == W(12)


# --------------------------------------------------------------------------- 山东

def _sd(year, qingdao):
    return facts_from_values({year - 1: {"rd_super": W(150), "sales_revenue": W(2000), "sd_claimed": True,
                                         "hnte_certified": True, "above_scale": False, "ic_enterprise": False,
                                         "first_time_hnte": True, "sme": True},
                              year - 2: {"rd_super": W(100), "sd_claimed": True}},
                             {"good_credit": True, "research_integrity": True, "shandong_green_ok": True,
                              "registered_in_qingdao": qingdao})


def test_shandong_2022_excludes_qingdao_and_ends(packs):
    p = packs["shandong-2022"]
    assert p.effective_to == 2025 and p.status == "retired"
    ok = estimate(p, _sd(2024, False), 2024)
    assert ok.eligible and ok.total == W(10)
    qd = estimate(p, _sd(2024, True), 2024)
    assert not qd.eligible and qd.total == 0 and "青岛" in qd.reason
    assert estimate(p, _sd(2026, False), 2026).total is None


def test_shandong_2025_covers_qingdao(packs):
    p = packs["shandong-2025"]
    assert p.doc_number == "鲁科字〔2025〕25号" and p.effective_from <= 2026
    est = estimate(p, _sd(2026, True), 2026)
    assert est.eligible and est.total is not None
    assert est.status == "provisional" and est.total_kind != "exact"
    assert not any(g.id == "not_qingdao" for g in p.gates)


# --------------------------------------------------------------------------- main.py packs and docs

def test_main_py_packs_shows_freshness_columns():
    out = subprocess.run([sys.executable, "main.py", "packs", "--year", "2026"], cwd=ROOT, capture_output=True,
                         text=True, encoding="utf-8", timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "后补助规则包（状态按2026年度奖补判断）"
    assert lines[1].split("\t") == ["编号", "地区", "政策（文号）", "适用奖补年度", "可信度", "核实范围", "状态",
                                    "核对日期", "说明"]
    rows = {ln.split("\t")[0]: ln.split("\t") for ln in lines[2:] if "\t" in ln}
    assert rows["shandong-2022"][1] == "山东省" and rows["shandong-2022"][5] == "2022—2025年度"
    assert rows["shandong-2022"][6] == "已停止" and rows["shandong-2022"][7] == "2026-12-07"
    assert rows["hubei-2017"][6] == "暂定" and "2026年度是否仍按此执行未经核实" in rows["hubei-2017"][8]
    assert lines[-1].startswith("法规数据截至 2026-12-07")


def test_law_sources_doc_is_current():
    import importlib.util
    spec = importlib.util.spec_from_file_location("mklaw", ROOT / "scripts" / "make_law_sources_doc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    doc = ROOT / "docs" / "law-sources.md"
    assert doc.read_text(encoding="utf-8") == mod.render(), \
        "docs/law-sources.md 已过时：运行 python scripts/make_law_sources_doc.py"
    text = doc.read_text(encoding="utf-8")
    for p in sorted(PACKS_DIR.glob("*.yaml")):
        assert f"`{p.stem}`" in text
    for f in sorted(PARAMS_DIR.glob("*.yaml")):
        assert f"`{f.name}`" in text
