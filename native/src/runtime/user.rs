//! Who the container's process runs as: `-u name|uid[:group|gid]` resolved against the image's
//! own `/etc/passwd` and `/etc/group`.
//!
//! Public API:
//! - [`UserSpec::parse`]`(&str) -> Result<UserSpec, UserError>`: the `-u` argument.
//! - [`resolve`]`(&UserSpec, passwd: Option<&str>, group: Option<&str>) -> Result<ExecUser, UserError>`.
//! - [`ExecUser`]: uid, gid, supplementary gids and home directory.
//!
//! Parsed here rather than through the C library's nss, because nss reads the host's databases
//! and may load the image's `libnss_*.so` into the runtime (CVE-2019-14271). The file format is
//! the one runc's `user` package reads: `name:password:uid:gid:gecos:home:shell` and
//! `name:password:gid:member,member`.

/// Largest id a container may use: runc refuses anything at or above 2^31 (CVE-2024-40635).
pub const MAX_ID: u32 = i32::MAX as u32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UserError {
    #[error("invalid user specification {spec:?}: it must be name|uid[:group|gid]")]
    BadSpec { spec: String },
    #[error("uids and gids must be in range 0-{MAX_ID}: got {value}")]
    OutOfRange { value: String },
    #[error("unable to find user {name}: no matching entries in passwd file")]
    NoUser { name: String },
    #[error("unable to find group {name}: no matching entries in group file")]
    NoGroup { name: String },
}

/// A user or group named by the `-u` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Id {
    Name(String),
    Num(u32),
}

/// The parsed `-u` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    pub user: Id,
    pub group: Option<Id>,
}

/// What the process is switched to before exec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecUser {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub home: String,
}

fn parse_id(s: &str, spec: &str) -> Result<Id, UserError> {
    if s.is_empty() {
        return Err(UserError::BadSpec {
            spec: spec.to_owned(),
        });
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u64>() {
            Ok(n) if n <= u64::from(MAX_ID) => Ok(Id::Num(n as u32)),
            _ => Err(UserError::OutOfRange { value: s.to_owned() }),
        };
    }
    if s.starts_with('-') {
        return Err(UserError::OutOfRange { value: s.to_owned() });
    }
    Ok(Id::Name(s.to_owned()))
}

impl UserSpec {
    /// `root`, `1000`, `nobody:nogroup`, `1000:1000`. An empty spec means root.
    pub fn parse(spec: &str) -> Result<Self, UserError> {
        if spec.is_empty() {
            return Ok(UserSpec {
                user: Id::Num(0),
                group: None,
            });
        }
        let (user, group) = match spec.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (spec, None),
        };
        Ok(UserSpec {
            user: parse_id(user, spec)?,
            group: group.map(|g| parse_id(g, spec)).transpose()?,
        })
    }
}

struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

struct GroupEntry<'a> {
    name: &'a str,
    gid: u32,
    members: Vec<&'a str>,
}

/// Lines that do not parse are skipped, as the C library and runc do: one bad line must not hide
/// every user after it.
fn passwd_entries(text: &str) -> impl Iterator<Item = PasswdEntry<'_>> {
    text.lines().filter_map(|line| {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.trim().is_empty() {
            return None;
        }
        let f: Vec<&str> = line.split(':').collect();
        let name = *f.first()?;
        let uid = f.get(2)?.parse::<u32>().ok().filter(|n| *n <= MAX_ID)?;
        let gid = f.get(3)?.parse::<u32>().ok().filter(|n| *n <= MAX_ID)?;
        let home = f.get(5).copied().unwrap_or("");
        Some(PasswdEntry { name, uid, gid, home })
    })
}

fn group_entries(text: &str) -> impl Iterator<Item = GroupEntry<'_>> {
    text.lines().filter_map(|line| {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.trim().is_empty() {
            return None;
        }
        let f: Vec<&str> = line.split(':').collect();
        let name = *f.first()?;
        let gid = f.get(2)?.parse::<u32>().ok().filter(|n| *n <= MAX_ID)?;
        let members = f
            .get(3)
            .map(|m| m.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        Some(GroupEntry { name, gid, members })
    })
}

/// Resolve the spec the way runc's `GetExecUser` does: a numeric uid need not exist in the
/// file (its gid then defaults to 0 and home to `/`), a name must; a named group must exist;
/// supplementary groups are the primary one and those listing the user's name as a member.
pub fn resolve(spec: &UserSpec, passwd: Option<&str>, group: Option<&str>) -> Result<ExecUser, UserError> {
    let passwd = passwd.unwrap_or("");
    let group = group.unwrap_or("");
    let found = match &spec.user {
        Id::Name(name) => Some(
            passwd_entries(passwd)
                .find(|e| e.name == name)
                .ok_or_else(|| UserError::NoUser { name: name.clone() })?,
        ),
        Id::Num(uid) => passwd_entries(passwd).find(|e| e.uid == *uid),
    };
    let (uid, mut gid, home, user_name) = match (&spec.user, &found) {
        (_, Some(e)) => (e.uid, e.gid, e.home.to_owned(), Some(e.name)),
        (Id::Num(uid), None) => (*uid, 0, "/".to_owned(), None),
        (Id::Name(name), None) => return Err(UserError::NoUser { name: name.clone() }),
    };
    if let Some(g) = &spec.group {
        gid = match g {
            Id::Num(n) => *n,
            Id::Name(name) => {
                group_entries(group)
                    .find(|e| e.name == name)
                    .ok_or_else(|| UserError::NoGroup { name: name.clone() })?
                    .gid
            }
        };
    }
    // The primary group is listed too, so that no group of the runtime's own survives the switch
    // (the fix for CVE-2023-25173 in containerd and moby); then groups naming the user.
    let members: Vec<u32> = match (user_name, &spec.group) {
        // An explicit group replaces the user's groups, as in Docker.
        (Some(name), None) => group_entries(group)
            .filter(|e| e.members.contains(&name))
            .map(|e| e.gid)
            .collect(),
        _ => Vec::new(),
    };
    let mut additional_gids = vec![gid];
    for g in members {
        if !additional_gids.contains(&g) {
            additional_gids.push(g);
        }
    }
    let home = if home.is_empty() { "/".to_owned() } else { home };
    Ok(ExecUser {
        uid,
        gid,
        additional_gids,
        home,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
        # comment\n\
        broken line\n\
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
        app:x:1000:1000::/home/app:/bin/sh\n\
        huge:x:4294967295:0::/:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nwheel:x:10:app,root\napp:x:1000:\naudio:x:29:app\n";

    #[test]
    fn names_and_numbers() {
        let u = resolve(&UserSpec::parse("app").expect("spec"), Some(PASSWD), Some(GROUP)).expect("app");
        assert_eq!(
            u,
            ExecUser {
                uid: 1000,
                gid: 1000,
                additional_gids: vec![1000, 10, 29],
                home: "/home/app".into()
            }
        );
        let u = resolve(
            &UserSpec::parse("1000:wheel").expect("spec"),
            Some(PASSWD),
            Some(GROUP),
        )
        .expect("num");
        assert_eq!((u.uid, u.gid, u.additional_gids), (1000, 10, vec![10]));
        // A uid the image does not know is allowed, with gid 0 and home /.
        let u = resolve(&UserSpec::parse("4242").expect("spec"), None, None).expect("unknown");
        assert_eq!((u.uid, u.gid, u.home.as_str()), (4242, 0, "/"));
        assert_eq!(
            resolve(&UserSpec::parse("").expect("spec"), Some(PASSWD), None)
                .expect("root")
                .home,
            "/root"
        );
    }

    #[test]
    fn missing_names_never_fall_back_to_root() {
        let err = resolve(
            &UserSpec::parse("nosuch").expect("spec"),
            Some(PASSWD),
            Some(GROUP),
        )
        .expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "unable to find user nosuch: no matching entries in passwd file"
        );
        let err = resolve(
            &UserSpec::parse("app:nogroup").expect("spec"),
            Some(PASSWD),
            Some(GROUP),
        )
        .expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "unable to find group nogroup: no matching entries in group file"
        );
        // An entry whose uid is out of range is not an entry at all.
        assert!(resolve(&UserSpec::parse("huge").expect("spec"), Some(PASSWD), None).is_err());
    }

    #[test]
    fn ids_at_or_above_two_to_the_31_are_refused() {
        assert!(UserSpec::parse("2147483647").is_ok());
        for bad in ["2147483648", "0:4294967296", "99999999999999999999", "-1"] {
            assert!(
                matches!(UserSpec::parse(bad), Err(UserError::OutOfRange { .. })),
                "{bad} accepted"
            );
        }
        assert!(matches!(UserSpec::parse(":0"), Err(UserError::BadSpec { .. })));
        assert!(matches!(UserSpec::parse("a:"), Err(UserError::BadSpec { .. })));
    }

    proptest! {
        #[test]
        fn any_input_resolves_or_errors_without_panicking(spec in ".{0,40}", passwd in ".{0,200}", group in ".{0,200}") {
            if let Ok(s) = UserSpec::parse(&spec)
                && let Ok(u) = resolve(&s, Some(&passwd), Some(&group))
            {
                prop_assert!(u.uid <= MAX_ID && u.gid <= MAX_ID);
            }
        }
    }
}
