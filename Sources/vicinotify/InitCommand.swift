import ArgumentParser
import Foundation

/// `vicinotify init`: the commonest job set up in one command: POST to a CRM when an agent changes.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a configuration that POSTs agent changes to a webhook: config.json, webhooks.json and a new signing secret.",
        discussion: """
            Writes into --dir (refusing to overwrite unless --force):
              config.json     one source (the VICIdial API, password from $VICIDIAL_PASS), the webhooks file, a
                              listener on 127.0.0.1:9464 for the wallboard; "//" keys are comments
              webhooks.json   one endpoint, "crm": status changes, logins and logouts, signed
              crm.secret      a new whsec_ signing secret (mode 0600): give it to the receiver
            Then it prints the next steps: check-config, probe, webhooks test, run.

            Example:
              vicinotify init --dir /etc/vicinotify --url https://dialer1/vicidial/non_agent_api.php --user apiuser \\
                --webhook https://crm.example.com/hooks/vicidial
            """)

    @Option(help: "The folder to write into.") var dir = "."
    @Option(help: "VICIdial's non_agent_api.php URL.") var url = "https://VICIDIAL-HOST/vicidial/non_agent_api.php"
    @Option(help: "The API user (user level 7+, view_reports, API access).") var user = "apiuser"
    @Option(help: "The URL that gets the POSTs.") var webhook = "https://crm.example.com/hooks/vicidial"
    @Flag(help: "Overwrite existing files.") var force = false

    func run() throws {
        let folder = URL(fileURLWithPath: dir)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let files = ["config.json", "webhooks.json", "crm.secret"].map { folder.appendingPathComponent($0).path }
        if !force, let existing = files.first(where: FileManager.default.fileExists(atPath:)) {
            throw ValidationError("\(existing) exists: nothing written (--force overwrites)")
        }
        var key = [UInt8](repeating: 0, count: 32)
        guard let random = FileHandle(forReadingAtPath: "/dev/urandom") else { throw ValidationError("cannot read /dev/urandom") }
        key = Array(random.readData(ofLength: 32))
        try random.close()
        let secret = "whsec_" + Data(key).base64EncodedString()
        try Data(Self.config(url: url, user: user).utf8).write(to: URL(fileURLWithPath: files[0]))
        try Data(Self.webhooks(url: webhook).utf8).write(to: URL(fileURLWithPath: files[1]))
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: files[2]))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: files[2])
        let config = files[0]
        print("""
            Wrote \(files.joined(separator: ", ")).
            The signing secret is in \(files[2]) (mode 0600): give it to the receiver, which checks each request's
            webhook-signature with it (Standard Webhooks). Next:
              export VICIDIAL_PASS='...'                     # the API user's password (or set password_file)
              vicinotify check-config --config \(config)
              vicinotify probe --config \(config)            # one poll: what VICIdial shows
              vicinotify webhooks test crm --config \(config)  # one signed sample event to the endpoint
              vicinotify run --config \(config)
            """)
    }

    static func config(url: String, user: String) -> String {
        """
        {
          "//": "Written by vicinotify init. Keys starting with // are comments. See README.md, Configuration.",
          "state_dir": "state",
          "http": {"listen": "127.0.0.1:9464", "//": "the wallboard at http://127.0.0.1:9464/ and /metrics"},
          "sources": [
            {"name": "dialer1",
             "url": \(json(url)),
             "user": \(json(user)),
             "password_env": "VICIDIAL_PASS",
             "//": "the whole floor in one request a second; add campaigns or user_groups to watch a part",
             "interval": "1s"}
          ],
          "sinks": {
            "stdout": {"enabled": false},
            "webhooks_file": "webhooks.json"
          }
        }

        """
    }

    static func webhooks(url: String) -> String {
        """
        {"endpoints": [
          {"name": "crm",
           "url": \(json(url)),
           "secret_file": "crm.secret",
           "//": "signed with Standard Webhooks; retried with backoff for up to 24 h; one agent's events in order",
           "events": ["vicidial.agent.status_changed", "vicidial.agent.logged_in", "vicidial.agent.logged_out"]}
        ]}

        """
    }

    private static func json(_ s: String) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8),
               as: UTF8.self).dropFirst().dropLast().description
    }
}
