import CCurl
import HandOverTrace
import Synchronization

/// State shared between callers and the loop thread, and the loop itself.
final class CurlLoop: Sendable {
    private struct Inbox {
        var pending: [RequestGroup] = []
        var cancelled: [UInt64] = []
        var nextID: UInt64 = 0
        var shuttingDown = false
    }

    /// libcurl's one-time set-up; without it no transfer can work, so a failure stops the process with the cause.
    static let globalInit: Void = {
        do { try Curl.call("curl_global_init") { ccurl_global_init() } } catch { fatalError("\(error)") }
    }()

    private let inbox = Mutex(Inbox())
    /// `CURLM*`. Created here, then used only by the loop thread, except `curl_multi_wakeup` (thread-safe).
    nonisolated(unsafe) private let multi: UnsafeMutableRawPointer

    init(maxConnectionsPerHost: Int) {
        guard let handle = curl_multi_init() else { fatalError("curl_multi_init: out of memory") }
        multi = handle
        do {
            try Curl.call("curl_multi_setopt(CURLMOPT_MAX_HOST_CONNECTIONS)") {
                ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
            }
            try Curl.call("curl_multi_setopt(CURLMOPT_PIPELINING)") { ccurl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX)) }
        } catch {
            fatalError("this libcurl lacks a multi option vicinotify needs: \(error)")  // libcurl 7.30 and later have both
        }
    }

    func nextID() -> UInt64 { inbox.withLock { $0.nextID += 1; return $0.nextID } }

    func enqueue(_ group: RequestGroup) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.shuttingDown else { return false }
            inbox.pending.append(group)
            return true
        }
        if accepted {
            Curl.bestEffort("curl_multi_wakeup") { curl_multi_wakeup(multi) }
        } else {
            group.fail(HTTPTransportError(kind: .cancelled, message: "transport shut down"))
        }
    }

    func cancel(_ id: UInt64) {
        inbox.withLock { $0.cancelled.append(id) }
        Curl.bestEffort("curl_multi_wakeup") { curl_multi_wakeup(multi) }
    }

    func shutdown() {
        inbox.withLock { $0.shuttingDown = true }
        Curl.bestEffort("curl_multi_wakeup") { curl_multi_wakeup(multi) }
    }

    /// The loop thread's body: applies `TransferSchedule`'s decisions with libcurl. Returns after
    /// `shutdown()`, having failed every unfinished request.
    func run() {
        var schedule = TransferSchedule()
        var groups: [UInt64: RequestGroup] = [:]
        var active: [ObjectIdentifier: Transfer] = [:]
        var idle: [Transfer] = []

        /// Takes `transfer` out of the multi handle and keeps it for the next request.
        func park(_ transfer: Transfer) {
            let removed = (try? Curl.call("curl_multi_remove_handle") { curl_multi_remove_handle(multi, transfer.easy) }) != nil
            active[ObjectIdentifier(transfer)] = nil
            transfer.finish()
            if removed, idle.count < 64 { idle.append(transfer) }  // a handle libcurl still holds is not reused
        }

        func apply(_ actions: [TransferSchedule.Action]) {
            var queue = actions[...]
            while let action = queue.popFirst() {
                switch action {
                case .start(let id, let index):
                    guard let group = groups[id] else { continue }
                    let transfer = idle.popLast() ?? Transfer()
                    var failure = transfer.start(group.requests[index], group: group, index: index)
                    if failure == nil {
                        do { try Curl.call("curl_multi_add_handle") { curl_multi_add_handle(multi, transfer.easy) } } catch { failure = error }
                    }
                    if let failure {
                        transfer.finish()
                        group.complete(index, .failure(failure))
                        queue += schedule.startFailed(id)
                        continue
                    }
                    active[ObjectIdentifier(transfer)] = transfer
                case .skip(let id, let index):
                    groups[id]?.complete(index, .failure(HTTPTransportError(kind: .cancelled, message: "not sent after an earlier answer")))
                case .fail(let id, let ending):
                    guard let group = groups.removeValue(forKey: id) else { continue }
                    for t in active.values where t.group === group { park(t) }
                    group.fail(HTTPTransportError(kind: .cancelled, message: ending == .cancelled ? "request cancelled" : "transport shut down"))
                }
            }
            groups = groups.filter { schedule.groups[$0.key] != nil }
        }

        /// A transfer finished with `result`: its group gets it, and may start more.
        func finished(_ t: Transfer, _ result: Result<HTTPResponse, HTTPTransportError>) {
            HandOverTrace.mark("curl.answer")
            guard let group = t.group else { return park(t) }
            let index = t.index
            park(t)
            let stop = group.stops(result)
            group.complete(index, result)
            apply(schedule.finished(group.id, stop: stop))
        }

        while true {
            let (pending, cancelled, stopping) = inbox.withLock { inbox in
                defer { inbox.pending = []; inbox.cancelled = [] }
                return (inbox.pending, inbox.cancelled, inbox.shuttingDown)
            }
            for group in pending {
                HandOverTrace.mark("curl.request")
                groups[group.id] = group
                apply(schedule.add(group.id, count: group.requests.count, maxInFlight: group.maxInFlight))
            }
            for id in cancelled { apply(schedule.cancel(id)) }
            if stopping {
                apply(schedule.shutdown())
                for t in active.values { park(t) }
                idle.removeAll()
                Curl.bestEffort("curl_multi_cleanup") { curl_multi_cleanup(multi) }
                return
            }
            var running: Int32 = 0
            do {
                try Curl.call("curl_multi_perform") { curl_multi_perform(multi, &running) }
            } catch {
                for t in active.values { finished(t, .failure(error)) }  // every transfer in flight fails with it
            }
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                let code = ccurl_msg_result(msg)
                var priv: UnsafeMutableRawPointer?
                if (try? Curl.call("curl_easy_getinfo(CURLINFO_PRIVATE)") { ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &priv) }) == nil {
                    priv = nil
                }
                guard let priv, let t = active[ObjectIdentifier(Unmanaged<Transfer>.fromOpaque(priv).takeUnretainedValue())] else {
                    Curl.bestEffort("curl_multi_remove_handle") { curl_multi_remove_handle(multi, easy) }  // not ours: let it go
                    continue
                }
                finished(t, t.result(code))
            }
            do {
                try Curl.call("curl_multi_poll") { curl_multi_poll(multi, nil, 0, 1000, nil) }
            } catch {
                for t in active.values { finished(t, .failure(error)) }
            }
        }
    }
}
