/**
 * The keys each level of a policy document may hold: the fields of the
 * policy proto (tero/policy/v1), in snake_case (lowerCamelCase is accepted
 * too), plus the spellings this parser also reads. A key outside them is
 * kept as a warning on its policy: a typo such as `transfrom:` or `kepp:`
 * would otherwise leave the policy doing nothing, silently. Warnings do not
 * change what the policy does. A test holds the table to the proto.
 */
const SELECTORS: Record<'log' | 'metric' | 'trace', readonly string[]> = {
  log: ['log_field', 'log_attribute', 'resource_attribute', 'scope_attribute'],
  metric: ['metric_field', 'datapoint_attribute', 'resource_attribute', 'scope_attribute', 'metric_type', 'aggregation_temporality'],
  trace: ['trace_field', 'span_attribute', 'resource_attribute', 'scope_attribute', 'span_kind', 'span_status', 'event_name', 'event_attribute', 'link_trace_id'],
};
const CONDITIONS = ['exact', 'regex', 'exists', 'starts_with', 'ends_with', 'contains', 'equals', 'gt', 'gte', 'lt', 'lte', 'negate', 'case_insensitive'];

/** Known keys by level: `policy`, `<signal>` (the target), `<signal>.match`, and the log target's parts. */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  policy: ['id', 'name', 'description', 'enabled', 'created_at_unix_nano', 'modified_at_unix_nano', 'labels', 'extensions', 'log', 'metric', 'trace'],
  log: ['match', 'keep', 'sample_key', 'transform'],
  metric: ['match', 'keep'],
  trace: ['match', 'keep'],
  'log.match': [...SELECTORS.log, ...CONDITIONS],
  'metric.match': [...SELECTORS.metric, ...CONDITIONS],
  'trace.match': [...SELECTORS.trace, ...CONDITIONS],
  'log.sample_key': SELECTORS.log,
  'log.transform': ['remove', 'redact', 'rename', 'add'],
  'log.transform.remove': SELECTORS.log,
  'log.transform.redact': [...SELECTORS.log, 'regex', 'replacement'],
  // `from: { log_attribute: ... }` is read as well as the proto's `from_log_attribute`.
  'log.transform.rename': [...SELECTORS.log.map((k) => `from_${k}`), 'from', 'to', 'upsert'],
  'log.transform.add': [...SELECTORS.log, 'value', 'upsert'],
};

const camel = (snake: string): string => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const accepted = new Map(Object.entries(KNOWN_KEYS).map(([level, keys]) => [level, new Set(keys.flatMap((k) => [k, camel(k)]))]));

/** Keys of `o` not known at `level`, as warnings naming where (`where` prefixes each, e.g. `log: match[0]`). */
export function unknownKeys(o: object, level: string, where: string, out: string[]): void {
  const known = accepted.get(level);
  if (known === undefined) return;
  for (const k of Object.keys(o)) {
    if (!known.has(k)) out.push(`${where ? `${where}: ` : ''}unknown key ${JSON.stringify(k)} (ignored)`);
  }
}
