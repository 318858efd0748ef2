// owner-add-1.lua: records a prediction as one of its owner's, trimming the owner's index.
import type { Keys } from '../keys.ts';
import { codeOf, queueScript } from './queue-script.ts';

export interface OwnerAddParams {
  keys: Keys;
  owner: string;
  predictionId: string;
  /** Epoch ms: the id's score. */
  createdAt: number;
  /** Ids created before this (epoch ms) are dropped. */
  oldest: number;
  /** The index's time to live. */
  retentionMs: number;
}

/** The script's replies, as its `local NAME = <code>` lines name them. */
export const OWNER_ADD_CODES = { ADDED: 1 } as const;

export type OwnerAddOutcome = keyof typeof OWNER_ADD_CODES;

export const ownerAdd = queueScript<OwnerAddParams, OwnerAddOutcome>('ownerAdd', {
  file: 'owner-add-1.lua',
  outcomes: Object.keys(OWNER_ADD_CODES),
  codes: OWNER_ADD_CODES,
  keys: (p) => [p.keys.ownerPredictions(p.owner)],
  argv: (p) => [p.predictionId, p.createdAt, p.oldest, p.retentionMs],
  decode: (reply) => codeOf('owner-add-1.lua', OWNER_ADD_CODES, reply),
});
