/**
 * re2js loaded on first need (the browser entry's choice): bundlers put the
 * dynamic import in a chunk of its own, fetched only when a policy set has a
 * regex. See re2js-module.ts.
 */
import { useRe2jsLoader, type Re2jsModule } from './re2js-module.js';

/** The dynamic import of re2js, resolved from this package. */
export const importRe2js = (): Promise<Re2jsModule> => import('re2js');

useRe2jsLoader(importRe2js);
