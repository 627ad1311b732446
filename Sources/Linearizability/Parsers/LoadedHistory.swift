/// A history file read and paired for checking (``HistoryParser/loadHistory(contentsOf:format:)``).
public struct LoadedHistory: Sendable {
    /// The operations.
    public var history: History
    /// The format actually parsed (never `.auto`).
    public var format: HistoryFormat
    /// The model the format implies: "cas-register" for porcupine-etcd, "kv" for porcupine-kv, nil otherwise.
    public var suggestedModel: String?

    public init(history: History, format: HistoryFormat, suggestedModel: String?) {
        self.history = history
        self.format = format
        self.suggestedModel = suggestedModel
    }
}
