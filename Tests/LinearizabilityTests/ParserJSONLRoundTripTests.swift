import TesseraCore
import Testing

@testable import Linearizability

/// `HistoryEvent.jsonLine` and the JSONL parser agree: random events survive a write and a read.
@Suite struct ParserJSONLRoundTripTests {
    @Test func theDesignExampleIsWrittenByteForByte() {
        let event = HistoryEvent(process: 3, kind: .invoke, f: "write", key: "k7", value: .int(42), time: 1734, line: 1)
        #expect(event.jsonLine == #"{"process":3,"type":"invoke","f":"write","key":"k7","value":42,"time":1734}"#)
        let read = HistoryEvent(process: 5, kind: .info, f: "read", value: .null, line: 1)
        #expect(read.jsonLine == #"{"process":5,"type":"info","f":"read","value":null}"#)
    }

    @Test func hostileStringsAreEscaped() {
        let event = HistoryEvent(
            process: 0,
            kind: .ok,
            f: "r\"\\",
            key: "a\nb\u{01}\u{2028}",
            value: .string("é\t😀"),
            line: 1
        )
        #expect(event.jsonLine == #"{"process":0,"type":"ok","f":"r\"\\","key":"a\nb\u0001\u2028","value":"é\t😀"}"#)
    }

    @Test func randomEventsSurviveAWriteAndARead() throws {
        var rng = SplitMix64(seed: 42)
        let alphabet: [String] = ["a", "\"", "\\", "\n", "é", "😀", "\u{01}", " ", "{", "}", ":", ","]
        func string() -> String {
            (0..<rng.below(6)).map { _ in alphabet[rng.below(alphabet.count)] }.joined()
        }
        func value(depth: Int) -> HistoryValue {
            switch rng.below(depth > 2 ? 4 : 6) {
            case 0: return .null
            case 1: return .int(Int64(bitPattern: rng.next()) >> Int64(rng.below(64)))
            case 2: return .string(string())
            case 3: return .bool(rng.below(2) == 0)
            default: return .list((0..<rng.below(4)).map { _ in value(depth: depth + 1) })
            }
        }
        let kinds: [HistoryEvent.Kind] = [.invoke, .ok, .fail, .info]
        var events: [HistoryEvent] = []
        for i in 0..<2000 {
            events.append(
                HistoryEvent(
                    process: rng.below(100) - 5,
                    kind: kinds[rng.below(4)],
                    f: string(),
                    key: rng.below(3) == 0 ? nil : string(),
                    value: value(depth: 0),
                    time: rng.below(3) == 0 ? nil : Int64(bitPattern: rng.next()),
                    line: i + 1
                )
            )
        }
        let text = events.map(\.jsonLine).joined(separator: "\n") + "\n"
        let parsed = try HistoryParser.parse(text: text, format: .auto, fileName: "roundtrip.jsonl")
        #expect(parsed.format == .jsonl)
        #expect(parsed.events == events)
    }

    @Test func keywordsAreWrittenAsStrings() throws {
        let event = HistoryEvent(process: 1, kind: .info, f: "write", value: .keyword("timed-out"), line: 1)
        #expect(event.jsonLine == #"{"process":1,"type":"info","f":"write","value":"timed-out"}"#)
        let back = try HistoryParser.parse(text: event.jsonLine, format: .jsonl, fileName: "k").events
        #expect(back.first?.value == .string("timed-out"))
    }
}
