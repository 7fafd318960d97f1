"use strict";
// The hall display: the board from /api/v1/display, kept current by the public stream; each
// call announced once, in order, never two at once (a recall is a new call and plays again).
(() => {
  const { data, t, api, Live, el, zone } = Hall;
  const lang = data.lang;
  const RECENT = 10;
  const CALLS = ["called", "recalled", "called_back"];
  const TICKET_NEWS = ["issued", "absent", "held", "transferred", "completed"];
  const board = { calls: [], counters: [], services: [] };
  const $ = (id) => document.getElementById(id);
  const audio = $("announcer");

  function render() {
    const latest = board.calls[0];
    $("latest-number").textContent = latest ? latest.number : "";
    $("latest-caption").textContent = latest
      ? t("display.please_go", { number: latest.number, counter: latest.counter }) : t("display.no_calls");
    $("recent").replaceChildren(...board.calls.slice(0, RECENT).map((c) =>
      el("tr", { "data-event": c.event_id }, el("td", { class: "num" }, c.number),
         el("td", {}, t("common.counter", { counter: c.counter })))));
    $("counters").replaceChildren(...board.counters.map((c) =>
      el("li", { class: c.paused ? "counter paused" : c.number ? "counter busy" : "counter", "data-counter": c.id },
         el("span", { class: "counter-id" }, t("common.counter", { counter: c.id })),
         el("span", { class: "counter-number" },
            c.number || (c.paused ? t("display.paused") : t("display.idle"))))));
    $("services").replaceChildren(...board.services.map((s) =>
      el("li", { class: "service", "data-service": s.code },
         el("span", { class: "service-name" }, s.name[lang] || s.name.zh_CN),
         el("span", { class: "service-waiting" }, t("common.people", { n: s.waiting })))));
  }

  async function load() {
    const fresh = await api("GET", "/api/v1/display");
    Object.assign(board, { calls: fresh.calls, counters: fresh.counters, services: fresh.services });
    render();
  }

  function counter(id) {
    return board.counters.find((c) => c.id === id);
  }

  function noteWaiting(event) {
    for (const [code, n] of Object.entries(event.payload.waiting || {})) {
      const service = board.services.find((s) => s.code === code);
      if (service) service.waiting = n;
    }
  }

  function onCall(event) {
    const number = event.payload.ticket && event.payload.ticket.number;
    if (!number || !event.counter) return;
    if (!board.calls.some((c) => c.event_id === event.id)) {
      board.calls.unshift({ event_id: event.id, kind: event.kind, number, counter: event.counter, at: event.at });
      board.calls.sort((a, b) => b.event_id - a.event_id);
      board.calls.length = Math.min(board.calls.length, RECENT);
    }
    const c = counter(event.counter);
    if (c) c.number = number;
    noteWaiting(event);
    render();
    player.add(event.id);
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
    render();
  }

  // One announcement at a time, in the order of the calls; each event once. A browser that
  // forbids sound without a click (Chromium's autoplay rule) gets the sound-off button, and
  // the calls wait for it.
  const player = {
    queue: [],
    played: new Set(),
    playing: null,
    blocked: false,
    log: [],
    add(id) {
      if (this.played.has(id)) return;
      this.played.add(id);
      this.queue.push(id);
      this.next();
    },
    next() {
      if (this.playing !== null || this.blocked || !this.queue.length) return;
      const id = (this.playing = this.queue.shift());
      audio.src = `/api/v1/display/calls/${id}/audio`;
      audio.dataset.eventId = id;
      this.started = Date.now();
      audio.play().catch((e) => {
        if (e.name !== "NotAllowedError" || this.playing !== id) return;
        this.playing = null;
        this.queue.unshift(id);
        this.block();
      });
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
  audio.addEventListener("playing", () => player.log.push({ id: player.playing, event: "start", at: performance.now() }));
  audio.addEventListener("ended", () => player.done());
  audio.addEventListener("error", () => player.done());
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

  const handlers = { counter_paused: onPause, counter_resumed: onPause };
  for (const kind of CALLS) handlers[kind] = onCall;
  for (const kind of TICKET_NEWS) handlers[kind] = onTicket;
  new Live("/api/v1/display/events", {
    onReady: load,
    handlers,
    onStatus(online) {
      $("offline").hidden = online;
      document.body.classList.toggle("stale", !online);
    },
  }).start();
})();
