"""The person template (人员信息导入模板): the workbook a clerk fills in and uploads.

Chinese headers; drop-down lists (Excel data validation, kept by WPS too) for the coded
columns, fed from a sheet of the accepted values (性别 男/女, 户口性质, 婚姻状况, 与户主
关系, 民族 by name, 文化程度); the ID-number and code columns formatted as text, so Excel
does not turn an 18-digit number into 3.40621E+17; one example row; a sheet of the
user's units with their codes; and a sheet of instructions. Written with openpyxl.
"""

from __future__ import annotations

from typing import IO, Any

from django.utils import translation

from renkou.core.template_workbook import TemplateColumn, write_template
from renkou.orgunits.models import OrgUnit

from .ethnicity import ETHNICITIES
from .file_columns import chinese_header
from .models import Education, HukouType, MaritalStatus, Relationship, Sex

__all__ = ["TEMPLATE_COLUMNS", "write_person_template"]

#: The columns of the template, in order (the importer takes any order and more).
TEMPLATE_COLUMNS = ("name", "sex", "birth_date", "id_number", "org_code", "household_no",
                    "relationship", "hukou_type", "marital_status", "ethnicity", "education",
                    "enrolled_date", "mother_id_number", "father_id_number")
REQUIRED = {"name", "sex", "birth_date", "org_code", "hukou_type"}
TEXT_COLUMNS = {"id_number", "org_code", "household_no", "mother_id_number", "father_id_number"}


def _lists() -> dict[str, list[str]]:
    with translation.override("zh-hans"):
        lists = {column: [str(label) for _value, label in choices.choices]
                 for column, choices in (("sex", Sex), ("hukou_type", HukouType),
                                         ("marital_status", MaritalStatus),
                                         ("relationship", Relationship),
                                         ("education", Education))}
    lists["ethnicity"] = [name for _code, name in ETHNICITIES]
    return lists


def write_person_template(out: IO[bytes] | Any, *, units: list[OrgUnit]) -> None:
    """The template, with ``units`` (those the user may import into) listed by code."""
    village = units[-1].code if units else ""
    example = {"name": "张三", "sex": "男", "birth_date": "1990-03-07", "org_code": village,
               "household_no": "0010001", "relationship": "户主", "hukou_type": "农业户口",
               "marital_status": "有配偶", "ethnicity": "汉族", "education": "初中"}
    lists = _lists()
    columns = [TemplateColumn(chinese_header(c), required=c in REQUIRED, text=c in TEXT_COLUMNS,
                              choices=lists.get(c, ()), example=example.get(c, ""))
               for c in TEMPLATE_COLUMNS]
    write_template(out, sheet_title="人员信息", columns=columns, references={
        "单位代码": [["区划代码", "单位名称"], *([u.code, u.name] for u in units)]}, notes=(
        "人员信息导入模板：每行一人，第一行是列名，请勿改动列名。",
        "带颜色的列必须填写：姓名、性别、出生日期、区划代码、户口性质。",
        "出生日期、建档日期写成 1990-03-07；建档日期不填即为导入当天。",
        "公民身份号码可以不填（如新生儿）；填写时须与出生日期、性别相符。",
        "区划代码见“单位代码”表，只能导入您管辖范围内的单位。",
        "性别、户口性质、婚姻状况、与户主关系、民族、文化程度请从下拉列表选择。",
        "同一户的人填写相同的户号；母亲、父亲可填其公民身份号码（本表或信息库中的人）。",
        "第二行是示例，导入前请删除或改为真实数据。",
        "导入时全部检查：有任何一行不合格，整个文件都不导入，并返回标出错误单元格的文件，改正后重新上传。",
    ))
