"""The columns of a person file (人员信息表), in machine and Chinese form.

``renkou import persons`` and the upload page read either form — or a mix, as a clerk's
own spreadsheet has it; exports and the template write either (pages default to
Chinese, the command line to the machine form scripts depend on). The coded values come
from the model's choices (:func:`renkou.core.columns.coded_values`) and a few older
words still written in the field.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from renkou.core.columns import Column, chinese_labels, coded_values

from .ethnicity import ethnicity_name
from .models import Education, HukouType, MaritalStatus, PersonStatus, Relationship, Sex

__all__ = ["PERSON_FILE_COLUMNS", "CODED_COLUMNS", "accepted_values", "chinese_value",
           "chinese_header"]

PERSON_FILE_COLUMNS = (
    Column("person_id", "人员编号"),
    Column("id_number", "公民身份号码", ("身份证号", "身份证号码", "身份证")),
    Column("name", "姓名"),
    Column("sex", "性别"),
    Column("birth_date", "出生日期"),
    Column("org_code", "区划代码", ("村（居）代码", "村代码", "单位代码", "所在单位代码")),
    Column("household_no", "户号", ("户编号",)),
    Column("hukou_type", "户口性质", ("户口类别", "户籍性质")),
    Column("marital_status", "婚姻状况"),
    Column("status", "人员状态", ("状态",)),
    Column("mother_person_id", "母亲人员编号"),
    Column("father_person_id", "父亲人员编号"),
    Column("mother_id_number", "母亲公民身份号码", ("母亲身份证号",)),
    Column("father_id_number", "父亲公民身份号码", ("父亲身份证号",)),
    Column("source_ref", "原系统编号", ("原编号",)),
    Column("enrolled_date", "建档日期"),
    Column("status_date", "死亡或迁出日期", ("状态日期",)),
    Column("relationship", "与户主关系"),
    Column("ethnicity", "民族"),
    Column("education", "文化程度"),
)

#: Coded columns: their choices and the older words still written for them.
_CODED: dict[str, tuple[Any, dict[str, str]]] = {
    "sex": (Sex, {}),
    "hukou_type": (HukouType, {"农业": "rural", "非农业": "urban", "农村": "rural",
                               "城镇": "urban", "农村户口": "rural", "城镇户口": "urban"}),
    "marital_status": (MaritalStatus, {"已婚": "married", "初婚": "married", "再婚": "married",
                                       "复婚": "married"}),
    "status": (PersonStatus, {"迁出": "moved_out", "死亡": "dead", "常住": "resident"}),
    "relationship": (Relationship, {"本人": "head", "妻": "spouse", "夫": "spouse",
                                    "子": "child", "女": "child", "儿子": "child",
                                    "女儿": "child", "父亲": "parent", "母亲": "parent"}),
    "education": (Education, {"文盲": "none", "中专": "senior", "大专": "college",
                              "本科": "bachelor"}),
}
CODED_COLUMNS = tuple(_CODED)
_HEADERS = {c.name: c.chinese for c in PERSON_FILE_COLUMNS}


@cache
def accepted_values(column: str) -> dict[str, str]:
    """Text (lower-cased) → code for a coded column (the translations are read once)."""
    choices, synonyms = _CODED[column]
    return coded_values(choices, synonyms)


@cache
def _chinese(column: str) -> dict[str, str]:
    return chinese_labels(_CODED[column][0])


def chinese_header(name: str) -> str:
    """The Chinese header of a machine column (itself when it has none)."""
    return _HEADERS.get(name, name)


def chinese_value(column: str, value: Any) -> Any:
    """A machine value as the Chinese form writes it (男, 农业户口, 汉族 …)."""
    if column == "ethnicity" and value:
        return ethnicity_name(str(value))
    if column in _CODED:
        return _chinese(column).get(str(value), value)
    return value
