"use strict";
// The staff console of one counter: its queue, one button and one key per operation, help
// calls and device alarms, live from the staff event stream. While an operation is on its
// way every button is off, so a double click or a held key does one thing; the server
// refuses a second call while a ticket is served anyway.
(() => {
  const { data, t, api, Live, el, hhmm, duration, deviceName, learnLocation } = Hall;
  const counter = data.counter;
  const lang = data.lang;
  const $ = (id) => document.getElementById(id);
  const TICKET_KINDS = ["issued", "called", "recalled", "absent", "held", "called_back", "transferred", "completed",
                        "counter_paused", "counter_resumed"];
  const DEVICE_KINDS = ["device_status", "device_offline", "device_online"];
  let spec = null;
  let desk = null;
  let skew = 0;   // the server's clock minus ours
  const now = () => Date.now() + skew;
  let busy = false;
  let online = false;

  const serviceName = (code) => {
    const s = spec && spec.services.find((x) => x.code === code);
    return s ? s.name[lang] || s.name.zh_CN : code;
  };

  function say(text, isError = false) {
    const line = $("message");
    line.textContent = text;
    line.classList.toggle("error", isError);
  }

  function sayError(e) {
    if (e.status === 401) {
      location.href = `/console?next=${encodeURIComponent(location.pathname)}`;
      return;
    }
    const known = `console.error_${e.error}`;
    say(t(known) !== known ? t(known) : t("console.error_failed", { message: e.message }), true);
  }

  function serving() {
    return Boolean(desk && desk.counter.current);
  }

  // N calls the next citizen; while one is served it completes that ticket and calls the
  // next in one request, the one key staff press between two citizens.
  function renderButtons() {
    const paused = Boolean(desk && desk.counter.paused);
    const allowed = {
      "call-next": !paused, "call-back": !serving() && !paused,
      recall: serving(), absent: serving(), hold: serving(), transfer: serving(), complete: serving(), pause: true,
    };
    for (const button of document.querySelectorAll("button.op")) {
      button.disabled = busy || !online || !desk || !allowed[button.dataset.op];
    }
    $("call-next-label").textContent = serving() ? t("console.complete_and_next") : t("console.call_next");
    $("pause-label").textContent = paused ? t("console.resume") : t("console.pause");
    $("paused-note").hidden = !paused;
    $("serving-panel").classList.toggle("is-paused", paused);
    const why = !desk || !online ? "" : paused ? t("console.why_paused")
      : serving() ? t("console.why_serving", { number: desk.counter.current.number }) : t("console.why_idle");
    $("ops-note").textContent = why;
    const asideNote = paused ? t("console.why_paused") : serving() ? t("console.call_back_after") : "";
    $("set-aside-note").textContent = asideNote;
    $("set-aside-note").hidden = !asideNote || !desk || !desk.tickets.some((x) => x.status !== "waiting");
    for (const button of document.querySelectorAll("#set-aside button")) {
      button.disabled = busy || !online || serving() || paused;
    }
  }

  function renderDesk() {
    const current = desk.counter.current;
    $("serving-number").textContent = current ? current.number : "—";
    $("serving-number").classList.toggle("idle", !current);
    const waiting = desk.tickets.filter((x) => x.status === "waiting");
    const aside = desk.tickets.filter((x) => x.status !== "waiting");
    $("waiting-count").textContent = t("console.waiting_count", { n: waiting.length });
    $("waiting").replaceChildren(...waiting.map((x) => el("tr", { "data-ticket": x.number },
      el("td", { class: "num" }, x.number,
         x.priority !== "normal" ? el("span", { class: `tag ${x.priority}` }, t(`console.priority_${x.priority}`)) : null,
         x.target_counter ? el("span", { class: "tag" }, t("console.to_this_counter")) : null),
      el("td", {}, serviceName(x.service)),
      el("td", { class: "waited", "data-since": x.issued_at }))));
    $("none-waiting").hidden = waiting.length > 0;
    $("set-aside").replaceChildren(...aside.map((x) => el("li", { "data-ticket": x.number },
      el("span", { class: "num" }, x.number), el("span", { class: "tag" }, t(`console.status_${x.status}`)),
      el("button", { type: "button", class: "button small", onclick: () => operate("call-back", { number: x.number }) },
         t("console.call_back")))));
    tickTimer();
    renderButtons();
  }

  // The time served and each ticket's wait count up every second between events.
  function tickTimer() {
    if (!desk) return;
    const current = desk.counter.current;
    $("serving-detail").textContent = current
      ? `${serviceName(current.service)} · ${t("console.served_for", {
          time: duration((now() - new Date(desk.serving_since || now())) / 1000) })}`
      : t("console.none_serving");
    for (const cell of document.querySelectorAll("#waiting td.waited")) {
      cell.textContent = duration((now() - new Date(cell.dataset.since)) / 1000);
    }
  }

  // Reads of the desk may cross (the live events' and a write's own): an answer is shown only
  // if no later read's answer is shown already, and none asked before this page's last write
  // was answered (it may be from before that write, and a staff member would act on it).
  let asked = 0;
  let shownFrom = 0;
  async function loadDesk() {
    const mine = ++asked;
    const answer = await api("GET", `/api/v1/counters/${counter}/queue`);
    if (mine < shownFrom) return;
    shownFrom = mine;
    desk = answer;
    skew = new Date(desk.now) - Date.now();
    renderDesk();
  }

  // Help calls and alarms must reach staff whose console is behind another window: a chime,
  // a title that flashes until someone acts on the page, and a notification where allowed.
  const attention = {
    title: document.title,
    flashing: null,
    known: new Set(),
    chime: new Audio("/api/v1/display/chime"),
    rang: 0,
    raise(key, text) {
      if (this.known.has(key)) return;
      this.known.add(key);
      this.chime.currentTime = 0;
      this.chime.play().then(() => { this.rang += 1; }, () => {});
      if ("Notification" in window && Notification.permission === "granted") new Notification(text, { tag: key });
      this.flash(text);
    },
    flash(text) {
      clearInterval(this.flashing);
      let on = false;
      document.body.dataset.alert = text;
      this.flashing = setInterval(() => {
        on = !on;
        document.title = on ? `【${t("console.attention")}】${text}` : this.title;
      }, 1000);
    },
    seen() {
      if (this.flashing === null) return;
      clearInterval(this.flashing);
      this.flashing = null;
      delete document.body.dataset.alert;
      document.title = this.title;
    },
  };
  window.hallAttention = attention;
  document.addEventListener("keydown", () => attention.seen());
  // Chromium asks the user only after a gesture: the first click on the page asks once.
  document.addEventListener("pointerdown", () => {
    attention.seen();
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().catch(() => {});
  });

  function helpText(c) {
    return t("devices.help_call", { kiosk: deviceName(c.device_id, "kiosk"), since: hhmm(c.raised_at) });
  }

  // A help call also tells where its kiosk stands: the alarms name it by that place from then on.
  async function loadHelp() {
    const calls = await api("GET", "/api/v1/help-calls");
    for (const c of calls) learnLocation(c.device_id, c.location);
    renderAlarms();
    $("help-alerts").replaceChildren(...calls.map((c) => el("div", { class: "help-alert", "data-help": c.id },
      el("span", { class: "help-text" }, helpText(c)),
      el("button", { type: "button", class: "button", onclick: () => takeHelp(c.id) }, t("console.take_help")))));
    for (const c of calls) attention.raise(`help-${c.id}`, helpText(c));
  }

  async function takeHelp(id) {
    try {
      await api("POST", `/api/v1/help-calls/${id}/take`);
      await loadHelp();
    } catch (e) {
      sayError(e);
    }
  }

  let alarms = [];
  const alarmText = (d) => `${deviceName(d.device_id, d.kind)} · ${t(`devices.state_${d.state}`)}${d.since ? ` · ${hhmm(d.since)}` : ""}`;

  function renderAlarms() {
    $("alarms").hidden = alarms.length === 0;
    $("alarm-list").replaceChildren(...alarms.map((d) => el("li", { class: `alarm ${d.state}`, "data-device": d.device_id },
      alarmText(d))));
  }

  async function loadAlarms() {
    const devices = await api("GET", "/api/v1/device-health");
    alarms = devices.filter((d) => d.state !== "ok");
    renderAlarms();
    for (const d of alarms) attention.raise(`alarm-${d.device_id}-${d.state}-${d.since}`, alarmText(d));
  }

  async function operate(op, body) {
    if (busy || !online) return;
    busy = true;
    renderButtons();
    closePanels();
    try {
      const answer = await api("POST", `/api/v1/counters/${counter}/${op}`, body);
      if (op === "complete-and-call-next") {
        say(answer.called ? t("console.done_and_called", { done: answer.completed.number, number: answer.called.number })
          : `${t("console.done", { number: answer.completed.number })} · ${t("console.error_nobody")}`);
      } else if (op === "call-next" && answer === null) say(t("console.error_nobody"), true);
      else if (answer && answer.number && ["call-next", "recall", "call-back"].includes(op)) say(t("console.called", { number: answer.number }));
      else if (answer && answer.number && op === "complete") say(t("console.done", { number: answer.number }));
      else say("");
    } catch (e) {
      sayError(e);
    } finally {
      shownFrom = asked + 1;          // every read asked so far may be from before this write
      try { await loadDesk(); } catch (e) { /* the buttons below, on the desk as it was */ }
      busy = false;                   // the buttons wait for the desk after the write
      renderButtons();
    }
  }

  function closePanels() {
    const focusInPanel = document.activeElement && document.activeElement.closest(".panel");
    $("call-back-panel").hidden = true;
    $("transfer-panel").hidden = true;
    if (focusInPanel) document.querySelector(`button.op[data-op="${focusInPanel.id === "transfer-panel" ? "transfer" : "call-back"}"]`).focus();
  }

  function press(op) {
    if (op === "call-back") {
      $("transfer-panel").hidden = true;
      $("call-back-panel").hidden = false;
      $("call-back-number").value = "";
      $("call-back-number").focus();
    } else if (op === "transfer") {
      $("call-back-panel").hidden = true;
      $("transfer-panel").hidden = false;
      const first = $("transfer-panel").querySelector(".choices button");
      if (first) first.focus();
    } else if (op === "pause") {
      operate(desk && desk.counter.paused ? "resume" : "pause");
    } else if (op === "call-next" && serving()) {
      operate("complete-and-call-next");
    } else {
      operate(op);
    }
  }

  for (const button of document.querySelectorAll("button.op")) {
    button.addEventListener("click", () => { if (!button.disabled) press(button.dataset.op); });
  }
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { closePanels(); return; }
    if (e.repeat || e.ctrlKey || e.altKey || e.metaKey || e.target.closest("input, textarea, select")) return;
    const button = document.querySelector(`button.op[data-key="${e.key.toUpperCase()}"]`);
    if (!button) return;
    e.preventDefault();
    if (!button.disabled) press(button.dataset.op);
  });
  for (const close of document.querySelectorAll("[data-close]")) close.addEventListener("click", closePanels);
  $("call-back-panel").addEventListener("submit", (e) => {
    e.preventDefault();
    const number = $("call-back-number").value.trim().toUpperCase();
    if (number) operate("call-back", { number });
  });
  setInterval(tickTimer, 1000);

  // A supervisor's console also sets the hall display's notice line.
  const noticeForm = $("notice-form");
  if (noticeForm) {
    noticeForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const set = await api("PUT", "/api/v1/display/notice", { text: $("notice-text").value });
        $("notice-text").value = set.text;
        say(set.text ? t("console.notice_done") : t("console.notice_cleared"));
      } catch (err) {
        sayError(err);
      }
    });
    api("GET", "/api/v1/display").then((board) => { $("notice-text").value = board.notice; }, () => {});
  }

  async function start() {
    try {
      const me = await api("GET", "/api/v1/session");
      Hall.setCsrf(me.csrf_token);
      spec = await api("GET", "/api/v1/hall");
    } catch (e) {
      if (e.status === 401) { sayError(e); return; }
      setTimeout(start, 1000);
      return;
    }
    $("transfer-services").replaceChildren(...spec.services.map((s) => el("button",
      { type: "button", class: "button small", onclick: () => operate("transfer", { to_service: s.code }) },
      s.name[lang] || s.name.zh_CN)));
    $("transfer-counters").replaceChildren(...spec.counters.filter((c) => c.id !== counter).map((c) => el("button",
      { type: "button", class: "button small", onclick: () => operate("transfer", { to_counter: c.id }) },
      t("common.counter", { counter: c.id }))));
    const soon = (load) => Hall.soon(load, 50, sayError);
    const handlers = {};
    const deskAgain = soon(loadDesk);
    const alarmsAgain = soon(loadAlarms);
    for (const kind of TICKET_KINDS) handlers[kind] = deskAgain;
    for (const kind of DEVICE_KINDS) handlers[kind] = alarmsAgain;
    handlers.help_requested = handlers.help_taken = soon(loadHelp);
    handlers.matter_light = (event) => attention.raise(`matter-light-${event.id}`, t("matters.turned", {
      n: event.payload.count, light: t(`matters.light_${event.payload.light}`), numbers: event.payload.numbers.join(" ") }));
    RatingMarks.listen(handlers);
    new Live("/api/v1/events?tick=true", {
      handlers,
      async onReady() {
        try {
          await Promise.all([loadDesk().then(() => RatingMarks.load(desk.now)), loadHelp(), loadAlarms()]);
        } catch (e) {
          if (e.status === 401) sayError(e);
          throw e;
        }
      },
      onStatus(up) {
        online = up;
        $("connection").hidden = up;
        document.body.classList.toggle("stale", !up);
        renderButtons();
      },
    }).start();
  }
  renderButtons();
  start();
})();
