import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Bad input: a clear error naming what is wrong, exit status 2, and no process left behind.
@Suite("Harness input")
struct HarnessInputTests {
    @Test("an unknown nemesis is named and refused")
    func unknownNemesis() throws {
        let result = try HarnessProcess.run(["run", "--nemesis", "kill,meteor", "--no-progress"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown nemesis 'meteor'"), "\(result.stderr)")
        #expect(result.stderr.contains("partition"))
    }

    @Test("an unknown consistency mode is named and refused")
    func unknownMode() throws {
        let result = try HarnessProcess.run(["run", "--consistency", "SOMETIMES", "--no-progress"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown consistency mode 'SOMETIMES'"), "\(result.stderr)")
    }

    @Test("a port in use is named; nothing is left running")
    func portInUse() throws {
        // Hold a port on node 1's address (outside any namespace: --no-namespace).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.11", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        #expect(bound)
        listen(fd, 1)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let out = HarnessProcess.reportPath("port")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try HarnessProcess.run([
            "run", "--no-namespace", "--port", String(port), "--time-limit", "2", "--out", out, "--no-progress",
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("port \(port) on 127.0.0.11 is in use"), "\(result.stderr)")
        #expect(HarnessProcess.processes(mentioning: out).isEmpty)
    }

    @Test("a node that does not start is named with its log; every started node is stopped")
    func nodeDoesNotStart() throws {
        // A fake `tessera` that runs the real one for every node but n2, which fails at once.
        let directory = HarnessProcess.reportPath("fake")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let real = try HarnessProcess.binDirectory().appendingPathComponent("tessera").path
        let script = directory + "/tessera"
        try """
            #!/bin/sh
            case " $* " in *" --node-id n2 "*) echo "n2: disk on fire" >&2; exit 3;; esac
            exec \(real) "$@"
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let out = directory + "/report"
        let result = try HarnessProcess.run([
            "run", "--no-namespace", "--tessera", script, "--nodes", "3", "--time-limit", "2", "--out", out,
            "--no-progress",
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("n2 exited with status 3"), "\(result.stderr)")
        #expect(result.stderr.contains("disk on fire"))
        #expect(HarnessProcess.processes(mentioning: out).isEmpty, "nodes left running")
    }

    @Test("partitions without root or without the namespace are refused with the reason")
    func partitionNeedsNamespace() throws {
        let result = try HarnessProcess.run(["run", "--no-namespace", "--nemesis", "partition", "--no-progress"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("the partition nemesis needs root"), "\(result.stderr)")
    }
}
