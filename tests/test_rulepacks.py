"""Rule packs as data (calc.rulepack): every shipped pack validates and passes its own examples, malformed
packs are rejected naming file / key / problem, the README guide is enough to write a working pack, and
packs in the user folder are loaded."""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

import calc.rulepack as rulepack
import calc.userdirs as userdirs
from calc.rulepack import PACKS_DIR, WAN, RulePackError, read_pack, user_pack_dir
from calc.subsidy import FACTS, estimate, facts_from_values, list_packs, load_packs, run_examples

ROOT = Path(__file__).resolve().parent.parent
README = PACKS_DIR / "README.md"

SOLID = {"ningxia-2022", "shandong-2022", "henan-2018", "hunan-2024", "shenzhen-2020", "shenzhen-longgang-2022",
         "hebei-2022", "fujian-2025", "anhui-dangshan-2023", "guangzhou-huangpu-2020"}
PROVISIONAL = {"hunan-2018", "hunan-2021", "hunan-2023", "shandong-2025", "qingdao-2024", "hainan-2021", "baoji-2022",
               "xian-2019", "guangdong-2015", "foshan-nanhai", "sichuan-2021", "sichuan-2022", "chongqing-2021", "chongqing-banan",
               "chongqing-dadukou", "guangxi-2019", "hubei-2017", "wuhan-2017", "jiangsu-2017", "suzhou-wuzhong",
               "shaanxi-2021", "fujian-2016", "anhui-suzhou"}


def W(x) -> int:
    return int(Fraction(str(x)) * WAN)


@pytest.fixture(autouse=True)
def _isolated_user_dir(tmp_path, monkeypatch):
    """No test reads the real user folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-empty"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata-empty"))


# --------------------------------------------------------------------------- shipped packs

def test_every_shipped_pack_loads():
    packs = load_packs()
    assert SOLID | PROVISIONAL <= set(packs)
    for pid, p in packs.items():
        assert p.pack_id == pid and p.path.name == f"{pid}.yaml" and p.origin == "shipped"
        assert p.sources and p.components and p.title and p.region_code.isdigit()
        assert p.confidence == ("solid" if pid in SOLID else "provisional"), pid
        for c in p.components:
            assert c.source in p.sources


@pytest.mark.parametrize("pid", sorted(SOLID | PROVISIONAL))
def test_shipped_pack_examples_pass(pid):
    p = load_packs()[pid]
    results = run_examples(p)
    assert results, f"{pid} has no examples"
    bad = [(eid, msg) for eid, ok, msg in results if not ok]
    assert not bad


def test_per_value_source_reaches_the_trace():
    p = load_packs()["hunan-2021"]
    f = facts_from_values({2021: {"rd_super": W(1500), "sd_claimed": True, "rd_reserve_filed": True},
                           2020: {"rd_super": W(1000)}}, {"independent_legal_person": True})
    a = estimate(p, f, 2022).item("A")
    assert any("最低补助额" in s for s in a.sources) and any("2021年相关报道" in s for s in a.sources)


def test_list_packs_for_main_py_packs():
    infos = {i.id: i for i in list_packs()}
    assert infos["ningxia-2022"].period == "2023年起" and infos["ningxia-2022"].confidence == "solid"
    assert infos["shandong-2022"].doc_number == "鲁科字〔2022〕45号"
    assert infos["fujian-2016"].period == "2016—2018年"
    assert infos["anhui-suzhou"].period == "施行年度未确定" and infos["anhui-suzhou"].confidence == "provisional"
    assert "\t" in infos["hebei-2022"].line and infos["hebei-2022"].region == "河北省"


def test_every_shipped_value_is_sourced_and_no_floats():
    for f in PACKS_DIR.glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        assert "source" in text
        # money/rate keys are quoted strings
        for m in re.finditer(r"\b(rate|cap|floor|limit|amount)\s*:\s*([^\s,}\]]+)", text):
            value = m.group(2)
            assert value.startswith('"') or value in ("yearly", "null") or value.startswith("{"), (f.name, m.group(0))


def test_readme_documents_every_fact_base_and_formula():
    text = README.read_text(encoding="utf-8")
    for name in FACTS:
        assert f"`{name}`" in text, name
    for code in ("B1", "B1Δ", "B2", "B3", "B4", "B5", "B6", "B7", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10"):
        assert f"`{code}`" in text, code
    for folder in ("%APPDATA%\\rd-benefit\\packs", "~/Library/Application Support/rd-benefit/packs",
                   "$XDG_CONFIG_HOME/rd-benefit/packs", "~/.config/rd-benefit/packs"):
        assert folder in text


def test_readme_example_is_valid_and_computes(tmp_path):
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## 4\. 完整示例.*?```yaml\n(.*?)```", text, re.S).group(1)
    path = tmp_path / "example-city-2024.yaml"
    path.write_text(block, encoding="utf-8")
    p = read_pack(path, FACTS)
    assert [ok for _, ok, _ in run_examples(p)] == [True]


# --------------------------------------------------------------------------- a new pack written from the guide

NEW_PACK = """\
# 照着 README 第4节的示例改写：某县2025年研发费用后补助（虚构）
pack_id: mouxian-2025
version: 1
region: 某省某县
region_code: "999999"
level: county
title: 某县支持企业研发投入后补助办法
doc_number: "某科〔2025〕3号"
issuer: [某县科学技术局, 某县财政局]
effective_from: 2025
effective_to: 2027
data_year_offset: -1
confidence: provisional

sources:
  wenjian: {title: 某县支持企业研发投入后补助办法, date: "2025-02-10"}

flags:
  - {id: MX-01, text: 研发投入按享受加计扣除的研发费用计算, why: 办法只写“研发投入”}

inputs:
  rd_super: {}
  main_revenue: {}
  sd_claimed: {}
  hnte_certified: {}
  tech_sme: {}
  above_scale: {}

gates:
  - {id: super_deduction, type: history, label: 已享受研发费用加计扣除, fact: sd_claimed, years: 1, source: wenjian}
  - {id: rd_min, type: threshold, label: 研发费用不低于50万元, quantity: rd_super, op: ">=", limit: "50", source: wenjian}
  - {id: intensity, type: intensity, label: 研发投入强度不低于2%, numerator: rd_super, denominator: main_revenue,
     op: ">=", limit: "2%", source: wenjian, flags: [MX-01]}

components:
  - id: A
    label: 研发投入增量补助
    source: wenjian
    base: B1Δ
    formula: F1
    rate: "15%"
    floor: "2"
    cap: "80"
  - id: B
    label: 规上企业研发投入补助
    source: wenjian
    gates:
      - {id: above_scale, type: status, label: 规模以上企业, fact: above_scale, source: wenjian}
    base: B1
    formula: F2
    categories:
      - {label: 国家高新技术企业, when: hnte_certified, rate: "2%"}
      - {label: 其他规上企业, rate: "1%"}
    cap: "30"

combination:
  mode: stack

examples:
  - id: 规上高企
    award_year: 2026
    facts:
      2025: {rd_super: "900", main_revenue: "20000", sd_claimed: true, hnte_certified: true, tech_sme: false, above_scale: true}
      2024: {rd_super: "600"}
    expect: {amount: "63", kind: exact, items: {A: "45", B: "18"}}
"""


def test_new_pack_written_from_the_guide(tmp_path, monkeypatch):
    user = tmp_path / "cfg"
    monkeypatch.setattr(userdirs.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user))
    folder = user_pack_dir()
    folder.mkdir(parents=True)
    (folder / "mouxian-2025.yaml").write_text(NEW_PACK, encoding="utf-8")
    packs = load_packs()
    p = packs["mouxian-2025"]
    assert p.origin == "user" and p.period_text == "2025—2027年"
    assert [ok for _, ok, _ in run_examples(p)] == [True]
    # A = (900 − 600) × 15% = 45; B = 900 × 2% = 18; total 63万元
    f = facts_from_values({2025: {"rd_super": W(900), "main_revenue": W(20000), "sd_claimed": True,
                                  "hnte_certified": True, "above_scale": True}, 2024: {"rd_super": W(600)}})
    est = estimate(p, f, 2026)
    assert (est.item("A").amount, est.item("B").amount, est.total) == (W(45), W(18), W(63))
    # below the 2万 floor: increment 10 × 15% = 1.5 → 0
    f = facts_from_values({2025: {"rd_super": W(610), "main_revenue": W(20000), "sd_claimed": True,
                                  "hnte_certified": False, "above_scale": False}, 2024: {"rd_super": W(600)}})
    est = estimate(p, f, 2026)
    assert est.item("A").amount == 0 and est.item("B").amount == 0 and est.total == 0
    assert est.as_json()["pack"] == "mouxian-2025"
    assert any(i.id == "mouxian-2025" and i.origin == "user" for i in list_packs())


# --------------------------------------------------------------------------- malformed packs

BASE = """\
pack_id: bad-pack
version: 1
region: 测试省
region_code: "999998"
level: province
title: 测试办法
doc_number: ""
issuer: [测试厅]
effective_from: 2022
effective_to: null
data_year_offset: -1
confidence: solid
sources:
  s1: {title: 测试办法原文}
flags:
  - {id: T-01, text: 测试口径}
inputs:
  rd_super: {}
  sd_claimed: {}
gates:
  - {id: sd, type: history, label: 已享受加计扣除, fact: sd_claimed, years: 1, source: s1}
components:
  - id: A
    label: 增量补助
    source: s1
    base: B1Δ
    formula: F1
    rate: "10%"
    floor: "1"
    cap: "1000"
  - id: B
    label: 分段补助
    source: s1
    base: B1
    formula: F3
    bands:
      - {from: "0", to: "500", rate: "10%"}
      - {from: "500", rate: "5%"}
combination: {mode: stack}
"""

MALFORMED = [
    # (name, edit(text) → text, key expected in the message, problem fragment)
    ("unknown top key", lambda t: t + "budget: \"100\"\n", "budget", "未知字段“budget”"),
    ("float value", lambda t: t.replace('cap: "1000"', "cap: 1000.5"), "components.A.cap", "带引号的精确小数"),
    ("unquoted money", lambda t: t.replace('cap: "1000"', "cap: 1000"), "components.A.cap", "带引号的文字"),
    ("unknown base", lambda t: t.replace("base: B1Δ", "base: B9"), "components.A.base.code", "未知基数类型“B9”"),
    ("unknown formula", lambda t: t.replace("formula: F1", "formula: F11"), "components.A.formula", "未知公式类型“F11”"),
    ("F7 as formula", lambda t: t.replace("formula: F1", "formula: F7"), "components.A.formula", "multipliers"),
    ("missing component source", lambda t: t.replace("    source: s1\n    base: B1Δ", "    base: B1Δ"),
     "components.A.source", "缺少来源"),
    ("undeclared source", lambda t: t.replace("fact: sd_claimed, years: 1, source: s1", "fact: sd_claimed, years: 1, source: s9"),
     "gates[sd].source", "来源“s9”未在 sources 中登记"),
    ("bands out of order", lambda t: t.replace('{from: "500", rate: "5%"}', '{from: "400", rate: "5%"}'),
     "components.B.bands[1].from", "分档顺序不对或不连续"),
    ("cap below floor", lambda t: t.replace('floor: "1"', 'floor: "2000"'), "components.A.cap", "低于起付额"),
    ("unknown referenced input", lambda t: t.replace("fact: sd_claimed, years: 1", "fact: stats_filed, years: 1"),
     "gates[sd].fact", "未在 inputs 中声明的输入“stats_filed”"),
    ("custom input without label", lambda t: t.replace("  sd_claimed: {}\n", "  sd_claimed: {}\n  my_flag: {}\n"),
     "inputs.my_flag", "须写 label"),
    ("pack id differs from file", lambda t: t.replace("pack_id: bad-pack", "pack_id: other-pack"), "pack_id", "与文件名"),
    ("bad confidence", lambda t: t.replace("confidence: solid", "confidence: high"), "confidence", "solid 或 provisional"),
    ("period reversed", lambda t: t.replace("effective_to: null", "effective_to: 2020"), "effective_to", "早于起始年度"),
    ("rate above 100%", lambda t: t.replace('rate: "10%"\n    floor', 'rate: "110%"\n    floor'),
     "components.A.rate", "超出允许范围"),
    ("F10 without B7", lambda t: t.replace('formula: F1\n    rate: "10%"', 'formula: F10\n    stock_rate: "1%"\n    increment_rate: "2%"'),
     "components.A.base", "B7"),
    ("undeclared flag", lambda t: t.replace("years: 1, source: s1}", "years: 1, source: s1, flags: [T-09]}"),
     "gates[sd].flags", "标记“T-09”未在 flags 中说明"),
    ("duplicate component", lambda t: t.replace("  - id: B\n", "  - id: A\n"), "components.A", "重复"),
    ("missing title", lambda t: t.replace("title: 测试办法\n", ""), "title", "缺少此项"),
    ("comma in flow text", lambda t: t.replace("label: 已享受加计扣除,", "label: 研发费用超过2,000万元,"),
     "gates[sd].000万元", "英文逗号"),
    ("unknown gate type", lambda t: t.replace("type: history", "type: histroy"), "gates[sd].type", "未知条件类型“histroy”"),
    ("yaml syntax", lambda t: t.replace("combination: {mode: stack}", "combination: {mode: stack"), "第", "YAML 格式错误"),
    ("bad combination mode", lambda t: t.replace("combination: {mode: stack}", "combination: {mode: sum}"),
     "combination.mode", "组合方式“sum”"),
    ("override of unknown component", lambda t: t + "year_overrides:\n  - {award_years: [2023], source: s1, components: {Z: {rate: \"5%\"}}}\n",
     "year_overrides[0].components.Z", "没有编号为“Z”的补助项"),
    ("override without source", lambda t: t + "year_overrides:\n  - {award_years: [2023], components: {A: {rate: \"5%\"}}}\n",
     "year_overrides[0].source", "缺少来源"),
    ("money for a bool input", lambda t: t.replace("fact: sd_claimed, years: 1", "fact: rd_super, years: 1"),
     "gates[sd].fact", "此处需要是/否"),
    ("example with wrong expectation type", lambda t: t + "examples:\n  - {id: e1, facts: {2022: {rd_super: \"1\"}}, expect: {kind: maybe}}\n",
     "examples[0].expect.kind", "exact、up_to"),
]


@pytest.mark.parametrize("name, edit, key, problem", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_pack_is_rejected(tmp_path, name, edit, key, problem):
    path = tmp_path / "bad-pack.yaml"
    text = edit(BASE)
    assert text != BASE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulePackError) as e:
        read_pack(path, FACTS)
    err = e.value
    assert err.file == "bad-pack.yaml"
    assert err.key.startswith(key), (err.key, key)
    assert problem in err.problem, err.problem
    assert str(err) == f"规则包 bad-pack.yaml: {err.key}: {err.problem}"


def test_base_pack_is_valid(tmp_path):
    path = tmp_path / "bad-pack.yaml"
    path.write_text(BASE, encoding="utf-8")
    p = read_pack(path, FACTS)
    assert [c.id for c in p.components] == ["A", "B"]


def test_not_utf8_is_reported(tmp_path):
    path = tmp_path / "gbk-pack.yaml"
    path.write_bytes(BASE.replace("bad-pack", "gbk-pack").encode("gbk"))
    with pytest.raises(RulePackError) as e:
        read_pack(path, FACTS)
    assert "UTF-8" in str(e.value)


# --------------------------------------------------------------------------- the user folder

def _user_pack(pid: str, version: int = 1, rate: str = "10%") -> str:
    return BASE.replace("pack_id: bad-pack", f"pack_id: {pid}").replace("version: 1", f"version: {version}") \
        .replace('rate: "10%"\n    floor', f'rate: "{rate}"\n    floor')


@pytest.mark.parametrize("platform, env, expected", [
    ("linux", {"XDG_CONFIG_HOME": "/x/cfg"}, Path("/x/cfg/rd-benefit/packs")),
    ("linux", {"XDG_CONFIG_HOME": ""}, Path.home() / ".config" / "rd-benefit" / "packs"),
    ("win32", {"APPDATA": "/x/AppData/Roaming"}, Path("/x/AppData/Roaming/rd-benefit/packs")),
    ("darwin", {}, Path.home() / "Library" / "Application Support" / "rd-benefit" / "packs"),
])
def test_user_pack_dir(monkeypatch, platform, env, expected):
    monkeypatch.setattr(userdirs.sys, "platform", platform)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert user_pack_dir() == expected


def test_user_packs_load_from_xdg(tmp_path, monkeypatch):
    monkeypatch.setattr(userdirs.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    folder = tmp_path / "rd-benefit" / "packs"
    folder.mkdir(parents=True)
    (folder / "my-county-2024.yaml").write_text(_user_pack("my-county-2024"), encoding="utf-8")
    packs = load_packs()
    assert packs["my-county-2024"].origin == "user" and "ningxia-2022" in packs


def test_user_packs_load_from_appdata(tmp_path, monkeypatch):
    monkeypatch.setattr(userdirs.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path))
    folder = tmp_path / "rd-benefit" / "packs"
    folder.mkdir(parents=True)
    (folder / "my-city-2024.yaml").write_text(_user_pack("my-city-2024"), encoding="utf-8")
    assert load_packs()["my-city-2024"].origin == "user"


def test_user_pack_with_a_shipped_id_needs_a_higher_version(tmp_path, monkeypatch):
    monkeypatch.setattr(userdirs.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    folder = tmp_path / "rd-benefit" / "packs"
    folder.mkdir(parents=True)
    (folder / "hebei-2022.yaml").write_text(_user_pack("hebei-2022", 1), encoding="utf-8")
    with pytest.raises(RulePackError) as e:
        load_packs()
    assert e.value.file == "hebei-2022.yaml" and e.value.key == "version" and "内置规则包" in e.value.problem
    errors: list = []
    packs = load_packs(errors=errors)                          # collected, the shipped one kept
    assert len(errors) == 1 and packs["hebei-2022"].origin == "shipped"
    (folder / "hebei-2022.yaml").write_text(_user_pack("hebei-2022", 2, rate="12%"), encoding="utf-8")
    p = load_packs()["hebei-2022"]
    assert p.origin == "user" and p.version == 2
    f = facts_from_values({2022: {"rd_super": W(1100), "sd_claimed": True}, 2021: {"rd_super": W(1000)}})
    assert estimate(p, f, 2023).item("A").amount == W(12)


def test_bad_user_pack_is_reported_not_fatal_with_errors_list(tmp_path, monkeypatch):
    monkeypatch.setattr(userdirs.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    folder = tmp_path / "rd-benefit" / "packs"
    folder.mkdir(parents=True)
    (folder / "broken-2024.yaml").write_text(_user_pack("broken-2024").replace('cap: "1000"', "cap: 1000.0"),
                                             encoding="utf-8")
    (folder / "fine-2024.yaml").write_text(_user_pack("fine-2024"), encoding="utf-8")
    errors: list = []
    packs = load_packs(errors=errors)
    assert "fine-2024" in packs and "broken-2024" not in packs
    assert str(errors[0]).startswith("规则包 broken-2024.yaml: components.A.cap:")


def test_extra_dirs(tmp_path):
    (tmp_path / "extra-2024.yaml").write_text(_user_pack("extra-2024"), encoding="utf-8")
    assert "extra-2024" in load_packs([tmp_path])


# --------------------------------------------------------------------------- house rules

def test_calc_subsidy_modules_keep_the_house_rules():
    for name in ("subsidy.py", "rulepack.py"):
        text = (ROOT / "calc" / name).read_text(encoding="utf-8")
        assert "float(" not in text
        for banned in ("import forms", "from forms", "desktop", "PySide", "Qt"):
            assert banned not in text, (name, banned)
        # law is data: no pack ids in the engine
        for pid in SOLID | PROVISIONAL:
            assert pid not in text, (name, pid)


def test_cli_check(tmp_path, capsys):
    from calc.subsidy import _main
    path = tmp_path / "mouxian-2025.yaml"
    path.write_text(NEW_PACK, encoding="utf-8")
    assert _main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "格式正确" in out and "通过" in out
    path.write_text(NEW_PACK.replace('amount: "63"', 'amount: "64"'), encoding="utf-8")
    assert _main(["check", str(path)]) == 1
    assert "合计应为 64万元，实际 63万元" in capsys.readouterr().out
