import ArgumentParser
import CurlHTTP
import Daemon
import Foundation

/// Where a running daemon's `/v1/*` is, for `tail` and `agents`.
struct DaemonAddress: ParsableArguments {
    @Option(help: "The daemon's listener, http://HOST:PORT (default: the http.listen of --config, or http://127.0.0.1:9464).")
    var url: String?

    @Option(help: "A configuration file whose http.listen gives the daemon's address.")
    var config: String?

    @Option(help: ArgumentHelp("The environment variable holding a token for /v1/*.", valueName: "name"))
    var tokenEnv: String?

    var token: String? { tokenEnv.flatMap { ProcessInfo.processInfo.environment[$0] } }

    /// The body of `GET path` from the daemon, or an exit 1 after saying why on standard error.
    func get(_ path: String, command: String) async throws -> [UInt8] {
        let headers = token.map { [("Authorization", "Bearer " + $0)] } ?? []
        let response: HTTPResponse
        do {
            response = try await CurlTransport().perform(HTTPRequest(url: try address() + path, headers: headers, timeout: 10))
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("vicinotify \(command): cannot reach the daemon: \(error)\n".utf8))
            throw ExitCode(1)
        }
        guard response.status == 200 else {
            FileHandle.standardError.write(Data("vicinotify \(command): HTTP \(response.status): \(String(decoding: response.body, as: UTF8.self))".utf8))
            throw ExitCode(1)
        }
        return response.body
    }

    func address() throws -> String {
        if let url { return url }
        guard let config else { return "http://127.0.0.1:9464" }
        let c = try Configuration.load(path: config, requireSecrets: false)
        guard let listen = c.httpListen else { throw ValidationError("\(config) has no http.listen: give --url") }
        let host = listen.host == "0.0.0.0" || listen.host == "::" ? "127.0.0.1" : listen.host
        return "http://\(host.contains(":") ? "[\(host)]" : host):\(listen.port)"
    }
}
