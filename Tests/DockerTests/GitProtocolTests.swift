import Foundation
import SeededRandom
import Testing

@testable import Docker

/// Repositories made with the real git, and git's own answers about them: `git upload-pack`
/// (v0 advertisement, v2 capabilities and `ls-refs` over `--stateless-rpc`), `git
/// http-backend` as CGI, `git rev-parse`. Refs: branches loose and packed
/// (`git pack-refs --all`), a branch that is a symbolic ref, names that are prefixes of
/// others (`main`, `main-old`, `main/x` cannot coexist with `main`, so `feature/x`), 150
/// annotated tags (peeled lines), an empty repository and a SHA-256 one.
struct GitProtocolRepos {
    let dir: String
    var many: String { dir + "/many.git" }
    var empty: String { dir + "/empty.git" }
    var sha256: String { dir + "/sha256.git" }
    var work: String { dir + "/work" }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gitproto-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try sh(
            """
            set -e
            git init -q -b main work && cd work && echo 1 > a && git add a && git commit -qm one
            git branch feature/x && git branch main-old && git tag -a v1 -m v1 && echo 2 > a && git commit -qam two
            cd .. && git clone -q --bare work many.git && cd many.git
            for i in $(seq 1 150); do git tag -a -m t t$i main; done
            git branch packed main~1 && git pack-refs --all && git branch loose main~1 && git branch feature/loose main
            git symbolic-ref refs/heads/alias refs/heads/main && git symbolic-ref refs/heads/alias2 refs/heads/alias
            cd .. && git init -q --bare -b main empty.git
            git init -q --object-format=sha256 -b main w256 && cd w256 && echo 1 > a && git add a && git commit -qm one
            git branch other && cd .. && git clone -q --bare w256 sha256.git && git -C sha256.git pack-refs --all
            """)
    }

    /// Runs `arguments` (PATH lookup) with `environment` added and `input` on stdin; its stdout.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], input: [UInt8] = []) throws -> [UInt8] {
        let inputFile = dir + "/stdin-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: inputFile, contents: Data(input))
        defer { try? FileManager.default.removeItem(atPath: inputFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = [
            "PATH": "/usr/bin:/bin", "HOME": dir, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        ].merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle(forReadingAtPath: inputFile)
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProcessError.launchFailed(command: arguments, message: "exit \(process.terminationStatus)")
        }
        return Array(bytes)
    }

    func sh(_ script: String) throws { try run(["sh", "-c", script]) }

    /// `git rev-parse --verify -q refs/heads/<branch>`: git's answer, `nil` when absent.
    func revParse(_ repository: String, _ branch: String) -> String? {
        guard let out = try? run(["git", "-C", repository, "rev-parse", "--verify", "-q", "refs/heads/\(branch)"]) else { return nil }
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The branches of `repository` (`git for-each-ref refs/heads`), plus names that are not there.
    func branches(_ repository: String) throws -> [String] {
        let out = try run(["git", "-C", repository, "for-each-ref", "--format=%(refname:strip=2)", "refs/heads"])
        return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init) + ["nothing", "mai", "feature", "t1"]
    }

    /// The body of `git http-backend`'s answer to `GET /<name>/info/refs?service=git-upload-pack`
    /// (CGI headers cut off at the blank line).
    func infoRefs(_ repository: String, version2: Bool) throws -> [UInt8] {
        var environment = [
            "GIT_PROJECT_ROOT": dir, "PATH_INFO": "/\((repository as NSString).lastPathComponent)/info/refs",
            "QUERY_STRING": "service=git-upload-pack", "REQUEST_METHOD": "GET", "GIT_HTTP_EXPORT_ALL": "1",
        ]
        if version2 { environment["GIT_PROTOCOL"] = "version=2" }
        return Self.body(try run(["git", "http-backend"], environment: environment))
    }

    /// The body of `git http-backend`'s answer to `POST /<name>/git-upload-pack` (v2).
    func uploadPackPost(_ repository: String, _ request: [UInt8]) throws -> [UInt8] {
        let environment = [
            "GIT_PROJECT_ROOT": dir, "PATH_INFO": "/\((repository as NSString).lastPathComponent)/git-upload-pack",
            "REQUEST_METHOD": "POST", "GIT_HTTP_EXPORT_ALL": "1", "GIT_PROTOCOL": "version=2",
            "CONTENT_TYPE": "application/x-git-upload-pack-request", "CONTENT_LENGTH": String(request.count),
        ]
        return Self.body(try run(["git", "http-backend"], environment: environment, input: request))
    }

    static func body(_ response: [UInt8]) -> [UInt8] {
        let blank = Array("\r\n\r\n".utf8)
        guard let at = (0...(response.count - 4)).first(where: { response[$0..<($0 + 4)].elementsEqual(blank) }) else { return [] }
        return Array(response[(at + 4)...])
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

@Suite struct GitProtocolTests {
    static let corpus = Dictionary(uniqueKeysWithValues: FuzzCorpus.load("git-protocol").map { ($0.name, $0.bytes) })

    /// v0 then (when offered) v2 over `git upload-pack`, as an SSH remote would answer.
    func sshAnswer(_ repos: GitProtocolRepos, _ repository: String, branch: String) throws -> (v0: String?, v2: String?) {
        let v0 = try GitServerAdvertisement.Reader.read(
            try repos.run(["git", "upload-pack", "--advertise-refs", repository]), branch: branch)
        guard case .version0(let refs) = v0 else {
            Issue.record("v0 answer read as v2")
            return (nil, nil)
        }
        let caps = try GitServerAdvertisement.Reader.read(
            try repos.run(["git", "upload-pack", "--advertise-refs", repository], environment: ["GIT_PROTOCOL": "version=2"]),
            branch: branch)
        guard case .version2(let v2) = caps, v2.offers("ls-refs") else {
            Issue.record("no v2 with ls-refs")
            return (refs.head, nil)
        }
        #expect(v2.objectFormat == refs.objectFormat)
        let request = try GitLsRefs.request(branch: branch, agent: "stevedore/test", objectFormat: v2.objectFormat)
        let answer = try repos.run(
            ["git", "upload-pack", "--stateless-rpc", repository], environment: ["GIT_PROTOCOL": "version=2"], input: request)
        return (refs.head, try GitLsRefs.Reader.head(in: answer, branch: branch, objectFormat: v2.objectFormat))
    }

    @Test("v0, v2 ls-refs, smart HTTP and the files agree with git rev-parse on every branch")
    func agreesWithGit() throws {
        let repos = try GitProtocolRepos()
        defer { repos.remove() }
        for repository in [repos.many, repos.sha256, repos.empty, repos.work] {
            for branch in try repos.branches(repository) {
                let expected = repos.revParse(repository, branch)
                let ssh = try sshAnswer(repos, repository, branch: branch)
                #expect(ssh.v0 == expected, "v0 \(repository) \(branch)")
                #expect(ssh.v2 == expected, "v2 \(repository) \(branch)")
                if repository != repos.work {
                    for version2 in [false, true] {
                        let info = try GitServerAdvertisement.Reader.read(
                            try repos.infoRefs(repository, version2: version2), branch: branch, smartHTTP: true)
                        switch info {
                        case .version0(let refs):
                            #expect(!version2)
                            #expect(refs.head == expected, "http v0 \(repository) \(branch)")
                        case .version2(let caps):
                            #expect(version2)
                            let request = try GitLsRefs.request(branch: branch, objectFormat: caps.objectFormat)
                            let head = try GitLsRefs.Reader.head(
                                in: try repos.uploadPackPost(repository, request), branch: branch, objectFormat: caps.objectFormat)
                            #expect(head == expected, "http v2 \(repository) \(branch)")
                        }
                    }
                }
                if let expected {
                    #expect(try GitLocalRefs.head(repository: repository, branch: branch) == expected, "files \(repository) \(branch)")
                } else {
                    #expect(throws: GitLocalRefsError.branchNotFound(path: repository, branch: branch)) {
                        try GitLocalRefs.head(repository: repository, branch: branch)
                    }
                }
            }
        }
        // The same answers as `git ls-remote`, which is what the poller asks today.
        let lsRemote = String(decoding: try repos.run(["git", "ls-remote", repos.many, "refs/heads/alias2"]), as: UTF8.self)
        #expect(lsRemote.hasPrefix(try GitLocalRefs.head(repository: repos.many, branch: "alias2") + "\trefs/heads/alias2"))
    }

    @Test("local refs: worktree .git file, symref loop, not a repository, limits, reftable")
    func localRefs() throws {
        let repos = try GitProtocolRepos()
        defer { repos.remove() }
        try repos.sh("cd work && git worktree add -q ../linked -b linked && git -C ../linked commit -q --allow-empty -m l")
        #expect(try GitLocalRefs.head(repository: repos.dir + "/linked", branch: "linked") == repos.revParse(repos.work, "linked"))
        #expect(try GitLocalRefs.head(repository: repos.dir + "/linked", branch: "main") == repos.revParse(repos.work, "main"))
        try repos.sh("cd many.git && git symbolic-ref refs/heads/l1 refs/heads/l2 && git symbolic-ref refs/heads/l2 refs/heads/l1")
        #expect(throws: GitLocalRefsError.symrefTooDeep(path: repos.many + "/refs/heads/l1", limit: 5)) {
            try GitLocalRefs.head(repository: repos.many, branch: "l1")
        }
        #expect(throws: GitLocalRefsError.notARepository(path: repos.dir, reason: "no HEAD in \(repos.dir)")) {
            try GitLocalRefs.head(repository: repos.dir, branch: "main")
        }
        #expect(throws: GitLocalRefsError.invalidBranch("../../HEAD")) {
            try GitLocalRefs.head(repository: repos.many, branch: "../../HEAD")
        }
        try Data(repeating: 0x61, count: 5000).write(to: URL(fileURLWithPath: repos.many + "/refs/heads/big"))
        #expect(throws: GitLocalRefsError.fileTooLarge(path: repos.many + "/refs/heads/big", limit: 4096)) {
            try GitLocalRefs.head(repository: repos.many, branch: "big")
        }
        try "nonsense\n".write(toFile: repos.many + "/refs/heads/junk", atomically: true, encoding: .utf8)
        #expect(throws: GitLocalRefsError.malformedRef(path: repos.many + "/refs/heads/junk", content: "nonsense")) {
            try GitLocalRefs.head(repository: repos.many, branch: "junk")
        }
        #expect(throws: GitLocalRefsError.fileTooLarge(path: repos.many + "/packed-refs", limit: 100)) {
            try GitLocalRefs.head(repository: repos.many, branch: "packed", packedRefsLimit: 100)
        }
        try repos.sh("git -C many.git config extensions.refStorage reftable")
        #expect(throws: GitLocalRefsError.unsupportedRefStorage(path: repos.many, format: "reftable")) {
            try GitLocalRefs.head(repository: repos.many, branch: "main")
        }
    }

    @Test("the recorded answers read as git meant them")
    func corpusReads() throws {
        let main = "45acf4c7ba6a660f44a72c1668cc81f833c1e15b"
        guard case .version0(let many) = try GitServerAdvertisement.Reader.read(Self.corpus["v0-many.pkt"]!, branch: "main") else {
            Issue.record("v0")
            return
        }
        #expect(many.head == main)
        #expect(many.symrefs == ["HEAD": "refs/heads/main"])
        #expect(many.capabilities.contains("agent=git/2.39.5") && many.objectFormat == .sha1)
        #expect(many.refCount == 307)
        guard
            case .version0(let http) = try GitServerAdvertisement.Reader.read(
                Self.corpus["http-info-refs-v0.pkt"]!, branch: "main", smartHTTP: true)
        else {
            Issue.record("http v0")
            return
        }
        #expect(http == many)
        // Without smartHTTP the service line is not a ref line.
        #expect(throws: GitProtocolError.self) {
            try GitServerAdvertisement.Reader.read(Self.corpus["http-info-refs-v0.pkt"]!, branch: "main")
        }
        for name in ["v2-caps.pkt", "http-info-refs-v2.pkt"] {
            let advertisement = try GitServerAdvertisement.Reader.read(Self.corpus[name]!, branch: "main", smartHTTP: true)
            #expect(advertisement.offersVersion2)
            guard case .version2(let caps) = advertisement else { continue }
            #expect(caps.offers("ls-refs") && caps.value(of: "ls-refs") == "unborn" && caps.agent == "git/2.39.5")
            #expect(!caps.offers("ls") && caps.objectFormat == .sha1)
        }
        guard case .version2(let caps256) = try GitServerAdvertisement.Reader.read(Self.corpus["v2-caps-sha256.pkt"]!, branch: "main")
        else {
            Issue.record("v2 sha256")
            return
        }
        #expect(caps256.objectFormat == .sha256)
        let sha256Main = "f3d2f8c31b87c7303a9e9db52c4d0233fbf2cdaa0b573259022d91c865f32a1a"
        guard case .version0(let v0sha256) = try GitServerAdvertisement.Reader.read(Self.corpus["v0-sha256.pkt"]!, branch: "main") else {
            Issue.record("v0 sha256")
            return
        }
        #expect(v0sha256.head == sha256Main && v0sha256.objectFormat == .sha256)
        #expect(try GitLsRefs.Reader.head(in: Self.corpus["ls-refs-sha256.pkt"]!, branch: "main", objectFormat: .sha256) == sha256Main)
        // A SHA-256 id where SHA-1 is expected is refused, naming it.
        #expect(throws: GitProtocolError.invalidObjectID(bytes: Array(sha256Main.utf8), objectFormat: "sha1")) {
            try GitLsRefs.Reader.head(in: Self.corpus["ls-refs-sha256.pkt"]!, branch: "main")
        }
        #expect(try GitLsRefs.Reader.head(in: Self.corpus["ls-refs-main.pkt"]!, branch: "main") == main)
        #expect(
            try GitLsRefs.Reader.head(in: Self.corpus["ls-refs-main.pkt"]!, branch: "main-old")
                == "7267fca9538921ae78a1cd2663e82cd3f29bc47f")
        #expect(try GitLsRefs.Reader.head(in: Self.corpus["ls-refs-main.pkt"]!, branch: "mai") == nil)
        #expect(try GitLsRefs.Reader.head(in: Self.corpus["ls-refs-symrefs-peeled.pkt"]!, branch: "alias") == main)
        #expect(try GitLsRefs.Reader.head(in: Self.corpus["ls-refs-unborn.pkt"]!, branch: "main") == nil)
        for name in ["v0-empty.pkt", "http-info-refs-empty.pkt"] {
            let empty = try GitServerAdvertisement.Reader.read(Self.corpus[name]!, branch: "main", smartHTTP: true)
            #expect(
                empty == .version0(.init(capabilities: [], symrefs: [:], objectFormat: .sha1, head: nil, refCount: 0, isVersion1: false)))
        }
    }

    @Test("an empty repository as gitprotocol-pack(5) spells it: capabilities^{} after the zero id")
    func capabilitiesOfEmptyRepository() throws {
        let line = String(repeating: "0", count: 40) + " capabilities^{}\u{0}multi_ack symref=HEAD:refs/heads/main agent=git/2.45\n"
        let bytes = try PktLine.line(String(line.dropLast())).encoded() + PktLine.flush.encoded()
        guard case .version0(let refs) = try GitServerAdvertisement.Reader.read(bytes, branch: "main") else {
            Issue.record("v0")
            return
        }
        #expect(refs.head == nil && refs.refCount == 0 && refs.symrefs == ["HEAD": "refs/heads/main"])
        let version1 = Array("000eversion 1\n".utf8) + bytes
        var expected = refs
        expected.isVersion1 = true
        #expect(try GitServerAdvertisement.Reader.read(version1, branch: "main") == .version0(expected))
        #expect(throws: GitProtocolError.serverError("access denied")) {
            try GitServerAdvertisement.Reader.read(Array("0016ERR access denied\n".utf8), branch: "main")
        }
    }

    @Test("pkt-line: bad lengths, limits and truncation are refused naming the bytes")
    func pktLineErrors() throws {
        #expect(throws: GitProtocolError.invalidLength(bytes: Array("00g1".utf8))) { try PktLineDecoder.decode(Array("00g1".utf8)) }
        #expect(throws: GitProtocolError.lengthOutOfRange(length: 3)) { try PktLineDecoder.decode(Array("0003".utf8)) }
        #expect(throws: GitProtocolError.lengthOutOfRange(length: 65521)) { try PktLineDecoder.decode(Array("fff1".utf8)) }
        #expect(throws: GitProtocolError.truncated(received: 6, expected: 10)) { try PktLineDecoder.decode(Array("000aab".utf8)) }
        #expect(throws: GitProtocolError.truncated(received: 2, expected: 4)) { try PktLineDecoder.decode(Array("00".utf8)) }
        #expect(throws: GitProtocolError.responseTooLarge(limit: 10)) {
            try PktLineDecoder.decode(Array("000000000000".utf8), responseLimit: 10)
        }
        #expect(throws: GitProtocolError.packetTooLong(length: 65521)) { try PktLine.data([UInt8](repeating: 0, count: 65517)).encoded() }
        #expect(GitProtocolError.invalidLength(bytes: [0x30, 0x00, 0xFF, 0x27]).description.contains("'0\\x00\\xff\\''"))
        #expect(try PktLineDecoder.decode(Array("0000000100020004FFF0".utf8) + [UInt8](repeating: 7, count: 65516)).count == 5)
        #expect(
            try PktLineDecoder.decode(try PktLine.data([UInt8](repeating: 7, count: 65516)).encoded()) == [
                .data([UInt8](repeating: 7, count: 65516))
            ])
    }

    @Test("the ls-refs request is what gitprotocol-v2(5) describes, and names the bad branch")
    func lsRefsRequest() throws {
        #expect(
            String(decoding: try GitLsRefs.request(branch: "main", agent: "stevedore/1", objectFormat: .sha256), as: UTF8.self)
                == "0014command=ls-refs\n0016agent=stevedore/1\n0019object-format=sha256\n0001001fref-prefix refs/heads/main\n0000")
        #expect(throws: GitProtocolError.invalidBranch("a..b")) { try GitLsRefs.request(branch: "a..b") }
        #expect(throws: GitProtocolError.invalidBranch("x\ny")) { try GitServerAdvertisement.Reader(branch: "x\ny") }
        #expect(throws: GitProtocolError.self) { try GitLsRefs.request(branch: "main", agent: "a b") }
    }
}
