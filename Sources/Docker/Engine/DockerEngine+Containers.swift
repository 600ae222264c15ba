import Foundation
import NIOCore

/// What ``DockerEngine/createContainer(_:name:)`` sends: the subset of the Engine API's
/// `ContainerConfig` + `HostConfig` (v1.41) that short-lived worker containers need.
public struct ContainerCreateRequest: Encodable, Sendable {
    /// Image reference, e.g. `alpine/git:latest`.
    public var image: String
    /// Replaces the image's entrypoint (argv, no shell).
    public var entrypoint: [String]?
    /// Arguments after the entrypoint.
    public var cmd: [String]
    /// `KEY=value` entries.
    public var env: [String]
    /// Labels (`com.stevedore.*`).
    public var labels: [String: String]
    /// Working directory inside the container.
    public var workingDir: String?
    /// `uid:gid` (or a name) the container's processes run as; `nil`: the image's user.
    public var user: String?
    /// The host side: binds, network mode, limits.
    public var hostConfig: HostConfig

    /// `HostConfig` of the create request.
    public struct HostConfig: Encodable, Sendable {
        /// `host-path:container-path[:ro]` entries.
        public var binds: [String]
        /// `host` runs on the host's network namespace (a Git server on 127.0.0.1 is reachable).
        public var networkMode: String
        /// Most processes the container may run (fork-bomb guard); `nil`: engine default.
        public var pidsLimit: Int?
        /// Runs an init (tini) as PID 1 so zombies are reaped and signals forwarded.
        public var initProcess: Bool
        /// Supplementary groups (numeric gids as strings) of the container's user; `nil`: none.
        public var groupAdd: [String]?

        /// Host settings of a worker: host network, at most 256 processes, an init as PID 1 by default.
        public init(
            binds: [String], networkMode: String = "host", pidsLimit: Int? = 256, initProcess: Bool = true, groupAdd: [String]? = nil
        ) {
            self.binds = binds
            self.networkMode = networkMode
            self.pidsLimit = pidsLimit
            self.initProcess = initProcess
            self.groupAdd = groupAdd
        }

        enum CodingKeys: String, CodingKey {
            case binds = "Binds"
            case networkMode = "NetworkMode"
            case pidsLimit = "PidsLimit"
            case initProcess = "Init"
            case groupAdd = "GroupAdd"
        }
    }

    /// A create request with the given fields (see the properties).
    public init(
        image: String, entrypoint: [String]?, cmd: [String], env: [String], labels: [String: String],
        workingDir: String?, user: String? = nil, hostConfig: HostConfig
    ) {
        self.image = image
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.labels = labels
        self.workingDir = workingDir
        self.user = user
        self.hostConfig = hostConfig
    }

    enum CodingKeys: String, CodingKey {
        case image = "Image"
        case entrypoint = "Entrypoint"
        case cmd = "Cmd"
        case env = "Env"
        case labels = "Labels"
        case
            workingDir = "WorkingDir"
        case user = "User"
        case hostConfig = "HostConfig"
    }
}

extension DockerEngine {
    /// Whether the engine has `reference` locally (`GET /images/{name}/json`).
    ///
    /// - Throws: ``DockerError/unreachable(socket:detail:)``; a missing image is `false`.
    public func imageExists(_ reference: String) async throws -> Bool {
        do {
            _ = try await send(path: "/images/\(Self.pathEscaped(reference))/json")
            return true
        } catch DockerError.api(let status, _, _) where status == 404 {
            return false
        }
    }

    /// Pulls `reference` (`POST /images/create?fromImage=…&tag=…`), waiting up to `timeout`.
    /// The engine streams progress as JSON lines; an `error` line fails the pull.
    ///
    /// - Throws: ``DockerError``.
    public func pullImage(_ reference: String, timeout: TimeAmount = .seconds(600)) async throws {
        var name = reference
        var tag = "latest"
        if let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") {
            name = String(reference[..<colon])
            tag = String(reference[reference.index(after: colon)...])
        }
        let path = "/images/create?fromImage=\(Self.queryEscaped(name))&tag=\(Self.queryEscaped(tag))"
        let (_, body) = try await send(path: path, method: .POST, timeout: timeout)
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n") {
            if let object = JSONLimits.object(Data(line.utf8)) as? [String: Any],
                let error = object["error"] as? String
            {
                throw DockerError.api(status: 500, message: error, path: path)
            }
        }
    }

    /// `POST /containers/create`.
    ///
    /// - Returns: the new container's id.
    /// - Throws: ``DockerError`` (404 when the image is missing).
    public func createContainer(_ request: ContainerCreateRequest, name: String? = nil) async throws -> String {
        let body = try JSONEncoder().encode(request)
        let query = name.map { "?name=\(Self.queryEscaped($0))" } ?? ""
        let (_, answer) = try await send(path: "/containers/create\(query)", method: .POST, body: body)
        struct Created: Decodable {
            enum CodingKeys: String, CodingKey { case id = "Id" }
            var id: String
        }
        return try JSONLimits.decode(Created.self, from: answer).id
    }

    /// Waits until the container is no longer running (`POST /containers/{id}/wait`, in
    /// rounds of at most 25 s so that the client's read timeout never fires).
    ///
    /// - Returns: the container's exit status.
    /// - Throws: ``DockerError``, `CancellationError`.
    public func waitForExit(container id: String) async throws -> Int {
        while true {
            try Task.checkCancellation()
            do {
                let (_, body) = try await send(
                    path: "/containers/\(id)/wait?condition=not-running", method: .POST,
                    timeout: .seconds(25))
                struct Waited: Decodable {
                    enum CodingKeys: String, CodingKey { case statusCode = "StatusCode" }
                    var statusCode: Int
                }
                return try JSONLimits.decode(Waited.self, from: body).statusCode
            } catch DockerError.unreachable {
                // The round ended without an answer: still running, or the engine went away.
                let details = try await inspect(container: id)
                if !details.state.running { return details.state.exitCode }
            }
        }
    }

    /// The container's output so far (`GET /containers/{id}/logs`), demultiplexed
    /// (``LogFrameDemuxer``; the worker containers this reads have no TTY).
    ///
    /// - Parameter limit: keep at most this many bytes of each stream (the tail).
    /// - Throws: ``DockerError``.
    public func output(container id: String, limit: Int = 256 * 1024) async throws -> (stdout: String, stderr: String) {
        let (_, body) = try await send(path: "/containers/\(id)/logs?stdout=1&stderr=1")
        var demuxer = LogFrameDemuxer(tty: false)
        var out: [UInt8] = []
        var err: [UInt8] = []
        var stream = LogFrameDemuxer.Stream.stdout
        demuxer.feed(Array(body)[...]) { event in
            switch event {
            case .start(let next): stream = next
            case .bytes(let bytes): if stream == .stderr { err += bytes } else { out += bytes }
            case .end: break
            }
        }
        return (String(decoding: out.suffix(limit), as: UTF8.self), String(decoding: err.suffix(limit), as: UTF8.self))
    }

    /// `POST /containers/{id}/kill` (SIGKILL); a container that is not running counts as killed.
    ///
    /// - Throws: ``DockerError``.
    public func kill(container id: String) async throws {
        do {
            _ = try await send(path: "/containers/\(id)/kill", method: .POST)
        } catch DockerError.api(let status, _, _) where status == 409 || status == 404 {
        }
    }

    /// `DELETE /containers/{id}?force=1&v=1`; a container that is already gone counts as removed.
    ///
    /// - Throws: ``DockerError``.
    public func remove(container id: String) async throws {
        do {
            _ = try await send(path: "/containers/\(id)?force=1&v=1", method: .DELETE)
        } catch DockerError.api(let status, _, _) where status == 404 {
        }
    }

    /// `text` percent-encoded for a path segment (image references keep `:`, `/` and `@`).
    static func pathEscaped(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:/@")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `text` percent-encoded for a query value (RFC 3986 unreserved characters stay).
    static func queryEscaped(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
