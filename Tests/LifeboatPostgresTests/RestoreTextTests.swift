@testable import LifeboatActions
import Testing

@Suite("postgres.restore: quoting and log reading")
struct RestoreTextTests {
    @Test func quotesForConfigAndShell() {
        #expect(RestoreText.gucQuote("it's a\\b") == "'it''s a\\\\b'")
        #expect(RestoreText.restoreCommand(archive: "/srv/wal archive") == "cp '/srv/wal archive'/%f %p")
        #expect(!RestoreText.isSafePath("/srv/it's"))
        #expect(!RestoreText.isSafePath("/srv/100%"))
        #expect(!RestoreText.isSafePath("/srv/a\nb"))
        #expect(RestoreText.isSafePath("/srv/wal-archive_1"))
        #expect(RestoreText.isLSN("0/3000060") && !RestoreText.isLSN("0/") && !RestoreText.isLSN("x/1"))
        #expect(RestoreText.isPlausibleTimestamp("2026-11-29 02:20:00.123456+00"))
        #expect(!RestoreText.isPlausibleTimestamp("now'; DROP"))
    }

    @Test func readsBackupLabelAndSegments() {
        let label = RestoreText.parseBackupLabel("""
            START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
            CHECKPOINT LOCATION: 0/2000060
            START TIME: 2026-11-29 02:20:00 UTC
            START TIMELINE: 1
            """)
        #expect(label.timeline == 1)
        #expect(label.startSegment == "000000010000000000000002")
        #expect(label.startTime == "2026-11-29 02:20:00 UTC")
        let start = RestoreText.Segment("000000010000000000000002")!
        let names = ["000000010000000000000002", "000000010000000000000003", "000000010000000000000005", "00000002.history"]
        #expect(RestoreText.firstGap(in: names, from: start)?.name == "000000010000000000000004")
        #expect(RestoreText.firstGap(in: Array(names.prefix(2)), from: start) == nil)
        let wrap = ["0000000100000000000000FF", "000000010000000100000000"]
        #expect(RestoreText.firstGap(in: wrap, from: RestoreText.Segment("0000000100000000000000FF")!) == nil)
    }

    @Test func readsTheServerLog() {
        let log = RestoreText.parseLog("""
            2026-11-29 02:20:01.001 UTC [10] LOG:  consistent recovery state reached at 0/2000100
            cp: cannot stat '/a/000000010000000000000007': No such file or directory
            2026-11-29 02:20:01.002 UTC [10] LOG:  recovery stopping after commit of transaction 745, time 2026-11-29 02:19:00.5+00
            2026-11-29 02:20:01.003 UTC [10] LOG:  last completed transaction was at log time 2026-11-29 02:19:00.5+00
            2026-11-29 02:20:01.004 UTC [10] FATAL:  recovery ended before configured recovery target was reached
            """)
        #expect(log.stopLine == "recovery stopping after commit of transaction 745, time 2026-11-29 02:19:00.5+00")
        #expect(log.stopCommitTimeReplayed == "2026-11-29 02:19:00.5+00")
        #expect(log.lastCompletedTransaction == "2026-11-29 02:19:00.5+00")
        #expect(log.fatal == "FATAL:  recovery ended before configured recovery target was reached")
        #expect(log.missingSegments == ["000000010000000000000007"])
        #expect(log.reachedConsistency)
    }
}
