// agora-marathon's page: apps, deployments and the launch queue. Its lists are small (one
// row per app), so every event from /v2/events reads them again, batched; the queue's
// backoff countdowns are read every few seconds while that tab is open.
'use strict';

(() => {
  const { h, api, fmt } = AG;

  const header = AG.header({
    name: 'agora-marathon',
    subtitle: location.host,
    tabs: [
      { id: 'apps', label: 'Apps' },
      { id: 'deployments', label: 'Deployments' },
      { id: 'queue', label: 'Queue' },
    ],
  });

  // App ids hold slashes ("/web/api"): each segment is encoded, the slashes kept.
  const appPath = (id) => '/v2/apps' + id.split('/').map(encodeURIComponent).join('/');

  let deploymentsByApp = new Map();
  let queueByApp = new Map();

  function appStatus(a) {
    if (deploymentsByApp.has(a.id)) return 'deploying';
    if (a.instances === 0) return 'suspended';
    if (queueByApp.has(a.id)) return 'waiting';
    return a.tasksRunning >= a.instances ? 'running' : 'waiting';
  }
  const STATUS_KIND = { running: 'ok', deploying: 'wait', waiting: 'wait', suspended: 'muted' };

  const apps = new AG.Table(AG.$('#apps'), {
    key: (a) => a.id,
    placeholder: 'Search app id, command, role',
    sort: { id: 'id', dir: 1 },
    onRowClick: (a) => openApp(a.id),
    columns: [
      { id: 'id', label: 'App', width: 'minmax(160px, 1.2fr)', cell: (a) => h('span', { class: 'mono' }, a.id) },
      { id: 'status', label: 'Status', width: '110px', value: appStatus, cell: (a) => AG.badge(appStatus(a), STATUS_KIND[appStatus(a)]) },
      { id: 'running', label: 'Running', width: '90px', align: 'right', value: (a) => a.tasksRunning,
        cell: (a) => `${a.tasksRunning} / ${a.instances}` },
      { id: 'health', label: 'Health', width: '130px', value: (a) => a.tasksUnhealthy,
        cell: (a) => (a.tasksHealthy || a.tasksUnhealthy
          ? h('span', {}, AG.badge(a.tasksHealthy + ' healthy', 'ok'), a.tasksUnhealthy ? AG.badge(a.tasksUnhealthy + ' unhealthy', 'bad') : null)
          : '—') },
      { id: 'cpus', label: 'CPUs', width: '64px', align: 'right', cell: (a) => fmt.num(a.cpus) },
      { id: 'mem', label: 'Mem', width: '90px', align: 'right', cell: (a) => fmt.mib(a.mem) },
      { id: 'cmd', label: 'Command', width: 'minmax(160px, 2fr)', value: (a) => a.cmd || (a.args || []).join(' '),
        cell: (a) => h('code', {}, a.cmd || (a.args || []).join(' ')) },
      { id: 'version', label: 'Version', width: '170px', cell: (a) => (a.version || '').replace('T', ' ').slice(0, 19) },
      { id: 'actions', label: '', width: '230px', value: () => '',
        cell: (a) => h('span', {},
          h('button', { class: 'btn small', 'data-action': 'scale', onclick: () => scaleApp(a) }, 'Scale'), ' ',
          h('button', { class: 'btn small', 'data-action': 'restart', onclick: () => restartApp(a) }, 'Restart'), ' ',
          h('button', { class: 'btn small', 'data-action': 'remove', onclick: () => removeApp(a) }, 'Remove')) },
    ],
    emptyText: 'No apps: "New app" posts a Marathon app definition',
  });

  const deployments = new AG.Table(AG.$('#deployments'), {
    key: (d) => d.id,
    placeholder: 'Search deployments',
    sort: { id: 'version', dir: -1 },
    columns: [
      { id: 'id', label: 'Deployment', width: 'minmax(200px, 1.2fr)', cell: (d) => h('span', { class: 'mono' }, d.id) },
      { id: 'apps', label: 'Apps', width: 'minmax(140px, 1fr)', value: (d) => (d.affectedApps || []).join(', ') },
      { id: 'step', label: 'Step', width: '80px', align: 'right', value: (d) => d.currentStep, cell: (d) => `${d.currentStep} / ${d.totalSteps}` },
      { id: 'actions_now', label: 'Now', width: 'minmax(160px, 1.2fr)',
        value: (d) => (d.currentActions || []).map((x) => `${x.action} ${x.app}`).join(', ') },
      { id: 'version', label: 'Started', width: '170px', cell: (d) => (d.version || '').replace('T', ' ').slice(0, 19) },
      { id: 'buttons', label: '', width: '150px', value: () => '',
        cell: (d) => h('span', {},
          h('button', { class: 'btn small', onclick: () => cancelDeployment(d, false) }, 'Rollback'), ' ',
          h('button', { class: 'btn small', onclick: () => cancelDeployment(d, true) }, 'Stop')) },
    ],
    emptyText: 'No deployment in progress',
  });

  // ---------------------------------------------------------------------------------------
  // Reads, batched: a burst of events costs one read of each list.

  let info = null;
  let refreshTimer = 0;
  function refreshSoon() {
    if (!refreshTimer) refreshTimer = setTimeout(() => { refreshTimer = 0; refresh(); }, 300);
  }

  async function refresh() {
    try {
      const [a, d, q] = await Promise.all([api('/v2/apps?embed=apps.tasks'), api('/v2/deployments'), api('/v2/queue')]);
      deploymentsByApp = new Map();
      for (const dep of d) for (const id of dep.affectedApps || []) deploymentsByApp.set(id, dep);
      queueByApp = new Map((q.queue || []).map((e) => [e.app.id, e]));
      apps.setRows(a.apps || []);
      deployments.setRows(d);
      renderQueue(q.queue || []);
      renderCards();
      if (openId) fillApp();
    } catch (_) { /* shown by api() */ }
  }

  async function loadInfo() {
    try {
      info = await api('/v2/info');
      const role = info.marathon_config && info.marathon_config.mesos_role;
      header.setSubtitle(`${location.host} · role ${role || '?'} · master ${(info.marathon_config || {}).master || '?'}`);
      renderCards();
    } catch (_) { /* shown by api() */ }
  }

  function renderCards() {
    let running = 0, wanted = 0, unhealthy = 0;
    for (const a of apps.all()) { running += a.tasksRunning; wanted += a.instances; unhealthy += a.tasksUnhealthy; }
    const card = (label, value, sub) => h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value),
      h('div', { class: 'sub' }, sub || '\u00a0'));
    AG.$('#cards').replaceChildren(
      card('Master', info ? (info.connected_to_master ? 'connected' : 'disconnected') : '—', info ? info.frameworkId : ''),
      card('Apps', String(apps.size), `${deployments.size} deploying`),
      card('Instances', `${running} / ${wanted}`, 'running / wanted'),
      card('Unhealthy', String(unhealthy), unhealthy ? 'see the apps' : 'none'),
      card('Waiting', String(queueByApp.size), queueByApp.size ? 'see the queue' : 'nothing waits'));
  }

  function renderQueue(entries) {
    AG.$('#queue').replaceChildren(...(entries.length ? entries.map((e) => h('li', {},
      AG.badge(`${e.count} waiting`, 'wait'),
      h('div', {},
        h('b', { class: 'mono' }, e.app.id),
        e.delay && e.delay.timeLeftSeconds > 0 ? h('span', { class: 'hint' }, ` · backoff ${fmt.duration(e.delay.timeLeftSeconds)} left`) : null,
        h('ul', {}, (e.reasons || []).map((r) => h('li', { class: 'hint' }, r))),
        e.delay && e.delay.timeLeftSeconds > 0
          ? h('button', { class: 'btn small', onclick: () => resetDelay(e.app.id) }, 'Launch now') : null)))
      : [h('li', { class: 'empty-note' }, 'Nothing waits for offers.')]));
  }

  // ---------------------------------------------------------------------------------------
  // Changes. Each reply of a change names its deployment; the events bring the rest.

  async function newApp() {
    const example = { id: '/my-app', cmd: 'python3 -m http.server $PORT0', cpus: 0.1, mem: 64, instances: 1,
      healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0 }] };
    const v = await AG.dialog({ title: 'New app', text: 'A Marathon app definition (JSON).', wide: true,
      fields: [{ name: 'json', label: 'Definition', type: 'textarea', value: JSON.stringify(example, null, 2) }], ok: 'Create' });
    if (!v) return;
    let body;
    try { body = JSON.parse(v.json); } catch (e) { AG.showError('The definition is not JSON', e.message); return; }
    const r = await api('/v2/apps', { method: 'POST', body }).catch(() => null);
    if (r) { AG.notify('Created ' + r.id); refreshSoon(); }
  }

  async function scaleApp(a) {
    const v = await AG.dialog({ title: 'Scale ' + a.id, fields: [{ name: 'n', label: 'Instances', type: 'number', value: a.instances }], ok: 'Scale' });
    if (!v) return;
    const r = await api(appPath(a.id), { method: 'PUT', body: { instances: Number(v.n) } }).catch(() => null);
    if (r) { AG.notify(`Scaling ${a.id} to ${v.n}`, r.deploymentId ? 'deployment ' + r.deploymentId : ''); refreshSoon(); }
  }

  async function restartApp(a) {
    const r = await api(appPath(a.id) + '/restart', { method: 'POST', body: {} }).catch(() => null);
    if (r) { AG.notify('Restarting ' + a.id, r.deploymentId ? 'deployment ' + r.deploymentId : ''); refreshSoon(); }
  }

  async function removeApp(a) {
    const v = await AG.dialog({ title: 'Remove ' + a.id, text: 'Its tasks are killed and its definition is deleted.', ok: 'Remove', danger: true });
    if (!v) return;
    const r = await api(appPath(a.id), { method: 'DELETE' }).catch(() => false);
    if (r !== false) { AG.notify('Removing ' + a.id); refreshSoon(); }
  }

  async function cancelDeployment(d, stopOnly) {
    const r = await api('/v2/deployments/' + encodeURIComponent(d.id) + (stopOnly ? '?force=true' : ''), { method: 'DELETE' }).catch(() => false);
    if (r !== false) { AG.notify((stopOnly ? 'Stopped ' : 'Rolling back ') + d.id); refreshSoon(); }
  }

  async function resetDelay(id) {
    const r = await api('/v2/queue' + id.split('/').map(encodeURIComponent).join('/') + '/delay', { method: 'DELETE' }).catch(() => false);
    if (r !== false) refreshSoon();
  }

  // ---------------------------------------------------------------------------------------
  // One app: its tasks and definition, in a drawer.

  let openId = null, drawer = null;
  function openApp(id) {
    closeApp();
    openId = id;
    drawer = h('aside', { class: 'drawer', id: 'app-drawer' });
    document.body.append(drawer);
    fillApp();
  }
  function fillApp() {
    const a = apps.get(openId);
    if (!a || !drawer) return;
    const tasks = a.tasks || [];
    const { tasks: _t, ...definition } = a;
    drawer.replaceChildren(
      h('div', { class: 'drawer-head' }, h('h2', { class: 'mono' }, a.id), AG.badge(appStatus(a), STATUS_KIND[appStatus(a)]),
        h('button', { class: 'btn small', onclick: closeApp }, 'Close')),
      h('div', { style: { overflow: 'auto', padding: '12px 16px', flex: 1 } },
        h('h3', {}, `Tasks (${tasks.length})`),
        tasks.length ? h('table', { class: 'simple' },
          h('tr', {}, ['Task', 'State', 'Host', 'Ports', 'Started', 'Health'].map((x) => h('th', {}, x))),
          tasks.map((t) => h('tr', {},
            h('td', { class: 'mono' }, t.id), h('td', {}, AG.stateBadge(t.state)), h('td', {}, t.host),
            h('td', {}, (t.ports || []).join(', ')), h('td', {}, (t.startedAt || '').replace('T', ' ').slice(0, 19)),
            h('td', {}, (t.healthCheckResults || []).length
              ? (t.healthCheckResults.every((r) => r.alive) ? AG.badge('healthy', 'ok') : AG.badge('unhealthy', 'bad')) : '—'))))
          : h('p', { class: 'hint' }, 'No tasks.'),
        h('p', { class: 'hint' }, 'Task logs: open the task on the master\'s dashboard (Tasks tab).'),
        h('h3', {}, 'Definition'),
        h('pre', { class: 'log', style: { margin: 0, borderRadius: '6px' } }, JSON.stringify(definition, null, 2))));
  }
  function closeApp() { if (drawer) drawer.remove(); drawer = null; openId = null; }
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && drawer && !document.querySelector('dialog[open]')) closeApp(); });

  // ---------------------------------------------------------------------------------------

  AG.$('#new-app').addEventListener('click', newApp);

  const EVENT_TYPES = ['status_update_event', 'instance_changed_event', 'health_status_changed_event', 'failed_health_check_event',
    'unhealthy_instance_kill_event', 'deployment_info', 'deployment_success', 'deployment_failed', 'deployment_step_success',
    'group_change_success', 'app_terminated_event', 'api_post_event', 'framework_registered_event', 'scheduler_error_event',
    'events_lost'];
  AG.eventStream('/v2/events', {
    types: EVENT_TYPES,
    onEvent(type, data) {
      if (type === 'framework_registered_event') loadInfo();
      if (type === 'scheduler_error_event') AG.showError('agora-marathon: scheduler error', data.message || JSON.stringify(data));
      refreshSoon();
    },
    onStatus(state) { header.setStatus(state, { live: 'live', reconnecting: 'reconnecting…', down: 'no live updates' }[state]); },
    onReset: refreshSoon,
  });

  let shown = 'apps';
  AG.tabs(header.nav, { onShow(id) { shown = id; apps.schedule(); deployments.schedule(); } });
  setInterval(() => { if (shown === 'queue' && !document.hidden) refresh(); }, 5000);

  loadInfo();
  refresh();
  window.marathonPage = { apps, deployments, refresh };
})();
