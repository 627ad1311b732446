import TesseraCore

/// Idempotent writes: every attempt of a put or delete carries the same write id, and a resend goes where it
/// gets the first attempt's version (docs/client.md, "Retrying a write").
extension TesseraClient {
    /// A put (`value` non-nil) or delete sent as IDEMPOTENT_WRITE with `token`'s id. A first attempt is routed
    /// as usual; a lost connection is resent to the same node (`Options.retryWritesAfterConnectionLoss`). A
    /// token already sent is a retry: with its version known it goes to any node, otherwise only to the node
    /// that got the first attempt. Every error of a retry is indeterminate.
    func idempotentWrite(
        key: [UInt8],
        value: [UInt8]?,
        level: ConsistencyLevel,
        mode: QuorumMode,
        timeout: Duration?,
        token: WriteToken
    ) async throws(TesseraError) -> Version {
        let name = value == nil ? "delete" : "put"
        let makeRequest = { (serverTimeout: Duration) -> ClientRequest in
            .idempotentWrite(
                key: key, value: value, consistency: level, timeout: serverTimeout, quorum: mode,
                writeID: token.id, resend: token.wasSent, version: token.version
            )
        }
        let isRetry = token.wasSent
        let response: ClientResponse
        if isRetry, token.version == nil, let coordinator = token.coordinator {
            let timeout = timeout ?? options.defaultTimeout
            try Options.checkTimeout(timeout)
            response = try await resend(
                token,
                to: RoutingTable.Target(node: nil, address: coordinator),
                deadline: ContinuousClock.now + timeout,
                timeout: timeout,
                lost: nil,
                makeRequest: makeRequest
            )
        } else {
            response = try await perform(key: key, timeout: timeout, level: level, token: token, makeRequest: makeRequest)
        }
        switch response {
        case .written(let version):
            return version
        case .error(let error) where isRetry && !error.isIndeterminate:
            throw TesseraError(
                .internalError,
                "\(name) retry of \(token) refused (\(error.message)); the first attempt may or may not have been applied"
            )
        default:
            throw Self.unexpected(response, for: name)
        }
    }

    /// Sends `token`'s write again to `target` (up to 3 times while connections keep closing) and returns the
    /// answer. Throws an indeterminate error when the node cannot be reached, refuses the resend (it does not
    /// know the write id), or the deadline passes: the first attempt may have been applied, and no other node
    /// could give the resend the same version.
    func resend(
        _ token: WriteToken,
        to target: RoutingTable.Target,
        deadline: ContinuousClock.Instant,
        timeout: Duration,
        lost: String?,
        makeRequest: (Duration) -> ClientRequest
    ) async throws(TesseraError) -> ClientResponse {
        var story = [lost.map { "the connection to \(target) closed before it answered (\($0))" } ?? "\(token) was sent before"]
        var request = makeRequest(.zero)
        for round in 0..<3 {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            request = makeRequest(Self.serverTimeout(remaining: remaining))
            let response: ClientResponse
            do throws(AttemptFailure) {
                response = try await attempt(request, on: target, deadline: deadline)
            } catch {
                switch error {
                case .refused(let refusal):
                    // TLS or the token refused the new connection; the first attempt may still have been applied.
                    story.append("\(target) refused the resend's connection (\(refusal.message))")
                    throw Self.indeterminate(request, story)
                case .notSent(let reason):
                    story.append("\(target) cannot be reached to resend it with the same write id (\(reason))")
                    throw Self.indeterminate(request, story)
                case .lost(let reason):
                    story.append("the resend's connection closed too (\(reason))")
                    continue
                case .deadline:
                    throw Self.timeoutError(request, target: target, timeout: timeout)
                }
            }
            switch response {
            case .written(let version):
                token.noteWritten(version, by: target.address)
                return response
            case .error(let error) where error.code == .overloaded:
                story.append("\(target): \(error.message)")
                let pause = min(options.overloadBackoff * (1 << round), deadline - ContinuousClock.now)
                if pause > .zero { try? await Task.sleep(for: pause) }
            case .error(let error):
                story.append("the resend to \(target) was refused: \(error.message)")
                throw Self.indeterminate(request, story, code: error.isIndeterminate ? error.code : .internalError)
            default:
                return response
            }
        }
        throw Self.indeterminate(request, story)
    }

    /// Records in `token` what an answer from `target` says: the version, or that the write may have been
    /// applied there (an indeterminate error).
    static func note(_ response: ClientResponse, of token: WriteToken, from target: RoutingTable.Target) {
        switch response {
        case .written(let version): token.noteWritten(version, by: target.address)
        case .error(let error) where error.isIndeterminate && error.code != .overloaded: token.noteSent(to: target.address)
        default: break
        }
    }

    static func indeterminate(_ request: ClientRequest, _ story: [String], code: TesseraError.Code = .internalError) -> TesseraError {
        TesseraError(code, "the \(request.name) may or may not have been applied: " + story.joined(separator: "; "))
    }
}
