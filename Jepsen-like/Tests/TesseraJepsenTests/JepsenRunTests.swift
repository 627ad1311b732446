import Foundation
import Testing

/// End-to-end runs of the harness against real node processes. Partitions need root (CI runs as root);
/// without it these skip, saying so.
@Suite("Jepsen runs", .serialized)
struct JepsenRunTests {
    /// LINEARIZABLE (ABD) under crashes and partitions for 20 s: the run keeps the mode's promises (no
    /// acknowledged set add lost, every key readable at ALL once healed) and the register history is
    /// linearizable, as the mode promises.
    @Test(
        "LINEARIZABLE under kill and partition: promises kept, history linearizable",
        .enabled(if: HarnessProcess.isRoot, "skipped: needs root for the partition nemesis (network namespace, iptables)")
    )
    func linearizableUnderKillAndPartition() throws {
        let out = HarnessProcess.reportPath("linearizable")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try HarnessProcess.run([
            "run", "--consistency", "LINEARIZABLE", "--nemesis", "kill,partition", "--time-limit", "20",
            "--seed", "7", "--keys", "24", "--rate", "150", "--out", out, "--no-progress",
        ])
        #expect(result.status == 0, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        let summary = try HarnessProcess.summary(out)
        #expect(summary["verdict"] as? String == "linearizable", "\(summary)")
        #expect(summary["lostAcknowledged"] as? Int == 0)
        #expect((summary["ok"] as? Int ?? 0) > 500, "too few operations succeeded: \(summary)")
        let windows = summary["windows"] as? [[String: Any]] ?? []
        #expect(windows.contains { $0["kind"] as? String == "kill" } || windows.contains { $0["kind"] as? String == "partition" })
        for file in ["history.jsonl", "result.txt", "timeline.html", "chart.svg", "command.txt", "nodes/n1.log"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "missing \(file)")
        }
        #expect(HarnessProcess.processes(mentioning: out).isEmpty, "processes left running")
    }

    /// ONE under a partition that isolates one node of three (every key has a replica on each side) with
    /// writes on both sides: stale reads are certain, and the checker must say so every time.
    @Test(
        "ONE under an isolating partition is caught as not linearizable",
        .enabled(if: HarnessProcess.isRoot, "skipped: needs root for the partition nemesis (network namespace, iptables)")
    )
    func oneUnderPartitionIsCaught() throws {
        let out = HarnessProcess.reportPath("one")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try HarnessProcess.run([
            "run", "--consistency", "ONE", "--nemesis", "partition", "--shapes", "isolate-one", "--nodes", "3",
            "--time-limit", "8", "--seed", "3", "--keys", "3", "--rate", "300", "--workload", "register",
            "--out", out, "--no-progress",
        ])
        // ONE promises no lost acknowledged write, not linearizability: the run itself passes.
        #expect(result.status == 0, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        let summary = try HarnessProcess.summary(out)
        #expect(summary["verdict"] as? String == "not linearizable", "\(summary)")
        #expect(result.stdout.contains("first violation on key r"))
        let text = try String(contentsOfFile: out + "/result.txt", encoding: .utf8)
        #expect(text.contains("not linearizable"))
    }

    /// SIGKILL of the harness in the middle of a run with every node under the faketime wrapper: the kernel
    /// ends the harness's PID namespace, so no node and no wrapper survives it.
    @Test(
        "a SIGKILLed harness leaves no node or wrapper running",
        .enabled(if: HarnessProcess.isRoot, "skipped: needs root (the harness's PID namespace)")
    )
    func killedHarnessLeavesNothing() throws {
        let out = HarnessProcess.reportPath("killed")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let shmBefore = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).filter { $0.contains("faketime") })
        let (process, _, _) = try HarnessProcess.start([
            "run", "--nemesis", "skew", "--nodes", "3", "--time-limit", "60", "--out", out, "--no-progress",
        ])
        // Wait until all three servers run (each under its faketime wrapper).
        let start = Date()
        while HarnessProcess.processes(mentioning: out + "/nodes/n").filter({ isServer($0) }).count < 3 {
            #expect(Date().timeIntervalSince(start) < 30, "the nodes did not start")
            if Date().timeIntervalSince(start) > 30 { break }
            usleep(100_000)
        }
        #expect(!HarnessProcess.processes(mentioning: "faketime").filter { commandLine($0).contains(out) }.isEmpty)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        var left: [Int32] = []
        for _ in 0..<50 {
            left = HarnessProcess.processes(mentioning: out)
            if left.isEmpty { break }
            usleep(100_000)
        }
        #expect(left.isEmpty, "left running: \(left.map(commandLine))")
        // The wrappers' semaphores and shared memory lived in the namespace's own /dev/shm.
        let shm = (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []
        #expect(Set(shm.filter { $0.contains("faketime") }).isSubset(of: shmBefore), "left in /dev/shm: \(shm)")
    }

    private func commandLine(_ pid: Int32) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }

    private func isServer(_ pid: Int32) -> Bool {
        let line = commandLine(pid)
        return line.contains(" server ") && !line.contains("faketime")
    }
}
