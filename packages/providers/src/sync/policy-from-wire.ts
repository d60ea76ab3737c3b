/** Policy messages from a sync server into our parsed policy model. */
import { parsePolicyDocument, type PolicySet } from '@otel-policy/core';
import type { PolicyObject, SyncResponseObject } from './messages.js';

const EXTENSION_MODE_PREFIX = 'EXTENSION_MODE_';

/**
 * Turn one decoded Policy message (plain-object form, as the decoders here
 * return) into the policy-document shape {@link parsePolicyDocument} reads.
 * Proto semantics the document form lacks are made explicit: an absent
 * `enabled` is false, and an extension's bytes `config` holding JSON is
 * parsed back (other bytes stay base64).
 */
export function policyDocumentOf(p: PolicyObject): Record<string, unknown> {
  const doc: Record<string, unknown> = { ...p };
  // proto3: a bool that is false is not on the wire.
  if (doc.enabled === undefined || doc.enabled === null) doc.enabled = false;
  if (Array.isArray(doc.extensions)) {
    doc.extensions = doc.extensions.map((e) => {
      if (e === null || typeof e !== 'object') return e;
      const ext = { ...(e as Record<string, unknown>) };
      const mode = ext.mode;
      if (typeof mode === 'string') {
        const short = mode.startsWith(EXTENSION_MODE_PREFIX) ? mode.slice(EXTENSION_MODE_PREFIX.length).toLowerCase() : mode.toLowerCase();
        ext.mode = short === 'unspecified' ? 'matched' : short;
      } else if (mode === undefined) ext.mode = 'matched';
      if (typeof ext.config === 'string') ext.config = decodeExtensionConfig(ext.config);
      return ext;
    });
  }
  return doc;
}

function decodeExtensionConfig(b64: string): unknown {
  if (b64 === '') return undefined;
  try {
    return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    return b64;
  }
}

/**
 * The policies of a decoded SyncResponse as our parsed policy set. Invalid
 * pieces are kept (as {@link parsePolicyDocument} does) so that compiling
 * reports them.
 */
export function policySetFromSyncResponse(res: SyncResponseObject, source = 'sync response'): PolicySet {
  const policies = Array.isArray(res.policies) ? res.policies : [];
  return parsePolicyDocument({ policies: policies.map(policyDocumentOf) }, source);
}
