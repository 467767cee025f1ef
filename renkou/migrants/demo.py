"""The demo's migrant exchange with a neighbouring office."""


def prepare_demo(stdout) -> None:
    pass
