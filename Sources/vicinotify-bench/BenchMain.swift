import Benchmarks

/// `vicinotify-bench`: the benchmarks, a product of their own, never linked into `vicinotify` or its package.
@main
enum BenchMain {
    static func main() async { await BenchCommand.main() }
}
