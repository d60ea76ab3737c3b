/**
 * re2js loaded on first need (the browser entry's choice): bundlers put the
 * dynamic import in a chunk of its own, fetched only when a policy set has a
 * regex. See re2js-module.ts.
 */
import { useRe2jsLoader } from './re2js-module.js';

useRe2jsLoader(() => import('re2js'));
