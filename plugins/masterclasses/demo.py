"""Demo content: placeholder replaced below."""


def build(ctx):
    ctx.log("masterclasses: nothing yet")
