"use strict";
// The supervisor's page: the figures of a period with their charts (Apache ECharts, served
// from here), the follow-up cases of bad ratings step by step, and whom to phone back.
(() => {
  const { data, t, api, el, dayTime } = Hall;
  const $ = (id) => document.getElementById(id);
  const FONT = getComputedStyle(document.documentElement).fontFamily;
  const LEVEL_COLOURS = { 5: "#1b7f3b", 4: "#5a9e3a", 3: "#c9a227", 2: "#d4692a", 1: "#b3261e" };

  const percent = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
  const share = (part, whole) => (whole ? part / whole : null);

  function show(message) {
    $("problem").textContent = message || "";
    $("problem").hidden = !message;
  }
  const failed = (e) => show(t("supervisor.failed", { message: e.message }));

  // -- tabs --------------------------------------------------------------------------------
  const tabs = ["figures", "cases", "callbacks"];
  function select(name) {
    for (const tab of tabs) {
      $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
      $(tab).hidden = tab !== name;
    }
    if (name === "figures") charts.forEach((c) => c.resize());
    if (name === "cases") loadCases().catch(failed);
    if (name === "callbacks") loadCallbacks().catch(failed);
  }
  for (const tab of tabs) $(`tab-${tab}`).addEventListener("click", () => select(tab));

  // -- the period ----------------------------------------------------------------------------
  // Days are the hall's: `today` comes from the server, and dates are counted in UTC so that
  // the browser's own zone never shifts them.
  const day = (iso) => new Date(`${iso}T00:00:00Z`);
  const iso = (d) => d.toISOString().slice(0, 10);
  function quick(kind) {
    const today = day(data.today);
    let start = today;
    if (kind === "week") start = new Date(today.getTime() - ((today.getUTCDay() + 6) % 7) * 86400000);
    if (kind === "month") start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
    $("from").value = iso(start);
    $("to").value = data.today;
    loadFigures().catch(failed);
  }
  document.querySelectorAll("[data-quick]").forEach((b) => b.addEventListener("click", () => quick(b.dataset.quick)));
  for (const id of ["from", "to", "by"]) $(id).addEventListener("change", () => loadFigures().catch(failed));
  $("filters").addEventListener("submit", (e) => e.preventDefault());

  function groupName(by, key) {
    if (key === "") return t("supervisor.unknown");
    if (by === "staff") return data.staff[key] ? `${data.staff[key]}（${key}）` : key;
    if (by === "counter") return t("common.counter", { counter: key });
    if (by === "service") return data.services[key] || key;
    return key;
  }

  // -- charts -------------------------------------------------------------------------------
  const charts = [];
  function chart(id) {
    const c = echarts.init($(id), null, { renderer: "canvas" });
    charts.push(c);
    return c;
  }
  const levelsChart = chart("chart-levels");
  const daysChart = chart("chart-days");
  const waitsChart = chart("chart-waits");
  const servicesChart = chart("chart-services");
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

  // The page's Content-Security-Policy allows no inline style: tooltips are drawn on the
  // canvas (richText), never as HTML.
  const base = {
    aria: { enabled: true },
    textStyle: { fontFamily: FONT, fontSize: 13 },
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    tooltip: { trigger: "axis", renderMode: "richText" },
    animation: false,
  };
  function bars(target, names, values, colours) {
    target.setOption({
      ...base,
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: values.map((v, i) => ({ value: v, itemStyle: { color: colours ? colours[i] : "#3a6ea5" } })),
                 label: { show: true, position: "top" } }],
    }, true);
  }
  function buckets(edges) {
    const names = [t("supervisor.under_minutes", { n: edges[0] })];
    for (let i = 1; i < edges.length; i += 1) names.push(t("supervisor.minutes_range", { a: edges[i - 1], b: edges[i] }));
    names.push(t("supervisor.over_minutes", { n: edges[edges.length - 1] }));
    return names;
  }

  // -- figures ------------------------------------------------------------------------------
  async function loadFigures() {
    const start = $("from").value, end = $("to").value, by = $("by").value;
    if (!start || !end) return;
    if (start > end) { show(t("supervisor.period_backwards")); return; }
    show("");
    const q = `start=${start}&end=${end}`;
    $("export-csv").href = `/api/v1/ratings/export?format=csv&${q}`;
    $("export-xlsx").href = `/api/v1/ratings/export?format=xlsx&${q}`;
    const [groups, days, levels, durations] = await Promise.all([
      api("GET", `/api/v1/ratings/figures?by=${by}&${q}`),
      by === "day" ? null : api("GET", `/api/v1/ratings/figures?by=day&${q}`),
      api("GET", `/api/v1/ratings/levels?${q}`),
      api("GET", `/api/v1/ratings/durations?${q}`),
    ]);
    summary(groups);
    table(by, groups);
    overTime(days || groups);
    const levelNames = data.levels.map((l) => t(`supervisor.level_${l}`)).concat(t("supervisor.not_rated"));
    bars(levelsChart, levelNames, data.levels.map((l) => levels.counts[l]).concat(levels.not_rated),
         data.levels.map((l) => LEVEL_COLOURS[l]).concat("#8a96a3"));
    bars(waitsChart, buckets(durations.wait_edges), durations.waits);
    bars(servicesChart, buckets(durations.service_edges), durations.services);
    document.body.dataset.loaded = `${by} ${start} ${end}`;
  }

  function summary(groups) {
    const sum = (k) => groups.reduce((n, g) => n + g[k], 0);
    const transactions = sum("transactions"), rated = sum("rated");
    $("sum-transactions").textContent = transactions;
    $("sum-rated").textContent = rated;
    $("sum-satisfaction").textContent = percent(share(sum("satisfied"), rated));
    $("sum-bad").textContent = percent(share(sum("bad"), rated));
    $("sum-not-rated").textContent = percent(share(sum("not_rated"), transactions));
  }

  function table(by, groups) {
    $("table-title").textContent = t(`supervisor.per_${by}`);
    $("group-head").textContent = t(`supervisor.by_${by}`);
    // The weakest first, except days, which read in order.
    const rows = [...groups];
    if (by !== "day") rows.sort((a, b) => (a.satisfaction_rate ?? 2) - (b.satisfaction_rate ?? 2) || (a.key < b.key ? -1 : 1));
    $("figure-rows").replaceChildren(...rows.map((g) => el("tr", { class: g.below_threshold ? "below" : "", "data-key": g.key },
      el("th", { scope: "row" }, groupName(by, g.key)),
      el("td", { class: "n" }, String(g.transactions)),
      el("td", { class: "n" }, String(g.rated)),
      el("td", { class: "n" }, percent(g.satisfaction_rate)),
      el("td", { class: "n" }, percent(g.bad_rate)),
      el("td", { class: "n" }, percent(g.not_rated_share)),
      el("td", { class: "flag" }, g.below_threshold ? t("supervisor.below", { threshold: data.threshold }) : ""))));
    $("no-figures").hidden = groups.length > 0;
  }

  function overTime(days) {
    daysChart.setOption({
      ...base,
      legend: { top: 0, textStyle: { fontFamily: FONT } },
      grid: { ...base.grid, top: 36 },
      xAxis: { type: "category", data: days.map((d) => d.key.slice(5)) },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: t("supervisor.satisfaction_rate"), type: "line", color: "#1b7f3b", connectNulls: false,
          data: days.map((d) => (d.satisfaction_rate === null ? null : +(d.satisfaction_rate * 100).toFixed(1))),
          markLine: { silent: true, symbol: "none", lineStyle: { color: "#b3261e", type: "dashed" },
                      label: { position: "insideEndTop", formatter: t("supervisor.threshold_line", { threshold: data.threshold }) },
                      data: [{ yAxis: data.threshold }] } },
        { name: t("supervisor.bad_rate"), type: "line", color: "#b3261e",
          data: days.map((d) => (d.bad_rate === null ? null : +(d.bad_rate * 100).toFixed(1))) },
      ],
    }, true);
  }

  // -- follow-up cases ----------------------------------------------------------------------
  let openCaseId = null;
  $("case-filter").addEventListener("change", () => loadCases().catch(failed));

  async function loadCases() {
    const filter = $("case-filter").value;
    const q = filter === "unfinished" ? "unfinished=true" : filter === "overdue" ? "overdue=true" : "";
    const list = await api("GET", `/api/v1/cases?limit=500&${q}`);
    $("case-rows").replaceChildren(...list.map((c) => el("tr", { class: c.overdue ? "overdue" : "", "data-case": String(c.id) },
      el("td", { class: "num" }, c.number),
      el("td", {}, groupName("staff", c.rating.staff_job_no || "")),
      el("td", { class: `level-${c.rating.level}` }, t(`supervisor.level_${c.rating.level}`)),
      el("td", {}, t(`supervisor.state_${c.state}`)),
      el("td", {}, c.overdue ? t("supervisor.overdue_since", { due: c.due }) : c.due),
      el("td", {}, caseButton(c)))));
    $("no-cases").hidden = list.length > 0;
    await countOverdue();
  }
  function caseButton(c) {
    const button = el("button", { class: "button small", type: "button" }, t("supervisor.open_case"));
    button.addEventListener("click", () => openCase(c.id).catch(failed));
    return button;
  }
  async function countOverdue() {
    const overdue = await api("GET", "/api/v1/cases?overdue=true&limit=1000");
    $("overdue-count").textContent = t("supervisor.overdue_count", { n: overdue.length });
    $("overdue-count").hidden = overdue.length === 0;
  }

  async function openCase(id) {
    const c = await api("GET", `/api/v1/cases/${id}`);
    openCaseId = id;
    renderCase(c);
  }
  function fact(name, value) {
    return el("div", {}, el("dt", {}, name), el("dd", {}, value));
  }
  function renderCase(c) {
    const r = c.rating;
    $("case-detail").hidden = false;
    $("case-detail").classList.toggle("overdue", c.overdue);
    $("case-title").textContent = t("supervisor.case_title", { number: c.number, day: r.day });
    const reasons = r.reasons.map((code) => (data.reasons.find((x) => x.code === code) || { name: code }).name);
    $("case-facts").replaceChildren(
      fact(t("supervisor.level"), t(`supervisor.level_${r.level}`)),
      fact(t("supervisor.reasons"), reasons.join("、") || "—"),
      fact(t("supervisor.comment"), r.comment || "—"),
      fact(t("supervisor.by_staff"), groupName("staff", r.staff_job_no || "")),
      fact(t("supervisor.by_counter"), groupName("counter", r.counter)),
      fact(t("supervisor.by_service"), groupName("service", r.service)),
      fact(t("supervisor.state"), t(`supervisor.state_${c.state}`)),
      fact(t("supervisor.due"), c.overdue ? t("supervisor.overdue_since", { due: c.due }) : c.due));
    $("case-history").replaceChildren(...(c.steps || []).map((s) => el("li", {},
      el("span", { class: "when" }, dayTime(s.at)),
      el("strong", {}, t(`supervisor.step_${s.step}`)),
      s.by ? el("span", { class: "by" }, groupName("staff", s.by)) : null,
      s.note ? el("span", { class: "note" }, s.note) : null)));
    const next = data.steps[c.state] || [];
    $("step-buttons").replaceChildren(...next.map((step) => {
      const b = el("button", { class: "button", type: "button", "data-step": step }, t(`supervisor.do_${step}`));
      b.addEventListener("click", () => takeStep(step).catch(failed));
      return b;
    }));
    $("step-note").hidden = next.length === 0;
    $("step-form").querySelector("label").hidden = next.length === 0;
    $("case-finished").hidden = next.length > 0;
  }
  async function takeStep(step) {
    const note = $("step-note").value.trim();
    if (!note) { $("step-note").focus(); show(t("supervisor.note_needed")); return; }
    show("");
    const buttons = $("step-buttons").querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const c = await api("POST", `/api/v1/cases/${openCaseId}/steps`, { step, note });
      $("step-note").value = "";
      renderCase(c);
      await loadCases();
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  // -- call-backs ---------------------------------------------------------------------------
  let calling = null;
  async function loadCallbacks() {
    const list = await api("GET", "/api/v1/callbacks?limit=500");
    $("callback-rows").replaceChildren(...list.map((c) => {
      const button = el("button", { class: "button small", type: "button" }, t("supervisor.record_call"));
      button.addEventListener("click", () => startCall(c));
      return el("tr", { "data-ticket": String(c.ticket_id) },
        el("td", { class: "num" }, c.number), el("td", {}, groupName("service", c.service)),
        el("td", {}, groupName("counter", c.counter)), el("td", {}, dayTime(c.completed_at)),
        el("td", { class: "phone" }, c.phone), el("td", {}, button));
    }));
    $("no-callbacks").hidden = list.length > 0;
    $("callback-count").textContent = String(list.length);
    $("callback-count").hidden = list.length === 0;
  }
  const form = $("call-form");
  function startCall(c) {
    calling = c;
    form.reset();
    form.hidden = false;
    $("call-title").textContent = t("supervisor.call_title", { number: c.number, phone: c.phone });
    $("call-message").textContent = "";
    fitCallForm();
  }
  function fitCallForm() {
    const answered = form.outcome.value === "answered";
    const level = Number(form.level.value || 0);
    $("call-levels").hidden = !answered;
    $("call-reasons").hidden = !(answered && level && level <= 2);
  }
  form.addEventListener("change", fitCallForm);
  $("call-cancel").addEventListener("click", () => { form.hidden = true; calling = null; });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const outcome = form.outcome.value;
    const body = { outcome, reasons: [], comment: $("call-comment").value.trim() };
    if (outcome === "answered") {
      if (!form.level.value) { show(t("supervisor.level_needed")); return; }
      body.level = Number(form.level.value);
      if (body.level <= 2) body.reasons = [...form.querySelectorAll("input[name=reason]:checked")].map((x) => x.value);
    }
    show("");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api("POST", `/api/v1/callbacks/${calling.ticket_id}`, body);
      $("call-message").textContent = t("supervisor.call_saved", { number: calling.number });
      form.hidden = true;
      calling = null;
      await loadCallbacks();
    } catch (err) {
      failed(err);
    } finally {
      button.disabled = false;
    }
  });

  // -- start ----------------------------------------------------------------------------------
  (async () => {
    const me = await api("GET", "/api/v1/session");
    Hall.setCsrf(me.csrf_token);
    quick("month");
    await Promise.all([countOverdue(), loadCallbacks()]);
  })().catch(failed);
})();
