"use strict";
// What every page shares: its texts, calls to the hall's API, and a live stream that notices
// within seconds when the server is gone and comes back by itself.
const Hall = (() => {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const texts = data.texts || {};
  let csrfToken = null;

  function t(key, fields) {
    const text = texts[key] ?? key;
    return fields ? text.replace(/\{(\w+)\}/g, (whole, name) => (name in fields ? fields[name] : whole)) : text;
  }

  // crypto.randomUUID needs a secure context; a hall's server is often plain http on the LAN.
  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  class ApiError extends Error {
    constructor(status, problem, retryAfter) {
      super(problem.message || `HTTP ${status}`);
      this.status = status;
      this.error = problem.error || (status ? "http" : "network");
      this.reason = problem.reason || null;
      this.retryAfter = retryAfter;
    }
  }

  // Writes carry the session's CSRF token and an idempotency key: a fresh one, unless the
  // caller sends the same write again (a retry after an answer that was lost).
  async function api(method, path, body, key = newKey()) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") {
      if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
      headers["Idempotency-Key"] = key;
    }
    let response;
    try {
      response = await fetch(path, { method, headers, cache: "no-store", credentials: "same-origin",
                                     body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, { error: "network", message: String(e) });
    }
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (!response.ok) throw new ApiError(response.status, json || {}, response.headers.get("Retry-After"));
    return json;
  }

  const pad = (n) => String(n).padStart(2, "0");
  // Times are the hall's, whatever zone the browser's machine was set to.
  const zone = document.documentElement.dataset.zone || undefined;
  const inHall = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hourCycle: "h23", month: "numeric",
                                                    day: "numeric", hour: "2-digit", minute: "2-digit" });
  function parts(iso) {
    return Object.fromEntries(inHall.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  }
  function hhmm(iso) {
    const p = parts(iso);
    return t("common.time", { H: p.hour, M: p.minute });
  }
  function dayTime(iso) {
    const p = parts(iso);
    return `${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }
  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return t("common.duration", { m: Math.floor(s / 60), s: pad(s % 60) });
  }
  // load() `ms` after an event, once for a burst of them (a call is two or three), and once more
  // after it if events came while it ran; never two at once. Waiting for a pause instead would
  // never load while kiosks issue without one, as a busy morning does.
  function soon(load, ms = 100, failed = () => {}) {
    let pending = false;
    let running = false;
    async function run() {
      pending = false;
      running = true;
      try { await load(); } catch (e) { failed(e); }
      running = false;
      if (pending) setTimeout(run, ms);
    }
    return () => {
      if (pending) return;
      pending = true;
      if (!running) setTimeout(run, ms);
    };
  }

  // A terminal as staff know it: where it stands (its device's location, as registered or as
  // its help calls told the hall: the page's starting data, then each call), else its id. The page's texts must
  // hold the devices section.
  const locations = data.locations || {};
  const whereIs = (deviceId) => locations[deviceId] || "";
  function deviceName(deviceId, kind, location = whereIs(deviceId)) {
    return location ? t("devices.placed", { kind: t(`devices.kind_${kind}`), location }) : deviceId;
  }
  function learnLocation(deviceId, location) {
    if (location) locations[deviceId] = location;
  }
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  // A live stream: opens the server's event stream, and once its `ready` message says where the
  // stream starts, loads what the page shows (onReady); events arriving meanwhile wait and are
  // applied after, so none is lost or applied before the state it follows. Silence longer than
  // staleAfter (the server ticks every second) or an error counts as lost: the page is told at
  // once, and the stream is opened again every retryAfter until the server answers.
  class Live {
    constructor(url, { onReady, handlers = {}, onStatus = () => {}, staleAfter = 3000, retryAfter = 1000 }) {
      Object.assign(this, { url, onReady, handlers, onStatus, staleAfter, retryAfter });
      this.source = null;
      this.online = null;
      this.pending = null;
    }
    start() {
      this.connect();
      setInterval(() => this.watch(), 500);
      return this;
    }
    connect() {
      const source = (this.source = new EventSource(this.url));
      this.last = Date.now();
      this.pending = [];
      source.addEventListener("ready", () => this.ready(source));
      source.addEventListener("tick", () => this.seen(source));
      for (const kind of Object.keys(this.handlers)) {
        source.addEventListener(kind, (message) => {
          if (!this.seen(source)) return;
          const event = JSON.parse(message.data);
          if (this.pending) this.pending.push([kind, event]);
          else this.handlers[kind](event);
        });
      }
      source.onerror = () => { if (source === this.source) this.lost(); };
    }
    async ready(source) {
      if (!this.seen(source)) return;
      try {
        await this.onReady();
      } catch (e) {
        if (source === this.source) this.lost(e);
        return;
      }
      if (source !== this.source) return;
      const pending = this.pending;
      this.pending = null;
      for (const [kind, event] of pending) this.handlers[kind](event);
      this.setOnline(true);
    }
    seen(source) {
      if (source !== this.source) return false;
      this.last = Date.now();
      return true;
    }
    watch() {
      if (this.source && Date.now() - this.last > this.staleAfter) this.lost();
    }
    lost(error) {
      if (this.source) this.source.close();
      this.source = null;
      this.setOnline(false, error);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.connect(), this.retryAfter);
    }
    setOnline(online, error) {
      if (this.online !== online) {
        this.online = online;
        this.onStatus(online, error);
      }
    }
  }

  // Every staff page's 退出: the session's own token is asked for first, as any write needs it.
  for (const button of document.querySelectorAll("[data-logout]")) {
    button.addEventListener("click", async () => {
      try {
        const me = await api("GET", "/api/v1/session");
        csrfToken = me.csrf_token;
        await api("DELETE", "/api/v1/session");
      } catch (e) { /* ended already */ }
      location.href = "/console";
    });
  }

  return { data, t, api, newKey, ApiError, Live, hhmm, dayTime, duration, deviceName, whereIs, learnLocation, soon, el, zone,
           setCsrf(token) { csrfToken = token; } };
})();
