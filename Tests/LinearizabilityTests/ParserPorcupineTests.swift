import Foundation
import Testing

@testable import Linearizability

@Suite struct ParserPorcupineTests {
    @Test func everyEtcdLineShapeMapsToTheAgreedEvent() throws {
        let text = """
            INFO  jepsen.util - 0\t:invoke\t:read\tnil
            INFO  jepsen.util - 0\t:ok\t:read\tnil
            INFO  jepsen.util - 1\t:invoke\t:write\t3
            INFO  jepsen.util - 1\t:ok\t:write\t3
            INFO  jepsen.util - 2   :invoke :cas    [1 4]
            INFO  jepsen.util - 2   :ok :cas    [1 4]
            INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]
            INFO  jepsen.util - 3\t:fail\t:cas\t[1 4]
            INFO  jepsen.util - 4\t:invoke\t:read\tnil
            INFO  jepsen.util - 4\t:fail\t:read\t:timed-out
            INFO  jepsen.util - 5\t:invoke\t:write\t2
            INFO  jepsen.util - 5\t:info\t:write\t:timed-out
            INFO  jepsen.util - 6\t:ok\t:read\t3
            """
        let parsed = try HistoryParser.parse(text: text, format: .porcupineEtcd, fileName: "etcd.log")
        #expect(parsed.format == .porcupineEtcd)
        #expect(parsed.suggestedModel == "cas-register")
        let e = parsed.events
        #expect(e.count == 13)
        #expect(e.map(\.line) == Array(1...13))
        #expect(e.allSatisfy { $0.key == nil && $0.time == nil })
        #expect(e[0] == HistoryEvent(process: 0, kind: .invoke, f: "read", value: .null, line: 1))
        #expect(e[1].kind == .ok && e[1].value == .null)
        #expect(e[2].value == .int(3) && e[3].kind == .ok)
        #expect(e[4] == HistoryEvent(process: 2, kind: .invoke, f: "cas", value: .list([.int(1), .int(4)]), line: 5))
        #expect(e[5].kind == .ok && e[5].value == .list([.int(1), .int(4)]))
        #expect(e[7] == HistoryEvent(process: 3, kind: .fail, f: "cas", value: .list([.int(1), .int(4)]), line: 8))
        #expect(e[9] == HistoryEvent(process: 4, kind: .info, f: "read", value: .null, line: 10))
        #expect(e[11] == HistoryEvent(process: 5, kind: .info, f: "write", value: .keyword("timed-out"), line: 12))
        #expect(e[12].value == .int(3))
    }

    @Test func etcdNemesisAndBlankLinesAreSkippedCRLFAccepted() throws {
        let text =
            "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\r\n\r\nINFO  jepsen.util - 7\t:invoke\t:read\tnil\r\n"
        let events = try HistoryParser.parse(text: text, format: .porcupineEtcd, fileName: "etcd.log").events
        #expect(events == [HistoryEvent(process: 7, kind: .invoke, f: "read", value: .null, line: 3)])
    }

    @Test func malformedEtcdLinesAreAllReported() {
        let text = """
            INFO  jepsen.util - 0\t:invoke\t:read\tnil
            INFO jepsen.util - 0\t:ok\t:read\tnil
            INFO  jepsen.util - x1\t:ok\t:read\tnil
            INFO  jepsen.util - 1\t:done\t:read\tnil
            INFO  jepsen.util - 1\t:ok\tread\tnil
            INFO  jepsen.util - 1\t:ok\t:read\t[1 2
            INFO  jepsen.util - 1\t:ok\t:read\t3 4
            INFO  jepsen.util - 1\t:ok\t:read
            INFO  jepsen.util - 1\t:ok\t:read\t1.5
            """
        do {
            _ = try HistoryParser.parse(text: text, format: .porcupineEtcd, fileName: "etcd.log")
            Issue.record("expected errors")
        } catch let e as HistoryParseErrors {
            #expect(e.errors.map(\.line) == Array(2...9))
            let r = e.errors.map(\.reason)
            #expect(
                r[0].hasPrefix("expected 'INFO  jepsen.util - <process> :<type> :<f> <value>', found 'INFO jepsen.util")
            )
            #expect(r[1] == "column 21: process must be a non-negative integer, found 'x1'")
            #expect(r[2] == "column 23: expected :invoke, :ok, :fail or :info, found ':done'")
            #expect(r[3].contains("expected the operation as a keyword such as :read, found 'read'"))
            #expect(r[4].contains("unterminated vector"))
            #expect(r[5] == "column 35: unexpected '4' after the value")
            #expect(r[6].contains("expected whitespace and then a field"))
            #expect(r[7].contains("non-integer number 1.5"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func kvLogsAreDetectedAndSuggestTheKVModel() throws {
        let text = """
            {:process 4, :type :invoke, :f :get, :key "3", :value nil}
            {:process 4, :type :ok, :f :get, :key "3", :value ""}
            {:process 9, :type :invoke, :f :put, :key "6", :value "x 9 3 y"}
            {:process 9, :type :ok, :f :put, :key "6", :value "x 9 3 y"}
            {:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
            {:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}
            """
        #expect(HistoryParser.detectFormat(text: text) == .porcupineKV)
        let parsed = try HistoryParser.parse(text: text, format: .auto, fileName: "kv.txt")
        #expect(parsed.format == .porcupineKV)
        #expect(parsed.suggestedModel == "kv")
        #expect(parsed.events.map(\.key) == ["3", "3", "6", "6", "0", "0"])
        #expect(
            parsed.events[4]
                == HistoryEvent(process: 0, kind: .invoke, f: "append", key: "0", value: .string("x 0 0 y"), line: 5)
        )
    }

    // MARK: Porcupine's own test data (../shared/peers/porcupine), when present.

    /// `<repo>/../shared/peers/porcupine`, or `$TESSERA_SHARED_DIR/peers/porcupine`; nil when absent.
    static func porcupineDirectory() -> String? {
        var candidates: [String] = []
        if let shared = ProcessInfo.processInfo.environment["TESSERA_SHARED_DIR"] {
            candidates.append(shared + "/peers/porcupine")
        }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(repo.deletingLastPathComponent().appendingPathComponent("shared/peers/porcupine").path)
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/verdicts.tsv") }
    }

    @Test func parsesEveryPorcupineHistoryWithTheExpectedOperationCount() throws {
        guard let dir = Self.porcupineDirectory() else {
            print("skipped: ../shared/peers/porcupine is absent (set TESSERA_SHARED_DIR to point at shared/)")
            return
        }
        let table = try String(contentsOfFile: dir + "/verdicts.tsv", encoding: .utf8)
        var checked = 0
        for row in table.split(separator: "\n").dropFirst() {
            let cols = row.split(separator: "\t").map(String.init)
            try #require(cols.count >= 4, "bad verdicts.tsv row: \(row)")
            let file = cols[0]
            let opsCount = try #require(Int(cols[3]))
            let parsed = try HistoryParser.parse(contentsOf: dir + "/" + file, format: .auto)
            let isKV = file.hasPrefix("kv/")
            #expect(parsed.format == (isKV ? .porcupineKV : .porcupineEtcd), "\(file)")
            #expect(parsed.suggestedModel == (isKV ? "kv" : "cas-register"), "\(file)")
            #expect(parsed.events.filter { $0.kind == .invoke }.count == opsCount, "\(file)")
            // Every completion answers an outstanding invocation of the same process.
            var outstanding = Set<Int>()
            for event in parsed.events {
                if event.kind == .invoke {
                    #expect(outstanding.insert(event.process).inserted, "\(file):\(event.line) invokes twice")
                } else {
                    #expect(outstanding.remove(event.process) != nil, "\(file):\(event.line) completes nothing")
                }
            }
            checked += 1
        }
        #expect(checked == 108)

        // etcd_095 is empty: no format to detect, but an empty history when the format is given.
        let empty = dir + "/jepsen/etcd_095.log"
        #expect(throws: HistoryParseErrors.self) { try HistoryParser.parse(contentsOf: empty, format: .auto) }
        #expect(try HistoryParser.parse(contentsOf: empty, format: .porcupineEtcd).events.isEmpty)
    }
}
