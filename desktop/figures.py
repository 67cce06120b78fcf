"""The totals the application shows, by one rule (issue 15 and 18): the headline is the certain tax effect
only; post-subsidies stand on their own lines, marked 预估 / 附条件 / 最高可得, and are never summed into it."""
from __future__ import annotations


def certain_total(ev) -> int | None:
    """The headline of every total the app shows (issue 15's rule): the certain tax effect only — the
    super-deduction saving plus the 15% / 小型微利 savings; post-subsidies are never added (they are estimates,
    conditional or "up to").  None when the saving cannot be computed (no 应纳税所得额): never shown as 0."""
    if ev.tax is None:
        return None
    return ev.tax.tax_saved + ev.hnte_saving + ev.slp_saving


def subsidy_mark(est) -> str:
    """预估 / 附条件 / 最高可得 / 预估区间 for a post-subsidy line."""
    if est.total_kind == "conditional":
        return "附条件"
    if est.up_to or est.total_kind == "up_to":
        return "最高可得"
    if est.total_kind == "range":
        return "预估区间"
    if est.total_kind == "provisional":
        return "暂定预估"          # issue 16: rules not verified for this award year
    return "预估"
