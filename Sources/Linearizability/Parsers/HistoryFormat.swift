/// The input formats `tessera check` reads (docs/checker.md, "Formats").
public enum HistoryFormat: String, CaseIterable, Sendable {
    /// Look at the text and pick one of the others (`HistoryParser.detectFormat(text:)`).
    case auto
    /// Tessera's own history: one JSON object per line (design.md section 6).
    case jsonl
    /// Jepsen/Knossos EDN: a vector or list of operation maps, or maps one after another.
    case edn
    /// Porcupine's `test_data/jepsen/etcd_NNN.log`: `INFO  jepsen.util - <process> :<type> :<f> <value>` lines.
    case porcupineEtcd = "porcupine-etcd"
    /// Porcupine's `test_data/kv/*.txt`: EDN maps with `:key` and `:f` in get/put/append.
    case porcupineKV = "porcupine-kv"
}
