/**
 * YAML policy text, on Node: registered with the parser by the Node entry
 * (index.ts), so that a browser bundle (browser.ts) leaves the YAML library
 * out. The YAML 1.2 core schema (no `!!binary` and other custom tags),
 * integers kept exact, and warnings (an unresolved tag) not printed by the
 * library: the document is then read as plain values.
 */
import { parse } from 'yaml';
import { useYamlReader } from './parse.js';

const YAML_OPTIONS = { intAsBigInt: true, schema: 'core', logLevel: 'error' } as const;

useYamlReader((text) => parse(text, YAML_OPTIONS));
