"""The control channel when the store is PostgreSQL: the database itself.

With one SQLite gateway, ``wac open-door SN`` and ``WacClient.via_gateway(SN)`` reach the
terminal through that gateway's control socket (:mod:`wac_toolkit.control`). With several
gateways on one PostgreSQL database, a control socket would reach one gateway on one host,
and through it the others; the database already reaches all of them. :class:`StoreControl`
has :class:`~wac_toolkit.control.ControlClient`'s methods over a Session that serves no
terminals (``listen=False``): each command is checked against the catalogue as the control
endpoint checks it, then routed through the database to whichever gateway holds the
terminal (:mod:`wac_toolkit.routing`), and its effects (stored credentials, pulled logs)
are written to the shared store as the gateway would write them.

Who may command terminals is who may write to the database: its authentication is the
control endpoint's (a role with access to the ``commands`` table can open doors).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .control_command import check_command
from .protocol.models import LogRecord

if TYPE_CHECKING:
    from .session import Session

__all__ = ["StoreControl"]


class StoreControl:
    """A :class:`~wac_toolkit.control.ControlClient` whose endpoint is the database ``dsn``."""

    def __init__(self, dsn: str, *, timeout: float = 20.0) -> None:
        self.dsn = dsn
        self.timeout = timeout
        self._session: Session | None = None

    def __repr__(self) -> str:  # the DSN may carry a password
        return f"<StoreControl {self.where}>"

    @property
    def where(self) -> str:
        from .store import describe

        return describe(self.dsn)

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("StoreControl used before connect()")
        return self._session

    async def connect(self) -> StoreControl:
        if self._session is None:
            from .session import Session

            session = Session(self.dsn, listen=False, command_timeout=self.timeout)
            try:
                await session.start()
            except BaseException:
                await session.stop()
                raise
            self._session = session
        return self

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.stop()

    async def __aenter__(self) -> StoreControl:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def command(
        self,
        sn: str,
        cmd: str,
        fields: Any = None,
        *,
        confirm: bool = False,
        timeout: float | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        """As :meth:`ControlClient.command`: checked as the control endpoint checks it."""
        del expect_reply  # the catalogue says
        request = {"cmd": cmd, "fields": fields or {}, "confirm": confirm, "timeout": timeout}
        checked = check_command(request)
        await self.connect()
        reply: dict[str, Any] = await self.session._terminal_request(
            sn, checked.cmd, checked.fields, timeout=checked.timeout or self.timeout,
            expect_reply=checked.expect_reply,
        )  # fmt: skip
        return reply

    async def ingest(self, sn: str, records: Iterable[LogRecord], source: str) -> int:
        await self.connect()
        return int(await self.session._store_pulled(sn, tuple(records), source))

    async def reconnect_mark(self, sn: str) -> int:
        await self.connect()
        return int(await self.session._reconnect_mark(sn))

    async def wait_reconnect(self, sn: str, mark: int, timeout: float) -> bool:
        await self.connect()
        return bool(await self.session._wait_reconnect(sn, mark, timeout))
