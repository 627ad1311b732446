import TesseraCore

/// The errors the coordinators report, worded in one place so writes and reads say the same things.
enum QuorumFailure {
    /// "QUORUM" or "2 replicas" for messages.
    static func levelName(_ level: ConsistencyLevel?, required: Int) -> String {
        if let level { return "\(level)" }
        return "level \(required)"
    }

    /// Strict quorum: fewer live home replicas than the level needs; nothing was sent.
    static func unavailable(
        operation: String,
        level: ConsistencyLevel?,
        required: Int,
        alive: Int,
        replicas: Int
    ) -> TesseraError {
        TesseraError(
            .unavailable,
            "\(levelName(level, required: required)) \(operation) needs \(required) replicas, \(alive) alive "
                + "(of \(replicas) home replicas); nothing was sent"
        )
    }

    /// The code for a request that can no longer succeed because replicas failed: the replicas' common code
    /// when they agree, else `internalError`. A write gets a determinate code (`storage`, ...) only when no
    /// replica can have applied it: no ack, and every replica it was sent to failed with a determinate error.
    static func code(for failures: [TesseraError], write: Bool, acks: Int, sent: Int) -> TesseraError.Code {
        guard let first = failures.first?.code else { return .internalError }
        let agreed = failures.allSatisfy { $0.code == first } ? first : TesseraError.Code.internalError
        guard write else { return agreed }
        let everyoneFailedDeterminately =
            acks == 0 && failures.count == sent
            && failures.allSatisfy { !$0.isIndeterminate }
        if everyoneFailedDeterminately { return agreed }
        let candidate = TesseraError(agreed, "")
        return candidate.isIndeterminate ? agreed : .internalError
    }

    static func describe(_ failures: [(NodeID, TesseraError)]) -> String {
        failures.map { "\($0.0): \($0.1)" }.joined(separator: "; ")
    }
}
