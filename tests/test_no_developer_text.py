"""No developer text in anything a user prints (issue 15, review S27–S31, V2, V5).

Every statement variant (annual 2024, H1, Q1–Q3, 2022 annual, the HNTE-certified scenario, with the 留存备查资料清单,
the quick estimate) and every export (A107012.xlsx, 研发支出辅助账.xlsx, 研发支出辅助账汇总表.xlsx), and the
human-readable strings of the JSON, are rendered; all their text is extracted and must not contain file names,
paths, function-call notation, parameter ids, §-references to internal specs, English words (outside the form
names and identifiers users know: A107012, PDF, RD03, NE05, GB/T …, and whatever the user's own workbook contains),
nor — on page 1 — interpretation codes (AI-…, PS-…).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
import subprocess

import openpyxl
import pytest

import main
from calc.evaluate import evaluate
from calc.evidence import build_checklist
from forms.exports import export_all
from forms.report import evaluation_json
from forms.statement import write_statement
from forms.workbook import load_ledger

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")

ISSUED = dt.date(2026, 12, 7)

# the brief's patterns: identifiers, file names, internal words; ASCII word boundaries (CJK is not a word char here)
DEVELOPER = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|\b[A-Za-z_]+\.(md|py|yaml|json)\b|\b(solid|provisional|pooled|rules per|EIT Law)\b"
                       r"|round_fen", re.ASCII)
PATH = re.compile(r"\b(?:resources|calc|forms|desktop|docs|tests|scripts)/|(?:[\w.-]+/)+[\w.-]+\.[a-z]{2,4}\b", re.ASCII)
CALL = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\((?!\s*[一二三四五六七八九十\d])", re.ASCII)   # min(…), max(…), f(x)
URL = re.compile(r"https?://\S+(?:\s*\n[\w./-]+\.html?\b)?")           # a public page cited by its address (may wrap)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)*", re.ASCII)
PAGE1_CODES = re.compile(r"\b(?:AI|PS)-[A-Z0-9-]+", re.ASCII)
# identifiers users know: form and table names, project / code / gate / rule ids, units
ID_LIKE = re.compile(r"^(?:[A-Z]{1,4}[0-9]+[A-Za-z]?[0-9]*(?:-[A-Z0-9]+)*|[A-Z]{1,4}-[0-9]+|[A-Z]{1,2}[0-9]?"
                     r"|(?:AI|PS)(?:-[A-Z0-9]+)+|[A-Z]{2}(?:-[A-Z0-9]+)+)$", re.ASCII)   # AI-… codes: not on page 1; 报告编号
ALLOWED_WORDS = {"A107012", "A100000", "A107010", "A101010", "A107041", "PDF", "GB/T", "GB", "RISK", "ID", "Excel",
                 "AI", "PS", "WPS"}


def _user_words(ledger_path) -> set[str]:
    """Every Latin word of the user's own workbook (names of entrustees, employee ids …): the user's data, printed
    back as typed, is not developer text."""
    words = set()
    wb = openpyxl.load_workbook(ledger_path, read_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, str):
                    words.update(WORD.findall(v))
    wb.close()
    return words


def problems(text: str, allowed: set[str], page1: bool = False) -> list[str]:
    """What in ``text`` reads as developer text: the matches, each with a little context."""
    text = URL.sub(" ", text)
    found = []

    def ctx(m):
        a, b = max(0, m.start() - 20), min(len(text), m.end() + 20)
        return f"{m.group(0)!r} in …{text[a:b]!r}…".replace("\\n", " ")

    for rx in (DEVELOPER, PATH, CALL):
        found += [ctx(m) for m in rx.finditer(text)]
    found += [ctx(m) for m in re.finditer("§", text)]
    for m in WORD.finditer(text):
        w = m.group(0)
        if w in allowed or w in ALLOWED_WORDS or all(ID_LIKE.match(x) or x in allowed for x in w.split("/")):
            continue
        found.append(ctx(m))
    if page1:
        found += [ctx(m) for m in PAGE1_CODES.finditer(text)]
    return found


def pdf_text(path, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext"] + (["-f", str(first)] if first else []) + (["-l", str(last)] if last else []) + [str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def xlsx_texts(path) -> str:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        out.append(ws.title)
        for row in ws.iter_rows(values_only=True):
            out += [v for v in row if isinstance(v, str)]
        for hf in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter):
            for part in (hf.left, hf.center, hf.right):
                if part.text:
                    out.append(re.sub(r"&[A-Z]|&\"[^\"]*\"|&\d+", " ", part.text))
    return "\n".join(out)


def json_texts(doc) -> str:
    """The human-readable strings of the JSON: those with Chinese in them (ids, codes and numbers are data)."""
    out = []

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str) and re.search(r"[\u4e00-\u9fff]", x):
            out.append(x)
    walk(doc)
    return "\n".join(out)


@pytest.fixture(scope="module")
def sample():
    ledger = load_ledger(main.SAMPLE)
    return ledger, _user_words(main.SAMPLE) | {ledger.profile.hnte_cert_no or "", "GR202364000123"}


def _hnte_ledger(ledger):
    prof = dataclasses.replace(ledger.profile, hnte_cert_no="GR202364000123", hnte_cert_date=dt.date(2023, 11, 30))
    return dataclasses.replace(ledger, profile=prof)


def _quick_ev():
    from calc.quick import QuickInput, evaluate_quick
    w = lambda x: int(x * 1_000_000)         # noqa: E731 — 万元 → 分
    q = QuickInput(year=2024, name="甲公司", industry_code="C3981", staff=w(85), direct=w(30), depreciation=w(7.5),
                   amortisation=w(5), design=w(5), other=w(17.5), entrusted_domestic=w(35), entrusted_overseas=w(15),
                   main_revenue=w(9500), total_income=w(10000), manufacturing_revenue=w(8000), negative_list_revenue=0,
                   taxable_income=w(1000), packs=("ningxia-2022",))
    return evaluate_quick(q)


VARIANTS = {
    "2024年度": lambda L: (evaluate(L, 2024), None),
    "2024年上半年": lambda L: (evaluate(L, 2024, "H1"), None),
    "2024年前三季度": lambda L: (evaluate(L, 2024, "Q1-Q3"), None),
    "2022年度": lambda L: (evaluate(L, 2022), None),
    "2023年度": lambda L: (evaluate(L, 2023), None),
    "高企证书": lambda L: (evaluate(_hnte_ledger(L), 2024), None),
    "留存备查清单": lambda L: (evaluate(L, 2024), build_checklist(L, 2024)),
    "快速测算": lambda L: (_quick_ev(), None),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_statement_has_no_developer_text(sample, variant, tmp_path):
    ledger, allowed = sample
    ev, checklist = VARIANTS[variant](ledger)
    for appendix in (False, True):              # the owner's version and the one with the technical appendix
        out = tmp_path / f"s{appendix}.pdf"
        write_statement(ev, out, issued=ISSUED, checklist=checklist, appendix=appendix)
        assert problems(pdf_text(out), allowed) == []
        assert problems(pdf_text(out, 1, 1), allowed, page1=True) == []
        if not appendix and checklist is None:      # the owner's version has no appendix: no code anywhere
            assert problems(pdf_text(out), allowed, page1=True) == []


def test_exports_have_no_developer_text(sample, tmp_path):
    ledger, allowed = sample
    for year in (2022, 2024):
        paths = export_all(evaluate(ledger, year), tmp_path / str(year))
        assert len(paths) == 3
        for p in paths:
            assert problems(xlsx_texts(p), allowed) == [], p.name


def test_json_strings_have_no_developer_text(sample):
    ledger, allowed = sample
    for ev in (evaluate(ledger, 2024), evaluate(ledger, 2022), evaluate(_hnte_ledger(ledger), 2024)):
        doc = json.loads(json.dumps(evaluation_json(ev), ensure_ascii=False, default=str))
        assert problems(json_texts(doc), allowed) == []


def test_the_checker_catches_what_the_review_found():
    """The patterns of review S27/S11/S8/V2/V5 are all caught (the checker itself is tested)."""
    for bad in ("round_fen(min(第28行, 1))", "计算口径 pooled", "起摊月份 formation_month", "super_deduction.md §1.4",
                "resources/params/risk_rules.yaml", "EIT Law：《中华人民共和国企业所得税法》", "正式规则（solid）",
                "（rules per 国科发火〔2016〕32号）", "max(0, 45 − 46)", "报表版式：from_2023", "all_100 100%",
                "与 interfaces.md 示例一致", "采用的解释口径（Adopted interpretations）", "规则包 ningxia-2022 v1"):
        assert problems(bad, set()), bad
    assert problems("节税额（AI-SD-15）", set(), page1=True)
    for good in ("财税〔2015〕119号第二条第1项", "A107012第40行", "RD03（2023-07-10形成）", "第45行减第46行，不小于零",
                 "GB/T 4754-2017", "H5b 境内研究开发费用", "RISK-02 人员月度工时超过100%"):
        assert problems(good, set()) == [], good
