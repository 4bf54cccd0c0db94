"""Read template.yaml and resolve the intrinsics the local runtime needs.

Supported: Ref (parameters, pseudo parameters, resources), Fn::GetAtt (Arn, QueueUrl, QueueName,
TopicName, Name), Fn::Sub (string or [string, vars]), Fn::If/Equals/Not on Conditions, Fn::Join,
Fn::Select. That is all template.yaml uses; anything else is an error, so drift is noticed.
"""

import copy
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"


class _CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when PyYAML has it: 10x faster
    pass


def _tag(name: str):
    def construct(loader: yaml.Loader, node: yaml.Node) -> dict:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _short in ("Ref", "Condition"):
    _CfnLoader.add_constructor(f"!{_short}", _tag(_short))
for _fn in (
    "GetAtt",
    "Sub",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "ImportValue",
    "GetAZs",
    "Base64",
):
    _CfnLoader.add_constructor(f"!{_fn}", _tag(f"Fn::{_fn}"))


def load_yaml(path: Path) -> dict:
    """The parsed template (a fresh copy: callers may change it), parsed once per file version."""
    stat = Path(path).stat()
    return copy.deepcopy(_parsed(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed(path: str, mtime_ns: int, size: int) -> dict:
    return yaml.load(Path(path).read_text("utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass
class EventSource:
    name: str
    type: str
    properties: dict


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    timeout: int
    environment: dict[str, str]
    events: list[EventSource] = field(default_factory=list)


class Template:
    """template.yaml with every intrinsic the local runtime needs resolved."""

    def __init__(
        self,
        path: Path,
        *,
        stack_name: str = "pagerless",
        region: str = "us-east-1",
        parameters: dict[str, str] | None = None,
    ) -> None:
        self.path = Path(path).resolve()
        self.root = self.path.parent
        self.raw = load_yaml(self.path)
        self.stack_name = stack_name
        self.region = region
        self.parameters = {name: str(spec.get("Default", "")) for name, spec in self.raw.get("Parameters", {}).items()}
        self.parameters.update(parameters or {})
        self.resources: dict[str, dict] = self.raw["Resources"]
        self.globals = self.raw.get("Globals", {}).get("Function", {})
        self.queue_urls: dict[str, str] = {}  # filled by the provisioner with the real URLs

    # ----------------------------------------------------------- physical names
    def physical_name(self, logical_id: str) -> str:
        props = self.resources[logical_id].get("Properties", {})
        for key in ("TableName", "QueueName", "TopicName", "Name", "FunctionName", "LayerName"):
            if key in props:
                return self.resolve(props[key])
        return f"{self.stack_name}-{logical_id}"

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        prefix = f"arn:aws:{{}}:{self.region}:{ACCOUNT_ID}"
        return {
            "AWS::DynamoDB::Table": f"{prefix.format('dynamodb')}:table/{name}",
            "AWS::SQS::Queue": f"{prefix.format('sqs')}:{name}",
            "AWS::SNS::Topic": f"{prefix.format('sns')}:{name}",
            "AWS::Serverless::Function": f"{prefix.format('lambda')}:function:{name}",
            "AWS::Serverless::StateMachine": f"{prefix.format('states')}:stateMachine:{name}",
            "AWS::Events::EventBus": f"{prefix.format('events')}:event-bus/{name}",
        }.get(kind, f"{prefix.format('local')}:{name}")

    def ref(self, logical_id: str) -> str:
        if logical_id in self.parameters:
            return self.parameters[logical_id]
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::SQS::Queue":
            return self.queue_url(logical_id)
        if kind in ("AWS::SNS::Topic", "AWS::Serverless::StateMachine", "AWS::Serverless::LayerVersion"):
            return self.arn(logical_id)
        return self.physical_name(logical_id)

    def queue_url(self, logical_id: str) -> str:
        if logical_id in self.queue_urls:
            return self.queue_urls[logical_id]
        return f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT_ID}/{self.physical_name(logical_id)}"

    def get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute == "QueueUrl":
            return self.queue_url(logical_id)
        if attribute in ("QueueName", "TopicName", "Name"):
            return self.physical_name(logical_id)
        raise ValueError(f"Fn::GetAtt {logical_id}.{attribute} is not supported by the local runtime")

    # ----------------------------------------------------------- intrinsics
    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.raw.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Equals":
                left, right = self.resolve(arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(p) for p in self.resolve(parts))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(index)]
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
        out, i = [], 0
        while i < len(text):
            start = text.find("${", i)
            if start < 0:
                out.append(text[i:])
                break
            out.append(text[i:start])
            end = text.index("}", start)
            name = text[start + 2 : end]
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(variables[name]))
            elif "." in name and name.split(".", 1)[0] in self.resources:
                out.append(self.get_att(*name.split(".", 1)))
            else:
                out.append(str(self.ref(name)))
            i = end + 1
        return "".join(out)

    # ----------------------------------------------------------- views
    def of_type(self, kind: str) -> dict[str, dict]:
        return {lid: res for lid, res in self.resources.items() if res["Type"] == kind}

    def cors(self) -> dict:
        """The HTTP API's CorsConfiguration ({} without one): API Gateway answers preflights with it."""
        apis = self.of_type("AWS::Serverless::HttpApi").values()
        return next((api.get("Properties", {}).get("CorsConfiguration") or {} for api in apis), {})

    def functions(self) -> list[FunctionSpec]:
        specs = []
        global_env = self.globals.get("Environment", {}).get("Variables", {})
        for logical_id, resource in self.of_type("AWS::Serverless::Function").items():
            props = resource["Properties"]
            env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
            specs.append(
                FunctionSpec(
                    logical_id=logical_id,
                    name=self.physical_name(logical_id),
                    code_dir=self.root / props["CodeUri"],
                    handler=props.get("Handler", self.globals.get("Handler", "app.handler")),
                    timeout=int(props.get("Timeout", self.globals.get("Timeout", 30))),
                    environment={k: ("" if v is None else str(v)) for k, v in self.resolve(env).items()},
                    events=[
                        EventSource(name, ev["Type"], self.resolve(ev.get("Properties", {})))
                        for name, ev in props.get("Events", {}).items()
                    ],
                )
            )
        return specs

    def http_routes(self) -> list[tuple[str, str, str]]:
        """(METHOD, path, function logical id) for every HttpApi event; an event with neither Path
        nor Method is the API's `$default` route, as SAM makes it: ("ANY", "$default", id)."""
        return [
            (ev.properties.get("Method", "ANY").upper(), ev.properties.get("Path", "$default"), fn.logical_id)
            for fn in self.functions()
            for ev in fn.events
            if ev.type == "HttpApi"
        ]
