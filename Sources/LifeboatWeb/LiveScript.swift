/// `/assets/live.js`: keeps a run's page current without a reload. It follows the run's event
/// stream from the events the page already shows (`data-seen`); a moment after news it fetches the
/// page again and swaps in its header, live panel and report, so the browser always shows what the
/// server renders (the same rendering as the report). A dropped stream reconnects by itself
/// (`Last-Event-ID`) and the page then catches up the same way.
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
              document.title = page.title;
            } catch (error) {
              note("Could not refresh the page: " + error + "; retrying with the next event.");
            }
          }
          function soon() { if (pending === null) { pending = setTimeout(refresh, 50); } }
          stream.onmessage = soon;
          stream.onopen = soon;
          stream.addEventListener("end", function () { stream.close(); refresh(); });
          stream.onerror = function () { note("Connection to the server lost; reconnecting…"); };
        })();

        """
}
