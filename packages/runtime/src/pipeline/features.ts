// The network's inputs made from tokenized texts: input_ids, attention_mask and
// token_type_ids as INT64 [rows, longest], padded with the tokenizer's pad id to the longest
// row given. Only the inputs the network declares are built.
import type { RawTensor } from '../thread-protocol.ts';
import type { TokenizedText } from './tokenizer.ts';

/** The inputs a tokenizer step can feed, by the names BERT-style exports use. */
export const TOKEN_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export type TokenInput = (typeof TOKEN_INPUTS)[number];

export interface Features {
  feeds: Partial<Record<TokenInput, RawTensor>>;
  /** The attention mask, [rows, seq], whether or not the network takes it (pooling needs it). */
  mask: BigInt64Array;
  seq: number;
}

export function buildFeatures(rows: readonly TokenizedText[], wanted: readonly TokenInput[], padId: number): Features {
  // At least one slot: a network cannot take a zero-length sequence (a tokenizer without special tokens and "").
  const seq = rows.reduce((n, r) => Math.max(n, r.ids.length), 1);
  const ids = new BigInt64Array(rows.length * seq).fill(BigInt(padId));
  const mask = new BigInt64Array(rows.length * seq);
  const types = new BigInt64Array(rows.length * seq);
  rows.forEach((r, i) => {
    const at = i * seq;
    for (let t = 0; t < r.ids.length; t++) {
      ids[at + t] = BigInt(r.ids[t]!);
      mask[at + t] = 1n;
      types[at + t] = BigInt(r.typeIds[t] ?? 0);
    }
  });
  const dims = [rows.length, seq];
  const all: Record<TokenInput, BigInt64Array> = { input_ids: ids, attention_mask: mask, token_type_ids: types };
  const feeds: Features['feeds'] = {};
  for (const name of wanted) {
    // A copy: the executor may transfer the buffer to its thread, and `mask` is kept for pooling.
    feeds[name] = { type: 'int64', dims, data: all[name].slice().buffer };
  }
  return { feeds, mask, seq };
}
