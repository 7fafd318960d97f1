"use strict";
// The citizen's phone page: the ticket from its signed link, read again whenever the hall's
// public stream says a ticket moved; once it is completed, the late rating (好差评) and the
// number left for a call-back (回访), until the hall's late-rating time.
(() => {
  const { data, t, api, newKey, dayTime, Live } = Hall;
  const $ = (id) => document.getElementById(id);
  const KINDS = ["issued", "called", "recalled", "absent", "held", "called_back", "transferred", "completed",
                 "counter_paused", "counter_resumed"];
  const link = encodeURIComponent(data.token);
  const BAD_UP_TO = 2;   // 不满意 and 非常不满意 need a reason from the hall's list
  const NEEDS_COMMENT = new Set(data.reasons.filter((r) => r.needs_comment).map((r) => r.code));
  // Refusals that end the rating for good; the others are the citizen's to put right.
  const FINAL = new Set(["already_rated", "window_closed", "not_completed", "no_callback"]);
  const FIXABLE = new Set(["reason_required", "comment_required", "unknown_reason"]);
  // The forms the hall dials (hall.schemas.Phone): a mobile, or a landline with its area code.
  const PHONE = /^(?:\+?86[ -]?)?(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$/;
  const CALLED_VIBRATION = [400, 200, 400];   // a call, or a recall, felt in a pocket
  const skew = new Date(data.now) - Date.now();   // the hall's clock minus the phone's
  const now = () => Date.now() + skew;

  let ticket = data.ticket;
  let status = null;     // the rating's state as anyone may know it: never the level
  let ended = null;      // what this page learnt that ends the rating: thanks, or a refusal
  let leftAs = remembered();   // the number left here, masked
  const writes = {};     // per form: the write in flight or last failed, with its idempotency key
  let closing = null;

  function render() {
    $("number").textContent = ticket.number;
    $("service").textContent = data.services[ticket.service] || ticket.service;
    const waiting = ticket.status === "waiting";
    let headline;
    if (ticket.day !== data.today && ticket.status !== "completed") headline = t("phone.other_day", { day: ticket.day });
    else if (ticket.status === "called") headline = t("phone.go_to", { counter: ticket.counter });
    else headline = t(`phone.${ticket.status}`);
    // A live region: a screen reader says a new line (请到3号窗口) as it comes, so it is
    // written only when it changes.
    if ($("headline").textContent !== headline) $("headline").textContent = headline;
    document.body.dataset.status = ticket.status;
    $("ahead-row").hidden = !waiting;
    $("wait-row").hidden = !waiting;
    $("ahead").textContent = t("common.people", { n: ticket.ahead });
    $("wait").textContent = ticket.paused ? t("phone.paused") : ticket.estimated_wait_minutes > 0
      ? t("common.minutes", { n: ticket.estimated_wait_minutes }) : t("phone.no_wait");
    renderRating();
  }

  function renderRating() {
    const shown = ticket.status === "completed" && status !== null;
    $("rating").hidden = !shown;
    if (!shown) {
      $("callback").hidden = true;
      return;
    }
    const until = status.rateable_until ? new Date(status.rateable_until) : null;
    let end = ended;
    if (!end && status.state === "rated") end = "rated";
    if (!end && until && now() >= until) end = "refused_window_closed";
    $("rating-form").hidden = Boolean(end);
    $("rating-outcome").hidden = !end;
    $("rating-outcome").textContent = end ? t(`phone.${end}`) : "";
    document.body.dataset.rating = end || "open";
    $("rating-until").textContent = until ? t("phone.rate_until", { until: dayTime(until) }) : "";
    $("reasons").hidden = !(chosenLevel() <= BAD_UP_TO);
    $("callback").hidden = Boolean(end) || !status.callback_offered;
    $("callback-form").hidden = Boolean(leftAs);
    $("callback-left").hidden = !leftAs;
    $("callback-left").textContent = leftAs ? t("phone.callback_left", { phone: leftAs }) : "";
    clearTimeout(closing);
    if (!end && until) closing = setTimeout(renderRating, Math.min(until - now() + 50, 2 ** 31 - 1));
  }

  function chosenLevel() {
    const picked = document.querySelector("input[name=level]:checked");
    return picked ? Number(picked.value) : Infinity;
  }

  async function load() {
    const fresh = await api("GET", `/api/v1/tickets/by-link/${link}`);
    if (fresh.status === "completed") status = await api("GET", `/api/v1/ratings/by-link/${link}`);
    const calledNow = fresh.status === "called" && (ticket.status !== "called" || fresh.recalls > ticket.recalls);
    ticket = fresh;
    render();
    if (calledNow && navigator.vibrate) navigator.vibrate(CALLED_VIBRATION);
  }

  // A write sent again unchanged keeps its idempotency key: a double tap, or a retry after an
  // answer lost on the way, is taken once. Changed, it is another write with a key of its own.
  async function send(form, path, body) {
    const text = JSON.stringify(body);
    if (!writes[form] || writes[form].text !== text) writes[form] = { text, key: newKey() };
    const button = $(`${form}-send`);
    button.disabled = true;
    try {
      return await api("POST", path, body, writes[form].key);
    } finally {
      button.disabled = false;
    }
  }

  // Why a write was not taken, in the page's words: never the server's message.
  function refusal(e) {
    if (e.error === "rating_refused" && (FINAL.has(e.reason) || FIXABLE.has(e.reason))) return `refused_${e.reason}`;
    return e.status === 0 ? "refused_network" : "refused_failed";
  }

  function problem(form, key) {
    $(`${form}-problem`).textContent = key ? t(`phone.${key}`) : "";
  }

  async function rate(event) {
    event.preventDefault();
    if ($("rating-send").disabled) return;
    const level = chosenLevel();
    const bad = level <= BAD_UP_TO;
    const reasons = bad ? [...document.querySelectorAll("input[name=reason]:checked")].map((x) => x.value) : [];
    const comment = $("comment").value.trim();
    if (level === Infinity) return problem("rating", "refused_no_level");
    if (bad && reasons.length === 0) return problem("rating", "refused_reason_required");
    if (reasons.some((r) => NEEDS_COMMENT.has(r)) && !comment) return problem("rating", "refused_comment_required");
    problem("rating", null);
    try {
      await send("rating", `/api/v1/ratings/by-link/${link}`, { level, reasons, comment });
      ended = "thanks";
    } catch (e) {
      const key = refusal(e);
      if (FINAL.has(e.reason) && e.error === "rating_refused") ended = key;
      else problem("rating", key);
    }
    renderRating();
  }

  function masked(phone) {
    const digits = phone.replace(/^\+?86[ -]?/, "");
    const count = digits.replace(/\D/g, "").length;
    let seen = 0;
    return digits.replace(/\d/g, (d) => (++seen <= 3 || seen > count - 4 ? d : "*"));
  }

  function remembered() {
    try { return localStorage.getItem(`callback.${data.ticket.id}`); } catch (e) { return null; }
  }

  async function leavePhone(event) {
    event.preventDefault();
    if ($("callback-send").disabled) return;
    // Full-width digits from a Chinese keyboard, and spaces typed to group the digits, are
    // the same number to the hall.
    const phone = $("callback-phone").value.normalize("NFKC").replace(/\s+/g, "");
    if (!PHONE.test(phone)) return problem("callback", "callback_invalid");
    problem("callback", null);
    try {
      status = await send("callback", `/api/v1/callbacks/by-link/${link}/phone`, { phone });
      leftAs = masked(phone);
      $("callback-phone").value = "";
      try { localStorage.setItem(`callback.${data.ticket.id}`, leftAs); } catch (e) { /* shown until reloaded */ }
    } catch (e) {
      problem("callback", e.status === 422 && e.error === "invalid" ? "callback_invalid" : refusal(e));
    }
    renderRating();
  }

  for (const input of document.querySelectorAll("input[name=level]")) {
    input.addEventListener("change", () => { problem("rating", null); renderRating(); });
  }
  $("rating-form").addEventListener("submit", rate);
  $("callback-form").addEventListener("submit", leavePhone);

  render();
  let later = null;
  const soon = () => { clearTimeout(later); later = setTimeout(() => load().catch(() => {}), 100); };
  const handlers = {};
  for (const kind of KINDS) handlers[kind] = soon;
  new Live("/api/v1/display/events", {
    onReady: load,
    handlers,
    // Offline, the page no longer updates by itself: the banner says so instead of the note.
    onStatus(online) {
      $("connection").hidden = online;
      $("live-note").hidden = !online;
    },
  }).start();
})();
