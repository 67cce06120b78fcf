"""R&D Benefit Desk (研发惠企测算) — command line and application entry.

    main.py [--demo | --open FILE]   opens the desktop application (the bundled sample with --demo)
    main.py compute WORKBOOK|WORKSPACE.rdw --year Y [--period H1|Q1-Q3] [--json]
    main.py template -o FILE.xlsx [--roster]
    main.py pipeline ROSTER.xlsx|FOLDER --year Y [-o 培育库.xlsx] [--pdf 简报.pdf] [--json]

Exit status: 0 success; 2 input errors (each printed to stderr as 工作表!单元格: 说明); 1 anything else.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from calc.version import __version__  # the one place it is written (re-exported: main.__version__)

from forms.resources import SAMPLE_WORKBOOK as SAMPLE  # re-exported: main.SAMPLE

ROOT = Path(__file__).resolve().parent


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors are "anything else": exit 1, no traceback
        self.print_usage(sys.stderr)
        print(f"参数错误：{message}", file=sys.stderr)
        raise SystemExit(1)


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="rd-benefit", description="研发惠企测算：研发费用加计扣除、高新技术企业与后补助测算")
    ap.add_argument("--version", action="version", version=f"rd-benefit {__version__}")
    ap.add_argument("--demo", action="store_true", help="以内置示例企业打开")
    ap.add_argument("--open", metavar="FILE", help="打开工作区（.rdw）或工作簿（.xlsx）")
    ap.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)   # packaging check, see cmd_smoke
    sub = ap.add_subparsers(dest="command")
    c = sub.add_parser("compute", help="计算并输出结果")
    c.add_argument("workbook")
    c.add_argument("--year", type=int, required=True)
    c.add_argument("--period", choices=["H1", "Q1-Q3"], default=None)
    c.add_argument("--q4-method", choices=["A", "B"], default=None,
                   help="2022年第四季度金额的计算方法：A 按实际发生数，B 按比例（默认取加计扣除额较大者）")
    c.add_argument("--json", action="store_true", help="输出 JSON 文档（interfaces.md §2）")
    c.add_argument("--pack", action="append", default=[], metavar="ID", help="另加的后补助规则包（可多次）")
    pk = sub.add_parser("packs", help="列出后补助规则包（地区、政策、期间、核实范围、状态、核对日期）")
    pk.add_argument("--year", type=int, default=None, metavar="奖补年度",
                    help="按此奖补年度判断各规则包的状态（默认今年）")
    st = sub.add_parser("statement", help="生成惠企测算结果报告（PDF）")
    st.add_argument("workbook")
    st.add_argument("--year", type=int, required=True)
    st.add_argument("--period", choices=["H1", "Q1-Q3"], default=None)
    st.add_argument("-o", "--output", required=True)
    st.add_argument("--q4-method", choices=["A", "B"], default=None)
    st.add_argument("--pack", action="append", default=[], metavar="ID", help="另加的后补助规则包（可多次）")
    st.add_argument("--checklist", action="store_true",
                    help="附加留存备查资料清单（输入为 .rdw 工作区时含已标记的资料和附件；同时附技术附录）")
    st.add_argument("--appendix", action="store_true",
                    help="附技术附录（A107012、分项目汇总、计算过程追溯、明细账行汇总、检查结果与风险提示详情）；"
                         "默认只生成企业签署版（签署页与主要条件，1—2页）")
    e = sub.add_parser("export", help="导出 A107012、研发支出辅助账、研发支出辅助账汇总表")
    e.add_argument("workbook")
    e.add_argument("--year", type=int, required=True)
    e.add_argument("--period", choices=["H1", "Q1-Q3"], default=None)
    e.add_argument("--out", required=True, help="输出文件夹")
    t = sub.add_parser("template", help="生成空白导入模板")
    t.add_argument("-o", "--output", required=True)
    t.add_argument("--roster", action="store_true", help="生成培育库名册模板（每行一家企业）")
    pl = sub.add_parser("pipeline", help="培育库测算：名册工作簿或工作区文件夹 → 分层、汇总工作簿和简报")
    pl.add_argument("input", help="培育库名册（.xlsx）或包含工作区（.rdw）、辅助账工作簿的文件夹")
    pl.add_argument("--year", type=int, required=True, help="数据年度（最近一个已结束的会计年度）")
    pl.add_argument("-o", "--output", help="培育库工作簿（.xlsx）")
    pl.add_argument("--pdf", help="简报（.pdf）")
    pl.add_argument("--json", action="store_true", help="输出 JSON 文档")
    pl.add_argument("--as-of", metavar="YYYY-MM-DD", help="测算日期（默认今天）：决定最近一次可申报的年度")
    pl.add_argument("--pack", action="append", default=[], metavar="政策",
                    help="名册未填写时适用的后补助政策（名称、地区或编号，可多次）")
    return ap


def _print_errors(findings) -> None:
    for f in findings:
        if f.severity == "error":
            print(f.as_line(), file=sys.stderr)


def cmd_compute(args) -> int:
    from calc.evaluate import evaluate
    from forms.report import evaluation_json, text_summary

    ledger, status = _load(args.workbook)
    if ledger is None:
        return status
    ev = evaluate(ledger, args.year, args.period or "year", q4_method=args.q4_method, packs=args.pack)
    if args.json:
        print(json.dumps(evaluation_json(ev), ensure_ascii=False, indent=2))
    else:
        print(text_summary(ev))
    if ev.has_errors:
        _print_errors(ev.findings)
        return 2
    return 0


def _load(path):
    """The ledger of a workbook or of a workspace (.rdw, opened read-only), or (None, exit status 2) after
    printing the one-line reason."""
    if str(path).lower().endswith(".rdw"):
        from forms.workspace import Workspace, WorkspaceError
        try:
            with Workspace.open(path, readonly=True) as ws:
                return ws.ledger(), 0
        except WorkspaceError as exc:
            print(str(exc), file=sys.stderr)
            return None, 2
    from forms.workbook import WorkbookError, load_ledger
    try:
        return load_ledger(path), 0
    except WorkbookError as exc:
        print(str(exc), file=sys.stderr)
        return None, 2


def _same_file(a, b) -> bool:
    import os
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _bad_output(output, inputs, suffix: str, what: str) -> str | None:
    """Why ``output`` must not be written (the one-line message), or None.  An output onto an input file would
    destroy the user's data (review D2); an output whose extension is not the format written would be a
    PDF or workbook under a misleading name."""
    out = Path(output)
    if out.exists() and not out.is_file() and not out.is_dir():
        return None                     # a device or pipe (/dev/stdout, /dev/full): written into, never replaced
    if out.is_dir():
        return f"输出“{out.name or out}”是文件夹：请给出文件名，例如“{out / ('报告' + suffix)}”"
    for given in inputs:
        if given and _same_file(out, given):
            return f"输出文件“{out.name}”就是输入文件，写入会覆盖原数据：请另选输出文件名"
    if out.suffix.lower() != suffix:
        return f"输出文件“{out.name}”的扩展名应为 {suffix}（{what}），请改用例如“{out.stem or '输出'}{suffix}”"
    return None


def cmd_export(args) -> int:
    from calc.evaluate import evaluate
    from forms.exports import ExportError, export_all

    ledger, status = _load(args.workbook)
    if ledger is None:
        return status
    ev = evaluate(ledger, args.year, args.period or "year")
    from forms.exports import export_names
    for name in export_names(ev):
        if _same_file(Path(args.out) / name, args.workbook):
            print(f"输出文件夹中的“{name}”就是输入文件，导出会覆盖原数据：请另选输出文件夹", file=sys.stderr)
            return 1
    try:
        paths = export_all(ev, args.out)
    except ExportError as exc:
        print(f"导出失败：{exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"已导出：{path}")
    if ev.has_errors:
        _print_errors(ev.findings)
        return 2
    return 0


def cmd_statement(args) -> int:
    from calc.evaluate import evaluate
    from forms.statement import write_statement

    bad = _bad_output(args.output, [args.workbook], ".pdf", "报告为 PDF 文件")
    if bad:
        print(bad, file=sys.stderr)
        return 1
    checklist = None
    if str(args.workbook).lower().endswith(".rdw"):
        from forms.evidence import workspace_checklist
        from forms.workspace import Workspace, WorkspaceError
        try:
            with Workspace.open(args.workbook, readonly=True) as ws:
                ledger = ws.ledger()
                if getattr(args, "checklist", False):
                    checklist = workspace_checklist(ws, args.year, ledger)
        except WorkspaceError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    else:
        ledger, status = _load(args.workbook)
        if ledger is None:
            return status
        if getattr(args, "checklist", False):
            from calc.evidence import build_checklist
            checklist = build_checklist(ledger, args.year)
    ev = evaluate(ledger, args.year, args.period or "year", q4_method=args.q4_method, packs=args.pack)
    from forms.atomic import write_atomic
    from forms.statement import StatementError
    try:
        facts = write_atomic(args.output, lambda tmp: write_statement(
            ev, tmp, version=__version__, checklist=checklist, appendix=getattr(args, "appendix", False)))
    except StatementError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"已生成报告：{args.output}（{facts.get('pages', 0)}页）")
    if facts["missing_characters"]:
        chars = "".join(facts["missing_characters"])
        print(f"注意：字体不支持的字符已显示为“〓”：{chars}", file=sys.stderr)
    if ev.has_errors:
        _print_errors(ev.findings)
        return 2
    return 0


def cmd_packs(args) -> int:
    from calc.params import load_params
    from calc.subsidy import PACK_TABLE_HEADS, law_data_as_of, list_packs, load_packs

    errors: list = []
    infos = list_packs(errors=errors, award_year=getattr(args, "year", None))
    year = infos[0].award_year if infos else None
    print(f"后补助规则包（状态按{year}年度奖补判断）" if year else "后补助规则包")
    print("\t".join(PACK_TABLE_HEADS))
    for info in infos:
        print(info.line)
    as_of = law_data_as_of(load_params(), load_packs(errors=[]).values())
    print(f"法规数据截至 {as_of}（全部参数文件和规则包中最早的核对日期）" if as_of
          else "法规数据截至：部分参数文件或规则包未注明核对日期")
    for err in errors:
        print(f"规则包错误：{err}", file=sys.stderr)
    return 2 if errors else 0


def cmd_template(args) -> int:
    from forms.atomic import write_atomic
    bad = _bad_output(args.output, [], ".xlsx", "模板为 Excel 工作簿")
    if bad:
        print(bad, file=sys.stderr)
        return 1
    if getattr(args, "roster", False):
        from forms.pipeline import write_roster_template
        write_atomic(args.output, write_roster_template)
        print(f"已生成培育库名册模板：{args.output}")
        return 0
    from forms.template import write_template

    write_atomic(args.output, write_template)
    print(f"已生成模板：{args.output}")
    return 0


def cmd_pipeline(args) -> int:
    import datetime as dt
    from forms.pipeline import run_pipeline
    from forms.pipeline_report import pipeline_json, write_pipeline_brief, write_pipeline_workbook
    from forms.xlsx_reader import WorkbookError

    as_of = None
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            print(f"测算日期“{args.as_of}”无法识别（应为 YYYY-MM-DD）", file=sys.stderr)
            return 2
    if not args.output and not args.pdf and not args.json:
        print("请指定 -o 培育库.xlsx、--pdf 简报.pdf 或 --json 中的至少一项", file=sys.stderr)
        return 2
    src = Path(args.input)
    for out in (args.output, args.pdf):
        if out and src.exists() and src.is_file() and Path(out).resolve() == src.resolve():
            print(f"输出文件与输入文件相同（{out}），为保护输入文件已拒绝", file=sys.stderr)
            return 2
    if not src.exists():
        print(f"找不到“{args.input}”", file=sys.stderr)
        return 2
    try:
        run = run_pipeline(src, args.year, as_of=as_of, packs=args.pack)
    except WorkbookError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.output:
        write_pipeline_workbook(run, args.output)
        print(f"已生成培育库工作簿：{args.output}", file=sys.stderr if args.json else sys.stdout)
    if args.pdf:
        write_pipeline_brief(run, args.pdf)
        print(f"已生成培育库简报：{args.pdf}", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(pipeline_json(run), ensure_ascii=False, indent=2))
    else:
        from calc.pipeline import summarise, tiers
        agg = summarise(run.results)
        print(f"企业{agg['all'].count}家" + (f"，无法测算{agg['errors']}家" if agg["errors"] else ""))
        for t in tiers():
            print(f"  {t.label}：{agg['tier'][t.id].count}家")
    for f in run.findings:
        print(f.as_line(), file=sys.stderr)
    return 2 if run.has_errors else 0


def cmd_smoke(seconds: float = 1.0) -> int:
    """Hidden ``--smoke``: the bundle's self-test.  Opens the main window offscreen on the sample enterprise,
    waits for its evaluation, writes and renders the statement, processes events for ``seconds`` and exits:
    0 if all went well.  Used by packaging/build.sh and tests/test_packaging.py."""
    import os
    import tempfile
    import time
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")       # before the QApplication exists
    import desktop  # noqa: F401  (the PySide6 reference-count workaround)
    from PySide6.QtWidgets import QApplication

    from desktop.fonts import ensure_font
    from desktop.main_window import MainWindow
    from forms.statement import write_statement

    started = time.monotonic()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    ensure_font(app)
    window = MainWindow()
    window.ask = lambda *a, **k: 1            # never a modal question
    window.show()
    window.open_sample()

    def pump(until, limit: float) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            app.processEvents()
            if until():
                return True
            time.sleep(0.01)
        return until()

    ok = pump(lambda: window.doc.evaluation is not None, 120)
    ev = window.doc.evaluation
    if not ok or ev is None:
        print("smoke: 示例企业未能计算", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="rd-smoke-") as tmp:
        pdf = Path(tmp) / "statement.pdf"
        facts = write_statement(ev, pdf)
        from desktop.statement_view import render_pdf_pages
        pages = render_pdf_pages(pdf, 20)
        size = pdf.stat().st_size
    pump(lambda: False, seconds)
    grabbed = not window.grab().isNull()
    print(f"smoke: ok · {__version__} · {ev.ledger.profile.name} {ev.year} · 明细 {len(ev.ledger.lines)} 行 · "
          f"A107012 第40行 {ev.sd.rows.get('R40')} 分 · 报告 {len(pages)} 页 {size} 字节 · "
          f"缺字 {len(facts['missing_characters'])} · 窗口截图 {'ok' if grabbed else '失败'} · "
          f"{time.monotonic() - started:.1f} s")
    window.doc.detach(discard=True)
    window.close()
    return 0 if grabbed and pages and not facts["missing_characters"] else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if getattr(args, "year", None) is not None and args.command in ("compute", "export", "statement", "pipeline"):
            from calc.evaluate import UnsupportedYear, check_year
            try:
                check_year(args.year)
            except UnsupportedYear as exc:
                print(str(exc), file=sys.stderr)
                return 2
        if args.command == "compute":
            return cmd_compute(args)
        if args.command == "template":
            return cmd_template(args)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "statement":
            return cmd_statement(args)
        if args.command == "packs":
            return cmd_packs(args)
        if args.command == "pipeline":
            return cmd_pipeline(args)
        if args.smoke:
            return cmd_smoke()
        # no command: the desktop application, the product's main job
        try:
            from desktop.app import run
        except ImportError as exc:
            print(f"无法启动图形界面（{exc}）。命令行用法见 main.py --help", file=sys.stderr)
            return 1
        return run([sys.argv[0]], demo=args.demo, path=args.open)
    except KeyboardInterrupt:
        return 1
    except BrokenPipeError:
        return 0
    except Exception as exc:  # never a traceback for the user
        from calc.params import ParamError
        if isinstance(exc, ParamError):
            print(str(exc), file=sys.stderr)
            return 1
        if isinstance(exc, OSError):
            from forms.atomic import OutputError, reason
            if isinstance(exc, OutputError):          # names the file and says why (hostile-input M10)
                print(str(exc), file=sys.stderr)
            else:
                name = getattr(exc, "filename", None)
                print(f"文件操作失败：{reason(exc)}" + (f"（{name}）" if name else ""), file=sys.stderr)
            return 1
        import traceback
        log = Path.home() / ".rd-benefit-error.log"
        try:
            log.write_text(traceback.format_exc(), encoding="utf-8")
        except OSError:
            pass
        print(f"内部错误：{type(exc).__name__}: {exc}（详细信息已写入 {log}）", file=sys.stderr)
        return 1


if __name__ == "__main__":
    import multiprocessing
    multiprocessing.freeze_support()      # a no-op unless frozen (PyInstaller bundle) and in a worker process
    sys.exit(main())
