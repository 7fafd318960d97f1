"use strict";
// The citizen's phone page: the ticket from its signed link, read again whenever the hall's
// public stream says a ticket moved.
(() => {
  const { data, t, api, Live } = Hall;
  const $ = (id) => document.getElementById(id);
  const KINDS = ["issued", "called", "recalled", "absent", "held", "called_back", "transferred", "completed",
                 "counter_paused", "counter_resumed"];

  function render(ticket) {
    $("number").textContent = ticket.number;
    $("service").textContent = data.services[ticket.service] || ticket.service;
    const waiting = ticket.status === "waiting";
    let headline;
    if (ticket.day !== data.today && ticket.status !== "completed") headline = t("phone.other_day", { day: ticket.day });
    else if (ticket.status === "called") headline = t("phone.go_to", { counter: ticket.counter });
    else headline = t(`phone.${ticket.status}`);
    $("headline").textContent = headline;
    document.body.dataset.status = ticket.status;
    $("ahead-row").hidden = !waiting;
    $("wait-row").hidden = !waiting;
    $("ahead").textContent = t("common.people", { n: ticket.ahead });
    $("wait").textContent = ticket.estimated_wait_minutes > 0
      ? t("common.minutes", { n: ticket.estimated_wait_minutes }) : t("phone.no_wait");
  }

  async function load() {
    render(await api("GET", `/api/v1/tickets/by-link/${encodeURIComponent(data.token)}`));
  }

  render(data.ticket);
  let later = null;
  const soon = () => { clearTimeout(later); later = setTimeout(() => load().catch(() => {}), 100); };
  const handlers = {};
  for (const kind of KINDS) handlers[kind] = soon;
  new Live("/api/v1/display/events", {
    onReady: load,
    handlers,
    onStatus(online) { $("connection").hidden = online; },
  }).start();
})();
