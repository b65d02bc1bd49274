import CCurl

/// C callbacks, kept out of any actor-isolated context (see docs: top-level closures trap off the main thread).
enum CurlCallbacks {
    static let body: curl_write_callback = { ptr, size, nmemb, userdata in
        let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * nmemb
        guard let ptr else { return n }
        let room = t.maxBody - t.body.count
        guard n <= room else {
            // Keep what fits and stop the transfer: libcurl ends it with CURLE_WRITE_ERROR.
            t.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: max(0, room)))
            t.overflowed = true
            return 0
        }
        t.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: n))
        return n
    }
    static let header: curl_write_callback = { ptr, size, nmemb, userdata in
        let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * nmemb
        if let ptr {
            let line = UnsafeRawBufferPointer(start: ptr, count: n)
            if line.starts(with: "HTTP/".utf8) { t.headerBytes.removeAll(keepingCapacity: true) }
            guard t.headerBytes.count + n <= Transfer.maxHeaderBytes else {
                t.overflowed = true
                return 0
            }
            t.headerBytes.append(contentsOf: line)
        }
        return n
    }
}
