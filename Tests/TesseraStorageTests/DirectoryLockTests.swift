import Testing
import TesseraCore
@testable import TesseraStorage

/// One database directory, one open engine: `directory/LOCK` is held from open to close.
@Suite struct DirectoryLockTests {
    @Test func aSecondOpenOfTheSameDirectoryIsRefusedUntilTheFirstCloses() throws {
        let dir = T.tempDirectory("lock")
        defer { removeTree(dir) }
        var options = StorageOptions()
        options.syncPolicy = .never
        let first = try StorageEngine.open(directory: dir, options: options)
        try first.put(Array("k".utf8), Array("v1".utf8), version: Version(timestamp: HLCTimestamp(rawValue: 1), node: 1))

        do {
            let second = try StorageEngine.open(directory: dir, options: options)
            try? second.close()
            Issue.record("a second engine opened a directory that is already open")
        } catch {
            guard case StorageError.invalidArgument(let message) = error else {
                Issue.record("expected invalidArgument, got \(error)")
                return
            }
            #expect(message.contains("LOCK") && message.contains("already open"))
        }
        // The refused open changed nothing: the first engine still serves, and after it closes a new one opens.
        #expect(try first.get(Array("k".utf8))?.value == Array("v1".utf8))
        try first.close()
        let reopened = try StorageEngine.open(directory: dir, options: options)
        #expect(try reopened.get(Array("k".utf8))?.value == Array("v1".utf8))
        try reopened.close()
    }
}
