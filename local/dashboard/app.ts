/**
 * The local dashboard's page script (browser side; served compiled by ./serve.ts). It polls the same
 * HTTP API the CLI uses, once a second: queues with live counts, jobs by status, one job's details,
 * and the operator buttons (retry, redrive, cancel). All text goes in with textContent, never as HTML.
 */

interface Depth { visible: number; inFlight: number; delayed: number }
interface RedriveTask { status: string; moved: number; toMove: number; failureReason?: string }
interface QueueRow { type: string; queue: Depth; dlq: Depth; oldestWaitingSeconds: number | null; counts: Record<string, number>; redrive: RedriveTask | null }
interface Job {
  jobId: string; type: string; status: string; progress: number; progressMessage?: string; attempt: number; maxAttempts: number;
  payload?: unknown; result?: unknown; error?: { code: string; message: string }; createdAt: string; finishedAt?: string; tenant?: string;
}
interface ApiFailure { status: number; code: string; message: string }

const STATUSES = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'] as const;
const POLL_MS = 1_000;

const state = {
  key: '',
  status: '' as string,
  type: '',
  dlqType: '',
  selected: undefined as string | undefined,
  /** The selected job's last known record (from a DLQ row when the job belongs to another tenant). */
  selectedFallback: undefined as Job | undefined,
};

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} missing`);
  return element as T;
};

function el(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${state.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw { status: response.status, code: error?.code ?? `HTTP_${response.status}`, message: error?.message ?? response.statusText } satisfies ApiFailure;
  }
  return parsed as T;
}

function describe(error: unknown): string {
  const failure = error as Partial<ApiFailure>;
  return failure.code ? `${failure.message} (${failure.status} ${failure.code})` : String(error);
}

function notify(message: string, kind: 'info' | 'error' = 'info'): void {
  const notice = $('notice');
  notice.textContent = message;
  notice.className = kind === 'error' ? 'error' : '';
  notice.hidden = false;
}

function ago(iso: string | undefined): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 60 ? `${seconds}s ago` : seconds < 3600 ? `${Math.floor(seconds / 60)}m ago` : `${Math.floor(seconds / 3600)}h ago`;
}

function statusCell(status: string): HTMLElement {
  return el('span', status, `status status-${status}`);
}

function renderQueues(rows: readonly QueueRow[]): void {
  const body = $('queues').querySelector('tbody')!;
  body.replaceChildren(
    ...rows.map((q) => {
      const tr = el('tr');
      tr.dataset.type = q.type;
      const counts = el('td');
      for (const s of STATUSES) {
        if (!q.counts[s]) continue;
        counts.append(statusCell(s), document.createTextNode(` ${q.counts[s]}  `));
      }
      const redrive = el('td', q.redrive ? `${q.redrive.status.toLowerCase()} ${q.redrive.moved}/${q.redrive.toMove}` : '-', 'muted');
      const button = el('button', `Redrive ${q.type}`) as HTMLButtonElement;
      button.type = 'button';
      button.disabled = q.dlq.visible === 0 || q.redrive?.status === 'RUNNING';
      button.addEventListener('click', () => void redriveType(q.type));
      const action = el('td');
      action.append(button);
      tr.append(el('td', q.type, 'mono'), el('td', String(q.queue.visible)), el('td', String(q.queue.inFlight)), el('td', String(q.queue.delayed)),
        el('td', String(q.dlq.visible), q.dlq.visible > 0 ? 'dlq-nonzero' : ''), el('td', q.oldestWaitingSeconds === null ? '-' : `${q.oldestWaitingSeconds}s`), counts, redrive, action);
      return tr;
    }),
  );
}

function jobRow(job: Job, cells: (string | HTMLElement)[]): HTMLElement {
  const tr = el('tr', undefined, `clickable${job.jobId === state.selected ? ' selected' : ''}`);
  tr.dataset.jobId = job.jobId;
  for (const cell of cells) {
    const td = el('td');
    if (typeof cell === 'string') td.textContent = cell;
    else td.append(cell);
    tr.append(td);
  }
  tr.firstElementChild?.classList.add('mono');
  tr.addEventListener('click', () => select(job));
  return tr;
}

function renderJobs(jobs: readonly Job[]): void {
  $('jobs').querySelector('tbody')!.replaceChildren(
    ...jobs.map((j) => jobRow(j, [j.jobId, j.type, statusCell(j.status), `${j.progress}%`, `${j.attempt}/${j.maxAttempts}`, ago(j.createdAt)])),
  );
}

function renderDlq(listing: { dlq: Depth; deadJobs: number; unmatchedMessages: number; jobs: Job[] }): void {
  const extra = listing.unmatchedMessages > 0 ? ` · ${listing.unmatchedMessages} message(s) without a DEAD job` : '';
  $('dlq-summary').textContent = `${listing.dlq.visible} message(s) in the DLQ · ${listing.deadJobs} dead job(s)${extra}`;
  $('dlq').querySelector('tbody')!.replaceChildren(
    ...listing.jobs.map((j) => jobRow(j, [j.jobId, j.tenant ?? '', `${j.attempt}/${j.maxAttempts}`, ago(j.finishedAt), j.error ? `${j.error.code}: ${j.error.message}` : ''])),
  );
}

function renderJob(job: Job | undefined): void {
  $('job-empty').hidden = job !== undefined;
  $('job-detail').hidden = job === undefined;
  if (!job) return;
  $('job-id').textContent = job.jobId;
  $('job-type').textContent = job.tenant ? `${job.type} (tenant ${job.tenant})` : job.type;
  const status = $('job-status');
  status.textContent = job.status;
  status.className = `status status-${job.status}`;
  ($('job-progress') as HTMLProgressElement).value = job.progress;
  $('job-progress-text').textContent = `${job.progress}%${job.progressMessage ? ` — ${job.progressMessage}` : ''}`;
  $('job-attempts').textContent = `${job.attempt}/${job.maxAttempts}`;
  $('job-created').textContent = job.createdAt;
  $('job-finished').textContent = job.finishedAt ?? '-';
  $('job-error').textContent = job.error ? `${job.error.code}: ${job.error.message}` : '-';
  $('job-payload').textContent = JSON.stringify(job.payload ?? null, null, 2);
  $('job-result').textContent = job.result === undefined ? '-' : JSON.stringify(job.result, null, 2);
  ($('job-retry') as HTMLButtonElement).disabled = job.status !== 'DEAD' && job.status !== 'FAILED';
  ($('job-cancel') as HTMLButtonElement).disabled = !['QUEUED', 'RETRYING', 'RUNNING'].includes(job.status);
}

function select(job: Job): void {
  state.selected = job.jobId;
  state.selectedFallback = job;
  renderJob(job);
  void refresh();
}

async function refreshSelected(): Promise<void> {
  if (!state.selected) return renderJob(undefined);
  try {
    renderJob(await api<Job>('GET', `/v1/jobs/${state.selected}`));
  } catch (error) {
    // Another tenant's job (seen in a DLQ) is not readable with this key: keep what the DLQ showed.
    if ((error as ApiFailure).status === 404) renderJob(state.selectedFallback);
    else throw error;
  }
}

async function refresh(): Promise<void> {
  try {
    const query = new URLSearchParams({ limit: '25', ...(state.status ? { status: state.status } : {}), ...(state.type ? { type: state.type } : {}) });
    const [overview, jobs] = await Promise.all([
      api<{ queues: QueueRow[] }>('GET', '/v1/queues'),
      api<{ jobs: Job[] }>('GET', `/v1/jobs?${query.toString()}`),
    ]);
    renderQueues(overview.queues);
    ensureTypeOptions(overview.queues.map((q) => q.type));
    renderJobs(jobs.jobs);
    if (state.dlqType) renderDlq(await api('GET', `/v1/queues/${state.dlqType}/dlq`));
    await refreshSelected();
    $('live').classList.remove('stale');
    $('live').title = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $('live').classList.add('stale');
    notify(`Refresh failed: ${describe(error)}`, 'error');
  }
}

function ensureTypeOptions(types: readonly string[]): void {
  for (const id of ['type-filter', 'dlq-type']) {
    const select = $(id) as HTMLSelectElement;
    for (const type of types) {
      if (Array.from(select.options).some((o) => o.value === type)) continue;
      const option = document.createElement('option');
      option.value = type;
      option.textContent = type;
      select.append(option);
    }
  }
  if (!state.dlqType && types[0]) {
    state.dlqType = types[0];
    ($('dlq-type') as HTMLSelectElement).value = state.dlqType;
  }
}

async function redriveType(type: string): Promise<void> {
  try {
    const outcome = await api<{ requeued: number; dlqMessages: number; task?: RedriveTask }>('POST', `/v1/queues/${type}/redrive`);
    notify(outcome.dlqMessages === 0 ? `${type}: the DLQ is empty` : `${type}: ${outcome.requeued} dead job(s) back to QUEUED; moving ${outcome.dlqMessages} message(s)`);
  } catch (error) {
    notify(`Redrive failed: ${describe(error)}`, 'error');
  }
  await refresh();
}

async function retrySelected(): Promise<void> {
  if (!state.selected) return;
  try {
    const job = await api<Job>('POST', `/v1/jobs/${state.selected}/retry`);
    notify(`Job ${job.jobId} is ${job.status} again (attempts reset)`);
  } catch (error) {
    notify(`Retry failed: ${describe(error)}`, 'error');
  }
  await refresh();
}

async function cancelSelected(): Promise<void> {
  if (!state.selected) return;
  try {
    await api('DELETE', `/v1/jobs/${state.selected}`);
    notify(`Cancellation of ${state.selected} requested`);
  } catch (error) {
    const status = (error as ApiFailure).status;
    // A server without cancellation answers 404/405 for DELETE: say so rather than fail silently.
    notify(status === 405 || (status === 404 && (error as ApiFailure).code === 'NOT_FOUND' && /no route/.test((error as ApiFailure).message))
      ? 'Cancel is not available on this server' : `Cancel failed: ${describe(error)}`, 'error');
  }
  await refresh();
}

function renderTabs(): void {
  const tabs = $('status-tabs');
  tabs.replaceChildren(
    ...['', ...STATUSES].map((status) => {
      const button = el('button', status || 'ALL') as HTMLButtonElement;
      button.type = 'button';
      button.setAttribute('role', 'tab');
      button.setAttribute('aria-selected', String(state.status === status));
      button.addEventListener('click', () => {
        state.status = status;
        renderTabs();
        void refresh();
      });
      return button;
    }),
  );
}

async function start(): Promise<void> {
  const config = await (await fetch('config.json')).json() as { apiKey: string };
  state.key = localStorage.getItem('conveyor.apiKey') ?? config.apiKey;
  const keyInput = $('api-key') as HTMLInputElement;
  keyInput.value = state.key;
  keyInput.addEventListener('change', () => {
    state.key = keyInput.value.trim();
    localStorage.setItem('conveyor.apiKey', state.key);
    void refresh();
  });
  ($('type-filter') as HTMLSelectElement).addEventListener('change', (event) => {
    state.type = (event.target as HTMLSelectElement).value;
    void refresh();
  });
  ($('dlq-type') as HTMLSelectElement).addEventListener('change', (event) => {
    state.dlqType = (event.target as HTMLSelectElement).value;
    void refresh();
  });
  $('job-retry').addEventListener('click', () => void retrySelected());
  $('job-cancel').addEventListener('click', () => void cancelSelected());
  renderTabs();
  await refresh();
  // Polling, one request set at a time: a slow server never piles requests up.
  const loop = async (): Promise<void> => {
    await refresh();
    setTimeout(() => void loop(), POLL_MS);
  };
  setTimeout(() => void loop(), POLL_MS);
}

void start();

// A module, not a global script: its names stay its own.
export {};
