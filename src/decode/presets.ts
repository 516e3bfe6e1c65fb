/**
 * Named formats as data (GoAccess's habit: a preset is a description, not code). Each says which
 * parser reads it and with what: the NCSA scanner, a log_format string with the preset's own variable
 * names, a JSON field map, or W3C columns. Adding a format is adding an entry here.
 */
import type { FieldTarget } from '../parse/logformat';
import type { JsonFieldMap } from '../parse/json';
import type { W3cSpec } from '../parse/w3c';
import type { ErrorFormatName } from '../parse/formats';

export type Preset =
  | { syntax: 'clf' }
  | { syntax: 'nginx'; format: string; variables: Record<string, FieldTarget> }
  | { syntax: 'json'; fields: JsonFieldMap; /** Lines not starting with '{' are read by the NCSA scanner (Traefik writes either). */ orClf?: boolean }
  | { syntax: 'w3c'; w3c: W3cSpec }
  | { syntax: 'error'; name: ErrorFormatName };

export interface PresetEntry {
  preset: Preset;
  /** One line for --help and the README. */
  describe: string;
}

/** Nginx `log_format ... escape=json` with the usual variable names as keys, and the aliases other tools write. */
export const NGINX_JSON_FIELDS: JsonFieldMap = {
  time: ['time_iso8601', '@timestamp', 'timestamp', 'date', 'time', 'time_local', 'msec'],
  ip: ['remote_addr', 'ip', 'client', 'clientip', 'remote_ip'],
  status: ['status'],
  request: ['request'],
  method: ['request_method', 'method'],
  uri: ['request_uri'],
  path: ['path', 'uri'],
  query: ['args'],
  protocol: ['server_protocol'],
  bytes: ['body_bytes_sent', 'bytes_sent', 'length', 'bytes'],
  referer: ['http_referer', 'referer', 'referrer'],
  userAgent: ['http_user_agent', 'user_agent', 'user_agent.original', 'agent'],
  user: ['remote_user', 'user'],
  host: ['host', 'http_host', 'server_name'],
  forwardedFor: ['http_x_forwarded_for'],
  requestTime: ['request_time'],
};

/**
 * Caddy's structured access log (`log` directive, JSON encoder): `ts` is float seconds by default
 * (or ISO with `time_format`), headers are lists, `user_id` is the authenticated user.
 * https://caddyserver.com/docs/caddyfile/directives/log
 */
const CADDY_FIELDS: JsonFieldMap = {
  time: ['ts'],
  ip: ['request.client_ip', 'request.remote_ip'],
  status: ['status'],
  method: ['request.method'],
  uri: ['request.uri'],
  protocol: ['request.proto'],
  bytes: ['size'],
  referer: ['request.headers.Referer'],
  userAgent: ['request.headers.User-Agent'],
  user: ['user_id'],
  host: ['request.host'],
  forwardedFor: ['request.headers.X-Forwarded-For'],
  requestTime: ['duration'],
};

/**
 * Traefik's access log in JSON (`accessLog.format: json`); headers appear as `request_<Name>` when
 * kept. Duration is in nanoseconds. https://doc.traefik.io/traefik/observability/access-logs/
 */
const TRAEFIK_FIELDS: JsonFieldMap = {
  time: ['StartUTC', 'StartLocal', 'time'],
  ip: ['ClientHost', 'ClientAddr'],
  status: ['DownstreamStatus', 'OriginStatus'],
  request: ['RequestLine'],
  method: ['RequestMethod'],
  uri: ['RequestPath'],
  protocol: ['RequestProtocol'],
  bytes: ['DownstreamContentSize'],
  referer: ['request_Referer'],
  userAgent: ['request_User-Agent'],
  user: ['ClientUsername'],
  host: ['RequestHost'],
  forwardedFor: ['request_X-Forwarded-For'],
  requestTime: ['Duration'],
  requestTimeUnit: 1e-9,
};

/**
 * Elastic Common Schema documents, one a line (Filebeat's file output, an Elasticsearch export,
 * ecs-logging libraries); `user_agent` is an object there. https://www.elastic.co/guide/en/ecs/current/
 */
const ECS_FIELDS: JsonFieldMap = {
  time: ['@timestamp'],
  ip: ['source.ip', 'source.address', 'client.ip', 'client.address'],
  status: ['http.response.status_code'],
  method: ['http.request.method'],
  uri: ['url.original'],
  path: ['url.path'],
  query: ['url.query'],
  protocol: ['http.version'],
  bytes: ['http.response.body.bytes', 'http.response.bytes'],
  referer: ['http.request.referrer'],
  userAgent: ['user_agent.original'],
  user: ['user.name'],
  host: ['url.domain', 'destination.domain'],
  requestTime: ['event.duration'],
  requestTimeUnit: 1e-9,
};

/**
 * AWS Application Load Balancer: space-separated, quoted request and user agent, the client as
 * `address:port`; the fields after the user agent (TLS, target group, trace id...) grow over the years
 * and are not needed. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
 */
const ALB_FORMAT =
  '$type $time $elb $client $target $request_processing_time $target_processing_time $response_processing_time ' +
  '$elb_status_code $target_status_code $received_bytes $sent_bytes "$request" "$user_agent" $rest';

/** CloudFront standard logs: the documented column order, tab-separated, percent-encoded text. */
const CLOUDFRONT_FIELDS = (
  'date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query ' +
  'cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ' +
  'ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte ' +
  'x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end'
).split(' ');

export const PRESETS = {
  common: { preset: { syntax: 'clf' }, describe: 'NCSA common (Apache `common`)' },
  combined: { preset: { syntax: 'clf' }, describe: "NCSA combined (Nginx's default, Apache `combined`), also with extra trailing fields (`\"$http_x_forwarded_for\"`, Traefik's common format)" },
  vhost_combined: { preset: { syntax: 'clf' }, describe: 'Apache `%v:%p %h %l %u %t ...`' },
  json: { preset: { syntax: 'json', fields: NGINX_JSON_FIELDS }, describe: 'Nginx `log_format ... escape=json` with the usual variable names as keys (`remote_addr`, `time_iso8601`/`time_local`/`msec`, `request`, `status`, ...)' },
  caddy: { preset: { syntax: 'json', fields: CADDY_FIELDS }, describe: "Caddy's JSON access log (`request.client_ip`, `ts`, `status`, `user_id`)" },
  traefik: { preset: { syntax: 'json', fields: TRAEFIK_FIELDS, orClf: true }, describe: 'Traefik access log, JSON (`ClientHost`, `DownstreamStatus`, `StartUTC`) or common' },
  ecs: { preset: { syntax: 'json', fields: ECS_FIELDS }, describe: 'Elastic Common Schema JSON (Filebeat, Elasticsearch exports): `source.ip`, `http.response.status_code`, `user_agent.original`' },
  alb: { preset: { syntax: 'nginx', format: ALB_FORMAT, variables: { time: 'time_iso', client: 'ip', elb_status_code: 'status', sent_bytes: 'bytes', user_agent: 'user_agent' } }, describe: 'AWS Application Load Balancer access log' },
  cloudfront: { preset: { syntax: 'w3c', w3c: { name: 'cloudfront', separator: '\t', fields: CLOUDFRONT_FIELDS, encoding: 'percent' } }, describe: 'Amazon CloudFront standard log (W3C, tab-separated; its `#Fields:` line is read)' },
  nginx_error: { preset: { syntax: 'error', name: 'nginx_error' }, describe: 'Nginx error log, read for the reasons behind 401s' },
  apache_error: { preset: { syntax: 'error', name: 'apache_error' }, describe: 'Apache 2.2/2.4 error log (also through syslog), read for the reasons behind 401s' },
} satisfies Record<string, PresetEntry>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(s: string): s is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, s);
}
