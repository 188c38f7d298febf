"""The routing table's types: command words, menu keys, card-action prefixes and conversation
flows. The process's one table is ``bot.handlers.registry.router``."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.core.context import HandlerContext
from storage.enums import Role
from storage.models.machinery import CardRecord, Conversation

CommandHandler = Callable[[HandlerContext, str], Awaitable[None]]
ActionHandler = Callable[[HandlerContext], Awaitable[None]]
FlowHandler = Callable[[HandlerContext, Conversation, str], Awaitable[None]]
# Takes an image or file the person sent during the conversation (the event is ctx.event).
FileHandler = Callable[[HandlerContext, Conversation], Awaitable[None]]
# Why a tap by someone the card is not for was refused, and who may act instead ("当前由李科长
# 初审，您的操作未生效。"); None leaves it to the common sentence naming the card's people.
DenialExplainer = Callable[[HandlerContext, CardRecord], Awaitable[str | None]]


@dataclass(frozen=True)
class Command:
    """A word a person can send (``备案``) and what it does."""

    word: str
    summary: str
    handler: CommandHandler
    aliases: tuple[str, ...] = ()
    # None means everyone known to the directory may use it.
    roles: frozenset[Role] | None = None
    menu_key: str | None = None
    # Lower sorts first in 帮助.
    order: int = 100
    # Commands that may be used in the middle of another conversation (帮助, 取消).
    interrupts: bool = False
    # A sentence that means this command without its word ("12月5日白班由老刘值" is 调班):
    # tried only when no command word matches; the handler gets the whole text as ``rest``.
    pattern: re.Pattern[str] | None = None

    def allowed(self, roles: frozenset[Role]) -> bool:
        return self.roles is None or bool(self.roles & roles)


@dataclass(frozen=True)
class Flow:
    """A multi-turn conversation: continues on the next text the person sends."""

    name: str
    label: str  # shown to people: "备案", "送审"
    handler: FlowHandler
    # Called when the person sends 取消; None means the default goodbye.
    on_cancel: ActionHandler | None = None
    # None means the flow takes no files (the person is told to answer in text).
    on_file: FileHandler | None = None
    # Whether the conversation's current step takes a file: a sent file's content is fetched
    # from its platform only then. None with an on_file means every step does.
    wants_file: Callable[[Conversation], bool] | None = None


@dataclass
class Router:
    commands: dict[str, Command] = field(default_factory=dict)
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    # Families of flows known by name only at run time (every form is a flow: bot.core.forms).
    flow_finders: list[Callable[[str], Flow | None]] = field(default_factory=list)
    # By card kind: a flow's own words for a refused tap (see ``DenialExplainer``).
    denials: dict[str, DenialExplainer] = field(default_factory=dict)

    def command(
        self,
        word: str,
        summary: str,
        *,
        aliases: tuple[str, ...] = (),
        roles: frozenset[Role] | None = None,
        menu_key: str | None = None,
        order: int = 100,
        interrupts: bool = False,
        pattern: str | None = None,
    ) -> Callable[[CommandHandler], CommandHandler]:
        def register(handler: CommandHandler) -> CommandHandler:
            cmd = Command(
                word=word,
                summary=summary,
                handler=handler,
                aliases=aliases,
                roles=roles,
                menu_key=menu_key,
                order=order,
                interrupts=interrupts,
                pattern=re.compile(pattern) if pattern else None,
            )
            for name in (word, *aliases):
                if name in self.commands and self.commands[name].handler is not handler:
                    raise ValueError(f"command word {name!r} registered twice")
                self.commands[name] = cmd
            return handler

        return register

    def action(self, prefix: str) -> Callable[[ActionHandler], ActionHandler]:
        """Handle every card action whose key starts with ``prefix.``."""

        def register(handler: ActionHandler) -> ActionHandler:
            if prefix in self.actions and self.actions[prefix] is not handler:
                raise ValueError(f"action prefix {prefix!r} registered twice")
            self.actions[prefix] = handler
            return handler

        return register

    def denial(self, card_kind: str) -> Callable[[DenialExplainer], DenialExplainer]:
        """Explain refused taps on cards of ``card_kind`` in the flow's own words."""

        def register(explain: DenialExplainer) -> DenialExplainer:
            self.denials[card_kind] = explain
            return explain

        return register

    def flow(
        self,
        name: str,
        label: str,
        on_cancel: ActionHandler | None = None,
        on_file: FileHandler | None = None,
        wants_file: Callable[[Conversation], bool] | None = None,
    ) -> Callable[[FlowHandler], FlowHandler]:
        def register(handler: FlowHandler) -> FlowHandler:
            self.flows[name] = Flow(
                name=name,
                label=label,
                handler=handler,
                on_cancel=on_cancel,
                on_file=on_file,
                wants_file=wants_file,
            )
            return handler

        return register

    def copy(self) -> Router:
        """A table with the same entries, to extend without touching this one (tests)."""
        return Router(
            commands=dict(self.commands),
            actions=dict(self.actions),
            flows=dict(self.flows),
            flow_finders=list(self.flow_finders),
            denials=dict(self.denials),
        )

    def find_flow(self, name: str) -> Flow | None:
        """The flow a conversation belongs to, registered or found by a finder."""
        found = self.flows.get(name)
        for finder in self.flow_finders:
            if found is not None:
                break
            found = finder(name)
        return found

    def flow_label(self, name: str) -> str:
        """What people call a flow ("备案"); its name when it is unknown."""
        flow = self.find_flow(name)
        return flow.label if flow is not None else name

    def unique_commands(self) -> list[Command]:
        seen: dict[str, Command] = {}
        for cmd in self.commands.values():
            seen.setdefault(cmd.word, cmd)
        return sorted(seen.values(), key=lambda c: (c.order, c.word))

    def by_menu_key(self, key: str) -> Command | None:
        return next((c for c in self.commands.values() if c.menu_key == key), None)

    def match(self, text: str) -> tuple[Command, str] | None:
        """The command a message starts with, and the rest of the message."""
        stripped = text.strip()
        if not stripped:
            return None
        word, _, rest = stripped.partition(" ")
        if word in self.commands:
            return self.commands[word], rest.strip()
        # People often type the command glued to its argument: "送审关于……".
        for name in sorted(self.commands, key=len, reverse=True):
            if stripped.startswith(name) and len(stripped) > len(name):
                cmd = self.commands[name]
                if cmd.word == name or name in cmd.aliases:
                    return cmd, stripped[len(name) :].strip()
        for cmd in self.unique_commands():
            if cmd.pattern is not None and cmd.pattern.search(stripped):
                return cmd, stripped
        return None
