// Which prediction a script acts on, and through which stream entry: the parameters the
// scripts that touch one prediction share. Each script's own parameters extend these.
import type { Keys } from '../keys.ts';

/** One prediction of one model. */
export interface PredictionRef {
  keys: Keys;
  model: string;
  predictionId: string;
}

/** A prediction through its entry in one of its model's streams. */
export interface EntryRef extends PredictionRef {
  /** The stream holding the entry: the one it was read from. */
  stream: string;
  entryId: string;
}
