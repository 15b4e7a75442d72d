// agora-batch's page: jobs with their schedules, runs and history. agora-batch has no event
// stream, and its lists are small (one row per job), so the page reads them every 3 s while it
// is visible; a job's full history is read only when its drawer is open.
'use strict';

(() => {
  const { h, api, fmt } = AG;

  const header = AG.header({
    name: 'agora-batch',
    subtitle: location.host,
    tabs: [
      { id: 'jobs', label: 'Jobs' },
      { id: 'runs', label: 'Active runs' },
    ],
  });

  const jobPath = (id) => '/v1/jobs/' + encodeURIComponent(id);
  const iso = (t) => (t ? String(t).replace('T', ' ').slice(0, 19) : '—');
  const RUN_KIND = { SUCCESS: 'ok', ACTIVE: 'ok', FAILED: 'bad', STARTING: 'wait', INITIAL: 'wait' };

  function nextRun(j) {
    const next = (j.schedules || []).filter((s) => s.enabled && s.nextRunAt).map((s) => s.nextRunAt).sort()[0];
    return next || '';
  }
  const suspended = (j) => (j.schedules || []).length > 0 && (j.schedules || []).every((s) => !s.enabled);
  const summary = (j) => j.historySummary || {};
  function lastResult(j) {
    const s = summary(j);
    if (!s.lastSuccessAt && !s.lastFailureAt) return '';
    return (s.lastFailureAt || '') > (s.lastSuccessAt || '') ? 'failed' : 'succeeded';
  }

  const jobs = new AG.Table(AG.$('#jobs'), {
    key: (j) => j.id,
    placeholder: 'Search job id, description, command, schedule',
    sort: { id: 'id', dir: 1 },
    onRowClick: (j) => openJob(j.id),
    columns: [
      { id: 'id', label: 'Job', width: 'minmax(140px, 1fr)', cell: (j) => h('span', { class: 'mono' }, j.id) },
      { id: 'description', label: 'Description', width: 'minmax(140px, 1.2fr)' },
      { id: 'schedule', label: 'Schedule', width: 'minmax(150px, 1fr)',
        value: (j) => (j.schedules || []).map((s) => `${s.cron} ${s.timezone || 'UTC'}`).join(', '),
        cell: (j) => ((j.schedules || []).length
          ? h('span', {}, h('code', {}, j.schedules.map((s) => s.cron).join(', ')), ' ', h('span', { class: 'sub' }, j.schedules[0].timezone || 'UTC'),
            suspended(j) ? AG.badge('suspended', 'muted') : null)
          : h('span', { class: 'sub' }, 'on demand')) },
      { id: 'next', label: 'Next run', width: '170px', value: nextRun, cell: (j) => iso(nextRun(j)) },
      { id: 'active', label: 'Active', width: '70px', align: 'right', value: (j) => (j.activeRuns || []).length },
      { id: 'last', label: 'Last run', width: '110px', value: lastResult,
        cell: (j) => (lastResult(j) ? AG.badge(lastResult(j), lastResult(j) === 'failed' ? 'bad' : 'ok') : '—') },
      { id: 'counts', label: 'OK / failed', width: '100px', align: 'right', value: (j) => summary(j).failureCount || 0,
        cell: (j) => `${summary(j).successCount || 0} / ${summary(j).failureCount || 0}` },
      { id: 'actions', label: '', width: '250px', value: () => '',
        cell: (j) => h('span', {},
          h('button', { class: 'btn small', 'data-action': 'run', onclick: () => runNow(j) }, 'Run now'), ' ',
          (j.schedules || []).length ? h('button', { class: 'btn small', onclick: () => setSuspended(j, !suspended(j)) }, suspended(j) ? 'Resume' : 'Suspend') : null, ' ',
          h('button', { class: 'btn small', onclick: () => removeJob(j) }, 'Remove')) },
    ],
    emptyText: 'No jobs: "New job" posts a Metronome job spec',
  });

  const runs = new AG.Table(AG.$('#runs'), {
    key: (r) => r.jobId + '/' + r.id,
    placeholder: 'Search runs',
    sort: { id: 'createdAt', dir: -1 },
    onRowClick: (r) => openJob(r.jobId),
    columns: [
      { id: 'jobId', label: 'Job', width: 'minmax(140px, 1fr)', cell: (r) => h('span', { class: 'mono' }, r.jobId) },
      { id: 'id', label: 'Run', width: 'minmax(180px, 1fr)', cell: (r) => h('span', { class: 'mono' }, r.id) },
      { id: 'status', label: 'Status', width: '110px', cell: (r) => AG.badge(r.status, RUN_KIND[r.status] || 'wait') },
      { id: 'trigger', label: 'Trigger', width: '100px' },
      { id: 'createdAt', label: 'Created', width: '170px', cell: (r) => iso(r.createdAt) },
      { id: 'tasks', label: 'Tasks', width: '70px', align: 'right', value: (r) => (r.tasks || []).length },
      { id: 'stop', label: '', width: '80px', value: () => '',
        cell: (r) => h('button', { class: 'btn small', onclick: () => stopRun(r.jobId, r.id) }, 'Stop') },
    ],
    emptyText: 'No run in progress',
  });

  // ---------------------------------------------------------------------------------------

  let info = null, busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const list = await api('/v1/jobs?embed=activeRuns&embed=historySummary&embed=schedules');
      jobs.setRows(list);
      runs.setRows(list.flatMap((j) => (j.activeRuns || []).map((r) => ({ ...r, jobId: r.jobId || j.id }))));
      renderCards();
      if (openId) loadJob();
    } catch (_) { /* shown by api() */ } finally { busy = false; }
  }

  async function loadInfo() {
    try {
      info = await api('/info');
      header.setStatus(info.connectedToMaster ? 'live' : 'down', info.connectedToMaster ? 'connected to the master' : 'not connected to the master');
      header.setSubtitle(`${location.host} · master ${info.master || '?'}`);
      renderCards();
    } catch (_) {
      header.setStatus('down', 'no answer');
    }
  }

  function renderCards() {
    let failedLast = 0;
    for (const j of jobs.all()) failedLast += lastResult(j) === 'failed';
    const card = (label, value, sub) => h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value),
      h('div', { class: 'sub' }, sub || '\u00a0'));
    AG.$('#cards').replaceChildren(
      card('Master', info ? (info.connectedToMaster ? 'connected' : 'disconnected') : '—', info ? info.frameworkId : ''),
      card('Jobs', String(jobs.size), `${[...jobs.all()].filter(suspended).length} suspended`),
      card('Active runs', String(runs.size), ''),
      card('Last run failed', String(failedLast), failedLast ? 'jobs whose latest run failed' : 'none'));
  }

  // ---------------------------------------------------------------------------------------
  // Changes

  async function newJob() {
    const example = { id: 'nightly-report', description: 'Builds the nightly report',
      run: { cmd: 'echo report', cpus: 0.1, mem: 32 },
      schedules: [{ id: 'nightly', cron: '0 2 * * *', timezone: 'UTC', concurrencyPolicy: 'FORBID', catchUp: 'ONCE' }] };
    const v = await AG.dialog({ title: 'New job', text: 'A Metronome job spec (JSON), schedules included.', wide: true,
      fields: [{ name: 'json', label: 'Job spec', type: 'textarea', value: JSON.stringify(example, null, 2) }], ok: 'Create' });
    if (!v) return;
    let body;
    try { body = JSON.parse(v.json); } catch (e) { AG.showError('The job spec is not JSON', e.message); return; }
    const r = await api('/v1/jobs', { method: 'POST', body }).catch(() => null);
    if (r) { AG.notify('Created ' + r.id); refresh(); }
  }

  async function runNow(j) {
    const r = await api(jobPath(j.id) + '/runs', { method: 'POST', body: {} }).catch(() => null);
    if (r) { AG.notify(`Started a run of ${j.id}`, r.id); refresh(); }
  }

  async function stopRun(jobId, runId) {
    const r = await api(`${jobPath(jobId)}/runs/${encodeURIComponent(runId)}/actions/stop`, { method: 'POST', body: {} }).catch(() => false);
    if (r !== false) { AG.notify('Stopping ' + runId); refresh(); }
  }

  async function setSuspended(j, suspend) {
    const r = await api(`${jobPath(j.id)}/actions/${suspend ? 'suspend' : 'resume'}`, { method: 'POST', body: {} }).catch(() => false);
    if (r !== false) refresh();
  }

  async function removeJob(j) {
    const v = await AG.dialog({ title: 'Remove ' + j.id, text: 'Its schedules and history are deleted. Active runs must end first.', ok: 'Remove', danger: true });
    if (!v) return;
    const r = await api(jobPath(j.id), { method: 'DELETE' }).catch(() => false);
    if (r !== false) { AG.notify('Removed ' + j.id); refresh(); }
  }

  // ---------------------------------------------------------------------------------------
  // One job: active and finished runs, exit codes, and a task's log read from its agent
  // (the history gives each task's stdout and stderr as file API URLs).

  let openId = null, drawer = null, logTail = null;
  function openJob(id) {
    closeJob();
    openId = id;
    drawer = h('aside', { class: 'drawer', id: 'job-drawer' },
      h('div', { class: 'drawer-head' }, h('h2', { class: 'mono' }, id), h('button', { class: 'btn small', onclick: closeJob }, 'Close')),
      h('div', { class: 'job-body', style: { overflow: 'auto', padding: '12px 16px', flex: 1 } }, 'Loading…'),
      h('div', { class: 'job-log', hidden: true, style: { display: 'flex', flexDirection: 'column', height: '40%' } }));
    document.body.append(drawer);
    loadJob();
  }

  async function loadJob() {
    const id = openId;
    let j;
    try { j = await api(jobPath(id) + '?embed=activeRuns&embed=history&embed=schedules'); } catch (_) { return; }
    if (!drawer || openId !== id) return;
    // Rebuilt only on a change, so that a refresh does not move what the person reads.
    const text = JSON.stringify(j);
    if (text === drawer.dataset.shown) return;
    drawer.dataset.shown = text;
    const hist = j.history || {};
    const finished = [...(hist.successfulFinishedRuns || []), ...(hist.failedFinishedRuns || [])]
      .sort((a, b) => String(b.finishedAt).localeCompare(String(a.finishedAt)));
    const runRow = (r, active) => h('tr', {},
      h('td', { class: 'mono' }, r.id), h('td', {}, AG.badge(r.status, RUN_KIND[r.status] || 'wait')), h('td', {}, r.trigger || ''),
      h('td', {}, iso(r.createdAt)), h('td', {}, active ? '' : iso(r.finishedAt)),
      h('td', {}, active
        ? h('button', { class: 'btn small', onclick: () => stopRun(id, r.id) }, 'Stop')
        : (r.taskResults || []).map((t) => h('div', {},
          t.exitCode !== null && t.exitCode !== undefined ? AG.badge('exit ' + t.exitCode, t.exitCode === 0 ? 'ok' : 'bad') : AG.stateBadge(t.status),
          ' ', t.logs && t.logs.stdout ? h('button', { class: 'btn small', onclick: () => showLog(t, 'stdout') }, 'stdout') : null,
          ' ', t.logs && t.logs.stderr ? h('button', { class: 'btn small', onclick: () => showLog(t, 'stderr') }, 'stderr') : null,
          t.message ? h('div', { class: 'hint' }, t.message) : null))));
    const head = h('tr', {}, ['Run', 'Status', 'Trigger', 'Created', 'Finished', ''].map((x) => h('th', {}, x)));
    drawer.querySelector('.job-body').replaceChildren(
      h('p', {}, j.description || h('span', { class: 'hint' }, 'No description.')),
      h('h3', {}, `Active runs (${(j.activeRuns || []).length})`),
      (j.activeRuns || []).length ? h('table', { class: 'simple' }, head.cloneNode(true), j.activeRuns.map((r) => runRow(r, true)))
        : h('p', { class: 'hint' }, 'None.'),
      h('h3', {}, `Finished runs (${hist.successCount || 0} succeeded, ${hist.failureCount || 0} failed; the latest kept)`),
      finished.length ? h('table', { class: 'simple' }, head, finished.map((r) => runRow(r, false))) : h('p', { class: 'hint' }, 'None yet.'),
      h('h3', {}, 'Spec'),
      h('pre', { class: 'log', style: { margin: 0, borderRadius: '6px' } },
        JSON.stringify({ id: j.id, description: j.description, run: j.run, schedules: j.schedules }, null, 2)));
  }

  function showLog(task, file) {
    if (logTail) logTail.stop();
    const u = new URL(task.logs[file]);
    const pre = h('pre', { class: 'log', style: { margin: '0 16px 16px', borderRadius: '6px' } });
    const box = drawer.querySelector('.job-log');
    box.hidden = false;
    box.replaceChildren(h('div', { class: 'log-status' }, h('b', {}, `${file} of ${task.id}`),
      h('button', { class: 'btn small', onclick: () => { if (logTail) logTail.stop(); box.hidden = true; } }, 'Hide')), pre);
    logTail = AG.tailFile({
      agentUrl: u.origin, frameworkId: u.searchParams.get('framework_id') || '', taskId: u.searchParams.get('task_id'), file,
      onData: (text) => { pre.append(text); pre.scrollTop = pre.scrollHeight; },
      onStop: (e) => pre.append(`\n[stopped: ${e.message}]`),
    });
  }

  function closeJob() {
    if (logTail) logTail.stop();
    logTail = null;
    if (drawer) drawer.remove();
    drawer = null;
    openId = null;
  }
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && drawer && !document.querySelector('dialog[open]')) closeJob(); });

  // ---------------------------------------------------------------------------------------

  AG.$('#new-job').addEventListener('click', newJob);
  AG.tabs(header.nav, { onShow() { jobs.schedule(); runs.schedule(); } });
  loadInfo();
  refresh();
  setInterval(() => { if (!document.hidden) { refresh(); loadInfo(); } }, 3000);
  window.batchPage = { jobs, runs, refresh };
})();
