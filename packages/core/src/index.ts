/**
 * @otel-policy/core: parse, compile and evaluate Tero policies over any
 * record representation, through accessor interfaces.
 */
import './policy/yaml-text.js';
import './match/re2js-eager.js';

export * from './api.js';
