"use strict";
// The hall display: the board from /api/v1/display, kept current by the public stream; each
// call announced once, in order, never two at once (a recall is a new call and plays again).
(() => {
  const { data, t, api, Live, el, zone } = Hall;
  const lang = data.lang;
  const RECENT = 10;
  const PAGE_SECONDS = 8;
  const FRESH_MS = 5000;   // a new call blinks this long (WCAG 2.2.2: five seconds at most)
  const CALLS = ["called", "recalled", "called_back"];
  const TICKET_NEWS = ["issued", "absent", "held", "transferred", "completed"];
  const board = { calls: [], counters: [], services: [] };
  let speechWithin = 60;   // seconds: the hall's limit, from the board
  let skew = 0;            // the server's clock minus ours
  const serverNow = () => Date.now() + skew;
  const $ = (id) => document.getElementById(id);
  const audio = $("announcer");

  // A list longer than its box shows a page at a time, turning every PAGE_SECONDS, and its
  // heading says which page: a hall of any size is shown whole, never silently cut.
  const pages = {};
  function paginate(id) {
    const list = $(id);
    const items = [...list.children];
    for (const item of items) item.hidden = false;
    const state = (pages[id] ||= { page: 0, count: 1 });
    // Pages break between rows as laid out whole, so that each page shows exactly its rows.
    const rows = [];
    for (const item of items) {
      const box = item.getBoundingClientRect();
      const row = rows[rows.length - 1];
      if (row && Math.abs(box.top - row.top) < 1) { row.bottom = Math.max(row.bottom, box.bottom); row.n += 1; }
      else rows.push({ top: box.top, bottom: box.bottom, n: 1 });
    }
    const pageOf = [];
    let count = 0, pageTop = rows.length ? rows[0].top : 0;
    for (const row of rows) {
      if (row.bottom - pageTop > list.clientHeight + 1 && row.top > pageTop) { count += 1; pageTop = row.top; }
      for (let i = 0; i < row.n; i++) pageOf.push(count);
    }
    state.count = count + 1;
    state.page %= state.count;
    items.forEach((item, i) => { item.hidden = pageOf[i] !== state.page; });
    const note = document.querySelector(`[data-pages-of="${id}"]`);
    note.textContent = state.count > 1
      ? t("display.page", { page: state.page + 1, pages: state.count, n: items.length }) : "";
    list.dataset.page = state.page + 1;
    list.dataset.pages = state.count;
  }
  setInterval(() => {
    for (const [id, state] of Object.entries(pages)) {
      if (state.count > 1) { state.page = (state.page + 1) % state.count; paginate(id); }
    }
  }, PAGE_SECONDS * 1000);

  const latestCall = () => board.calls.reduce((a, c) => (!a || c.event_id > a.event_id ? c : a), null);

  function render() {
    const latest = latestCall();
    $("latest-number").textContent = latest ? latest.number : "";
    $("latest-counter").textContent = latest ? t("common.counter", { counter: latest.counter }) : "";
    $("latest-caption").textContent = latest
      ? t("display.please_go", { number: latest.number, counter: latest.counter }) : t("display.no_calls");
    $("recent").replaceChildren(...board.calls.slice(0, RECENT).map((c) =>
      el("li", { "data-event": c.event_id, "data-number": c.number, "data-kind": c.kind },
         el("span", { class: "num" }, c.number),
         c.kind === "called" ? null : el("span", { class: "again" }, t(`display.kind_${c.kind}`)),
         el("span", { class: "where" }, t("common.counter", { counter: c.counter })))));
    $("counters").replaceChildren(...board.counters.map((c) =>
      el("li", { class: c.paused ? "counter paused" : c.number ? "counter busy" : "counter", "data-counter": c.id },
         el("span", { class: "counter-id" }, t("common.counter", { counter: c.id })),
         el("span", { class: "counter-number" },
            c.number || (c.paused ? t("display.paused") : t("display.idle"))))));
    $("services").replaceChildren(...board.services.map((s) =>
      el("li", { class: "service", "data-service": s.code },
         el("span", { class: "service-name" }, s.name[lang] || s.name.zh_CN),
         el("span", { class: "service-figures" },
            el("span", { class: "service-waiting" }, t("common.people", { n: s.waiting })),
            s.waiting ? el("span", { class: "service-wait" }, s.paused ? t("display.paused")
              : t("common.minutes", { n: s.estimated_wait_minutes })) : null))));
    for (const id of ["recent", "counters", "services"]) paginate(id);
  }

  function showNotice(text) {
    const line = document.querySelector(".notice-line");
    $("notice-text").textContent = text;
    $("notice").hidden = !text;
    line.classList.remove("moving");
    if (text && line.scrollWidth > line.clientWidth + 1) {
      line.classList.add("moving");
      line.style.setProperty("--notice-seconds", `${Math.max(12, text.length * 0.4)}s`);
    }
    for (const id of Object.keys(pages)) paginate(id);
  }

  async function load() {
    const fresh = await api("GET", "/api/v1/display");
    showNotice(fresh.notice);
    Object.assign(board, { calls: fresh.calls, counters: fresh.counters, services: fresh.services });
    speechWithin = fresh.speech_within_seconds;
    if (fresh.now) skew = new Date(fresh.now) - Date.now();
    render();
  }

  function counter(id) {
    return board.counters.find((c) => c.id === id);
  }

  // Each event brings its service's waiting count; the estimates are the hall's to work out
  // from every counter and queue, so they are read again once the events stop for a moment.
  let estimating = null;
  function noteWaiting(event) {
    for (const [code, n] of Object.entries(event.payload.waiting || {})) {
      const service = board.services.find((s) => s.code === code);
      if (service) service.waiting = n;
    }
    clearTimeout(estimating);
    estimating = setTimeout(() => api("GET", "/api/v1/display").then((fresh) => {
      board.services = fresh.services;
      render();
    }, () => {}), 200);
  }

  let freshTimer = null;
  function blink() {
    const latest = document.querySelector(".latest");
    latest.classList.remove("fresh");
    void latest.offsetWidth;   // restarts the animation for a call that follows another
    latest.classList.add("fresh");
    clearTimeout(freshTimer);
    freshTimer = setTimeout(() => latest.classList.remove("fresh"), FRESH_MS);
  }

  // A number called again (a recall, a call-back) keeps its line, marked, where its first
  // call put it; a new number goes on top.
  function onCall(event) {
    const number = event.payload.ticket && event.payload.ticket.number;
    if (!number || !event.counter) return;
    const line = board.calls.find((c) => c.number === number);
    if (line && line.event_id < event.id) {
      Object.assign(line, { event_id: event.id, kind: event.kind, counter: event.counter, at: event.at });
    } else if (!line) {
      board.calls.unshift({ event_id: event.id, first_event_id: event.id, kind: event.kind, number,
                            counter: event.counter, at: event.at });
      board.calls.sort((a, b) => b.first_event_id - a.first_event_id);
      board.calls.length = Math.min(board.calls.length, RECENT);
    }
    const c = counter(event.counter);
    if (c) c.number = number;
    noteWaiting(event);
    render();
    blink();
    player.add(event, number);
  }

  function onTicket(event) {
    noteWaiting(event);
    const ticket = event.payload.ticket;
    const c = event.counter && counter(event.counter);
    if (c && ticket && c.number === ticket.number && ticket.status !== "called") c.number = null;
    render();
  }

  function onPause(event) {
    const c = counter(event.counter);
    if (c) c.paused = Boolean(event.payload.paused);
    noteWaiting(event);
    render();
  }

  // One announcement at a time, in the order of the calls, each event once, each after the
  // chime. The queue never falls far behind: a call of a number still waiting to be said
  // replaces the earlier one, and a call older than the hall's limit when its turn comes is
  // not said (it stays on screen). A browser that forbids sound without a click (Chromium's
  // autoplay rule) gets the sound-off button, and the calls wait for it.
  const player = {
    queue: [],
    played: new Set(),
    playing: null,
    blocked: false,
    log: [],
    add(event, number) {
      if (this.played.has(event.id)) return;
      this.played.add(event.id);
      for (const earlier of this.queue.filter((q) => q.number === number)) {
        this.log.push({ id: earlier.id, event: "replaced", at: performance.now() });
      }
      this.queue = this.queue.filter((q) => q.number !== number);
      this.queue.push({ id: event.id, number, at: new Date(event.at).getTime() });
      this.next();
    },
    next() {
      if (this.playing !== null || this.blocked) return;
      let call;
      while ((call = this.queue.shift())) {
        if (serverNow() - call.at <= speechWithin * 1000) break;
        this.log.push({ id: call.id, event: "dropped", at: performance.now() });
      }
      if (!call) return;
      const id = (this.playing = call.id);
      this.part = "chime";
      audio.src = "/api/v1/display/chime";
      audio.dataset.eventId = id;
      this.started = Date.now();
      audio.play().catch((e) => {
        if (e.name !== "NotAllowedError" || this.playing !== id) return;
        this.playing = null;
        this.queue.unshift(call);
        this.block();
      });
    },
    ended() {
      if (this.playing === null) return;
      if (this.part === "chime") {
        this.part = "call";
        audio.src = `/api/v1/display/calls/${this.playing}/audio`;
        audio.play().catch(() => this.done());
        return;
      }
      this.done();
    },
    done() {
      if (this.playing === null) return;
      this.log.push({ id: this.playing, event: "end", at: performance.now() });
      this.playing = null;
      this.next();
    },
    block() {
      this.blocked = true;
      $("sound-off").hidden = false;
    },
    unblock() {
      this.blocked = false;
      $("sound-off").hidden = true;
      this.next();
    },
  };
  audio.addEventListener("playing", () => player.log.push({ id: player.playing,
    event: player.part === "chime" ? "chime" : "start", at: performance.now() }));
  audio.addEventListener("ended", () => player.ended());
  audio.addEventListener("error", () => player.ended());   // a chime that fails still lets the call be said
  // A call whose audio never ends (a stalled download) must not silence the ones after it.
  setInterval(() => { if (player.playing !== null && Date.now() - player.started > 30000) player.done(); }, 1000);
  $("sound-off").addEventListener("click", () => player.unblock());
  window.hallAnnouncements = player;

  // Ask at once whether sound may play, so that staff see the button before the first call.
  const probe = new Audio("/api/v1/display/chime");
  probe.volume = 0;
  probe.play().catch((e) => { if (e.name === "NotAllowedError") player.block(); });

  function tickClock() {
    const now = new Date();
    $("clock").textContent = now.toLocaleString(lang.replace("_", "-"),
      { month: "long", day: "numeric", weekday: "long", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
        timeZone: zone });
  }
  tickClock();
  setInterval(tickClock, 1000);
  window.addEventListener("resize", () => { for (const id of Object.keys(pages)) paginate(id); });

  const handlers = { counter_paused: onPause, counter_resumed: onPause,
                     notice_set: (event) => showNotice(event.payload.notice || "") };
  for (const kind of CALLS) handlers[kind] = onCall;
  for (const kind of TICKET_NEWS) handlers[kind] = onTicket;
  new Live("/api/v1/display/events", {
    onReady: load,
    handlers,
    onStatus(online) {
      $("offline").hidden = online;
      document.body.classList.toggle("stale", !online);
      for (const id of Object.keys(pages)) paginate(id);
    },
  }).start();
})();
