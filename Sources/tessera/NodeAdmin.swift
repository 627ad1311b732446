import NIOCore
import NIOPosix
import TesseraClient
import TesseraCore
import TesseraWire

#if canImport(Glibc)
    import Glibc
#endif

/// Direct requests to one node (HINT_STATS, REPAIR, REPAIR_STATUS, DIGEST): not routed by key, so they go over
/// one connection per node instead of the client library.
struct NodeAdmin {
    let address: HostAddress
    private let connection: WireConnection

    static func connect(_ address: HostAddress, timeout: Duration) async throws(TesseraError) -> NodeAdmin {
        do {
            let connection = try await WireConnection.connect(
                host: address.host,
                port: address.port,
                group: MultiThreadedEventLoopGroup.singleton,
                connectTimeout: .milliseconds(timeout.milliseconds)
            )
            return NodeAdmin(address: address, connection: connection)
        } catch {
            throw (error as? TesseraError) ?? TesseraError(.unavailable, "cannot connect to \(address): \(error)")
        }
    }

    /// Sends a healing request; the node's error reply is thrown.
    func request(_ message: WireHealingMessage, timeout: Duration) async throws(TesseraError) -> WireHealingMessage {
        let reply: WireMessage
        do {
            reply = try await connection.response(to: .healing(message), timeout: .milliseconds(timeout.milliseconds))
        } catch {
            throw (error as? TesseraError) ?? TesseraError(.unavailable, "\(address): \(error)")
        }
        switch reply {
        case .healing(let answer): return answer
        case .error(let error): throw error
        default: throw TesseraError(.protocolError, "\(address) answered \(reply.opcode) to \(message.opcode)")
        }
    }

    func close() { connection.close() }
}

extension Duration {
    /// Whole milliseconds (at least 1).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}

/// A progress line on stderr: rewritten in place on a terminal, one line per call otherwise (logs).
enum ProgressLine {
    static let isTerminal = isatty(2) != 0

    static func show(_ text: String) {
        let line = isTerminal ? "\r\(text)\u{1B}[K" : "\(text)\n"
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// Ends an in-place line so that what follows starts on its own line.
    static func end() {
        guard isTerminal else { return }
        _ = Array("\n".utf8).withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
