"""Alto's XLA runtime: loads `jax.export` models and serves batches over a Unix socket.

The worker (TypeScript) starts one runtime process per device set and speaks the frame
protocol in PROTOCOL.md; batching, queues and retries stay on the worker's side.
"""
