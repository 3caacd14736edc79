/// `/assets/live.js`: keeps a run's page current without a reload. It follows the run's event
/// stream from the events the page already shows (`data-seen`); a moment after news it fetches the
/// page again and swaps in its header, live panel and report, so the browser always shows what the
/// server renders (the same rendering as the report). A dropped stream reconnects by itself
/// (`Last-Event-ID`) and the page then catches up the same way. Between redraws it advances the
/// growing durations each second (`data-ms`), and while steps run it asks `/runs/ID/progress` every
/// two seconds for their latest output lines (not events: the stream does not carry them).
enum LiveScript {
    static let javascript = """
        "use strict";
        (function () {
          const live = document.getElementById("live");
          if (!live) { return; }
          let pending = null;
          const stream = new EventSource(location.pathname + "/events?after=" + encodeURIComponent(live.dataset.seen));
          function note(text) {
            const line = document.getElementById("stream");
            if (line) { line.textContent = text; }
          }
          async function refresh() {
            pending = null;
            try {
              const response = await fetch(location.pathname, { cache: "no-store", credentials: "same-origin" });
              if (!response.ok) { note("Could not refresh the page (" + response.status + "); retrying with the next event."); return; }
              const page = new DOMParser().parseFromString(await response.text(), "text/html");
              for (const part of ["header", "#live", "main"]) {
                const fresh = page.querySelector(part);
                const old = document.querySelector(part);
                if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
                else if (old && !fresh) { old.remove(); }
              }
              drawnAt = Date.now();
              document.title = page.title;
            } catch (error) {
              note("Could not refresh the page: " + error + "; retrying with the next event.");
            }
          }
          function soon() { if (pending === null) { pending = setTimeout(refresh, 50); } }
          let drawnAt = Date.now();
          function duration(ms) {
            if (ms < 1000) { return ms + "ms"; }
            if (ms < 60000) { const tenths = Math.floor((ms + 50) / 100); return (tenths % 10 === 0 ? tenths / 10 : (tenths / 10).toFixed(1)) + "s"; }
            const total = Math.floor(ms / 1000), h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
            const pad = (n) => (n < 10 ? "0" : "") + n;
            return h > 0 ? h + "h" + pad(m) + "m" : m + "m" + pad(s) + "s";
          }
          setInterval(function () {
            const gone = Date.now() - drawnAt;
            for (const item of document.querySelectorAll("#live .ticking")) { item.textContent = duration(Number(item.dataset.ms) + gone); }
            for (const item of document.querySelectorAll("#live .share")) {
              item.textContent = String(Math.floor((Number(item.dataset.ms) + gone) * 100 / Number(item.dataset.of)));
            }
          }, 1000);
          setInterval(async function () {
            const spots = document.querySelectorAll("#live .latest");
            if (spots.length === 0) { return; }
            try {
              const response = await fetch(location.pathname + "/progress", { cache: "no-store", credentials: "same-origin" });
              if (!response.ok) { return; }
              const latest = await response.json();
              for (const spot of spots) {
                const found = latest.find((p) => p.stepID === spot.dataset.step && p.atMs >= Number(spot.dataset.since));
                if (!found) { continue; }
                const code = document.createElement("code");
                code.textContent = found.line;
                spot.replaceChildren(" · latest output: ", code);
              }
            } catch (error) { /* the next tick tries again */ }
          }, 2000);
          stream.onmessage = soon;
          stream.onopen = soon;
          stream.addEventListener("end", function () { stream.close(); refresh(); });
          stream.onerror = function () { note("Connection to the server lost; reconnecting…"); };
        })();

        """
}
