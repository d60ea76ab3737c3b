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
    // The BOM is kept (so JSON.parse refuses it), as Buffer's utf8 decoding does.
    return JSON.parse(new TextDecoder('utf-8', { ignoreBOM: true }).decode(base64Bytes(b64)));
  } catch {
    return b64;
  }
}

const B64_VALUES = (() => {
  const t = new Int8Array(128).fill(-1);
  const std = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) t[std.charCodeAt(i)] = i;
  // The URL-safe alphabet too.
  t[0x2d] = 62;
  t[0x5f] = 63;
  return t;
})();

/**
 * Base64 (standard or URL-safe) to bytes, as leniently as Node's
 * `Buffer.from(text, 'base64')`, which this replaces so that the module runs
 * in browsers: characters outside the alphabet (whitespace, ...) are skipped,
 * decoding stops at the first `=`, and bits short of a byte are dropped.
 */
function base64Bytes(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) break;
    const v = c < 128 ? B64_VALUES[c] : -1;
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
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
