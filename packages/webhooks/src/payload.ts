// The body of a webhook event: {"type", "timestamp", "data"} where data is the prediction as
// GET /v1/predictions/{id} renders it — at the event. A 'start' event is rendered as the
// prediction stood when it started (it may have finished by the time the event is relayed);
// a 'completed' event as it stands, since a terminal prediction no longer changes.
import {
  EVENT_TYPES,
  renderPrediction,
  type Prediction,
  type PredictionRecord,
  type WebhookEvent,
} from '@alto/protocol';

export interface EventPayload {
  type: (typeof EVENT_TYPES)[WebhookEvent];
  /** When the event happened, ISO 8601. */
  timestamp: string;
  data: Prediction;
}

/** The record as it was when it started at `at`: running, nothing of its outcome yet. */
const asStarted = (r: PredictionRecord, at: number): PredictionRecord => ({
  ...r,
  status: 'running',
  startedAt: at,
  output: null,
  error: null,
  completedAt: null,
  queueMs: null,
  predictMs: null,
  batchSize: null,
});

export function eventPayload(record: PredictionRecord, event: WebhookEvent, at: number, origin: string): EventPayload {
  const snapshot = event === 'start' ? asStarted(record, at) : record;
  return { type: EVENT_TYPES[event], timestamp: new Date(at).toISOString(), data: renderPrediction(snapshot, origin) };
}
