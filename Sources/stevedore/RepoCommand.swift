import ArgumentParser
import Docker
import Services
import Store

/// `stevedore repo …`: register and list repositories.
struct RepoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repo", abstract: "Register, list and remove Git repositories (deployments) and their deploy keys.",
        subcommands: [Add.self, List.self, Set.self, Key.self, Webhook.self, Remove.self, ForgetHost.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a repository with a new deploy key; the daemon syncs and deploys it on its first poll.",
            discussion: """
                Prints the deployment's SSH deploy key (ed25519; the private half exists only in the \
                encrypted database and the daemon's memory). Add it to the repository as a read-only \
                deploy key; for GitHub URLs the settings page and a `gh api` command are printed.
                """)

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Argument(help: "Git URL (https://…, ssh://…, git@host:path, file://… or a local path).") var url: String
        @Option(help: "Branch to follow.") var branch = "main"
        @Option(help: "Time between remote checks, e.g. 30s or 5m; at least 10s (default: the daemon's STEVEDORE_POLL_INTERVAL, 5m).")
        var pollInterval: String?
        @Flag(help: "Keep untracked files in the checkout on update (no `git clean -fd`).") var noClean = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            do {
                try Validation.repositoryURL(url)
                try Validation.branch(branch)
                if let pollInterval { _ = try Validation.durationSeconds(pollInterval, name: "--poll-interval", minimum: 10) }
            } catch {
                throw ValidationError(String(describing: error))
            }
        }

        func run() async throws {
            var request = AddRepositoryRequest(name: deployment.name, url: url, branch: branch, pollInterval: pollInterval)
            request.noClean = noClean
            let response: AddRepositoryResponse = try await options.client().post("/api/repos", body: request)
            if json { return try printJSON(response) }
            let record = response.deployment
            print("added \(record.name): \(record.url) (branch \(record.branch), polled every \(record.pollIntervalSeconds) s)")
            print("")
            RepoCommand.printKeyHelp(response.deployKey, url: record.url, branch: record.branch == "main" ? nil : record.branch)
            print("")
            print("the daemon syncs and deploys it now; follow with `stevedore status \(record.name)`")
        }
    }

    /// Prints a deploy key and where to add it.
    static func printKeyHelp(_ key: DeployKeyResponse, url: String, branch: String? = nil) {
        if let ssh = key.github?.sshURL {
            print("note: \(url) is HTTPS, where a deploy key is not used. For a private repository register the SSH URL")
            print(
                "  instead: stevedore repo remove \(key.deployment) && stevedore repo add \(key.deployment) \(ssh)\(branch.map { " --branch \($0)" } ?? "")"
            )
            print("  (the new registration prints a new key); for a public repository nothing needs to be done.")
            return
        }
        print("deploy key (add it to the repository as a read-only deploy key):")
        print("  \(key.publicKey)")
        if let github = key.github {
            print("GitHub: add it at \(github.settingsURL) (leave \"Allow write access\" unticked), or run:")
            print("  \(github.ghCommand)")
        } else if GitURL.usesSSH(url) {
            print("add it to the Git server's deploy keys (or the account's authorized_keys) for \(url)")
        } else {
            print("(\(url) is not an SSH URL, so the key is not used unless you switch to one)")
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a deployment's settings (now: the poll interval).")

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Option(help: "Time between remote checks, e.g. 30s, 5m or 1h; at least 10s. Takes effect at once.") var pollInterval: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard let pollInterval else { throw ValidationError("nothing to change: give --poll-interval") }
            do {
                _ = try Validation.durationSeconds(pollInterval, name: "--poll-interval", minimum: 10)
            } catch {
                throw ValidationError(String(describing: error))
            }
        }

        func run() async throws {
            let record: DeploymentRecord = try await options.client().patch(
                "/api/repos/\(deployment.name)", body: UpdateRepositoryRequest(pollInterval: pollInterval))
            if json { return try printJSON(record) }
            print("\(record.name): polled every \(record.pollIntervalSeconds) s from now on (checking once now)")
        }
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a deployment's public deploy key and where to add it.")

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Print only the public key line.") var quiet = false

        func run() async throws {
            let key: DeployKeyResponse = try await options.client().get("/api/repos/\(deployment.name)/key")
            if json { return try printJSON(key) }
            if quiet { return print(key.publicKey) }
            let record: DeploymentRecord? = (try? await options.client().get("/api/repos") as [DeploymentRecord])?.first {
                $0.name == deployment.name
            }
            RepoCommand.printKeyHelp(key, url: record?.url ?? "")
        }
    }

    struct Webhook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the webhook URLs and secret of a deployment (created on first use).",
            discussion: """
                Point the Git host's push webhook at the URL for it (content type application/json) with the secret: \
                GitHub and Gitea/Forgejo sign deliveries with it, GitLab sends it as the secret token. \
                Pushes to other branches and replayed deliveries are ignored. Set STEVEDORE_PUBLIC_URL on the daemon \
                if the host reaches it under another address.
                """)

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Flag(help: "Replace the secret (the old one stops working at once).") var rotate = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let client = try options.client()
            let path = "/api/repos/\(deployment.name)/webhook"
            let info: WebhookInfo =
                rotate
                ? try await client.post(path + "/rotate", body: [String: String]())
                : try await client.get(path)
            if json { return try printJSON(info) }
            print(
                """
                webhook of \(info.deployment) (pushes to branch \(info.branch) deploy; other branches are ignored)
                  GitHub:         \(info.urls["github"] ?? "-")
                  Gitea/Forgejo:  \(info.urls["gitea"] ?? "-")
                  GitLab:         \(info.urls["gitlab"] ?? "-")
                  secret:         \(info.secret)
                content type: application/json; events: push only\(info.created ? (rotate ? "\nthe secret was replaced: update it at the Git host" : "\n(new secret)") : "")
                """)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a deployment: stop its subtree, bring its containers down, delete its key, parameters and checkout.",
            discussion: "Its data/ and logs/ directories are kept; delete them by hand if you no longer need them.")

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Flag(help: "Leave the deployment's containers running (they are no longer managed).") var keepContainers = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let response: RemoveRepositoryResponse = try await options.client().delete(
                "/api/repos/\(deployment.name)?keep_containers=\(keepContainers ? "1" : "0")")
            if json { return try printJSON(response) }
            print("removed \(response.deployment): containers \(response.containers); deploy key, parameters and checkout deleted")
            if keepContainers {
                print(
                    "the containers are no longer managed; remove them later with `docker compose -p stevedore-\(response.deployment) down`"
                )
            }
            if !response.kept.isEmpty { print("kept: \(response.kept.joined(separator: ", "))") }
            if !response.imagesRemoved.isEmpty { print("built images removed: \(response.imagesRemoved.count)") }
            for image in response.imagesKept { print("built image kept: \(image)") }
        }
    }

    struct ForgetHost: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forget-host",
            abstract: "Forget the SSH host key trusted for HOST, so the next connection trusts its current key.",
            discussion: "Use it after the server's host key changed on purpose (check the new fingerprint with the server's owner first).")

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Argument(help: "The host as in the repository URL, e.g. github.com.") var host: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let response: ForgetHostResponse = try await options.client().post(
                "/api/repos/\(deployment.name)/forget-host", body: ForgetHostRequest(host: host))
            if json { return try printJSON(response) }
            print(
                response.removed == 0
                    ? "\(host) was not trusted for \(deployment.name); nothing to forget"
                    : "forgot \(response.removed) key line(s) of \(host) for \(deployment.name); the next connection trusts its current key"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered repositories.")

        @OptionGroup var options: ClientOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let records: [DeploymentRecord] = try await options.client().get("/api/repos")
            if json { return try printJSON(records) }
            if records.isEmpty { return print("no repositories; add one with `stevedore repo add NAME URL`") }
            print(
                Table.render(
                    header: ["NAME", "BRANCH", "POLL", "ENABLED", "URL"],
                    rows: records.map {
                        [$0.name, $0.branch, "\($0.pollIntervalSeconds)s", $0.enabled ? "yes" : "paused", Table.oneLine($0.url)]
                    }))
        }
    }
}
