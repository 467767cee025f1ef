"""Survey reconciliation (抽样核查) and cross-department reconciliation (部门比对):
matching outside lists to the register."""
