// The Kubernetes manifests of infra/k8s as the validator (infra/validate, Go) renders them: builds
// it once into .alto/bin (go's build cache makes later builds quick; the first one downloads the
// modules go.sum pins), runs it, and reads the renderings back as plain objects.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './fleet.ts';

const run = promisify(execFile);

export const VALIDATOR_DIR = join(ROOT, 'infra/validate');
const BIN = join(ROOT, '.alto/bin/alto-k8s-validate');

/** `go version`'s answer, or undefined when there is no go command. */
export function goVersion(): string | undefined {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Builds the validator. The first time on a fresh machine it downloads ~240 MB of modules and
 * compiles them: 3 minutes of CPU, 11.5 minutes of wall time measured on a busy 2-core machine.
 */
export async function buildValidator(): Promise<string> {
  mkdirSync(join(ROOT, '.alto/bin'), { recursive: true });
  await run('go', ['build', '-buildvcs=false', '-o', BIN, '.'], {
    cwd: VALIDATOR_DIR,
    timeout: 1_800_000,
    maxBuffer: 16 << 20,
  });
  return BIN;
}

export interface ValidatorRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the validator over `root` (a folder with base/ and overlays/), writing renderings to `out`. */
export function validate(root: string, out: string): ValidatorRun {
  const r = spawnSync(BIN, ['-root', root, '-out', out], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// ---- the rendered objects, as far as the tests read them ------------------------------------------

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
export interface Probe {
  httpGet?: { path: string; port: string | number };
}
export interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
export interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: { name: string; emptyDir?: object; persistentVolumeClaim?: object }[];
}
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: any;
}

/** Every rendering the validator wrote: base, cpu, gpu, ... → its objects. */
export function readRenderings(out: string): Map<string, K8sObject[]> {
  const m = new Map<string, K8sObject[]>();
  const names = readdirSync(out)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
  for (const name of names) m.set(name, JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as K8sObject[]);
  return m;
}

/** Deployments' and StatefulSets' pod specs, by owner name. */
export function podSpecs(objects: K8sObject[]): { owner: string; spec: PodSpec }[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => ({ owner: `${o.kind} ${o.metadata.name}`, spec: o.spec.template.spec as PodSpec }));
}

/** Bytes of a Kubernetes memory quantity (4Gi, 512Mi, 3221225472). */
export function bytesOf(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? unit[m[2] as keyof typeof unit] : 1);
}
