import TesseraCore

/// One SSTable being written by a flush, a compaction or recovery: the file, its builder, and the steps to
/// make it durable and open it for reads.
struct TableOutput {
    let number: UInt64
    let path: String
    private let file: any WritableFile
    private var builder: TableBuilder

    init(fileSystem: any FileSystem, directory: String, number: UInt64, options: TableOptions) throws(StorageError) {
        self.number = number
        self.path = directory + "/" + FileNames.table(number)
        self.file = try fileSystem.openWritable(path, truncate: true)
        self.builder = TableBuilder(file: file, path: path, options: options)
    }

    var entryCount: Int { builder.entryCount }
    var estimatedFileSize: Int { builder.estimatedFileSize }

    mutating func add(_ key: [UInt8], _ cell: Cell) throws(StorageError) {
        try builder.add(key, cell)
    }

    /// Finishes the table (the builder syncs it), closes it and opens a reader. Returns nil (and removes the
    /// file) if nothing was added. The caller syncs the directory before recording the table in the manifest.
    mutating func finish(fileSystem: any FileSystem, cache: BlockCache?) throws(StorageError) -> LiveTable? {
        if builder.entryCount == 0 {
            try? file.close()
            try? fileSystem.removeFile(path)
            return nil
        }
        let props = try builder.finish()
        try file.close()
        let reader = try TableReader.open(
            file: try fileSystem.openRandomAccess(path), path: path, fileNumber: number, cache: cache)
        let meta = FileMetadata(
            number: number, size: props.fileSize, smallest: props.smallestKey, largest: props.largestKey,
            entryCount: props.entryCount)
        return LiveTable(meta: meta, reader: reader)
    }

    /// Gives up on the table: closes and removes the file.
    func abandon(fileSystem: any FileSystem) {
        try? file.close()
        try? fileSystem.removeFile(path)
    }
}
