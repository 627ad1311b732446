import TesseraCore
import Testing

@testable import Linearizability

/// Mutated inputs never crash a parser, and every reported error points at a line of the input.
@Suite struct ParserFuzzTests {

    static let seeds: [(HistoryFormat, String)] = [
        (
            .jsonl,
            """
            {"process":3,"type":"invoke","f":"cas","key":"k7","value":[1,2],"time":1734}
            {"process":3,"type":"ok","f":"cas","key":"k7","value":[1,2],"time":2210}
            {"process":5,"type":"invoke","f":"read","key":"k\\u00e9","value":null,"time":2301}
            {"process":5,"type":"info","f":"read","key":"k7","value":"a\\"b","time":9000}
            """
        ),
        (
            .edn,
            """
            ; comment
            [{:process 0, :type :invoke, :f :txn, :value [[:read :x nil] [:write :y 2]]}
             {:process 0,
              :type :ok, :f :txn, :value [[:read :x 1] [:write :y 2]] :extra #{"a\\"b" \\c}}
             {:process :nemesis, :type :info, :f :start, :value {:a [1 2]}}]
            """
        ),
        (
            .porcupineEtcd,
            """
            INFO  jepsen.util - 0\t:invoke\t:read\tnil
            INFO  jepsen.util - 0\t:ok\t:read\t3
            INFO  jepsen.util - 1   :invoke :cas    [1 4]
            INFO  jepsen.util - 1   :fail :cas    [1 4]
            """
        ),
    ]

    static let interesting: [UInt8] = Array("{}[]()\":;,\\#_ \n\r\t-0123456789nNtfu".utf8) + [0x00, 0xFF, 0xC3]

    @Test(arguments: 0..<3)
    func mutatedInputsNeverCrashAndErrorsNameRealLines(seedIndex: Int) {
        let (format, text) = Self.seeds[seedIndex]
        let original = Array(text.utf8)
        var rng = SplitMix64(seed: UInt64(seedIndex + 1) * 7919)
        var parsedCount = 0
        var failedCount = 0
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<(1 + rng.below(4)) {
                let i = rng.below(bytes.count)
                switch rng.below(3) {
                case 0: bytes[i] = Self.interesting[rng.below(Self.interesting.count)]
                case 1: bytes.remove(at: i)
                default: bytes.insert(Self.interesting[rng.below(Self.interesting.count)], at: i)
                }
                if bytes.isEmpty { bytes = [0x20] }
            }
            let lines = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            for f in [format, .auto] {
                do {
                    let parsed = try HistoryParser.parse(bytes: bytes, format: f, fileName: "fuzz")
                    parsedCount += 1
                    #expect(parsed.events.allSatisfy { $0.line >= 1 && $0.line <= lines })
                } catch let e as HistoryParseErrors {
                    failedCount += 1
                    #expect(e.errors.allSatisfy { $0.line >= 0 && $0.line <= lines && !$0.reason.isEmpty })
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
        }
        #expect(parsedCount + failedCount == 800)
        #expect(failedCount > 0)
    }
}
