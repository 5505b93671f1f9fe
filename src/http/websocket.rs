//! Subscriptions over WebSocket, in both protocols (`graphql-transport-ws` and the older
//! `graphql-ws`). A client has a deadline to send `connection_init` (then the socket is
//! closed with 4408, as the protocol says); its token travels in the init payload
//! (`{"authorization": "Bearer ..."}`) or, for clients that can set one, in the upgrade
//! request's `Authorization` header.

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};

use super::AppState;
use crate::auth::{bearer, Access, TokenPolicy};
use crate::graphql::ApiError;

/// The close code for a client that did not initialise in time.
const INIT_TIMEOUT: u16 = 4408;

pub(super) async fn upgrade(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .map(str::to_string);
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(socket, state, protocol, header_token))
}

async fn serve(
    socket: WebSocket,
    state: AppState,
    protocol: GraphQLProtocol,
    header_token: Option<String>,
) {
    let (mut sink, mut stream) = socket.split();
    let first = match tokio::time::timeout(state.settings.ws_init_timeout, stream.next()).await {
        Ok(Some(first)) => first,
        Ok(None) => return,
        Err(_) => {
            let close = CloseFrame {
                code: INIT_TIMEOUT,
                reason: "Connection initialisation timeout".into(),
            };
            let _ = sink.send(Message::Close(Some(close))).await;
            return;
        }
    };
    let stream = futures_util::stream::iter([first]).chain(stream);
    let tokens = state.settings.tokens.clone();
    GraphQLWebSocket::new_with_pair(sink, stream, state.schema.clone(), protocol)
        .on_connection_init(
            move |payload| async move { authorise(&tokens, &payload, header_token) },
        )
        .serve()
        .await;
}

/// The connection's access from the init payload's token (or the upgrade's header).
fn authorise(
    tokens: &TokenPolicy,
    payload: &serde_json::Value,
    header_token: Option<String>,
) -> async_graphql::Result<Data> {
    let from_payload = ["authorization", "Authorization"]
        .iter()
        .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
        .map(|value| bearer(value).unwrap_or(value).to_string());
    let token = from_payload.or(header_token);
    let access: Access = tokens
        .access(token.as_deref())
        .map_err(|_| async_graphql::Error::from(ApiError::Unauthenticated))?;
    let mut data = Data::default();
    data.insert(access);
    Ok(data)
}
