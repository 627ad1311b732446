import TesseraBench
import Testing

@Suite struct ClusterShellCommandTests {
    @Test func parsesEveryCommand() throws {
        #expect(try ClusterShellCommand.parse("put a 1") == .put(key: "a", value: "1", level: nil))
        #expect(try ClusterShellCommand.parse("PUT a 1 ALL") == .put(key: "a", value: "1", level: "ALL"))
        #expect(try ClusterShellCommand.parse("get a") == .get(key: "a", level: nil))
        #expect(try ClusterShellCommand.parse("  get   a  QUORUM ") == .get(key: "a", level: "QUORUM"))
        #expect(try ClusterShellCommand.parse("delete a one") == .delete(key: "a", level: "one"))
        #expect(try ClusterShellCommand.parse("status") == .status)
        #expect(try ClusterShellCommand.parse("ring") == .ring)
        #expect(try ClusterShellCommand.parse("kill n2") == .kill("n2"))
        #expect(try ClusterShellCommand.parse("start n2") == .start("n2"))
        #expect(try ClusterShellCommand.parse("help") == .help)
        #expect(try ClusterShellCommand.parse("quit") == .quit)
        #expect(try ClusterShellCommand.parse("") == .nothing)
        #expect(try ClusterShellCommand.parse("# a comment") == .nothing)
    }

    @Test func quotedWordsKeepTheirSpaces() throws {
        #expect(
            try ClusterShellCommand.parse(#"put greeting "hello world" TWO"#)
                == .put(key: "greeting", value: "hello world", level: "TWO")
        )
        #expect(
            try ClusterShellCommand.parse(#"put k "say \"hi\"""#) == .put(key: "k", value: #"say "hi""#, level: nil)
        )
        #expect(try ClusterShellCommand.parse(#"put k """#) == .put(key: "k", value: "", level: nil))
    }

    @Test(arguments: [
        ("put a", "usage: put KEY VALUE [LEVEL]"),
        ("get", "usage: get KEY [LEVEL]"),
        ("get a b c", "usage: get KEY [LEVEL]"),
        ("kill", "usage: kill NODE"),
        ("status now", "usage: status"),
        ("frobnicate x", "unknown command 'frobnicate'; type help"),
        (#"put a "open"#, "unterminated quote"),
    ])
    func badLinesSayWhatToType(_ line: String, _ expected: String) {
        #expect {
            try ClusterShellCommand.parse(line)
        } throws: { error in
            (error as? ClusterShellParseError)?.message.contains(expected) == true
        }
    }
}
