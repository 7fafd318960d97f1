"use strict";
// The supervisor's live board: every counter, every service's queue, the open help calls and
// device alarms, read again (GET /api/v1/hall-board) whenever the staff stream says something
// changed; the durations count up every second in between.
(() => {
  const { data, t, api, Live, el, hhmm, duration, deviceName, soon } = Hall;
  const $ = (id) => document.getElementById(id);
  const KINDS = ["issued", "called", "recalled", "absent", "held", "called_back", "transferred", "completed",
                 "counter_paused", "counter_resumed", "counter_staff", "device_status", "device_offline",
                 "device_online", "help_requested", "help_taken"];
  let skew = 0;   // the server's clock minus ours
  const now = () => Date.now() + skew;

  // Hours once a wait or a pause is that long: 95分 reads slower than 1小时35分.
  function span(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return s < 3600 ? duration(s) : t("board.hours", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }

  // A pause that began before today says so; an idle counter not yet used today has nothing to count.
  function ticking(c) {
    if (c.since) return el("span", { class: "ticking", "data-since": c.since });
    return c.activity === "paused" ? el("span", { class: "none" }, t("board.before_today")) : "—";
  }

  function renderCounters(counters) {
    $("counter-rows").replaceChildren(...counters.map((c) => el("tr", { class: `activity-${c.activity}`, "data-counter": c.counter },
      el("th", { scope: "row" }, t("common.counter", { counter: c.counter })),
      el("td", {}, c.staff_name ? `${c.staff_name}（${c.job_no}）` : c.job_no || "—"),
      el("td", { class: "activity" }, t(`board.activity_${c.activity}`)),
      el("td", { class: "num" }, c.ticket ? `${c.ticket} · ${data.services[c.service] || c.service}` : "—"),
      el("td", { class: "n" }, ticking(c), c.since ? el("span", { class: "at" }, t("board.since", { time: hhmm(c.since) })) : null))));
  }

  function renderServices(services, at) {
    const longestSince = (s) => new Date(new Date(at) - s.longest_wait_seconds * 1000).toISOString();
    $("service-rows").replaceChildren(...services.map((s) => el("tr", { "data-service": s.service, class: s.waiting ? "" : "quiet" },
      el("th", { scope: "row" }, data.services[s.service] || s.service),
      el("td", { class: "n waiting" }, String(s.waiting)),
      el("td", { class: "n" }, s.waiting ? el("span", { class: "ticking", "data-since": longestSince(s) }) : "—"),
      el("td", { class: "n served" }, String(s.served_today)))));
    const waiting = services.filter((s) => s.waiting);
    $("total-waiting").textContent = String(waiting.reduce((n, s) => n + s.waiting, 0));
    $("total-served").textContent = String(services.reduce((n, s) => n + s.served_today, 0));
    const longest = waiting.reduce((best, s) => (best && best.longest_wait_seconds >= s.longest_wait_seconds ? best : s), null);
    $("total-longest").replaceChildren(longest ? el("span", { class: "ticking", "data-since": longestSince(longest) }) : "—");
  }

  function renderAlerts(board) {
    $("help-calls").replaceChildren(...board.help_calls.map((c) => el("li", { class: "alert help", "data-help": c.id },
      t("devices.help_call", { kiosk: deviceName(c.device_id, "kiosk", c.location), since: hhmm(c.raised_at) }))));
    $("device-alarms").replaceChildren(...board.device_alarms.map((d) => el("li", { class: `alert ${d.state}`, "data-device": d.device_id },
      [deviceName(d.device_id, d.kind, d.location), t(`devices.state_${d.state}`),
       d.since ? t("board.since", { time: hhmm(d.since) }) : ""].filter(Boolean).join(" · "))));
    const count = board.help_calls.length + board.device_alarms.length;
    $("alert-count").hidden = count === 0;
    $("alert-count").textContent = String(count);
    $("no-alerts").hidden = count > 0;
  }

  function tick() {
    for (const cell of document.querySelectorAll(".ticking")) {
      cell.textContent = span((now() - new Date(cell.dataset.since)) / 1000);
    }
  }

  async function load() {
    const board = await api("GET", "/api/v1/hall-board");
    skew = new Date(board.now) - Date.now();
    renderCounters(board.counters);
    renderServices(board.services, board.now);
    renderAlerts(board);
    tick();
    document.body.dataset.loaded = board.now;
  }

  const again = soon(load);
  const handlers = {};
  for (const kind of KINDS) handlers[kind] = again;
  new Live("/api/v1/events?tick=true", {
    onReady: load,
    handlers,
    onStatus(online) {
      $("connection").hidden = online;
      document.body.classList.toggle("stale", !online);
    },
  }).start();
  setInterval(tick, 1000);
  // Offline is a matter of time (no heartbeat): look again now and then, as the device page does.
  setInterval(again, 15000);
})();
