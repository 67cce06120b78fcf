"""Regenerate docs/interpretations.md from resources/params/interpretations.yaml (the texts users see)."""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def render() -> str:
    doc = yaml.safe_load((ROOT / "resources" / "params" / "interpretations.yaml").read_text(encoding="utf-8"))
    out = ["# Adopted interpretations", "",
           "Where the legal texts leave a point open, the application adopts one behaviour and marks every figure",
           "that depends on it with the id below; the GUI and the statement show the text. Generated from",
           "`resources/params/interpretations.yaml` by `scripts/make_interpretations_doc.py` — edit the YAML, not this file.",
           "", "| Id | Where | Behaviour | Why |", "|---|---|---|---|"]
    for it in doc["interpretations"]:
        cells = [str(it.get(k, "")).replace("|", "\\|").replace("\n", " ") for k in ("id", "section", "text", "why")]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    target = ROOT / "docs" / "interpretations.md"
    target.write_text(render(), encoding="utf-8")
    print(target, file=sys.stderr)
