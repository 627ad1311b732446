import Testing

@testable import Linearizability

@Suite struct ParserEDNTests {
    func parse(_ text: String, format: HistoryFormat = .edn) throws -> [HistoryEvent] {
        try HistoryParser.parse(text: text, format: format, fileName: "h.edn").events
    }

    func errors(_ text: String, format: HistoryFormat = .edn) -> [HistoryParseError] {
        do {
            _ = try HistoryParser.parse(text: text, format: format, fileName: "h.edn")
            Issue.record("expected a parse error")
            return []
        } catch let e as HistoryParseErrors {
            return e.errors
        } catch {
            Issue.record("unexpected error type \(error)")
            return []
        }
    }

    @Test func aVectorOfMultiLineMapsKeepsTheLineWhereEachMapStarts() throws {
        let text = """
            ; a Knossos-style history
            [{:process 0, :type :invoke, :f :write, :value 3}
             {:process 0,
              :type :ok,
              :f :write,
              :value 3}
             {:process 1 :type :invoke :f :cas :value [3 -4] :time 17}]
            """
        let events = try parse(text)
        #expect(
            events == [
                HistoryEvent(process: 0, kind: .invoke, f: "write", value: .int(3), line: 2),
                HistoryEvent(process: 0, kind: .ok, f: "write", value: .int(3), line: 3),
                HistoryEvent(
                    process: 1,
                    kind: .invoke,
                    f: "cas",
                    value: .list([.int(3), .int(-4)]),
                    time: 17,
                    line: 7
                ),
            ]
        )
    }

    @Test func aListWrapperAndBareMapsReadTheSame() throws {
        let maps = """
            {:process 0, :type :invoke, :f :read, :value nil}
            {:process 0, :type :ok, :f :read, :value 2}
            """
        let bare = try parse(maps)
        let listed = try parse("(" + maps + ")")
        let vectored = try parse("[\n" + maps + "\n]\n")
        #expect(bare.map(\.value) == [.null, .int(2)])
        #expect(listed.map(\.value) == bare.map(\.value))
        #expect(vectored.map(\.line) == [2, 3])
        #expect(try parse("[]").isEmpty)
        #expect(try parse("").isEmpty)
        #expect(try parse("; only a comment\n").isEmpty)
    }

    @Test func nemesisEntriesAreSkipped() throws {
        let text = """
            {:process :nemesis, :type :info, :f :start, :value nil}
            {:process 2, :type :invoke, :f :read, :value nil}
            {:process :nemesis, :type :info, :f :start, :value [:isolated {"n1" #{"n2" "n3"}}]}
            {:process 2, :type :ok, :f :read, :value 1}
            """
        let events = try parse(text)
        #expect(events.map(\.line) == [2, 4])
    }

    @Test func knossosMultiRegisterTxnValuesBecomeNestedLists() throws {
        let events = try parse("{:process 3, :type :invoke, :f :txn, :value [[:read :x nil] [:write :y 2]]}")
        #expect(events[0].f == "txn")
        #expect(
            events[0].value
                == .list([
                    .list([.keyword("read"), .keyword("x"), .null]),
                    .list([.keyword("write"), .keyword("y"), .int(2)]),
                ])
        )
    }

    @Test func scalarsCollectionsAndCommentsAreRead() throws {
        let text = #"""
            {:process 1, :type :ok, :f :read, :value "a\"b\\c\n\t\u00e9€"} ; trailing comment
            {:process 1, :type :ok, :f :read, :value (1 -2 +3 42N)}
            {:process 1, :type :ok, :f :read, :value #{:a}}
            {:process 1, :type :ok, :f :read, :value {:x 1}}
            {:process 1, :type :ok, :f :read, :value [true false nil sym \a \newline]}
            {:process 1 :type :ok :f :read :value -9223372036854775808 :key "k" :index 7 :error {:msg 1.5}}
            {:process 1, :type :ok, :f :read, #_ :value #_ 9, :key 12}
            #jepsen.history.Op{:process 1, :type :ok, :f :read, :value 5, :time 99}
            """#
        let events = try parse(text)
        #expect(
            events.map(\.value) == [
                .string("a\"b\\c\n\té€"),
                .list([.int(1), .int(-2), .int(3), .int(42)]),
                .list([.keyword("a")]),
                .list([.list([.keyword("x"), .int(1)])]),
                .list([.bool(true), .bool(false), .null, .keyword("sym"), .string("a"), .string("\n")]),
                .int(Int64.min),
                .null,
                .int(5),
            ]
        )
        #expect(events[5].key == "k")
        #expect(events[6].key == "12")
        #expect(events[7].time == 99)
        #expect(events.map(\.line) == Array(1...8))
    }

    @Test func crlfLineEndingsAndAByteOrderMarkAreAccepted() throws {
        let text =
            "\u{FEFF}[{:process 0, :type :invoke, :f :read, :value nil}\r\n {:process 0, :type :ok, :f :read, :value nil}]\r\n"
        let events = try parse(text)
        #expect(events.map(\.line) == [1, 2])
        #expect(HistoryParser.detectFormat(text: text) == .edn)
    }

    @Test func stringsMaySpanLinesAndLineNumbersFollow() throws {
        let text =
            "{:process 0, :type :ok, :f :read, :value \"two\nlines\"}\n{:process 0, :type :ok, :f :read, :value 1}"
        let events = try parse(text)
        #expect(events[0].value == .string("two\nlines"))
        #expect(events[1].line == 3)
    }

    @Test func everyBadEntryIsReportedWithItsLine() {
        let text = """
            {:process 0, :type :invoke, :f :read, :value nil}
            {:process 0, :f :read, :value nil}
            {:process 0, :type :done, :f :read, :value nil}
            [:not :a :map]
            {:process 0, :type :ok, :value nil}
            {:type :ok, :f :read}
            {:process 0, :type :ok, :f :read, :value 1.5}
            {:process 0, :type :ok, :f :read, :type :ok}
            {:process 0, :type :ok, :f :read, :time :soon}
            {:process 0, :type :ok, :f [:read]}
            {:process 0, :type :ok, :f :read, :key [1]}
            """
        let errs = errors(text)
        #expect(errs.map(\.line) == Array(2...11))
        #expect(errs[0].reason == "missing :type (:invoke, :ok, :fail or :info)")
        #expect(errs[1].reason == "unknown :type :done: expected :invoke, :ok, :fail or :info")
        #expect(errs[2].reason.hasPrefix("expected an operation map"))
        #expect(errs[2].reason.hasSuffix("found a vector"))
        #expect(errs[3].reason.contains("missing :f"))
        #expect(errs[4].reason == "missing :process")
        #expect(errs[5].reason.contains("non-integer number 1.5"))
        #expect(errs[6].reason == "key :type appears twice in the map")
        #expect(errs[7].reason.contains(":time must be an integer"))
        #expect(errs[8].reason.contains(":f must be a keyword"))
        #expect(errs[9].reason.contains(":key must be a string, keyword or integer"))
    }

    @Test func syntaxErrorsResumeAtTheNextEntry() {
        let text = """
            {:process 0, :type :invoke, :f :read, :value nil}
            {:process 0, :type :ok, :f :read, :value nil
            {:process 1, :type :invoke, :f :read, :value nil}
            {:process 1, :type :ok, :f :read, :value "open}
            {:process 2, :type :invoke, :f :read, :value nil]
            {:process 2, :type :ok, :f :read, :value 1}
            {:process 3, :type :ok, :f :read, :value 99999999999999999999}
            {:process 3, :type :ok, :f :read, :value 12abc}
            {:process 3, :type :ok, :f :read, :value \\bogus}
            {:process 3, :type :ok, :f :read, :value "bad \\q escape"}
            {:process 3, :type :ok, :f :read, :value}
            """
        let errs = errors(text)
        #expect(errs.map(\.line) == [2, 4, 5, 7, 8, 9, 10, 11])
        #expect(errs[0].reason == "column 1: unterminated map: a new entry starts at line 3 before its '}'")
        #expect(errs[1].reason.contains("unterminated string"))
        #expect(errs[2].reason.contains("expected '}' to close the map opened at line 5, found ']'"))
        #expect(errs[3].reason.contains("outside the 64-bit range"))
        #expect(errs[4].reason.contains("invalid number 12abc"))
        #expect(errs[5].reason.contains("unknown character literal"))
        #expect(errs[6].reason.contains("invalid escape '\\q'"))
        #expect(errs[7].reason.contains("key without a value"))
    }

    @Test func anUnclosedWrapperAndTrailingGarbageAreErrors() {
        let unclosed = errors("[{:process 0, :type :invoke, :f :read, :value nil}\n")
        #expect(unclosed.map(\.line) == [1])
        #expect(unclosed.first?.reason.contains("no closing ']'") == true)
        let trailing = errors("[{:process 0, :type :invoke, :f :read, :value nil}]\n\n{:process 1}\n")
        #expect(trailing.map(\.line) == [3])
        #expect(trailing.first?.reason.contains("after the closing ']' of the history") == true)
        let stray = errors("{:process 0, :type :invoke, :f :read, :value nil} }\n")
        #expect(stray.first?.reason.contains("nothing open to close") == true)
        let deep = errors(String(repeating: "[", count: 80) + String(repeating: "]", count: 80))
        #expect(deep.first?.reason.contains("nesting deeper than 64 levels") == true)
    }

    @Test func porcupineKVFormatInsistsOnKeysAndKVFunctions() throws {
        let good = """
            {:process 4, :type :invoke, :f :get, :key "3", :value nil}
            {:process 4, :type :ok, :f :get, :key "3", :value ""}
            """
        let parsed = try HistoryParser.parse(text: good, format: .porcupineKV, fileName: "kv.txt")
        #expect(parsed.format == .porcupineKV)
        #expect(parsed.suggestedModel == "kv")
        #expect(parsed.events.map(\.value) == [.null, .string("")])
        let bad = """
            {:process 4, :type :invoke, :f :get, :key "3", :value nil}
            {:process 4, :type :invoke, :f :read, :key "3", :value nil}
            {:process 4, :type :invoke, :f :get, :value nil}
            """
        let errs = errors(bad, format: .porcupineKV)
        #expect(errs.map(\.line) == [2, 3])
        #expect(errs[0].reason.contains("found :read"))
        #expect(errs[1].reason.contains("need a :key"))
    }

    @Test func explicitEDNFormatDoesNotSuggestAModel() throws {
        let text = "{:process 4, :type :invoke, :f :get, :key \"3\", :value nil}"
        let asEDN = try HistoryParser.parse(text: text, format: .edn, fileName: "x")
        #expect(asEDN.format == .edn)
        #expect(asEDN.suggestedModel == nil)
        let asAuto = try HistoryParser.parse(text: text, format: .auto, fileName: "x")
        #expect(asAuto.format == .porcupineKV)
        #expect(asAuto.suggestedModel == "kv")
    }

    @Test func knossosStyleListWithCommentsBetweenEntriesAndAClosingParenOnItsOwnLine() throws {
        let text = """
            ({:type :invoke, :f :write, :value 1, :process 0}
             {:type :ok, :f :write, :value 1, :process 0}
             ; two concurrent operations follow
             {:type :invoke, :f :read, :value nil, :process 1}
             {:type :invoke, :f :write, :value 2, :process 2}
             {:type :ok, :f :read, :value 2, :process 1}
             {:type :info, :f :write, :value 2, :process 2}
            )
            """
        let parsed = try HistoryParser.parse(text: text, format: .auto, fileName: "knossos.edn")
        #expect(parsed.format == .edn)
        #expect(parsed.events.map(\.line) == [1, 2, 4, 5, 6, 7])
        #expect(parsed.events.map(\.kind) == [.invoke, .ok, .invoke, .invoke, .ok, .info])
        #expect(parsed.events.map(\.process) == [0, 0, 1, 2, 1, 2])
    }

    @Test func errorsInsideAWrapperStillResumeAtTheNextEntry() {
        let text = """
            [{:process 0, :type :invoke, :f :read, :value nil}
             {:process 0, :type :ok, :f :read, :value "x}
             {:process 1, :type :bad, :f :read, :value nil}
             {:process 1, :type :invoke, :f :read, :value nil}]
            """
        let errs = errors(text)
        // The unterminated string is reported where it opens; reading resumes on the next line.
        #expect(errs.map(\.line) == [2, 3])
        #expect(errs.first?.reason.contains("unterminated string") == true)
        #expect(errs.last?.reason.contains("unknown :type :bad") == true)
    }
}
