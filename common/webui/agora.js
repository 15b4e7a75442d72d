// Shared helpers of Agora's pages (the master's dashboard, agora-marathon's and agora-batch's
// pages). A classic script that defines one global, AG, so that the pages need no module
// loader and a test can reach the same code paths with execute_script.
'use strict';

const AG = (() => {
  // ---------------------------------------------------------------------------------------
  // DOM building. Text always goes in as text nodes: names and commands come from users.

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  function setAttrs(el, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.setAttribute('class', v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  const $ = (sel, root = document) => root.querySelector(sel);

  // ---------------------------------------------------------------------------------------
  // Toasts. Every failed call lands here; the same message repeated (a poll that keeps failing)
  // becomes one toast with a count rather than a pile.

  let toastBox = null;
  const openToasts = new Map();

  function toast(kind, title, detail, { sticky = kind === 'error', timeoutMs = 6000 } = {}) {
    if (!toastBox) {
      toastBox = h('div', { id: 'ag-toasts', role: 'status', 'aria-live': 'polite' });
      document.body.append(toastBox);
    }
    const key = kind + '\n' + title + '\n' + (detail || '');
    const open = openToasts.get(key);
    if (open) {
      open.count++;
      open.counter.textContent = '×' + open.count;
      open.counter.hidden = false;
      toastBox.append(open.el);  // newest at the bottom
      return open.el;
    }
    const counter = h('span', { class: 'toast-count', hidden: true });
    const close = () => { el.remove(); openToasts.delete(key); };
    const el = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : 'status' },
      h('div', { class: 'toast-title' }, title, ' ', counter),
      detail ? h('div', { class: 'toast-detail' }, detail) : null,
      h('button', { class: 'toast-close', title: 'Dismiss', 'aria-label': 'Dismiss', onclick: close }, '×'));
    openToasts.set(key, { el, count: 1, counter });
    toastBox.append(el);
    if (!sticky) setTimeout(close, timeoutMs);
    return el;
  }

  const showError = (title, detail) => toast('error', title, detail);
  const notify = (title, detail) => toast('info', title, detail);

  // ---------------------------------------------------------------------------------------
  // The fetch wrapper. A failure is always shown to the person (status and the server's own
  // words) and also thrown, so that the caller can undo what it showed optimistically.

  class ApiError extends Error {
    constructor(status, message, method, url) {
      super(message);
      this.status = status;  // 0: no answer at all
      this.method = method;
      this.url = url;
    }
  }

  // The server's explanation: {"error": ...} (Agora), {"message": ...} (Marathon, Metronome),
  // else the start of the text.
  function errorText(body, fallback) {
    try {
      const j = JSON.parse(body);
      const m = j && (j.error ?? j.message);
      // Marathon's 422 names each invalid field in "details".
      const details = j && Array.isArray(j.details)
        ? j.details.map((d) => `\n${d.path || ''}: ${(d.errors || []).join(', ')}`).join('') : '';
      if (m !== undefined) return (typeof m === 'string' ? m : JSON.stringify(m)) + details;
    } catch (_) { /* not JSON */ }
    const t = (body || '').trim();
    return t ? t.slice(0, 400) : fallback;
  }

  // ---------------------------------------------------------------------------------------
  // Bearer tokens, for daemons started with --tokens. The page takes one from ?token= (the
  // link `agora dev --secure` prints; it is then taken out of the address bar) or asks when an
  // API answers 401, and keeps it in this browser's localStorage.
  const TOKEN_KEY = 'agora.token';
  let token = (() => {
    const params = new URLSearchParams(location.search);
    const given = params.get('token');
    if (given) {
      localStorage.setItem(TOKEN_KEY, given);
      params.delete('token');
      const rest = params.toString();
      history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
    }
    return localStorage.getItem(TOKEN_KEY) || '';
  })();

  // Another origin (an agent's file API) gets the token as ?access_token=: an Authorization
  // header would need a CORS preflight the agents do not answer. EventSource cannot send
  // headers at all.
  function withToken(url) {
    if (!token) return url;
    return url + (url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(token);
  }

  function askForToken() {
    const given = window.prompt('This API needs a bearer token (see docs/security.md). Token:');
    if (!given) return false;
    token = given.trim();
    localStorage.setItem(TOKEN_KEY, token);
    return true;
  }

  // path: "/api/v1/agents" on this daemon, or a whole URL (an agent's file API).
  async function api(path, options = {}, retried = false) {
    const { method = 'GET', body, headers = {}, signal } = options;
    const init = { method, headers: { Accept: 'application/json', ...headers }, signal };
    const crossOrigin = /^https?:/.test(path);
    const sentWith = token;
    if (token && !crossOrigin) init.headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
    let res;
    try {
      res = await fetch(crossOrigin ? withToken(path) : path, init);
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      showError(`${method} ${path}: no answer`, 'the server did not answer (' + e.message + ')');
      throw new ApiError(0, e.message, method, path);
    }
    const text = await res.text();
    // Calls refused together ask once: the others find the token given meanwhile.
    if (res.status === 401 && !retried && (token !== sentWith || askForToken())) return api(path, options, true);
    if (!res.ok) {
      const msg = errorText(text, res.statusText || 'no explanation given');
      showError(`HTTP ${res.status} from ${method} ${path}`, msg);
      throw new ApiError(res.status, msg, method, path);
    }
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      showError(`${method} ${path}: the reply is not JSON`, text.slice(0, 200));
      throw new ApiError(res.status, 'the reply is not JSON', method, path);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Server-sent events. EventSource reconnects by itself after a dropped connection and sends
  // Last-Event-ID, so the server replays what was missed. It gives up only when the server
  // refuses the stream (an HTTP error); then we ask once with fetch to show why, and open a new
  // stream later. A new stream has no Last-Event-ID: the page must read its state again
  // (onReset), as it must on a `lost` event that the caller names in `types`.

  function eventStream(url, { types, onEvent, onStatus = () => {}, onReset = () => {} }) {
    let es = null, closed = false, retryMs = 1000, timer = null;
    let everOpen = false;   // a stream was open before: what follows is a reconnection
    let fresh = true;       // this EventSource has not opened yet
    let lastId = '';        // the newest event id this EventSource saw

    function connect() {
      es = new EventSource(withToken(url));
      fresh = true;
      lastId = '';
      for (const type of types) {
        es.addEventListener(type, (e) => {
          if (e.lastEventId) lastId = e.lastEventId;
          let data;
          try {
            data = JSON.parse(e.data);
          } catch (_) {
            showError(`Event ${type} from ${url} is not JSON`, String(e.data).slice(0, 200));
            return;
          }
          try {
            onEvent(type, data, e.lastEventId);
          } catch (err) {
            showError(`The page failed on event ${type}`, String(err && err.stack || err));
          }
        });
      }
      // The browser's own reconnection replays what was missed, but only after an event with
      // an id: without one it resumes from now, as does a new EventSource.
      es.onopen = () => {
        retryMs = 1000;
        onStatus('live');
        if (everOpen && (fresh || !lastId)) onReset();
        everOpen = true;
        fresh = false;
      };
      es.onerror = () => {
        if (closed) return;
        if (es.readyState === EventSource.CONNECTING) return onStatus('reconnecting');
        onStatus('down');
        es.close();
        explain();
        timer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 30000);
      };
    }

    // Why the stream was refused: EventSource does not say, so ask and hang up at once.
    async function explain() {
      const ctl = new AbortController();
      try {
        const res = await fetch(withToken(url), { signal: ctl.signal, headers: { Accept: 'text/event-stream' } });
        if (!res.ok) {
          const msg = errorText(await res.text(), res.statusText);
          showError(`HTTP ${res.status} from GET ${url} (live updates)`, msg + ` — retrying every ${retryMs / 1000} s or so`);
        }
      } catch (e) {
        if (e.name !== 'AbortError') showError(`GET ${url}: no answer (live updates)`, e.message);
      } finally {
        ctl.abort();
      }
    }

    connect();
    return {
      close() { closed = true; clearTimeout(timer); if (es) es.close(); },
    };
  }

  // ---------------------------------------------------------------------------------------
  // Formatting.

  const fmt = {
    num(x, digits = 2) {
      if (x === undefined || x === null || Number.isNaN(x)) return '—';
      return Number(x).toLocaleString('en-US', { maximumFractionDigits: digits });
    },
    // Agora's mem and disk are MiB.
    mib(x) {
      if (x === undefined || x === null) return '—';
      if (Math.abs(x) >= 1024 * 1024) return fmt.num(x / (1024 * 1024), 1) + ' TiB';
      if (Math.abs(x) >= 1024) return fmt.num(x / 1024, 1) + ' GiB';
      return fmt.num(x, 0) + ' MiB';
    },
    bytes(x) {
      if (x === undefined || x === null) return '—';
      return x < 1024 * 1024 ? fmt.num(x / 1024, 0) + ' KiB' : fmt.mib(x / (1024 * 1024));
    },
    pct(x) { return x === undefined || x === null ? '—' : fmt.num(x * 100, 1) + '%'; },
    time(unixSeconds) {
      if (!unixSeconds) return '—';
      return new Date(unixSeconds * 1000).toLocaleString('sv-SE');  // YYYY-MM-DD HH:MM:SS
    },
    clock(unixSeconds) { return new Date(unixSeconds * 1000).toLocaleTimeString('en-GB'); },
    duration(seconds) {
      if (seconds === undefined || seconds === null) return '—';
      const s = Math.max(0, Math.round(seconds));
      if (s < 60) return s + ' s';
      if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
      if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
      return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
    },
    // One resource value as Agora's JSON gives it: a scalar, ranges [[b, e], ...] or a set.
    value(name, v) {
      if (Array.isArray(v)) return v.map((r) => (Array.isArray(r) ? (r[0] === r[1] ? r[0] : r[0] + '-' + r[1]) : r)).join(',');
      if (/^(mem|disk)\b/.test(name)) return fmt.mib(v);
      return fmt.num(v);
    },
    // Zeros are left out: "cpus 0 · disk 0 MiB" says nothing.
    resources(obj) {
      const parts = Object.entries(obj || {}).filter(([, v]) => v !== 0).map(([k, v]) => k + ' ' + fmt.value(k, v));
      return parts.length ? parts.join(' · ') : '—';
    },
    attributes(obj) {
      if (!obj || !Object.keys(obj).length) return '';
      return Object.entries(obj).map(([k, v]) => k + ':' + v).join(' ');
    },
  };

  // ---------------------------------------------------------------------------------------
  // A virtual table: sortable, searchable, and only the rows in view are in the DOM, so that it
  // stays fast with tens of thousands of rows. Rows are plain objects, known by key(row);
  // upsert and remove only mark it dirty, and it redraws once per animation frame.
  //
  // columns: [{id, label, width ('120px', '2fr'), value(row) (for sorting; default row[id]),
  //            cell(row) (text or a Node; default the value), align: 'right', title(row)}]

  class Table {
    constructor(container, { columns, key, rowHeight = 34, maxHeight = 520, search = true, placeholder = 'Search',
                             sort, onRowClick, rowClass, emptyText = 'Nothing to show', tools = [], filter } = {}) {
      Object.assign(this, { columns, key, rowHeight, onRowClick, rowClass, emptyText, filter });
      this.rows = new Map();
      this.searchCache = new Map();  // key -> lowercase text of the row, built on demand
      this.query = '';
      this.sortBy = sort || { id: columns[0].id, dir: 1 };
      this.view = [];                // keys, filtered and sorted
      this.dirtyView = true;
      this.stale = new Set();        // keys whose rows must be built again
      this.built = new Map();        // key -> row element in the DOM
      this.frame = 0;

      const grid = columns.map((c) => c.width || '1fr').join(' ');
      this.searchBox = search ? h('input', { type: 'search', class: 'vt-search', placeholder, 'aria-label': placeholder,
        oninput: (e) => { this.query = e.target.value.trim().toLowerCase(); this.dirtyView = true; this.body.scrollTop = 0; this.schedule(); } }) : null;
      this.counter = h('span', { class: 'vt-count' });
      this.head = h('div', { class: 'vt-row vt-head', style: { gridTemplateColumns: grid } },
        columns.map((c) => h('button', { class: 'vt-th' + (c.align === 'right' ? ' right' : ''), 'data-col': c.id,
          onclick: () => this.sortOn(c.id) }, c.label, h('span', { class: 'vt-arrow' }))));
      this.spacer = h('div', { class: 'vt-spacer' });
      this.empty = h('div', { class: 'vt-empty', hidden: true }, emptyText);
      this.body = h('div', { class: 'vt-body', style: { maxHeight: maxHeight + 'px' }, onscroll: () => this.schedule() },
        this.head, this.spacer, this.empty);
      this.grid = grid;
      // Head and rows share one width, so that fr columns resolve alike in both; below the sum
      // of the columns' least widths the table scrolls sideways.
      const least = columns.reduce((sum, c) => sum + (parseInt(/(\d+)px/.exec(c.width || '')?.[1] || '80', 10)), 0);
      this.head.style.minWidth = this.spacer.style.minWidth = least + 'px';
      this.el = h('div', { class: 'vt' }, h('div', { class: 'vt-tools' }, this.searchBox, tools, this.counter), this.body);
      this.spacer.addEventListener('click', (e) => {
        const rowEl = e.target.closest('.vt-row');
        if (!rowEl || e.target.closest('button, a, input, select')) return;
        const row = this.rows.get(rowEl.dataset.key);
        if (row && this.onRowClick) this.onRowClick(row, e);
      });
      container.append(this.el);
      new ResizeObserver(() => this.schedule()).observe(this.body);
      this.markSort();
    }

    setRows(rows) {
      this.rows.clear();
      this.searchCache.clear();
      for (const r of rows) this.rows.set(this.key(r), r);
      this.invalidateAll();
    }

    upsert(row) {
      const k = this.key(row);
      this.rows.set(k, row);
      this.searchCache.delete(k);
      this.stale.add(k);
      this.dirtyView = true;
      this.schedule();
    }

    remove(k) {
      if (!this.rows.delete(k)) return;
      this.searchCache.delete(k);
      this.dirtyView = true;
      this.schedule();
    }

    get(k) { return this.rows.get(k); }
    get size() { return this.rows.size; }
    all() { return this.rows.values(); }

    // The row's cells depend on something besides the row object (a derived figure).
    touch(k) { this.stale.add(k); this.searchCache.delete(k); this.dirtyView = true; this.schedule(); }
    invalidateAll() { for (const k of this.built.keys()) this.stale.add(k); this.searchCache.clear(); this.dirtyView = true; this.schedule(); }

    sortOn(id) {
      this.sortBy = this.sortBy.id === id ? { id, dir: -this.sortBy.dir } : { id, dir: 1 };
      this.markSort();
      this.dirtyView = true;
      this.schedule();
    }

    markSort() {
      for (const th of this.head.children) {
        const on = th.dataset.col === this.sortBy.id;
        th.classList.toggle('sorted', on);
        th.lastChild.textContent = on ? (this.sortBy.dir > 0 ? ' ▲' : ' ▼') : '';
        th.setAttribute('aria-sort', on ? (this.sortBy.dir > 0 ? 'ascending' : 'descending') : 'none');
      }
    }

    schedule() {
      if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
    }

    searchText(k, row) {
      let t = this.searchCache.get(k);
      if (t === undefined) {
        t = this.columns.map((c) => {
          const v = c.search ? c.search(row) : c.value ? c.value(row) : row[c.id];
          return v === undefined || v === null ? '' : String(v);
        }).join('\u0001').toLowerCase();
        this.searchCache.set(k, t);
      }
      return t;
    }

    computeView() {
      const col = this.columns.find((c) => c.id === this.sortBy.id) || this.columns[0];
      const get = col.value || ((r) => r[col.id]);
      const items = [];
      for (const [k, row] of this.rows) {
        if (this.filter && !this.filter(row)) continue;
        if (this.query && !this.searchText(k, row).includes(this.query)) continue;
        items.push([get(row), k]);
      }
      const dir = this.sortBy.dir;
      const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
      items.sort((a, b) => {
        const x = a[0], y = b[0];
        let c;
        if (x === y) c = 0;
        else if (x === undefined || x === null || x === '') c = 1;   // blanks last either way
        else if (y === undefined || y === null || y === '') c = -1;
        else c = dir * (typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y)));
        return c || collator.compare(a[1], b[1]);
      });
      this.view = items.map((i) => i[1]);
      this.dirtyView = false;
    }

    buildRow(k, row) {
      const el = h('div', { class: 'vt-row' + (this.rowClass ? ' ' + (this.rowClass(row) || '') : '') + (this.onRowClick ? ' clickable' : ''),
        'data-key': k, style: { gridTemplateColumns: this.grid, height: this.rowHeight + 'px' } },
      this.columns.map((c) => {
        const v = c.cell ? c.cell(row) : c.value ? c.value(row) : row[c.id];
        const td = h('div', { class: 'vt-td' + (c.align === 'right' ? ' right' : ''), 'data-col': c.id }, v);
        const title = c.title ? c.title(row) : (v instanceof Node ? null : v);
        if (title !== null && title !== undefined && title !== '') td.title = String(title);
        return td;
      }));
      return el;
    }

    // Only the rows in view are built; a row already built is moved, not rebuilt, so that a
    // click on one of its buttons is never lost to a redraw.
    render() {
      if (this.dirtyView) this.computeView();
      const n = this.view.length;
      const rows = (x) => x.toLocaleString('en-US') + (x === 1 ? ' row' : ' rows');
      this.counter.textContent = n === this.rows.size ? rows(n) : `${n.toLocaleString('en-US')} of ${rows(this.rows.size)}`;
      this.empty.hidden = n > 0;
      this.spacer.style.height = n * this.rowHeight + 'px';
      const headH = this.head.offsetHeight;
      const top = Math.max(0, this.body.scrollTop - headH);
      const height = this.body.clientHeight || 600;
      const overscan = 8;
      const first = Math.max(0, Math.floor(top / this.rowHeight) - overscan);
      const last = Math.min(n, Math.ceil((top + height) / this.rowHeight) + overscan);
      const want = new Map();
      for (let i = first; i < last; i++) want.set(this.view[i], i);
      for (const [k, el] of this.built) {
        if (!want.has(k) || this.stale.has(k) || !this.rows.has(k)) { el.remove(); this.built.delete(k); }
      }
      this.stale.clear();
      for (const [k, i] of want) {
        let el = this.built.get(k);
        if (!el) {
          el = this.buildRow(k, this.rows.get(k));
          this.built.set(k, el);
          this.spacer.append(el);
        }
        const y = i * this.rowHeight + 'px';
        if (el.style.top !== y) el.style.top = y;
        el.classList.toggle('odd', i % 2 === 1);
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Charts, drawn as SVG by hand. Both redraw on resize.

  const PALETTE = ['#2f6fdd', '#e08a00', '#7a7f87', '#1a9e6a', '#c2410c', '#8b5cf6', '#d6336c', '#0e9aa7'];

  // Round steps for an axis from 0 to max: 1, 2, 5 × 10^k.
  function ticks(max, count = 4) {
    if (!(max > 0)) return [0, 1];
    const raw = max / count;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= raw);
    const out = [];
    for (let v = 0; v <= max + step * 0.999; v += step) out.push(v);
    return out;
  }

  function onResize(el, draw) {
    let w = 0;
    new ResizeObserver(() => { if (el.clientWidth !== w) { w = el.clientWidth; draw(); } }).observe(el);
  }

  // A time series chart. series: [{name, color, dash, points: [[unixSeconds, value], ...]}].
  // update(series) redraws; the x axis spans the last `windowSeconds` (setWindow changes it).
  // yUnit: ticks fall on round multiples of it (1024 for MiB shown as GiB).
  function lineChart(container, { title, height = 180, yFormat = fmt.num, yUnit = 1, windowSeconds = 600 } = {}) {
    const box = h('div', { class: 'chart' });
    const legend = h('div', { class: 'chart-legend' });
    container.append(h('div', { class: 'chart-card' }, title ? h('div', { class: 'chart-title' }, title) : null, legend, box));
    let series = [];

    function draw() {
      const width = Math.max(240, box.clientWidth || 480);
      const m = { l: 64, r: 12, t: 8, b: 22 };
      const w = width - m.l - m.r, hh = height - m.t - m.b;
      const now = Math.max(Date.now() / 1000, ...series.map((x) => (x.points.length ? x.points[x.points.length - 1][0] : 0)));
      const x0 = now - windowSeconds;
      let ymax = 0;
      for (const x of series) for (const p of x.points) if (p[0] >= x0) ymax = Math.max(ymax, p[1]);
      const unit = ymax >= yUnit ? yUnit : 1;
      const ys = ticks(ymax / unit || 1).map((v) => v * unit);
      const ytop = ys[ys.length - 1];
      const X = (t) => m.l + ((t - x0) / windowSeconds) * w;
      const Y = (v) => m.t + hh - (v / ytop) * hh;
      const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title || 'chart' });
      for (const v of ys) {
        svg.append(s('line', { x1: m.l, x2: m.l + w, y1: Y(v), y2: Y(v), class: 'grid' }));
        svg.append(s('text', { x: m.l - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'axis' }, yFormat(v)));
      }
      const xstep = windowSeconds / 5;
      for (let t = Math.ceil(x0 / xstep) * xstep; t <= now; t += xstep)
        svg.append(s('text', { x: X(t), y: height - 6, 'text-anchor': 'middle', class: 'axis' }, fmt.clock(t).slice(0, 5)));
      const anyPoints = series.some((x) => x.points.length);
      if (!anyPoints) svg.append(s('text', { x: m.l + w / 2, y: m.t + hh / 2, 'text-anchor': 'middle', class: 'axis' }, 'waiting for samples…'));
      series.forEach((x, i) => {
        const pts = x.points.filter((p) => p[0] >= x0 - 5);
        if (!pts.length) return;
        const d = pts.map((p, j) => (j ? 'L' : 'M') + X(p[0]).toFixed(1) + ' ' + Y(p[1]).toFixed(1)).join('');
        svg.append(s('path', { d, fill: 'none', stroke: x.color || PALETTE[i % PALETTE.length], 'stroke-width': 2,
          'stroke-dasharray': x.dash || null, 'stroke-linejoin': 'round' }, s('title', {}, x.name)));
      });
      box.replaceChildren(svg);
      legend.replaceChildren(...series.map((x, i) => {
        const last = x.points[x.points.length - 1];
        return h('span', { class: 'legend-item' },
          h('span', { class: 'swatch', style: { background: x.color || PALETTE[i % PALETTE.length] } }),
          x.name, last ? h('b', {}, ' ' + yFormat(last[1])) : null);
      }));
    }

    onResize(box, draw);
    return { update(next) { series = next; draw(); }, setWindow(sec) { windowSeconds = sec; draw(); } };
  }

  // Horizontal bars: [{label, value, color, title}], value in [0, max].
  function barChart(container, { title, max = 1, format = fmt.pct, emptyText = 'Nothing to show' } = {}) {
    const box = h('div', { class: 'chart' });
    container.append(h('div', { class: 'chart-card' }, title ? h('div', { class: 'chart-title' }, title) : null, box));
    let bars = [];

    function draw() {
      const width = Math.max(240, box.clientWidth || 480);
      const rowH = 24, labelW = Math.min(200, width * 0.35), valueW = 64;
      const height = Math.max(rowH, bars.length * rowH) + 4;
      const top = Math.max(max, ...bars.map((b) => b.value || 0));
      const w = width - labelW - valueW - 12;
      const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title || 'bar chart' });
      if (!bars.length) svg.append(s('text', { x: width / 2, y: 16, 'text-anchor': 'middle', class: 'axis' }, emptyText));
      bars.forEach((b, i) => {
        const y = i * rowH + 2;
        svg.append(s('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'label' }, b.label));
        svg.append(s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 8, class: 'track', rx: 3 }));
        svg.append(s('rect', { x: labelW, y: y + 3, width: Math.max(0, (b.value / top) * w), height: rowH - 8, rx: 3,
          fill: b.color || PALETTE[i % PALETTE.length] }, s('title', {}, b.title || `${b.label}: ${format(b.value)}`)));
        svg.append(s('text', { x: labelW + w + 6, y: y + 15, class: 'value' }, format(b.value)));
      });
      box.replaceChildren(svg);
    }

    onResize(box, draw);
    return { update(next) { bars = next; draw(); } };
  }

  // ---------------------------------------------------------------------------------------
  // Page frame: the header with the daemon's name, tabs kept in the URL's hash, dialogs.

  function header({ name, subtitle, tabs = [] }) {
    document.title = name;
    const status = h('span', { class: 'live-pill', id: 'ag-live', 'data-state': 'connecting' }, 'connecting…');
    const nav = h('nav', { class: 'tabs', role: 'tablist' },
      tabs.map((t) => h('a', { href: '#' + t.id, role: 'tab', 'data-tab': t.id }, t.label)));
    const el = h('header', { class: 'ag-header' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'), h('h1', {}, name),
        subtitle ? h('span', { class: 'subtitle' }, subtitle) : null),
      nav, status);
    document.body.prepend(el);
    return {
      el, nav,
      setStatus(state, text) { status.dataset.state = state; status.textContent = text || state; },
      setSubtitle(text) { const sub = el.querySelector('.subtitle'); if (sub) sub.textContent = text; },
    };
  }

  // Panels are <section data-panel="ID">; the tab in the hash is shown, the others hidden.
  function tabs(nav, { onShow = () => {} } = {}) {
    const ids = [...nav.querySelectorAll('[data-tab]')].map((a) => a.dataset.tab);
    function show() {
      const id = ids.includes(location.hash.slice(1)) ? location.hash.slice(1) : ids[0];
      for (const a of nav.querySelectorAll('[data-tab]')) a.setAttribute('aria-selected', String(a.dataset.tab === id));
      for (const p of document.querySelectorAll('[data-panel]')) p.hidden = p.dataset.panel !== id;
      onShow(id);
    }
    window.addEventListener('hashchange', show);
    show();
    return { show };
  }

  // A modal form. fields: [{name, label, type ('textarea' too), value, hint}]. Resolves to the
  // values, or null when cancelled.
  function dialog({ title, text, fields = [], ok = 'OK', danger = false, wide = false }) {
    return new Promise((resolve) => {
      const inputs = fields.map((f) => (f.type === 'textarea'
        ? h('textarea', { name: f.name, rows: f.rows || 12, spellcheck: 'false' }, f.value ?? '')
        : h('input', { name: f.name, type: f.type || 'text', value: f.value ?? '', step: f.step || null })));
      const form = h('form', { method: 'dialog', class: 'ag-dialog-form', novalidate: true },
        h('h2', {}, title), text ? h('p', {}, text) : null,
        fields.map((f, i) => h('label', {}, f.label, inputs[i], f.hint ? h('small', {}, f.hint) : null)),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'btn', value: 'cancel', onclick: () => done(null) }, 'Cancel'),
          h('button', { type: 'submit', class: 'btn ' + (danger ? 'danger' : 'primary'), value: 'ok' }, ok)));
      const dlg = h('dialog', { class: 'ag-dialog' + (wide ? ' wide' : '') }, form);
      let settled = false;
      function done(values) {
        if (settled) return;
        settled = true;
        dlg.close();
        dlg.remove();
        resolve(values);
      }
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        done(Object.fromEntries(fields.map((f, i) => [f.name, inputs[i].value])));
      });
      dlg.addEventListener('cancel', () => done(null));
      document.body.append(dlg);
      dlg.showModal();
      if (inputs[0] && inputs[0].select) inputs[0].select();
    });
  }

  // ---------------------------------------------------------------------------------------
  // Following a file of a task's sandbox through an agent's /api/v1/files/read: starts near
  // the end, then reads what was appended, once a second, until stop(). An error is shown
  // once and ends the following (onStop tells why); the caller can start again.

  function tailFile({ agentUrl, frameworkId, taskId, file, onData, onStop = () => {}, tailBytes = 64 * 1024 }) {
    let stopped = false, timer = null, offset = null;
    const ctl = new AbortController();
    const url = (off, len) => `${agentUrl}/api/v1/files/read?task_id=${encodeURIComponent(taskId)}` +
      `&framework_id=${encodeURIComponent(frameworkId)}&file=${encodeURIComponent(file)}&offset=${off}&length=${len}`;

    async function step() {
      try {
        if (offset === null) {
          const head = await api(url(0, 0), { signal: ctl.signal });
          offset = Math.max(0, head.size - tailBytes);
          if (offset > 0) onData(`… (${fmt.bytes(offset)} before this not shown)\n`);
        }
        // Read until caught up: a fast writer may have added more than one reply holds.
        for (let i = 0; i < 16 && !stopped; i++) {
          const r = await api(url(offset, 256 * 1024), { signal: ctl.signal });
          if (r.data) onData(r.data);
          const moved = r.next_offset !== offset;
          offset = r.next_offset;
          if (!moved || offset >= r.size) break;
        }
        if (!stopped) timer = setTimeout(step, 1000);
      } catch (e) {
        if (stopped || e.name === 'AbortError') return;
        stopped = true;
        onStop(e);
      }
    }

    step();
    return { stop() { stopped = true; clearTimeout(timer); ctl.abort(); } };
  }

  // Small things the pages share.
  const badge = (text, kind) => h('span', { class: 'badge ' + (kind || String(text).toLowerCase()) }, text);
  const stateKind = (state) => {
    const s = String(state || '').replace(/^TASK_/, '');
    if (['RUNNING', 'FINISHED', 'ACTIVE'].includes(s)) return 'ok';
    if (['STAGING', 'STARTING', 'KILLING', 'RECOVERED'].includes(s)) return 'wait';
    if (['FAILED', 'ERROR', 'LOST', 'UNREACHABLE', 'GONE', 'DROPPED'].includes(s)) return 'bad';
    return 'muted';
  };
  const stateBadge = (state) => badge(String(state || '?').replace(/^TASK_/, ''), stateKind(state));

  return { h, s, $, api, ApiError, showError, notify, toast, eventStream, fmt, Table, lineChart, barChart, ticks,
    header, tabs, dialog, tailFile, badge, stateBadge, stateKind, PALETTE };
})();
