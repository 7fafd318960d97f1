"use strict";
// The console's desk for cases: open one for the citizen being served (or a walk-in) with the
// documents received ticked and the phone number they leave for its notices, then move it on
// step by step and watch its notices go out; every change through the API.
(() => {
  const { data, t, api, el } = Hall;
  const $ = (id) => document.getElementById(id);
  const matters = Object.fromEntries(data.services.flatMap((s) => s.matters.map((m) => [m.code, m])));
  const PENDING_AGAIN = 3000;   // ms: the list is read again while a citizen's notice is pending
  let again = null;
  const STEPS = { accepted: ["start", "request_documents", "complete", "return"],
                  in_progress: ["request_documents", "complete", "return"],
                  waiting_documents: ["resume", "return"] };

  function say(text, error = false) {
    $("message").textContent = text;
    $("message").classList.toggle("error", error);
  }

  function chosen() {
    const matter = matters[$("matter").value];
    $("documents").replaceChildren(el("legend", {}, t("receipt.received")), ...matter.documents.map((name, i) =>
      el("label", { class: "check" }, el("input", { type: "checkbox", value: String(i), name: "document" }), ` ${name}`)));
    $("agent-row").hidden = !matter.agent;
  }

  async function accept(event) {
    event.preventDefault();
    const body = { matter_code: $("matter").value,
                   documents: [...document.querySelectorAll("input[name=document]:checked")].map((c) => Number(c.value)) };
    const number = $("id-number").value.trim();
    if (number) body.id_number = number.toUpperCase();
    const phone = $("phone").value.trim();
    if (!$("phone-row").hidden && phone) body.phone = phone;
    if (!$("agent-row").hidden && $("agent").value.trim()) body.agent = $("agent").value.trim();
    try {
      if (!$("walk-in").checked && data.counter) {
        const counter = await api("GET", `/api/v1/counters/${data.counter}`);
        if (counter.current) body.ticket_id = counter.current.id;
      }
      const opened = await api("POST", "/api/v1/matters", body);
      $("id-number").value = "";
      $("phone").value = "";
      say(t("desk.accepted", { number: opened.number }));
      $("message").append(" ", el("a", { href: `/console/matters/${opened.id}/receipt`, target: "_blank" }, t("receipt.print")));
      await load();
    } catch (e) {
      say(e.message, true);
    }
  }

  async function step(id, name) {
    try {
      await api("POST", `/api/v1/matters/${id}/steps`, { step: name, note: $("note").value.trim() });
      $("note").value = "";
      say("");
      await load();
    } catch (e) {
      say(e.message, true);
    }
  }

  // Each notice owed to the citizen, without their number: what it tells and whether it went.
  function told(c) {
    return el("td", {}, c.phone || "", el("ul", { class: "notices" }, ...c.notices.map((n) => el("li", {
      class: n.sent_at ? "sent" : "pending", "data-notice": `${n.step} ${n.channel} ${n.sent_at ? "sent" : "pending"}`
    }, `${t(`matters.step_${n.step}`)} · ${t(`desk.channel_${n.channel}`)}：${t(n.sent_at ? "desk.notice_sent" : "desk.notice_pending")}`))));
  }

  function numbered(c) {
    return el("th", { scope: "row" }, el("a", { href: `/console/matters/${c.id}/receipt`, target: "_blank" }, c.number));
  }

  // The steps that follow from its state; none here for a case sent up to the level that decides it.
  function steps(c) {
    if (c.referred) return el("td", { class: "steps decided-above" }, t("desk.decided_above", { by: c.decided_by }));
    // Not accepting on review is the deciding level's, for a case accepted below.
    const names = [...(STEPS[c.state] || []), ...(c.origin && c.state === "accepted" ? ["refuse"] : [])];
    return el("td", { class: "steps" }, ...names.map((name) =>
      el("button", { type: "button", class: "button small", "data-step": name, onclick: () => step(c.id, name) },
         t(`matters.step_${name}`))));
  }

  function open(c, ...more) {
    return el("tr", { "data-case": c.number }, numbered(c), ...more,
      el("td", {}, c.matter_name[data.lang] || c.matter_name.zh_CN),
      el("td", {}, t(`progress.state_${c.state}`)), el("td", {}, c.due || ""),
      el("td", {}, el("span", { class: `light ${c.light}` }, t(`matters.light_${c.light}`))), told(c), steps(c));
  }

  async function load() {
    const mine = `staff=${encodeURIComponent(data.job_no)}`;
    const [cases, closed, below] = await Promise.all([
      api("GET", `/api/v1/matters?open=true&${mine}`), api("GET", `/api/v1/matters?closed_on=${data.today}&${mine}`),
      api("GET", "/api/v1/matters?open=true&from_below=true")]);
    $("cases").replaceChildren(...cases.map((c) => open(c)));
    $("below").replaceChildren(...below.map((c) => open(c, el("td", { class: "origin" },
      `${c.accepted_here} · ${c.origin_number}`))));
    $("below-section").hidden = !below.length;
    $("closed").replaceChildren(...closed.map((c) => el("tr", { "data-case": c.number }, numbered(c),
      el("td", {}, c.matter_name[data.lang] || c.matter_name.zh_CN), el("td", {}, t(`progress.state_${c.state}`)),
      told(c))));
    clearTimeout(again);
    if ([...cases, ...closed].some((c) => c.notices.some((n) => !n.sent_at))) {
      again = setTimeout(() => load().catch((e) => say(e.message, true)), PENDING_AGAIN);
    }
  }

  async function start() {
    const me = await api("GET", "/api/v1/session");
    Hall.setCsrf(me.csrf_token);
    $("matter").replaceChildren(...data.services.map((s) => el("optgroup", { label: s.name },
      ...s.matters.map((m) => el("option", { value: m.code }, m.name)))));
    $("matter").addEventListener("change", chosen);
    $("open-form").addEventListener("submit", accept);
    $("walk-in").checked = !data.counter;
    chosen();
    await load();
    document.body.dataset.ready = "true";
  }
  start().catch((e) => say(e.message, true));
})();
