"""The 留存备查 checklist of a workspace (marks stored in the ``.rdw``, attachments resolved against its folder)."""
from __future__ import annotations

from calc.evidence import Checklist, build_checklist
from calc.model import Ledger
from calc.params import Params

__all__ = ["workspace_checklist"]


def workspace_checklist(ws, year: int, ledger: Ledger | None = None, params: Params | None = None) -> Checklist:
    """The checklist of ``year`` for an open :class:`forms.workspace.Workspace`, with its stored marks and
    whether each attached file exists."""
    marks = {(p, i): m for (_, p, i), m in ws.evidence_marks(year).items()}
    return build_checklist(ledger if ledger is not None else ws.ledger(), year, marks, params,
                           exists=ws.evidence_file_exists)
