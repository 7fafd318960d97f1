"use strict";
// The console's login: the API's session (an HttpOnly cookie), then the choice of counter.
(() => {
  const { data, t, api, el } = Hall;
  const $ = (id) => document.getElementById(id);
  const form = $("login-form");

  function pick(counters) {
    if (data.next) { location.href = data.next; return; }
    if (counters.length === 1) { location.href = `/console/${counters[0]}`; return; }
    $("pick-counters").replaceChildren(...counters.map((c) =>
      el("a", { class: "button", href: `/console/${c}` }, t("common.counter", { counter: c }))));
    form.hidden = true;
    $("pick").hidden = false;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    $("login-error").textContent = "";
    try {
      const me = await api("POST", "/api/v1/session",
                           { job_no: form.job_no.value.trim(), password: form.password.value });
      pick(me.counters);
    } catch (err) {
      $("login-error").textContent = err.status === 401 ? t("console.login_failed")
        : err.status === 429 ? t("console.login_slowed", { s: err.retryAfter || "" }) : t("console.login_error");
      form.password.value = "";
    } finally {
      button.disabled = false;
    }
  });
})();
