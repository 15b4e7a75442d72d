// The master's dashboard. It reads agents, frameworks and tasks once, then follows
// /api/v1/events; it never reads those lists again on a timer (a cluster may have 10,000
// agents). Roles and pending reasons are small, and read every few seconds.
'use strict';

(() => {
  const { h, api, fmt } = AG;

  const header = AG.header({
    name: 'Agora master',
    subtitle: location.host,
    tabs: [
      { id: 'overview', label: 'Overview' },
      { id: 'agents', label: 'Agents' },
      { id: 'frameworks', label: 'Frameworks' },
      { id: 'tasks', label: 'Tasks' },
      { id: 'roles', label: 'Roles' },
    ],
  });

  // ---------------------------------------------------------------------------------------
  // Resources. Agora's JSON keys reserved resources as "cpus(role)"; the dashboard sums them
  // with the unreserved ones.

  function scalar(res, name) {
    let sum = 0;
    for (const [k, v] of Object.entries(res || {}))
      if ((k === name || k.startsWith(name + '(')) && typeof v === 'number') sum += v;
    return sum;
  }

  const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE']);
  const isTerminal = (t) => TERMINAL.has(t.state);
  const taskKey = (t) => (t.framework_id || '') + '/' + t.id;

  // Used resources of agents and frameworks follow from the tasks the page holds, so they stay
  // current between AGENT_UPDATED events (the master sends those only on drains and
  // re-registrations). Offered resources come from the last agent or framework event.
  const agentUse = new Map();  // agent id -> {cpus, mem, disk, tasks}
  const fwUse = new Map();     // framework id -> {cpus, mem, disk, tasks}

  function meter(used, total, text) {
    const frac = total > 0 ? Math.min(1, used / total) : 0;
    return h('span', {}, h('span', { class: 'meter' }, h('span', { style: { width: (frac * 100).toFixed(1) + '%' } })), text);
  }

  // ---------------------------------------------------------------------------------------
  // Agents

  const agents = new AG.Table(AG.$('#agents'), {
    key: (a) => a.id,
    placeholder: 'Search hostname, id, state, attribute',
    sort: { id: 'hostname', dir: 1 },
    columns: [
      { id: 'hostname', label: 'Host', width: 'minmax(140px, 1.2fr)' },
      { id: 'id', label: 'ID', width: 'minmax(110px, 1fr)', cell: (a) => h('span', { class: 'mono' }, a.id), title: (a) => a.id },
      { id: 'state', label: 'State', width: '235px', value: (a) => a.state + (a.draining ? ' draining' : ''),
        cell: (a) => h('span', {}, AG.badge(a.state, a.state === 'active' ? 'ok' : a.state === 'unreachable' ? 'bad' : 'wait'),
          a.draining ? AG.badge('draining until ' + fmt.clock(a.drain_deadline), 'wait') : null),
        title: (a) => a.draining ? 'draining; its tasks are killed at ' + fmt.time(a.drain_deadline) : a.state },
      { id: 'cpus', label: 'CPUs used', width: '150px', value: (a) => use(a).cpus,
        cell: (a) => meter(use(a).cpus, scalar(a.resources, 'cpus'), fmt.num(use(a).cpus) + ' / ' + fmt.num(scalar(a.resources, 'cpus'))) },
      { id: 'mem', label: 'Mem used', width: '215px', value: (a) => use(a).mem,
        cell: (a) => meter(use(a).mem, scalar(a.resources, 'mem'), fmt.mib(use(a).mem) + ' / ' + fmt.mib(scalar(a.resources, 'mem'))) },
      { id: 'disk', label: 'Disk', width: '110px', align: 'right', value: (a) => scalar(a.resources, 'disk'),
        cell: (a) => fmt.mib(scalar(a.resources, 'disk')) },
      { id: 'tasks', label: 'Tasks', width: '70px', align: 'right', value: (a) => use(a).tasks },
      { id: 'attributes', label: 'Attributes', width: 'minmax(110px, 1fr)', value: (a) => fmt.attributes(a.attributes) },
      { id: 'actions', label: '', width: '96px', value: (a) => (a.draining ? 1 : 0),
        cell: (a) => a.draining
          ? h('button', { class: 'btn small', 'data-action': 'undrain', onclick: () => undrainAgent(a.id) }, 'Undrain')
          : h('button', { class: 'btn small', 'data-action': 'drain', onclick: () => askDrain(a) }, 'Drain') },
    ],
    rowClass: (a) => 'agent-' + a.state,
    emptyText: 'No agents have registered',
  });
  const use = (a) => agentUse.get(a.id) || { cpus: 0, mem: 0, disk: 0, tasks: 0 };

  async function askDrain(agent) {
    const v = await AG.dialog({
      title: 'Drain ' + (agent.hostname || agent.id),
      text: 'The agent gets no new tasks from now on. Its tasks are killed at the deadline, so that their frameworks can move them first.',
      fields: [{ name: 'deadline', label: 'Deadline, in seconds from now', type: 'number', value: 60, step: 'any' }],
      ok: 'Drain',
      danger: true,
    });
    if (v) await drainAgent(agent.id, v.deadline === '' ? undefined : Number(v.deadline));
  }

  // Also reached by tests (window.dashboard): the same call the Drain button makes.
  async function drainAgent(id, deadlineSeconds) {
    const body = deadlineSeconds === undefined ? {} : { deadline_seconds: deadlineSeconds };
    const r = await api(`/api/v1/agents/${encodeURIComponent(id)}/drain`, { method: 'POST', body }).catch(() => null);
    if (!r) return false;
    const a = agents.get(id);
    if (a) agents.upsert({ ...a, draining: true, drain_deadline: r.deadline });
    AG.notify('Draining ' + (a ? a.hostname : id), r.deadline ? 'its tasks are killed at ' + fmt.time(r.deadline) : '');
    return true;
  }

  async function undrainAgent(id) {
    const r = await api(`/api/v1/agents/${encodeURIComponent(id)}/undrain`, { method: 'POST' }).catch(() => null);
    if (!r) return false;
    const a = agents.get(id);
    if (a) {
      const { drain_deadline, ...rest } = a;
      agents.upsert({ ...rest, draining: false });
    }
    AG.notify((a ? a.hostname : id) + ' is back from maintenance');
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Frameworks

  const frameworks = new AG.Table(AG.$('#frameworks'), {
    key: (f) => f.id,
    placeholder: 'Search name, id, role',
    maxHeight: 420,
    sort: { id: 'name', dir: 1 },
    columns: [
      { id: 'name', label: 'Name', width: 'minmax(150px, 1.2fr)',
        cell: (f) => f.webui_url ? h('a', { href: f.webui_url, target: '_blank', rel: 'noopener' }, f.name || f.id, ' ↗') : (f.name || '—') },
      { id: 'id', label: 'ID', width: 'minmax(140px, 1.2fr)', cell: (f) => h('span', { class: 'mono' }, f.id), title: (f) => f.id },
      { id: 'roles', label: 'Roles', width: 'minmax(90px, 0.8fr)', value: (f) => (f.roles || []).join(', ') },
      { id: 'status', label: 'Status', width: '130px', value: frameworkStatus,
        cell: (f) => AG.badge(frameworkStatus(f), f.connected ? 'ok' : 'bad') },
      { id: 'cpus', label: 'CPUs used', width: '105px', align: 'right', value: (f) => fuse(f).cpus, cell: (f) => fmt.num(fuse(f).cpus) },
      { id: 'mem', label: 'Mem used', width: '100px', align: 'right', value: (f) => fuse(f).mem, cell: (f) => fmt.mib(fuse(f).mem) },
      { id: 'tasks', label: 'Tasks', width: '70px', align: 'right', value: (f) => fuse(f).tasks },
      { id: 'offers', label: 'Offers', width: '80px', align: 'right', value: (f) => f.offer_count },
      { id: 'registered_at', label: 'Registered', width: '170px', cell: (f) => fmt.time(f.registered_at) },
    ],
    emptyText: 'No frameworks',
  });
  const fuse = (f) => fwUse.get(f.id) || { cpus: 0, mem: 0, disk: 0, tasks: 0 };
  function frameworkStatus(f) {
    if (f.connected) return 'connected';
    return f.recovered ? 'recovered, not back' : 'disconnected';
  }
  const frameworkName = (id) => (frameworks.get(id) || {}).name || id;

  // ---------------------------------------------------------------------------------------
  // Tasks

  const MAX_TERMINAL = 5000;  // finished tasks kept by the page; the oldest go first
  let taskFilter = 'active';
  const filterSelect = h('select', { 'aria-label': 'Which tasks', onchange: (e) => { taskFilter = e.target.value; tasks.invalidateAll(); } },
    h('option', { value: 'active' }, 'Active tasks'), h('option', { value: 'terminal' }, 'Finished tasks'), h('option', { value: 'all' }, 'All tasks'));

  const tasks = new AG.Table(AG.$('#tasks'), {
    key: taskKey,
    placeholder: 'Search id, name, state, agent, framework',
    sort: { id: 'updated', dir: -1 },
    tools: [filterSelect],
    filter: (t) => taskFilter === 'all' || (taskFilter === 'active') !== isTerminal(t),
    onRowClick: (t) => openTask(taskKey(t)),
    columns: [
      { id: 'id', label: 'Task', width: 'minmax(160px, 1.3fr)', cell: (t) => h('span', { class: 'mono' }, t.id), title: (t) => t.id },
      { id: 'name', label: 'Name', width: 'minmax(120px, 1.2fr)' },
      { id: 'framework', label: 'Framework', width: 'minmax(110px, 0.9fr)', value: (t) => frameworkName(t.framework_id),
        title: (t) => t.framework_id },
      { id: 'state', label: 'State', width: '120px', cell: (t) => AG.stateBadge(t.state) },
      { id: 'health', label: 'Health', width: '95px', value: health,
        cell: (t) => { const v = health(t); return v ? AG.badge(v, v === 'healthy' ? 'ok' : 'bad') : '—'; } },
      { id: 'agent', label: 'Agent', width: 'minmax(120px, 1fr)', value: (t) => (agents.get(t.agent_id) || {}).hostname || t.agent_id,
        title: (t) => t.agent_id },
      { id: 'cpus', label: 'CPUs', width: '64px', align: 'right', value: (t) => scalar(t.resources, 'cpus'), cell: (t) => fmt.num(scalar(t.resources, 'cpus')) },
      { id: 'mem', label: 'Mem', width: '90px', align: 'right', value: (t) => scalar(t.resources, 'mem'), cell: (t) => fmt.mib(scalar(t.resources, 'mem')) },
      { id: 'usage', label: 'Usage (cpu s, mem)', width: '150px', align: 'right', value: (t) => (t.usage ? t.usage.mem_bytes : undefined),
        cell: (t) => (t.usage ? fmt.num(t.usage.cpu_seconds, 1) + ' s, ' + fmt.bytes(t.usage.mem_bytes) : '—') },
      { id: 'updated', label: 'Updated', width: '90px', value: (t) => (t.status && t.status.timestamp) || 0,
        cell: (t) => (t.status && t.status.timestamp ? fmt.clock(t.status.timestamp) : '—'), title: (t) => t.status && fmt.time(t.status.timestamp) },
    ],
    rowClass: (t) => (openKey === taskKey(t) ? 'selected' : ''),
    emptyText: 'No tasks',
  });
  function health(t) {
    const v = t.status && t.status.healthy;
    return v === true ? 'healthy' : v === false ? 'unhealthy' : '';
  }

  // Sums the resources of live tasks per agent and per framework, and refreshes the rows whose
  // figures changed. Batched: a burst of task events costs one pass.
  let usageTimer = 0;
  function usageChanged() {
    if (!usageTimer) usageTimer = setTimeout(recomputeUsage, 250);
  }
  function recomputeUsage() {
    usageTimer = 0;
    const byAgent = new Map(), byFw = new Map(), terminal = [];
    const add = (map, id, t) => {
      let u = map.get(id);
      if (!u) map.set(id, (u = { cpus: 0, mem: 0, disk: 0, tasks: 0 }));
      for (const n of ['cpus', 'mem', 'disk']) u[n] += scalar(t.resources, n);
      u.tasks++;
    };
    for (const t of tasks.all()) {
      if (isTerminal(t)) { terminal.push(t); continue; }
      add(byAgent, t.agent_id, t);
      add(byFw, t.framework_id, t);
    }
    if (terminal.length > MAX_TERMINAL) {
      terminal.sort((a, b) => ((a.status || {}).timestamp || 0) - ((b.status || {}).timestamp || 0));
      for (const t of terminal.slice(0, terminal.length - MAX_TERMINAL)) tasks.remove(taskKey(t));
    }
    const same = (a, b) => a && b && a.cpus === b.cpus && a.mem === b.mem && a.disk === b.disk && a.tasks === b.tasks;
    for (const [map, next, table] of [[agentUse, byAgent, agents], [fwUse, byFw, frameworks]]) {
      const ids = new Set([...map.keys(), ...next.keys()]);
      for (const id of ids) if (!same(map.get(id), next.get(id)) && table.get(id)) table.touch(id);
      map.clear();
      for (const [k, v] of next) map.set(k, v);
    }
    renderCards();
  }

  // ---------------------------------------------------------------------------------------
  // A task's logs, followed from its agent's file API in a drawer.

  let openKey = null, drawer = null;

  function agentUrl(task) {
    const a = agents.get(task.agent_id);
    if (a && a.http_port) return `${a.http_scheme || 'http'}://${a.http_host || a.hostname}:${a.http_port}`;
    const addr = task.status && task.status.agent_http_address;
    if (addr) return addr.startsWith('http') ? addr : 'http://' + addr;
    return null;
  }

  function openTask(key) {
    closeTask();
    const task = tasks.get(key);
    if (!task) return;
    openKey = key;
    tasks.touch(key);
    const meta = h('dl', { class: 'drawer-meta' });
    const logs = {}, tails = {};
    const status = h('div', { class: 'log-status' });
    const tabButtons = h('div', { class: 'drawer-tabs', role: 'tablist' });
    const body = h('div', { style: { display: 'contents' } });
    let shown = 'stdout';

    function fillMeta() {
      const t = tasks.get(key) || task;
      const a = agents.get(t.agent_id);
      const rows = [
        ['State', h('span', {}, AG.stateBadge(t.state), health(t) ? AG.badge(health(t), health(t) === 'healthy' ? 'ok' : 'bad') : null,
          t.status && t.status.message ? ' ' + t.status.message : '')],
        ['Framework', frameworkName(t.framework_id) + ' (' + t.framework_id + ')'],
        ['Agent', (a ? a.hostname + ' ' : '') + '(' + t.agent_id + ')'],
        ['Command', h('code', {}, t.command || '—')],
        ['Resources', fmt.resources(t.resources)],
      ];
      if (t.usage) {
        const u = t.usage;
        rows.push(['Usage', `${fmt.num(u.cpu_seconds, 1)} cpu s · mem ${fmt.bytes(u.mem_bytes)}` +
          (u.mem_peak_bytes ? `, peak ${fmt.bytes(u.mem_peak_bytes)}` : '') + (u.mem_limit_bytes ? ` of ${fmt.bytes(u.mem_limit_bytes)}` : '')]);
      }
      if (t.status && t.status.exit_code !== undefined) rows.push(['Exit code', String(t.status.exit_code)]);
      meta.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    }

    function follow(file) {
      const url = agentUrl(tasks.get(key) || task);
      if (!url) {
        logs[file].textContent = 'The master does not know where this task\'s agent serves its files.';
        return;
      }
      tails[file] = AG.tailFile({
        agentUrl: url, frameworkId: task.framework_id, taskId: task.id, file,
        onData: (text) => appendLog(logs[file], text),
        onStop: (e) => {
          tails[file] = null;
          if (file === shown) showStatus();
          logs[file].dataset.stopped = e.message;
        },
      });
      showStatus();
    }

    function showStatus() {
      const stopped = logs[shown].dataset.stopped;
      status.replaceChildren(stopped
        ? h('span', {}, 'Stopped: ' + stopped + ' ', h('button', { class: 'btn small', onclick: () => { delete logs[shown].dataset.stopped; follow(shown); } }, 'Retry'))
        : h('span', {}, 'Following ' + shown + ' (read every second)'));
    }

    for (const file of ['stdout', 'stderr']) {
      logs[file] = h('pre', { class: 'log', 'data-file': file, hidden: file !== shown });
      tabButtons.append(h('button', { role: 'tab', 'data-file': file, 'aria-selected': String(file === shown), onclick: () => {
        shown = file;
        for (const b of tabButtons.children) b.setAttribute('aria-selected', String(b.dataset.file === file));
        for (const f in logs) logs[f].hidden = f !== file;
        showStatus();
      } }, file));
      body.append(logs[file]);
    }
    fillMeta();
    drawer = h('aside', { class: 'drawer', id: 'task-drawer', 'data-task': key },
      h('div', { class: 'drawer-head' }, h('h2', {}, task.name || task.id),
        h('button', { class: 'btn small', onclick: closeTask, 'aria-label': 'Close' }, 'Close')),
      meta, tabButtons, body, status);
    drawer.refresh = fillMeta;
    // Usage comes with a task's JSON only (no event carries it): read this one task again.
    const usageTimer = setInterval(async () => {
      const r = await api(`/api/v1/tasks?framework_id=${encodeURIComponent(task.framework_id)}&task_id=${encodeURIComponent(task.id)}`).catch(() => null);
      const fresh = r && (r.tasks || [])[0];
      if (fresh && openKey === key) { tasks.upsert(fresh); fillMeta(); }
    }, 5000);
    drawer.stopAll = () => { clearInterval(usageTimer); for (const f in tails) if (tails[f]) tails[f].stop(); };
    document.body.append(drawer);
    follow('stdout');
    follow('stderr');
  }

  // Keeps the view at the bottom if it was there; keeps at most 2 MB of text.
  function appendLog(pre, text) {
    const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 30;
    pre.append(text);
    if (pre.textContent.length > 2e6) pre.textContent = pre.textContent.slice(-1.5e6);
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  function closeTask() {
    if (!drawer) return;
    drawer.stopAll();
    drawer.remove();
    drawer = null;
    const k = openKey;
    openKey = null;
    if (k) tasks.touch(k);
  }
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && drawer && !document.querySelector('dialog[open]')) closeTask(); });

  // ---------------------------------------------------------------------------------------
  // Utilisation, from UTILIZATION events.

  const samples = [];  // [{time, total, allocated, offered, agents, tasks}]
  const MAX_SAMPLES = 1800;  // an hour at one sample per 2 s
  let windowSeconds = 600;
  const utilCharts = ['cpus', 'mem', 'disk'].map((name) => ({
    name,
    chart: AG.lineChart(AG.$('#util-charts'), {
      title: { cpus: 'CPUs', mem: 'Memory', disk: 'Disk' }[name],
      yFormat: name === 'cpus' ? (v) => fmt.num(v, 1) : fmt.mib,
      yUnit: name === 'cpus' ? 1 : 1024,
      windowSeconds,
    }),
  }));
  AG.$('#util-window').addEventListener('change', (e) => {
    windowSeconds = Number(e.target.value);
    for (const c of utilCharts) c.chart.setWindow(windowSeconds);
  });

  function drawUtilisation() {
    for (const { name, chart } of utilCharts) {
      const pts = (kind) => samples.map((x) => [x.time, (x[kind] || {})[name] || 0]);
      chart.update([
        { name: 'allocated', color: AG.PALETTE[0], points: pts('allocated') },
        { name: 'offered', color: AG.PALETTE[1], points: pts('offered') },
        { name: 'total', color: AG.PALETTE[2], dash: '5 4', points: pts('total') },
      ]);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Summary cards

  // Coalesced: a burst of events (10,000 agents registering) redraws the cards once.
  let cardsTimer = 0;
  function renderCards() {
    if (!cardsTimer) cardsTimer = setTimeout(drawCards, 200);
  }
  function drawCards() {
    cardsTimer = 0;
    let active = 0, draining = 0, unreachable = 0;
    for (const a of agents.all()) {
      active += a.state === 'active';
      draining += !!a.draining;
      unreachable += a.state === 'unreachable';
    }
    let connected = 0;
    for (const f of frameworks.all()) connected += !!f.connected;
    let running = 0, live = 0;
    for (const t of tasks.all()) {
      if (isTerminal(t)) continue;
      live++;
      running += t.state === 'TASK_RUNNING';
    }
    const last = samples[samples.length - 1];
    const card = (label, value, sub) => h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value),
      h('div', { class: 'sub' }, sub || '\u00a0'));
    AG.$('#cards').replaceChildren(
      card('Agents', fmt.num(active), `${fmt.num(agents.size)} known · ${draining} draining · ${unreachable} unreachable`),
      card('Frameworks', fmt.num(connected), `${fmt.num(frameworks.size)} known`),
      card('Tasks', fmt.num(live), `${fmt.num(running)} running`),
      card('CPUs allocated', last ? fmt.num(last.allocated.cpus, 1) : '—', last ? 'of ' + fmt.num(last.total.cpus, 1) : 'waiting for a sample'),
      card('Memory allocated', last ? fmt.mib(last.allocated.mem) : '—', last ? 'of ' + fmt.mib(last.total.mem) : 'waiting for a sample'),
      card('Pending reasons', String(pendingCount), pendingCount ? 'see below' : 'nothing holds work back'));
  }

  // ---------------------------------------------------------------------------------------
  // Roles and pending reasons: small, so read again every few seconds.

  const shareChart = AG.barChart(AG.$('#shares'), { title: 'Dominant share by role', max: 1, emptyText: 'No roles yet' });
  const roles = new AG.Table(AG.$('#roles'), {
    key: (r) => r.role,
    placeholder: 'Search roles',
    maxHeight: 480,
    sort: { id: 'share', dir: -1 },
    columns: [
      { id: 'role', label: 'Role', width: 'minmax(120px, 1fr)' },
      { id: 'weight', label: 'Weight', width: '70px', align: 'right', cell: (r) => fmt.num(r.weight) },
      { id: 'guarantee', label: 'Quota guarantee', width: 'minmax(130px, 1fr)', value: (r) => fmt.resources(r.quota && r.quota.guarantee) },
      { id: 'limit', label: 'Quota limit', width: 'minmax(130px, 1fr)', value: (r) => fmt.resources(r.quota && r.quota.limit) },
      { id: 'allocated', label: 'Allocated', width: 'minmax(150px, 1.2fr)', value: (r) => fmt.resources(r.allocated) },
      { id: 'used', label: 'Used by tasks', width: 'minmax(150px, 1.2fr)', value: (r) => fmt.resources(r.used) },
      { id: 'offered', label: 'Offered', width: 'minmax(120px, 1fr)', value: (r) => fmt.resources(r.offered) },
      { id: 'reserved', label: 'Reserved', width: 'minmax(100px, 1fr)', value: (r) => fmt.resources(r.reserved) },
      { id: 'share', label: 'Dominant share', width: '150px', align: 'right', value: (r) => r.share, cell: (r) => fmt.pct(r.share) },
      { id: 'frameworks', label: 'Frameworks', width: '95px', align: 'right', value: (r) => (r.frameworks || []).length },
    ],
    emptyText: 'No roles',
  });

  let rolesBusy = false;
  async function loadRoles() {
    if (rolesBusy) return;
    rolesBusy = true;
    try {
      const r = await api('/api/v1/roles');
      roles.setRows(r.roles || []);
      const sorted = [...(r.roles || [])].sort((a, b) => b.share - a.share);
      shareChart.update(sorted.map((x) => ({ label: x.role, value: x.share || 0,
        title: `${x.role}: dominant share ${fmt.pct(x.share)}, weight ${fmt.num(x.weight)}` })));
    } catch (_) { /* shown by api() */ } finally { rolesBusy = false; }
  }

  let pendingCount = 0, pendingBusy = false;
  const KIND_LABEL = { suppressed: 'suppressed', quota_limit: 'quota limit', filtered: 'filtered', draining: 'draining',
    unreachable: 'unreachable', disconnected: 'disconnected' };
  async function loadPending() {
    if (pendingBusy) return;
    pendingBusy = true;
    try {
      const r = await api('/api/v1/pending');
      const reasons = r.reasons || [];
      pendingCount = reasons.length;
      AG.$('#pending').replaceChildren(...(reasons.length ? reasons.map((x) => h('li', { 'data-kind': x.kind },
        AG.badge(KIND_LABEL[x.kind] || x.kind, x.kind === 'unreachable' || x.kind === 'disconnected' ? 'bad' : 'wait'),
        h('span', {}, x.message || JSON.stringify(x)))) : [h('li', { class: 'empty-note' }, 'Nothing holds work back: no suppressed frameworks, roles at their quota limit, filtered offers, draining or unreachable agents.')]));
      AG.$('#pending-updated').textContent = 'as of ' + new Date().toLocaleTimeString('en-GB');
      renderCards();
    } catch (_) { /* shown by api() */ } finally { pendingBusy = false; }
  }

  // ---------------------------------------------------------------------------------------
  // Loading, then following events. Events that come while the lists load are held and
  // applied after, so that nothing between the read and the stream is lost.

  let held = null;       // events held during a load, or null when applying them at once
  let loading = null;    // the running load
  let loadAgain = false;

  async function getAllTasks() {
    const out = [];
    for (let offset = 0, total = Infinity; offset < total && offset < 200000;) {
      const page = await api(`/api/v1/tasks?offset=${offset}&limit=1000`);
      out.push(...page.tasks);
      total = page.total;
      if (!page.tasks.length) break;
      offset += page.tasks.length;
    }
    return out;
  }

  function reload() {
    if (loading) { loadAgain = true; return loading; }
    held = held || [];
    loading = (async () => {
      try {
        const [a, f, t] = await Promise.all([api('/api/v1/agents'), api('/api/v1/frameworks'), getAllTasks()]);
        agents.setRows(a.agents || []);
        frameworks.setRows(f.frameworks || []);
        tasks.setRows(t);
        const pending = held;
        held = null;
        for (const [type, data] of pending) apply(type, data);
        recomputeUsage();
      } catch (_) {
        setTimeout(reload, 5000);  // shown by api(); try again
      } finally {
        loading = null;
        if (loadAgain) { loadAgain = false; reload(); }
      }
    })();
    return loading;
  }

  function apply(type, d) {
    switch (type) {
      case 'AGENT_ADDED':
      case 'AGENT_UPDATED':
        agents.upsert(d.agent);
        break;
      case 'AGENT_UNREACHABLE': {
        const a = agents.get(d.agent_id);
        if (a) agents.upsert({ ...a, state: 'unreachable' });
        break;
      }
      case 'AGENT_REMOVED':
        agents.remove(d.agent_id);
        break;
      case 'FRAMEWORK_ADDED':
      case 'FRAMEWORK_UPDATED':
        frameworks.upsert(d.framework);
        tasks.invalidateAll();  // framework names in the task rows
        break;
      case 'FRAMEWORK_REMOVED':
        frameworks.remove(d.framework_id);
        break;
      case 'TASK_ADDED':
        tasks.upsert(d.task);
        usageChanged();
        break;
      case 'TASK_UPDATED': {
        const key = (d.framework_id || '') + '/' + d.task_id;
        const t = tasks.get(key);
        if (t) {
          const next = { ...t, state: d.state, status: d.status || t.status, agent_id: d.agent_id || t.agent_id };
          if (TERMINAL.has(d.state)) delete next.usage;
          tasks.upsert(next);
        } else {
          // Not seen yet: show what the event says, and read the rest of the task.
          tasks.upsert({ id: d.task_id, framework_id: d.framework_id, agent_id: d.agent_id, state: d.state, status: d.status, resources: {} });
          api(`/api/v1/tasks?framework_id=${encodeURIComponent(d.framework_id)}&task_id=${encodeURIComponent(d.task_id)}`)
            .then((r) => { for (const x of r.tasks || []) tasks.upsert(x); usageChanged(); }).catch(() => {});
        }
        if (drawer && openKey === key) drawer.refresh();
        usageChanged();
        break;
      }
      default:
        return;
    }
    if (type.startsWith('AGENT') || type.startsWith('FRAMEWORK')) renderCards();
  }

  const EVENT_TYPES = ['AGENT_ADDED', 'AGENT_UPDATED', 'AGENT_UNREACHABLE', 'AGENT_REMOVED', 'FRAMEWORK_ADDED', 'FRAMEWORK_UPDATED',
    'FRAMEWORK_REMOVED', 'TASK_ADDED', 'TASK_UPDATED', 'UTILIZATION', 'EVENTS_LOST'];

  let started = false;
  const startOnce = () => { if (!started) { started = true; reload(); } };
  AG.eventStream('/api/v1/events', {
    types: EVENT_TYPES,
    onEvent(type, data) {
      if (type === 'UTILIZATION') {
        samples.push(data);
        if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
        if (!AG.$('[data-panel="overview"]').hidden) drawUtilisation();
        renderCards();
      } else if (type === 'EVENTS_LOST') {
        AG.notify('Reading the state again', data.message || 'the master no longer holds the events this page missed');
        reload();
      } else if (held) {
        // A load that keeps failing must not hold events without end: read everything again.
        if (held.length > 200000) { held.length = 0; loadAgain = true; }
        held.push([type, data]);
      } else {
        apply(type, data);
      }
    },
    onStatus(state) {
      header.setStatus(state, { live: 'live', reconnecting: 'reconnecting…', down: 'no live updates' }[state]);
      if (state === 'live' || state === 'down') startOnce();
    },
    onReset: reload,
  });
  // The lists are worth showing even if the stream never opens.
  setTimeout(startOnce, 3000);

  loadRoles();
  loadPending();
  setInterval(() => { if (!document.hidden) { loadRoles(); loadPending(); } }, 5000);

  AG.tabs(header.nav, {
    onShow(id) {
      if (id === 'overview') drawUtilisation();
      for (const t of [agents, frameworks, tasks, roles]) t.schedule();
      if (id === 'roles') loadRoles();
    },
  });
  renderCards();

  // For tests and the console: the page's own code paths.
  window.dashboard = { agents, frameworks, tasks, roles, drainAgent, undrainAgent, reload, openTask, closeTask, samples };
})();
