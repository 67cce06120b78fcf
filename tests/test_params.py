"""calc.params (dated law-as-data parameter files) and calc.identifiers (credit code, industry code,
科技型中小企业 入库登记编号)."""
from __future__ import annotations

import datetime as dt
import re
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from calc.identifiers import (check_credit_code, credit_code_check_char, normalize_industry_code, tech_sme_covers,
                              tech_sme_year)
from calc.params import FILES, PARAMS_DIR, Params, ParamError, load_params

D = dt.date


@pytest.fixture(scope="module")
def params() -> Params:
    return load_params()


# --------------------------------------------------------------------------- the real files load

def test_load_params_loads(params):
    assert isinstance(params, Params)
    assert set(FILES) <= set(params.versions)
    assert params.sources and params.scalars and params.extra_rates and params.codes and params.categories
    assert params.manufacturing_prefixes == ("C",)
    assert params.negative_list and params.negative_list_source is not None
    assert load_params() is params                       # cached by directory
    assert load_params(PARAMS_DIR) is params


@pytest.mark.parametrize("name, day, value, source_key", [
    ("other_cost_cap_mode", D(2020, 12, 31), "per_project", "97号"),
    ("other_cost_cap_mode", D(2021, 1, 1), "pooled", "2021年第28号"),
    ("other_cost_cap_mode", D(2016, 1, 1), "per_project", "97号"),
    ("overseas_institution_eligible", D(2017, 12, 31), False, "119号"),
    ("overseas_institution_eligible", D(2018, 1, 1), True, "64号"),
    ("overseas_institution_eligible", D(2017, 6, 30), False, "119号"),
    ("prepayment_periods", D(2020, 12, 31), [], "119号"),
    ("prepayment_periods", D(2022, 6, 30), ["Q1-Q3"], "2022年第10号"),
    ("prepayment_periods", D(2022, 12, 31), ["Q1-Q3"], "2022年第10号"),
    ("prepayment_periods", D(2023, 1, 1), ["H1", "Q1-Q3"], "2023年第11号"),
    ("prepayment_periods", D(2023, 6, 30), ["H1", "Q1-Q3"], "2023年第11号"),
    ("standard_rate", D(2024, 12, 31), "0.25", "EIT Law"),
])
def test_at_answers_value_and_source(params, name, day, value, source_key):
    entry = params.at(name, day)
    assert entry.value == value
    assert entry.covers(day)
    assert entry.source.key == source_key
    assert entry.source.citation == params.sources[source_key]
    assert params.value(name, day) == value


def test_at_boundaries_and_fractions(params):
    e2020 = params.at("other_cost_cap_mode", D(2020, 12, 31))
    e2021 = params.at("other_cost_cap_mode", D(2021, 1, 1))
    assert e2020.end == D(2020, 12, 31) and e2021.start == D(2021, 1, 1) and e2021.end is None
    assert e2020.source.ref == "二(三)"
    assert "AI-SD-11" in e2020.interpretations
    assert str(e2021.source) == "2021年第28号 三"
    assert params.at("other_cost_ratio", D(2024, 1, 1)).fraction == Fraction(1, 10)
    assert params.at("overseas_cap_of_domestic", D(2024, 1, 1)).fraction == Fraction(2, 3)
    assert params.at("entrusted_factor", D(2016, 1, 1)).fraction == Fraction(4, 5)


def test_at_outside_any_entry(params):
    with pytest.raises(LookupError):
        params.at("overseas_cap_of_domestic", D(2017, 12, 31))         # starts 2018-01-01
    assert params.maybe_at("overseas_cap_of_domestic", D(2017, 12, 31)) is None
    assert params.maybe_at("manufacturing_threshold", D(2023, 1, 1)) is None
    with pytest.raises(KeyError):
        params.at("no_such_parameter", D(2024, 1, 1))


def test_dated_entries_are_sorted_and_disjoint(params):
    for name, entries in params.scalars.items():
        for a, b in zip(entries, entries[1:]):
            assert a.end is not None and a.end < b.start, name


def test_extra_rates(params):
    ids = {r.id: r for r in params.extra_rates}
    assert ids["all_100"].x == Fraction(1) and ids["all_100"].start == D(2023, 1, 1) and ids["all_100"].end is None
    assert ids["ic_mt_120"].requires_user_confirmation and ids["ic_mt_120"].x == Fraction(6, 5)
    assert ids["q4_2022_100"].split == "q4_2022"
    for r in params.extra_rates:
        assert r.who in ("all", "tech_sme", "manufacturing", "ic_or_machine_tool")
        assert r.end is None or r.end >= r.start
        assert r.source.key in params.sources


# --------------------------------------------------------------------------- expense codes

_BLOCKS = [  # (first row, last row, category)
    (4, 6, "staff"), (8, 15, "direct"), (17, 18, "depreciation"), (20, 22, "amortisation"), (24, 27, "design"),
    (29, 33, "other"), (36, 36, "entrusted_domestic"), (37, 37, "entrusted_overseas"),
    (39, 39, "entrusted_overseas_individual"),
]


def _category_for_row(row: int) -> str | None:
    for lo, hi, cat in _BLOCKS:
        if lo <= row <= hi:
            return cat
    return None


def test_expense_codes_rows_and_categories(params):
    r_codes = {c for c in params.codes if c.startswith("R")}
    expected = {f"R{r:02d}" for lo, hi, _ in _BLOCKS for r in range(lo, hi + 1)}
    assert r_codes == expected
    for code, c in params.codes.items():
        assert c.code == code
        assert c.label and c.label.strip(), code
        if code.startswith("R"):
            assert re.fullmatch(r"R\d{2}", code)
            assert c.row == int(code[1:]), code
            assert c.category == _category_for_row(c.row), code
            assert c.category in params.categories
        else:
            assert re.fullmatch(r"NE\d{2}", code), code
            assert c.row is None and c.category is None, code
            assert c.eligible is False
        if not c.eligible:
            assert c.reason, code
    assert params.codes["R39"].eligible is False             # overseas individuals: reported, never deducted


def test_expense_categories_rows(params):
    # the category subtotal row sits just above its block of codes
    for lo, hi, cat in _BLOCKS[:6]:
        assert params.categories[cat].row == lo - 1, cat
    assert {c.id for c in params.categories.values() if c.in_first_five} == {
        "staff", "direct", "depreciation", "amortisation", "design"}
    # every category is used by some code
    assert {c.category for c in params.codes.values() if c.category} == set(params.categories)


def test_expense_codes_hnte_category_valid(params):
    assert len(params.hnte_categories) == 8
    for code, c in params.codes.items():
        assert c.hnte is None or c.hnte in params.hnte_categories, code


def test_expense_code_labels_match_a107012_rows(params):
    for code, c in params.codes.items():
        if c.row is not None:
            assert params.row_labels[f"R{c.row:02d}"] == c.label, code


def _source_uses(obj, path=""):
    """Every ``source`` value in a YAML document: (path, value)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "source":
                yield path, v
            yield from _source_uses(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _source_uses(v, f"{path}[{i}]")


def _docs():
    return {f: yaml.safe_load((PARAMS_DIR / f).read_text(encoding="utf-8")) for f in FILES}


def test_every_entry_source_key_is_declared(params):
    used = [(f, p, v) for f, doc in _docs().items() for p, v in _source_uses(doc) if isinstance(v, str)]
    assert len(used) > 50
    undeclared = [(f, p, v) for f, p, v in used if v not in params.sources]
    assert undeclared == []
    for c in params.codes.values():
        assert c.source.key in params.sources
        assert c.source.citation == params.sources[c.source.key]
    for cat in params.categories.values():
        assert cat.source.key in params.sources


def test_every_file_level_source_doc_is_declared(params):
    docs = [(f, v["doc"]) for f, doc in _docs().items() for _, v in _source_uses(doc) if isinstance(v, dict)]
    assert docs
    assert [(f, d) for f, d in docs if d not in params.sources] == []


# --------------------------------------------------------------------------- malformed files

def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "params"
    d.mkdir()
    for p in PARAMS_DIR.iterdir():
        if p.suffix in (".yaml", ".csv"):
            shutil.copy(p, d / p.name)
    return d


def _break(tmp_path: Path, file: str, old: str, new: str) -> Path:
    d = _copy(tmp_path)
    path = d / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return d


def _error(directory: Path) -> ParamError:
    with pytest.raises(ParamError) as info:
        load_params(directory)
    err = info.value
    assert err.file in str(err) and err.key in str(err)
    return err


def test_the_copy_itself_loads(tmp_path):
    p = load_params(_copy(tmp_path))
    assert p.at("other_cost_cap_mode", D(2021, 1, 1)).value == "pooled"


def test_unquoted_float_value_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", 'value: "0.10", source: "119号"', 'value: 0.1, source: "119号"')
    err = _error(d)
    assert err.file == "super_deduction.yaml"
    assert err.key == "parameters.other_cost_ratio[0].value"


def test_unquoted_float_extra_rate_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", 'x: "0.75", source: "34号"', 'x: 0.75, source: "34号"')
    err = _error(d)
    assert (err.file, err.key) == ("super_deduction.yaml", "extra_rate[1].x")


def test_unquoted_float_in_income_tax_rejected(tmp_path):
    d = _break(tmp_path, "income_tax.yaml", 'value: "0.25", source: "EIT Law"', 'value: 0.25, source: "EIT Law"')
    err = _error(d)
    assert (err.file, err.key) == ("income_tax.yaml", "parameters.standard_rate[0].value")


def test_unquoted_float_nested_in_value_rejected(tmp_path):
    d = _break(tmp_path, "income_tax.yaml", '[["1000000", "0.025"], [null, "0.10"]]',
               '[["1000000", 0.025], [null, "0.10"]]')
    err = _error(d)
    assert err.file == "income_tax.yaml" and err.key.startswith("parameters.slp_brackets[1]")


def test_to_before_from_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", '{from: 2016-01-01, to: null, value: "0.80"',
               '{from: 2016-01-01, to: 2015-12-31, value: "0.80"')
    err = _error(d)
    assert (err.file, err.key) == ("super_deduction.yaml", "parameters.entrusted_factor[0]")


def test_extra_rate_to_before_from_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", "from: 2017-01-01, to: 2019-12-31, who: tech_sme",
               "from: 2017-01-01, to: 2016-12-31, who: tech_sme")
    err = _error(d)
    assert err.file == "super_deduction.yaml" and err.key.startswith("extra_rate[1]")


def test_overlapping_entries_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", "to: 2020-12-31, value: per_project",
               "to: 2021-06-30, value: per_project")
    err = _error(d)
    assert (err.file, err.key) == ("super_deduction.yaml", "parameters.other_cost_cap_mode")


def test_overlapping_open_entry_rejected(tmp_path):
    d = _break(tmp_path, "income_tax.yaml",
               '{from: 2021-01-01, to: 2021-12-31, value: [["1000000", "0.025"], [null, "0.10"]]',
               '{from: 2021-01-01, to: null, value: [["1000000", "0.025"], [null, "0.10"]]')
    err = _error(d)
    assert (err.file, err.key) == ("income_tax.yaml", "parameters.slp_brackets")


def test_unknown_source_key_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", 'value: "0.80", source: "119号"', 'value: "0.80", source: "999号"')
    err = _error(d)
    assert (err.file, err.key) == ("super_deduction.yaml", "parameters.entrusted_factor[0].source")
    assert "999号" in err.problem


def test_unknown_source_key_in_extra_rate_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", 'x: "0.50", source: "119号"', 'x: "0.50", source: "nope"')
    err = _error(d)
    assert (err.file, err.key) == ("super_deduction.yaml", "extra_rate[0].source")


def test_unknown_source_key_in_expense_codes_rejected(tmp_path):
    d = _break(tmp_path, "expense_codes.yaml", 'eligible: true, source: "40号", ref: "一(一)"}',
               'eligible: true, source: "martian", ref: "一(一)"}')
    err = _error(d)
    assert (err.file, err.key) == ("expense_codes.yaml", "codes[0].source")


def test_extra_rate_unknown_who_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", "who: tech_sme, ", "who: martians, ")
    err = _error(d)
    assert (err.file, err.key) == ("super_deduction.yaml", "extra_rate[1].who")
    assert "martians" in err.problem


def test_yaml_syntax_error_rejected(tmp_path):
    d = _copy(tmp_path)
    path = d / "income_tax.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("parameters:"))
    lines.insert(at + 1, "  broken: [unclosed, {\n")
    path.write_text("".join(lines), encoding="utf-8")
    err = _error(d)
    assert err.file == "income_tax.yaml"
    m = re.fullmatch(r"第(\d+)行", err.key)
    assert m, err.key
    assert int(m.group(1)) >= at + 2          # at or after the broken line (1-based)
    assert "YAML" in err.problem


def test_missing_version_rejected(tmp_path):
    d = _break(tmp_path, "income_tax.yaml", "version: 1\n", "")
    err = _error(d)
    assert (err.file, err.key) == ("income_tax.yaml", "version")


def test_unknown_expense_category_rejected(tmp_path):
    d = _break(tmp_path, "expense_codes.yaml", "category: staff,", "category: martians,")
    err = _error(d)
    assert (err.file, err.key) == ("expense_codes.yaml", "codes[0].category")


def test_unknown_hnte_category_rejected(tmp_path):
    d = _break(tmp_path, "expense_codes.yaml", "hnte: 人员人工费用, eligible: true",
               "hnte: 火星费用, eligible: true")
    err = _error(d)
    assert (err.file, err.key) == ("expense_codes.yaml", "codes[0].hnte")


def test_duplicate_code_rejected(tmp_path):
    d = _break(tmp_path, "expense_codes.yaml", "{code: R05, row: 5,", "{code: R04, row: 5,")
    err = _error(d)
    assert (err.file, err.key) == ("expense_codes.yaml", "codes[1]")


def test_bad_date_format_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", '{from: 2016-01-01, to: null, value: "0.80"',
               '{from: "2016/01/01", to: null, value: "0.80"')
    err = _error(d)
    assert (err.file, err.key) == ("super_deduction.yaml", "parameters.entrusted_factor[0].from")


def test_impossible_date_rejected(tmp_path):
    d = _break(tmp_path, "super_deduction.yaml", '{from: 2016-01-01, to: null, value: "0.80"',
               '{from: 2016-13-01, to: null, value: "0.80"')
    err = _error(d)
    assert err.file == "super_deduction.yaml"


def test_missing_layout_row_rejected(tmp_path):
    d = _break(tmp_path, "a107012_layouts.yaml", "  R24: 1.新产品设计费\n", "")
    err = _error(d)
    assert (err.file, err.key) == ("a107012_layouts.yaml", "common_rows.R24")


def test_missing_file_rejected(tmp_path):
    d = _copy(tmp_path)
    (d / "interpretations.yaml").unlink()
    err = _error(d)
    assert err.file == "interpretations.yaml"


def test_a_rejected_directory_is_not_cached(tmp_path):
    d = _break(tmp_path, "income_tax.yaml", "version: 1\n", "")
    _error(d)
    (d / "income_tax.yaml").write_text((PARAMS_DIR / "income_tax.yaml").read_text(encoding="utf-8"),
                                       encoding="utf-8")
    assert load_params(d).at("standard_rate", D(2024, 1, 1)).value == "0.25"


# --------------------------------------------------------------------------- identifiers

def _valid_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


@pytest.mark.parametrize("first17", ["91640100MA7X2K3L1", "91350100M000100Y4", "91110000600037341", "12100000400000000"])
def test_credit_code_valid(first17):
    code = _valid_code(first17)
    assert len(code) == 18
    assert check_credit_code(code) is None
    assert check_credit_code(code.lower()) is None            # case-insensitive
    assert check_credit_code(f" {code} ") is None


def test_credit_code_published_example():
    assert check_credit_code("91350100M000100Y43") is None    # the GB 32100-2015 example
    assert credit_code_check_char("91350100M000100Y4") == "3"


def test_credit_code_wrong_check_char():
    code = _valid_code("91640100MA7X2K3L1")
    wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[-1])
    msg = check_credit_code(code[:-1] + wrong)
    assert msg and "校验位" in msg and code[-1] in msg


def test_credit_code_forbidden_letter():
    code = _valid_code("91640100MA7X2K3L1")
    msg = check_credit_code(code[:10] + "I" + code[11:])
    assert msg and "I" in msg
    for letter in "OZSV":
        assert check_credit_code(code[:10] + letter + code[11:])


@pytest.mark.parametrize("code", ["", "9164010055417382", "91640100554173827", "9164010055417382711"])
def test_credit_code_wrong_length(code):
    msg = check_credit_code(code)
    assert msg and "18" in msg


@pytest.mark.parametrize("raw", ["C3981", "c3981", "3981", " C3981 ", "Ｃ３９８１"])
def test_normalize_industry_code(raw):
    assert normalize_industry_code(raw) == ("C3981", None)


def test_normalize_industry_code_levels():
    assert normalize_industry_code("C39") == ("C39", None)
    assert normalize_industry_code("C") == ("C", None)


@pytest.mark.parametrize("raw", ["C9999", "Z1234", "abc", "99999"])
def test_normalize_industry_code_rejected(raw):
    code, msg = normalize_industry_code(raw)
    assert code is None and msg and raw in msg


def _tech_no(year: int, eleventh: str) -> str:
    no = f"{year}640100" + eleventh + "A000123"         # year(4) + region(6) + 11th char + serial
    assert no[10] == eleventh
    return no


def test_tech_sme_covers():
    assert tech_sme_year(_tech_no(2024, "0")) == 2024
    assert tech_sme_covers(_tech_no(2024, "0"), 2024)
    assert tech_sme_covers(_tech_no(2024, "1"), 2024)          # year Y covers Y whatever the 11th char
    assert tech_sme_covers(_tech_no(2025, "0"), 2024)          # Y+1 with "0" covers Y
    assert not tech_sme_covers(_tech_no(2025, "1"), 2024)      # Y+1 with "1" does not
    assert not tech_sme_covers(_tech_no(2026, "0"), 2024)
    assert not tech_sme_covers(_tech_no(2023, "0"), 2024)
    assert not tech_sme_covers("abc", 2024)


def test_interpretations_doc_is_current():
    """docs/interpretations.md is generated from the YAML the app shows; it must not drift."""
    import importlib.util
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("mkdoc", root / "scripts" / "make_interpretations_doc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (root / "docs" / "interpretations.md").read_text(encoding="utf-8") == mod.render()
