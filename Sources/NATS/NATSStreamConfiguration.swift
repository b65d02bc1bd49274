import CNats
import Foundation

/// A JetStream stream to create when missing, or to check when present (`sinks.nats.stream`).
public struct NATSStreamConfiguration: Sendable, Equatable {
    public var name: String
    public var subjects: [String]
    /// Seconds a message is kept; 0: no limit.
    public var maxAge: Double = 0
    /// Bytes the stream keeps; -1: no limit.
    public var maxBytes: Int64 = -1
    public var replicas = 1
    /// Seconds in which JetStream drops a message whose `Nats-Msg-Id` it has seen.
    public var duplicateWindow: Double = 120

    public init(name: String, subjects: [String]) {
        self.name = name
        self.subjects = subjects
    }
}

/// JetStream's error code for a stream that does not exist.
let streamNotFound = 10059

extension NATSConnection {
    /// Creates the stream if it does not exist; otherwise checks that it takes `configuration.subjects`.
    /// - Returns: whether it was created.
    @discardableResult
    public func ensureStream(_ configuration: NATSStreamConfiguration) async throws(NATSError) -> Bool {
        let result: Result<Bool, NATSError> = await withHandles { _, js in
            Result { () throws(NATSError) in
                var info: UnsafeMutablePointer<jsStreamInfo>?
                var code = jsErrCode(rawValue: 0)
                let s = js_GetStreamInfo(&info, js, configuration.name, nil, &code)
                if s == NATS_OK, let info {
                    defer { jsStreamInfo_Destroy(info) }
                    let cfg = info.pointee.Config.pointee
                    let have = (0..<Int(cfg.SubjectsLen)).compactMap { cfg.Subjects[$0].map { String(cString: $0) } }
                    let missing = configuration.subjects.filter { !have.contains($0) }
                    guard missing.isEmpty else {
                        throw NATSError(status: NATS_ERR.rawValue, message: "stream \(configuration.name) exists with subjects "
                                        + "\(have) and does not take \(missing): change it, or sinks.nats.stream.subjects")
                    }
                    return false
                }
                guard Int(code.rawValue) == streamNotFound || s == NATS_NOT_FOUND else {
                    throw NATS.error(s, "cannot look up stream \(configuration.name)", code: code)
                }
                try Self.create(configuration, js)
                return true
            }
        }
        return try result.get()
    }

    private static func create(_ c: NATSStreamConfiguration, _ js: OpaquePointer?) throws(NATSError) {
        var cfg = jsStreamConfig()
        try NATS.call("cannot prepare the stream configuration") { jsStreamConfig_Init(&cfg) }
        let name = strdup(c.name)
        var subjects = c.subjects.map { UnsafePointer(strdup($0)) }
        defer {
            free(name)
            for s in subjects { free(UnsafeMutablePointer(mutating: s)) }
        }
        cfg.Name = UnsafePointer(name)
        cfg.Storage = js_FileStorage
        cfg.MaxAge = Int64(c.maxAge * 1e9)
        cfg.MaxBytes = c.maxBytes
        cfg.Replicas = Int64(c.replicas)
        cfg.Duplicates = Int64(c.duplicateWindow * 1e9)
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(rawValue: 0)
        let status = subjects.withUnsafeMutableBufferPointer { buf -> natsStatus in
            cfg.Subjects = buf.baseAddress.map { UnsafeMutablePointer(mutating: $0) }.map { UnsafeMutablePointer<UnsafePointer<CChar>?>(OpaquePointer($0)) }
            cfg.SubjectsLen = Int32(buf.count)
            return js_AddStream(&info, js, &cfg, nil, &code)
        }
        if let info { jsStreamInfo_Destroy(info) }
        try NATS.check(status, "cannot create stream \(c.name)", code: code)
    }
}

extension NATSConnection {
    /// The name of the server leading `stream` in a cluster, and how many messages it holds.
    public func streamState(_ stream: String) async throws(NATSError) -> (leader: String?, messages: UInt64) {
        let result: Result<(String?, UInt64), NATSError> = await withHandles { _, js in
            var info: UnsafeMutablePointer<jsStreamInfo>?
            var code = jsErrCode(rawValue: 0)
            let s = js_GetStreamInfo(&info, js, stream, nil, &code)
            guard s == NATS_OK, let info else { return .failure(NATS.error(s, "cannot look up stream \(stream)", code: code)) }
            defer { jsStreamInfo_Destroy(info) }
            let leader = info.pointee.Cluster.flatMap { $0.pointee.Leader.map { String(cString: $0) } }
            return .success((leader, info.pointee.State.Msgs))
        }
        return try result.get()
    }
}
