// The "bare Hono" baseline of the ingest scenario: parse the JSON body, answer a constant.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/v1/models/:model/predictions', async (c) => {
  await c.req.json();
  return c.json({ id: 'constant', status: 'queued' }, 202);
});
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) }, () => console.log('bare ready'));
