"""Demo content: placeholder until the demo programme is written."""


def build(ctx) -> None:
    return None
