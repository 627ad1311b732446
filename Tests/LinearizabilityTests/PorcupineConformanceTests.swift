import Linearizability
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Porcupine's test histories with Porcupine's verdicts (../shared/peers/porcupine/verdicts.tsv, outside the
/// repository, found next to the checkout or through TESSERA_SHARED). Skipped when that directory is absent.
/// scripts/conformance-porcupine runs the same with timings.
@Suite struct PorcupineConformanceTests {
    static let dataDirectory: String? = {
        var dir = #filePath
        for _ in 0..<3 { dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)]) }
        for candidate in [
            getenv("TESSERA_SHARED").map { String(cString: $0) }, dir + "/../shared", dir + "/../../shared",
        ] {
            if let c = candidate, access(c + "/peers/porcupine/verdicts.tsv", R_OK) == 0 {
                return c + "/peers/porcupine"
            }
        }
        return nil
    }()

    static func verdicts() throws -> [(file: String, linearizable: Bool)] {
        guard let dir = dataDirectory else { return [] }
        let text = try readText(dir + "/verdicts.tsv")
        return text.split(separator: "\n").dropFirst().map { line in
            let cols = line.split(separator: "\t")
            return (String(cols[0]), cols[1] == "true")
        }
    }

    static func readText(_ path: String) throws -> String {
        guard let f = fopen(path, "r") else {
            throw HistoryError(problems: [.init(line: 0, reason: "cannot open \(path)")])
        }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func check(_ file: String, split: Bool) throws -> Verdict {
        let parsed = try HistoryParser.parse(contentsOf: dataDirectory! + "/" + file, format: .auto)
        let history = try History(events: parsed.events)
        let model = ModelKind(rawValue: parsed.suggestedModel ?? "") ?? ModelKind.infer(from: history.operations)
        return try LinearizabilityChecker.check(history, options: CheckOptions(model: model, splitByKey: split)).verdict
    }

    @Test func everyPorcupineVerdictMatches() throws {
        let rows = try Self.verdicts()
        if rows.isEmpty {
            print("PorcupineConformanceTests: skipped, ../shared/peers/porcupine not found")
            return
        }
        #expect(rows.count == 108)
        for row in rows {
            let got = try Self.check(row.file, split: true)
            #expect(got == (row.linearizable ? .linearizable : .notLinearizable), "\(row.file)")
        }
    }

    @Test func unpartitionedKVVerdictsMatch() throws {
        guard Self.dataDirectory != nil else { return }
        for (name, ok) in [("c01-ok", true), ("c01-bad", false), ("c10-ok", true), ("c10-bad", false)] {
            let got = try Self.check("kv/\(name).txt", split: false)
            #expect(got == (ok ? .linearizable : .notLinearizable), "\(name) unsplit")
        }
    }
}
