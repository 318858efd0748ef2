// The fixed ports `npm start` opens, settled before anything starts: one the user chose
// (PORT, ALTO_ADMIN_PORT, ALTO_METRICS_PORT, ALTO_GRPC_PORT) must be free, else the launcher stops with one
// line naming it; a default one that is taken moves to a free port, except the gateway's
// 8080, which is the address the user was told to call.
import { assertPortFree, freePort, portFree } from '@alto/procs';

export interface FleetPorts {
  /** The gateway's HTTP port (PORT). */
  gateway: string;
  /** The publisher's admin port (ALTO_ADMIN_PORT), on 127.0.0.1. */
  admin: string;
  /** The first worker's /metrics and /healthz port (ALTO_METRICS_PORT); the others take any free one. */
  metrics: string;
  /** The gateway's Open Inference Protocol gRPC port (ALTO_GRPC_PORT). */
  grpc: string;
}

export const DEFAULT_GATEWAY_PORT = 8080;
export const DEFAULT_METRICS_PORT = 9464;
/** Triton's gRPC port, where OIP gRPC clients look first. */
export const DEFAULT_GRPC_PORT = 8001;

/**
 * Checks a port given in `name` (or `fallback`) when it is a port number; a malformed value
 * is passed on untouched for the child's own configuration check to refuse.
 */
async function checked(
  env: NodeJS.ProcessEnv,
  name: string,
  host: string,
  fallback?: number,
): Promise<string | undefined> {
  const text = env[name] || (fallback === undefined ? undefined : String(fallback));
  if (text === undefined) return undefined;
  const port = Number(text);
  if (/^\d+$/.test(text) && port <= 65535) await assertPortFree(port, host, name);
  return text;
}

/** Throws PortInUseError for a chosen (or the gateway's default) port that is taken. */
export async function fleetPorts(env: NodeJS.ProcessEnv, host: string): Promise<FleetPorts> {
  const gateway = (await checked(env, 'PORT', host, DEFAULT_GATEWAY_PORT))!;
  const admin = (await checked(env, 'ALTO_ADMIN_PORT', '127.0.0.1')) ?? String(await freePort());
  const metrics =
    (await checked(env, 'ALTO_METRICS_PORT', host)) ??
    String((await portFree(DEFAULT_METRICS_PORT, host)) ? DEFAULT_METRICS_PORT : await freePort(host));
  const grpc =
    (await checked(env, 'ALTO_GRPC_PORT', host)) ??
    String((await portFree(DEFAULT_GRPC_PORT, host)) ? DEFAULT_GRPC_PORT : await freePort(host));
  return { gateway, admin, metrics, grpc };
}
