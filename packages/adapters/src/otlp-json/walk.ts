/**
 * The one walk over an OTLP/JSON payload behind `applyToLogs`,
 * `applyToTraces` and `applyToMetrics`: resource → scope → records, keeping
 * the records `keep` accepts and pruning scopes and resources left empty.
 * A record list nothing was dropped from keeps its identity. Null entries
 * (which a JSON payload may hold) are skipped and pruned.
 */
export interface PayloadLevels<R, S, T> {
  /** The resource's scope list, and how to replace it. */
  scopes(resource: R): readonly (S | null | undefined)[] | undefined;
  setScopes(resource: R, scopes: S[]): void;
  /** The scope's record list, and how to replace it. */
  records(scope: S): readonly T[] | undefined;
  setRecords(scope: S, records: T[]): void;
  /** Called before the scopes of a resource and the records of a scope are visited (to point a cursor at them). */
  enterResource(resource: R): void;
  enterScope(scope: S): void;
  /** Whether to keep one record (evaluating it, and counting the outcome). */
  keep(record: T): boolean;
}

/** Walk `resources` (see {@link PayloadLevels}) and return the resources left. */
export function walkPayload<R, S, T>(resources: readonly (R | null | undefined)[], levels: PayloadLevels<R, S, T>): R[] {
  const keptResources: R[] = [];
  for (const resource of resources) {
    if (!resource) continue;
    levels.enterResource(resource);
    const keptScopes: S[] = [];
    for (const scope of levels.scopes(resource) ?? []) {
      if (!scope) continue;
      levels.enterScope(scope);
      const records = levels.records(scope) ?? [];
      const kept: T[] = [];
      for (const record of records) if (levels.keep(record)) kept.push(record);
      if (kept.length > 0) {
        // Untouched lists keep their identity.
        if (kept.length !== records.length) levels.setRecords(scope, kept);
        keptScopes.push(scope);
      }
    }
    if (keptScopes.length > 0) {
      levels.setScopes(resource, keptScopes);
      keptResources.push(resource);
    }
  }
  return keptResources;
}
