"""Distribution: one version, printed on statements; the PyInstaller spec covers every resource; the manual's
generated parts are current; the bundle build + smoke test (slow: only with RD_BUILD_BUNDLE=1).

    RD_BUILD_BUNDLE=1 .venv/bin/python -m pytest tests/test_packaging.py -k bundle     # ~1–5 min

The full build is not part of the default run (CI time is limited); its latest reviewed output is recorded
in packaging/LAST_BUILD.md.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import main
from calc import version as V
from calc.params import load_params
from calc.subsidy import load_packs

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "rd-benefit.spec"
BUILD = ROOT / "packaging" / "build.sh"
MANUAL = ROOT / "docs" / "manual" / "README.md"


# -- the version, in one place -------------------------------------------------------------------------
def test_version_in_one_place():
    assert re.fullmatch(r"\d+\.\d+\.\d+", V.__version__)
    assert main.__version__ is V.__version__
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = {attr = "calc.version.__version__"}' in pyproject
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M)            # no second copy
    # setuptools reads it statically (without importing calc): it must stay a plain string assignment
    tree = ast.parse((ROOT / "calc" / "version.py").read_text(encoding="utf-8"))
    literal = [n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
               and [getattr(t, "id", None) for t in n.targets] == ["__version__"]]
    assert literal == [V.__version__]


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"rd-benefit {V.__version__}"


def test_versions_lists_every_parameter_file_and_pack():
    v = V.versions()
    params = load_params()
    assert v["app"] == V.__version__
    assert set(v["params"]) == {f.removesuffix(".yaml") for f in params.versions}
    assert {"super_deduction", "income_tax", "hnte", "tech_sme"} <= set(v["params"])
    assert v["packs"] == {pid: p.version for pid, p in load_packs(errors=[]).items()}
    assert "ningxia-2022" in v["packs"]
    about = V.about_text()
    assert V.__version__ in about and "super_deduction v1" in about and "ningxia-2022 v1" in about
    html = V.about_html().replace("&nbsp;", " ")
    assert V.__version__ in html and "super_deduction v1" in html and "ningxia-2022 v1" in html
    assert html.count("<tr>") == -(-len(v["packs"]) // 3)


def test_versions_line_is_compact_and_names_only_the_packs_used():
    line = V.versions_line(pack_ids=["ningxia-2022"]).replace("\u00a0", " ")
    assert line.startswith(f"研发惠企测算 {V.__version__} · 参数 研发费用加计扣除参数第1版、企业所得税参数第1版")
    assert line.endswith("· 规则包 宁夏回族自治区企业研究开发费用财政后补助办法（2022年修订）第1版")
    assert "super_deduction" not in line and "ningxia" not in line          # titles, never file names or ids
    assert "湖南" not in line
    assert "规则包" not in V.versions_line(pack_ids=[])
    assert "missing-pack第?版" in V.versions_line(pack_ids=["missing-pack"])


def test_statement_prints_the_versions(tmp_path):
    import pypdfium2 as pdfium

    from calc.evaluate import evaluate
    from forms.statement import write_statement
    from forms.workbook import load_ledger
    ev = evaluate(load_ledger(main.SAMPLE), 2024)
    out = tmp_path / "s.pdf"
    write_statement(ev, out)                       # no version given: the app's own
    pdf = pdfium.PdfDocument(str(out))
    try:
        first = pdf[0].get_textpage().get_text_range()
        last = pdf[len(pdf) - 1].get_textpage().get_text_range()
    finally:
        pdf.close()
    flat = re.sub(r"\s+", " ", last.replace("\u00a0", " "))        # 版本信息 closes the owner's version (S8)
    assert f"研发惠企测算 {V.__version__} · 参数 研发费用加计扣除参数第1版" in flat
    assert "科技型中小企业评价参数第1版" in flat and "规则包 宁夏回族自治区企业研究开发费用财政后补助办法（2022年修订）第1版" in flat
    assert "参数 研发费用加计扣除参数" not in first                     # not on the signature page


# -- the PyInstaller spec ------------------------------------------------------------------------------
def _spec_resource_dirs() -> list[str]:
    text = SPEC.read_text(encoding="utf-8")
    m = re.search(r"^RESOURCE_DIRS\s*=\s*(\[.*?\])", text, re.M | re.S)
    assert m, "RESOURCE_DIRS list not found in the spec"
    return ast.literal_eval(m.group(1))


def test_spec_covers_every_resource_folder_and_the_entry_point():
    folders = sorted(p.name for p in (ROOT / "resources").iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    assert sorted(_spec_resource_dirs()) == folders, "add the new resources/ folder to RESOURCE_DIRS in the spec"
    text = SPEC.read_text(encoding="utf-8")
    assert 'ROOT / "main.py"' in text and "pathex=[str(ROOT)]" in text
    for module in ("python_calamine", "PySide6.QtPrintSupport", "pypdfium2", "reportlab.pdfbase", "desktop.app"):
        assert module in text, module
    assert 'name="rd-benefit"' in text and 'name="rd-benefit-cli"' in text
    # every module the application imports lazily by name is listed (it would be missing from the bundle)
    hidden = re.findall(r'"((?:desktop|forms)\.\w+)"', text)
    for mod in hidden:
        assert (ROOT / (mod.replace(".", "/") + ".py")).is_file(), mod


def test_build_script_is_valid_bash():
    assert os.access(BUILD, os.X_OK)
    subprocess.run(["bash", "-n", str(BUILD)], check=True)
    text = BUILD.read_text(encoding="utf-8")
    assert "rd-benefit.spec" in text and "--smoke" in text and "--json" in text
    assert (ROOT / "packaging" / "BUILD-windows.md").is_file() and (ROOT / "packaging" / "LAST_BUILD.md").is_file()


def test_smoke_flag_in_process(tmp_path, monkeypatch, capsys):
    """main.py --smoke (what the bundle runs): demo window offscreen, statement written and rendered, exit 0."""
    pytest.importorskip("PySide6")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
    assert main.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("smoke: ok") and "报告" in out and "缺字 0" in out


# -- the manual ----------------------------------------------------------------------------------------
def _manual_script():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_manual_screenshots as M
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return M


def test_manual_workbook_tables_are_current():
    M = _manual_script()
    text = MANUAL.read_text(encoding="utf-8")
    section = text[text.index(M.BEGIN):text.index(M.END) + len(M.END)]
    assert section == M.template_tables_markdown(), \
        "docs/manual/README.md is out of date: run .venv/bin/python scripts/make_manual_screenshots.py --tables-only"
    from calc import schema as S
    for col in S.LINE_COLUMNS + S.PROFILE_FIELDS:
        assert f"| {col.header} |" in section


def test_manual_images_exist_and_are_used():
    text = MANUAL.read_text(encoding="utf-8")
    used = set(re.findall(r"\]\((images/[^)]+\.png)\)", text))
    present = {f"images/{p.name}" for p in (MANUAL.parent / "images").glob("*.png")}
    assert used and used <= present, used - present
    assert present <= used, f"unused screenshots: {present - used}"
    for section in ("安装", "工作簿模板", "导入 ERP", "A107012", "高新技术企业", "科技型中小企业", "小型微利", "后补助",
                    "编写后补助规则包", "打印报告"):
        assert section in text, section
    assert "../../resources/packs/README.md" in text and (ROOT / "resources" / "packs" / "README.md").is_file()


def test_english_readme_linked_material_exists():
    text = (ROOT / "README.en.md").read_text(encoding="utf-8")
    for path in re.findall(r"\]\(((?!https?:|#)[^)#]+)\)", text):
        assert (ROOT / path).exists(), path


# -- the bundle (slow) ---------------------------------------------------------------------------------
@pytest.mark.skipif(os.environ.get("RD_BUILD_BUNDLE") != "1",
                    reason="builds the PyInstaller bundle (minutes): set RD_BUILD_BUNDLE=1")
def test_bundle_builds_and_passes_the_smoke_test():
    run = subprocess.run(["bash", str(BUILD)], cwd=ROOT, capture_output=True, text=True, timeout=3600)
    log = (ROOT / "build" / "last_build.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0, log[-4000:]
    assert "smoke: ok" in log and "smoke test passed" in log
    app = ROOT / "dist" / "rd-benefit"
    assert (app / "rd-benefit").is_file() and (app / "rd-benefit-cli").is_file()
    for name in _spec_resource_dirs():
        assert (app / "_internal" / "resources" / name).is_dir(), name
