import Logging
import ServiceLifecycle
import TesseraNode

/// `tessera server`'s node as a swift-service-lifecycle `Service`: the `ServiceGroup` turns SIGTERM and SIGINT
/// into a graceful shutdown (stop accepting, finish in-flight requests up to the grace period, flush the
/// memtable, close files), and `run` returns when the node has stopped, whoever stopped it.
struct NodeService: Service {
    let node: TesseraNodeServer

    func run() async throws {
        let node = self.node
        await withGracefulShutdownHandler {
            await node.waitUntilStopped()
        } onGracefulShutdown: {
            node.log.notice("graceful shutdown requested (SIGTERM or SIGINT)")
            Task { try? await node.shutdown() }
        }
    }
}
