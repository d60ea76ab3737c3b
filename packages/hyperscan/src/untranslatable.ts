/** The pattern cannot be expressed for Hyperscan; run it with the default engine. */
export class Untranslatable extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`${reason}: ${JSON.stringify(pattern)}`);
    this.name = 'Untranslatable';
  }
}
