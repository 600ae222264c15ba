/// What one check learnt: the branch's commit and how the server answered (for tests and
/// benchmarks: the protocol version and the answer's size show whether v2 was used).
struct GitSSHAnswer: Sendable, Equatable {
    /// The commit `refs/heads/<branch>` is at.
    var head: String
    /// The protocol the server answered with: 0, 1 or 2.
    var protocolVersion: Int
    /// Bytes of git-upload-pack's answer on stdout (pkt-line prefixes included).
    var answerBytes: Int
}
