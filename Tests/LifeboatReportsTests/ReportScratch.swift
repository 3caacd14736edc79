import Foundation

/// A temp folder for report files, and a way to run the real tools (xmllint, python3, chromium) on them.
/// The folder is removed when the test process exits (set LIFEBOAT_KEEP_REPORTS=1 to keep it and
/// look at the rendered PNG).
enum ReportScratch {
    static let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-report-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["LIFEBOAT_KEEP_REPORTS"] == nil {
            atexit { try? FileManager.default.removeItem(atPath: ReportScratch.directory) }
        }
        return path
    }()

    /// The repository root (for `scripts/render-report`).
    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    static func write(_ text: String, name: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Loads `html` in headless chromium at `width` px with `script` appended, and returns the text
    /// the script put into `<pre id="measured">`: how the page came out, as a person's browser
    /// lays it out. The page itself has no scripts; only this copy of it does.
    static func measure(_ html: String, script: String, width: Int = 1280) throws -> String {
        let page = html.replacingOccurrences(
            of: "</body>", with: "<pre id=\"measured\"></pre><script>document.getElementById('measured').textContent = (function () { \(script) })();</script></body>")
        let path = try write(page, name: "measure-\(UUID().uuidString).html")
        let profile = directory + "/profile-\(UUID().uuidString)"
        let browser = ["chromium", "chromium-browser", "google-chrome"].first { name in
            (try? run(["sh", "-c", "command -v \(name)"]))?.status == 0
        } ?? "chromium"
        let result = try run([
            "timeout", "120", browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--user-data-dir=\(profile)", "--window-size=\(width),1600", "--virtual-time-budget=3000", "--dump-dom", "file://" + path,
        ])
        guard let match = result.output.firstMatch(of: /<pre id="measured">([^<]*)<\/pre>/) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "chromium gave no measurement: \(result.output.suffix(400))"])
        }
        return String(match.1)
    }

    /// Runs a program found on PATH (or at a path) and returns its exit status and stdout+stderr.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let outURL = URL(fileURLWithPath: directory + "/out-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: outURL, encoding: .utf8)) ?? "")
    }
}

/// Decodes a PNG with python3's zlib (no imaging library) and prints `width height colours share`:
/// the number of distinct colours and the share of pixels that differ from the most common one.
enum PNGCheck {
    static let script = """
        import sys, zlib, struct
        from collections import Counter
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
        pos, idat, ihdr = 8, b'', None
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            if kind == b'IHDR': ihdr = struct.unpack('>IIBBBBB', body)
            elif kind == b'IDAT': idat += body
            pos += 12 + length
        width, height, depth, ctype, _, _, interlace = ihdr
        assert depth == 8 and ctype in (2, 6) and interlace == 0, 'unexpected PNG format %r' % (ihdr,)
        bpp = 3 if ctype == 2 else 4
        raw = zlib.decompress(idat)
        stride = width * bpp
        prev = bytearray(stride)
        colours = Counter()
        for y in range(height):
            f = raw[y * (stride + 1)]
            line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                if f == 1: line[i] = (line[i] + a) & 255
                elif f == 2: line[i] = (line[i] + b) & 255
                elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            if y % 2 == 0:
                for x in range(0, stride, bpp * 2):
                    colours[bytes(line[x:x + 3])] += 1
            prev = line
        total = sum(colours.values())
        share = 1 - colours.most_common(1)[0][1] / total
        print(width, height, len(colours), round(share, 4))
        """
}
