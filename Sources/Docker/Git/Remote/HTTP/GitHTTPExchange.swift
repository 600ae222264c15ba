import Foundation

/// The client's side of smart HTTP ref discovery for one branch (gitprotocol-http(5) "Smart
/// Clients", gitprotocol-v2(5) "HTTP Transport" and "ls-refs"), without the network: it is
/// told each answer's status and `Content-Type`, fed its body in pieces of any size, and says
/// what comes next. ``GitHTTPRefs`` drives it over AsyncHTTPClient; the fuzz tests drive it
/// with hostile answers.
///
/// 1. `GET <base>/info/refs?service=git-upload-pack` with `Git-Protocol: version=2`: a v0 (or
///    v1) answer is the ref advertisement, and the branch's commit is read from it; a v2
///    answer is the capability advertisement (git http-backend sends it without the
///    `# service=` line).
/// 2. v2 only: `POST <base>/git-upload-pack` with ``Step/lsRefs(request:)`` as the body
///    (`ls-refs`, `ref-prefix refs/heads/<branch>`, `object-format` when not SHA-1); its
///    answer lists the branch alone.
///
/// Memory: one pkt-line at most is kept (``PktLineDecoder``), and the refs read are not kept
/// beyond the asked-for branch; every body counts towards ``responseLimit``.
public struct GitHTTPExchange: Sendable {
    /// What to do after an answer's end.
    public enum Step: Sendable, Equatable {
        /// The branch is at this commit (40 or 64 lower-case hex digits): the check is over.
        case head(String)
        /// The server speaks v2: POST these bytes to `<base>/git-upload-pack`
        /// (`Content-Type: application/x-git-upload-pack-request`, `Git-Protocol: version=2`)
        /// and read the answer with the same exchange.
        case lsRefs(request: [UInt8])
    }

    /// The `Content-Type` of a smart ref advertisement.
    public static let advertisementType = "application/x-git-upload-pack-advertisement"
    /// The `Content-Type` of a v2 command request.
    public static let requestType = "application/x-git-upload-pack-request"
    /// The `Content-Type` of a v2 command answer.
    public static let resultType = "application/x-git-upload-pack-result"
    /// The `agent=` sent in `ls-refs` when the server offers `agent` (gitprotocol-v2(5)).
    public static let agent = "stevedore"

    enum Phase: Sendable, Equatable { case advertisementStatus, advertisementBody, lsRefsStatus, lsRefsBody, done }

    /// The remote as messages show it (no credentials).
    public let url: String
    /// The branch asked about (`main`).
    public let branch: String
    /// The deployment, for ``GitError/permissionDenied(deployment:url:)``.
    public let deployment: String
    /// Bytes each answer's body may have (pkt-line prefixes included).
    public let responseLimit: Int
    private(set) var phase = Phase.advertisementStatus
    private var decoder: PktLineDecoder
    private var advertisement: GitServerAdvertisement.Reader
    private var result: GitServerAdvertisement?
    private var lsRefs: GitLsRefs.Reader?

    /// - Parameters:
    ///   - url: the remote as messages show it (``GitURL/redacted(_:)``).
    ///   - branch: the branch (`main`).
    ///   - deployment: the deployment, for messages.
    ///   - responseLimit: bytes each body may have (default 64 MiB, the decoder's default).
    /// - Throws: ``GitError/branchNotFound(url:branch:)`` for a name git would refuse
    ///   (git-check-ref-format(1) `--branch`): no remote has such a branch, and nothing is
    ///   sent.
    public init(url: String, branch: String, deployment: String, responseLimit: Int = PktLineDecoder.defaultResponseLimit) throws {
        self.url = url
        self.branch = branch
        self.deployment = deployment
        self.responseLimit = responseLimit
        decoder = PktLineDecoder(responseLimit: responseLimit)
        do {
            advertisement = try GitServerAdvertisement.Reader(branch: branch, smartHTTP: true)
        } catch {
            throw GitError.branchNotFound(url: url, branch: branch)
        }
    }

    /// Whether the exchange is over (a ``Step/head(_:)`` was returned, or an error thrown).
    public var isDone: Bool { phase == .done }

    /// The error of an HTTP 401 or 403 for `url` (without credentials): git's words, and what
    /// authenticates over HTTP (the credentials in the URL; the deploy key is used over SSH
    /// only).
    static func authenticationFailed(url: String, status: Int) -> GitError {
        if status == 403 {
            return GitError.commandFailed(
                "git ls-remote failed: the server refused access to '\(url)' (HTTP 403): the credentials in the URL have no read access "
                    + "(over http(s) those authenticate, e.g. https://user:token@host/repo.git; the deploy key is used over SSH only)")
        }
        return GitError.commandFailed(
            "git ls-remote failed: Authentication failed for '\(url)' (HTTP 401): the URL needs a user name and a token the server "
                + "accepts, e.g. https://user:token@host/repo.git (the deploy key is used over SSH only)")
    }

    /// The status line and `Content-Type` of the next answer.
    ///
    /// - Parameters:
    ///   - status: the HTTP status code (200, 401, …).
    ///   - contentType: the `Content-Type` header, if any (parameters after `;` ignored,
    ///     compared without regard to case).
    /// - Throws: ``GitError/commandFailed(_:)`` from ``authenticationFailed(url:status:)`` for
    ///   401 and 403;
    ///   ``GitError/commandFailed(_:)`` for 404 ("repository … not found"), any other status
    ///   but 200, or a v2 answer of another type; ``GitRefDiscovery/Unsupported`` when the
    ///   advertisement is not smart HTTP's (a dumb server: `git ls-remote` reads it).
    public mutating func response(status: Int, contentType: String?) throws {
        let isAdvertisement: Bool
        switch phase {
        case .advertisementStatus: isAdvertisement = true
        case .lsRefsStatus: isAdvertisement = false
        default:
            phase = .done
            throw GitError.commandFailed("git ls-remote of \(url): an answer's status came out of turn (a bug of the HTTP check)")
        }
        switch status {
        case 200: break
        case 401, 403:
            // As git says it (`fatal: Authentication failed for …`), and about what is used
            // over HTTP: the URL's credentials, not the deploy key (SSH only).
            phase = .done
            throw Self.authenticationFailed(url: url, status: status)
        case 404:
            phase = .done
            throw GitError.commandFailed("git ls-remote failed: repository '\(url)' not found (HTTP 404)")
        default:
            phase = .done
            let what = isAdvertisement ? "GET info/refs" : "POST git-upload-pack"
            throw GitError.commandFailed("git ls-remote of \(url) failed: the server answered \(what) with HTTP \(status)")
        }
        let type = (contentType ?? "").prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
        if isAdvertisement {
            guard type == Self.advertisementType else {
                phase = .done
                throw GitRefDiscovery.Unsupported(
                    url: url,
                    reason: "the server is not a smart HTTP Git server (Content-Type '\(type.prefix(80))', not \(Self.advertisementType))")
            }
            phase = .advertisementBody
        } else {
            guard type == Self.resultType else {
                phase = .done
                throw GitError.commandFailed(
                    "git ls-remote of \(url) failed: the server answered ls-refs with Content-Type '\(type.prefix(80))', not \(Self.resultType)"
                )
            }
            phase = .lsRefsBody
        }
    }

    /// The next piece of the current answer's body.
    ///
    /// - Throws: ``GitError/commandFailed(_:)`` naming what is wrong with the answer
    ///   (``GitProtocolError``'s text: a malformed packet, an `ERR` of the server, an answer
    ///   past ``responseLimit``).
    public mutating func body(_ piece: some Collection<UInt8>) throws {
        do {
            switch phase {
            case .advertisementBody:
                try decoder.feed(piece) { packet in
                    if let done = try advertisement.read(packet) { result = done }
                }
            case .lsRefsBody:
                guard var reader = lsRefs else { throw GitError.commandFailed("git ls-remote of \(url): no ls-refs reader") }
                defer { lsRefs = reader }
                try decoder.feed(piece) { try reader.read($0) }
            default:
                throw GitError.commandFailed("git ls-remote of \(url): a body came out of turn (a bug of the HTTP check)")
            }
        } catch {
            phase = .done
            throw failure(error)
        }
    }

    /// The end of the current answer's body.
    ///
    /// - Returns: the branch's commit, or the `ls-refs` request to send.
    /// - Throws: ``GitError/branchNotFound(url:branch:)``; ``GitError/commandFailed(_:)`` for
    ///   an answer that ended early, a v2 server without `ls-refs`.
    public mutating func end() throws -> Step {
        do {
            switch phase {
            case .advertisementBody:
                try decoder.finish()
                try advertisement.finish()
                switch result {
                case .version0(let refs)?:
                    phase = .done
                    guard let head = refs.head else { throw GitError.branchNotFound(url: url, branch: branch) }
                    return .head(head)
                case .version2(let capabilities)?:
                    guard capabilities.offers("ls-refs") else {
                        throw GitError.commandFailed("git ls-remote of \(url) failed: the protocol v2 server does not offer ls-refs")
                    }
                    let request = try GitLsRefs.request(
                        branch: branch, agent: capabilities.offers("agent") ? Self.agent : nil, objectFormat: capabilities.objectFormat)
                    lsRefs = try GitLsRefs.Reader(branch: branch, objectFormat: capabilities.objectFormat)
                    decoder = PktLineDecoder(responseLimit: responseLimit)
                    phase = .lsRefsStatus
                    return .lsRefs(request: request)
                case nil:
                    throw GitProtocolError.endedEarly(after: "the ref advertisement")
                }
            case .lsRefsBody:
                try decoder.finish()
                guard let reader = lsRefs else { throw GitError.commandFailed("git ls-remote of \(url): no ls-refs reader") }
                try reader.finish()
                phase = .done
                guard let head = reader.head else { throw GitError.branchNotFound(url: url, branch: branch) }
                return .head(head)
            default:
                throw GitError.commandFailed("git ls-remote of \(url): an answer ended out of turn (a bug of the HTTP check)")
            }
        } catch {
            phase = .done
            throw failure(error)
        }
    }

    /// `error` as the check reports it: ``GitError`` as it is, a protocol error with the URL.
    private func failure(_ error: any Error) -> any Error {
        switch error {
        case is GitError, is GitRefDiscovery.Unsupported: return error
        case GitProtocolError.invalidBranch: return GitError.branchNotFound(url: url, branch: branch)
        default: return GitError.commandFailed("git ls-remote of \(url) failed: \(error)")
        }
    }
}
