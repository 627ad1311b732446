public import TesseraCore

extension TesseraClient {
    /// Creates a client for `seeds` (`HOST:PORT` strings) that talks the Tessera wire protocol over TCP.
    /// Throws `invalidRequest` for a malformed address. Nothing connects until the first call.
    public convenience init(
        seeds: [String],
        defaultConsistency: ConsistencyLevel = .quorum,
        defaultTimeout: Duration = .seconds(2)
    ) throws(TesseraError) {
        var addresses: [HostAddress] = []
        for seed in seeds { addresses.append(try HostAddress(parsing: seed)) }
        try self.init(
            seeds: addresses,
            options: Options(defaultConsistency: defaultConsistency, defaultTimeout: defaultTimeout)
        )
    }

    /// Creates a client for `seeds` with `options`, over TCP (TLS with `options.tls`). Nothing connects until the
    /// first call; TLS files are loaded here (`invalidRequest` naming a file that cannot be used).
    public convenience init(seeds: [HostAddress], options: Options = Options()) throws(TesseraError) {
        try self.init(
            seeds: seeds,
            options: options,
            transport: WireTransport(tls: try options.tls?.makeClientContext(), authToken: options.authToken)
        )
    }
}
