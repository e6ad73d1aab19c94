//! The managed blocks (`# BEGIN aws-okta team NAME` ... `# END ...`): finding them and
//! merging a team's block into a config file.

use super::report::profile_bodies;
use crate::error::Error;

/// The first and last line of a team's managed block.
pub fn block_markers(team: &str) -> (String, String) {
    (
        format!("# BEGIN aws-okta team {team}"),
        format!("# END aws-okta team {team}"),
    )
}

pub(super) const BEGIN_PREFIX: &str = "# BEGIN aws-okta team ";
pub(super) const END_PREFIX: &str = "# END aws-okta team ";

/// A team's managed block in a file.
pub(super) struct Block {
    pub(super) team: String,
    /// Byte range of the block, END line (and its newline) included.
    pub(super) start: usize,
    pub(super) end: usize,
    /// 1-based line numbers of the BEGIN and END lines.
    pub(super) first_line: usize,
    pub(super) last_line: usize,
}

/// `(true, team)` for a BEGIN marker line, `(false, team)` for an END one (`line` trimmed).
pub(super) fn marker(line: &str) -> Option<(bool, &str)> {
    if let Some(team) = line.strip_prefix(BEGIN_PREFIX) {
        Some((true, team.trim()))
    } else {
        line.strip_prefix(END_PREFIX)
            .map(|team| (false, team.trim()))
    }
}

/// Every team's managed block in `existing`, in file order. Malformed markers of any team are
/// refused: a BEGIN without its END, an END without its BEGIN, a marker inside another block,
/// two blocks of one team.
pub(super) fn locate_blocks(existing: &str) -> Result<Vec<Block>, Error> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut open: Option<(String, usize, usize)> = None; // (team, byte start, line)
    let mut offset = 0;
    for (idx, raw) in existing.split_inclusive('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        let start = offset;
        offset += raw.len();
        let Some((is_begin, team)) = marker(line) else {
            continue;
        };
        match open.take() {
            Some((open_team, s, l)) if !is_begin && team == open_team => blocks.push(Block {
                team: open_team,
                start: s,
                end: offset,
                first_line: l,
                last_line: line_no,
            }),
            Some((open_team, _, l)) => {
                return Err(Error::ManagedBlock {
                    line: line_no,
                    message: format!(
                        "`{line}` inside the managed block of team {open_team} that starts at line {l}: fix the markers by hand"
                    ),
                })
            }
            None if is_begin => {
                if let Some(prev) = blocks.iter().find(|b| b.team == team) {
                    return Err(Error::ManagedBlock {
                        line: line_no,
                        message: format!(
                            "a second managed block for team {team} (the first is at line {}): remove one by hand",
                            prev.first_line
                        ),
                    });
                }
                open = Some((team.to_string(), start, line_no));
            }
            None => {
                let (begin, _) = block_markers(team);
                return Err(Error::ManagedBlock {
                    line: line_no,
                    message: format!(
                        "`{line}` without a `{begin}` before it: fix the markers by hand"
                    ),
                });
            }
        }
    }
    if let Some((team, _, line)) = open {
        let (begin, end) = block_markers(&team);
        return Err(Error::ManagedBlock {
            line,
            message: format!("`{begin}` has no `{end}` after it: fix the markers by hand"),
        });
    }
    Ok(blocks)
}

/// The teams with a managed block in `text`, in file order, each with the profiles its block
/// defines (in block order): what `aws-okta each --team NAME` runs over. Malformed markers are
/// refused as [`merge_managed_block`] refuses them.
pub fn team_blocks(text: &str) -> Result<Vec<(String, Vec<String>)>, Error> {
    let blocks = locate_blocks(text)?;
    Ok(blocks
        .iter()
        .map(|b| {
            let profiles = profile_bodies(&text[b.start..b.end])
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            (b.team.clone(), profiles)
        })
        .collect())
}

/// What [`merge_managed_block`] does with the managed blocks of teams other than the one it
/// installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherTeams {
    /// Remove them: one team per engineer, so changing team replaces the old team's profiles
    /// (`config init`).
    Replace,
    /// Keep them, for people in several teams (`config init --add`).
    Keep,
}

/// A managed block of another team that [`merge_managed_block`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedTeam {
    pub team: String,
    /// The profiles its block defined, in block order.
    pub profiles: Vec<String>,
}

/// The result of [`merge_managed_block`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The new file.
    pub text: String,
    /// Other teams' blocks removed ([`OtherTeams::Replace`]), in file order.
    pub removed_teams: Vec<RemovedTeam>,
}

/// Puts `block` (a team config, without markers) into `existing` between
/// `# BEGIN aws-okta team <team>` and `# END aws-okta team <team>`, and with
/// [`OtherTeams::Replace`] removes every other team's managed block. The new block goes where
/// the team's earlier block was; without one, where the other team's block was if it replaces
/// exactly one; else at the end (after a blank line). Every byte outside the managed blocks is
/// kept as it was (so the blank line written before an appended block stays when that block is
/// removed later). The block uses the file's line ending (`\r\n` if the file has any).
/// Fails on malformed markers of any team (a BEGIN without END, two blocks for a team, ...)
/// rather than guess which lines are the user's.
pub fn merge_managed_block(
    existing: &str,
    team: &str,
    block: &str,
    others: OtherTeams,
) -> Result<Merged, Error> {
    let blocks = locate_blocks(existing)?;
    Ok(merge_blocks(existing, &blocks, team, block, others))
}

/// [`merge_managed_block`] with the blocks already located.
pub(super) fn merge_blocks(
    existing: &str,
    blocks: &[Block],
    team: &str,
    block: &str,
    others: OtherTeams,
) -> Merged {
    let nl = if existing.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let (begin, end) = block_markers(team);
    let mut text = String::with_capacity(block.len() + 80);
    text.push_str(&begin);
    text.push_str(nl);
    for line in block.lines() {
        text.push_str(line);
        text.push_str(nl);
    }
    text.push_str(&end);
    text.push_str(nl);

    let replace = others == OtherTeams::Replace;
    // Index in `blocks` of the block whose place the new one takes, if any.
    let slot = blocks
        .iter()
        .position(|b| b.team == team)
        .or_else(|| (replace && blocks.len() == 1).then_some(0));
    let mut out = String::with_capacity(existing.len() + text.len());
    let mut removed_teams = Vec::new();
    let mut copied = 0;
    for (i, b) in blocks.iter().enumerate() {
        let ours = b.team == team;
        if !ours && !replace {
            continue; // copied with the bytes around it
        }
        out.push_str(&existing[copied..b.start]);
        copied = b.end;
        if !ours {
            removed_teams.push(RemovedTeam {
                team: b.team.clone(),
                profiles: profile_bodies(&existing[b.start..b.end])
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect(),
            });
        }
        if slot == Some(i) {
            out.push_str(&text);
        }
    }
    out.push_str(&existing[copied..]);
    if slot.is_none() {
        if !out.is_empty() {
            if !out.ends_with('\n') {
                out.push_str(nl);
            }
            if !out.ends_with(&format!("{nl}{nl}")) && out != nl {
                out.push_str(nl);
            }
        }
        out.push_str(&text);
    }
    Merged {
        text: out,
        removed_teams,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_blocks_list_each_teams_profiles() {
        let text = "[profile mine]\nregion = a\n# BEGIN aws-okta team payments\n[okta]\naws_saml_url = x\n\
                    [profile pay-prod]\nokta_role_arn = r\n[profile pay-dev]\nokta_role_arn = r\n\
                    # END aws-okta team payments\n# BEGIN aws-okta team data\n[default]\nregion = b\n\
                    # END aws-okta team data\n";
        assert_eq!(
            team_blocks(text).unwrap(),
            vec![
                (
                    "payments".to_string(),
                    vec!["pay-prod".to_string(), "pay-dev".to_string()]
                ),
                ("data".to_string(), vec!["default".to_string()]),
            ]
        );
        assert!(team_blocks("# BEGIN aws-okta team x\n").is_err());
        assert!(team_blocks("[profile a]\n").unwrap().is_empty());
    }
}
