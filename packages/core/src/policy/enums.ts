/**
 * Enum spellings accepted in policy files. Each table maps the proto number to
 * the short name; a value may be written as the short name (any case), the
 * proto name (`LOG_FIELD_BODY`) or the proto number.
 */

/** Short name -> proto number, plus the proto-name prefix for that enum. */
export interface EnumTable {
  readonly prefix: string;
  readonly values: Readonly<Record<string, number>>;
  /** Extra accepted spellings (upper case) -> short name. */
  readonly aliases?: Readonly<Record<string, string>>;
}

export const LOG_FIELDS: EnumTable = {
  prefix: 'LOG_FIELD_',
  values: {
    unspecified: 0,
    body: 1,
    severity_text: 2,
    trace_id: 3,
    span_id: 4,
    event_name: 5,
    resource_schema_url: 10,
    scope_schema_url: 11,
  },
};

export const METRIC_FIELDS: EnumTable = {
  prefix: 'METRIC_FIELD_',
  values: {
    unspecified: 0,
    name: 1,
    description: 2,
    unit: 3,
    resource_schema_url: 10,
    scope_schema_url: 11,
    scope_name: 12,
    scope_version: 13,
  },
};

export const TRACE_FIELDS: EnumTable = {
  prefix: 'TRACE_FIELD_',
  values: {
    unspecified: 0,
    name: 1,
    trace_id: 2,
    span_id: 3,
    parent_span_id: 4,
    trace_state: 5,
    resource_schema_url: 10,
    scope_schema_url: 11,
    scope_name: 12,
    scope_version: 13,
  },
};

export const METRIC_TYPES: EnumTable = {
  prefix: 'METRIC_TYPE_',
  values: { unspecified: 0, gauge: 1, sum: 2, histogram: 3, exponential_histogram: 4, summary: 5 },
};

export const AGGREGATION_TEMPORALITIES: EnumTable = {
  prefix: 'AGGREGATION_TEMPORALITY_',
  values: { unspecified: 0, delta: 1, cumulative: 2 },
};

export const SPAN_KINDS: EnumTable = {
  prefix: 'SPAN_KIND_',
  values: { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 },
};

/**
 * Span status: the proto calls 0 `SPAN_STATUS_CODE_UNSPECIFIED` and means
 * "status not set", which OTLP calls UNSET; both spellings mean the same.
 */
export const SPAN_STATUSES: EnumTable = {
  prefix: 'SPAN_STATUS_CODE_',
  values: { unset: 0, ok: 1, error: 2 },
  aliases: { UNSPECIFIED: 'unset', STATUS_CODE_UNSET: 'unset', STATUS_CODE_OK: 'ok', STATUS_CODE_ERROR: 'error' },
};

export const SAMPLING_MODES: EnumTable = {
  prefix: 'SAMPLING_MODE_',
  values: { unspecified: 0, hash_seed: 1, proportional: 2, equalizing: 3 },
};

/**
 * Resolve an enum value as authored to its short name, or undefined when it
 * names nothing in the table.
 */
export function resolveEnum(table: EnumTable, raw: unknown): string | undefined {
  if (typeof raw === 'number' || typeof raw === 'bigint') {
    const n = Number(raw);
    for (const [name, value] of Object.entries(table.values)) if (value === n) return name;
    return undefined;
  }
  if (typeof raw !== 'string') return undefined;
  let upper = raw.trim().toUpperCase();
  if (table.aliases && upper in table.aliases) return table.aliases[upper];
  if (upper.startsWith(table.prefix)) upper = upper.slice(table.prefix.length);
  if (table.aliases && upper in table.aliases) return table.aliases[upper];
  const short = upper.toLowerCase();
  return Object.prototype.hasOwnProperty.call(table.values, short) ? short : undefined;
}

/** Extension input modes; unspecified means `matched`. */
export const EXTENSION_MODES: EnumTable = {
  prefix: 'EXTENSION_MODE_',
  values: { unspecified: 0, kept: 1, dropped: 2, unmatched: 3, matched: 4, all: 5 },
};
