import Synchronization

/// A few pipelined connections to one node, used round-robin.
///
/// Connections open lazily, on first use of a slot. A slot whose connection closed is reopened on its next
/// use. Concurrent users of a slot that is connecting wait for the same attempt instead of each opening
/// their own. Thread-safe: all state sits behind one `Mutex`, held only to read or swap a slot.
final class NodeConnectionPool: Sendable {
    private enum Slot {
        case empty
        case connecting(Task<Result<any ClientConnection, TransportFailure>, Never>)
        case ready(any ClientConnection)
    }

    private enum Pick {
        case ready(any ClientConnection)
        case wait(Task<Result<any ClientConnection, TransportFailure>, Never>)
    }

    let address: HostAddress
    private let transport: any ClientTransport
    private let slots: Mutex<[Slot]>
    private let next = Atomic<Int>(0)
    private let isClosed = Atomic<Bool>(false)

    init(address: HostAddress, transport: any ClientTransport, size: Int) {
        precondition(size >= 1, "a pool needs at least one connection")
        self.address = address
        self.transport = transport
        self.slots = Mutex(Array(repeating: .empty, count: size))
    }

    /// The next connection in round-robin order, opening it if needed.
    func connection(connectTimeout: Duration) async throws(TransportFailure) -> any ClientConnection {
        guard !isClosed.load(ordering: .relaxed) else { throw .connectFailed("the client was shut down") }
        let index = next.add(1, ordering: .relaxed).oldValue
        let pick = slots.withLock { slots -> Pick in
            let i = Int(UInt(bitPattern: index) % UInt(slots.count))
            switch slots[i] {
            case .ready(let connection) where connection.isActive:
                return .ready(connection)
            case .connecting(let task):
                return .wait(task)
            case .ready, .empty:
                let transport = self.transport
                let address = self.address
                let task = Task<Result<any ClientConnection, TransportFailure>, Never> {
                    do throws(TransportFailure) {
                        return .success(try await transport.connect(to: address, timeout: connectTimeout))
                    } catch {
                        return .failure(error)
                    }
                }
                slots[i] = .connecting(task)
                return .wait(task)
            }
        }
        switch pick {
        case .ready(let connection):
            return connection
        case .wait(let task):
            let result = await task.value
            slots.withLock { slots in
                for i in slots.indices {
                    guard case .connecting(let pending) = slots[i], pending == task else { continue }
                    switch result {
                    case .success(let connection): slots[i] = .ready(connection)
                    case .failure: slots[i] = .empty
                    }
                }
            }
            if isClosed.load(ordering: .relaxed), case .success(let connection) = result {
                connection.close()
                throw .connectFailed("the client was shut down")
            }
            return try result.get()
        }
    }

    /// Closes every open connection; later `connection` calls fail.
    func close() {
        isClosed.store(true, ordering: .relaxed)
        let open = slots.withLock { slots -> [any ClientConnection] in
            let open = slots.compactMap { slot -> (any ClientConnection)? in
                if case .ready(let connection) = slot { return connection }
                return nil
            }
            slots = Array(repeating: .empty, count: slots.count)
            return open
        }
        for connection in open { connection.close() }
    }
}
