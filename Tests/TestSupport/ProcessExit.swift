import Foundation

extension Process {
    /// `waitUntilExit()` on a thread of its own: a test never holds one of the cooperative pool's two
    /// threads, which serve every simulator and receiver of the test process, while a child exits.
    public func exited() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread {
                self.waitUntilExit()
                c.resume()
            }.start()
        }
    }
}
