"""The log families: one compiled pattern per root-cause family, and the cheap substrings that must
appear in a line before its pattern is tried (`logscan` runs them)."""

from __future__ import annotations

import re

_I = re.IGNORECASE

# Order matters: the first family whose pattern matches a line names it (more specific first).
LOG_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "rbac_forbidden",
        re.compile(
            r'forbidden: User "?system:serviceaccount:|cannot (?:list|get|watch|create|update|patch|delete) '
            r'resource "?[\w.]+"? in API group',
            _I,
        ),
    ),
    (
        "certificate_expired",
        re.compile(
            r"certificate has expired|certificate is not yet valid|x509: certificate .{0,80}(?:expired|not yet valid)|"
            r"CERT_HAS_EXPIRED|CertificateExpiredException|CertificateNotYetValidException|"
            r"certificate expired|PKIX path validation failed.{0,120}(?:validity|expired)|"
            r"SSLV3_ALERT_CERTIFICATE_EXPIRED|certificate verify failed: certificate has expired|"
            r"fatal alert: certificate_expired|\bcertificate_expired\b"
            r"|证书已过期|证书过期",
            _I,
        ),
    ),
    (
        "dns_resolution_failure",
        re.compile(
            r"no such host|EAI_AGAIN|Temporary failure in name resolution|Name or service not known|"
            r"UnknownHostException|getaddrinfo ENOTFOUND|could not translate host name|NXDOMAIN|"
            r"server misbehaving|lookup [\w.-]+ on [\d.:\[\]a-f]+:53|:53: (?:i/o timeout|read: connection refused)|"
            r"DNS resolution failed|Could not resolve host|nodename nor servname|name resolution failed|"
            r"Failed to resolve '|host not found in upstream|Name does not resolve|\bSERVFAIL\b|"
            # The DNS server's own failures (CoreDNS, node-local-dns / node-cache, kube-dns, dnsmasq):
            r"plugin/loop: |loop \([\d.:\[\]a-f]+ -> [\d.:\[\]a-f]+\) detected|more than twice, loop detected|"
            r"plugin/forward: no nameservers found|no nameservers found|listen (?:tcp|udp) [\d.:\[\]a-f]*:53: bind: |"
            r"plugin/errors: \d+ \S+ \w+: (?:read|dial) (?:udp|tcp) \S+: i/o timeout|"
            r"Failed to (?:list|watch) \*v1\.(?:Endpoints|Service|EndpointSlice|Namespace)\b.{0,160}"
            r"(?:i/o timeout|connection refused|no route to host)|"
            r"plugin/kubernetes: .{0,200}(?:i/o timeout|connection refused|no route to host)|"
            r"lookup [\w.-]+ ?: (?:i/o timeout|no such host|server misbehaving)|"
            r"dial (?:udp|tcp) [\d.:\[\]a-f]+:53: (?:connect: )?(?:connection refused|i/o timeout|no route to host)"
            r"|域名解析失败|无法解析(?:主机|域名)",
            _I,
        ),
    ),
    (
        "db_connection_pool_exhausted",
        re.compile(
            r"Connection is not available, request timed out|HikariPool-\d+ - (?:Connection is not available|"
            r"Timeout)|QueuePool limit of size \d+ overflow -?\d+ reached|timeout waiting for (?:a )?(?:free |idle "
            r"|available )?connection|failed to acquire (?:a )?(?:db |database )?connection|"
            r"(?:connection )?pool (?:is )?exhausted|Timeout acquiring a connection|pool is probably full|"
            r"Cannot get a connection, pool error|Timed out fetching a new connection from the connection pool|"
            r"couldn't get a connection after|PoolTimeout|too many clients already|remaining connection slots "
            r"are reserved|Too many connections|ConnectionAcquireTimeoutError|max_client_conn|"
            r"acquire conn(?:ection)?\W.{0,60}(?:timeout|deadline exceeded)|SQLTransientConnectionException|"
            r"all pooled connections were in use|connection pool timeout|waiting for connection from pool|"
            r"pool_timeout|max open connections reached|Pool empty\. Unable to fetch a connection|"
            r"TooManyConnectionsError|max pool size was reached|no more connections allowed|"
            r"pool acquisition timed out|connection acquisition timed out|pool timed out|pool has been exhausted|"
            r"timeout exceeded when trying to connect|checkout a Connection has timed out"
            r"|连接池(?:已满|耗尽|用尽)|获取(?:数据库)?连接超时",
            _I,
        ),
    ),
    (
        "volume_full",
        re.compile(
            r"No space left on device|\bENOSPC\b|disk (?:is )?full|could not extend file|database or disk is full|"
            r"Disk quota exceeded|out of disk space|flood[ -]stage (?:disk )?watermark|The table '\S+' is full"
            r"|磁盘空间不足|磁盘已满",
            _I,
        ),
    ),
    (
        "permission_denied",
        re.compile(
            r"\bEACCES\b|permission denied(?! for (?:table|relation|schema|database|sequence|function))|"
            r"Read-only file system|\bEROFS\b|PermissionError|AccessDeniedException|Operation not permitted|"
            r"\bEPERM\b"
            r"|权限不足|拒绝访问|只读文件系统",
            _I,
        ),
    ),
    (
        "app_config_error",
        re.compile(
            r"invalid (?:config(?:uration)?|value|setting|option|port|duration|log ?level|url|dsn)\b|"
            r"(?:config(?:uration)?|settings?) (?:error|is invalid|invalid|validation failed)|"
            r"failed to (?:load|parse|read|validate) (?:the )?(?:config|configuration|settings)|"
            r"error (?:loading|parsing|reading|validating) (?:config|configuration|settings)|"
            r"missing required (?:config|configuration|env|environment|setting|field|key|variable|property)|"
            r"(?:env(?:ironment)? var(?:iable)?|setting) \S+ (?:is )?(?:not set|missing|required|empty)|"
            r"ConfigurationException|ConfigException|Could not resolve placeholder|validation errors? for \w*Settings|"
            r"unknown (?:config(?:uration)? )?(?:key|field|option|setting)s?\b|yaml: unmarshal errors|"
            r"cannot unmarshal \w+ into Go struct field|InvalidConfig|is not a valid (?:value|duration|level)|"
            r"must be (?:one of|a positive|a valid)|(?:config|configuration) file\b.{0,80}(?:error|invalid|failed|"
            r"not found|cannot|missing)|yaml: line \d+:|Failed to bind properties|unrecognized (?:option|argument|"
            r"flag)|flag provided but not defined|unknown flag|illegal (?:value|argument) for|"
            r"invalid (?:boolean|integer|number|duration)\b|unknown directive|directive is not allowed here|"
            r"invalid number of arguments in \"\w+\" directive|toml: line \d+|ImproperlyConfigured|"
            r"Failed to configure a DataSource|error initializing configuration|unknown (?:variable|keyword) '|"
            r"not found in configuration|OptionsValidationException|"
            # Parsers rejecting a configuration file, whatever the runtime (Go viper/yaml/json/toml, SnakeYAML,
            # Jackson, PyYAML, json, tomllib, configparser, Node JSON.parse / js-yaml, HCL):
            r"while parsing (?:config|a block mapping|a flow (?:mapping|sequence)|a block collection)|"
            r"expected <block end>, but found|mapping values are not allowed here|could not find expected ':'|"
            r"found character that cannot start any token|did not find expected key|"
            r"yaml\.(?:scanner\.ScannerError|parser\.ParserError|constructor\.ConstructorError)|YAMLException|"
            r"org\.yaml\.snakeyaml\.\w+\.\w*(?:Parser|Scanner)Exception|"
            r"invalid character '.' (?:looking for beginning of|after|in string)|json: cannot unmarshal|"
            r"JSONDecodeError|JsonParseException|Unexpected token .{1,20} in JSON at position|"
            r"Unexpected end of JSON input|TOMLDecodeError|TomlDecodeError|toml: (?:line|expected|incomplete)|"
            r"configparser\.\w+Error|Psych::SyntaxError|error converting YAML to JSON|parsing YAML file|"
            r"Could not parse the JSON file|Unable to parse JSON as proto|Configuration property \"[^\"]+\" is not "
            r"defined|(?:error|failed|unable) (?:while )?(?:to )?(?:pars|decod|load|read)(?:e|ing) "
            r"(?:the )?(?:config|configuration|settings|yaml|toml|hcl)(?: file)?\b"
            r"|配置(?:错误|无效|非法)|无效的配置|配置项.{0,40}(?:无效|错误|缺失|不能为空|未设置)|缺少(?:必要的)?配置",
            _I,
        ),
    ),
    # A KeyError on an ENV_VAR-shaped key is a missing setting (case matters: KeyError: 'customer_id' is data).
    (
        "app_config_env",
        re.compile(r"KeyError: '[A-Z][A-Z0-9]*_[A-Z0-9_]+'|key not found: \"[A-Z][A-Z0-9]*_[A-Z0-9_]+\""),
    ),
    (
        "dependency_unavailable",
        re.compile(
            r"connection refused|ECONNREFUSED|connection reset by peer|ECONNRESET|no[ _]healthy[ _]upstream|"
            r"upstream connect error|no endpoints available|503 Service Unavailable|status(?: ?code)?[=: ]+503\b|"
            r"\bUNAVAILABLE: |no route to host|EHOSTUNREACH|Connection to \S+ refused|Communications link failure|"
            r"Error \d+ connecting to|Connection refused|server unavailable|Broker may not be available|"
            r"MISCONF Redis is configured to save RDB snapshots|READONLY You can't write against a read only replica|"
            r"upstream (?:service )?unavailable|returned 503|got 503|HTTP 503|\b503 from\b|code = Unavailable|"
            r"ServiceUnavailable|Connection closed by upstream"
            r"|连接被拒绝|服务不可用",
            _I,
        ),
    ),
    (
        "network_timeout",
        re.compile(
            r"i/o timeout|context deadline exceeded|ETIMEDOUT|connect timed out|Connection timed out|"
            r"SocketTimeoutException|ConnectTimeoutException|ConnectTimeoutError|timed out connecting|"
            r"dial timeout|connection attempt timed out|Read timed out",
            _I,
        ),
    ),
    # Generic "could not connect" wording: a dependency problem, unless the line says it timed out (above).
    ("dependency_unreachable", re.compile(r"could not connect to server|Failed to connect to", _I)),
    (
        "cpu_throttling",
        re.compile(
            r"cpu throttl|throttled (?:for|by|periods)|cfs_throttled|throttling|"
            r"Thread starvation or clock leap detected",
            _I,
        ),
    ),
)

# A family's regex runs only when one of its trigger substrings is in the lower-cased line: most
# lines match nothing, and a substring test costs far less than a many-branch regex search.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "rbac_forbidden": ("forbidden", "resource"),
    "certificate_expired": ("certif", "cert_has_expired", "pkix", "证书"),
    "dns_resolution_failure": (
        "no such host",
        "eai_again",
        "name resolution",
        "name or service not known",
        "unknownhost",
        "enotfound",
        "translate host name",
        "nxdomain",
        "server misbehaving",
        ":53",
        "dns",
        "resolve host",
        "nodename nor servname",
        "failed to resolve",
        "host not found",
        "does not resolve",
        "servfail",
        "解析",
        "plugin/",
        "loop",
        "nameservers",
        "i/o timeout",
        "lookup",
        "connection refused",
        "no route to host",
    ),
    "db_connection_pool_exhausted": (
        "connection is not available",
        "hikaripool",
        "queuepool",
        "waiting for",
        "acquir",
        "pool",
        "too many clients",
        "connection slots",
        "too many connections",
        "max_client_conn",
        "sqltransientconnection",
        "get a connection",
        "max open connections",
        "toomanyconnections",
        "no more connections",
        "trying to connect",
        "checkout a connection",
        "连接池",
        "获取",
    ),
    "volume_full": ("no space left", "enospc", "disk", "could not extend file", "flood", "is full", "磁盘"),
    "permission_denied": (
        "eacces",
        "permission",
        "read-only file system",
        "erofs",
        "accessdenied",
        "operation not permitted",
        "eperm",
        "权限",
        "拒绝访问",
        "只读",
    ),
    "app_config_error": (
        "invalid",
        "config",
        "setting",
        "missing required",
        "env",
        "placeholder",
        "unknown",
        "unmarshal",
        "is not a valid",
        "must be",
        "yaml: line",
        "bind properties",
        "unrecognized",
        "flag",
        "illegal",
        "directive",
        "toml",
        "improperly",
        "datasource",
        "options",
        "配置",
        "parsing",
        "expected",
        "mapping values",
        "cannot start any token",
        "yaml",
        "json",
        "invalid character",
        "decode",
        "configparser",
        "psych",
        "proto",
        "property",
    ),
    "app_config_env": ("keyerror", "key not found"),
    "dependency_unavailable": (
        "refused",
        "reset",
        "upstream",
        "no endpoints",
        "503",
        "unavailable",
        "no route to host",
        "ehostunreach",
        "connecting to",
        "link failure",
        "broker",
        "misconf",
        "readonly",
        "连接被拒绝",
        "不可用",
    ),
    "dependency_unreachable": ("could not connect", "failed to connect"),
    "network_timeout": ("timeout", "timed out", "deadline exceeded", "etimedout"),
    "cpu_throttling": ("throttl", "starvation"),
}
