/* Operator wall (issue 4): browser-side pieces that need no server round trip — the clock,
   the "lost contact with the server" watchdog, rotation between wall pages, the beep when a
   system goes down (WebAudio, generated here: nothing is fetched), and map clicks. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  wall: {
    tick: function (_n, config) {
      const now = Date.now();
      const w = (window.iocWall = window.iocWall || {});
      if (!w.loadedAt) { w.loadedAt = now; }
      // Vietnam time is UTC+7 all year (no daylight saving): no time-zone data needed.
      const vn = new Date(now + 7 * 3600 * 1000);
      const pad = (x) => String(x).padStart(2, "0");
      const clock = pad(vn.getUTCHours()) + ":" + pad(vn.getUTCMinutes()) + ":" + pad(vn.getUTCSeconds());
      const date = pad(vn.getUTCDate()) + "/" + pad(vn.getUTCMonth() + 1) + "/" + vn.getUTCFullYear();
      const refresh = (config && config.refresh_ms) || 5000;
      const last = w.lastOk || w.loadedAt;
      // Three refreshes without an answer: whatever is on screen can no longer be trusted.
      const lost = now - last > 3 * refresh + 2000;
      // Figures size their type by the screen: 1 on a 1920 px wide viewport, 2 on 3840.
      const scale = Math.round(Math.min(Math.max(window.innerWidth / 1920, 0.6), 2.5) * 20) / 20;
      const scaleChanged = w.scale !== scale;
      w.scale = scale;
      return [clock, date, lost ? "wall-lost" : "wall-lost d-none", scaleChanged ? scale : window.dash_clientside.no_update];
    },

    received: function (state, config) {
      const w = (window.iocWall = window.iocWall || {});
      if (!state) { return window.dash_clientside.no_update; }
      w.lastOk = Date.now();
      // the live board has drawn over the server's first paint: drop the snapshot
      document.querySelectorAll(".wall-first-paint").forEach(function (e) { e.remove(); });
      const down = state.down || [];
      const before = w.down;
      w.down = down;
      if (before !== undefined && config && config.sound) {
        const fresh = down.filter((id) => before.indexOf(id) < 0);
        if (fresh.length) { window.dash_clientside.wall.beep(); }
      }
      return down.length;
    },

    beep: function () {
      try {
        const w = (window.iocWall = window.iocWall || {});
        const Ctx = window.AudioContext || window.webkitAudioContext;
        const ctx = w.audio || (w.audio = new Ctx());
        if (ctx.state === "suspended") { ctx.resume(); }
        [0, 0.35, 0.7].forEach(function (offset) {
          const osc = ctx.createOscillator();
          const gain = ctx.createGain();
          const t0 = ctx.currentTime + offset;
          osc.type = "square";
          osc.frequency.value = 880;
          gain.gain.setValueAtTime(0.0001, t0);
          gain.gain.exponentialRampToValueAtTime(0.3, t0 + 0.02);
          gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.25);
          osc.connect(gain).connect(ctx.destination);
          osc.start(t0);
          osc.stop(t0 + 0.3);
        });
        w.beeps = (w.beeps || 0) + 1;
      } catch (e) { /* no audio device: the pulse still shows */ }
      return true;
    },

    rotate: function (n, config) {
      if (!n || !config || !config.next) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
      return [config.next, config.search || ""];
    },

    click: function (clickData) {
      const point = clickData && clickData.points && clickData.points[0];
      if (point && typeof point.customdata === "string" && point.customdata.charAt(0) === "/") {
        window.location.assign(point.customdata);
      }
      return window.dash_clientside.no_update;
    },
  },
});
