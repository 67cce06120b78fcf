"""The command line (interfaces.md §2): the --json document, exit statuses, hostile inputs."""
from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import main
from forms.xlsx_reader import WorkbookError, read_workbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "sample_enterprise.xlsx"
AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
RATE = re.compile(r"^\d+\.\d{2,4}$")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def doc() -> dict:
    """The --json document for the sample enterprise, 2024 (run once through main.main)."""
    import contextlib
    import io
    buf, errbuf = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(errbuf):
        code = main.main(["compute", str(SAMPLE), "--year", "2024", "--json"])
    assert code == 0, errbuf.getvalue()
    return json.loads(buf.getvalue())


def _is_amount(value) -> bool:
    return isinstance(value, str) and bool(AMOUNT.match(value))


# --------------------------------------------------------------------------- the --json document

def test_compute_json_via_main_and_capsys(capsys):
    code, out, err = run(capsys, "compute", str(SAMPLE), "--year", "2024", "--json")
    assert code == 0
    assert "Traceback" not in err
    d = json.loads(out)
    assert d["schema"] == 1 and d["year"] == 2024 and d["period"] == "year"


def test_json_top_level_keys(doc):
    for key in ("schema", "enterprise", "year", "period", "super_deduction", "income_tax", "hnte", "tech_sme",
                "small_low_profit", "post_subsidy", "total_benefit", "findings"):
        assert key in doc, key
    assert doc["schema"] == 1
    assert doc["year"] == 2024 and isinstance(doc["year"], int)
    assert doc["period"] == "year"
    assert isinstance(doc["enterprise"]["name"], str) and doc["enterprise"]["name"]
    assert re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}", doc["enterprise"]["credit_code"])
    assert isinstance(doc["post_subsidy"], list)
    assert _is_amount(doc["total_benefit"])


def test_json_super_deduction(doc):
    sd = doc["super_deduction"]
    for key in ("eligible", "rate", "rate_source", "a107012", "extra_deduction", "tax_saving"):
        assert key in sd, key
    assert sd["eligible"] is True
    assert sd["rate"] == "1.00"                                  # 2024: 100% (2023年第7号)
    assert isinstance(sd["rate_source"], str) and "2023年第7号" in sd["rate_source"]
    assert _is_amount(sd["extra_deduction"]) and _is_amount(sd["tax_saving"])
    rows = sd["a107012"]
    for n in range(1, 53):
        assert str(n) in rows, n
    assert isinstance(rows["1"], int) and not isinstance(rows["1"], bool) and rows["1"] >= 1
    assert rows["50"] == sd["rate"] and RATE.match(rows["50"])
    for n in range(2, 53):
        if n == 50:
            continue
        value = rows[str(n)]
        assert isinstance(value, str) and AMOUNT.match(value), (n, value)
        assert "," not in value
    assert rows["51"] == sd["extra_deduction"]


def test_json_a107012_internal_sums(doc):
    rows = {k: v for k, v in doc["super_deduction"]["a107012"].items()}

    def fen(n):
        return int(Decimal(rows[str(n)]) * 100)

    assert fen(3) == fen(4) + fen(5) + fen(6)
    assert fen(7) == sum(fen(n) for n in range(8, 16))
    assert fen(16) == fen(17) + fen(18)
    assert fen(19) == fen(20) + fen(21) + fen(22)
    assert fen(23) == sum(fen(n) for n in range(24, 28))
    assert fen(28) == sum(fen(n) for n in range(29, 34))
    assert fen(2) == fen(3) + fen(7) + fen(16) + fen(19) + fen(23) + fen(34)


def test_json_income_tax(doc):
    it = doc["income_tax"]
    for key in ("taxable_income_before", "taxable_income_after", "regime", "rate", "tax_without_benefits",
                "tax_payable", "saving", "loss_carried_forward"):
        assert key in it, key
    for key in ("taxable_income_before", "taxable_income_after", "tax_without_benefits", "tax_payable", "saving",
                "loss_carried_forward"):
        assert _is_amount(it[key]), (key, it[key])
    assert it["regime"] in ("standard", "hnte", "small_low_profit", "none")
    assert isinstance(it["rate"], str) and RATE.match(it["rate"])
    assert it["regime"] == "standard" and it["rate"] == "0.25"


def test_json_hnte_tech_sme_slp(doc):
    h = doc["hnte"]
    for key in ("certified", "conditions", "score", "tax_saving"):
        assert key in h, key
    assert isinstance(h["certified"], bool)
    assert isinstance(h["conditions"], list)
    for c in h["conditions"]:
        assert {"id", "ok"} <= set(c)
    if h["score"] is not None:
        assert {"ip", "conversion", "management", "growth", "total", "verdict"} <= set(h["score"])
        assert h["score"]["verdict"] in ("pass_likely", "fail_likely", "uncertain")
    assert _is_amount(h["tax_saving"])
    t = doc["tech_sme"]
    for key in ("eligible", "score", "direct_pass"):
        assert key in t, key
    assert t["eligible"] in (True, False, None)
    assert t["score"] is None or (isinstance(t["score"], int) and not isinstance(t["score"], bool))
    assert "eligible" in doc["small_low_profit"]
    assert doc["small_low_profit"]["eligible"] in (True, False, None)


def test_json_post_subsidy_shape(doc):
    for pack in doc["post_subsidy"]:
        assert {"pack", "items", "amount", "up_to"} <= set(pack)
        assert _is_amount(pack["amount"])
        for item in pack["items"]:
            assert {"type", "base", "amount", "up_to"} <= set(item)


def test_json_findings(doc):
    findings = doc["findings"]
    assert isinstance(findings, list) and findings       # the sample carries warnings and infos
    for f in findings:
        assert {"severity", "code", "message", "sheet", "row", "column"} <= set(f), f
        assert f["severity"] in ("error", "warning", "info")
        assert isinstance(f["code"], str) and f["code"]
        assert isinstance(f["message"], str) and f["message"]
        assert f["row"] is None or (isinstance(f["row"], int) and f["row"] >= 1)
    assert not any(f["severity"] == "error" for f in findings)


def _walk(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, o


def test_json_has_no_floats_and_no_separator_amounts(doc):
    leaves = list(_walk(doc))
    assert [(p, v) for p, v in leaves if isinstance(v, float)] == []          # no JSON floats at all
    separated = [(p, v) for p, v in leaves
                 if isinstance(v, str) and re.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d{2}", v)
                 and not p.startswith(".super_deduction.trace.")]
    assert separated == []


def test_json_trace_row_inputs_are_amount_strings(doc):
    trace = doc["super_deduction"]["trace"]
    bad = [(key, name, value) for key, t in trace.items() for name, value in t["inputs"]
           if re.search(r"第\d+行", name) and not _is_amount(value)]
    assert bad == []


def test_compute_period_h1(capsys):
    code, out, err = run(capsys, "compute", str(SAMPLE), "--year", "2024", "--period", "H1", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["period"] == "H1" and d["year"] == 2024
    assert _is_amount(d["super_deduction"]["extra_deduction"])


def test_compute_text_summary(capsys):
    code, out, err = run(capsys, "compute", str(SAMPLE), "--year", "2024")
    assert code == 0, err
    assert "加计扣除" in out and "Traceback" not in out + err


def test_subprocess_compute_json():
    proc = subprocess.run([sys.executable, "main.py", "compute", "resources/sample/sample_enterprise.xlsx",
                           "--year", "2024", "--json"], cwd=ROOT, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    d = json.loads(proc.stdout.decode("utf-8"))
    assert d["schema"] == 1 and d["year"] == 2024
    assert "Traceback" not in proc.stderr.decode("utf-8", "replace")


# --------------------------------------------------------------------------- template

def test_template_writes_a_workbook(capsys, tmp_path):
    target = tmp_path / "x.xlsx"
    code, out, err = run(capsys, "template", "-o", str(target))
    assert code == 0, err
    assert target.is_file() and target.stat().st_size > 0
    assert zipfile.is_zipfile(target)
    names = openpyxl.load_workbook(target, read_only=True).sheetnames
    assert {"企业信息", "年度数据", "研发项目", "研发支出", "调整事项"} <= set(names)


# --------------------------------------------------------------------------- hostile inputs

def _text_renamed(tmp_path: Path) -> Path:
    p = tmp_path / "notes.xlsx"
    p.write_text("这不是工作簿\njust some text, 1,234.56\n", encoding="utf-8")
    return p


def _empty(tmp_path: Path) -> Path:
    p = tmp_path / "empty.xlsx"
    p.write_bytes(b"")
    return p


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "does-not-exist.xlsx"


def _truncated(tmp_path: Path) -> Path:
    data = SAMPLE.read_bytes()
    p = tmp_path / "truncated.xlsx"
    p.write_bytes(data[: len(data) // 2])
    return p


def _deflate_bomb(tmp_path: Path) -> Path:
    """A real zip bomb: 64 MB of zeros deflated to ~60 KB inside an otherwise plausible package."""
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(64):
                fh.write(chunk)
    return p


def _declared_huge(tmp_path: Path) -> Path:
    """A small zip whose member *declares* ~4 GB uncompressed (central directory and local header)."""
    p = tmp_path / "huge.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet/>" * 100)
    data = bytearray(p.read_bytes())
    huge = 0xFFFFFFF0
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        name = bytes(data[at + 46: at + 46 + name_len])
        if name == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, at + 24, huge)          # central directory: uncompressed size
            local = struct.unpack_from("<I", data, at + 42)[0]
            struct.pack_into("<I", data, local + 22, huge)       # local header: uncompressed size
        at = data.find(b"PK\x01\x02", at + 4)
    p.write_bytes(bytes(data))
    with zipfile.ZipFile(p) as zf:                               # the declaration really is there
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == huge
    return p


HOSTILE = {
    "text_renamed": (_text_renamed, "not_xlsx"),
    "empty": (_empty, "empty"),
    "missing": (_missing, "not_found"),
    "truncated": (_truncated, "truncated"),
    "deflate_bomb": (_deflate_bomb, "zip_bomb"),
    "declared_huge": (_declared_huge, "zip_bomb"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize("as_json", [False, True])
def test_hostile_input_exit_2_one_line(capsys, tmp_path, case, as_json):
    path = HOSTILE[case][0](tmp_path)
    argv = ["compute", str(path), "--year", "2024"] + (["--json"] if as_json else [])
    code, out, err = run(capsys, *argv)
    assert code == 2, err
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert path.name in lines[0]                     # names the file
    assert out.strip() == ""                         # nothing half-printed on stdout


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_workbook_error_code(tmp_path, case):
    make, expected = HOSTILE[case]
    with pytest.raises(WorkbookError) as info:
        read_workbook(make(tmp_path))
    assert info.value.code == expected
    assert "\n" not in str(info.value)


def test_hostile_input_subprocess_no_traceback(tmp_path):
    path = _truncated(tmp_path)
    proc = subprocess.run([sys.executable, "main.py", "compute", str(path), "--year", "2024", "--json"], cwd=ROOT,
                          capture_output=True, timeout=300)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_amount_cell_is_a_cell_error(capsys, tmp_path):
    """interfaces.md §2: an input error exits 2 with `工作表!单元格: 说明` lines on stderr."""
    path = tmp_path / "bad_amount.xlsx"
    shutil.copy(SAMPLE, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["研发支出"]
    header = [c.value for c in ws[1]]
    col = next(i for i, h in enumerate(header, 1) if h and str(h).startswith("会计金额"))
    ws.cell(2, col).value = "12,3a"
    wb.save(path)
    code, out, err = run(capsys, "compute", str(path), "--year", "2024")
    assert code == 2, err
    assert "Traceback" not in out + err
    letter = openpyxl.utils.get_column_letter(col)
    assert any(line.startswith(f"研发支出!{letter}2") and "12,3a" in line for line in err.splitlines()), err


# --------------------------------------------------------------------------- usage errors

def test_missing_year_is_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main.main(["compute", str(SAMPLE)])
    assert info.value.code == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "--year" in err


def test_bad_period_is_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main.main(["compute", str(SAMPLE), "--year", "2024", "--period", "Q2"])
    assert info.value.code == 1
    assert "Traceback" not in capsys.readouterr().err


def test_usage_error_subprocess_exit_1():
    proc = subprocess.run([sys.executable, "main.py", "compute", "resources/sample/sample_enterprise.xlsx"],
                          cwd=ROOT, capture_output=True, timeout=300)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1
    assert "Traceback" not in err and "--year" in err


@pytest.mark.parametrize("command", ["compute", "export", "statement"])
@pytest.mark.parametrize("year", [2015, 1999, 2101])
def test_year_outside_the_rules_is_one_line_exit_2(command, year, capsys, tmp_path, monkeypatch):
    """EV1 (fixed): a tax year no dated rule covers is refused with one Chinese line, never 内部错误."""
    import main
    from calc.evaluate import UnsupportedYear, evaluate, year_range
    from forms.workbook import load_ledger

    monkeypatch.setenv("HOME", str(tmp_path))
    extra = {"compute": [], "export": ["--out", str(tmp_path / "out")], "statement": ["-o", str(tmp_path / "s.pdf")]}
    rc = main.main([command, str(SAMPLE), "--year", str(year), *extra[command]])
    err = capsys.readouterr().err
    assert rc == 2 and "不在本应用可计算的范围内" in err and "内部错误" not in err
    assert year_range() == (2016, 2100)
    with pytest.raises(UnsupportedYear):
        evaluate(load_ledger(SAMPLE), year)
