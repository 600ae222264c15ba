/// What a protocol v0/v1 ref advertisement says about one branch (gitprotocol-pack(5),
/// "Reference Discovery"): the capabilities of its first line, the symbolic refs among them
/// and the commit the branch is at. Only the asked-for branch is kept, so an advertisement of
/// thousands of refs costs no more memory than one of a few.
public struct GitRefAdvertisement: Sendable, Equatable {
    /// The capabilities after the NUL of the first line, in order (`multi_ack`,
    /// `symref=HEAD:refs/heads/main`, `object-format=sha1`, `agent=git/2.39.5`, …); empty
    /// when the repository has no refs and the server sent only a flush.
    public var capabilities: [String]
    /// The `symref=SOURCE:TARGET` capabilities as SOURCE → TARGET (`HEAD` →
    /// `refs/heads/main`).
    public var symrefs: [String: String]
    /// The object format (`object-format` capability; SHA-1 when absent).
    public var objectFormat: GitObjectFormat
    /// The commit `refs/heads/<branch>` is at, or `nil`: the branch is not on the server.
    public var head: String?
    /// Refs advertised (peeled `^{}` lines and `capabilities^{}` not counted).
    public var refCount: Int
    /// Whether the server answered with protocol v1 (`version 1` first), which is v0 after
    /// that line.
    public var isVersion1: Bool
}
