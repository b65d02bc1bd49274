import CNats
import Foundation

/// An ordered JetStream consumer: a stream's messages in order from a starting point, recreated by the
/// library after a reconnect so that none is skipped or repeated. Reads block on the connection's thread.
public final class NATSConsumer: @unchecked Sendable {
    /// Where reading starts.
    public enum Start: Sendable, Equatable {
        case all
        case new
        /// At this stream sequence.
        case sequence(UInt64)
        /// At the first message at or after this time (seconds since 1970).
        case time(Double)
    }

    /// One message: its stream sequence, subject and data.
    public struct Received: Sendable {
        public var sequence: UInt64
        public var subject: String
        public var data: [UInt8]
    }

    private let connection: NATSConnection
    private var subscription: OpaquePointer?  // natsSubscription*, on the connection's thread only

    init(connection: NATSConnection) { self.connection = connection }

    /// Opens an ordered consumer on `stream` for `subject` (e.g. `vicidial.>`).
    public static func open(on connection: NATSConnection, stream: String, subject: String, from start: Start) async throws(NATSError) -> NATSConsumer {
        let consumer = NATSConsumer(connection: connection)
        let result: Result<Void, NATSError> = await connection.withHandles { _, js in
            Result { () throws(NATSError) in
                var o = jsSubOptions()
                try NATS.call("cannot prepare the consumer") { jsSubOptions_Init(&o) }
                o.Ordered = true
                switch start {
                case .all: o.Config.DeliverPolicy = js_DeliverAll
                case .new: o.Config.DeliverPolicy = js_DeliverNew
                case .sequence(let s):
                    o.Config.DeliverPolicy = js_DeliverByStartSequence
                    o.Config.OptStartSeq = max(1, s)
                case .time(let t):
                    o.Config.DeliverPolicy = js_DeliverByStartTime
                    o.Config.OptStartTime = Int64(t * 1e9)
                }
                var code = jsErrCode(rawValue: 0)
                let status = stream.withCString { name in
                    o.Stream = name
                    return js_SubscribeSync(&consumer.subscription, js, subject, nil, &o, &code)
                }
                try NATS.check(status, "cannot read stream \(stream)", code: code)
            }
        }
        try result.get()
        return consumer
    }

    /// The next message, or `nil` when none came within `timeout` seconds.
    public func next(timeout: Double) async throws(NATSError) -> Received? {
        let result: Result<Received?, NATSError> = await connection.withHandles { [self] _, _ in
            var msg: OpaquePointer?
            let status = natsSubscription_NextMsg(&msg, subscription, Int64(timeout * 1000))
            if status == NATS_TIMEOUT { return .success(nil) }
            guard status == NATS_OK, let msg else { return .failure(NATS.error(status, "cannot read the stream")) }
            defer { natsMsg_Destroy(msg) }
            var meta: UnsafeMutablePointer<jsMsgMetaData>?
            let sequence = natsMsg_GetMetaData(&meta, msg) == NATS_OK ? meta?.pointee.Sequence.Stream ?? 0 : 0
            if let meta { jsMsgMetaData_Destroy(meta) }
            let count = Int(natsMsg_GetDataLength(msg))
            let data = natsMsg_GetData(msg).map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
            return .success(Received(sequence: sequence, subject: String(cString: natsMsg_GetSubject(msg)), data: data))
        }
        return try result.get()
    }

    public func close() async {
        await connection.withHandles { [self] _, _ in
            if let s = subscription { natsSubscription_Destroy(s) }
            subscription = nil
        }
    }
}
