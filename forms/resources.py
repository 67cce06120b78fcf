"""Where the bundled resources are (resources/): the one place the desktop app, the command line and the scripts
look them up.  The dated parameters, rule packs and fonts keep their own folders next to the code that reads them
(calc.params.PARAMS_DIR, calc.rulepack.PACKS_DIR, forms.pdftext.FONT_DIR); this module names the others."""
from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
SAMPLE_DIR = RESOURCES / "sample"
#: the bundled sample enterprise (打开示例企业, ``main.py --demo``, the manual's examples)
SAMPLE_WORKBOOK = SAMPLE_DIR / "sample_enterprise.xlsx"

__all__ = ["RESOURCES", "SAMPLE_DIR", "SAMPLE_WORKBOOK"]
