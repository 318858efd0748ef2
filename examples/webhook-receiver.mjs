// A minimal receiver of Alto's webhooks: verifies each delivery with the standardwebhooks
// package (npm install standardwebhooks), handles each event once (retries carry the same
// webhook-id), and answers 204. See docs/webhooks.md.
//
//   WEBHOOK_SECRET=whsec_... PORT=3000 node examples/webhook-receiver.mjs
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.env.WEBHOOK_SECRET);
const handled = new Set(); // webhook-ids already handled; a real receiver keeps them in its database

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    // Verify the raw body exactly as received, before parsing it.
    const body = Buffer.concat(chunks).toString('utf8');
    let event;
    try {
      event = webhook.verify(body, req.headers); // checks the signature and that the timestamp is recent
    } catch {
      res.writeHead(401).end();
      return;
    }
    const id = req.headers['webhook-id'];
    if (!handled.has(id)) {
      handled.add(id);
      console.log(
        JSON.stringify({ webhook_id: id, type: event.type, prediction: event.data.id, status: event.data.status }),
      );
    }
    res.writeHead(204).end();
  });
}).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => console.log('listening'));
