"""Write the sample enterprise's 2024 statement to docs/sample_statement.pdf (the owner's version: the page to
sign and the key conditions) and docs/sample_statement_appendix.pdf (with the technical appendix), with PNG
previews of their pages in docs/sample_statement/ (page-NN.png and appendix-NN.png).

    .venv/bin/python scripts/make_sample_statement.py        (needs pdftoppm from poppler-utils)
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import main  # noqa: E402
from calc.evaluate import evaluate  # noqa: E402
from forms.statement import write_statement  # noqa: E402
from forms.workbook import load_ledger  # noqa: E402


def run(year: int = 2024) -> Path:
    docs = ROOT / "docs"
    out = docs / "sample_statement.pdf"
    full = docs / "sample_statement_appendix.pdf"
    ev = evaluate(load_ledger(main.SAMPLE), year)
    write_statement(ev, out, issued=dt.date(2025, 5, 20), version=main.__version__)
    write_statement(ev, full, issued=dt.date(2025, 5, 20), version=main.__version__, appendix=True)
    previews = docs / "sample_statement"
    shutil.rmtree(previews, ignore_errors=True)
    previews.mkdir()
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(out), str(previews / "page")], check=True)
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(full), str(previews / "appendix")], check=True)
        for png in previews.glob("*.png"):                 # page-1.png → page-01.png (pdftoppm pads by page count)
            stem, _, number = png.stem.rpartition("-")
            png.rename(png.with_name(f"{stem}-{int(number):02d}.png"))
    return out


if __name__ == "__main__":
    print(run())
