"""The application's version — the one place it is written — and the versions of the law it applies.

``__version__`` is read by ``pyproject.toml`` (setuptools ``dynamic = ["version"]``), re-exported as
``main.__version__``, shown in the About box and printed on every statement together with the versions
of the parameter files and rule packs used, so that a printed figure can be reproduced later.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

APP_NAME = "研发惠企测算"


def _param_name(file: str) -> str:
    return file[:-5] if file.endswith(".yaml") else file


def param_versions(params=None) -> dict[str, Any]:
    """``{"super_deduction": 1, "income_tax": 1, …}`` — every loaded parameter file's ``version``."""
    if params is None:
        from .params import load_params
        params = load_params()
    return {_param_name(f): v for f, v in params.versions.items()}


def pack_versions(ids=None) -> dict[str, Any]:
    """``{pack id: version}`` of every rule pack (shipped and the user's valid ones), or only of ``ids``.

    A pack that cannot be loaded (e.g. removed since the evaluation) is shown as ``"?"``; this never raises.
    """
    from .subsidy import load_packs
    try:
        packs = load_packs(errors=[])
    except Exception:  # noqa: BLE001 — a version line must never stop a statement
        packs = {}
    if ids is None:
        return {pid: packs[pid].version for pid in sorted(packs)}
    return {pid: (packs[pid].version if pid in packs else "?") for pid in dict.fromkeys(ids)}


def versions(params=None) -> dict[str, Any]:
    """The app version, every parameter file's version and every rule pack's id → version.

    ``{"app": "0.1.0", "params": {"super_deduction": 1, …}, "packs": {"ningxia-2022": 1, …}}``
    """
    return {"app": __version__, "params": param_versions(params), "packs": pack_versions()}


def versions_line(params=None, pack_ids=None, app_version: str | None = None) -> str:
    """The compact line printed on statements, e.g.
    ``研发惠企测算 0.1.0 · 参数 super_deduction v1, income_tax v1, … · 规则包 ningxia-2022 v1``.

    ``pack_ids``: the packs actually used (none: the part is left out).
    """
    parts = [f"{APP_NAME} {app_version or __version__}"]
    if params is None:
        from .params import load_params
        params = load_params()
    pv = {params.titles.get(f, "其他参数"): v for f, v in params.versions.items()}     # titles, never file names
    if pv:
        parts.append("参数 " + "、".join(f"{k}第{v}版" for k, v in pv.items()))
    if pack_ids:
        titles = _pack_titles(pack_ids)
        parts.append("规则包 " + "、".join(f"{titles.get(k, k)}第{v}版" for k, v in pack_versions(pack_ids).items()))
    return " · ".join(parts)


def _pack_titles(ids) -> dict:
    """Pack id → the policy's title, for what users read (never raises)."""
    try:
        from .subsidy import load_packs
        packs = load_packs(errors=[])
        return {pid: packs[pid].title for pid in ids if pid in packs}
    except Exception:  # noqa: BLE001 — a version line must never stop a statement
        return {}


def about_text(params=None) -> str:
    """The About box's text: the version, the parameter files and the rule packs with their versions."""
    v = versions(params)
    lines = [f"{APP_NAME} R&D Benefit Desk {v['app']}",
             "研发费用加计扣除、高新技术企业与研发后补助测算（离线）", "",
             "参数文件：" + "，".join(f"{k} v{n}" for k, n in v["params"].items()),
             f"规则包（{len(v['packs'])} 个）：" + "，".join(f"{k} v{n}" for k, n in v["packs"].items())]
    return "\n".join(lines)


def about_html(params=None, columns: int = 3) -> str:
    """The About box's text as Qt rich text (``QMessageBox.about`` shows it as such): the version, the parameter
    files and the rule packs with their versions, the packs in a table of ``columns`` columns."""
    from html import escape
    v = versions(params)
    params_text = " · ".join(f"{escape(k)}&nbsp;v{escape(str(n))}" for k, n in v["params"].items())
    cells = [f"<td style='padding-right:14px; white-space:nowrap'>{escape(k)}&nbsp;v{escape(str(n))}</td>"
             for k, n in v["packs"].items()]
    rows = "".join("<tr>" + "".join(cells[i:i + columns]) + "</tr>" for i in range(0, len(cells), columns))
    return (f"<p><b>{APP_NAME} R&amp;D Benefit Desk {escape(v['app'])}</b><br>"
            "研发费用加计扣除、高新技术企业与研发后补助测算（离线）</p>"
            f"<p><b>参数文件</b><br>{params_text}</p>"
            f"<p><b>规则包（{len(v['packs'])} 个）</b></p><table>{rows}</table>")
