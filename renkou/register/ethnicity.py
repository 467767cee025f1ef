"""民族: the ethnic groups of GB 3304-1991 (中国各民族名称的罗马字母拼写法和代码), by code.

The standard's table is short and fixed, and no kept Python library carries it, so it
is written here. A person's ``ethnicity`` holds the two-digit code; clerks may type
the code (``1`` or ``01``), the name (``汉族``) or the name without 族 (``汉``), and
pages show the name.
"""

from __future__ import annotations

__all__ = ["ETHNICITIES", "ethnicity_name", "parse_ethnicity"]

_NAMES = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族",
    "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族",
    "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族",
    "基诺族",
)

#: (code, name) in code order: 01–56, then 97 and 98.
ETHNICITIES: tuple[tuple[str, str], ...] = (
    *((f"{i:02d}", name) for i, name in enumerate(_NAMES, 1)),
    ("97", "其他未识别民族"),
    ("98", "外国血统中国籍人士"),
)
_BY_CODE = dict(ETHNICITIES)
_BY_NAME = {name: code for code, name in ETHNICITIES}
_BY_NAME.update({name.removesuffix("族"): code for code, name in ETHNICITIES[:56]})
_BY_NAME.update({"其他": "97", "未识别民族": "97", "外国血统": "98"})


def parse_ethnicity(text: str) -> str | None:
    """The GB 3304 code for a code (``1``, ``01``) or a name (``汉族``, ``汉``); ``None``
    when it is neither."""
    text = (text or "").strip()
    if text.isdigit():
        code = text.zfill(2)
        return code if code in _BY_CODE else None
    return _BY_NAME.get(text)


def ethnicity_name(code: str) -> str:
    """The name of a GB 3304 code (the code itself if it is not one)."""
    return _BY_CODE.get(code, code)
