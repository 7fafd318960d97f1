"use strict";
// The supervisors' device page: every kiosk and counter terminal, its state and since when.
(() => {
  const { t, api, Live, el, dayTime, whereIs, learnLocation, soon } = Hall;
  const $ = (id) => document.getElementById(id);

  async function load() {
    const devices = await api("GET", "/api/v1/device-health");
    $("devices").replaceChildren(...devices.map((d) => el("tr", { class: `state-${d.state}`, "data-device": d.device_id },
      el("td", {}, d.device_id),
      el("td", {}, whereIs(d.device_id) || "—"),
      el("td", {}, t(`devices.kind_${d.kind}`)),
      el("td", { class: "state" }, t(`devices.state_${d.state}`)),
      el("td", {}, d.since ? dayTime(d.since) : ""),
      el("td", {}, [d.part, d.detail].filter(Boolean).join(" · ")))));
    $("no-devices").hidden = devices.length > 0;
  }

  const again = soon(load);
  new Live("/api/v1/events?tick=true", {
    onReady: load,
    // A help call tells where its kiosk stands.
    handlers: { device_status: again, device_offline: again, device_online: again,
                help_requested: (e) => { learnLocation(e.payload.help_call.device, e.payload.help_call.location); again(); } },
    onStatus(online) { $("connection").hidden = online; },
  }).start();
  // Offline is a matter of time (no heartbeat): look again now and then.
  setInterval(again, 15000);
})();
