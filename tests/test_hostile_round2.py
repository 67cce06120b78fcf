"""Regression tests of the hostile-input review (shared/reviews/hostile-input.md), second round (issue 17).

One test (or a few) per finding, named after its id.  No timed assertions: the resource findings (R1, R2, R6)
assert a bounded-work property; where a run could hang if the fix were removed it runs in a subprocess under a
generous timeout, only as a guard."""
from __future__ import annotations

import datetime as dt
import os
import random
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import main
from tests.builders import build, line, profile, project

ROOT = Path(__file__).resolve().parent.parent


def _guard(code: str, timeout: int = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter from the checkout; a hang fails the test instead of the suite."""
    full_env = {**os.environ, **(env or {})}
    try:
        return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=full_env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {timeout} s (unbounded work)")


# --------------------------------------------------------------------------- R1: voucher regex backtracking

_OLD_VOUCHER = re.compile(
    r"^(?P<kind>[^\d\s\-_:：#·.,，第号]+?)?\s*字?\s*[-_—:：#·.]?\s*第?\s*(?P<no>\d+)\s*号?$")


def _old_parse_voucher(text):
    """parse_voucher as it was (the definition; exponential only on long whitespace runs)."""
    from forms.erp_import import _text
    t = _text(text)
    if t is None:
        return None, None
    m = _OLD_VOUCHER.match(t)
    if not m:
        return None, t
    no = m.group("no").lstrip("0") or "0"
    return (m.group("kind") or "").strip() or None, no


def test_R1_voucher_regex_linear():
    from forms.erp_import import _VOUCHER_RE, parse_voucher
    # the bounded-work property: no whitespace quantifier left in the pattern (the text is matched without its
    # whitespace), so no two quantifiers can share a run of characters
    assert r"\s" not in _VOUCHER_RE.pattern
    # same answers as before on short texts (where the old pattern is fast)
    rnd = random.Random(17)
    alphabet = list("记账字第号-_—:：#·.0123 \t\u3000x")
    for _ in range(20000):
        s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 10)))
        assert parse_voucher(s) == _old_parse_voucher(s), repr(s)
    for s, want in [("记-0012", ("记", "12")), ("记字第12号", ("记", "12")), (" 记 字 第 12 号 ", ("记", "12")),
                    (12, (None, "12")), ("1 2", (None, "1 2"))]:
        assert parse_voucher(s) == want


def test_R1_voucher_padded_cells_finish():
    r = _guard("""
        from forms.erp_import import parse_voucher
        for n in (500, 5000, 100000):
            for pad in (" ", "\\u3000", "\\t"):
                assert parse_voucher("记" + pad * n + "x") == (None, "记" + pad * n + "x") or n > 200
                assert parse_voucher("记" + pad * n + "12")[1] is not None
        print("ok")
    """, timeout=240)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


def test_R1_module_regexes_bounded():
    """Every module-level regex of calc/ and forms/ against the review's adversarial probes (redos_scan.py), at
    300 repetitions: finishes (the old voucher pattern alone took minutes here)."""
    r = _guard("""
        import importlib, pkgutil, re
        FILL = [" ", "\\t", "0", "1", "a", "A", "记", "-", ".", "_", ",", "年", ":", "—", " 0", "0.", "a-", "RD",
                "\\u3000", "/"]
        PRE = ["", "记", "科目：", "123", "2024", "RD", "研发项目", "¥", "(", "项目"]
        SUF = ["x", "!", "\\n", "号x", "", "年x", ")"]
        n = 0
        for pkg in ("calc", "forms"):
            mod = importlib.import_module(pkg)
            for info in pkgutil.iter_modules(mod.__path__):
                m = importlib.import_module(f"{pkg}.{info.name}")
                for val in list(vars(m).values()):
                    if isinstance(val, re.Pattern) and isinstance(val.pattern, str):
                        n += 1
                        for pre in PRE:
                            for fill in FILL:
                                for suf in SUF:
                                    s = pre + fill * 300 + suf
                                    val.match(s)
                                    val.search(s)
        print("patterns", n)
    """, timeout=900)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.split()[-1]) >= 20


# --------------------------------------------------------------------------- R2: YAML alias bomb

_BOMB = "\n".join(['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
                  + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
                  + ["id: bomb-pack\nname: 炸弹\nitems: *a9"])


def test_R2_yaml_alias_bomb_refused(tmp_path):
    cfg = tmp_path / "cfg"
    (cfg / "rd-benefit" / "packs").mkdir(parents=True)
    (cfg / "rd-benefit" / "packs" / "bomb.yaml").write_text(_BOMB, encoding="utf-8")
    (cfg / "rd-benefit" / "erp_presets").mkdir(parents=True)
    r = _guard("""
        from calc.subsidy import list_packs
        errors = []
        infos = list_packs(errors=errors)
        assert infos, "the shipped packs are still listed"
        assert len(errors) == 1 and "别名" in str(errors[0]) and "bomb.yaml" in str(errors[0]), errors
        print("ok", errors[0])
    """, timeout=300, env={"XDG_CONFIG_HOME": str(cfg), "APPDATA": str(cfg)})
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "main.py", "packs"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "XDG_CONFIG_HOME": str(cfg), "APPDATA": str(cfg)})
    assert r.returncode == 2 and "别名" in r.stderr and "Traceback" not in r.stderr


def test_R2_every_user_yaml_loader_refuses_aliases(tmp_path):
    import yaml

    from calc import yamlsafe
    from calc.params import ParamError, load_params
    from forms.erp_import import PresetError, _read_preset_file
    with pytest.raises(yaml.YAMLError) as e:
        yamlsafe.load(_BOMB)
    assert "别名" in str(e.value.problem) and e.value.problem_mark.line == 1
    with pytest.raises(yaml.YAMLError):
        yamlsafe.load("x: " + "a" * (yamlsafe.MAX_CHARS + 1))
    assert yamlsafe.load("a: &x 1\nb: 2") == {"a": 1, "b": 2}      # an anchor alone is harmless
    preset = tmp_path / "p.yaml"
    preset.write_text(_BOMB, encoding="utf-8")
    with pytest.raises(PresetError, match="别名"):
        _read_preset_file(preset, "user")
    params = tmp_path / "params"
    params.mkdir()
    import shutil

    from calc.params import PARAMS_DIR
    for f in PARAMS_DIR.glob("*.yaml"):
        shutil.copy(f, params / f.name)
    (params / "income_tax.yaml").write_text(_BOMB, encoding="utf-8")
    with pytest.raises(ParamError, match="别名"):
        load_params(params)


# --------------------------------------------------------------------------- R6 / M8: big CSV

def test_R6_csv_bounded(tmp_path, monkeypatch):
    import io

    from forms import xlsx_reader
    from forms.xlsx_reader import WorkbookError, _csv_lines, read_csv
    assert xlsx_reader._CSV_MAX <= 100 * 1024 ** 2          # the documented cap (about 2 GB at peak)
    rnd = random.Random(6)
    for _ in range(5000):                                   # streamed lines == the StringIO lines it replaced
        t = "".join(rnd.choice('ab,"\r\n\x0b\u2028') for _ in range(rnd.randint(0, 14)))
        assert list(_csv_lines(t)) == list(io.StringIO(t, newline=""))
    p = tmp_path / "凭证.csv"
    p.write_text("日期,凭证字号,摘要,科目,借方\r2024-03-05,记-1,a,6601,100\r", encoding="utf-8")
    assert read_csv(p).sheets["凭证"].rows[1][:2] == ["2024-03-05", "记-1"]      # CR-only line ends
    monkeypatch.setattr(xlsx_reader, "_CSV_MAX", 20)
    with pytest.raises(WorkbookError, match="过大无法导入，请拆分") as e:
        read_csv(p)
    assert e.value.code == "too_large"


def test_M8_csv_huge_field(tmp_path):
    from forms.xlsx_reader import WorkbookError, read_csv
    p = tmp_path / "凭证.csv"
    p.write_text("日期,凭证字号,摘要,借方\n2024-03-05,记-1,a,100\n2024-03-06,记-2," + "长" * 200_000 + ",5\n",
                 encoding="utf-8")
    with pytest.raises(WorkbookError) as e:
        read_csv(p)
    assert "字段过长" in str(e.value) and "第 3 行" in str(e.value) and "格式有误" not in str(e.value)


# --------------------------------------------------------------------------- D2 / M11: CLI outputs and inputs

def test_D2_statement_output_onto_input_refused(tmp_path, capsys):
    import shutil
    src = tmp_path / "台账.xlsx"
    shutil.copy(main.SAMPLE, src)
    before = src.read_bytes()
    assert main.main(["statement", str(src), "--year", "2024", "-o", str(src)]) == 1
    err = capsys.readouterr().err
    assert "就是输入文件" in err and src.read_bytes() == before
    # the same file through another spelling of its path
    other = tmp_path / "sub" / ".." / "台账.xlsx"
    (tmp_path / "sub").mkdir()
    assert main.main(["statement", str(src), "--year", "2024", "-o", str(other)]) == 1
    assert src.read_bytes() == before


def test_D2_output_extension_must_match(tmp_path, capsys):
    out = tmp_path / "报告.xlsx"
    assert main.main(["statement", str(main.SAMPLE), "--year", "2024", "-o", str(out)]) == 1
    assert "扩展名应为 .pdf" in capsys.readouterr().err and not out.exists()
    t = tmp_path / "模板.pdf"
    assert main.main(["template", "-o", str(t)]) == 1
    assert "扩展名应为 .xlsx" in capsys.readouterr().err and not t.exists()


def test_D2_export_over_input_refused(tmp_path, capsys):
    import shutil

    from calc.evaluate import evaluate
    from forms.exports import export_names
    from forms.workbook import load_ledger
    src = tmp_path / export_names(evaluate(load_ledger(main.SAMPLE), 2024, "year"))[0]
    shutil.copy(main.SAMPLE, src)
    before = src.read_bytes()
    assert main.main(["export", str(src), "--year", "2024", "--out", str(tmp_path)]) == 1
    assert "就是输入文件" in capsys.readouterr().err and src.read_bytes() == before


def test_M11_compute_and_export_accept_rdw(tmp_path, capsys):
    from forms.workbook import load_ledger
    from forms.workspace import Workspace
    rdw = tmp_path / "企业.rdw"
    Workspace.create(rdw, load_ledger(main.SAMPLE)).close()
    assert main.main(["compute", str(main.SAMPLE), "--year", "2024", "--json"]) == 0
    want = capsys.readouterr().out
    assert main.main(["compute", str(rdw), "--year", "2024", "--json"]) == 0
    got = capsys.readouterr().out
    assert '"R40"' in got or "R40" in got
    import json
    assert json.loads(got)["super_deduction"] == json.loads(want)["super_deduction"]
    assert main.main(["export", str(rdw), "--year", "2024", "--out", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").glob("*A107012.xlsx"))) == 1
    assert "不是 Excel 工作簿" not in capsys.readouterr().err


# --------------------------------------------------------------------------- M5: dates

def test_M5_invalid_time_and_far_dates(tmp_path):
    from calc.values import ValueProblem, parse_date
    with pytest.raises(ValueProblem, match="时间无效"):
        parse_date("2024-3-5 25:61")
    assert parse_date("2024-3-5 23:59:59") == dt.date(2024, 3, 5)
    path = build(tmp_path, projects=[project("RD01")],
                 lines=[line("2024-03-05", "RD01", "R04", 100),
                        line(dt.date(9999, 12, 31), "RD01", "R04", 200),
                        line(dt.date(1899, 12, 31), "RD01", "R04", 300),
                        line("2024-03-06", "RD01", "R04", 400, summary="x")])
    from forms.workbook import load_ledger
    ledger = load_ledger(path)
    bad = [f for f in ledger.findings if f.code == "E_DATE"]
    assert len(bad) == 2 and "超出可处理的范围" in bad[0].message      # (1899 is no Excel date: a time, refused)
    assert sorted(ln.amount for ln in ledger.lines) == [10000, 40000]


def test_M5_far_date_in_large_column(tmp_path):
    """The whole-column fast path (more than 64 cells, all dates) checks the range too."""
    lines = [line("2024-03-05", "RD01", "R04", 1) for _ in range(80)] + [line(dt.date(9999, 12, 31), "RD01", "R04", 2)]
    path = build(tmp_path, projects=[project("RD01")], lines=lines)
    from forms.workbook import load_ledger
    ledger = load_ledger(path)
    assert [f.code for f in ledger.findings if f.severity == "error"] == ["E_DATE"]
    assert len(ledger.lines) == 80


# --------------------------------------------------------------------------- M9: long values quoted briefly

def test_M9_long_values_quoted_briefly(tmp_path):
    from forms.workbook import load_ledger
    long_code = "9" * 5000
    path = build(tmp_path, prof=profile(credit_code=long_code, industry_code="行" * 5000),
                 projects=[project("P" + "x" * 4999)], lines=[line("2024-03-05", "Q" + "y" * 4999, "R04", 1)])
    ledger = load_ledger(path)
    msgs = [f.message for f in ledger.findings]
    assert any("统一社会信用代码" in m for m in msgs) and any("项目编号" in m for m in msgs)
    for m in msgs:
        assert len(m) < 200, m
        for quoted in re.findall(r"“([^”]*)”", m):
            assert len(quoted) <= 60, m


# --------------------------------------------------------------------------- workspace files (C5, D3, D4, D5, M1, M3, M12)

@pytest.fixture
def good_rdw(tmp_path):
    from forms.workbook import load_ledger
    from forms.workspace import Workspace
    p = tmp_path / "企业.rdw"
    Workspace.create(p, load_ledger(main.SAMPLE)).close()
    return p


def _fill_work_copy(ws):
    """Make the working copy's database refuse to grow, as a full temp folder does (SQLITE_FULL)."""
    pages = ws._conn.execute("PRAGMA page_count").fetchone()[0]
    ws._conn.execute(f"PRAGMA max_page_count = {pages}")


def test_C5_full_temp_folder_edit_refused_in_chinese(good_rdw):
    import sqlite3

    from forms.workspace import Workspace, WorkspaceError
    ws = Workspace.open(good_rdw, recover=False)
    try:
        row = ws.rows("lines")[0]
        _fill_work_copy(ws)
        with pytest.raises(WorkspaceError) as e:
            for i in range(50):
                ws.set_value("lines", row["id"], "summary", "很长的摘要" * 400 + str(i))
        msg = str(e.value)
        assert "空间已满" in msg and "已撤回" in msg and "disk" not in msg
        assert isinstance(e.value, sqlite3.OperationalError)       # callers that caught the raw error still do
        assert ws.row("lines", row["id"])["summary"] in (row["summary"],) or "很长的摘要" in ws.row("lines", row["id"])["summary"]
        assert not ws.can_undo or ws.undo_label                  # undo stack consistent
        # an import (many rows in one batch) gets the same Chinese message
        with pytest.raises(WorkspaceError, match="空间已满"):
            ws.insert_rows("lines", [{"summary": "摘要" * 500, "amount": "1"}] * 200)
    finally:
        ws.close(discard=True)


def test_C5_model_setData_never_raises(good_rdw, qtbot):
    from desktop.table_model import WorkspaceTableModel
    from forms.workspace import Workspace
    ws = Workspace.open(good_rdw, recover=False)
    try:
        model = WorkspaceTableModel(ws, "lines")
        messages = []
        model.edit_failed.connect(messages.append)
        col = [c.field for c in model.columns].index("summary")
        _fill_work_copy(ws)
        ok = True
        for i in range(50):
            ok = model.setData(model.index(0, col), "很长的摘要" * 400 + str(i))
            if not ok:
                break
        assert ok is False and messages and "空间已满" in messages[-1]
    finally:
        ws.close(discard=True)


def test_D3_symlinked_workspace_saves_target(good_rdw, tmp_path):
    from forms.workspace import Workspace
    link = tmp_path / "链接" / "我的.rdw"
    link.parent.mkdir()
    os.symlink(good_rdw, link)
    ws = Workspace.open(link, recover=False)
    ws.set_profile("prepared_by", "张三")
    ws.autosave()
    ws.save()
    ws.close()
    assert link.is_symlink() and os.path.realpath(link) == str(good_rdw)
    with Workspace.open(good_rdw, readonly=True) as again:
        assert again.profile().get("prepared_by") == "张三"
    assert not list(link.parent.glob("*-autosave")) and not list(link.parent.glob("*-lock"))
    # save_as onto a link writes through it too
    other = tmp_path / "另.rdw"
    Workspace.create(other).close()
    link2 = tmp_path / "链接" / "另一个.rdw"
    os.symlink(other, link2)
    with Workspace.open(good_rdw, recover=False) as ws2:
        ws2.save_as(link2)
    assert link2.is_symlink()
    with Workspace.open(other, readonly=True) as again:
        assert again.profile().get("prepared_by") == "张三"


@pytest.mark.parametrize("n", [70, 74, 76, 78, 82])
def test_D4_long_workspace_names(good_rdw, tmp_path, n):
    import shutil

    from forms.workspace import Workspace
    d = tmp_path / "long"
    d.mkdir()
    p = d / ("长" * n + ".rdw")
    shutil.copy(good_rdw, p)
    ws = Workspace.open(p, recover=False)
    ws.set_profile("prepared_by", "x")
    assert ws.autosave() is True
    assert Workspace.recovery_available(p) is not None
    ws.save()
    ws.close()
    assert all(len(f.name.encode()) <= 255 for f in d.iterdir())
    with Workspace.open(p, readonly=True) as again:
        assert again.profile().get("prepared_by") == "x"
    Workspace.create(d / ("新" * n + ".rdw")).close()


def test_D4_name_too_long_is_refused_clearly(tmp_path):
    from forms.workspace import Workspace, WorkspaceError
    with pytest.raises(WorkspaceError, match="过长.*较短的文件名"):
        Workspace.create(tmp_path / ("长" * 90 + ".rdw"))
    with pytest.raises(WorkspaceError, match="过长"):
        Workspace.open(tmp_path / ("长" * 90 + ".rdw"))


def test_D5_lines_table_dropped_is_damaged(good_rdw):
    import sqlite3

    from forms.workspace import Workspace, WorkspaceError
    c = sqlite3.connect(good_rdw)
    c.execute("DROP TABLE lines")
    c.commit()
    c.close()
    with pytest.raises(WorkspaceError, match="已损坏.*研发支出"):
        Workspace.open(good_rdw, recover=False)


def test_M1_corrupt_workspace_one_chinese_line(good_rdw):
    from forms.workspace import Workspace, WorkspaceError
    data = bytearray(good_rdw.read_bytes())
    r = random.Random(7)
    for _ in range(200):
        data[r.randrange(4096, len(data))] ^= 0xFF
    good_rdw.write_bytes(bytes(data))
    with pytest.raises(WorkspaceError) as e:
        Workspace.open(good_rdw, recover=False)
    msg = str(e.value)
    assert "\n" not in msg and "已损坏" in msg or "不是研发惠企工作区文件" in msg
    assert "page" not in msg and "Rowid" not in msg and len(msg) < 200


def test_M12_foreign_lock_take_over(good_rdw):
    import json

    from forms.workspace import Workspace, WorkspaceLocked
    lock = good_rdw.with_name(good_rdw.name + "-lock")
    lock.write_text(json.dumps({"app": "研发惠企测算", "pid": 4242, "host": "other-pc", "user": "李会计",
                                "time": "2026-12-04T09:00:00+08:00", "token": "x"}), encoding="utf-8")
    with pytest.raises(WorkspaceLocked) as e:
        Workspace.open(good_rdw)
    assert e.value.foreign and "接管编辑" in str(e.value) and lock.name in str(e.value)
    Workspace.take_over_lock(e.value)
    with Workspace.open(good_rdw) as ws:
        ws.set_profile("prepared_by", "新")
        ws.save()
    # a lock that changed since it was shown is not taken over
    lock.write_text(json.dumps({"host": "other-pc", "user": "甲", "pid": 1, "token": "a"}), encoding="utf-8")
    with pytest.raises(WorkspaceLocked) as e2:
        Workspace.open(good_rdw)
    lock.write_text(json.dumps({"host": "other-pc", "user": "乙", "pid": 2, "token": "b"}), encoding="utf-8")
    with pytest.raises(WorkspaceLocked, match="乙"):
        Workspace.take_over_lock(e2.value)
    lock.unlink()


def test_M12_gui_offers_take_over(good_rdw, qtbot):
    import json

    from desktop.main_window import MainWindow
    lock = good_rdw.with_name(good_rdw.name + "-lock")
    lock.write_text(json.dumps({"app": "研发惠企测算", "pid": 4242, "host": "other-pc", "user": "李会计",
                                "time": "2026-12-04T09:00:00+08:00", "token": "x"}), encoding="utf-8")
    w = MainWindow()
    qtbot.addWidget(w)
    asked = []
    w.ask = lambda title, text, buttons=(): asked.append(buttons) or list(buttons).index("接管编辑")
    assert w.open_path(good_rdw)
    assert "接管编辑" in asked[-1] and not w.doc.ws.readonly
    w.doc.detach(discard=True)


def test_M3_workbook_on_read_only_location(tmp_path, monkeypatch, qtbot):
    import shutil

    from desktop.main_window import MainWindow
    from forms import workspace as W
    ro = tmp_path / "U盘"
    ro.mkdir()
    src = ro / "台账.xlsx"
    shutil.copy(main.SAMPLE, src)
    home = tmp_path / "文档"
    home.mkdir()
    real_access = os.access
    monkeypatch.setattr(W.os, "access", lambda p, mode, **k: False if Path(p) == ro else real_access(p, mode, **k))
    target, beside = W.workspace_next_to(src, [home])
    assert target == home / "台账.rdw" and beside is False
    w = MainWindow()
    qtbot.addWidget(w)
    monkeypatch.setattr(w.settings, "start_folder", lambda: str(home))
    asked = []
    w.ask = lambda title, text, buttons=(): asked.append(text) or 0
    assert w.open_path(src)
    assert "只读" in asked[-1] and w.doc.ws.path == home / "台账.rdw"
    w.doc.detach(discard=True)
    monkeypatch.setattr(W.os, "access", lambda p, mode, **k: False)
    with pytest.raises(W.WorkspaceError, match="复制到可写的文件夹"):
        W.workspace_next_to(src, [home])


# --------------------------------------------------------------------------- content: M4, M6, M7, M13, M14

def _findings(path, code):
    from forms.workbook import load_ledger
    ledger = load_ledger(path)
    return ledger, [f for f in ledger.findings if f.code == code]


def test_M4_tax_amount_far_above_or_other_sign(tmp_path):
    path = build(tmp_path, projects=[project("RD01")],
                 lines=[line("2024-03-05", "RD01", "R04", 10000, tax_amount=99999999),
                        line("2024-03-06", "RD01", "R04", 10000, tax_amount=-5000),
                        line("2024-03-07", "RD01", "R04", 10000, tax_amount=12000),       # plausible: no warning
                        line("2024-03-08", "RD01", "R04", 10000)])
    ledger, found = _findings(path, "W_TAX_AMOUNT")
    assert [f.row for f in found] == [2, 3]
    assert "10倍" in found[0].message and "正负相反" in found[1].message
    assert all(f.column == "税法金额" and f.cell and f.cell.endswith(str(f.row)) for f in found)
    assert len(ledger.lines) == 4                       # a warning: the lines are kept


def test_M4_tax_amount_checked_on_the_fast_path(tmp_path):
    """More than 64 rows (the column-wise paths) and the quiet-row mask: the odd row still gets its warning."""
    lines = [line("2024-03-05", "RD01", "R04", 100) for _ in range(100)]
    lines[57] = line("2024-03-05", "RD01", "R04", 100, tax_amount=-1)
    path = build(tmp_path, projects=[project("RD01")], lines=lines)
    _, found = _findings(path, "W_TAX_AMOUNT")
    assert [f.row for f in found] == [59]


def test_M6_lookalike_project_numbers(tmp_path):
    path = build(tmp_path, projects=[project("rd01"), project("RD01"), project("ＲＤ01"), project("RDé"),
                                     project("RDe\u0301"), project("RD02")],
                 lines=[line("2024-03-05", "RD01", "R04", 1), line("2024-03-05", "RD02", "R04", 1),
                        line("2024-03-05", "Rd02", "R04", 1)])
    ledger, found = _findings(path, "W_PROJECT_LOOKALIKE")
    assert len(found) == 3 and "rd01" in found[0].message and "可能是同一项目" in found[0].message
    unknown = [f for f in ledger.findings if f.code == "E_PROJECT_UNKNOWN"]
    assert len(unknown) == 1 and "与已登记的“RD02”" in unknown[0].message


def test_M6_zero_width_in_identifiers_removed(tmp_path):
    path = build(tmp_path, projects=[project("RD\u200b01")],
                 lines=[line("2024-03-05", "\ufeffRD01", "R\u200d04", 5), line("2024-03-05", "RD01", "R04", 7)])
    ledger, dup = _findings(path, "E_PROJECT_UNKNOWN")
    assert not dup and list(ledger.projects) == ["RD01"]
    assert [(ln.project_no, ln.code) for ln in ledger.lines] == [("RD01", "R04"), ("RD01", "R04")]


def test_M7_sheet_names_with_trailing_spaces(tmp_path):
    import openpyxl
    path = build(tmp_path, projects=[project("RD01")], lines=[line("2024-03-05", "RD01", "R04", 100)])
    wb = openpyxl.load_workbook(path)
    wb["研发支出"].title = "研发支出 "
    wb["研发项目"].title = "研发项目\u3000"
    wb.save(path)
    ledger, notes = _findings(path, "I_SHEET_NAME_TRIMMED")
    assert len(notes) == 2 and not [f for f in ledger.findings if f.severity == "error"]
    assert [ln.amount for ln in ledger.lines] == [10000]


def test_M13_bidi_controls_stripped_and_flagged(tmp_path):
    from calc.evaluate import evaluate
    from forms.statement import write_statement
    path = build(tmp_path, prof=profile(name="\u202e司公限有技科\u202c\u200f测试"),
                 projects=[project("RD01", name="\u202dabc\u202e项目\u2067x\u2069")],
                 lines=[line("2024-03-05", "RD01", "R04", 100, summary="\u202e=1+1\u202c")])
    ledger, flagged = _findings(path, "W_TEXT_DIRECTION")
    assert len(flagged) == 1 and flagged[0].row is not None
    assert ledger.profile.name == "司公限有技科测试"
    assert ledger.projects["RD01"].name == "abc项目x"
    assert ledger.lines[0].summary == "=1+1"
    facts = write_statement(evaluate(ledger, 2024, "year"), tmp_path / "s.pdf")
    assert not facts["missing_characters"]                 # no 〓 for the controls


def test_M14_erp_project_with_zero_width(tmp_path):
    from forms.erp_import import _DEFAULT_PROJECT_PATTERN, _project_from_column
    pattern = re.compile(_DEFAULT_PROJECT_PATTERN)
    assert _project_from_column("研发项目---RD\u200b01---x", None, pattern) == "RD01"
    assert _project_from_column("研发项目:\u202eRD\u200d02", None, pattern) == "RD02"


def test_R2_oversized_user_yaml_refused_before_reading(tmp_path):
    from calc import yamlsafe
    from calc.rulepack import RulePackError, read_pack
    from forms.erp_import import PresetError, _read_preset_file
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * (4 * yamlsafe.MAX_CHARS + 1))
    with pytest.raises(RulePackError, match="文件过大"):
        read_pack(big, {})
    with pytest.raises(PresetError, match="文件过大"):
        _read_preset_file(big, "user")
