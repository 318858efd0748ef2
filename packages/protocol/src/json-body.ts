// JSON request bodies whose tensors come as base64. A textdir request is 147 KB of base64 in
// a few hundred bytes of JSON; decoding the body to a string and letting JSON.parse copy the
// base64 into another string cost a quarter of the gateway's CPU per request (node
// --cpu-prof, concurrency 64) and made two large strings for the collector. Here a large
// `"b64"` string of a tensor object is lifted out of the body first: JSON.parse reads the
// small rest, and the tensor object keeps a view of the base64's bytes (B64_TEXT), which
// decodeTensor decodes from the body itself.
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';

/** Where parseJsonBody leaves a lifted `b64`'s text (ASCII bytes of the body); JSON cannot make this key. */
export const B64_TEXT = Symbol('alto.b64-text');

/** Bodies smaller than this are parsed as they are. */
const MIN_BODY = 16 * 1024;
/** `b64` strings shorter than this stay in the JSON. */
const MIN_STRING = 4 * 1024;
/** A body with more string tokens than this (text, not tensors) is parsed as it is. */
const MAX_TOKENS = 256;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const B64_KEY = Buffer.from('b64');
/** Stands in for a lifted string; random per process, so no request can forge one. */
const MARK = `\u0000alto-b64:${randomBytes(12).toString('base64url')}:`;

/**
 * JSON.parse of `body`'s first `end` bytes (UTF-8), with large `b64` strings of tensor objects
 * (objects with a `datatype` or `shape`) left as views into `body` under B64_TEXT; their `b64`
 * is then ''. Throws JSON.parse's own error, for the whole text, when the body is not JSON.
 */
export function parseJsonBody(body: Buffer, end: number = body.length): unknown {
  const lifted = end >= MIN_BODY ? lift(body, end) : undefined;
  if (!lifted) return JSON.parse(body.toString('utf8', 0, end));
  const { text, spans } = lifted;
  let json: unknown;
  try {
    json = JSON.parse(text, function (this: Record<string | symbol, unknown>, key: string, value: unknown) {
      if (key !== 'b64' || typeof value !== 'string' || !value.startsWith(MARK)) return value;
      const span = spans[Number(value.slice(MARK.length))]!;
      if (!('datatype' in this) && !('shape' in this)) return span.toString('latin1');
      this[B64_TEXT] = span;
      return '';
    });
  } catch {
    // Lifting swaps one string token for another, so the text is JSON exactly when the body
    // is: parse the body itself for the error's own wording and position.
    return JSON.parse(body.toString('utf8', 0, end));
  }
  return json;
}

/** The body's text with each large `"b64": "…"` value replaced by MARK + its index, or undefined when there is none. */
function lift(body: Buffer, end: number): { text: string; spans: Buffer[] } | undefined {
  if (body.indexOf('"b64"') === -1) return undefined;
  const parts: string[] = [];
  const spans: Buffer[] = [];
  let copied = 0;
  let prevOpen = -1;
  let prevClose = -1;
  let pos = 0;
  for (let tokens = 0; ; tokens++) {
    if (tokens > MAX_TOKENS) return undefined;
    const open = body.indexOf(QUOTE, pos);
    if (open === -1 || open >= end) break;
    const close = closingQuote(body, open, end);
    if (close === -1) return undefined; // not JSON: JSON.parse will say so
    if (
      close - open - 1 >= MIN_STRING &&
      isB64Key(body, prevOpen, prevClose) &&
      onlyColonBetween(body, prevClose + 1, open)
    ) {
      const span = body.subarray(open + 1, close);
      if (span.indexOf(BACKSLASH) === -1 && isAscii(span)) {
        parts.push(body.toString('utf8', copied, open), JSON.stringify(MARK + spans.length));
        spans.push(span);
        copied = close + 1;
      }
    }
    prevOpen = open;
    prevClose = close;
    pos = close + 1;
  }
  if (spans.length === 0) return undefined;
  parts.push(body.toString('utf8', copied, end));
  return { text: parts.join(''), spans };
}

/** The quote that closes the string opened at `open` (one not escaped by a backslash), or -1. */
function closingQuote(body: Buffer, open: number, end: number): number {
  let at = open;
  for (;;) {
    at = body.indexOf(QUOTE, at + 1);
    if (at === -1 || at >= end) return -1;
    let backslashes = 0;
    for (let k = at - 1; k > open && body[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

const isB64Key = (body: Buffer, open: number, close: number) =>
  open !== -1 && close - open - 1 === B64_KEY.length && body.compare(B64_KEY, 0, 3, open + 1, close) === 0;

/** Whether body[from, to) is whitespace around exactly one colon: a key and its value. */
function onlyColonBetween(body: Buffer, from: number, to: number): boolean {
  let colons = 0;
  for (let i = from; i < to; i++) {
    const c = body[i];
    if (c === COLON) colons++;
    else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return colons === 1;
}
