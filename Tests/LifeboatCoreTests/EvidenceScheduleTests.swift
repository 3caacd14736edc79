import Foundation
import LifeboatCore
import Testing

/// Schedule compliance with runs placed at chosen dates.
@Suite struct EvidenceScheduleTests {
    static func at(_ iso: String) -> Int64 { UTCCalendar.parseISO(iso)! }

    static let plan = ScheduleCompliance.PlanInfo(
        planID: "pay", path: "plans/pay.yaml", scenarios: ["region", "db"],
        schedule: [.tabletop: .quarterly, .failover: .semiannual, .full: .annual])

    static func run(_ scenario: String, _ mode: RunMode, _ ended: String, id: String? = nil) -> ScheduleCompliance.LatestRun {
        .init(planID: "pay", scenario: scenario, mode: mode, runID: id ?? "\(scenario)-\(mode.rawValue)", endedAtMs: at(ended))
    }

    func cadence(_ c: Cadence, latest: [ScheduleCompliance.LatestRun], now: String) -> ScheduleCompliance.CadenceStatus {
        let status = ScheduleCompliance.evaluate(plans: [Self.plan], latest: latest, now: Self.at(now))
        return status[0].cadences.first { $0.cadence == c }!
    }

    @Test func quarterlyTabletopIsDueThreeCalendarMonthsLater() {
        let latest = [Self.run("region", .tabletop, "2026-01-15T10:00:00Z")]
        let ok = cadence(.tabletop, latest: latest, now: "2026-04-15T09:59:59Z")
        #expect(ok.state == .ok)
        #expect(ok.dueAtMs == Self.at("2026-04-15T10:00:00Z"))
        #expect(ok.lastRunID == "region-tabletop")
        let late = cadence(.tabletop, latest: latest, now: "2026-04-15T10:00:01Z")
        #expect(late.state == .overdue)
    }

    @Test func aDrillCountsAsATabletopButATabletopIsNoFailover() {
        let latest = [Self.run("region", .tabletop, "2026-01-01"), Self.run("db", .drill, "2026-03-01")]
        let tabletop = cadence(.tabletop, latest: latest, now: "2026-05-01")
        #expect(tabletop.state == .ok)
        #expect(tabletop.lastRunID == "db-drill")
        #expect(tabletop.dueAtMs == Self.at("2026-06-01"))
        let onlyTabletop = cadence(.failover, latest: [Self.run("region", .tabletop, "2026-01-01")], now: "2026-01-02")
        #expect(onlyTabletop.state == .never)
        #expect(onlyTabletop.overdue)
    }

    /// A run that counts for a cadence with forced steps says so in the basis: the cadence was met
    /// by a run an operator helped over a step.
    @Test func aBasisRunWithForcedStepsSaysSo() {
        var forced = Self.run("region", .drill, "2026-03-01")
        forced.forcedSteps = 1
        #expect(cadence(.tabletop, latest: [forced], now: "2026-04-01").basis.hasSuffix("(succeeded, 1 forced)"))
        #expect(!cadence(.tabletop, latest: [Self.run("region", .drill, "2026-03-01")], now: "2026-04-01").basis.contains("forced"))
    }

    @Test func semiannualFailoverFromTheNewestDrillOrExecution() {
        let latest = [Self.run("region", .drill, "2025-08-31"), Self.run("db", .execute, "2025-10-10")]
        let c = cadence(.failover, latest: latest, now: "2026-04-09")
        #expect(c.lastRunID == "db-execute")
        #expect(c.dueAtMs == Self.at("2026-04-10"))
        #expect(c.state == .ok)
        #expect(cadence(.failover, latest: latest, now: "2026-04-11").state == .overdue)
        // The 31st plus six months is the last day of February.
        let clamped = cadence(.failover, latest: [Self.run("region", .drill, "2025-08-31")], now: "2026-02-27")
        #expect(clamped.dueAtMs == Self.at("2026-02-28"))
    }

    @Test func annualFullTestNeedsEveryScenarioAndIsDatedByTheOldest() {
        let partial = cadence(.full, latest: [Self.run("region", .drill, "2026-02-01")], now: "2026-02-02")
        #expect(partial.state == .never)
        #expect(partial.basis.contains("db"))
        let latest = [Self.run("region", .drill, "2026-02-01"), Self.run("db", .drill, "2025-06-30")]
        let full = cadence(.full, latest: latest, now: "2026-06-29")
        #expect(full.lastRunID == "db-drill")
        #expect(full.dueAtMs == Self.at("2026-06-30"))
        #expect(full.state == .ok)
        #expect(cadence(.full, latest: latest, now: "2026-07-01").state == .overdue)
        // A tabletop of the missing scenario does not make a full test.
        let withTabletop = [Self.run("region", .drill, "2026-02-01"), Self.run("db", .tabletop, "2026-02-01")]
        #expect(cadence(.full, latest: withTabletop, now: "2026-02-02").state == .never)
    }

    @Test func neverRunPlansAreOverdueAndUnscheduledCadencesAreLeftOut() {
        let plan = ScheduleCompliance.PlanInfo(planID: "demo", path: "d.yaml", scenarios: ["x"], schedule: [.failover: .monthly])
        let status = ScheduleCompliance.evaluate(plans: [plan], latest: [Self.run("region", .drill, "2026-01-01")], now: Self.at("2026-01-02"))
        #expect(status[0].cadences.map(\.cadence) == [.failover])
        #expect(status[0].cadences[0].state == .never)
        #expect(status[0].overdue)
    }

    @Test func weeklyIsSevenDays() {
        #expect(ScheduleCompliance.due(after: Self.at("2026-12-29"), .weekly) == Self.at("2027-01-05"))
        #expect(ScheduleCompliance.due(after: Self.at("2024-02-29"), .annual) == Self.at("2025-02-28"))
    }

    /// `failover: {every: semiannual, scenarios: [region, db]}`: the test counts once both have
    /// succeeded, dated by the older of their newest runs.
    @Test func aCadenceMadeOfSeveralScenariosCountsOnlyWhenEachSucceeded() {
        var plan = Self.plan
        plan.cadenceScenarios = [.failover: ["region", "db"]]
        func failover(_ latest: [ScheduleCompliance.LatestRun], now: String) -> ScheduleCompliance.CadenceStatus {
            ScheduleCompliance.evaluate(plans: [plan], latest: latest, now: Self.at(now))[0].cadences.first { $0.cadence == .failover }!
        }
        let half = failover([Self.run("region", .drill, "2026-03-01")], now: "2026-03-02")
        #expect(half.state == .never)
        #expect(half.basis == "never drilled: db")
        // A tabletop of the other scenario does not complete the test.
        #expect(failover([Self.run("region", .drill, "2026-03-01"), Self.run("db", .tabletop, "2026-03-02")], now: "2026-03-03").state == .never)
        let both = failover([Self.run("region", .drill, "2026-03-01"), Self.run("db", .drill, "2026-03-05")], now: "2026-03-06")
        #expect(both.state == .ok)
        #expect(both.lastRunID == "region-drill")
        #expect(both.dueAtMs == Self.at("2026-09-01"))
        #expect(both.basis.hasPrefix("all 2 scenario(s) drilled; oldest: region"))
}

@Suite struct EvidenceStatisticsTests {
    @Test func percentilesAreNearestRank() {
        let sorted: [Int64] = Array(1...20)
        #expect(EvidenceStatistics.percentile(50, ofSorted: sorted) == 10)
        #expect(EvidenceStatistics.percentile(95, ofSorted: sorted) == 19)
        #expect(EvidenceStatistics.percentile(95, ofSorted: [7]) == 7)
        #expect(EvidenceStatistics.percentile(50, ofSorted: []) == nil)
    }

    @Test(arguments: [
        ([100, 100, 100, 100] as [Int64], EvidenceStatistics.Trend.steady),
        ([100, 110, 60, 50], .improving),
        ([50, 60, 100, 110], .worsening),
        ([100, 200], .notEnoughData),
    ])
    func trendComparesTheNewerHalfWithTheOlder(series: [Int64], trend: EvidenceStatistics.Trend) {
        #expect(EvidenceStatistics.trend(series) == trend)
    }

    /// `iso` writes its digits itself: on dates spread from 1970 to 9999 it agrees with printf's
    /// zero-padded fields and reads back through `parseISO`; a year past four digits keeps its
    /// old spelling.
    @Test func isoWritesEveryFieldZeroPadded() {
        let end: Int64 = 253_402_300_800_000  // 10000-01-01
        for i in Int64(0)..<2_000 {
            let ms = i * 126_701_150_400_331 % end
            let c = UTCCalendar.civil(ms)
            let s = c.msOfDay / 1000
            let expected = String(
                format: "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                c.year, c.month, c.day, s / 3600, s / 60 % 60, s % 60, c.msOfDay % 1000)
            #expect(UTCCalendar.iso(ms) == expected)
            #expect(UTCCalendar.parseISO(UTCCalendar.iso(ms)) == ms)
        }
        #expect(UTCCalendar.iso(0) == "1970-01-01T00:00:00.000Z")
        #expect(UTCCalendar.iso(end - 1) == "9999-12-31T23:59:59.999Z")
        #expect(UTCCalendar.iso(end) == "10000-01-01T00:00:00.000Z")
    }

    @Test func isoDatesAndDurationsParse() {
        #expect(UTCCalendar.parseISO("1970-01-02") == 86_400_000)
        #expect(UTCCalendar.parseISO("2026-11-29T03:15:02.5Z") == UTCCalendar.parseISO("2026-11-29")! + 11_702_500)
        #expect(UTCCalendar.parseISO("2026-02-30") == nil)
        #expect(UTCCalendar.parseISO("yesterday") == nil)
        #expect(UTCCalendar.iso(UTCCalendar.parseISO("2026-11-29 03:15")!) == "2026-11-29T03:15:00.000Z")
        #expect(UTCCalendar.compactStamp(UTCCalendar.parseISO("2026-11-29T03:15:02.999Z")!) == "20261129-031502")
        #expect(UTCCalendar.compactStamp(UTCCalendar.parseISO("1969-12-31T23:59:59Z")!) == "19691231-235959")
        let now = UTCCalendar.parseISO("2026-04-01")!
        #expect(TimeBound.parse("90d", now: now) == now - 90 * 86_400_000)
        #expect(TimeBound.parse("2w", now: now) == now - 14 * 86_400_000)
        #expect(TimeBound.parse("12h", now: now) == now - 12 * 3_600_000)
        #expect(TimeBound.parse("soon", now: now) == nil)
    }

}
}
