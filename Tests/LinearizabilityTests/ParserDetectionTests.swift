import Testing

@testable import Linearizability

@Suite struct ParserDetectionTests {
    @Test func detectsEachFormatFromItsFirstLines() {
        #expect(HistoryParser.detectFormat(text: "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n") == .porcupineEtcd)
        #expect(HistoryParser.detectFormat(text: "\n\n{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}") == .jsonl)
        #expect(HistoryParser.detectFormat(text: "{ \"process\":0}") == .jsonl)
        #expect(HistoryParser.detectFormat(text: "{:process 0, :type :invoke, :f :read, :value nil}") == .edn)
        #expect(HistoryParser.detectFormat(text: "[{:process 0, :type :invoke, :f :read}]") == .edn)
        #expect(HistoryParser.detectFormat(text: "({:process 0, :type :invoke, :f :read})") == .edn)
        #expect(HistoryParser.detectFormat(text: "; comment\n{:process 0}") == .edn)
        #expect(
            HistoryParser.detectFormat(text: "{:process 1, :type :invoke, :f :put, :key \"1\", :value \"x\"}")
                == .porcupineKV
        )
        #expect(HistoryParser.detectFormat(text: "\u{FEFF}{\"process\":0}") == .jsonl)
    }

    @Test func kvNeedsEverySampledEntryToLookLikeKV() {
        let mixed = """
            {:process 1, :type :invoke, :f :put, :key "1", :value "x"}
            {:process 1, :type :invoke, :f :read, :value nil}
            """
        #expect(HistoryParser.detectFormat(text: mixed) == .edn)
    }

    @Test func emptyOrUnknownTextIsNotDetected() {
        #expect(HistoryParser.detectFormat(text: "") == nil)
        #expect(HistoryParser.detectFormat(text: " \n\t\r\n") == nil)
        #expect(HistoryParser.detectFormat(text: "hello world") == nil)
        #expect(HistoryParser.detectFormat(text: "INFO  jepsen.core - starting") == nil)
        #expect(HistoryParser.detectFormat(text: "{}") == nil)
        #expect(HistoryParser.detectFormat(text: "[\n  {\"process\": 0}]") == nil)
    }

    @Test func autoResolvesTheFormatOrSaysWhyItCannot() throws {
        let jsonl = try HistoryParser.parse(
            text: "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}",
            format: .auto,
            fileName: "a"
        )
        #expect(jsonl.format == .jsonl)
        let etcd = try HistoryParser.parse(
            text: "INFO  jepsen.util - 0\t:invoke\t:read\tnil",
            format: .auto,
            fileName: "b"
        )
        #expect(etcd.format == .porcupineEtcd)
        #expect(etcd.suggestedModel == "cas-register")
        let edn = try HistoryParser.parse(text: "{:process 0, :type :invoke, :f :read}", format: .auto, fileName: "c")
        #expect(edn.format == .edn)
        #expect(edn.suggestedModel == nil)

        do {
            _ = try HistoryParser.parse(text: "garbage here\n", format: .auto, fileName: "g.txt")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("g.txt: cannot detect the format from 'garbage here'"))
            #expect("\(error)".contains("pass --format"))
        }
        do {
            _ = try HistoryParser.parse(text: "[{\"process\":0}]", format: .auto, fileName: "a.json")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("a.json: the file is a JSON array of objects; Tessera reads one JSON object per line"))
        }
        do {
            _ = try HistoryParser.parse(text: "\n", format: .auto, fileName: "empty.txt")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("empty.txt: the file is empty"))
        }
    }

    @Test func everyFormatNameRoundTrips() {
        #expect(HistoryFormat.allCases.map(\.rawValue) == ["auto", "jsonl", "edn", "porcupine-etcd", "porcupine-kv"])
        #expect(HistoryFormat(rawValue: "porcupine-kv") == .porcupineKV)
    }
}
