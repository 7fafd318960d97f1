"use strict";
// The receipt printed on the counter's own printer: the server renders it and sends it there;
// what came of it, printed or what stops the printer, is said on the message line.
(() => {
  const { data, t, api } = Hall;
  const $ = (id) => document.getElementById(id);

  function say(text, error = false) {
    $("message").textContent = text;
    $("message").classList.toggle("error", error);
  }

  async function printAtCounter() {
    const counter = $("printer-counter") ? $("printer-counter").value : data.counters[0];
    $("print-counter").disabled = true;
    say(t("receipt.printing"));
    try {
      const printed = await api("POST", `/api/v1/counters/${encodeURIComponent(counter)}/printer/receipts`,
                                { case_id: data.case_id, language: data.lang });
      say(t(printed.paper_low ? "receipt.paper_low" : "receipt.printed", { counter }));
    } catch (e) {
      // The printer's problem in the page's words; anything else as the server said it.
      say(`receipt.${e.error}` in data.texts ? t(`receipt.${e.error}`) : e.message, true);
    } finally {
      $("print-counter").disabled = false;
    }
  }

  async function start() {
    const me = await api("GET", "/api/v1/session");
    Hall.setCsrf(me.csrf_token);
    $("print-counter").addEventListener("click", printAtCounter);
    $("print-counter").disabled = false;
    document.body.dataset.ready = "true";
  }
  start().catch((e) => say(e.message, true));
})();
