import Foundation
public import TesseraClient
public import TesseraTLS

/// Throwaway TLS material for a local cluster (`tessera demo --tls`, `tessera bench cluster --tls`, tests):
/// a CA, one certificate per node (for its listener and its peer links; valid for `localhost`, 127.0.0.1, ::1
/// and the nodes' hosts), a client certificate, and a random client token. Made with the `openssl` command
/// (scripts/test installs it), EC P-256 keys, valid two days. Files, all in `directory`:
/// `ca.pem`, `ca.key`, `NODE.pem`, `NODE.key`, `client.pem`, `client.key`, `token`.
public struct LocalCertificates: Sendable {
    public let directory: String
    public let nodes: [String]
    /// Whether the nodes also get `--peer-mtls` and `--client-token-file` (`serverArguments`).
    public var peerMutualTLS = true
    public var requireToken = true

    public var caFile: String { directory + "/ca.pem" }
    public func certificateFile(_ node: String) -> String { directory + "/\(node).pem" }
    public func keyFile(_ node: String) -> String { directory + "/\(node).key" }
    public var clientCertificateFile: String { certificateFile("client") }
    public var clientKeyFile: String { keyFile("client") }
    public var tokenFile: String { directory + "/token" }

    /// The token's bytes (as the node reads the file: without the trailing newline).
    public func token() throws(ClusterLauncherError) -> [UInt8] {
        guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
            throw .fileSystem("cannot read the token file \(tokenFile)")
        }
        return Array(text.trimmingCharacters(in: .newlines).utf8)
    }

    /// Creates the CA, a certificate per node in `nodes` (plus `client`) and the token in `directory`
    /// (created if missing). `hosts`: extra names or addresses the node certificates are valid for.
    /// `caName`: the CA's common name (tests make a second, foreign CA with another name).
    public static func generate(
        in directory: String, nodes: [String], hosts: [String] = [], caName: String = "Tessera local CA"
    ) throws(ClusterLauncherError) -> LocalCertificates {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem("cannot create \(directory): \(error.localizedDescription)")
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + key + ["-keyout", directory + "/ca.key", "-out", directory + "/ca.pem",
            "-days", "2", "-subj", "/CN=\(caName)"])
        var names = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
        for host in hosts {
            let entry = (host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }) ? "IP:\(host)" : "DNS:\(host)"
            if !names.contains(entry) { names.append(entry) }
        }
        let extensions = directory + "/leaf.ext"
        let text = "subjectAltName=\(names.joined(separator: ","))\nextendedKeyUsage=serverAuth,clientAuth\n"
            + "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        do {
            try text.write(toFile: extensions, atomically: true, encoding: .utf8)
            var generator = SystemRandomNumberGenerator()
            let token = (0..<4).map { _ in String(generator.next(), radix: 16) }.joined(separator: "-")
            try (token + "\n").write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        } catch {
            throw .fileSystem("cannot write in \(directory): \(error.localizedDescription)")
        }
        for name in nodes + ["client"] {
            let csr = directory + "/\(name).csr"
            try openssl(["req", "-new"] + key + ["-keyout", directory + "/\(name).key", "-out", csr, "-subj", "/CN=\(name)"])
            try openssl(["x509", "-req", "-in", csr, "-CA", directory + "/ca.pem", "-CAkey", directory + "/ca.key",
                "-CAcreateserial", "-out", directory + "/\(name).pem", "-days", "2", "-extfile", extensions])
            try? FileManager.default.removeItem(atPath: csr)
        }
        return LocalCertificates(directory: directory, nodes: nodes)
    }

    /// The `tessera server` flags for `node`: its certificate, the CA, mutual TLS and the token if set.
    public func serverArguments(for node: String) -> [String] {
        var arguments = ["--tls-cert", certificateFile(node), "--tls-key", keyFile(node), "--tls-ca", caFile]
        if peerMutualTLS { arguments.append("--peer-mtls") }
        if requireToken { arguments += ["--client-token-file", tokenFile] }
        return arguments
    }

    /// The client options to reach such nodes: TLS trusting the CA, and the token if the nodes require one.
    public func apply(to options: inout TesseraClient.Options) throws(ClusterLauncherError) {
        options.tls = TLSSettings(caFile: caFile)
        if requireToken { options.authToken = try token() }
    }

    /// The client flags of `tessera get/put/...` for such nodes.
    public var clientArguments: [String] {
        ["--tls-ca", caFile] + (requireToken ? ["--token-file", tokenFile] : [])
    }

    private static func openssl(_ arguments: [String]) throws(ClusterLauncherError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .fileSystem("cannot run openssl (apt-get install openssl): \(error.localizedDescription)")
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .fileSystem(
                "openssl \(arguments.prefix(2).joined(separator: " ")) failed (exit \(process.terminationStatus)"
                    + (process.terminationStatus == 127 ? ": is openssl installed? apt-get install openssl" : "")
                    + "): \(message)")
        }
    }
}
