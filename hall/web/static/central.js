"use strict";
// The central page redrawn every 30 s from the server, its tree swapped in place (the page's
// own figures are drawn there: hall.uplink.central).
(() => {
  async function refresh() {
    try {
      const answer = await fetch(location.pathname + location.search, { credentials: "same-origin" });
      if (!answer.ok) return;
      const fresh = new DOMParser().parseFromString(await answer.text(), "text/html").querySelector("main.central");
      if (fresh) document.querySelector("main.central").replaceWith(fresh);
    } catch (e) { /* the next round tries again */ }
  }
  setInterval(refresh, 30000);
})();
