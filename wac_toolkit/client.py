"""``WacClient`` and ``WacClientSync``: the SDK contract's clients.

A client is one protocol peer over one WebSocket, whichever side dialed. Dialing a server
(``WacClient(url, sn=...)``) it plays the terminal: ``register``, ``send_logs`` and
``send_user_from_device`` push to the server. Wrapping a connection the gateway accepted
(``WacClient.for_peer(peer)``) it commands that terminal with ``set_userinfo`` and
``delete_user``. Both directions use the same :class:`~wac_toolkit.net.peer.Peer`.

As a server it also has every typed command of the catalogue (``open_door()``,
``get_user_list()`` ...: the Session's methods without ``sn``, from the same code).
``WacClient.via_gateway(sn)`` reaches a terminal through a running ``wac serve`` instead,
over its control endpoint (:mod:`wac_toolkit.control`), or with a PostgreSQL store through
the database to whichever gateway holds it (:mod:`wac_toolkit.control_store`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any, TypeVar

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake

from ._generated.bound import BoundCommands
from ._generated.client_sync import WacClientSyncCommands
from .errors import WacClientError
from .net.peer import Handler, Peer
from .protocol.models import LogRecord, UserCredential
from .sync import BackgroundLoop

__all__ = ["WacClient", "WacClientSync"]

T = TypeVar("T")


class WacClient(BoundCommands):
    """Async protocol client.

    Args:
        url: the server to dial (``ws://host:7788/pub/chat``); None with ``for_peer``.
        sn: the serial number to present when acting as a terminal.
        devinfo: the ``devinfo`` object sent in ``reg``.
        timeout: seconds to wait for each reply.
        handler: answers commands the other side sends (default: acknowledge them).
        control: a :class:`~wac_toolkit.control.ControlClient`; commands then go through a
            running gateway to terminal ``sn`` (see :meth:`via_gateway`).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        sn: str | None = None,
        devinfo: Mapping[str, Any] | None = None,
        timeout: float = 20.0,
        handler: Handler | None = None,
        max_size: int | None = 16 * 2**20,
        control: Any = None,
    ) -> None:
        self.url = url
        self.sn = sn
        self.devinfo = dict(devinfo or {})
        self.timeout = timeout
        self.handler = handler
        self.max_size = max_size
        self.peer: Peer | None = None
        self.control = control
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def for_peer(cls, peer: Peer) -> WacClient:
        """A client commanding a terminal whose connection the gateway accepted."""
        client = cls(sn=peer.sn, timeout=peer.timeout)
        client.peer = peer
        return client

    @classmethod
    def via_gateway(
        cls,
        sn: str,
        *,
        db: str = "wac.sqlite",
        control_url: str | None = None,
        token: str | None = None,
        timeout: float = 20.0,
    ) -> WacClient:
        """A client commanding terminal ``sn`` through the gateway running on store ``db``
        (its control file), or at ``control_url`` with ``token``.

        With a ``postgresql://`` DSN (and no ``control_url``) the database is the control
        channel: the command goes through it to whichever gateway holds ``sn``, and no
        gateway need run on this host (:mod:`wac_toolkit.control_store`).
        """
        from .store import is_dsn

        control: Any
        if control_url is None and is_dsn(db):
            from .control_store import StoreControl

            control = StoreControl(db, timeout=timeout)
        else:
            from .control import ControlClient

            control = ControlClient.find(db, url=control_url, token=token, timeout=timeout + 10)
        return cls(sn=sn, timeout=timeout, control=control)

    async def connect(self) -> WacClient:
        if self.control is not None:
            await self.control.connect()
            return self
        if self.url is None:
            raise WacClientError("no URL to connect to")
        try:
            connection = await connect(
                self.url, max_size=self.max_size, compression=None, open_timeout=self.timeout
            )
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise WacClientError(f"cannot connect to {self.url}: {exc}") from exc
        self.peer = Peer(connection, self.handler, sn=self.sn, timeout=self.timeout)
        self._reader = asyncio.create_task(self.peer.run())
        return self

    async def close(self) -> None:
        if self.control is not None:
            await self.control.close()
        if self.peer is not None and self._reader is not None:
            await self.peer.close()
            await self._reader
            self._reader = None

    async def __aenter__(self) -> WacClient:
        return await self.connect() if self.peer is None else self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def request(
        self,
        cmd: str,
        fields: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        expect_reply: bool = True,
        confirm: bool = False,
    ) -> dict[str, Any]:
        """Send any command and return the reply (raises DeviceError on ``result: false``).

        Through a gateway, a destructive command needs ``confirm=True`` here as in the
        typed methods (the gateway checks it).
        """
        if self.control is not None:
            reply: dict[str, Any] = await self.control.command(
                self._bound_sn(), cmd, fields, timeout=timeout or self.timeout,
                expect_reply=expect_reply, confirm=confirm,
            )  # fmt: skip
            return reply
        if self.peer is None:
            await self.connect()
        assert self.peer is not None
        return await self.peer.request(cmd, fields, timeout=timeout, expect_reply=expect_reply)

    async def _terminal_request(self, sn: str, cmd: str, fields: Any, **how: Any) -> Any:
        # Reached from the typed methods only, which raised ConfirmationRequired already
        # unless their caller passed confirm=True: say so to the gateway.
        return await self.request(cmd, fields, confirm=True, **how)

    # -- as a terminal ------------------------------------------------------------------------

    async def register(self, nosenduser: bool | None = None) -> dict[str, Any]:
        """Send ``reg`` and return the server's reply (with ``cloudtime``).

        ``nosenduser`` is sent along as this terminal's preference; servers may ignore it.
        """
        if not self.sn:
            raise WacClientError("register needs the client's sn")
        fields: dict[str, Any] = {"sn": self.sn, "devinfo": self.devinfo}
        if nosenduser is not None:
            fields["nosenduser"] = nosenduser
        return await self.request("reg", fields)

    async def send_logs(
        self,
        records: Iterable[LogRecord | Mapping[str, Any]],
        count: int | None = None,
        logindex: int | None = None,
    ) -> dict[str, Any]:
        """Push records with ``sendlog``; the reply echoes ``count`` and ``logindex``."""
        wire = [r.to_wire() if isinstance(r, LogRecord) else dict(r) for r in records]
        fields: dict[str, Any] = {"sn": self.sn, "count": len(wire) if count is None else count}
        if logindex is not None:
            fields["logindex"] = logindex
        fields["record"] = wire
        return await self.request("sendlog", fields)

    async def send_user_from_device(
        self, enrollid: int, name: str, backupnum: int, record: str | int, admin: int = 0
    ) -> dict[str, Any]:
        """Announce a locally enrolled credential with ``senduser``."""
        credential = _credential(enrollid, name, backupnum, record, admin)
        return await self.request("senduser", {"sn": self.sn, **credential.to_wire()})

    # -- as a server --------------------------------------------------------------------------

    async def set_userinfo(
        self, enrollid: int, name: str, backupnum: int, record: str | int, admin: int = 0
    ) -> dict[str, Any]:
        """Create or update one credential slot on the terminal (``setuserinfo``)."""
        credential = _credential(enrollid, name, backupnum, record, admin)
        return await self.request("setuserinfo", credential.to_wire())

    async def delete_user(self, enrollid: int, backupnum: int) -> dict[str, Any]:
        """Delete a credential slot (12 all fingerprints, 13 the whole user)."""
        return await self.request(
            "deleteuser", {"enrollid": int(enrollid), "backupnum": int(backupnum)}
        )


def _credential(
    enrollid: int, name: str, backupnum: int, record: str | int, admin: int
) -> UserCredential:
    from .protocol.models import BackupNum

    return UserCredential(
        enrollid=int(enrollid),
        name=name,
        backupnum=BackupNum(int(backupnum)),
        record=record,
        admin=int(admin),
    )


class WacClientSync(WacClientSyncCommands):
    """:class:`WacClient` with blocking methods, usable in scripts, Jupyter and IPython.

    The client lives on its own background loop, so this works even when the calling thread
    already runs an event loop (a Jupyter kernel).
    """

    def __init__(self, url: str | None = None, **kwargs: Any) -> None:
        self._background = BackgroundLoop("wac-client")
        self._client = WacClient(url, **kwargs)
        self._timeout = float(kwargs.get("timeout", 20.0)) + 5.0

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return self._background.run(coro, self._timeout if timeout is None else timeout)

    @property
    def sn(self) -> str | None:
        return self._client.sn

    def connect(self) -> WacClientSync:
        self._run(self._client.connect())
        return self

    def close(self) -> None:
        if self._background.running:
            try:
                self._run(self._client.close())
            finally:
                self._background.stop()

    def __enter__(self) -> WacClientSync:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, cmd: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._run(self._client.request(cmd, fields))

    def register(self, nosenduser: bool | None = None) -> dict[str, Any]:
        return self._run(self._client.register(nosenduser))

    def send_logs(
        self,
        records: Iterable[LogRecord | Mapping[str, Any]],
        count: int | None = None,
        logindex: int | None = None,
    ) -> dict[str, Any]:
        return self._run(self._client.send_logs(list(records), count, logindex))

    def send_user_from_device(
        self, enrollid: int, name: str, backupnum: int, record: str | int, admin: int = 0
    ) -> dict[str, Any]:
        return self._run(
            self._client.send_user_from_device(enrollid, name, backupnum, record, admin)
        )

    def set_userinfo(
        self, enrollid: int, name: str, backupnum: int, record: str | int, admin: int = 0
    ) -> dict[str, Any]:
        return self._run(self._client.set_userinfo(enrollid, name, backupnum, record, admin))

    def delete_user(self, enrollid: int, backupnum: int) -> dict[str, Any]:
        return self._run(self._client.delete_user(enrollid, backupnum))
