"""The Jupyter / IPython face: ``%wac`` magics (:mod:`.magics`), widgets (:mod:`.widgets`).

``%load_ext wac_toolkit`` loads the magics. Nothing here patches asyncio or touches the
network at import time; the gateway starts only when ``%wac start`` (or a widget's caller) asks.
"""

__all__: list[str] = []
