/**
 * dlt's typed JSON marks Python values (datetime, Decimal, UUID, bytes…) as strings that start
 * with one private-use character (manifest-generation.md §2). Sluice keeps the textual form.
 */

/** Default first marker (Decimal); `DLT_JSON_TYPED_PUA_START` in the worker's env can move it. */
export const DEFAULT_PUA_START = 0xf026;
/** Decimal, datetime, date, UUID, hex bytes, base64 bytes, Wei, time. */
export const PUA_MARKER_COUNT = 8;

export function stripTypedJsonMarker(text: string, puaStart: number = DEFAULT_PUA_START): string {
  if (text.length === 0) return text;
  const offset = text.charCodeAt(0) - puaStart;
  return offset >= 0 && offset < PUA_MARKER_COUNT ? text.slice(1) : text;
}

/** A copy of `value` with every marked string replaced by its text. */
export function stripTypedJsonMarkers(value: unknown, puaStart: number = DEFAULT_PUA_START): unknown {
  if (typeof value === "string") return stripTypedJsonMarker(value, puaStart);
  if (Array.isArray(value)) return value.map((item) => stripTypedJsonMarkers(item, puaStart));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, stripTypedJsonMarkers(item, puaStart)]));
  }
  return value;
}
