"""The roster on either store: people reach terminals, a restart resumes the queue.

The roster's SQL is the dialect SQLite and PostgreSQL share; this runs it end to end on
both (a real Session, virtual terminals over WebSockets).
"""

from __future__ import annotations

from tests.conftest import until
from wac_toolkit import Session, VirtualTerminal


async def settled(session: Session) -> None:
    online = {t.sn for t in session.terminals() if t.online}
    await until(lambda: not set(session.roster.pending()["sn"]) & online, timeout=30)
    await session.roster.wait_synced()


async def test_people_reach_terminals_and_the_queue_survives_a_restart(backend):
    async with Session(backend, "127.0.0.1", 0, adopt_new=True, command_timeout=5) as session:
        roster = session.roster
        async with VirtualTerminal(session.url, "FRONT") as front:
            await until(lambda: (t := session.terminal("FRONT")) is not None and t.online)
            await session.adopt("BACK")  # ahead of its first connection: its steps wait
            await roster.set_group("doors", ["FRONT", "BACK"])
            await roster.add_person(1, "Alice", pin="0012", card="0004567890")
            await roster.add_person(2, "Bob", card="12345", assign="group:doors")
            await roster.add_person(3, "Carol", pin="777", assign="BACK")
            await settled(session)
            assert sorted(front.users) == [1, 2]
            assert front.users[1].credentials == {10: "0012", 11: "0004567890"}
            await roster.disable_person(2)
            await roster.remove_person(1)
            await settled(session)
            assert sorted(front.users) == [2] and not front.users[2].enabled
        pending = roster.pending()
        assert set(pending["sn"]) == {"BACK"}  # BACK never connected: its steps wait
    async with Session(backend, "127.0.0.1", 0, adopt_new=True, command_timeout=5) as again:
        assert sorted(again.roster.people()["enrollid"]) == [2, 3]
        async with VirtualTerminal(again.url, "BACK") as back:
            await until(lambda: (t := again.terminal("BACK")) is not None and t.online)
            await settled(again)
            assert sorted(back.users) == [2, 3]
        outcomes = again.roster.outcomes()
        assert len(outcomes) and outcomes["ok"].all()
