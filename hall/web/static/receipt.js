"use strict";
// The receipt printed on the counter's receipt printer: the hall asks the counter's terminal,
// which prints it and answers; its answer (printed, or what stops the printer) arrives on the
// live events and is said on the message line. A terminal silent for ANSWER_MS is said to be.
(() => {
  const { data, t, api, Live } = Hall;
  const $ = (id) => document.getElementById(id);
  const ANSWER_MS = 30000;
  const heard = new Map();   // job -> its outcome event, if it came before the job's own answer
  let waiting = null;        // { job, counter, timer } of the job on the message line

  function say(text, error = false) {
    $("message").textContent = text;
    $("message").classList.toggle("error", error);
  }

  function outcome(event) {
    const job = event.payload.job;
    if (!waiting || waiting.job !== job) {
      heard.set(job, event);
      return;
    }
    clearTimeout(waiting.timer);
    const { counter } = waiting;
    waiting = null;
    $("print-counter").disabled = false;
    if (event.payload.printed) say(t(event.payload.paper_low ? "receipt.paper_low" : "receipt.printed", { counter }));
    else say(t(`receipt.${event.payload.problem}`), true);
  }

  async function printAtCounter() {
    const counter = $("printer-counter") ? $("printer-counter").value : data.counters[0];
    $("print-counter").disabled = true;
    say(t("receipt.printing"));
    let asked;
    try {
      asked = await api("POST", `/api/v1/counters/${encodeURIComponent(counter)}/printer/receipts`,
                        { case_id: data.case_id, language: data.lang });
    } catch (e) {
      // The counter's problem in the page's words; anything else as the server said it.
      say(`receipt.${e.error}` in data.texts ? t(`receipt.${e.error}`) : e.message, true);
      $("print-counter").disabled = false;
      return;
    }
    waiting = { job: asked.job, counter, timer: setTimeout(() => {
      waiting = null;
      say(t("receipt.no_answer", { counter }), true);
      $("print-counter").disabled = false;
    }, ANSWER_MS) };
    document.body.dataset.job = asked.job;
    if (heard.has(asked.job)) outcome(heard.get(asked.job));
  }

  async function start() {
    const me = await api("GET", "/api/v1/session");
    Hall.setCsrf(me.csrf_token);
    $("print-counter").addEventListener("click", printAtCounter);
    new Live("/api/v1/events?tick=true", {
      onReady: async () => {
        $("print-counter").disabled = waiting !== null;
        document.body.dataset.ready = "true";
      },
      handlers: { receipt_printed: outcome, receipt_not_printed: outcome },
    }).start();
  }
  start().catch((e) => say(e.message, true));
})();
