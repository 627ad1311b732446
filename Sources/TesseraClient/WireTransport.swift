// WIP: replaced by the TCP transport over TesseraWire's WireConnection as soon as cluster-io's wire module
// lands on its branch. Until then every connection attempt fails, so the build stays green.
struct WireTransport: ClientTransport {
    func connect(to address: HostAddress, timeout: Duration) async throws(TransportFailure) -> any ClientConnection {
        throw .connectFailed("the TCP transport is not merged yet")
    }
}
