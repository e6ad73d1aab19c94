//! What every request goes through: counted and recorded (for "never sent here" assertions),
//! `X-Rate-Limit-*` and `Cache-Control` on the API, and the org's own clock in `Date`.

use axum::extract::{Request, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Duration;

use super::RATE_LIMIT;
use crate::http::{now, whole_request};
use crate::ServerState;

pub(super) async fn count_and_rate_headers(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let is_control = path.starts_with("/__fake/");
    let is_api = path.starts_with("/api/v1/");
    let (whole, request) = whole_request(request).await;
    let (remaining, reset) = {
        let mut data = state.data();
        if !is_control {
            data.received.push(whole);
            data.counters.total += 1;
            let agent = request
                .headers()
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            data.user_agents.push(agent);
        }
        if is_api {
            let t = now().timestamp();
            if t >= data.rate_window_start + 60 {
                data.rate_window_start = t;
                data.rate_window_count = 0;
            }
            data.rate_window_count += 1;
            (
                RATE_LIMIT.saturating_sub(data.rate_window_count),
                data.rate_window_start + 60,
            )
        } else {
            (0, 0)
        }
    };
    let mut response = next.run(request).await;
    let skew = state.config().clock_skew_secs;
    if skew != 0 {
        // What the org's clock says; without it the server writes the real time.
        let theirs = now() + Duration::seconds(skew);
        if let Ok(value) =
            HeaderValue::from_str(&theirs.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::DATE, value);
        }
    }
    if is_api {
        let headers = response.headers_mut();
        if !headers.contains_key("x-rate-limit-limit") {
            headers.insert("x-rate-limit-limit", HeaderValue::from(RATE_LIMIT));
            headers.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
            headers.insert("x-rate-limit-reset", HeaderValue::from(reset));
        }
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-store"),
        );
    }
    response
}
