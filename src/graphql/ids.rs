//! Relay global ids: the node id `Label:key`, base64url-encoded so clients treat it as
//! opaque.

use async_graphql::{ErrorExtensions, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::errors::ApiError;
use crate::model::NodeId;

pub fn encode(id: &NodeId) -> ID {
    ID(URL_SAFE_NO_PAD.encode(id.to_string()))
}

pub fn decode(id: &ID) -> async_graphql::Result<NodeId> {
    URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| NodeId::parse(&text))
        .ok_or_else(|| ApiError::BadId(id.to_string()).extend())
}
