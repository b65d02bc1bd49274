import Foundation

extension Process {
    /// Waits for the child to exit on a thread of its own (a test never holds one of the cooperative
    /// pool's two threads, which serve every simulator and receiver of the test process). The kernel says
    /// when it exited (`waitid` without reaping it); Foundation, which reaps it, learns it from a SIGCHLD
    /// that a busy test process can miss (then `waitUntilExit` spins forever): it is raised again until
    /// Foundation has seen the exit.
    public func exited() async {
        let pid = processIdentifier
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread {
                var info = siginfo_t()
                while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
                while self.isRunning {
                    kill(getpid(), SIGCHLD)
                    usleep(20_000)
                }
                c.resume()
            }.start()
        }
    }
}

extension Process {
    /// SIGTERM, then SIGKILL if the child is still there after `grace` seconds (a child spawned from one of
    /// the cooperative pool's threads inherits its mask, with SIGTERM blocked, unless it unblocks it).
    public func stop(grace: Double = 5) async {
        guard isRunning else { return await exited() }
        terminate()
        let pid = processIdentifier
        let end = ContinuousClock.now + .milliseconds(Int(grace * 1000))
        var info = siginfo_t()
        while ContinuousClock.now < end {
            info._sifields._sigchld.si_pid = 0
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info._sifields._sigchld.si_pid != 0 { return await exited() }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        await exited()
    }
}
