//! Who is calling: an access code (from the member's personal link, kept in
//! a cookie or sent as a bearer token) identifies one member of one group.
use super::{App, Failure};
use crate::domain::{AccessCode, Group, GroupMember};
use crate::store::StoreError;

/// A member whose code was verified, with their group as just read.
#[derive(Debug, Clone)]
pub struct Caller {
    pub group: Group,
    /// The member's position in `group.members`.
    pub index: usize,
}

impl Caller {
    pub fn member(&self) -> &GroupMember {
        &self.group.members[self.index]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No such group, or the code is not one of its members' (the caller
    /// learns nothing about which).
    #[error("the access code is not valid")]
    InvalidCode,
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// The member `code` belongs to (one strongly consistent read of the group).
pub async fn authenticate(app: &App, code: &AccessCode) -> Result<Caller, AuthError> {
    let group = match app.store.get_group(code.group()).await {
        Ok(g) => g,
        Err(StoreError::NotFound) => return Err(AuthError::InvalidCode),
        Err(e) => return Err(AuthError::Failed(e.into())),
    };
    let index = group.authenticate(code).ok_or(AuthError::InvalidCode)?;
    Ok(Caller { group, index })
}

/// Check a code typed or pasted by a person (or carried by a link) before it
/// is stored in their browser.
pub async fn sign_in(app: &App, raw: &str) -> Result<AccessCode, AuthError> {
    let code = AccessCode::parse(raw).ok_or(AuthError::InvalidCode)?;
    authenticate(app, &code).await?;
    Ok(code)
}

/// The personal link that signs a member in.
pub fn personal_link(app: &App, code: &AccessCode) -> String {
    format!("{}/api/access?code={}", app.config.public_base_url, code.expose())
}
