// The `batch.completed` event of a batch job (docs/batches.md): its URL and body, rendered
// from the batch as it ended. Delivered, signed and retried like a prediction's events.
import { batchEventPayload, type BatchStore } from '@alto/batches';

export async function batchDelivery(
  batches: BatchStore,
  id: string,
  at: number,
): Promise<{ url: string; body: string } | undefined> {
  const b = await batches.get(id);
  if (!b?.webhook || b.finishedAt === null) return undefined;
  return { url: b.webhook, body: JSON.stringify(batchEventPayload(b, at)) };
}
