// Completion notices on the completions channel (see complete-3.lua): the prediction id,
// optionally followed by a newline and the prediction's fields as <length>:<bytes> pairs,
// when a gateway waits for it and the record is small. Ids never hold a newline.
const NEWLINE = 0x0a;
const COLON = 0x3a;

export interface Notice {
  id: string;
  /** The prediction hash, when the notice carries it. */
  fields?: Record<string, Buffer>;
}

/** Most bytes of a notice that carries the record; larger records are read back instead. */
export const NOTICE_MAX_BYTES = 16 * 1024;

export function parseNotice(buf: Buffer): Notice {
  const nl = buf.indexOf(NEWLINE);
  if (nl < 0) return { id: buf.toString() };
  const id = buf.toString('utf8', 0, nl);
  const parts: Buffer[] = [];
  for (let o = nl + 1; o < buf.length;) {
    const colon = buf.indexOf(COLON, o);
    if (colon < 0) return { id };
    const length = Number(buf.toString('latin1', o, colon));
    if (!Number.isInteger(length) || colon + 1 + length > buf.length) return { id };
    parts.push(buf.subarray(colon + 1, colon + 1 + length));
    o = colon + 1 + length;
  }
  if (parts.length % 2 !== 0) return { id };
  const fields: Record<string, Buffer> = {};
  for (let i = 0; i < parts.length; i += 2) fields[parts[i]!.toString()] = parts[i + 1]!;
  return { id, fields };
}
