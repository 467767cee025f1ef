"""The demo's service records (``renkou demo``)."""


def prepare_demo(stdout) -> None:
    return None
