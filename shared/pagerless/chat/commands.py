"""What a person writes to the chat bot (Lark/Feishu or Slack), and the answer, in the language of the command.

Commands, in English or Chinese: ``help`` / 帮助, ``status <incident id>`` / 状态, ``oncall [service]`` / 值班,
``ack <incident id>`` / 确认 (``bind <email>`` / 绑定 is Lark's, `pagerless.chat.bindings`); written in the thread of
an incident's message, ``status`` and ``ack`` need no id. Anything else is
answered with the help, in the language the message is written in.

Identity and permissions are the button path's (`pagerless.chat.actions`): the chat user must be bound to a
Pagerless person of the app's workspace, who acts with their own role. Reading (status, oncall) needs a bound
person; ``ack`` is a click on an acknowledge button, decided by ``ChatActions.act`` (the operator role, the audit
record, ``IncidentService.acknowledge``). An unbound user is told how to bind, and nothing is read or changed.
"""

import re
from dataclasses import dataclass, replace

from pagerless.chat import answers
from pagerless.chat.clicks import LANGUAGE_KEY, Click
from pagerless.chat.injected import Injected
from pagerless.domain.errors import NotFoundError

# word -> (command, language)
WORDS = {
    "help": ("help", "en"),
    "帮助": ("help", "zh"),
    "status": ("status", "en"),
    "状态": ("status", "zh"),
    "oncall": ("oncall", "en"),
    "on-call": ("oncall", "en"),
    "值班": ("oncall", "zh"),
    "ack": ("ack", "en"),
    "acknowledge": ("ack", "en"),
    "确认": ("ack", "zh"),
}
_NEEDS_BINDING = ("status", "oncall", "ack")
_MENTION = re.compile(r"<@[A-Z0-9]+>|@_user_\d+")  # Slack's <@U0BOT> and Lark's @_user_1 placeholders
INCIDENT_ID = re.compile(r"inc-\d{8}-\d+", re.IGNORECASE)
# A command word first: an English one as a word of its own, a Chinese one also run into what follows; then the rest
_COMMAND = re.compile(
    r"\s*(?:(acknowledge|ack|help|status|on-call|oncall)(?![\w-])|(帮助|状态|值班|确认))[\s:：,，]*(.*)",
    re.IGNORECASE | re.DOTALL,
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")  # with CJK punctuation
_END = "。．.，,！!？?；;：:"  # a sentence's end after the argument


@dataclass(frozen=True)
class ChatMessage:
    """A text message to the bot, independent of the vendor."""

    provider: str  # "slack" | "lark"
    tenant: str  # Slack team id; Lark app id
    user: str  # Slack user id; Lark open_id
    text: str
    message_ref: str = ""  # Slack ts; Lark message_id (the reply answers it)
    channel: str = ""  # Slack channel id; Lark chat id
    thread: str = ""  # the root of the thread the message is written in: Slack thread_ts; Lark root_id
    group: bool = False  # Lark: written in a group chat (a Slack event is the bot's already: a DM or a mention)
    mentions: tuple[tuple[str, str], ...] = ()  # Lark: whom it mentions, (key in the text, open_id)


@dataclass(frozen=True)
class Command:
    name: str  # help | status | oncall | ack
    argument: str
    language: str  # en | zh


def parse(text: str) -> Command:
    """The command ``text`` gives (mentions of the bot dropped; words in either language); help otherwise, in the
    message's language. Chinese is written without spaces ("状态INC-20260311-0042") and a sentence may end in its
    punctuation ("确认 INC-20260311-0042。"): the incident id is the one the text names, the service the word given."""
    found = _COMMAND.match(_MENTION.sub(" ", text or ""))
    if found is None:
        return Command("help", "", answers.language_of_text(text))
    name, language = WORDS[(found.group(1) or found.group(2)).lower()]
    # ids and service names are never Chinese: "值班表" or "确认一下" names nothing, "值班 payments-api 是谁" the service
    argument = " ".join(_CJK.sub(" ", found.group(3)).split()).rstrip(_END)
    if name in ("status", "ack") and (named := INCIDENT_ID.search(argument)):
        argument = named.group(0).upper()  # ids are INC-YYYYMMDD-NNNN; people type them as they like
    return Command(name, argument, language)


def _actions(bot: "ChatBot"):
    from pagerless.chat.actions import ChatActions

    return ChatActions(identities=bot.identities, incidents=bot._incidents)


class ChatBot:
    def __init__(self, identities=None, actions=None, incidents=None, oncall=None) -> None:
        self._identities, self._actions, self._incidents = identities, actions, incidents
        self._oncall = oncall

    def answer(self, message: ChatMessage, app_workspace: str, via: str) -> str:
        """What to reply to ``message`` from an app of ``app_workspace``."""
        command = parse(message.text)
        if command.name not in _NEEDS_BINDING:
            return answers.help_text(command.language, message.provider)
        person = self.identities.person_of(message.provider, message.tenant, message.user)
        if person is None:
            return self._unbound(message, app_workspace, command.language)
        if person.workspace != app_workspace:
            return answers.other_workspace(command.language)
        if command.name == "oncall":
            return self._on_call(person, command)
        if not command.argument and (in_thread := self._thread_incident(person.workspace, message)):
            command = replace(command, argument=in_thread)  # "ack" in an incident's thread is about that incident
        if not command.argument:
            return answers.needs_argument(command.language, command.name)
        if command.name == "status":  # its times in the zone the asker chose, as their pages read; else UTC
            return self._status(person.workspace, command, person.timezone if person.timezone_set else None)
        return self._ack(person, message, command, app_workspace, via)

    @staticmethod
    def _thread_incident(workspace: str, message: ChatMessage) -> str | None:
        """The incident whose message is the root of the thread ``message`` is written in, if Pagerless sent it."""
        if not message.thread:
            return None
        from pagerless.store.deliveries import DeliveryRepository

        ref = {"ts": message.thread, "channel": message.channel} if message.provider == "slack" else None
        return DeliveryRepository().incident_of_message(workspace, ref or {"message_id": message.thread})

    def _status(self, workspace: str, command: Command, zone: str | None) -> str:
        try:
            incident = self.incidents.get(workspace, command.argument)
        except NotFoundError:
            return answers.no_such_incident(command.language, command.argument)
        return answers.describe(incident, command.language, zone)

    def _ack(self, person, message: ChatMessage, command: Command, app_workspace: str, via: str) -> str:
        """A click on the incident's acknowledge button, as ``person`` (ChatActions decides and audits it)."""
        value = {"incident_id": command.argument, "workspace": person.workspace, "action": "acknowledge"}
        if command.language != "en":
            value[LANGUAGE_KEY] = command.language
        click = Click(
            provider=message.provider,
            tenant=message.tenant,
            user=message.user,
            action="acknowledge",
            value=value,
            message_ref=message.message_ref,
            channel=message.channel,
        )
        return self.actions.act(person, click, app_workspace, via).text

    def _on_call(self, asker, command: Command) -> str:
        """Who is on call now, as `/api/oncall/current` answers (its answer, per schedule): until when, or when the next
        shift starts and whose, in the zone the asker chose (their pages read in it), else in the schedule's (the
        API's); and whether the answer is ambiguous, and why. Every schedule is read once, and each person named:
        no more reads than `/api/oncall/current`'s for each."""
        from pagerless.clock import utcnow
        from pagerless.oncall import views

        workspace, now = asker.workspace, utcnow()
        if command.argument:
            try:
                currents = [
                    views.current(self.oncall, workspace, schedule_id=None, service_name=command.argument, at=now)
                ]
            except NotFoundError:
                return answers.no_schedule_for(command.language, command.argument)
        else:
            names = views.person_names(workspace)
            currents = [
                views.current(
                    self.oncall, workspace, schedule_id=doc["id"], service_name=None, at=now, stored=doc, names=names
                )
                for doc in self.oncall.list_schedules(workspace)
            ]
        rows = [answers.OnCallRow.of(c, asker.timezone if asker.timezone_set else None) for c in currents]
        return answers.on_call(command.language, rows)

    def _unbound(self, message: ChatMessage, app_workspace: str, language: str) -> str:
        """Nothing is read or changed; a Slack user's link request waits for an admin, as a click's does (a Lark
        user files theirs with "bind <email>")."""
        if message.provider != "lark":
            self.identities.request(app_workspace, message.provider, message.tenant, message.user)
        return answers.unbound(language, message.provider, message.user)

    identities = Injected("pagerless.people.identities:ChatIdentityService")
    actions = Injected(_actions)
    incidents = Injected("pagerless.incidents.service:IncidentService")
    oncall = Injected("pagerless.oncall.service:OncallService")
