// The "peer" scenario's HTTP side: what a team would build by hand — a Hono endpoint that
// adds one BullMQ job per request and waits for that job's result.
import { serve } from '@hono/node-server';
import { Queue, QueueEvents } from 'bullmq';
import { Hono } from 'hono';
import { redisOptions } from './redis-options.ts';

const connection = redisOptions(process.env.REDIS_URL!);
const queue = new Queue('peer', { connection });
const events = new QueueEvents('peer', { connection });
await events.waitUntilReady();

const app = new Hono();
app.post('/v1/models/:model/predictions', async (c) => {
  const body = (await c.req.json()) as { input: Record<string, unknown> };
  // Jobs are kept a while: removing them at completion races waitUntilFinished.
  const job = await queue.add('predict', body.input, { removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } });
  const output = await job.waitUntilFinished(events, 60_000);
  return c.json({ id: job.id, status: 'succeeded', output });
});
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) }, () => console.log('peer ready'));
