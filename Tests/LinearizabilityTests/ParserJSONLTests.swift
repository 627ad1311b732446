import Foundation
import Testing

@testable import Linearizability

@Suite struct ParserJSONLTests {
    func parse(_ text: String) throws -> [HistoryEvent] {
        try HistoryParser.parse(text: text, format: .jsonl, fileName: "h.jsonl").events
    }

    /// The error lines and reasons for malformed input (fails the test if parsing succeeds).
    func errors(_ text: String) -> [HistoryParseError] {
        do {
            _ = try HistoryParser.parse(text: text, format: .jsonl, fileName: "h.jsonl")
            Issue.record("expected a parse error")
            return []
        } catch let e as HistoryParseErrors {
            return e.errors
        } catch {
            Issue.record("unexpected error type \(error)")
            return []
        }
    }

    @Test func parsesTheDesignExample() throws {
        let text = """
            {"process":3,"type":"invoke","f":"write","key":"k7","value":42,"time":1734}
            {"process":3,"type":"ok","f":"write","key":"k7","value":42,"time":2210}
            {"process":5,"type":"invoke","f":"read","key":"k7","value":null,"time":2301}
            {"process":5,"type":"info","f":"read","key":"k7","value":null,"time":9000}
            """
        let events = try parse(text)
        #expect(
            events == [
                HistoryEvent(process: 3, kind: .invoke, f: "write", key: "k7", value: .int(42), time: 1734, line: 1),
                HistoryEvent(process: 3, kind: .ok, f: "write", key: "k7", value: .int(42), time: 2210, line: 2),
                HistoryEvent(process: 5, kind: .invoke, f: "read", key: "k7", value: .null, time: 2301, line: 3),
                HistoryEvent(process: 5, kind: .info, f: "read", key: "k7", value: .null, time: 9000, line: 4),
            ]
        )
    }

    @Test func blankLinesAndCRLFLineEndingsAreAccepted() throws {
        let text =
            "\r\n{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\r\n   \r\n\t\n{\"process\":1,\"type\":\"fail\",\"f\":\"read\"}\r\n"
        let events = try parse(text)
        #expect(events.map(\.line) == [2, 5])
        #expect(events.map(\.kind) == [.invoke, .fail])
        #expect(events[0].value == .null)
        #expect(events[0].key == nil)
        #expect(events[0].time == nil)
    }

    @Test func optionalFieldsAndWhitespaceInsideObjects() throws {
        let events = try parse(#"  { "f" : "cas" , "value" : [ 1 , -4 ] , "process" : 0 , "type" : "invoke" }  "#)
        #expect(
            events == [HistoryEvent(process: 0, kind: .invoke, f: "cas", value: .list([.int(1), .int(-4)]), line: 1)]
        )
    }

    @Test func stringEscapesAndUnicodeEscapesAreDecoded() throws {
        let text = #"{"process":1,"type":"ok","f":"read","value":"a\"b\\c\/d\n\t\r\b\f\u00e9\u20AC\ud83d\ude00é"}"#
        let events = try parse(text)
        #expect(events[0].value == .string("a\"b\\c/d\n\t\r\u{08}\u{0C}é€😀é"))
    }

    @Test func integersKeepTheirFullRange() throws {
        let text = """
            {"process":1,"type":"ok","f":"read","value":-9223372036854775808,"time":9223372036854775807}
            {"process":2,"type":"ok","f":"read","value":-0}
            """
        let events = try parse(text)
        #expect(events[0].value == .int(Int64.min))
        #expect(events[0].time == Int64.max)
        #expect(events[1].value == .int(0))
    }

    @Test func keysMayBeStringsIntegersOrNull() throws {
        let text = """
            {"process":1,"type":"invoke","f":"get","key":7,"value":null}
            {"process":1,"type":"invoke","f":"get","key":-12,"value":null}
            {"process":1,"type":"invoke","f":"get","key":null,"value":null}
            {"process":1,"type":"invoke","f":"get","key":"","value":null}
            """
        #expect(try parse(text).map(\.key) == ["7", "-12", nil, ""])
    }

    @Test func nestedArraysObjectsAndBooleansBecomeHistoryValues() throws {
        let text = #"{"process":1,"type":"invoke","f":"txn","value":[["r","x",null],["w","y",2],true,{"a":[false]}]}"#
        let events = try parse(text)
        #expect(
            events[0].value
                == .list([
                    .list([.string("r"), .string("x"), .null]),
                    .list([.string("w"), .string("y"), .int(2)]),
                    .bool(true),
                    .list([.list([.string("a"), .list([.bool(false)])])]),
                ])
        )
    }

    @Test func unknownFieldsAreIgnoredWhateverTheirValue() throws {
        let text =
            #"{"index":12,"process":1,"latency":1.5e-3,"type":"ok","error":{"x":[1,2.5,"y"]},"f":"read","value":3,"node":"n1"}"#
        let events = try parse(text)
        #expect(events == [HistoryEvent(process: 1, kind: .ok, f: "read", value: .int(3), line: 1)])
    }

    @Test func entriesOfNonIntegerProcessesAreSkipped() throws {
        let text = """
            {"process":"nemesis","type":"info","f":"start","value":{"partition":[0.5,"n1"]}}
            {"process":0,"type":"invoke","f":"read","value":null}
            """
        let events = try parse(text)
        #expect(events.map(\.line) == [2])
    }

    @Test func emptyInputIsAnEmptyHistory() throws {
        #expect(try parse("").isEmpty)
        #expect(try parse("\n\n  \n").isEmpty)
    }

    @Test func everyMalformedLineIsReportedWithItsLineNumber() {
        let text = """
            {"process":1,"type":"invoke","f":"read","value":null}
            {"process":1,"type":"ok","f":"read","value":1.5}
            {"process":1,"type":"invoke","f":"read","value":null}
            {"type":"invoke","f":"read"}
            {"process":1,"type":"done","f":"read"}

            {"process":1,"type":"ok","f":"read","value":1} trailing
            not json at all
            {"process":1,"type":"ok","value":1}
            {"process":1,"type":"ok","f":"read","value":"unterminated}
            {"process":true,"type":"ok","f":"read"}
            """
        let errs = errors(text)
        #expect(errs.map(\.line) == [2, 4, 5, 7, 8, 9, 10, 11])
        #expect(errs.allSatisfy { $0.file == "h.jsonl" })
        #expect(errs[0].reason.contains("non-integer number 1.5"))
        #expect(errs[1].reason.contains("missing field \"process\""))
        #expect(errs[2].reason.contains("unknown \"type\" \"done\""))
        #expect(errs[3].reason == "column 48: unexpected 't' after the JSON object (one object per line)")
        #expect(errs[4].reason == "column 1: expected a JSON object '{', found 'n'")
        #expect(errs[5].reason.contains("missing field \"f\""))
        #expect(errs[6].reason.contains("unterminated string"))
        #expect(errs[7].reason.contains("\"process\" must be an integer, found a boolean"))
    }

    @Test func syntaxErrorsNameTheProblemAndColumn() {
        func reason(_ line: String) -> String {
            errors(line).first?.reason ?? ""
        }
        #expect(reason(#"{"process":01,"type":"ok","f":"read"}"#) == "column 12: numbers must not have leading zeros")
        #expect(
            reason(#"{"process":99999999999999999999,"type":"ok","f":"read"}"#).contains("outside the 64-bit range")
        )
        #expect(reason(#"{"process":1,"type":"ok","f":"read","value":"a\qb"}"#).contains("invalid escape '\\q'"))
        #expect(reason(#"{"process":1,"type":"ok","f":"read","value":"\ud800"}"#).contains("unpaired high surrogate"))
        #expect(reason(#"{"process":1,"type":"ok","f":"read","value":"\udc00"}"#).contains("unpaired low surrogate"))
        #expect(reason(#"{"process":1,"type":"ok","f":"read","value":"\u12G4"}"#).contains("4 hex digits"))
        #expect(
            reason("{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":\"a\u{01}b\"}").contains(
                "control character"
            )
        )
        #expect(
            reason(#"{"process":1,"type":"ok","f":"read","value":[1 2]}"#).contains(
                "expected ',' or ']' in array, found '2'"
            )
        )
        #expect(reason(#"{"process":1 "type":"ok"}"#) == "column 14: expected ',' or '}' after a field, found '\"'")
        #expect(reason(#"{process:1}"#) == "column 2: expected a field name in double quotes, found 'p'")
        #expect(reason(#"{"process":1,"type":"ok","f":"read","value":tru}"#).contains("expected a value"))
        #expect(reason(#"{"process":1,"type":"ok","f":"read","value":[1,2"#).contains("unterminated array"))
        #expect(reason(#"{"process":1,"type":"ok","f":"read","value":-}"#).contains("expected a digit after '-'"))
        #expect(reason(#"{"process":1,"type":"ok","f":"read","time":"soon"}"#).contains("\"time\" must be an integer"))
        #expect(
            reason(#"{"process":1,"type":"ok","f":"read","key":[1]}"#).contains(
                "\"key\" must be a string or an integer"
            )
        )
        #expect(reason(#"{"process":1,"type":"ok","f":3}"#).contains("\"f\" must be a string"))
        let deep =
            #"{"process":1,"type":"ok","f":"read","value":"# + String(repeating: "[", count: 100)
            + String(repeating: "]", count: 100) + "}"
        #expect(reason(deep).contains("nesting deeper than 64 levels"))
    }

    @Test func aKnownFieldGivenTwiceIsAnError() {
        let errs = errors(#"{"process":1,"type":"ok","f":"read","type":"fail"}"#)
        #expect(errs.map(\.line) == [1])
        #expect(errs.first?.reason.contains("field \"type\" appears twice") == true)
        #expect(errors(#"{"process":1,"type":"ok","f":"read","key":null,"key":"a"}"#).count == 1)
    }

    @Test func errorsAreCappedWithACountOfTheRest() throws {
        let text = String(repeating: "garbage\n", count: 1500)
        do {
            _ = try HistoryParser.parse(text: text, format: .jsonl, fileName: "big.jsonl")
            Issue.record("expected errors")
        } catch let e as HistoryParseErrors {
            #expect(e.errors.count == HistoryParseErrors.maxStored)
            #expect(e.totalCount == 1500)
            #expect(e.errors.last?.line == 1000)
            let lines = e.description.split(separator: "\n")
            #expect(lines.first == "big.jsonl: 1500 malformed lines:")
            #expect(lines[1] == "big.jsonl:1: column 1: expected a JSON object '{', found 'g'")
            #expect(lines.last == "... and 1480 more")
            #expect(lines.count == 1 + HistoryParseErrors.maxShown + 1)
        }
    }

    @Test func anUnreadableFileIsReportedByName() {
        do {
            _ = try HistoryParser.parse(contentsOf: "/nonexistent/dir/history.jsonl", format: .jsonl)
            Issue.record("expected an error")
        } catch {
            #expect(
                "\(error)" == "/nonexistent/dir/history.jsonl: cannot open the history file: No such file or directory"
            )
        }
        do {
            _ = try HistoryParser.parse(contentsOf: "/tmp", format: .auto)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("is a directory"))
        }
    }

    @Test func readsAFileFromDisk() throws {
        let path = NSTemporaryDirectory() + "tessera-parser-test-\(UUID().uuidString).jsonl"
        let text = #"{"process":0,"type":"invoke","f":"write","value":1}"# + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let parsed = try HistoryParser.parse(contentsOf: path, format: .auto)
        #expect(parsed.format == .jsonl)
        #expect(parsed.suggestedModel == nil)
        #expect(parsed.events.count == 1)
    }
}
