import LifeboatCore
/// The report page's stylesheet, inlined into every HTML report.
public enum HTMLStyle {
    public static let css = """
        :root{--ink:#1b2533;--muted:#5f6b7a;--line:#e2e7ee;--bg:#f4f6f9;--ok:#1f8a5b;--ok-bg:#e3f4ec;--bad:#c8382e;\
        --bad-bg:#fbe7e5;--warn:#b7791f;--warn-bg:#fdf3dc;--none:#6b7785;--none-bg:#eceff3;--navy:#13294b}
        *{box-sizing:border-box}
        html{-webkit-text-size-adjust:100%}
        body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 "Inter","Segoe UI",Roboto,"Helvetica Neue",\
        "Liberation Sans","DejaVu Sans",Arial,sans-serif}
        code,.mono{font-family:"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12.5px}
        header{background:linear-gradient(120deg,#0f2140 0%,#1d4477 100%);color:#fff;padding:28px 40px 24px}
        header .glance{float:right;text-align:right;font-size:12.5px;line-height:1.35;margin-left:24px}
        header .glance div{margin-bottom:8px}
        header .glance span{display:block;text-transform:uppercase;letter-spacing:.1em;font-size:10.5px;opacity:.6;font-weight:600}
        header .eyebrow{text-transform:uppercase;letter-spacing:.12em;font-size:11px;opacity:.7;font-weight:600}
        header h1{margin:6px 0 4px;font-size:26px;font-weight:650;letter-spacing:-.01em}
        header h1 .sep{opacity:.45;font-weight:400}
        header .sub{opacity:.82;font-size:13px}
        header code{background:rgba(255,255,255,.12);padding:1px 6px;border-radius:4px;color:#fff}
        .badges{margin-top:14px;display:flex;flex-wrap:wrap;gap:8px}
        .badge{display:inline-block;padding:4px 12px;border-radius:999px;font-size:12.5px;font-weight:600;\
        border:1px solid rgba(255,255,255,.25)}
        .badge.ok{background:#1f8a5b;color:#fff}.badge.bad{background:#c8382e;color:#fff}
        .badge.warn{background:#b7791f;color:#fff}.badge.none{background:rgba(255,255,255,.14);color:#e8edf5}
        .badge.mode{background:rgba(255,255,255,.9);color:var(--navy)}
        main{max-width:1180px;margin:0 auto;padding:24px 32px 8px}
        .cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-bottom:18px}
        .card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 16px;border-top:4px solid var(--line)}
        .card.ok{border-top-color:var(--ok)}.card.bad{border-top-color:var(--bad)}.card.none{border-top-color:#c3cad3}
        .card .label{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.05em}
        .card .figure{font-size:24px;font-weight:650;margin:4px 0 2px;letter-spacing:-.01em}
        .card .of{font-size:14px;color:var(--muted);font-weight:500}
        .card .note{font-size:12px;color:var(--muted)}
        .panel{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px 18px;margin-bottom:18px}
        .panel h2{font-size:15px;margin:0 0 4px;font-weight:650}
        .panel>p{margin:0 0 10px;font-size:12.5px}
        .muted{color:var(--muted);font-size:12px}
        table{width:100%;border-collapse:collapse}
        th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
        thead th{font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;\
        background:#f8fafc;border-bottom:1px solid #d5dce5}
        tbody tr:last-child td,tbody tr:last-child th{border-bottom:none}
        td.num,th.num{text-align:right;white-space:nowrap}
        td.mono{white-space:nowrap}
        .sid{font-weight:600}
        .nowrap,.pill.mode{white-space:nowrap}
        .result{max-width:420px;overflow-wrap:anywhere}
        .err{color:var(--bad)}
        pre.tail{margin:6px 0 0;padding:6px 8px;background:#f8fafc;border:1px solid #e2e8f0;border-radius:4px;\
        font-size:11.5px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:240px;overflow:auto}
        table.facts th{width:200px;color:var(--muted);font-weight:600;font-size:12.5px}
        .pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:11.5px;font-weight:600;white-space:nowrap;\
        background:var(--none-bg);color:var(--none);text-transform:none;letter-spacing:0}
        .pill.ok,.pill.st-succeeded,.pill.st-compensated{background:var(--ok-bg);color:var(--ok)}
        .pill.bad,.pill.st-failed,.pill.st-unknown,.pill.st-compensation-failed{background:var(--bad-bg);color:var(--bad)}
        .pill.warn,.pill.st-running,.pill.st-awaiting-approval,.pill.st-retry-wait,.pill.st-verifying{background:var(--warn-bg);\
        color:var(--warn)}
        .pill.mode{background:#e6ecf7;color:var(--navy)}
        .pill.forced{background:var(--warn-bg);color:var(--warn)}
        svg.timeline{width:100%;height:auto;display:block;margin-top:6px}
        svg.chart{width:100%;height:auto;display:block;background:#fff}
        svg.chart text{font-size:11px;fill:var(--muted)}
        svg.chart .point-label{fill:var(--ink);font-weight:600}
        .legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin-top:10px;font-size:12px;color:var(--muted)}
        .legend span{display:inline-flex;align-items:center;gap:6px}
        .sw{display:inline-block;width:18px;height:10px;border-radius:2px}
        .sw-succeeded{background:#2f9e6e}.sw-failed{background:#d9473c}.sw-open{background:#8795a8}
        .sw-compensation{background:#2b7a9e}
        .sw-backoff{height:0;border-top:2px dashed #8a96a6;border-radius:0}
        .sw-approval{background:repeating-linear-gradient(45deg,#fbe8b8 0 3px,#e3a72f 3px 5px)}
        .sw-target{width:0;height:14px;border-left:2px dashed #c8382e;border-radius:0}
        .sw-achieved{width:0;height:14px;border-left:2px solid #13294b;border-radius:0}
        footer{max-width:1180px;margin:0 auto;padding:4px 32px 28px;color:var(--muted);font-size:12px}
        @media (max-width:900px){.cards{grid-template-columns:repeat(2,1fr)}header .glance{display:none}main{padding:18px 16px 4px}}
        @media print{body{background:#fff}.panel,.card{break-inside:avoid}}
        """
}
