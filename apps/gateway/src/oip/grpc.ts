// The Open Inference Protocol's GRPCInferenceService and the standard gRPC health service, on
// ALTO_GRPC_PORT (@grpc/grpc-js, protos loaded at start from apps/gateway/proto). Inference
// takes the same path as REST (infer.ts); API keys come as `authorization: Bearer <key>`
// metadata and `idempotency-key` metadata works as the HTTP header does.
import { fileURLToPath } from 'node:url';
import {
  Metadata,
  Server,
  ServerCredentials,
  loadPackageDefinition,
  status as Grpc,
  type GrpcObject,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceClientConstructor,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { AltoError } from '@alto/protocol';
import { contextFrom, type Logger } from '@alto/telemetry';
import type { Auth } from '../auth.ts';
import { idempotency, idempotencyKeyHash } from '../idempotency.ts';
import type { Readiness } from '../readiness.ts';
import { OipError, asOipError } from './errors.ts';
import { grpcInferResponse, grpcInputs, grpcOutputs, parameterValues, type GrpcInferRequest } from './grpc-tensors.ts';
import { infer, inferOptions, type InferDeps } from './infer.ts';
import { EXTENSIONS, SERVER_NAME, SERVER_VERSION, modelMetadata } from './metadata.ts';

export const INFERENCE_SERVICE = 'inference.GRPCInferenceService';

const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

export interface OipGrpcDeps extends InferDeps {
  auth: Auth;
  log: Logger;
  maxBodyBytes: number;
  idempotencyMs: number;
  ready(): Promise<Readiness>;
}

export interface GrpcServer {
  port: number;
  close(): Promise<void>;
}

function service(file: string, path: string[]): ServiceDefinition {
  const definition = loadSync(`${PROTO_DIR}${file}`, {
    keepCase: true,
    longs: String,
    enums: String,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
  });
  let node: unknown = loadPackageDefinition(definition);
  for (const part of path) node = (node as GrpcObject)[part];
  return (node as ServiceClientConstructor).service;
}

const first = (metadata: Metadata, key: string): string | undefined => {
  const v = metadata.get(key)[0];
  return v === undefined ? undefined : String(v);
};

/** A Hono-free error answer: the OIP error's code and message, the prediction id as trailing metadata. */
function fail(log: Logger, err: unknown, callback: sendUnaryData<unknown>): void {
  const e = asOipError(err);
  if (!e) log.error({ err }, 'unhandled error');
  callback({
    code: e?.grpc ?? Grpc.INTERNAL,
    details: e?.message ?? 'internal error',
    ...(e?.predictionId ? { metadata: predictionMetadata(e.predictionId) } : {}),
  });
}

function predictionMetadata(id: string): Metadata {
  const m = new Metadata();
  m.set('alto-prediction-id', id);
  return m;
}

export async function startOipGrpc(d: OipGrpcDeps, host: string, port: number): Promise<GrpcServer> {
  const inference = service('grpc_predict_v2.proto', ['inference', 'GRPCInferenceService']);
  const health = service('health.proto', ['grpc', 'health', 'v1', 'Health']);
  // ModelInfer keeps the bytes it was sent: an Idempotency-Key compares requests by them.
  const modelInfer = inference.ModelInfer!;
  const withRaw: ServiceDefinition = {
    ...inference,
    ModelInfer: {
      ...modelInfer,
      requestDeserialize: (bytes: Buffer) => ({ raw: bytes, message: modelInfer.requestDeserialize(bytes) }),
    },
  };

  const unary =
    <Req, Res>(handler: (request: Req, metadata: Metadata) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      handler(call.request, call.metadata).then(
        (res) => callback(null, res),
        (err: unknown) => fail(d.log, err, callback as sendUnaryData<unknown>),
      );
    };

  const model = (name: string, version: string) =>
    version ? d.predictions.findVersion(name, version) : d.predictions.findModel(name);

  const implementation: UntypedServiceImplementation = {
    ServerLive: unary(async () => ({ live: true })),
    ServerReady: unary(async () => ({ ready: (await d.ready()).ready })),
    ServerMetadata: unary(async () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS })),
    ModelReady: unary(async (r: { name: string; version: string }) => {
      try {
        await model(r.name, r.version);
        return { ready: true };
      } catch (err) {
        // Unknown, not loaded yet, or not that version: not ready (Triton answers so too).
        if (
          err instanceof AltoError &&
          ['model_not_found', 'model_not_ready', 'version_not_found'].includes(err.code)
        ) {
          return { ready: false };
        }
        throw err;
      }
    }),
    ModelMetadata: unary(async (r: { name: string; version: string }) => modelMetadata(await model(r.name, r.version))),
    ModelInfer: unary(async ({ raw, message }: { raw: Buffer; message: GrpcInferRequest }, metadata: Metadata) => {
      const { owner, key } = await d.auth.caller(first(metadata, 'authorization'));
      const keyHash = idempotencyKeyHash(first(metadata, 'idempotency-key'));
      if (!message.model_name) throw new OipError(400, Grpc.INVALID_ARGUMENT, "field 'model_name': required");
      const outputs = grpcOutputs(message);
      const result = await infer(d, {
        model: message.model_name,
        version: message.model_version,
        owner,
        ...(key ? { key } : {}),
        inputs: grpcInputs(message),
        ...(outputs ? { outputs } : {}),
        options: inferOptions(parameterValues(message.parameters)),
        idempotency: (m, v) => idempotency(keyHash, raw, m, v, d.idempotencyMs),
        // No server span for gRPC calls: the enqueue span continues the caller's traceparent.
        trace: contextFrom(first(metadata, 'traceparent')),
      });
      return grpcInferResponse(
        {
          model_name: result.model.name,
          model_version: result.record.version,
          id: message.id,
          prediction_id: result.record.id,
        },
        result.outputs,
      );
    }),
  };

  const SERVING = 'SERVING';
  const statusOf = async (name: string): Promise<string | undefined> => {
    if (name !== '' && name !== INFERENCE_SERVICE) return undefined;
    return (await d.ready()).ready ? SERVING : 'NOT_SERVING';
  };
  const healthImplementation: UntypedServiceImplementation = {
    Check: unary(async (r: { service: string }) => {
      const status = await statusOf(r.service);
      if (status === undefined) throw new OipError(404, Grpc.NOT_FOUND, `unknown service '${r.service}'`);
      return { status };
    }),
    // Sends the status now and again whenever it changes (read once a second), until the client leaves.
    Watch: (call: ServerWritableStream<{ service: string }, { status: string }>) => {
      let last: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      const tick = async () => {
        const status = (await statusOf(call.request.service).catch(() => 'NOT_SERVING')) ?? 'SERVICE_UNKNOWN';
        if (call.cancelled) return;
        if (status !== last) call.write({ status });
        last = status;
        timer = setTimeout(() => void tick(), 1000);
      };
      call.on('cancelled', () => clearTimeout(timer));
      void tick();
    },
  };

  const server = new Server({
    'grpc.max_receive_message_length': d.maxBodyBytes,
  });
  server.addService(withRaw, implementation);
  server.addService(health, healthImplementation);
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  ).catch((err: Error) => {
    throw new Error(`ALTO_GRPC_PORT: cannot listen on ${address} (${err.message}); set ALTO_GRPC_PORT to a free port`);
  });
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        // Held infer calls are answered as the completion hub stops; then the rest is cut.
        const hard = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 3000);
        server.tryShutdown(() => {
          clearTimeout(hard);
          resolve();
        });
      }),
  };
}
