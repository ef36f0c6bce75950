//! The lab's panels: the pictures beside the terminal, one shown at a time. Each panel is a view
//! of the same simulator, so switching panels never changes the lab.

/// One panel beside the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Panel {
    /// The guided lesson, its tasks checked by the lab, and the Dockerfile editor. First, so a
    /// newcomer sees there is a path to follow.
    Lessons,
    /// Images as stacks of layers, containers on top, shared layers drawn shared.
    Layers,
    /// Where the disk space goes: `ps -s`, the lesson's formula and what it leaves out.
    Disk,
    /// The files of an image or container, each marked with the layer that added, changed or
    /// removed it; search, wasted space and image diff.
    Files,
    /// Copy-on-write step by step: a read looking down one container's stack, copy-ups,
    /// whiteouts and opaque directories, played forwards and back.
    Cow,
    /// The storage drivers side by side on the lab's workload: bytes copied and bytes on disk.
    Drivers,
}

impl Panel {
    /// Every panel, in the order of the tabs.
    pub const ALL: [Panel; 6] = [Panel::Lessons, Panel::Layers, Panel::Disk, Panel::Files, Panel::Cow, Panel::Drivers];

    /// The tab's label.
    pub fn label(self) -> &'static str {
        match self {
            Panel::Lessons => "Lessons",
            Panel::Layers => "Layers",
            Panel::Disk => "Disk",
            Panel::Cow => "Copy-on-write",
            Panel::Drivers => "Drivers",
            Panel::Files => "Files",
        }
    }

    /// The short name used in element ids and in scenario links.
    pub fn slug(self) -> &'static str {
        match self {
            Panel::Lessons => "lessons",
            Panel::Layers => "layers",
            Panel::Disk => "disk",
            Panel::Cow => "cow",
            Panel::Drivers => "drivers",
            Panel::Files => "files",
        }
    }

    /// The panel a slug names, if any.
    pub fn from_slug(slug: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.slug() == slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_name_their_panel_and_are_unique() {
        for panel in Panel::ALL {
            assert_eq!(Panel::from_slug(panel.slug()), Some(panel));
        }
        assert_eq!(Panel::from_slug("nope"), None);
    }
}
