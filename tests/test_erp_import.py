"""ERP voucher / 明细账 import (forms.erp_import): messy exports generated here, converted to ledger lines."""
from __future__ import annotations

import datetime as dt
import struct
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

import calc.userdirs as userdirs

from forms import erp_import as E
from forms.template import write_workbook
from forms.workbook import load_ledger
from tests.builders import profile, project

D = dt.date
KNOWN = {"RD01": "智能控制器研发", "RD02": "新材料工艺研发"}


def by_row(result):
    return {ln["origin"]["row"]: ln for ln in result.lines}


def findings(result, code):
    return [f for f in result.findings if f.code == code]


def one(result, code):
    got = findings(result, code)
    assert len(got) == 1, (code, got)
    return got[0]


# --------------------------------------------------------------------------- fixtures: messy exports

def make_u8_voucher(path: Path) -> Path:
    """用友 U8 凭证列表 with title rows, merged cells, blank rows, fill-down, text and float amounts, a 合计 row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "凭证列表"
    ws["A1"] = "记账凭证列表"
    ws.merge_cells("A1:I1")
    ws["A2"] = "核算单位：深圳市示例科技有限公司"
    ws["A3"] = "期间：2024.01-2024.12"
    ws["F3"] = "打印日期：2025-01-15"
    # row 4 blank
    ws.append([])  # keeps openpyxl's cursor after row 3 → row 4 stays empty
    header = ["制单日期", "凭证编号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额", "项目", "制单人"]
    for j, h in enumerate(header, 1):
        ws.cell(5, j, h)
    rows = {
        6: [D(2024, 1, 31), "记-0001", "计提1月研发人员工资", "53010101", "研发支出/费用化支出/人员人工/工资", 50000, None,
            "RD01 智能控制器", "张三"],
        7: [None, None, "计提1月研发人员工资", "221101", "应付职工薪酬/工资", None, 50000, None, "张三"],
        8: [D(2024, 2, 5), "记-0012", "领用研发材料", "53010102", "研发支出/费用化支出/直接投入/材料", "1,234.56", None,
            "研发项目:RD02", "张三"],
        9: [None, None, "领用研发材料", "1403", "原材料", None, 1234.56, None, "张三"],
        10: [D(2024, 3, 10), "记-0020", "红字冲回多领材料", "53010102", "研发支出/费用化支出/直接投入/材料", None,
             100.1, "RD02", "张三"],
        11: [D(2024, 3, 15), "记-0021", "支付样品检测费", "53010103", "研发支出/费用化支出/其他", "12,3a", None, "RD01",
             "张三"],
        12: ["2024/13/45", "记-0022", "差旅费", "53010104", "研发支出/费用化支出/其他相关/差旅费", 88, None, "RD01",
             "张三"],
        13: [D(2024, 4, 1), "记 25", "差旅费报销", "53010104", "研发支出/费用化支出/其他相关/差旅费", 0.1 + 0.2, None,
             "RD01", "张三"],
        14: [D(2024, 4, 2), "记-0026", "研发设备维修费", "530101", "研发支出/费用化支出", 200, 50, "RD01", "张三"],
        15: [D(2024, 5, 6), "记-0030", "支付研发设备租赁费", "53010105", "研发支出/费用化支出/直接投入/租赁费", 3000,
             None, "RD02", "张三"],
        16: [None, None, "支付研发人员社保", "53010106", "研发支出/费用化支出/人员人工/社会保险", 800, None, "RD02",
             "张三"],
        17: [D(2024, 12, 31), "记-0100", "结转研发支出至管理费用", "530101", "研发支出/费用化支出", None, 54034.76,
             None, "张三"],
        18: [D(2024, 6, 1), "记-0040", "购买测试软件", "53010109", "研发支出/费用化支出/其他", 10, None, "RD99", "张三"],
        19: ["合计", None, None, None, None, 999999, 999999, None, None],
        # 20 blank
        21: ["制单人：张三"],
    }
    for r, values in rows.items():
        for j, v in enumerate(values, 1):
            if v is not None:
                ws.cell(r, j, v)
    ws.merge_cells("A15:A16")
    ws.merge_cells("B15:B16")
    wb.save(path)
    return path


K3_LINES = [
    "凭证查询",
    "日期,会计期间,凭证字号,分录号,摘要,科目代码,科目名称,币别,原币金额,借方,贷方,核算项目",
    '2024-01-31,2024.1,记 - 1,1,计提研发人员工资,5301.01,研发支出 - 人工费,人民币,"80,000.00","80,000.00",0,研发项目---RD01---智能控制器',
    "2024-01-31,2024.1,记 - 1,2,计提研发人员工资,2211,应付职工薪酬,人民币,80000,0,80000,",
    "2024/2/15,2024.2,记 - 8,1,支付专利申请代理费,5301.05,研发支出 - 其他费用,人民币,3500,3500,0,研发项目---RD02---新材料",
    "2024/2/15,2024.2,记 - 8,2,支付专利申请代理费,1002,银行存款,人民币,3500,0,3500,",
    "2024-03-01,2024.3,记 - 12,1,计提研发仪器折旧,5301.03,研发支出 - 折旧费,人民币,1200,1200,0,研发项目---RD09---未登记",
    "2024-03-05,2024.3,记 - 15,1,XYZ杂项,5301.09,研发支出 - 其他,人民币,99,99,0,研发项目---RD01---智能控制器",
    '合计,,,,,,,,,"84,799.00","83,500.00",',
]


def make_k3_csv(path: Path) -> Path:
    path.write_bytes(("\r\n".join(K3_LINES) + "\r\n").encode("gbk"))
    return path


CLOUD_LINES = [
    "凭证引出",
    "",
    "日期\t业务日期\t凭证字\t凭证号\t摘要\t科目编码\t科目全名\t借方金额\t贷方金额\t核算维度",
    "2024-06-30\t2024-06-28\t记\t0045\t6月研发人员五险一金\t5301.01.02\t研发支出_费用化支出_人员人工_社会保险\t12,345.67\t\t研发项目:RD01/智能控制器",
    "2024-07-10\t2024-07-10\t记\t52\t支付委托某大学开发费\t5301.01.06\t研发支出_费用化支出_委托研发\t200000\t\t部门:研发部;研发项目:RD02",
    "2024-08-01\t2024-08-01\t记\t60\t冲销多计材料\t5301.01.03\t研发支出_费用化支出_直接投入_材料\t\t500.5\t研发项目:RD01",
    "2024-08-02\t2024-08-02\t记\t61\t支付研发房租\t5301.01.09\t研发支出_费用化支出_其他\t6000\t\tRD01/智能控制器",
    "2024-08-03\t2024-08-03\t记\t62\t报销办公费\t6602.07\t管理费用_办公费\t300\t\t",
    "本月合计\t\t\t\t\t\t\t218846.17\t500.5\t",
]


def make_cloud_csv(path: Path) -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(CLOUD_LINES) + "\n").encode("utf-8"))
    return path


def make_u8_ledger(path: Path) -> Path:
    """用友 U8 科目明细账: the year over 月 | 日 in a two-row header, 期初余额 / 本月合计 / 本年累计 rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "明细账"
    ws["A1"] = "科目明细账"
    ws.merge_cells("A1:H1")
    ws["A2"] = "科目：5301 研发支出"
    ws["E2"] = "期间：2024.01-2024.12"
    ws["A4"] = "2024年"
    ws.merge_cells("A4:B4")
    for j, h in enumerate(["凭证号数", "摘要", "借方", "贷方", "方向", "余额"], 3):
        ws.cell(4, j, h)
    ws["A5"] = "月"
    ws["B5"] = "日"
    data = {
        6: [None, None, None, "期初余额", None, None, "平", 0],
        7: [1, 31, "记-0001", "RD01计提研发人员工资", 50000, None, "借", 50000],
        8: ["01", "31", "记-0002", "RD02 研发领用材料", 8000.5, None, "借", 58000.5],
        9: [2, 30, "记-0010", "RD01 支付差旅费", 100, None, "借", 58100.5],
        10: [None, None, None, "本月合计", 58100.5, None, "借", 58100.5],
        11: [3, 5, "记-0015", "结转研发支出", None, 58000.5, "借", 100],
        12: [None, None, None, "本年累计", 58100.5, 58000.5, "借", 100],
    }
    for r, values in data.items():
        for j, v in enumerate(values, 1):
            if v is not None:
                ws.cell(r, j, v)
    wb.save(path)
    return path


# a minimal compound file (CFB v3) holding a BIFF8 workbook stream with inline strings (LABEL records)
_OLE = bytes.fromhex("d0cf11e0a1b11ae1")
_END, _FREE, _FAT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _dirent(name, typ, start, size, child=_NOSTREAM):
    raw = (name + "\0").encode("utf-16-le")
    entry = raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), typ, 1)
    entry += struct.pack("<III", _NOSTREAM, _NOSTREAM, child) + b"\0" * 16
    return entry + struct.pack("<I", 0) + b"\0" * 16 + struct.pack("<IQ", start, size)


def _cfb(stream: bytes) -> bytes:
    data = stream.ljust(4096, b"\0")
    nsec = (len(data) + 511) // 512
    fat = [_FAT, _END] + [3 + i for i in range(nsec - 1)] + [_END]
    fat += [_FREE] * (128 - len(fat))
    head = _OLE + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    head += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    head += struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108
    dirs = (_dirent("Root Entry", 5, _END, 0, child=1) + _dirent("Workbook", 2, 2, len(data))).ljust(512, b"\0")
    return head + struct.pack("<128I", *fat) + dirs + data.ljust(nsec * 512, b"\0")


def _rec(typ, body=b""):
    return struct.pack("<HH", typ, len(body)) + body


def make_xls(path: Path, cells) -> Path:
    sheet = "Sheet1"
    bof = _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 1997, 0, 0x0600))
    name = sheet.encode("utf-16-le")
    glen = len(bof) + 4 + 8 + len(name) + 4
    stream = bof + _rec(0x0085, struct.pack("<IBBBB", glen, 0, 0, len(sheet), 1) + name) + _rec(0x000A)
    stream += _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 1997, 0, 0x0600))
    dims = (min(c[0] for c in cells), max(c[0] for c in cells) + 1, min(c[1] for c in cells),
            max(c[1] for c in cells) + 1)
    stream += _rec(0x0200, struct.pack("<IIHHH", *dims, 0))
    for r, c, v in cells:
        if isinstance(v, str):
            stream += _rec(0x0204, struct.pack("<HHHHB", r, c, 0, len(v), 1) + v.encode("utf-16-le"))
        else:
            stream += _rec(0x0203, struct.pack("<HHHd", r, c, 0, float(v)))
    path.write_bytes(_cfb(stream + _rec(0x000A)))
    return path


# --------------------------------------------------------------------------- 用友 U8 voucher list (xlsx)

@pytest.fixture
def u8(tmp_path):
    src = E.open_source(make_u8_voucher(tmp_path / "u8凭证.xlsx"))
    match = E.guess_preset(src)
    return src, match


def test_u8_header_and_preset(u8):
    src, match = u8
    assert src.kind == "xlsx" and src.sheet_names == ["凭证列表"]
    h = E.detect_header(src.sheet("凭证列表"))
    assert h.excel_row == 5 and h.rows == 1 and h.data_start == 5
    assert h.confidence >= 0.8
    assert h.year == 2024            # from 期间, the 打印日期 line is ignored
    assert match.preset.id == "yonyou-u8-voucher" and match.sheet == "凭证列表" and match.score == 1.0
    assert match.mapping.columns == {
        "date": "制单日期", "voucher": "凭证编号", "summary": "摘要", "account_code": "科目编码",
        "account_name": "科目名称", "debit": "借方金额", "credit": "贷方金额", "project": "项目"}
    assert not [f for f in match.problems if f.severity == "error"]


def test_u8_lines(u8):
    src, match = u8
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    lines = by_row(res)
    assert sorted(lines) == [6, 8, 10, 11, 12, 13, 14, 15, 16, 18]

    l6 = lines[6]
    assert (l6["date"], l6["voucher_kind"], l6["voucher_no"], l6["project_no"]) == (D(2024, 1, 31), "记", "0001", "RD01")
    assert l6["amount"] == 5_000_000 and l6["amount_yuan"] == Decimal("50000.00")
    assert (l6["code"], l6["suggested_code"], l6["rule_id"], l6["status"]) == ("R04", "R04", "staff-wages", "ok")
    assert l6["origin"] == {"sheet": "凭证列表", "row": 6, "cells": {
        "date": "A6", "voucher": "B6", "summary": "C6", "account_code": "D6", "account_name": "E6", "debit": "F6",
        "credit": "G6", "project": "H6"}}

    l8 = lines[8]                                          # text amount "1,234.56", 辅助项 "研发项目:RD02"
    assert (l8["amount"], l8["project_no"], l8["voucher_no"], l8["code"]) == (123456, "RD02", "0012", "R08")
    assert l8["rule_id"] == "direct-material"

    l10 = lines[10]                                        # credit on an R&D 科目 = reversal
    assert l10["amount"] == -10010 and l10["code"] == "R08" and l10["date"] == D(2024, 3, 10)

    assert lines[11]["status"] == "error" and lines[11]["amount"] is None
    assert lines[12]["status"] == "error" and lines[12]["date"] is None

    l13 = lines[13]                                        # 0.1 + 0.2 float noise, "记 25"
    assert (l13["amount"], l13["voucher_kind"], l13["voucher_no"], l13["code"], l13["rule_id"]) == (
        30, "记", "25", "R33", "other-travel")

    l14 = lines[14]                                        # both sides filled → debit − credit, flagged
    assert l14["amount"] == 15000 and l14["status"] == "review" and "W_ERP_DEBIT_AND_CREDIT" in l14["issues"]
    assert (l14["code"], l14["rule_id"]) == ("R14", "equipment-maintenance")

    l15, l16 = lines[15], lines[16]                        # merged date / voucher cells over two 分录
    assert (l15["date"], l15["voucher_no"], l15["code"], l15["rule_id"]) == (D(2024, 5, 6), "0030", "R15", "equipment-rent")
    assert (l16["date"], l16["voucher_no"], l16["code"], l16["amount"]) == (D(2024, 5, 6), "0030", "R05", 80000)
    assert l16["filled"] == ["date", "voucher"]

    l18 = lines[18]
    assert l18["project_no"] == "RD99" and "W_ERP_PROJECT_UNKNOWN" in l18["issues"] and l18["status"] == "review"
    assert res.stats["unknown_projects"] == ["RD99"]


def test_u8_findings_locate_every_problem(u8):
    src, match = u8
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    f = one(res, "E_ERP_DATE")
    assert (f.severity, f.sheet, f.row, f.column, f.cell) == ("error", "凭证列表", 12, "制单日期", "A12")
    f = one(res, "E_ERP_AMOUNT")
    assert (f.sheet, f.row, f.column, f.cell) == ("凭证列表", 11, "借方金额", "F11")
    assert "12,3a" in f.message
    f = one(res, "W_ERP_DEBIT_AND_CREDIT")
    assert (f.row, f.cell) == (14, "G14")
    f = one(res, "I_ERP_TOTAL_ROW")
    assert (f.severity, f.row, f.column, f.cell) == ("info", 19, "制单日期", "A19")
    f = one(res, "I_ERP_TRANSFER")
    assert (f.row, f.cell) == (17, "C17")
    not_rd = findings(res, "I_ERP_NOT_RD")
    assert [(x.row, x.cell) for x in not_rd] == [(7, "E7"), (9, "E9")]
    assert all(x.severity == "info" for x in not_rd)
    f = one(res, "W_ERP_PROJECT_UNKNOWN")
    assert (f.row, f.cell, f.column) == (18, "H18", "项目")
    assert one(res, "I_ERP_NO_AMOUNT").row == 21
    # every data row is accounted for: a line or a skip finding
    seen = {ln["origin"]["row"] for ln in res.lines} | {x.row for x in res.findings if x.code.startswith("I_ERP_")
                                                          and x.row and x.row > 5}
    assert seen == {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21}


def test_u8_filled_down_date_comes_from_the_same_voucher(u8):
    """Row 9 (原材料, skipped) has no date: it must not break carrying row 8's voucher to later rows."""
    src, match = u8
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    assert one(res, "I_ERP_FILLED_DOWN").severity == "info"
    assert by_row(res)[16]["voucher_no"] == "0030"


# --------------------------------------------------------------------------- 金蝶 K/3 (GBK CSV)

def test_k3_gbk_csv(tmp_path):
    src = E.open_source(make_k3_csv(tmp_path / "k3凭证.csv"))
    assert src.kind == "csv"
    sheet = src.sheet_names[0]
    h = E.detect_header(src.sheet(sheet))
    assert h.excel_row == 2
    match = E.guess_preset(src)
    assert match.preset.id == "kingdee-k3-voucher" and match.score == 1.0
    assert match.mapping.columns["account_code"] == "科目代码" and match.mapping.columns["project"] == "核算项目"
    res = E.convert(src, sheet, match.mapping, E.load_rules(), KNOWN)
    lines = by_row(res)
    assert sorted(lines) == [3, 5, 7, 8]
    l3 = lines[3]
    assert (l3["date"], l3["voucher_kind"], l3["voucher_no"], l3["project_no"], l3["amount"], l3["code"]) == (
        D(2024, 1, 31), "记", "1", "RD01", 8_000_000, "R04")
    assert (l3["account_code"], l3["account_name"]) == ("5301.01", "研发支出 - 人工费")
    l5 = lines[5]
    assert (l5["date"], l5["voucher_no"], l5["project_no"], l5["amount"], l5["code"], l5["rule_id"]) == (
        D(2024, 2, 15), "8", "RD02", 350000, "R31", "other-ip")
    l7 = lines[7]
    assert (l7["code"], l7["rule_id"], l7["project_no"]) == ("R17", "depreciation-instrument", "RD09")
    assert "W_ERP_PROJECT_UNKNOWN" in l7["issues"]
    l8 = lines[8]
    assert l8["code"] is None and l8["suggested_code"] is None and l8["status"] == "review"
    f = one(res, "W_ERP_NO_CODE")
    assert (f.row, f.column, f.cell) == (8, "摘要", "E8")
    assert [x.row for x in findings(res, "I_ERP_NOT_RD")] == [4, 6]
    assert one(res, "I_ERP_TOTAL_ROW").cell == "A9"
    assert res.stats["total_fen"] == 8_000_000 + 350000 + 120000 + 9900


# --------------------------------------------------------------------------- 金蝶云星空 (UTF-8 BOM, tab)

def test_cloud_tab_csv_with_title_line(tmp_path):
    src = E.open_source(make_cloud_csv(tmp_path / "星空凭证.txt"))
    sheet = src.sheet_names[0]
    assert "按制表符分隔读取" in src.notes
    match = E.guess_preset(src)
    assert match.preset.id == "kingdee-cloud-voucher" and match.score == 1.0
    assert match.header.excel_row == 3
    assert match.mapping.columns["date"] == "日期" and match.mapping.columns["voucher_kind"] == "凭证字"
    res = E.convert(src, sheet, match.mapping, E.load_rules(), KNOWN)
    lines = by_row(res)
    assert sorted(lines) == [4, 5, 6, 7]
    l4 = lines[4]
    assert (l4["date"], l4["voucher_kind"], l4["voucher_no"], l4["amount"], l4["project_no"], l4["code"]) == (
        D(2024, 6, 30), "记", "0045", 1_234_567, "RD01", "R05")
    assert l4["rule_id"] == "staff-social-insurance"
    l5 = lines[5]
    assert (l5["project_no"], l5["amount"], l5["code"], l5["rule_id"]) == ("RD02", 20_000_000, "R36", "entrust-domestic")
    l6 = lines[6]
    assert (l6["amount"], l6["code"]) == (-50050, "R08")
    l7 = lines[7]
    assert (l7["code"], l7["rule_id"], l7["project_no"]) == ("NE03", "rent-building", "RD01")
    f = one(res, "I_ERP_NOT_RD")
    assert (f.row, f.column, f.cell) == (8, "科目全名", "G8")
    assert one(res, "I_ERP_TOTAL_ROW").row == 9


# --------------------------------------------------------------------------- 用友 U8 明细账 (two-row header, 月/日)

def test_u8_ledger_split_date_and_title_account(tmp_path):
    src = E.open_source(make_u8_ledger(tmp_path / "明细账.xlsx"))
    h = E.detect_header(src.sheet("明细账"))
    assert (h.excel_row, h.rows, h.year) == (4, 2, 2024)
    assert h.headers[:4] == ("月", "日", "凭证号数", "摘要")
    assert (h.account_code, h.account_name) == ("5301", "研发支出")
    match = E.guess_preset(src)
    assert match.preset.id == "yonyou-u8-ledger"
    assert {"month": "月", "day": "日", "voucher": "凭证号数", "debit": "借方", "credit": "贷方"}.items() <= \
        match.mapping.columns.items()
    res = E.convert(src, "明细账", match.mapping, E.load_rules(), KNOWN)
    lines = by_row(res)
    assert sorted(lines) == [7, 8, 9]
    assert (lines[7]["date"], lines[7]["voucher_no"], lines[7]["project_no"], lines[7]["amount"], lines[7]["code"]) == (
        D(2024, 1, 31), "0001", "RD01", 5_000_000, "R04")
    assert (lines[8]["date"], lines[8]["project_no"], lines[8]["amount"], lines[8]["code"]) == (
        D(2024, 1, 31), "RD02", 800050, "R08")
    assert lines[7]["project_source"] == "summary" and lines[7]["account_code"] == "5301"
    f = one(res, "E_ERP_DATE")                       # 2月30日
    assert (f.row, f.column, f.cell) == (9, "日", "B9")
    assert lines[9]["status"] == "error"
    assert [x.row for x in findings(res, "I_ERP_TOTAL_ROW")] == [6, 10, 12]
    assert one(res, "I_ERP_TRANSFER").row == 11
    assert one(res, "I_ERP_YEAR_FROM_TITLE").severity == "info"


# --------------------------------------------------------------------------- .xls and the generic layout

def test_xls_generic_list_with_given_codes(tmp_path):
    cells = [(0, 0, "研发费用明细"),
             (2, 0, "日期"), (2, 1, "凭证号"), (2, 2, "项目编号"), (2, 3, "费用代码"), (2, 4, "摘要"), (2, 5, "金额（元）"),
             (3, 0, 45322.0), (3, 1, "记-7"), (3, 2, "RD01"), (3, 3, "R08"), (3, 4, "材料"), (3, 5, 1000.5),
             (4, 0, "2024年3月5日"), (4, 1, "记-8"), (4, 2, "rd02"), (4, 3, "8"), (4, 4, "材料"), (4, 5, "(1,000.00)"),
             (5, 0, "20240306"), (5, 1, "记-9"), (5, 2, "RD01"), (5, 3, "X99"), (5, 4, "差旅费"), (5, 5, "¥88.00")]
    src = E.open_source(make_xls(tmp_path / "旧版.xls", cells))
    assert src.kind == "xls"
    match = E.guess_preset(src)
    assert match.preset.id == "generic"
    assert match.mapping.columns["amount"] == "金额（元）"
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    lines = by_row(res)
    assert (lines[4]["date"], lines[4]["code"], lines[4]["rule_id"], lines[4]["amount"]) == (
        D(2024, 1, 31), "R08", "column", 100050)
    assert (lines[5]["date"], lines[5]["code"], lines[5]["project_no"], lines[5]["amount"]) == (
        D(2024, 3, 5), "R08", "RD02", -100000)
    assert (lines[6]["code"], lines[6]["rule_id"]) == ("R33", "other-travel")    # X99 unknown → rules
    f = one(res, "W_ERP_CODE_UNKNOWN")
    assert (f.row, f.cell, f.column) == (6, "D6", "费用代码")
    assert one(res, "I_ERP_NO_ACCOUNT").severity == "info"


# --------------------------------------------------------------------------- round trip through the workbook

def test_written_workbook_loads_with_the_same_lines(tmp_path, u8):
    src, match = u8
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    rows = E.to_workbook_rows(res, statuses=("ok",))
    assert rows and all(r["code"] and r["project_no"] for r in rows)
    ok = res.lines_with_status("ok")
    path = tmp_path / "导入结果.xlsx"
    write_workbook(path, profile=profile(), projects=[project("RD01"), project("RD02")], lines=rows)
    ledger = load_ledger(path)
    assert not [f for f in ledger.findings if f.severity == "error" and f.sheet == "研发支出"]
    got = [(l.date, l.voucher_kind, l.voucher_no, l.project_no, l.code, l.summary, l.amount) for l in ledger.lines]
    want = [(l["date"], l["voucher_kind"], l["voucher_no"], l["project_no"], l["code"], l["summary"], l["amount"])
            for l in ok]
    assert got == want
    assert sum(l.amount for l in ledger.lines) == 5_000_000 + 123456 - 10010 + 30 + 300000 + 80000


def test_review_lines_with_user_overrides(tmp_path):
    src = E.open_source(make_k3_csv(tmp_path / "k3.csv"))
    match = E.guess_preset(src)
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    idx = next(i for i, ln in enumerate(res.lines) if ln["code"] is None)
    rows = E.to_workbook_rows(res, overrides={idx: {"code": "NE99"}})
    assert len(rows) == 4 and rows[-1]["code"] == "NE99" and rows[-1]["amount"] == Decimal("99.00")
    path = tmp_path / "out.xlsx"
    write_workbook(path, profile=profile(), projects=[project("RD01"), project("RD02"), project("RD09")], lines=rows)
    ledger = load_ledger(path)
    assert [l.code for l in ledger.lines] == ["R04", "R31", "R17", "NE99"]
    assert [l.amount for l in ledger.lines] == [8_000_000, 350000, 120000, 9900]


# --------------------------------------------------------------------------- preview

def test_preview_limits_rows_and_lists_columns(u8):
    src, match = u8
    pv = E.preview(src, match.sheet, match.mapping, E.load_rules(), KNOWN, max_rows=3)
    assert pv.truncated
    assert [ln["origin"]["row"] for ln in pv.lines] == [6, 8]       # rows 6, 7 (skipped), 8
    assert pv.columns[0] == (0, "A", "制单日期", "date") and pv.columns[8] == (8, "I", "制单人", None)
    assert pv.rows[0][0] == 6 and pv.rows[0][1][1] == "记-0001"
    full = E.preview(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    assert not full.truncated and len(full.lines) == 10


# --------------------------------------------------------------------------- presets

def test_shipped_presets_are_valid():
    presets = {p.id: p for p in E.load_presets(user_dir="/nonexistent")}
    assert set(presets) == {"yonyou-u8-voucher", "yonyou-u8-ledger", "yonyou-tplus-voucher", "kingdee-k3-voucher",
                            "kingdee-kis-ledger", "kingdee-cloud-voucher", "generic"}
    for p in presets.values():
        assert p.origin == "builtin" and p.name and p.signature
        assert set(p.columns) <= set(E.FIELDS)


def test_user_preset_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setattr(userdirs.sys, "platform", "linux")
    src = E.open_source(make_k3_csv(tmp_path / "k3.csv"))
    match = E.guess_preset(src)
    mapping = replace(match.mapping, strip_voucher_zeros=False, project_sources=("column",))
    saved = E.save_preset(mapping, "我的 K/3 凭证")
    assert saved.id == "user-我的 K_3 凭证"
    assert Path(saved.path) == tmp_path / "cfg" / "rd-benefit" / "erp_presets" / "user-我的 K_3 凭证.yaml"
    doc = yaml.safe_load(Path(saved.path).read_text(encoding="utf-8"))
    assert doc["format"] == "rd-benefit/erp-preset" and doc["columns"]["debit"] == ["借方"]
    (tmp_path / "cfg" / "rd-benefit" / "erp_presets" / "坏.yaml").write_text("columns: [", encoding="utf-8")
    problems: list[str] = []
    presets = E.load_presets(problems=problems)
    assert len(problems) == 1 and "坏.yaml" in problems[0]
    mine = next(p for p in presets if p.id == saved.id)
    assert mine.origin == "user"
    again = mine.mapping_for(E.detect_header(src.sheet(match.sheet)))
    assert again.columns == mapping.columns
    assert again.strip_voucher_zeros is False and again.project_sources == ("column",)
    assert again.rd_filter == mapping.rd_filter
    best = E.guess_preset(src, presets)
    assert best.score == 1.0 and best.preset.id in (saved.id, "kingdee-k3-voucher")
    # JSON presets are read too
    (tmp_path / "cfg" / "rd-benefit" / "erp_presets" / "j.json").write_text(
        '{"id": "user-json", "name": "J", "columns": {"date": ["日期"], "amount": ["金额"]}}', encoding="utf-8")
    assert any(p.id == "user-json" for p in E.load_presets())


# --------------------------------------------------------------------------- robustness

def test_no_header_and_bad_mapping_are_findings(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    src = E.open_source(path)
    sheet = src.sheet_names[0]
    h = E.detect_header(src.sheet(sheet))
    assert h.row is None and h.confidence == 0
    assert E.guess_preset(src) is None
    res = E.convert(src, sheet, E.ColumnMapping(columns={"date": "日期", "amount": "金额"}))
    assert [f.code for f in res.findings] == ["E_ERP_HEADER"] and res.lines == []
    res = E.convert(src, "没有这张表", E.ColumnMapping())
    assert [f.code for f in res.findings] == ["E_ERP_SHEET"]


def test_missing_columns_reported_before_converting(tmp_path, u8):
    src, match = u8
    bad = E.ColumnMapping(columns={"date": "制单日期", "debit": "不存在的列"})
    res = E.convert(src, match.sheet, bad, E.load_rules())
    codes = [(f.code, f.column) for f in res.findings]
    assert ("E_ERP_MAPPING", "不存在的列") in codes and res.lines == []


def test_unexpected_exceptions_become_findings(u8, monkeypatch):
    src, match = u8

    def boom(*a, **k):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(E, "classify", boom)
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    internal = findings(res, "E_ERP_INTERNAL")
    assert internal and all(f.row for f in internal) and "kaputt" in internal[0].message
    monkeypatch.setattr(E, "detect_header", boom)
    res = E.convert(src, match.sheet, match.mapping)
    assert [f.code for f in res.findings] == ["E_ERP_INTERNAL"]


def test_unreadable_file_raises_workbook_error(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"%PDF-1.4 not a workbook")
    with pytest.raises(E.WorkbookError):
        E.open_source(p)


def test_text_saved_as_xls_is_read_as_csv(tmp_path):
    p = tmp_path / "u8导出.xls"
    p.write_bytes("日期\t凭证号\t摘要\t金额\n2024-01-02\t记-1\t电费\t10\n".encode("gbk"))
    src = E.open_source(p)
    assert src.kind == "csv"
    m = E.guess_preset(src)
    res = E.convert(src, m.sheet, m.mapping, E.load_rules(), None)
    (ln,) = res.lines
    assert (ln["amount"], ln["code"], ln["project_no"]) == (1000, "R10", None)
    assert ln["status"] == "review" and "W_ERP_NO_PROJECT" in ln["issues"]


def test_amount_with_direction_column(tmp_path):
    p = tmp_path / "dc.csv"
    p.write_text("日期,凭证号,摘要,项目,金额,借贷方向\n2024-01-02,1,材料,RD01,100,借\n2024-01-03,2,材料,RD01,40,贷\n"
                 "2024-01-04,3,材料,RD01,5,?\n", encoding="utf-8")
    src = E.open_source(p)
    h = E.detect_header(src.sheet())
    m = E.ColumnMapping(columns={"date": "日期", "voucher": "凭证号", "summary": "摘要", "project": "项目",
                                 "amount": "金额", "dc": "借贷方向"}, amount_mode="amount_dc")
    res = E.convert(src, src.sheet_names[0], m, E.load_rules(), ["RD01"], header=h)
    assert [ln["amount"] for ln in res.lines] == [10000, -4000, None]
    f = one(res, "E_ERP_DC")
    assert (f.row, f.cell) == (4, "F4")


# --------------------------------------------------------------------------- rules

def test_rules_file_is_valid_and_sourced():
    rules = E.load_rules()
    assert rules.version == 1 and len(rules.rules) >= 40
    doc = yaml.safe_load(E.RULES_PATH.read_text(encoding="utf-8"))
    for r in doc["rules"]:
        assert r["source"] in doc["sources"] and r["why"], r["id"]
    assert {r.code for r in rules.rules} >= {
        "R04", "R05", "R06", "R08", "R09", "R10", "R11", "R12", "R13", "R14", "R15", "R17", "R18", "R20", "R21",
        "R22", "R24", "R25", "R26", "R29", "R30", "R31", "R32", "R33", "R36", "R37", "NE01", "NE02", "NE03",
        "NE06", "NE07", "NE08"}


@pytest.mark.parametrize("account,summary,code,rule", [
    ("研发支出-人员人工-工资", "计提1月工资", "R04", "staff-wages"),
    ("研发支出", "缴纳研发人员住房公积金", "R05", "staff-social-insurance"),
    ("研发支出-外聘人员劳务费", "", "R06", "staff-external"),
    ("研发支出-燃料费", "", "R09", "direct-fuel"),
    ("研发支出-水电费", "", "R10", "direct-power"),
    ("研发支出", "试制模具开发费", "R11", "direct-mould"),
    ("研发支出-直接投入", "样机购置", "R12", "direct-sample"),
    ("研发支出", "试制产品检验费", "R13", "direct-inspection"),
    ("研发支出", "研发设备维修费", "R14", "equipment-maintenance"),
    ("研发支出", "仪器设备租赁费", "R15", "equipment-rent"),
    ("研发支出", "实验室房租", "NE03", "rent-building"),
    ("研发支出-折旧费", "检测仪器折旧", "R17", "depreciation-instrument"),
    ("研发支出-折旧费", "研发设备折旧", "R18", "depreciation-equipment"),
    ("研发支出-折旧费", "研发楼房屋折旧", "NE01", "depreciation-building"),
    ("研发支出-无形资产摊销", "设计软件摊销", "R20", "amortisation-software"),
    ("研发支出-无形资产摊销", "专利权摊销", "R21", "amortisation-patent"),
    ("研发支出", "新产品设计费", "R24", "design-product"),
    ("研发支出", "新工艺规程制定", "R25", "design-process"),
    ("研发支出", "新药临床试验费", "R26", "design-clinical"),
    ("研发支出", "技术资料翻译费", "R29", "other-books"),
    ("研发支出", "成果鉴定评审费", "R30", "other-review"),
    ("研发支出", "发明专利申请费", "R31", "other-ip"),
    ("研发支出", "研发人员补充养老保险", "R32", "staff-welfare"),
    ("研发支出-差旅费", "", "R33", "other-travel"),
    ("研发支出", "委托境外机构开发费", "R37", "entrust-overseas"),
    ("研发支出", "委托研发费（某大学）", "R36", "entrust-domestic"),
    ("研发支出", "办公费", "NE07", "not-office"),
    ("研发支出", "通讯费", "NE06", "not-telecom"),
    ("研发支出", "研发人员培训费", "NE08", "staff-training"),
    ("研发支出", "实验室装修", "NE02", "amortisation-long-term-prepaid"),
    ("研发支出", "行政人员工资", "NE05", "staff-nonrd"),
])
def test_rule_suggestions(account, summary, code, rule):
    s = E.classify(account, summary, E.load_rules())
    assert (s.code, s.rule_id) == (code, rule)
    assert s.confidence >= E.load_rules().min_confidence


def test_vague_words_are_not_confident():
    rules = E.load_rules()
    for account, summary in [("研发支出", "租金"), ("研发支出", "折旧"), ("研发支出", "维修"),
                             ("研发支出-直接投入", "领用材料用于样机")]:
        s = E.classify(account, summary, rules)
        assert s.code and s.confidence < rules.min_confidence, (summary, s)
    s = E.classify("研发支出-直接投入", "领用材料用于样机", rules)
    assert s.ambiguous and "R08" in [a[0] for a in s.alternatives]
    assert E.classify("研发支出", "XYZ", rules).code is None


def test_malformed_rules_rejected(tmp_path):
    bad = {"version": 1, "sources": {"x": "y"}, "rules": [{"id": "a", "code": "R99", "confidence": 0.9, "any": ["a"]}]}
    with pytest.raises(E.RulesError, match="R99"):
        E.parse_rules(bad)
    bad["rules"][0].update(code="R04", confidence=2)
    with pytest.raises(E.RulesError, match="confidence"):
        E.parse_rules(bad)
    bad["rules"][0].update(confidence=0.5, source="nope")
    with pytest.raises(E.RulesError, match="nope"):
        E.parse_rules(bad)


def test_parse_voucher_forms():
    assert E.parse_voucher("记-0012") == ("记", "12")
    assert E.parse_voucher("记 12") == ("记", "12")
    assert E.parse_voucher("记字第12号") == ("记", "12")
    assert E.parse_voucher("记 - 0003") == ("记", "3")
    assert E.parse_voucher("转-0") == ("转", "0")
    assert E.parse_voucher(12.0) == (None, "12")
    assert E.parse_voucher("记-0012", strip_zeros=False) == ("记", "0012")
    assert E.parse_voucher("JZ2024-001") == (None, "JZ2024-001")
    assert E.parse_voucher(None) == (None, None)


def test_rd_filter():
    f = E.RdFilter()
    assert f.is_rd("5301.01", "研发支出-人工")
    assert f.is_rd("4301", None)                  # 小企业会计准则
    assert f.is_rd(None, "管理费用-研发费用-材料")
    assert not f.is_rd("2211", "应付职工薪酬-研发人员")
    assert not f.is_rd("6602.07", "管理费用-办公费")
    assert E.RdFilter(enabled=False).is_rd("1002", "银行存款")


# --------------------------------------------------------------------------- 金蝶 KIS 明细分类账 (account sections) and T+

def test_kis_ledger_with_account_sections(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "明细分类账"
    data = {
        1: ["明细分类账"],
        2: ["科目：5301.01 研发支出-人工费    期间：2024年第1期至2024年第12期"],
        3: ["日期", "凭证字号", "摘要", "借方金额", "贷方金额", "方向", "余额"],
        4: [D(2024, 1, 1), None, "期初余额", None, None, "平", 0],
        5: [D(2024, 1, 31), "记-3", "计提RD01研发人员工资", 30000, None, "借", 30000],
        6: [D(2024, 1, 31), None, "本期合计", 30000, None, "借", 30000],
        8: ["科目：5301.02 研发支出-材料费"],
        9: ["日期", "凭证字号", "摘要", "借方金额", "贷方金额", "方向", "余额"],
        10: [D(2024, 2, 3), "记-9", "RD02领料", 450.25, None, "借", 450.25],
        11: [None, None, "本年累计", 450.25, None, "借", 450.25],
    }
    for r, values in data.items():
        for j, v in enumerate(values, 1):
            if v is not None:
                ws.cell(r, j, v)
    ws.merge_cells("A2:G2")
    wb.save(tmp_path / "kis.xlsx")
    src = E.open_source(tmp_path / "kis.xlsx")
    match = E.guess_preset(src)
    assert match.preset.id == "kingdee-kis-ledger" and match.header.excel_row == 3
    assert (match.header.account_code, match.header.account_name) == ("5301.01", "研发支出-人工费")
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    lines = by_row(res)
    assert sorted(lines) == [5, 10]
    assert (lines[5]["account_code"], lines[5]["code"], lines[5]["project_no"], lines[5]["amount"]) == (
        "5301.01", "R04", "RD01", 3_000_000)
    assert (lines[10]["account_name"], lines[10]["code"], lines[10]["project_no"], lines[10]["amount"]) == (
        "研发支出-材料费", "R08", "RD02", 45025)
    assert lines[10]["rule_id"] == "direct-material" and lines[10]["status"] == "ok"
    assert one(res, "I_ERP_ACCOUNT_SECTION").row == 8
    assert one(res, "I_ERP_REPEATED_HEADER").row == 9
    assert [f.row for f in findings(res, "I_ERP_TOTAL_ROW")] == [4, 6, 11]
    assert one(res, "I_ERP_ACCOUNT_FROM_TITLE").severity == "info"


def test_tplus_combined_account_column_and_project_names(tmp_path):
    p = tmp_path / "tplus.csv"
    p.write_bytes("凭证列表\n日期,凭证字号,摘要,科目,借方金额,贷方金额,辅助项\n"
                  "2024-09-01,记-5,支付研发用电费,530104 研发支出_直接投入,800.00,,项目：智能控制器研发\n"
                  "2024-09-01,记-5,支付研发用电费,100201 银行存款_工行,,800.00,\n"
                  "2024-09-02,记-6,支付检测费,530104 研发支出_直接投入,50.00,,项目：新材料工艺研发；部门：研发部\n"
                  .encode("gb18030"))
    src = E.open_source(p)
    match = E.guess_preset(src)
    assert match.preset.id == "yonyou-tplus-voucher"
    res = E.convert(src, match.sheet, match.mapping, E.load_rules(), KNOWN)
    lines = by_row(res)
    assert sorted(lines) == [3, 5]
    assert (lines[3]["account_code"], lines[3]["account_name"], lines[3]["project_no"], lines[3]["code"]) == (
        "530104", "研发支出_直接投入", "RD01", "R10")
    assert (lines[5]["project_no"], lines[5]["code"], lines[5]["amount"]) == ("RD02", "R13", 5000)
    assert one(res, "I_ERP_NOT_RD").row == 4


def test_two_row_header_with_group_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数量金额式"
    rows = [["研发支出明细账"], [],
            ["日期", "凭证号", "摘要", "项目", "借方", None, "贷方", None],
            [None, None, None, None, "数量", "金额", "数量", "金额"],
            ["2024-01-05", "记-1", "领用材料", "RD01", 2, "1,000.00", None, None],
            ["2024-01-06", "记-2", "退回材料", "RD01", None, None, 1, "250.00"]]
    for r, values in enumerate(rows, 1):
        for j, v in enumerate(values, 1):
            if v is not None:
                ws.cell(r, j, v)
    ws.merge_cells("E3:F3")
    ws.merge_cells("G3:H3")
    wb.save(tmp_path / "qty.xlsx")
    src = E.open_source(tmp_path / "qty.xlsx")
    h = E.detect_header(src.sheet("数量金额式"))
    assert (h.excel_row, h.rows) == (3, 2)
    assert h.headers == ("日期", "凭证号", "摘要", "项目", "借方数量", "借方金额", "贷方数量", "贷方金额")
    m = E.guess_preset(src)
    assert m.mapping.columns["debit"] == "借方金额" and m.mapping.columns["credit"] == "贷方金额"
    res = E.convert(src, m.sheet, m.mapping, E.load_rules(), KNOWN)
    assert [(ln["origin"]["row"], ln["amount"]) for ln in res.lines] == [(5, 100000), (6, -25000)]
