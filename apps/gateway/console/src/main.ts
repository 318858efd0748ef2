// The console's page: a hash router over five views, each refreshed by short polling every
// two seconds. Polling (not server-sent events) because every poll is an ordinary stateless
// request: a restarted publisher, worker or gateway is simply seen on the next poll, with
// nothing to reconnect or resume, and it passes any proxy. A failed poll shows a banner and
// the next one tries again.
import type { ApiError } from './api.ts';
import { api, setCsrf, type SessionInfo } from './api.ts';
import { fill } from './dom.ts';
import { keysPage } from './keys.ts';
import { modelPage } from './model.ts';
import { overviewPage } from './overview.ts';
import { playgroundPage } from './playground.ts';
import { predictionPage } from './prediction.ts';

const POLL_MS = 2000;

const main = document.getElementById('main')!;
const banner = document.getElementById('banner')!;
const who = document.getElementById('who')!;
let session: SessionInfo;
let refresh: () => Promise<unknown> = async () => {};
let timer: number | undefined;
let generation = 0;

function route(): void {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [, page, arg] = hash.split('/');
  const name = arg ? decodeURIComponent(arg) : undefined;
  const canWrite = session.scope === 'write';
  for (const a of document.querySelectorAll('nav a')) {
    const target = a.getAttribute('href')!.replace(/^#/, '');
    if ((target === '/' && !page) || (target !== '/' && hash.startsWith(target)))
      a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (page === 'models' && name) refresh = modelPage(main, name, canWrite);
  else if (page === 'predictions' && name) refresh = predictionPage(main, name, session.trace_url);
  else if (page === 'playground') refresh = playgroundPage(main, name);
  else if (page === 'keys') refresh = keysPage(main);
  else refresh = overviewPage(main);
  main.focus();
  void poll(++generation);
}

async function poll(gen: number): Promise<void> {
  clearTimeout(timer);
  try {
    await refresh();
    if (gen !== generation) return;
    banner.hidden = true;
    document.body.dataset.loaded = 'true';
  } catch (err) {
    if (gen !== generation) return;
    const e = err as ApiError;
    banner.hidden = false;
    const what = e.code === 'control_plane_unavailable' || e.status === 0 ? 'Reconnecting' : 'Error';
    banner.textContent = `${what}: ${e.message} (retrying every ${POLL_MS / 1000} s)`;
  }
  if (gen === generation) timer = window.setTimeout(() => void poll(gen), POLL_MS);
}

async function start(): Promise<void> {
  try {
    session = await api<SessionInfo>('/session');
  } catch (err) {
    if ((err as ApiError).status === 401) location.assign('/console/login');
    else {
      banner.hidden = false;
      banner.textContent = `Cannot start: ${(err as Error).message}. Reload to try again.`;
    }
    return;
  }
  setCsrf(session.csrf);
  (document.getElementById('csrf') as HTMLInputElement).value = session.csrf;
  fill(who, `${session.name} (${session.scope})`);
  window.addEventListener('hashchange', route);
  route();
}

void start();
