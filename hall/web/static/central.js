"use strict";
// The central pages redrawn every 30 s from the server, their main part swapped in place (the
// figures are drawn there: hall.uplink.central); a page that draws more on it (the wall's
// charts) listens for "central-redrawn".
(() => {
  async function refresh() {
    try {
      const answer = await fetch(location.pathname + location.search, { credentials: "same-origin" });
      if (!answer.ok) return;
      const fresh = new DOMParser().parseFromString(await answer.text(), "text/html").querySelector("main.central");
      if (!fresh) return;
      document.querySelector("main.central").replaceWith(fresh);
      document.dispatchEvent(new Event("central-redrawn"));
    } catch (e) { /* the next round tries again */ }
  }
  setInterval(refresh, 30000);
})();
