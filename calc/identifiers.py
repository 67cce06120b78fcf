"""Identifier checks: 统一社会信用代码 (GB 32100-2015), GB/T 4754-2017 industry codes,
科技型中小企业 入库登记编号."""
from __future__ import annotations

import csv
import functools
import unicodedata
from pathlib import Path

from .params import PARAMS_DIR

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str | None:
    """``None`` when valid, else a Chinese message."""
    code = unicodedata.normalize("NFKC", code).strip().upper()
    if len(code) != 18:
        return f"统一社会信用代码“{code}”应为18位（实际{len(code)}位）"
    bad = [c for c in code if c not in CREDIT_CHARSET]
    if bad:
        return f"统一社会信用代码“{code}”含有不允许的字符“{bad[0]}”（不使用 I、O、Z、S、V）"
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码“{code}”校验位错误：按 GB 32100-2015 应为“{expected}”"
    return None


@functools.lru_cache(maxsize=4)
def industry_table(path: str | None = None) -> dict[str, tuple[str, str, str]]:
    """``{"C3981": ("C", "电阻电容电感元件制造", "小类"), "C39": …, "C": …}``."""
    p = Path(path) if path else PARAMS_DIR / "gbt4754_2017.csv"
    table: dict[str, tuple[str, str, str]] = {}
    with p.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            letter, code = row["门类"].strip(), row["代码"].strip()
            key = letter if code == letter else letter + code
            table[key] = (letter, row["名称"].strip(), row["层级"].strip())
    return table


def normalize_industry_code(raw: str) -> tuple[str | None, str | None]:
    """``(canonical code, None)`` or ``(None, message)``. Accepts ``C3981``, ``c3981``,
    ``C39`` and the bare digits ``3981`` (the 门类 letter is looked up)."""
    code = unicodedata.normalize("NFKC", raw).strip().upper().replace(" ", "")
    table = industry_table()
    if code in table:
        return code, None
    if code.isdigit():
        matches = [k for k in table if k[1:] == code]
        if len(matches) == 1:
            return matches[0], None
    return None, f"行业代码“{raw}”不在《国民经济行业分类》(GB/T 4754-2017) 中"


def industry_name(code: str) -> str | None:
    entry = industry_table().get(code)
    return entry[1] if entry else None


def tech_sme_year(number: str) -> int | None:
    """The registration year printed on a 科技型中小企业 入库登记编号 (its first four digits)."""
    n = number.strip()
    if len(n) >= 11 and n[:4].isdigit():
        return int(n[:4])
    return None


def tech_sme_covers(number: str, year: int) -> bool:
    """国科发火〔2018〕11号 / 广东指引 Q&A 8.1: a number registered in Y covers Y; one registered in
    Y+1 whose 11th character is "0" may also be used for the Y annual settlement."""
    reg = tech_sme_year(number)
    if reg is None:
        return False
    return reg == year or (reg == year + 1 and number.strip()[10] == "0")


_CERT_DATE = None


def parse_hnte_certificates(text: object) -> tuple[tuple, list[str]]:
    """高新技术企业历次证书 as typed: entries “证书编号 发证日期” separated by ；/;/newlines (the number may be left
    out, the date may be written 2019-12-02, 2019/12/2 or 2019年12月2日).  Returns (((no | None, date), …) in the
    order given, [Chinese problem, …]); an entry without a readable date is a problem, never guessed."""
    import re

    from .values import ValueProblem, parse_date
    global _CERT_DATE
    if _CERT_DATE is None:
        _CERT_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
    if text is None:
        return (), []
    certs, problems = [], []
    for entry in re.split(r"[;；\n\r]+", unicodedata.normalize("NFKC", str(text))):
        entry = entry.strip()
        if not entry:
            continue
        dates = list(_CERT_DATE.finditer(entry))
        if len(dates) != 1:
            problems.append(f"“{entry[:40]}”：{'未写发证日期' if not dates else '含多个日期'}"
                            "（每张证书写“证书编号 发证日期”，证书之间用；分隔）")
            continue
        m = dates[0]
        try:
            day = parse_date(f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}")
        except ValueProblem as exc:
            problems.append(f"“{entry[:40]}”：{exc}")
            continue
        no = (entry[:m.start()] + " " + entry[m.end():]).strip(" \t,，:：()（）、")
        certs.append((no or None, day))
    return tuple(certs), problems
