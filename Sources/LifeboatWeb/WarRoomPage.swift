import LifeboatReports

/// What every `lifeboat serve` page adds to the report pages: the navigation, its own small
/// stylesheet (inline, allowed by its hash in the Content-Security-Policy) and the live script.
enum WarRoomPage {
    static let css = """
        nav.warroom{background:#0b1a33;padding:8px 40px;font-size:13px}
        nav.warroom a{color:#cfd9e8;text-decoration:none;margin-right:18px;font-weight:600}
        nav.warroom a:hover{color:#fff}
        nav.warroom .store{float:right;color:#8796ad}
        .live{max-width:1180px;margin:18px auto 0;padding:0 32px}
        .live .panel{border-left:4px solid #1d4477}
        .live .panel.waiting{border-left-color:#b7791f}
        .live dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0 0}
        .live dt{color:#5f6b7a;font-weight:600}
        .live dd{margin:0}
        .live .stream{font-size:12px;color:#5f6b7a}
        form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
        form.filters input,form.filters select{font:inherit;padding:4px 6px}
        .overdue td{color:#c8382e;font-weight:600}
        """

    /// The navigation bar, naming the store it reads.
    static func navigation(store: String) -> String {
        let h = ReportText.html
        return "<nav class=\"warroom\"><a href=\"/\">Runs</a><a href=\"/status\">Schedule</a>"
            + "<span class=\"store\">read-only view of \(h(store))</span></nav>\n"
    }

    /// The additions to a report page: the stylesheet, the live script (only where something can
    /// still change) and the navigation before the page's own content.
    static func additions(store: String, live: Bool, panel: String = "") -> HTMLReport.Additions {
        let script = live ? "<script src=\"/assets/live.js\" defer></script>\n" : ""
        return HTMLReport.Additions(head: "<style>\(css)</style>\n" + script, beforeMain: navigation(store: store) + panel)
    }
}
