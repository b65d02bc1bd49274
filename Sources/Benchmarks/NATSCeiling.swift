import CNats
import Foundation
import NATS

/// The ceiling for the NATS sink: bare libnats publishing the same messages (subject, payload and `Nats-Msg-Id`, which
/// JetStream's deduplication works on) with `js_PublishMsgAsync` in a loop, up to `maxPending` unacknowledged,
/// then `js_PublishAsyncComplete` — no journal, no delivery queue, no awaiting per message.
enum NATSCeiling {
    /// Seconds to publish and have acknowledged every payload; runs on a thread of its own.
    static func run(url: String, payloads: [(subject: String, id: String, data: [UInt8])], maxPending: Int) async throws -> Double {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Double, any Error>) in
            Thread {
                c.resume(with: Result { () throws(NATSError) -> Double in try publishAll(url, payloads, maxPending) })
            }.start()
        }
    }

    private static func publishAll(_ url: String, _ payloads: [(subject: String, id: String, data: [UInt8])],
                                   _ maxPending: Int) throws(NATSError) -> Double {
        var nc: OpaquePointer?
        try NATS.call("cannot connect to \(url)") { natsConnection_ConnectTo(&nc, url) }
        defer { natsConnection_Destroy(nc) }
        var jo = jsOptions()
        try NATS.call("cannot prepare JetStream options") { jsOptions_Init(&jo) }
        jo.PublishAsync.MaxPending = Int64(maxPending)
        jo.PublishAsync.StallWait = 10_000
        var js: OpaquePointer?
        try NATS.call("cannot open a JetStream context") { natsConnection_JetStream(&js, nc, &jo) }
        defer { jsCtx_Destroy(js) }
        let start = DispatchTime.now().uptimeNanoseconds
        for p in payloads {
            var msg: OpaquePointer?
            defer { natsMsg_Destroy(msg) }
            try NATS.call("cannot make a message") { p.data.withUnsafeBytes { natsMsg_Create(&msg, p.subject, nil, $0.baseAddress, Int32($0.count)) } }
            try NATS.call("cannot set Nats-Msg-Id") { natsMsgHeader_Set(msg, "Nats-Msg-Id", p.id) }
            try NATS.call("cannot publish") { js_PublishMsgAsync(js, &msg, nil) }
        }
        var done = jsPubOptions()
        try NATS.call("cannot prepare the wait") { jsPubOptions_Init(&done) }
        done.MaxWait = 60_000
        try NATS.call("not every publish was acknowledged") { js_PublishAsyncComplete(js, &done) }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
