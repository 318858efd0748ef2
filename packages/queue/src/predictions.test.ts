// Reading a prediction hash: each field of the record comes from the field the table names,
// and a queued prediction past its deadline reads as expired before any worker settles it.
import { encodeTensors } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { PREDICTION as F, webhookStateField } from './fields.ts';
import { parseRecord } from './predictions.ts';

const b = (s: string) => Buffer.from(s);

describe('parseRecord', () => {
  it('reads every field of a finished prediction from the fields the table names', () => {
    const out = new Map([
      ['y', { datatype: 'FP32' as const, shape: [1], data: new Uint8Array(new Float32Array([2]).buffer) }],
    ]);
    const record = parseRecord(
      'm.1',
      'm',
      {
        [F.status]: b('succeeded'),
        [F.version]: b('3'),
        [F.format]: b('b64'),
        [F.output]: encodeTensors(out),
        [F.createdAt]: b('10'),
        [F.startedAt]: b('20'),
        [F.completedAt]: b('30'),
        [F.queueMs]: b('4'),
        [F.predictMs]: b('5'),
        [F.batchSize]: b('6'),
        [F.owner]: b('o'),
        [F.webhook]: b('{"url":"https://h.example/x","events":["completed"],"origin":"http://gw"}'),
        [webhookStateField('completed')]: b('{"state":"pending","attempts":0}'),
      },
      0,
    );
    expect(record).toMatchObject({
      id: 'm.1',
      model: 'm',
      version: '3',
      status: 'succeeded',
      format: 'b64',
      error: null,
      createdAt: 10,
      startedAt: 20,
      completedAt: 30,
      queueMs: 4,
      predictMs: 5,
      batchSize: 6,
      owner: 'o',
      webhook: {
        url: 'https://h.example/x',
        events: ['completed'],
        deliveries: { completed: { state: 'pending', attempts: 0 } },
      },
    });
    expect([...record.output!.keys()]).toEqual(['y']);
  });

  it("reads a failed prediction's error", () => {
    const record = parseRecord('m.2', 'm', {
      [F.status]: b('failed'),
      [F.errorCode]: b('poison'),
      [F.errorMessage]: b('delivered 3 times'),
    });
    expect(record.error).toEqual({ code: 'poison', message: 'delivered 3 times' });
    expect(record.format).toBe('json');
  });

  it('reads a queued prediction past its deadline as expired', () => {
    const h = { [F.status]: b('queued'), [F.deadline]: b('100'), [F.createdAt]: b('50') };
    expect(parseRecord('m.3', 'm', h, 99).status).toBe('queued');
    expect(parseRecord('m.3', 'm', h, 101)).toMatchObject({
      status: 'expired',
      completedAt: 100,
      error: { code: 'deadline_exceeded' },
    });
  });
});
