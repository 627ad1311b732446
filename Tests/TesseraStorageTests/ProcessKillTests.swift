import Foundation
import Testing
import TesseraCore
@testable import TesseraStorage

/// A real child process writes with fsync=always and prints each acknowledged key; the test SIGKILLs it at
/// random moments, reopens the database, and checks that every acknowledged key is present with its value.
@Suite struct ProcessKillTests {
    static func writerBinary() -> String? {
        var candidates: [String] = []
        let argv0 = CommandLine.arguments[0]
        var dir = (argv0 as NSString).deletingLastPathComponent
        // Inside an .xctest bundle on some platforms; walk up a few levels.
        for _ in 0..<4 {
            candidates.append(dir + "/tessera-storage-writer")
            dir = (dir as NSString).deletingLastPathComponent
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path + "/tessera-storage-writer")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func value(_ i: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64 + i % 200)
        var x = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        for j in out.indices {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            out[j] = UInt8(truncatingIfNeeded: x)
        }
        return out
    }

    func key(_ i: Int) -> [UInt8] {
        let s = String(i)
        return Array((String(repeating: "0", count: max(0, 12 - s.count)) + s).utf8)
    }

    @Test func sigkilledWriterLosesNoAcknowledgedWrite() throws {
        let binary = try #require(Self.writerBinary(), "tessera-storage-writer not found next to the test bundle")
        let dir = T.tempDirectory("sigkill")
        defer { removeTree(dir) }
        var rng = TestRNG(seed: UInt64(getpidValue()))
        let rounds = ProcessInfo.processInfo.environment["TESSERA_LONG_TESTS"] != nil ? 12 : 4
        var acknowledged: [Int] = []
        var next = 0
        for round in 0..<rounds {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [dir, String(next), "1000000"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let delayMs = Int.random(in: 150...700, using: &rng)
            Thread.sleep(forTimeInterval: Double(delayMs) / 1000)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): writer was killed")
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
            // The last line may be cut by the kill; every complete line is an acknowledged key.
            let complete = output.last == UInt8(ascii: "\n") ? lines : lines.dropLast()
            let acked = complete.compactMap { Int($0) }
            acknowledged += acked
            next = (acked.last ?? next) + 1

            var options = StorageOptions()
            options.syncPolicy = .always
            let db = try StorageEngine.open(directory: dir, options: options)
            for i in acknowledged {
                let cell = try db.get(key(i))
                #expect(cell?.value == value(i), "round \(round): acknowledged key \(i) after kill at \(delayMs) ms")
                if cell?.value != value(i) { break }
            }
            try db.close()
        }
        #expect(acknowledged.count > 0)
    }
}
