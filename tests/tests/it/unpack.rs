//! The layer unpacker against hostile tars: the security catalogue's breakout table (cases 1 to
//! 12, after containerd's TestBreakouts), bombs, truncation, oversized and ambiguous tar headers
//! (18, 19) and diff ID checks; devices in a user namespace (14), refused xattrs (16), and what a
//! container sees through overlayfs of same-layer whiteouts (12) and rewritten hardlinks (24).
//! Case 23 (no write redirected by a symlink an earlier entry made) is cases 3, 6, 9 and 11 here.
//!
//! Every "outside" target is a directory next to the root inside the test's temp dir, never the
//! host's /etc: if the unpacker were broken, the damage would be detected there, and contained.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use layerlab::snapshot::unpack::{
    Compression, MAX_SPECIAL_HEADER, SpecialHeader, TarHeaderError, UnpackError, UnpackOptions, WhiteoutMode,
    unpack,
};
use layerlab::snapshot::{SnapshotError, Snapshotter};
use layerlab_core::digest::Digest;

use crate::support::fixture::{E, file, gzip, tar_of};
use crate::support::tree;

struct Lab {
    _tmp: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    outside: PathBuf,
}

impl Lab {
    /// `<tmp>/root` (with `etc/`) and `<tmp>/outside` holding a 0400 sentinel and a file `x`.
    fn new() -> Lab {
        let tmp = tempfile::tempdir().expect("tmp");
        let base = tmp.path().to_owned();
        let (root, outside) = (base.join("root"), base.join("outside"));
        std::fs::create_dir_all(root.join("etc")).expect("root");
        std::fs::create_dir(&outside).expect("outside");
        std::fs::write(outside.join("sentinel"), b"unbroken").expect("sentinel");
        std::fs::set_permissions(outside.join("sentinel"), std::fs::Permissions::from_mode(0o400))
            .expect("chmod");
        std::fs::write(outside.join("x"), b"outside x").expect("x");
        Lab {
            _tmp: tmp,
            base,
            root,
            outside,
        }
    }

    /// The outside directory's absolute path, as a hostile tar would name it.
    fn out(&self) -> &'static str {
        Box::leak(self.outside.display().to_string().into_boxed_str())
    }

    fn apply(&self, entries: &[E], mode: WhiteoutMode) -> Result<(), UnpackError> {
        let tar = tar_of(entries);
        let opts = UnpackOptions {
            compression: Compression::Plain,
            whiteouts: mode,
            max_bytes: 1 << 30,
        };
        unpack(tar.as_slice(), &self.root, &opts).map(|_| ())
    }

    /// Nothing outside the root changed: same names, sentinel bytes and mode, `x` intact.
    fn assert_outside_untouched(&self, case: &str) {
        assert_eq!(
            tree(&self.outside),
            vec!["sentinel".to_owned(), "x".to_owned()],
            "{case}: outside changed"
        );
        let names: Vec<String> = tree(&self.base)
            .into_iter()
            .filter(|p| !p.contains('/'))
            .collect();
        assert_eq!(
            names,
            vec!["outside".to_owned(), "root".to_owned()],
            "{case}: new files next to the root"
        );
        assert_eq!(
            std::fs::read(self.outside.join("sentinel")).expect("sentinel"),
            b"unbroken",
            "{case}"
        );
        let mode = std::fs::metadata(self.outside.join("sentinel"))
            .expect("m")
            .permissions()
            .mode()
            & 0o7777;
        assert_eq!(mode, 0o400, "{case}: sentinel mode changed");
        assert_eq!(
            std::fs::read(self.outside.join("x")).expect("x"),
            b"outside x",
            "{case}"
        );
        assert!(
            std::fs::symlink_metadata(&self.root).expect("root").is_dir(),
            "{case}: root replaced"
        );
    }

    /// `path` inside the root, with the outside dir's absolute path re-rooted there.
    fn in_root(&self, host_path: &Path) -> PathBuf {
        self.root.join(host_path.strip_prefix("/").unwrap_or(host_path))
    }
}

#[test]
fn case_01_dot_dot_names_are_refused() {
    for name in [
        "../outside/x",
        "a/../../outside/x",
        "../../../../../../../../outside/sentinel",
    ] {
        let lab = Lab::new();
        let err = lab
            .apply(&[file(name, b"pwned", 0o644)], WhiteoutMode::Overlay)
            .expect_err(name);
        assert!(matches!(err, UnpackError::Breakout { .. }), "{name}: {err}");
        assert!(err.to_string().contains("is outside of the layer root"));
        lab.assert_outside_untouched(name);
    }
}

#[test]
fn case_02_absolute_names_are_root_relative() {
    let lab = Lab::new();
    let name = format!("{}/x", lab.out());
    lab.apply(
        &[
            file(&name, b"in root", 0o644),
            file("/etc/passwd", b"root:x:0:0::/:/bin/sh\n", 0o644),
        ],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    assert_eq!(
        std::fs::read(lab.in_root(&lab.outside.join("x"))).expect("re-rooted"),
        b"in root"
    );
    assert_eq!(
        std::fs::read(lab.root.join("etc/passwd")).expect("etc/passwd"),
        b"root:x:0:0::/:/bin/sh\n"
    );
    lab.assert_outside_untouched("absolute");
}

#[test]
fn case_03_writes_through_symlinks_stay_in_the_root() {
    let lab = Lab::new();
    lab.apply(
        &[
            E::Symlink("localetc", lab.out()),
            file("localetc/unbroken", b"abs", 0o644),
            E::Symlink("up", "../outside"),
            file("up/unbroken2", b"rel", 0o644),
            E::Symlink("a", "b"),
            E::Symlink("b", "../../../outside"),
            file("a/unbroken3", b"multi", 0o644),
        ],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    assert_eq!(
        std::fs::read(lab.in_root(&lab.outside.join("unbroken"))).expect("abs"),
        b"abs"
    );
    assert_eq!(
        std::fs::read(lab.root.join("outside/unbroken2")).expect("rel"),
        b"rel"
    );
    assert_eq!(
        std::fs::read(lab.root.join("outside/unbroken3")).expect("multi"),
        b"multi"
    );
    lab.assert_outside_untouched("symlink write");
}

#[test]
fn case_04_a_file_replaces_a_symlink_of_the_same_name() {
    let lab = Lab::new();
    let target = format!("{}/sentinel", lab.out());
    let target: &'static str = Box::leak(target.into_boxed_str());
    lab.apply(
        &[E::Symlink("moo", target), file("moo", b"overwritten", 0o666)],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    let m = std::fs::symlink_metadata(lab.root.join("moo")).expect("moo");
    assert!(m.is_file(), "moo is now a regular file");
    assert_eq!(std::fs::read(lab.root.join("moo")).expect("moo"), b"overwritten");
    lab.assert_outside_untouched("same name twice");
}

#[test]
fn case_05_hardlinks_out_of_the_root_are_refused() {
    for kind in 0..3 {
        let lab = Lab::new();
        let target: &'static str = match kind {
            0 => Box::leak(format!("{}/sentinel", lab.out()).into_boxed_str()),
            1 => "../outside/sentinel",
            _ => "../../../../../../outside/sentinel",
        };
        let err = lab
            .apply(&[E::Hardlink("passwd", target)], WhiteoutMode::Overlay)
            .expect_err(target);
        assert!(
            matches!(err, UnpackError::InvalidHardlink { .. }),
            "{target}: {err}"
        );
        lab.assert_outside_untouched(target);
    }
}

#[test]
fn case_06_hardlink_targets_resolve_inside_the_root() {
    let lab = Lab::new();
    lab.apply(
        &[
            E::Dir("outside/", 0o755),
            file("outside/sentinel", b"inside copy", 0o644),
            E::Symlink("d1", "../outside"),
            E::Hardlink("lnk", "d1/sentinel"),
        ],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    let (lnk, inside) = (
        std::fs::metadata(lab.root.join("lnk")).expect("lnk"),
        std::fs::metadata(lab.root.join("outside/sentinel")).expect("in"),
    );
    assert_eq!(lnk.ino(), inside.ino(), "linked to the in-root file");
    assert_ne!(
        lnk.ino(),
        std::fs::metadata(lab.outside.join("sentinel"))
            .expect("out")
            .ino()
    );
    lab.assert_outside_untouched("hardlink through symlinked parent");
}

#[test]
fn case_07_hardlink_to_an_outward_symlink_never_touches_its_target() {
    let lab = Lab::new();
    let target: &'static str = Box::leak(format!("{}/sentinel", lab.out()).into_boxed_str());
    lab.apply(
        &[
            E::Symlink("s", target),
            E::Hardlink("h", "s"),
            file("after", b"", 0o777),
        ],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    let h = std::fs::symlink_metadata(lab.root.join("h")).expect("h");
    assert!(
        h.file_type().is_symlink(),
        "the hardlink is to the symlink itself"
    );
    lab.assert_outside_untouched("hardlink to symlink");
}

#[test]
fn case_08_names_that_resolve_to_the_root_are_ignored() {
    let lab = Lab::new();
    lab.apply(
        &[
            E::Symlink("..", lab.out()),
            E::Symlink(".", "/"),
            E::Symlink("a/..", lab.out()),
            file("after", b"ok", 0o644),
        ],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    assert_eq!(
        std::fs::read(lab.root.join("after")).expect("after"),
        b"ok",
        "later entries land in the real root"
    );
    lab.assert_outside_untouched("symlink named ..");
    let lab = Lab::new();
    lab.apply(
        &[
            E::Dir("localetc/sub/", 0o755),
            E::Symlink("localetc/sub/..", lab.out()),
            file("z", b"z", 0o644),
        ],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    assert!(
        std::fs::symlink_metadata(lab.root.join("localetc"))
            .expect("l")
            .file_type()
            .is_symlink()
    );
    lab.assert_outside_untouched("localetc/sub/..");
}

#[test]
fn case_09_parents_made_through_a_symlink_are_made_inside() {
    let lab = Lab::new();
    lab.apply(
        &[
            E::Symlink("lnk", lab.out()),
            E::Dir("lnk/newdir/", 0o755),
            file("lnk/newdir/f", b"f", 0o644),
        ],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    assert_eq!(
        std::fs::read(lab.in_root(&lab.outside.join("newdir/f"))).expect("inside"),
        b"f"
    );
    lab.assert_outside_untouched("parents through symlink");
}

#[test]
fn case_10_whiteouts_naming_no_file_are_invalid() {
    for name in [".wh..", ".wh...", "etc/.wh..", "etc/.wh."] {
        for mode in [WhiteoutMode::Overlay, WhiteoutMode::Apply] {
            let lab = Lab::new();
            std::fs::write(lab.root.join("etc/keep"), b"k").expect("keep");
            let err = lab.apply(&[file(name, b"", 0o644)], mode).expect_err(name);
            assert!(
                matches!(err, UnpackError::InvalidWhiteout { .. }),
                "{name}: {err}"
            );
            assert!(lab.root.join("etc/keep").exists(), "{name}: parent emptied");
            lab.assert_outside_untouched(name);
        }
    }
}

#[test]
fn case_11_whiteouts_under_a_symlinked_parent_delete_inside_only() {
    let lab = Lab::new();
    std::fs::write(lab.root.join("etc/x"), b"lower x").expect("lower");
    lab.apply(
        &[E::Symlink("localetc", "/etc"), file("localetc/.wh.x", b"", 0o644)],
        WhiteoutMode::Apply,
    )
    .expect("apply");
    assert!(!lab.root.join("etc/x").exists(), "<root>/etc/x removed");
    lab.assert_outside_untouched("whiteout via /etc link");

    let lab = Lab::new();
    lab.apply(
        &[
            E::Symlink("localetc", lab.out()),
            file("localetc/.wh.x", b"", 0o644),
            file("localetc/.wh.sentinel", b"", 0o644),
        ],
        WhiteoutMode::Apply,
    )
    .expect("apply");
    lab.assert_outside_untouched("whiteout via outward link");

    let lab = Lab::new();
    lab.apply(
        &[
            E::Symlink("localetc", lab.out()),
            file("localetc/.wh.x", b"", 0o644),
        ],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    let wh = std::fs::symlink_metadata(lab.in_root(&lab.outside.join("x"))).expect("whiteout device in root");
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(&wh.file_type()));
    lab.assert_outside_untouched("overlay whiteout via outward link");
}

#[test]
fn case_12_opaque_marker_after_its_siblings_keeps_them() {
    let lab = Lab::new();
    std::fs::create_dir(lab.root.join("d")).expect("d");
    std::fs::write(lab.root.join("d/old"), b"lower").expect("old");
    lab.apply(
        &[
            E::Dir("d/", 0o755),
            file("d/new", b"same layer", 0o644),
            file("d/.wh..wh..opq", b"", 0o644),
        ],
        WhiteoutMode::Apply,
    )
    .expect("apply");
    assert_eq!(tree(&lab.root.join("d")), vec!["new".to_owned()]);

    // Deleting a directory and making it again in one layer round-trips.
    lab.apply(
        &[
            file(".wh.d", b"", 0o644),
            E::Dir("d/", 0o755),
            file("d/again", b"", 0o644),
        ],
        WhiteoutMode::Apply,
    )
    .expect("apply");
    assert_eq!(tree(&lab.root.join("d")), vec!["again".to_owned()]);

    let lab = Lab::new();
    lab.apply(
        &[
            E::Dir("d/", 0o755),
            file("d/new", b"same layer", 0o644),
            file("d/.wh..wh..opq", b"", 0o644),
        ],
        WhiteoutMode::Overlay,
    )
    .expect("apply");
    assert_eq!(
        tree(&lab.root.join("d")),
        vec!["new".to_owned()],
        "no marker file remains"
    );
    let mut buf = [0u8; 8];
    let privileged = rustix::process::geteuid().is_root();
    let name = if privileged {
        "trusted.overlay.opaque"
    } else {
        "user.overlay.opaque"
    };
    let n = rustix::fs::lgetxattr(lab.root.join("d"), name, &mut buf).expect("opaque xattr");
    assert_eq!(&buf[..n], b"y");
    lab.assert_outside_untouched("opaque");
}

#[test]
fn bombs_truncation_and_wrong_diff_ids_leave_no_snapshot() {
    // Case 20: 8 MiB of zeros compress to a few KiB; the budget stops it.
    let bomb = {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&tar_of(&[file("zeros", &vec![0u8; 8 << 20], 0o644)]))
            .expect("gzip");
        enc.finish().expect("gzip")
    };
    assert!(bomb.len() < 200_000);
    let lab = Lab::new();
    let opts = UnpackOptions {
        compression: Compression::Detect,
        whiteouts: WhiteoutMode::Overlay,
        max_bytes: 1 << 20,
    };
    let err = unpack(bomb.as_slice(), &lab.root, &opts).expect_err("bomb");
    assert!(
        matches!(err, UnpackError::TooLarge { limit } if limit == 1 << 20),
        "{err}"
    );

    // Case 17: a body shorter than its header.
    let tar = tar_of(&[file("big", &vec![1u8; 10_000], 0o644)]);
    let cut = &tar[..512 + 4_000];
    let err = unpack(cut, &lab.root, &UnpackOptions::default()).expect_err("truncated");
    assert!(
        err.to_string().contains("incomplete") || matches!(err, UnpackError::Stream { .. }),
        "{err}"
    );

    // Case 21: a diff ID that does not match, through the snapshotter: nothing is committed.
    let snaps_root = tempfile::tempdir().expect("tmp");
    let snaps = Snapshotter::open(snaps_root.path()).expect("snapshotter");
    let good = tar_of(&[file("a", b"a", 0o644)]);
    let chain = Digest::of(b"chain");
    let err = snaps
        .unpack(
            &chain,
            good.as_slice(),
            &UnpackOptions::default(),
            &Digest::of(b"other"),
        )
        .expect_err("diff id");
    assert!(matches!(err, SnapshotError::DiffIdMismatch { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("filesystem layer verification failed")
    );
    assert!(!snaps.exists(&chain));
    assert_eq!(
        tree(&snaps_root.path().join("snapshots"))
            .into_iter()
            .filter(|p| !p.ends_with(".lock"))
            .count(),
        0
    );
    let stats = snaps
        .unpack(
            &chain,
            good.as_slice(),
            &UnpackOptions::default(),
            &Digest::of(&good),
        )
        .expect("unpack")
        .expect("new");
    assert_eq!((stats.diff_id, stats.content_bytes), (Digest::of(&good), 1));
    assert!(snaps.exists(&chain));
    assert!(
        snaps
            .unpack(
                &chain,
                good.as_slice(),
                &UnpackOptions::default(),
                &Digest::of(&good)
            )
            .expect("again")
            .is_none()
    );
}

/// A header the tar crate's builder would not write: `type_flag` with `size` declared.
fn raw_header(name: &str, type_flag: u8, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_path(name).expect("name");
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::new(type_flag));
    h.set_size(size);
    h.set_cksum();
    h
}

/// One PAX record, its length counting its own digits.
fn pax_record(key: &str, value: &str) -> String {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len.to_string().len() + rest != len {
        len += 1;
    }
    format!("{len} {key}={value}\n")
}

#[test]
fn case_18_special_header_bombs_are_refused_and_leave_no_snapshot() {
    // A GNU long name declaring 16 GiB (a base-256 size field) after an ordinary entry, gzipped.
    let mut b = tar::Builder::new(Vec::new());
    let h = raw_header("first", b'0', 23);
    b.append(&h, &b"written before the bomb"[..]).expect("append");
    let mut raw = b.get_ref().clone();
    raw.extend_from_slice(raw_header("././@LongLink", b'L', 16 << 30).as_bytes());
    raw.extend(vec![b'n'; 1 << 16]);
    let blob = gzip(&raw);
    let snaps_root = tempfile::tempdir().expect("tmp");
    let snaps = Snapshotter::open(snaps_root.path()).expect("snapshotter");
    let chain = Digest::of(b"bomb");
    let err = snaps
        .unpack(
            &chain,
            blob.as_slice(),
            &UnpackOptions::default(),
            &Digest::of(&raw),
        )
        .expect_err("bomb");
    match &err {
        SnapshotError::Unpack {
            source:
                UnpackError::SpecialHeaderTooLarge {
                    kind,
                    size,
                    limit,
                    offset,
                },
            ..
        } => assert_eq!(
            (*kind, *size, *limit, *offset),
            (SpecialHeader::GnuLongName, 16 << 30, MAX_SPECIAL_HEADER, 1024)
        ),
        e => panic!("{e}"),
    }
    assert!(err.to_string().contains("GNU long name header"), "{err}");
    assert!(!snaps.exists(&chain));
    let left: Vec<_> = tree(&snaps_root.path().join("snapshots"))
        .into_iter()
        .filter(|p| !p.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Long names as a real writer stores them (a GNU long name header) still unpack ...
    let lab = Lab::new();
    let long = vec!["component-of-a-long-name"; 80].join("/");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = raw_header("x", b'0', 4);
    b.append_data(&mut h, &long, &b"deep"[..]).expect("append");
    let tar = b.into_inner().expect("tar");
    assert_eq!(tar[156], b'L');
    unpack(tar.as_slice(), &lab.root, &UnpackOptions::default()).expect("a long name");
    assert_eq!(std::fs::read(lab.root.join(&long)).expect("deep file"), b"deep");
    // ... and a name part longer than the filesystem allows is a clear error, not a panic.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = raw_header("x", b'0', 4);
    b.append_data(&mut h, "n".repeat(300), &b"long"[..])
        .expect("append");
    let tar = b.into_inner().expect("tar");
    let err = unpack(tar.as_slice(), &lab.root, &UnpackOptions::default()).expect_err("too long");
    assert!(matches!(err, UnpackError::NameTooLong { len: 300, .. }), "{err}");
    assert!(err.to_string().contains("file name too long"), "{err}");
}

#[test]
fn case_19_pax_size_wins_for_the_next_entry_only_and_conflicting_names_are_refused() {
    let pax = |records: &str| {
        let mut out = raw_header("PaxHeaders/f", b'x', records.len() as u64)
            .as_bytes()
            .to_vec();
        out.extend_from_slice(records.as_bytes());
        out.resize(out.len().next_multiple_of(512), 0);
        out
    };
    // The PAX size (10) beats the ustar size (3) for `f`, and `g` has its own size again.
    let mut tar = pax(&pax_record("size", "10"));
    let mut b = tar::Builder::new(Vec::new());
    b.append(&raw_header("f", b'0', 3), &b"0123456789"[..])
        .expect("append");
    b.append(&raw_header("g", b'0', 5), &b"after"[..])
        .expect("append");
    tar.extend(b.into_inner().expect("tar"));
    let lab = Lab::new();
    unpack(tar.as_slice(), &lab.root, &UnpackOptions::default()).expect("PAX size");
    assert_eq!(std::fs::read(lab.root.join("f")).expect("f"), b"0123456789");
    assert_eq!(std::fs::read(lab.root.join("g")).expect("g"), b"after");

    // A PAX path, then a GNU long name for the same entry naming another file: GNU tar takes the
    // PAX path, the tar crate the GNU name. Refused rather than read either way.
    let long = format!("{}/from-gnu", "d".repeat(120));
    let mut tar = pax(&pax_record("path", "from-pax"));
    let mut b = tar::Builder::new(Vec::new());
    let mut h = raw_header("x", b'0', 1);
    b.append_data(&mut h, &long, &b"x"[..]).expect("append");
    tar.extend(b.into_inner().expect("tar"));
    let lab = Lab::new();
    match unpack(tar.as_slice(), &lab.root, &UnpackOptions::default()) {
        Err(UnpackError::BadTarHeader {
            reason: TarHeaderError::ConflictingNames { pax, gnu, .. },
            ..
        }) => assert_eq!((pax.as_str(), gnu.as_str()), ("from-pax", long.as_str())),
        other => panic!("{other:?}"),
    }
    assert!(
        tree(&lab.root).iter().all(|p| !p.contains("from")),
        "{:?}",
        tree(&lab.root)
    );
}

/// Run only as a child of `unprivileged_unpack_uses_rootless_overlay_forms`, as user nobody.
#[test]
#[ignore = "a child process of the unprivileged test; it needs LAYERLAB_TEST_UNPACK_INTO"]
fn unpack_as_nobody_child() {
    let root = std::env::var("LAYERLAB_TEST_UNPACK_INTO")
        .expect("LAYERLAB_TEST_UNPACK_INTO is set by the parent test");
    let tar = tar_of(&[
        E::Dir("etc/", 0o755),
        file("etc/.wh.gone", b"", 0o644),
        E::Dir("d/", 0o755),
        file("d/.wh..wh..opq", b"", 0o644),
        file("setuid", b"#!/bin/sh\n", 0o4755),
    ]);
    // Case 16: `trusted.*` needs CAP_SYS_ADMIN, so this xattr is refused with EPERM.
    let tar = append_raw(tar, |b| {
        b.append_pax_extensions([("SCHILY.xattr.trusted.x", &b"v"[..])])
            .expect("pax");
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(4);
        b.append_data(&mut h, "xattr-refused", &b"body"[..])
            .expect("append");
    });
    let mut stats =
        unpack(tar.as_slice(), Path::new(&root), &UnpackOptions::default()).expect("unpack as nobody");
    stats.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    println!(
        "SKIPPED {:?} OWNERSHIP_KEPT {}",
        stats.skipped, stats.ownership_kept
    );
}

#[test]
fn unprivileged_unpack_uses_rootless_overlay_forms() {
    assert!(
        rustix::process::geteuid().is_root(),
        "this test drops from root to nobody; run the suite as root (CI does)"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("root");
    std::fs::create_dir(&root).expect("root");
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    rustix::fs::chown(
        &root,
        Some(rustix::fs::Uid::from_raw(65534)),
        Some(rustix::fs::Gid::from_raw(65534)),
    )
    .expect("chown");
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(&exe)
        .args([
            "--ignored",
            "--exact",
            "unpack::unpack_as_nobody_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LAYERLAB_TEST_UNPACK_INTO", &root)
        .output()
        .expect("run the child as nobody");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Whiteouts stay 0/0 character devices (Linux >= 5.8 allows them without CAP_MKNOD) ...
    let wh = std::fs::symlink_metadata(root.join("etc/gone")).expect("whiteout");
    assert!(
        std::os::unix::fs::FileTypeExt::is_char_device(&wh.file_type()) && wh.rdev() == 0,
        "{stdout}"
    );
    // ... the opaque mark moves to user.overlay.opaque, for overlayfs mounted with `userxattr`.
    let mut buf = [0u8; 4];
    let n =
        rustix::fs::lgetxattr(root.join("d"), "user.overlay.opaque", &mut buf).expect("user.overlay.opaque");
    assert_eq!(&buf[..n], b"y");
    assert!(rustix::fs::lgetxattr(root.join("d"), "trusted.overlay.opaque", &mut buf).is_err());
    assert!(
        stdout.contains("OpaqueAsUserXattr") && stdout.contains("OWNERSHIP_KEPT false"),
        "{stdout}"
    );
    // An xattr refused with EPERM is reported, and its file and the rest of the layer unpack.
    assert!(
        stdout.contains(r#"path: "xattr-refused", reason: XattrRefused { name: "trusted.x" }"#),
        "{stdout}"
    );
    assert_eq!(std::fs::read(root.join("xattr-refused")).expect("file"), b"body");
    // setuid bits are kept on the file (the store's 0700 directories keep host users out).
    let mode = std::fs::metadata(root.join("setuid"))
        .expect("setuid")
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o4755);
}

/// `tar` (from [`tar_of`]) with entries `more` writes appended before its end marker: for
/// entries the fixture cannot write (PAX records, devices).
fn append_raw(mut tar: Vec<u8>, more: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
    tar.truncate(tar.len().saturating_sub(1024));
    let mut b = tar::Builder::new(tar);
    more(&mut b);
    b.into_inner().expect("finish tar")
}

/// Appends a device or FIFO entry.
fn device(b: &mut tar::Builder<Vec<u8>>, name: &str, kind: tar::EntryType, major: u32, minor: u32) {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(0o620);
    h.set_size(0);
    h.set_device_major(major).expect("major");
    h.set_device_minor(minor).expect("minor");
    b.append_data(&mut h, name, &[][..]).expect("append");
}

/// A layer with a character device, a block device, a FIFO and a file.
fn devices_tar() -> Vec<u8> {
    append_raw(tar_of(&[E::Dir("dev/", 0o755)]), |b| {
        device(b, "dev/null", tar::EntryType::Char, 1, 3);
        device(b, "dev/loop9", tar::EntryType::Block, 7, 9);
        device(b, "dev/fifo", tar::EntryType::Fifo, 0, 0);
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(5);
        b.append_data(&mut h, "after", &b"after"[..]).expect("append");
    })
}

/// Run only as a child of `case_14_devices_are_made_as_root_and_skipped_in_a_user_namespace`,
/// inside a user namespace.
#[test]
#[ignore = "a child process of the user namespace test; it needs LAYERLAB_TEST_UNPACK_INTO"]
fn unpack_devices_in_user_namespace_child() {
    let root = std::env::var("LAYERLAB_TEST_UNPACK_INTO")
        .expect("LAYERLAB_TEST_UNPACK_INTO is set by the parent test");
    let stats = unpack(
        devices_tar().as_slice(),
        Path::new(&root),
        &UnpackOptions::default(),
    )
    .expect("unpack in a user namespace");
    println!("SKIPPED {:?}", stats.skipped);
}

#[test]
fn case_14_devices_are_made_as_root_and_skipped_in_a_user_namespace() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: needs root to make device nodes and user namespaces");
        return;
    }
    use std::os::unix::fs::FileTypeExt;
    let kind = |root: &Path, name: &str| std::fs::symlink_metadata(root.join(name)).map(|m| m.file_type());

    let lab = Lab::new();
    let stats =
        unpack(devices_tar().as_slice(), &lab.root, &UnpackOptions::default()).expect("unpack as root");
    assert_eq!(stats.skipped, []);
    assert!(kind(&lab.root, "dev/null").expect("null").is_char_device());
    assert!(kind(&lab.root, "dev/loop9").expect("loop9").is_block_device());
    assert_eq!(
        std::fs::symlink_metadata(lab.root.join("dev/loop9"))
            .expect("loop9")
            .rdev(),
        rustix::fs::makedev(7, 9)
    );

    // In a user namespace the process is root there, yet the kernel refuses real devices.
    let lab = Lab::new();
    let out = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user"])
        .arg(std::env::current_exe().expect("test binary"))
        .args([
            "--ignored",
            "--exact",
            "unpack::unpack_devices_in_user_namespace_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LAYERLAB_TEST_UNPACK_INTO", &lab.root)
        .output()
        .expect("run the child in a user namespace");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["dev/null", "dev/loop9"] {
        assert!(
            stdout.contains(&format!(r#"path: "{name}", reason: DeviceNotPermitted"#)),
            "{name}: {stdout}"
        );
        assert!(kind(&lab.root, name).is_err(), "{name} was made");
    }
    assert!(
        kind(&lab.root, "dev/fifo").expect("fifo").is_fifo(),
        "FIFOs are fine"
    );
    assert_eq!(std::fs::read(lab.root.join("after")).expect("after"), b"after");
    lab.assert_outside_untouched("devices in a user namespace");
}

/// A read-only overlayfs mount of layer directories, unmounted when dropped.
struct OverlayMount {
    dir: tempfile::TempDir,
}

impl OverlayMount {
    /// Mounts `layers` (top first), as a container's lower dirs are mounted.
    fn new(layers: &[&Path]) -> OverlayMount {
        let dir = tempfile::tempdir().expect("mount point");
        let lower: Vec<String> = layers.iter().map(|l| l.display().to_string()).collect();
        nix::mount::mount(
            Some("overlay"),
            dir.path(),
            Some("overlay"),
            nix::mount::MsFlags::MS_RDONLY,
            Some(format!("lowerdir={}", lower.join(":")).as_str()),
        )
        .expect("mount overlay");
        OverlayMount { dir }
    }
}

impl Drop for OverlayMount {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(self.dir.path(), nix::mount::MntFlags::MNT_DETACH);
    }
}

/// Files and directories below `dir` with the content of each file, sorted.
fn contents(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out: Vec<_> = tree(dir)
        .into_iter()
        .map(|p| {
            let body = std::fs::read(dir.join(&p)).ok();
            (p, body)
        })
        .collect();
    out.sort();
    out
}

// Case 12 as a container sees it: each upper layer is unpacked as a snapshot, mounted with
// overlayfs over the lower layer's snapshot, and compared with applying both layers onto one
// tree. A layer that whites out `d` and has its own `d/` replaces the lower `d`, in either
// order; an opaque marker after its siblings hides every lower descendant (image-spec layer.md).
#[test]
fn case_12_same_layer_whiteouts_under_overlayfs_match_apply_mode() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: mounting overlayfs needs root");
        return;
    }
    let lower = tar_of(&[
        E::Dir("d/", 0o755),
        file("d/old", b"lower", 0o644),
        E::Dir("d/sub/", 0o755),
        file("d/sub/old", b"lower", 0o644),
        file("keep", b"lower", 0o644),
    ]);
    let uppers: [(&str, Vec<E>, &str); 5] = [
        (
            "whiteout first",
            vec![
                file(".wh.d", b"", 0o644),
                E::Dir("d/", 0o755),
                file("d/new", b"new", 0o644),
            ],
            "d/new",
        ),
        (
            "whiteout last",
            vec![
                E::Dir("d/", 0o755),
                file("d/new", b"new", 0o644),
                file(".wh.d", b"", 0o644),
            ],
            "d/new",
        ),
        (
            "whiteout first, no directory entry",
            vec![file(".wh.d", b"", 0o644), file("d/new", b"new", 0o644)],
            "d/new",
        ),
        (
            "opaque marker last",
            vec![
                E::Dir("d/", 0o755),
                E::Dir("d/sub/", 0o755),
                file("d/sub/new", b"new", 0o644),
                file("d/.wh..wh..opq", b"", 0o644),
            ],
            "d/sub/new",
        ),
        (
            "a file replaces the directory",
            vec![file(".wh.d", b"", 0o644), file("d", b"a file now", 0o644)],
            "d",
        ),
    ];
    for (case, upper, made) in uppers {
        let upper = tar_of(&upper);
        let tmp = tempfile::tempdir().expect("tmp");
        let (low, up, flat) = (
            tmp.path().join("low"),
            tmp.path().join("up"),
            tmp.path().join("flat"),
        );
        for d in [&low, &up, &flat] {
            std::fs::create_dir(d).expect("mkdir");
        }
        let overlay = UnpackOptions::default();
        unpack(lower.as_slice(), &low, &overlay).expect("lower snapshot");
        unpack(upper.as_slice(), &up, &overlay).expect(case);
        let apply = UnpackOptions {
            whiteouts: WhiteoutMode::Apply,
            ..UnpackOptions::default()
        };
        unpack(lower.as_slice(), &flat, &apply).expect("apply lower");
        unpack(upper.as_slice(), &flat, &apply).expect(case);

        let mount = OverlayMount::new(&[&up, &low]);
        let seen = contents(mount.dir.path());
        assert_eq!(seen, contents(&flat), "{case}: overlayfs and apply mode differ");
        let names: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
        assert!(
            !names.contains(&"d/old") && !names.contains(&"d/sub/old"),
            "{case}: the lower d shows through: {names:?}"
        );
        assert!(names.contains(&"keep"), "{case}: {names:?}");
        let made = seen
            .iter()
            .find(|(p, _)| p == made)
            .and_then(|(_, b)| b.as_deref());
        assert!(
            made.is_some_and(|b| b == b"new" || b == b"a file now"),
            "{case}: this layer's entry is gone: {names:?}"
        );
    }
}

// Case 24 as a container sees it: layer 1 has `t2` and hardlinks `t1`, `t3` to it, layer 2
// rewrites `t1` (go-containerregistry #2002). Only `t1` changes; `t3` keeps the old content.
// In one layer the same holds: a later entry replaces the name, the hardlink keeps the file.
#[test]
fn case_24_a_rewritten_hardlink_name_leaves_its_other_names_alone() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: mounting overlayfs needs root");
        return;
    }
    let layer1 = tar_of(&[
        file("t2", b"123\n", 0o644),
        E::Hardlink("t1", "t2"),
        E::Hardlink("t3", "t2"),
    ]);
    let layer2 = tar_of(&[file("t1", b"456\n", 0o644)]);
    let same_layer = tar_of(&[
        file("t2", b"123\n", 0o644),
        E::Hardlink("t1", "t2"),
        E::Hardlink("t3", "t2"),
        file("t1", b"456\n", 0o644),
    ]);
    let tmp = tempfile::tempdir().expect("tmp");
    let dirs: Vec<PathBuf> = ["l1", "l2", "flat", "one"]
        .iter()
        .map(|d| tmp.path().join(d))
        .collect();
    for d in &dirs {
        std::fs::create_dir(d).expect("mkdir");
    }
    unpack(layer1.as_slice(), &dirs[0], &UnpackOptions::default()).expect("layer 1");
    unpack(layer2.as_slice(), &dirs[1], &UnpackOptions::default()).expect("layer 2");
    let apply = UnpackOptions {
        whiteouts: WhiteoutMode::Apply,
        ..UnpackOptions::default()
    };
    unpack(layer1.as_slice(), &dirs[2], &apply).expect("apply 1");
    unpack(layer2.as_slice(), &dirs[2], &apply).expect("apply 2");
    unpack(same_layer.as_slice(), &dirs[3], &UnpackOptions::default()).expect("one layer");
    let mount = OverlayMount::new(&[&dirs[1], &dirs[0]]);
    let expected = vec![
        ("t1".to_owned(), Some(b"456\n".to_vec())),
        ("t2".to_owned(), Some(b"123\n".to_vec())),
        ("t3".to_owned(), Some(b"123\n".to_vec())),
    ];
    assert_eq!(contents(mount.dir.path()), expected, "overlayfs");
    assert_eq!(contents(&dirs[2]), expected, "apply mode");
    assert_eq!(contents(&dirs[3]), expected, "one layer");
}
