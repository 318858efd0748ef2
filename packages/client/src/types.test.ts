// The client's hand-written copies of the API's vocabulary and shapes, held against
// @alto/protocol (where the gateway's OpenAPI document comes from): a drift fails here.
import {
  DATATYPES as PROTOCOL_DATATYPES,
  ERROR_CODES,
  PRIORITIES as PROTOCOL_PRIORITIES,
  STATUSES as PROTOCOL_STATUSES,
  WEBHOOK_EVENTS as PROTOCOL_WEBHOOK_EVENTS,
} from '@alto/protocol';
import type { PredictionListSchema, PredictionRequestDocSchema, PredictionSchema } from '@alto/protocol';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { API_ERROR_CODES } from './errors.ts';
import {
  DATATYPES,
  PRIORITIES,
  STATUSES,
  WEBHOOK_EVENTS,
  type PredictionJson,
  type PredictionListJson,
  type PredictionRequestJson,
} from './types.ts';

describe('the client vocabulary', () => {
  it('lists the same error codes, datatypes, statuses, priorities and events as the protocol', () => {
    expect([...API_ERROR_CODES]).toEqual([...ERROR_CODES]);
    expect([...DATATYPES]).toEqual([...PROTOCOL_DATATYPES]);
    expect([...STATUSES]).toEqual([...PROTOCOL_STATUSES]);
    expect([...PRIORITIES]).toEqual([...PROTOCOL_PRIORITIES]);
    expect([...WEBHOOK_EVENTS]).toEqual([...PROTOCOL_WEBHOOK_EVENTS]);
  });

  it('types the prediction, the list and the request body as the schemas do', () => {
    expectTypeOf<z.infer<typeof PredictionSchema>>().toEqualTypeOf<PredictionJson>();
    expectTypeOf<z.infer<typeof PredictionListSchema>>().toEqualTypeOf<PredictionListJson>();
    expectTypeOf<PredictionRequestJson>().toExtend<z.input<typeof PredictionRequestDocSchema>>();
  });
});
