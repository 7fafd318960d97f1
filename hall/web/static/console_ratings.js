"use strict";
// Whether the transactions this counter completed today were rated: 待评价 while the citizen
// may still rate at the counter, then 已评价 or 未评价 (a late rating turns 未评价 into 已评价).
// From the staff stream, whose ratings carry the state and the channel only, never the level.
// The list is kept in this tab's storage, so that a reload keeps it and asks each one's
// state again.
const RatingMarks = (() => {
  const { data, t, api, el, zone } = Hall;
  const $ = (id) => document.getElementById(id);
  const SHOWN = 6;
  const stored = `rating-marks.${data.counter}`;
  const hallDay = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
  const dayOf = (iso) => hallDay.format(new Date(iso));
  let marks = read();   // newest first: { ticket_id, number, day, state }

  function read() {
    try { return JSON.parse(sessionStorage.getItem(stored)) || []; } catch (e) { return []; }
  }

  function keep() {
    try { sessionStorage.setItem(stored, JSON.stringify(marks)); } catch (e) { /* shown until reloaded */ }
    $("rating-marks-list").replaceChildren(...marks.map((m) => el("li", { class: `rating-mark ${m.state}`, "data-ticket": m.number },
      el("span", { class: "num" }, m.number), el("span", { class: "tag" }, t(`console.rating_${m.state}`)))));
    $("rating-marks-none").hidden = marks.length > 0;
  }

  function completed(event) {
    const ticket = event.payload.ticket || event.payload;
    if (event.counter !== data.counter || !event.ticket_id) return;
    marks = [{ ticket_id: event.ticket_id, number: ticket.number, day: dayOf(event.at), state: "awaiting" },
             ...marks.filter((m) => m.ticket_id !== event.ticket_id)].slice(0, SHOWN);
    keep();
  }

  function rating(event) {
    const mark = marks.find((m) => m.ticket_id === event.ticket_id);
    const state = event.payload.rating && event.payload.rating.state;
    if (!mark || !state) return;
    mark.state = state;
    keep();
  }

  return {
    // Adds its handlers to the console's stream, after any of the same kind.
    listen(handlers) {
      const before = handlers.completed;
      handlers.completed = (event) => { if (before) before(event); completed(event); };
      handlers.rated = handlers.not_rated = rating;
    },
    // Today's marks (`now`: the server's time) with their present state: on every (re)connection.
    async load(now) {
      marks = marks.filter((m) => m.day === dayOf(now));
      await Promise.all(marks.map(async (m) => {
        m.state = (await api("GET", `/api/v1/ratings/state/${m.ticket_id}`)).state || "awaiting";
      }));
      keep();
    },
  };
})();
