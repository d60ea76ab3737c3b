/**
 * Trace and span IDs as policies see them in every representation: lowercase
 * hex, with an all-zero or empty ID meaning "absent" (as OTLP defines it).
 */
export function normalizeId(id: string | undefined): string | undefined {
  if (id === undefined || id === null || id === '') return undefined;
  let allZero = true;
  let lower = true;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c !== 48) allZero = false;
    if (c >= 65 && c <= 90) lower = false;
  }
  if (allZero) return undefined;
  return lower ? id : id.toLowerCase();
}
