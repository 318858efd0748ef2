// A real Jaeger (v1.76.0's all-in-one binary, Jaeger v2 on the OpenTelemetry Collector) on
// free ports, for the tracing test: an OTLP/HTTP receiver and the query API, in memory.
// The e2e setup builds it with Go into .alto/tools/bin when no copy is found (once; it is a
// large build: about 30 minutes on a loaded 2-core machine). Its module has replace
// directives, so `go install jaeger@version` refuses it: the build runs inside the module.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, startProc, type Proc } from '@alto/procs';
import { TOOLS_BIN } from './fake-gcs.ts';

const BIN = 'jaeger';
const MODULE = 'github.com/jaegertracing/jaeger';
const VERSION = 'v1.76.0';

const hasGo = () => spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

function locate(): string | undefined {
  for (const d of [TOOLS_BIN, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)]) {
    const p = join(d, BIN);
    if (existsSync(p)) return p;
  }
  return undefined;
}

const NO_GO =
  `${BIN} is missing and Go is not installed to build it: install Go 1.21 or later ` +
  '(https://go.dev/dl/, or apt-get install golang-go) and run the tests again; they build it into .alto/tools/bin once';

/** Path of the jaeger binary; throws one line saying what to do when there is none. */
export function findJaeger(): string {
  const found = locate();
  if (found) return found;
  throw new Error(hasGo() ? `${BIN} not found in .alto/tools/bin or PATH; the e2e setup builds it: run again` : NO_GO);
}

/** Finds jaeger, or builds it into .alto/tools/bin (once). Returns its path or throws one line. */
export function ensureJaeger(say: (line: string) => void): string {
  const found = locate();
  if (found) return found;
  if (!hasGo()) throw new Error(NO_GO);
  say(`${BIN} is missing; building ${MODULE}/cmd/jaeger@${VERSION} into .alto/tools/bin (once; a large build)`);
  const env = { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN || 'auto' };
  const dir = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `${MODULE}@${VERSION}`], { encoding: 'utf8', env }),
  ) as { Dir?: string };
  if (!dir.Dir) throw new Error(`go mod download ${MODULE}@${VERSION} gave no directory`);
  const built = join(TOOLS_BIN, BIN);
  const r = spawnSync('go', ['build', '-o', built, './cmd/jaeger'], {
    cwd: dir.Dir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
  if (r.status !== 0 || !existsSync(built)) {
    throw new Error(`building ${BIN} failed (go build ./cmd/jaeger in ${dir.Dir} exited ${r.status ?? r.signal})`);
  }
  return built;
}

export interface Jaeger {
  /** OTEL_EXPORTER_OTLP_ENDPOINT for the processes that send it spans (OTLP/HTTP). */
  otlpEndpoint: string;
  /** Base of the query API: `${queryUrl}/api/traces/<trace id>`. */
  queryUrl: string;
  proc: Proc;
  stop(): Promise<void>;
}

/** A span as Jaeger's API v3 returns it (OTLP/JSON), with its service's name. */
export interface TraceSpan {
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  links: { traceId: string; spanId: string }[];
  attributes: Record<string, unknown>;
  service: string;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  links?: { traceId: string; spanId: string }[];
  attributes?: OtlpAttribute[];
}
interface OtlpTrace {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

const valueOf = (v: OtlpValue): unknown =>
  v.intValue !== undefined ? Number(v.intValue) : (v.stringValue ?? v.boolValue ?? v.doubleValue);
const attributes = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

export async function startJaeger(): Promise<Jaeger> {
  const bin = findJaeger();
  const [otlp, query, grpc] = [await freePort(), await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'alto-jaeger-'));
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${query}
    grpc:
      endpoint: 127.0.0.1:${grpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlp}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`,
  );
  const queryUrl = `http://127.0.0.1:${query}`;
  let proc: Proc;
  try {
    proc = await startProc(bin, ['--config', config], {
      name: BIN,
      ready: async () => (await fetch(`${queryUrl}/api/services`)).ok,
      timeoutMs: 30_000,
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    otlpEndpoint: `http://127.0.0.1:${otlp}`,
    queryUrl,
    proc,
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The spans of a trace as Jaeger holds it (its API v3, OTLP/JSON), or undefined while it has none. */
export async function getTrace(j: Jaeger, traceId: string): Promise<TraceSpan[] | undefined> {
  const res = await fetch(`${j.queryUrl}/api/v3/traces/${traceId}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`jaeger query: HTTP ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { result?: OtlpTrace };
  return body.result?.resourceSpans.flatMap((rs) => {
    const service = String(attributes(rs.resource.attributes)['service.name']);
    return rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((sp) => ({
        traceId: sp.traceId,
        spanId: sp.spanId,
        ...(sp.parentSpanId ? { parentSpanId: sp.parentSpanId } : {}),
        name: sp.name,
        links: (sp.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
        attributes: attributes(sp.attributes),
        service,
      })),
    );
  });
}
