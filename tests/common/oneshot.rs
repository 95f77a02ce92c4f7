//! Requests to a router in process (tower's `oneshot`), for the server
//! tests. In: a router and a request. Out: the response's status, headers
//! and whole body.

use axum::Router;
use axum::body::Body;
use std::io::Read;

use axum::http::{HeaderMap, Request, StatusCode, header, header::HeaderName};
use serde_json::Value;
use tower::ServiceExt;

/// A response read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as JSON; panics with the status and body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The header's first value, when present and text.
    pub fn header(&self, name: HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of the header joined with ", " (empty when absent), as a
    /// client reads a repeated header such as `Vary`.
    pub fn header_all(&self, name: HeaderName) -> String {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Sends `req` to `app` and reads the whole response.
pub async fn send(app: &Router, req: Request<Body>) -> Resp {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

/// `GET uri`.
pub async fn get(app: &Router, uri: &str) -> Resp {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// `GET uri` with extra request headers.
pub async fn get_with(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Resp {
    let mut b = Request::get(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

/// Checks the rules every body held gzipped follows (tiles and the large
/// JSON bodies alike, `server::negotiate`): a plain 200 of `content_type`
/// with no `Content-Encoding`, `Vary: Accept-Encoding`, a `Cache-Control`
/// and a strong ETag; a gzip 200 with its own ETag whose inflated bytes
/// are the plain body; a 304 with no body for either form's own tag, and
/// a 200 when one form's tag is offered for the other. Returns the plain
/// response and the gzip response.
pub async fn assert_negotiated(app: &Router, uri: &str, content_type: &str) -> (Resp, Resp) {
    let plain = get(app, uri).await;
    assert_eq!(plain.status, StatusCode::OK, "{uri}");
    assert_eq!(
        plain.header(header::CONTENT_TYPE),
        Some(content_type),
        "{uri}"
    );
    assert_eq!(plain.header(header::CONTENT_ENCODING), None, "{uri}");
    assert_eq!(plain.header(header::VARY), Some("Accept-Encoding"), "{uri}");
    assert!(plain.header(header::CACHE_CONTROL).is_some(), "{uri}");
    let etag = plain.header(header::ETAG).expect(uri).to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "{uri}: strong ETag"
    );

    let gz = get_with(app, uri, &[("accept-encoding", "br, gzip")]).await;
    assert_eq!(gz.status, StatusCode::OK, "{uri}");
    assert_eq!(gz.header(header::CONTENT_ENCODING), Some("gzip"), "{uri}");
    let etag_gz = gz.header(header::ETAG).expect(uri).to_string();
    assert_ne!(etag_gz, etag, "{uri}: one ETag per form");
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut inflated)
        .expect(uri);
    assert_eq!(inflated, plain.body, "{uri}: gzip of the plain body");

    for (accept, tag) in [("gzip", &etag_gz), ("identity", &etag)] {
        let nm = get_with(
            app,
            uri,
            &[("accept-encoding", accept), ("if-none-match", tag)],
        )
        .await;
        assert_eq!(nm.status, StatusCode::NOT_MODIFIED, "{uri} {accept}");
        assert!(nm.body.is_empty(), "{uri} {accept}");
        assert_eq!(
            nm.header(header::ETAG),
            Some(tag.as_str()),
            "{uri} {accept}"
        );
    }
    let other = get_with(app, uri, &[("if-none-match", &etag_gz)]).await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "{uri}: the gzip tag is not the plain one's"
    );
    (plain, gz)
}
