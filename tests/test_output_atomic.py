"""Writing outputs never destroys what was there (hostile-input review D1, C4, M10): the export set, the statement
PDF and the template are written to temporary files next to the target and renamed; a failure leaves the old
files byte for byte, no temporary file behind, and one Chinese line naming the file — never a traceback."""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import main
from calc.evaluate import evaluate
from forms import atomic
from forms.exports import export_all
from forms.workbook import load_ledger

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ev2024():
    return evaluate(load_ledger(main.SAMPLE), 2024)


def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_D1_failed_export_leaves_the_previous_set_intact(ev2024, tmp_path, monkeypatch):
    """The disk fills while the 研发支出辅助账 is written (after A107012 was complete): the previous set is untouched
    — A107012 is not replaced alone — and the temporary files are gone."""
    out = tmp_path / "导出"
    export_all(ev2024, out)
    before = _snapshot(out)
    import forms.xlsx_stream as xs
    calls = {"n": 0}
    real = xs.StreamSheet._write

    def failing(self, text):
        calls["n"] += 1
        if calls["n"] > 40:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, text)

    monkeypatch.setattr(xs.StreamSheet, "_write", failing)
    with pytest.raises(atomic.OutputError) as info:
        export_all(ev2024, out)
    assert str(info.value) == "写入“2024年度_宁夏银川精工传感科技有限公司_研发支出辅助账.xlsx”失败：磁盘空间不足"
    assert _snapshot(out) == before


def test_D1_statement_and_template_are_replaced_atomically(tmp_path, monkeypatch, capsys):
    pdf, tpl = tmp_path / "报告.pdf", tmp_path / "模板.xlsx"
    assert main.main(["statement", str(main.SAMPLE), "--year", "2024", "-o", str(pdf)]) == 0
    assert main.main(["template", "-o", str(tpl)]) == 0
    before = _snapshot(tmp_path)
    import forms.statement
    import forms.template

    def half_then_full(path):
        Path(path).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(forms.statement, "write_statement", lambda ev, path, *a, **k: half_then_full(path))
    monkeypatch.setattr(forms.template, "write_template", half_then_full)
    capsys.readouterr()
    assert main.main(["statement", str(main.SAMPLE), "--year", "2024", "-o", str(pdf)]) == 1
    assert main.main(["template", "-o", str(tpl)]) == 1
    err = capsys.readouterr().err
    assert "写入“报告.pdf”失败：磁盘空间不足" in err and "写入“模板.xlsx”失败：磁盘空间不足" in err
    assert _snapshot(tmp_path) == before


def test_D1_a_symlinked_target_stays_a_link(tmp_path):
    real = tmp_path / "real.xlsx"
    real.write_bytes(b"old")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    atomic.write_atomic(link, lambda tmp: tmp.write_bytes(b"new"))
    assert link.is_symlink() and real.read_bytes() == b"new"


def _run(*args, **kw):
    env = dict(os.environ, HOME=str(kw.pop("home")))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=600)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("command", [["template", "-o", "/dev/full"],
                                     ["statement", str(main.SAMPLE), "--year", "2024", "-o", "/dev/full"]])
def test_M10_C4_dev_full_names_the_file_without_traceback(command, tmp_path):
    r = _run(*command, home=tmp_path)
    assert r.returncode == 1
    assert r.stderr.strip() == "写入“full”失败：磁盘空间不足", r.stderr
    assert Path("/dev/full").is_char_device()                 # written into, never replaced


def test_M10_other_os_errors_have_no_empty_parentheses(tmp_path, capsys):
    blocked = tmp_path / "a_file"
    blocked.write_text("x")
    assert main.main(["template", "-o", str(blocked / "模板.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "（）" not in err and "模板.xlsx" in err and "路径中有一部分不是文件夹" in err


@pytest.fixture()
def small_disk(tmp_path):
    """A 2 MB tmpfs (root only; skipped elsewhere)."""
    mnt = tmp_path / f"full-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount tmpfs: {r.stderr!r}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(mnt: Path, leave: int) -> Path:
    st = os.statvfs(mnt)
    ballast = mnt / "ballast.bin"
    with open(ballast, "wb") as fh:
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return ballast


def test_D1_C4_real_full_disk(small_disk, tmp_path):
    """The review's scenario on a real full file system: a good export, statement and template; the disk fills;
    the same outputs again → exit 1, one line naming the file, no traceback, every old file byte for byte."""
    home = tmp_path / "home"
    home.mkdir()
    out = small_disk / "导出"
    assert _run("export", main.SAMPLE, "--year", 2024, "--out", out, home=home).returncode == 0
    assert _run("statement", main.SAMPLE, "--year", 2024, "-o", small_disk / "报告.pdf", home=home).returncode == 0
    assert _run("template", "-o", small_disk / "模板.xlsx", home=home).returncode == 0
    before = {p.relative_to(small_disk): p.read_bytes() for p in small_disk.rglob("*") if p.is_file()}
    ballast = _fill(small_disk, 40 * 1024)
    results = [_run("export", main.SAMPLE, "--year", 2024, "--out", out, home=home),
               _run("statement", main.SAMPLE, "--year", 2024, "-o", small_disk / "报告.pdf", home=home)]
    ballast.unlink()
    ballast = _fill(small_disk, 4 * 1024)
    results.append(_run("template", "-o", small_disk / "模板.xlsx", home=home))
    ballast.unlink()
    for r in results:
        assert r.returncode == 1
        assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "失败：磁盘空间不足" in r.stderr, r.stderr
    after = {p.relative_to(small_disk): p.read_bytes() for p in small_disk.rglob("*") if p.is_file()}
    assert after == before


def test_C4_audit_workbook_on_a_full_disk_leaves_no_traceback(small_disk, tmp_path):
    """The same ZipFile.__del__ complaint came from the audit-trail workbook (review script disk_full.py step D9)."""
    code = ("import sys; from forms.audit import AuditRow, export_audit_xlsx\n"
            "try:\n    export_audit_xlsx([], sys.argv[1], title='审计' * 50000)\n"
            "except OSError as e:\n    print('失败', e.errno)\n"
            "import gc; gc.collect()\n")
    ballast = _fill(small_disk, 2 * 1024)
    r = subprocess.run([sys.executable, "-c", code, str(small_disk / "审计.xlsx")], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    ballast.unlink()
    assert "失败 28" in r.stdout, (r.stdout, r.stderr)
    assert "Exception ignored" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not any(p.name.startswith("审计") for p in small_disk.iterdir())
