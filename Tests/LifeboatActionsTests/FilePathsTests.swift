import Testing

@testable import LifeboatActions

/// Paths a plan writes relative to its folder, resolved as the kernel reads them.
@Suite struct FilePathsTests {
    @Test(arguments: [
        ("/usr/bin/true", "/plans", "/usr/bin/true"),
        ("bin/check", "/srv/dr/runbooks", "/srv/dr/runbooks/bin/check"),
        ("./bin//check", "/srv/dr/runbooks/", "/srv/dr/runbooks/bin/check"),
        (".", "/srv/dr/runbooks", "/srv/dr/runbooks"),
        (".", "", "."),
        ("./", ".", "."),
        ("scripts/./x", "runbooks", "runbooks/scripts/x"),
        ("../shared/x", "/srv/dr/runbooks", "/srv/dr/runbooks/../shared/x"),
        ("//a///b/", "/ignored", "/a/b"),
        ("/", "/x", "/"),
        (".hidden/x.", "/r", "/r/.hidden/x."),
        ("sauvegardé/étape", "/données", "/données/sauvegardé/étape"),
        ("a/\u{301}b", "/r", "/r/a/\u{301}b"),
        ("/\u{301}x", "/r", "/\u{301}x"),
    ])
    func aPathIsJoinedToItsFolderWithDotsAndDuplicateSlashesRemoved(path: String, base: String, resolved: String) {
        #expect(FilePaths.resolve(path, against: base) == resolved)
    }
}
