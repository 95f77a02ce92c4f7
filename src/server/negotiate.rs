//! HTTP content negotiation and conditional requests for bodies held
//! gzipped: tiles, the page's files and the large JSON bodies.
//!
//! In: the request's headers and an [`GzippedBody`] (the gzip bytes and the
//! ETags of both forms). Out: the response: 304 when the client already
//! has the form it accepts, else the gzip bytes where gzip is accepted and
//! the raw bytes (held, or inflated) where not, with the ETag, `Vary:
//! Accept-Encoding` and the given `Cache-Control`.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::served::GzippedBody;

/// True when `Accept-Encoding` allows gzip (q > 0 for `gzip` or `*`).
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut star = false;
    for v in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(s) = v.to_str() else { continue };
        for part in s.split(',') {
            let mut it = part.split(';');
            let name = it.next().unwrap_or("").trim();
            let q = || {
                it.filter_map(|p| p.trim().strip_prefix("q="))
                    .filter_map(|q| q.trim().parse::<f32>().ok())
                    .next()
                    .unwrap_or(1.0)
            };
            if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                return q() > 0.0;
            }
            if name == "*" {
                star = q() > 0.0;
            }
        }
    }
    star
}

/// True when `If-None-Match` lists `etag` (weak comparison, as RFC 9110 says) or `*`.
pub(crate) fn etag_matches(headers: &HeaderMap, etag: &[u8]) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().any(|v| {
        v.to_str().is_ok_and(|s| {
            s.split(',')
                .map(|t| t.trim())
                .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t).as_bytes() == etag)
        })
    })
}

/// The response to a GET of `body` (see the module docs), and the number
/// of body bytes it sends (0 for a 304). `raw` is the uncompressed form
/// where it is held; otherwise it is inflated from the gzip bytes, the one
/// step that can fail.
pub(crate) fn encoded_response(
    body: &GzippedBody,
    raw: Option<&Bytes>,
    content_type: &'static str,
    cache_control: HeaderValue,
    headers: &HeaderMap,
) -> std::io::Result<(Response, usize)> {
    let gzip = accepts_gzip(headers);
    let etag = if gzip {
        &body.etag_gzip
    } else {
        &body.etag_raw
    };
    let (mut res, sent) = if etag_matches(headers, etag.as_bytes()) {
        (StatusCode::NOT_MODIFIED.into_response(), 0)
    } else {
        let bytes = match (gzip, raw) {
            (true, _) => body.gzip.clone(),
            (false, Some(raw)) => raw.clone(),
            (false, None) => body.raw()?,
        };
        let sent = bytes.len();
        let mut r = Response::new(Body::from(bytes));
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if gzip {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        (r, sent)
    };
    let h = res.headers_mut();
    h.insert(header::ETAG, etag.clone());
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(header::CACHE_CONTROL, cache_control);
    Ok((res, sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(k: header::HeaderName, v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(k, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip(&h(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br"
        )));
        assert!(accepts_gzip(&h(
            header::ACCEPT_ENCODING,
            "br;q=1.0, gzip;q=0.5"
        )));
        assert!(!accepts_gzip(&h(header::ACCEPT_ENCODING, "gzip;q=0")));
        assert!(!accepts_gzip(&h(header::ACCEPT_ENCODING, "identity")));
        assert!(accepts_gzip(&h(header::ACCEPT_ENCODING, "*")));
        assert!(!accepts_gzip(&h(header::ACCEPT_ENCODING, "*, gzip;q=0")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_comparison() {
        assert!(etag_matches(
            &h(header::IF_NONE_MATCH, "\"a\", \"b\""),
            b"\"b\""
        ));
        assert!(etag_matches(&h(header::IF_NONE_MATCH, "W/\"b\""), b"\"b\""));
        assert!(etag_matches(&h(header::IF_NONE_MATCH, "*"), b"\"b\""));
        assert!(!etag_matches(&h(header::IF_NONE_MATCH, "\"c\""), b"\"b\""));
    }
}
