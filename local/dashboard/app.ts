/**
 * The local dashboard's page script (browser side; served compiled by ./serve.ts). It polls the same
 * HTTP API the CLI uses, once a second: queues with live counts, jobs by status (paged), one job's
 * details, and the operator buttons (retry, redrive, cancel). All text goes in with textContent,
 * never as HTML.
 *
 * What a key sees: its tenant's jobs; with the admin scope also the queues; with the operator scope
 * also every tenant's dead letters. Changing the key starts from an empty page, and answers still on their way for the old
 * key are dropped (each refresh carries the key generation it started under).
 */

interface Depth { visible: number; inFlight: number; delayed: number }
interface RedriveTask { taskId: string; state: string; deadJobs: number; requeued: number; skipped: number; failures: number; move?: { moved: number; toMove: number }; error?: string }
interface QueueRow {
  type: string; queue: Depth; dlq: Depth; oldestWaitingSeconds: number | null; heldJobs?: number; nextRunAt?: string | null;
  counts: Record<string, number>; redrive: RedriveTask | null; paused?: boolean; pausedAt?: string | null; pausedBy?: string | null;
}
interface WebhookAttempt { at: string; status?: number; error?: string; nextAttemptAt?: string }
interface Webhook { state: string; finishedAt: string; attempts: number; nextAttemptAt?: string; recent: WebhookAttempt[] }
interface MessageMoveTask { status: string; moved: number; toMove: number }
interface WebhookRow { queue: Depth; dlq: Depth; redrive: MessageMoveTask | null }
interface Download { url: string; expiresAt: string; fileName: string; contentType: string; bytes: number }
interface Job {
  jobId: string; type: string; status: string; progress: number; progressMessage?: string; attempt: number; maxAttempts: number;
  payload?: unknown; result?: unknown; error?: { code: string; message: string }; createdAt: string; finishedAt?: string; tenant?: string;
  runAt?: string; download?: Download; priority?: string; startBy?: string; callbackUrl?: string; webhook?: Webhook;
}
interface ApiFailure { status: number; code: string; message: string }
interface LocalKey { key: string; tenant: string; scopes: string[] }
interface DashboardConfig { apiKey: string; keys?: LocalKey[]; jobTypes?: string[] }

const STATUSES = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED', 'EXPIRED'] as const;
const POLL_MS = 1_000;
const PAGE_SIZE = 25;

const state = {
  config: { apiKey: '' } as DashboardConfig,
  key: '',
  /** Bumped by every change of what is shown (key, filter, page): a refresh started before renders nothing. */
  generation: 0,
  /** Whether this key may read the operator routes; unknown until /v1/queues answers. */
  admin: undefined as boolean | undefined,
  status: '' as string,
  type: '',
  dlqType: '',
  /** Set once the person picks a DLQ; until then the panel follows the first type with dead letters. */
  dlqChosen: false,
  /** The cursor of every jobs page visited, first page (no cursor) first; the last is shown. */
  pages: [undefined] as (string | undefined)[],
  nextCursor: undefined as string | undefined,
  selected: undefined as string | undefined,
  /** The selected job's last known record (from a DLQ row when the job belongs to another tenant). */
  selectedFallback: undefined as Job | undefined,
  /** The notice shows a refresh failure (cleared by the next refresh that works). */
  refreshFailed: false,
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

const statusOf = (error: unknown): number | undefined => (error as Partial<ApiFailure> | undefined)?.status;

function describe(error: unknown): string {
  const failure = error as Partial<ApiFailure>;
  return failure.code ? `${failure.message} (${failure.status} ${failure.code})` : String(error);
}

function notify(message: string, kind: 'info' | 'error' = 'info'): void {
  const notice = $('notice');
  notice.textContent = message;
  notice.className = kind === 'error' ? 'error' : '';
  notice.hidden = false;
  state.refreshFailed = false;
}

function clearNotice(): void {
  $('notice').hidden = true;
  state.refreshFailed = false;
}

function ago(iso: string | undefined): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 60 ? `${seconds}s ago` : seconds < 3600 ? `${Math.floor(seconds / 60)}m ago` : `${Math.floor(seconds / 3600)}h ago`;
}

function waited(seconds: number | null): string {
  if (seconds === null) return '-';
  return seconds < 60 ? `${seconds}s` : seconds < 3600 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

function statusCell(status: string): HTMLElement {
  return el('span', status, `status status-${status}`);
}

function renderQueues(rows: readonly QueueRow[], webhooks: WebhookRow | undefined): void {
  $('queues').hidden = false;
  $('queues-note').hidden = true;
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
      // Pause stops the type's consumer (its jobs wait in the queue); resume lets them run.
      const pause = el('button', `${q.paused ? 'Resume' : 'Pause'} ${q.type}`) as HTMLButtonElement;
      pause.type = 'button';
      pause.className = q.paused ? 'resume' : 'pause';
      pause.addEventListener('click', () => void setPaused(q.type, !q.paused));
      const [redrive, action] = redriveCells(q.type, q.dlq, q.redrive ? { text: redriveText(q.redrive), busy: q.redrive.state === 'REQUEUEING' || q.redrive.state === 'MOVING', title: q.redrive.error } : null);
      action.append(pause);
      const held = el('td', String(q.heldJobs ?? 0));
      if (q.nextRunAt) held.title = `next due ${new Date(q.nextRunAt).toLocaleString()}`;
      const name = el('td', q.type, 'mono');
      if (q.paused) {
        const badge = el('span', 'paused', 'paused-badge');
        badge.title = `paused ${q.pausedAt ? new Date(q.pausedAt).toLocaleString() : ''}${q.pausedBy ? ` by ${q.pausedBy}` : ''}`;
        name.append(' ', badge);
      }
      tr.append(name, ...depthCells(q), el('td', waited(q.oldestWaitingSeconds)), held, counts, redrive, action);
      return tr;
    }),
    ...(webhooks ? [webhookQueueRow(webhooks)] : []),
  );
}

/** "requeueing 400/1000" then "moving 300/1000", "completed 1000 · moved 1000", "failed". */
function redriveText(task: RedriveTask): string {
  const moved = task.move ? ` · moved ${task.move.moved}/${task.move.toMove}` : '';
  return `${task.state.toLowerCase()} ${task.requeued}/${task.deadJobs}${moved}${task.failures ? ` · ${task.failures} failed` : ''}`;
}

function depthCells(q: { queue: Depth; dlq: Depth }): HTMLElement[] {
  return [el('td', String(q.queue.visible)), el('td', String(q.queue.inFlight)), el('td', String(q.queue.delayed)), el('td', String(q.dlq.visible), q.dlq.visible > 0 ? 'dlq-nonzero' : '')];
}

/** The redrive column (its latest redrive, as text) and the Redrive button, disabled while one runs. */
function redriveCells(name: string, dlq: Depth, shown: { text: string; busy: boolean; title?: string | undefined } | null): [HTMLElement, HTMLElement] {
  const redrive = el('td', shown ? shown.text : '-', 'muted');
  if (shown?.title) redrive.title = shown.title;
  const button = el('button', `Redrive ${name}`) as HTMLButtonElement;
  button.type = 'button';
  button.disabled = dlq.visible === 0 || shown?.busy === true;
  button.addEventListener('click', () => void redriveType(name));
  const action = el('td');
  action.append(button);
  return [redrive, action];
}

/** The completion webhooks' queue: depths and redrive like a job type's, no job counts of its own. */
function webhookQueueRow(webhooks: WebhookRow): HTMLElement {
  const tr = el('tr');
  tr.dataset.type = 'webhooks';
  tr.append(el('td', 'webhooks', 'mono'), ...depthCells(webhooks), el('td', '-', 'muted'), el('td', '-', 'muted'), el('td', 'completion webhooks', 'muted'), ...redriveCells('webhooks', webhooks.dlq, webhooks.redrive ? { text: `${webhooks.redrive.status.toLowerCase()} ${webhooks.redrive.moved}/${webhooks.redrive.toMove}`, busy: webhooks.redrive.status === 'RUNNING' } : null));
  return tr;
}

/** A key without the admin scope: the operator panels say why they are empty instead of failing. */
function renderNotAdmin(): void {
  const tenant = state.config.keys?.find((k) => k.key === state.key)?.tenant;
  $('queues').hidden = true;
  $('queues').querySelector('tbody')!.replaceChildren();
  const note = $('queues-note');
  note.textContent = `Queues need a key with the admin scope, dead letters the operator scope. This key${tenant ? ` (tenant ${tenant})` : ''} sees its own jobs only.`;
  note.hidden = false;
  $('dead-letters').hidden = true;
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

function renderJobs(jobs: readonly Job[], cursor: string | undefined): void {
  state.nextCursor = cursor;
  $('jobs').querySelector('tbody')!.replaceChildren(
    ...jobs.map((j) => jobRow(j, [j.jobId, j.type, statusCell(j.status), `${j.progress}%`, `${j.attempt}/${j.maxAttempts}`, ago(j.createdAt)])),
  );
  const page = state.pages.length;
  $('jobs-page').textContent = jobs.length === 0 ? (page === 1 ? 'no jobs' : `page ${page}: no jobs`) : `page ${page} · jobs ${(page - 1) * PAGE_SIZE + 1}–${(page - 1) * PAGE_SIZE + jobs.length}`;
  ($('jobs-newer') as HTMLButtonElement).disabled = page === 1;
  ($('jobs-older') as HTMLButtonElement).disabled = cursor === undefined;
}

function renderDlq(listing: { dlq: Depth; deadJobs: number; unmatchedMessages: number; jobs: Job[] }): void {
  $('dead-letters').hidden = false;
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
  $('job-type').textContent = `${job.type}${job.priority ? ` · ${job.priority} priority` : ''}${job.tenant ? ` (tenant ${job.tenant})` : ''}`;
  const status = $('job-status');
  status.textContent = job.status;
  status.className = `status status-${job.status}`;
  ($('job-progress') as HTMLProgressElement).value = job.progress;
  $('job-progress-text').textContent = `${job.progress}%${job.progressMessage ? ` — ${job.progressMessage}` : ''}`;
  $('job-attempts').textContent = `${job.attempt}/${job.maxAttempts}`;
  $('job-created').textContent = `${job.createdAt}${job.runAt ? ` (due ${job.runAt})` : ''}${job.startBy ? ` · start by ${job.startBy}` : ''}`;
  $('job-finished').textContent = job.finishedAt ?? '-';
  renderDownload(job.download);
  renderWebhook(job.webhook);
  $('job-error').textContent = job.error ? `${job.error.code}: ${job.error.message}` : '-';
  $('job-payload').textContent = JSON.stringify(job.payload ?? null, null, 2);
  $('job-result').textContent = job.result === undefined ? '-' : JSON.stringify(job.result, null, 2);
  ($('job-retry') as HTMLButtonElement).disabled = job.status !== 'DEAD' && job.status !== 'FAILED';
  ($('job-cancel') as HTMLButtonElement).disabled = !['QUEUED', 'RETRYING', 'RUNNING'].includes(job.status);
  // Only a job that has not started can be edited (PATCH answers 409 otherwise).
  $('job-edit').hidden = !(job.status === 'QUEUED' && job.attempt === 0);
}

/** The completion webhook's deliveries: state, count, next try, and the last attempts (time, HTTP status or error class). */
function renderWebhook(webhook: Webhook | undefined): void {
  $('job-webhook-label').hidden = webhook === undefined;
  $('job-webhook').hidden = webhook === undefined;
  const attempts = $('job-webhook-attempts');
  attempts.hidden = webhook === undefined || webhook.recent.length === 0;
  if (!webhook) return;
  const next = webhook.nextAttemptAt ? ` · next try ${new Date(webhook.nextAttemptAt).toLocaleTimeString()}` : '';
  const state = $('job-webhook-state');
  state.textContent = webhook.state;
  state.className = `webhook webhook-${webhook.state}`;
  $('job-webhook-summary').textContent = ` · ${webhook.attempts} attempt(s)${next}`;
  attempts.querySelector('tbody')!.replaceChildren(
    ...webhook.recent.map((a) => {
      const tr = el('tr');
      tr.append(el('td', new Date(a.at).toLocaleTimeString()), el('td', a.status !== undefined ? String(a.status) : (a.error ?? '')), el('td', a.nextAttemptAt ? new Date(a.nextAttemptAt).toLocaleTimeString() : '-'));
      return tr;
    }),
  );
}

/** The job's output file (a PDF): a link signed at each read, valid for a few minutes. */
function renderDownload(download: Download | undefined): void {
  $('job-file-label').hidden = download === undefined;
  $('job-file').hidden = download === undefined;
  if (!download) return;
  const link = $('job-download') as HTMLAnchorElement;
  link.href = download.url;
  link.download = download.fileName;
  link.textContent = `Download ${download.fileName}`;
  $('job-file-info').textContent = ` ${Math.max(1, Math.round(download.bytes / 1024))} KB · link valid until ${new Date(download.expiresAt).toLocaleTimeString()}`;
}

function select(job: Job): void {
  state.selected = job.jobId;
  state.selectedFallback = job;
  renderJob(job);
  fillEditForm(job);
  void refresh();
}

/**
 * The edit form holds what the person types: it is filled when a job is selected (or saved), never by
 * the once-a-second refresh, which only shows or hides it.
 */
function fillEditForm(job: Job): void {
  ($('job-edit-payload') as HTMLTextAreaElement).value = JSON.stringify(job.payload ?? null, null, 2);
  ($('job-edit-runat') as HTMLInputElement).value = '';
  ($('job-edit-priority') as HTMLSelectElement).value = job.priority ?? 'normal';
  $('job-edit-priority-label').hidden = job.priority === undefined;
}

async function saveEdit(): Promise<void> {
  if (!state.selected) return;
  const body: Record<string, unknown> = {};
  try {
    body.payload = JSON.parse(($('job-edit-payload') as HTMLTextAreaElement).value) as unknown;
  } catch (error) {
    return notify(`Edit not sent: the payload is not JSON (${String(error)})`, 'error');
  }
  const runAt = ($('job-edit-runat') as HTMLInputElement).value.trim();
  if (runAt) body.runAt = runAt;
  if (!$('job-edit-priority-label').hidden) body.priority = ($('job-edit-priority') as HTMLSelectElement).value;
  try {
    const job = await api<Job>('PATCH', `/v1/jobs/${state.selected}`, body);
    notify(`Job ${job.jobId} edited: it runs once, with the edit`);
    fillEditForm(job);
  } catch (error) {
    notify(`Edit failed: ${describe(error)}`, 'error');
  }
  await refresh();
}

async function refreshSelected(isCurrent: () => boolean): Promise<void> {
  if (!state.selected) return renderJob(undefined);
  try {
    const job = await api<Job>('GET', `/v1/jobs/${state.selected}`);
    if (isCurrent()) renderJob(job);
  } catch (error) {
    // Another tenant's job (seen in a DLQ) is not readable with this key: keep what the DLQ showed.
    if (statusOf(error) === 404) {
      if (isCurrent()) renderJob(state.selectedFallback);
    } else throw error;
  }
}

async function refresh(): Promise<void> {
  const generation = state.generation;
  const isCurrent = (): boolean => generation === state.generation;
  try {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(state.status ? { status: state.status } : {}), ...(state.type ? { type: state.type } : {}) });
    const cursor = state.pages.at(-1);
    if (cursor) query.set('cursor', cursor);
    // Jobs and queues are asked apart: a key without the admin scope still sees its jobs.
    const [jobs, overview] = await Promise.allSettled([
      api<{ jobs: Job[]; cursor?: string }>('GET', `/v1/jobs?${query.toString()}`),
      state.admin === false ? Promise.resolve(undefined) : api<{ queues: QueueRow[]; webhooks?: WebhookRow }>('GET', '/v1/queues'),
    ]);
    if (!isCurrent()) return;
    if (jobs.status === 'rejected') {
      if (statusOf(jobs.reason) === 401) return unknownKey();
      throw jobs.reason;
    }
    renderJobs(jobs.value.jobs, jobs.value.cursor);
    if (overview.status === 'rejected') {
      if (statusOf(overview.reason) !== 403) throw overview.reason;
      state.admin = false;
    } else if (overview.value) {
      state.admin = true;
      renderQueues(overview.value.queues, overview.value.webhooks);
      followDeadLetters(overview.value.queues);
    }
    if (state.admin === false) renderNotAdmin();
    else if (state.dlqType) {
      // Dead letters span every tenant: an admin without the operator scope sees the queues only.
      const listing = await api<Parameters<typeof renderDlq>[0]>('GET', `/v1/queues/${state.dlqType}/dlq`).catch((error: unknown) => {
        if (statusOf(error) === 403) return undefined;
        throw error;
      });
      if (!isCurrent()) return;
      if (listing) renderDlq(listing);
      else $('dead-letters').hidden = true;
    }
    await refreshSelected(isCurrent);
    if (!isCurrent()) return;
    $('live').classList.remove('stale');
    $('live').title = `updated ${new Date().toLocaleTimeString()}`;
    if (state.refreshFailed) clearNotice();
  } catch (error) {
    if (!isCurrent()) return;
    $('live').classList.add('stale');
    notify(`Refresh failed: ${describe(error)}`, 'error');
    state.refreshFailed = true;
  }
}

/** A key the API does not know: nothing to show, and say so once. */
function unknownKey(): void {
  clearPanels();
  $('live').classList.add('stale');
  notify('This API key is unknown (401): nothing to show. Use a key printed by `npm start`.', 'error');
}

/** Until the person picks a DLQ, show the first type that has dead letters (else the first type). */
function followDeadLetters(rows: readonly QueueRow[]): void {
  if (state.dlqChosen) return;
  const type = rows.find((q) => q.dlq.visible > 0)?.type || state.dlqType || rows[0]?.type || '';
  if (type === state.dlqType) return;
  state.dlqType = type;
  ($('dlq-type') as HTMLSelectElement).value = type;
}

function addTypeOptions(types: readonly string[]): void {
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
}

/** Empties every panel: nothing the previous key showed stays on screen. */
function clearPanels(): void {
  for (const id of ['queues', 'jobs', 'dlq']) $(id).querySelector('tbody')!.replaceChildren();
  $('dlq-summary').textContent = '';
  $('jobs-page').textContent = '';
  ($('jobs-newer') as HTMLButtonElement).disabled = true;
  ($('jobs-older') as HTMLButtonElement).disabled = true;
  $('queues-note').hidden = true;
  renderJob(undefined);
}

function useKey(key: string): void {
  state.key = key;
  state.generation++;
  state.admin = undefined;
  state.selected = undefined;
  state.selectedFallback = undefined;
  state.pages = [undefined];
  state.nextCursor = undefined;
  state.dlqChosen = false;
  state.dlqType = '';
  localStorage.setItem('conveyor.apiKey', key);
  clearPanels();
  clearNotice();
  void refresh();
}

/** A new filter starts again from the newest jobs. */
function resetPaging(): void {
  state.pages = [undefined];
  state.nextCursor = undefined;
  state.generation++;
}

async function redriveType(type: string): Promise<void> {
  try {
    if (type === 'webhooks') {
      const outcome = await api<{ unlisted: number; dlqMessages: number }>('POST', `/v1/queues/${type}/redrive`);
      notify(outcome.dlqMessages === 0 ? `${type}: the DLQ is empty` : `${type}: ${outcome.unlisted} webhook delivery(ies) to attempt again; moving ${outcome.dlqMessages} message(s)`);
    } else {
      const accepted = await api<{ taskId: string; resumed: boolean; task: RedriveTask }>('POST', `/v1/queues/${type}/redrive`);
      notify(`${type}: redrive ${accepted.resumed ? 'resumed' : 'started'} — ${accepted.task.deadJobs} dead job(s); progress in the queues table`);
    }
  } catch (error) {
    notify(`Redrive failed: ${describe(error)}`, 'error');
  }
  await refresh();
}

async function setPaused(type: string, paused: boolean): Promise<void> {
  try {
    await api('POST', `/v1/queues/${type}/${paused ? 'pause' : 'resume'}`);
    notify(paused ? `${type} paused: its jobs wait in the queue; jobs under way finish` : `${type} resumed: its waiting jobs run now`);
  } catch (error) {
    notify(`${paused ? 'Pause' : 'Resume'} failed: ${describe(error)}`, 'error');
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
        resetPaging();
        renderTabs();
        void refresh();
      });
      return button;
    }),
  );
}

async function start(): Promise<void> {
  state.config = await (await fetch('config.json')).json() as DashboardConfig;
  state.key = localStorage.getItem('conveyor.apiKey') ?? state.config.apiKey;
  const keyInput = $('api-key') as HTMLInputElement;
  keyInput.value = state.key;
  // The local keys as suggestions: switching to the `system` tenant shows the recurring jobs.
  $('local-keys').replaceChildren(...(state.config.keys ?? []).map((k) => {
    const option = document.createElement('option');
    option.value = k.key;
    option.label = `tenant ${k.tenant} (${k.scopes.join(', ')})`;
    return option;
  }));
  keyInput.addEventListener('change', () => useKey(keyInput.value.trim()));
  addTypeOptions(state.config.jobTypes ?? []);
  ($('type-filter') as HTMLSelectElement).addEventListener('change', (event) => {
    state.type = (event.target as HTMLSelectElement).value;
    resetPaging();
    void refresh();
  });
  ($('dlq-type') as HTMLSelectElement).addEventListener('change', (event) => {
    state.dlqType = (event.target as HTMLSelectElement).value;
    state.dlqChosen = true;
    state.generation++;
    void refresh();
  });
  $('jobs-older').addEventListener('click', () => {
    if (!state.nextCursor) return;
    state.pages.push(state.nextCursor);
    state.generation++;
    void refresh();
  });
  $('jobs-newer').addEventListener('click', () => {
    if (state.pages.length === 1) return;
    state.pages.pop();
    state.generation++;
    void refresh();
  });
  $('job-retry').addEventListener('click', () => void retrySelected());
  $('job-cancel').addEventListener('click', () => void cancelSelected());
  $('job-edit').addEventListener('submit', (event) => {
    event.preventDefault();
    void saveEdit();
  });
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
