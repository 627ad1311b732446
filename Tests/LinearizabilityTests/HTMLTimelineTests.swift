import Foundation
import Testing

@testable import Linearizability

@Suite struct HTMLTimelineTests {
    static let hostile = "<script>alert('x')</script>&\"q\""

    /// Checks that every element emitted is closed in order (void elements aside); returns the problems.
    static func tagProblems(_ html: String) -> [String] {
        let bytes = Array(html.utf8)
        let void: Set<String> = ["meta", "br", "hr", "img", "input", "link"]
        var stack: [String] = []
        var problems: [String] = []
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<") else {
                i += 1
                continue
            }
            if bytes[i + 1] == UInt8(ascii: "!") {
                while bytes[i] != UInt8(ascii: ">") { i += 1 }
                continue
            }
            let closing = bytes[i + 1] == UInt8(ascii: "/")
            var j = i + (closing ? 2 : 1)
            let nameStart = j
            while j < bytes.count, bytes[j] != UInt8(ascii: " "), bytes[j] != UInt8(ascii: ">") { j += 1 }
            let name = String(decoding: bytes[nameStart..<j], as: UTF8.self)
            while j < bytes.count, bytes[j] != UInt8(ascii: ">") {
                if bytes[j] == UInt8(ascii: "<") { problems.append("'<' inside the tag <\(name)") }
                j += 1
            }
            i = j + 1
            if closing {
                if stack.last == name {
                    stack.removeLast()
                } else {
                    problems.append("</\(name)> closes <\(stack.last ?? "nothing")>")
                }
            } else if !void.contains(name) {
                stack.append(name)
                if name == "script" || name == "style" {
                    // Raw text until the closing tag.
                    let end = Array("</\(name)>".utf8)
                    while i + end.count <= bytes.count, Array(bytes[i..<(i + end.count)]) != end { i += 1 }
                }
            }
        }
        problems += stack.map { "<\($0)> never closed" }
        return problems
    }

    func sample() -> [Timeline] {
        [
            Timeline(
                key: "k1",
                verdict: "not linearizable",
                ops: [
                    TimelineOp(
                        process: 0,
                        start: 0,
                        end: 3,
                        label: "write 1",
                        result: "ok",
                        status: .ok,
                        linearizedAt: 0
                    ),
                    TimelineOp(process: 1, start: 1, end: 5, label: "read", result: "2", status: .ok, isFailing: true),
                    TimelineOp(
                        process: 2,
                        start: 2,
                        end: nil,
                        label: "write 2",
                        result: "never returned",
                        status: .info
                    ),
                    TimelineOp(
                        process: 0,
                        start: 4,
                        end: 6,
                        label: "cas 1->4",
                        result: "fail",
                        status: .fail,
                        linearizedAt: 1
                    ),
                ],
                note: "read 2 cannot be placed"
            ),
            Timeline(key: nil, verdict: "linearizable", ops: []),
        ]
    }

    @Test func hostileTextIsEscapedEverywhere() {
        let timeline = Timeline(
            key: Self.hostile,
            verdict: Self.hostile,
            ops: [TimelineOp(process: 0, start: 0, end: 1, label: Self.hostile, result: Self.hostile, status: .ok)],
            note: Self.hostile
        )
        let html = HTMLTimeline.render([timeline, timeline], title: Self.hostile)
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("'x'"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;q&quot;"))
        #expect(html.components(separatedBy: "<script>").count == 2)  // only the page's own script
        #expect(Self.tagProblems(html).isEmpty)
    }

    @Test func theFailingOpIsMarkedAndOthersCarryTheirStatus() {
        let html = HTMLTimeline.render(sample(), title: "etcd_000")
        #expect(html.contains("<div class=\"o ok failing\""))
        #expect(html.components(separatedBy: "failing\" style").count == 2)
        #expect(html.contains("class=\"o info open\""))
        #expect(html.contains("class=\"o fail\""))
        #expect(html.contains("<span class=\"verdict bad\">not linearizable</span>"))
        #expect(html.contains("<span class=\"verdict good\">linearizable</span>"))
        #expect(html.contains("read 2 cannot be placed"))
        #expect(html.contains("No operations."))
    }

    @Test func opsCarryTimesLinearizationPositionAndLanes() {
        let html = HTMLTimeline.render(sample(), title: "t")
        // The open-ended op has a start but no end; only linearized ops carry data-l.
        #expect(html.contains("data-p=\"2\" data-s=\"2\" data-r=\"never returned\">write 2</div>"))
        #expect(html.contains("data-p=\"0\" data-s=\"4\" data-e=\"6\" data-l=\"1\" data-r=\"fail\">cas 1-&gt;4</div>"))
        #expect(html.contains("data-n=\"2\""))
        for lane in ["P0", "P1", "P2"] {
            #expect(html.contains(">\(lane)</div>"))
        }
        #expect(html.contains("<a href=\"#tl-1\">history</a>"))
        // The time axis labels the distinct times 0...6 (only every few slots when they are narrow).
        #expect(html.contains("<div class=\"axis\" style=\"top:66px\"><span style=\"--l:0\">0</span>"))
    }

    @Test func thePageIsSelfContainedAndBalanced() {
        let html = HTMLTimeline.render(sample(), title: "t")
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
        #expect(Self.tagProblems(html).isEmpty)
        #expect(
            Self.tagProblems("<div><span></div>") == [
                "</div> closes <span>", "<div> never closed", "<span> never closed",
            ]
        )
    }

    @Test func tenThousandOpsStayCompact() {
        var ops: [TimelineOp] = []
        for i in 0..<10_000 {
            ops.append(
                TimelineOp(
                    process: i % 20,
                    start: Int64(i * 10),
                    end: i % 97 == 0 ? nil : Int64(i * 10 + 35),
                    label: "write \(i)",
                    result: "ok",
                    status: .ok,
                    linearizedAt: i,
                    isFailing: i == 9_999
                )
            )
        }
        let html = HTMLTimeline.render([Timeline(key: "big", verdict: "not linearizable", ops: ops)], title: "big")
        #expect(html.utf8.count < 2_000_000)
        #expect(html.components(separatedBy: "<div class=\"o ").count == 10_001)
        #expect(Self.tagProblems(html).isEmpty)
        let ticks = html.components(separatedBy: "<span style=\"--l:").count - 1
        #expect(ticks > 0 && ticks <= HTMLTimeline.maxTicks)
    }
}

@Suite struct HTMLTimelineHistoryTests {
    @Test func historiesBecomePairedOpsWithReadableLabels() {
        let events = [
            HistoryEvent(process: 0, kind: .invoke, f: "write", value: .int(3), line: 1),
            HistoryEvent(process: 1, kind: .invoke, f: "cas", value: .list([.int(1), .int(4)]), line: 2),
            HistoryEvent(process: 0, kind: .ok, f: "write", value: .int(3), line: 3),
            HistoryEvent(process: 1, kind: .fail, f: "cas", value: .list([.int(1), .int(4)]), line: 4),
            HistoryEvent(process: 2, kind: .invoke, f: "read", value: .null, line: 5),
            HistoryEvent(process: 3, kind: .invoke, f: "get", key: "k", value: .null, time: 100, line: 6),
            HistoryEvent(process: 2, kind: .info, f: "read", value: .null, line: 7),
            HistoryEvent(process: 3, kind: .ok, f: "get", key: "k", value: .string("x"), time: 200, line: 8),
            HistoryEvent(process: 4, kind: .invoke, f: "write", value: .int(9), line: 9),
        ]
        let ops = TimelineOp.fromHistory(events)
        #expect(ops.map(\.label) == ["write 3", "cas 1->4", "read", "get k", "write 9"])
        #expect(ops.map(\.result) == ["ok 3", "fail", "unknown", "\"x\"", "never completed"])
        #expect(ops.map(\.status) == [.ok, .fail, .info, .ok, .info])
        #expect(ops.map(\.start) == [0, 1, 4, 100, 8])
        #expect(ops.map(\.end) == [2, 3, nil, 200, nil])
    }

    /// Writes a report of Porcupine's etcd_000 to $TESSERA_HTML_SAMPLE (for eyeballing in a browser).
    @Test func writesASampleReportWhenAsked() throws {
        guard let out = ProcessInfo.processInfo.environment["TESSERA_HTML_SAMPLE"],
            let dir = ParserPorcupineTests.porcupineDirectory()
        else { return }
        let parsed = try HistoryParser.parse(contentsOf: dir + "/jepsen/etcd_000.log", format: .auto)
        var ops = TimelineOp.fromHistory(parsed.events)
        for i in 0..<min(20, ops.count) where ops[i].status != .info {
            ops[i].linearizedAt = i
        }
        ops[min(21, ops.count - 1)].isFailing = true
        let kv = try HistoryParser.parse(contentsOf: dir + "/kv/c10-ok.txt", format: .auto)
        let byKey = Dictionary(grouping: kv.events, by: { $0.key ?? "" })
        var timelines = [
            Timeline(key: nil, verdict: "not linearizable", ops: ops, note: "etcd_000: read 3 cannot be placed")
        ]
        for key in byKey.keys.sorted().prefix(2) {
            timelines.append(Timeline(key: key, verdict: "linearizable", ops: TimelineOp.fromHistory(byKey[key]!)))
        }
        let html = HTMLTimeline.render(timelines, title: "sample <report>")
        try html.write(toFile: out, atomically: true, encoding: .utf8)
        #expect(FileManager.default.fileExists(atPath: out))
    }
}
