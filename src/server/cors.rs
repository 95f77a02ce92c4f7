//! CORS: the `--cors` text in, a [`CorsPolicy`] out (checked, so a bad
//! entry is an error at start rather than dropped), and the policy in, a
//! tower-http layer out.

use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// Which origins may call the API from a browser.
#[derive(Clone, Debug, PartialEq)]
pub enum CorsPolicy {
    /// Any origin (`*`), the default: the data is public.
    Any,
    /// Only these origins, e.g. `https://maps.example.org`.
    Origins(Vec<String>),
}

impl CorsPolicy {
    /// Parses `*` or a comma-separated list of origins (`scheme://host[:port]`,
    /// no path); an entry that is not an origin, or `*` inside a list, is an
    /// error rather than dropped.
    pub fn parse(s: &str) -> Result<CorsPolicy, String> {
        let entries: Vec<&str> = s
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        match entries.as_slice() {
            [] => return Err("no origin given (use * for any origin)".into()),
            ["*"] => return Ok(CorsPolicy::Any),
            _ => {}
        }
        let mut origins = Vec::with_capacity(entries.len());
        for e in entries {
            if e == "*" {
                return Err("'*' (any origin) cannot be combined with a list of origins".into());
            }
            if !is_origin(e) {
                return Err(format!(
                    "'{e}' is not an origin: give scheme://host[:port], e.g. https://maps.example.org, with no path"
                ));
            }
            origins.push(e.to_string());
        }
        Ok(CorsPolicy::Origins(origins))
    }
}

/// True for `scheme://host[:port]` with nothing after the host or port.
fn is_origin(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    // An IPv6 host is bracketed; anything else ends at the first colon.
    let (host, port) = match rest.strip_prefix('[') {
        Some(r) => match r.split_once(']') {
            Some((h, after)) => (h, after),
            None => return false,
        },
        None => rest.split_at(rest.find(':').unwrap_or(rest.len())),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
        });
    scheme_ok && host_ok && port_ok
}

/// The layer for `policy`: the methods and headers the API uses, `ETag` exposed.
pub(super) fn layer(policy: &CorsPolicy) -> CorsLayer {
    match policy {
        // tower-http panics on `*` inside a list; it means any origin anyway.
        CorsPolicy::Origins(list) if !list.iter().any(|o| o.trim() == "*") => CorsLayer::new()
            .allow_origin(AllowOrigin::list(
                list.iter().filter_map(|o| HeaderValue::from_str(o).ok()),
            )),
        _ => CorsLayer::new().allow_origin(Any),
    }
    .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
    .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
    .expose_headers([header::ETAG])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_lists_are_checked_not_dropped() {
        assert_eq!(CorsPolicy::parse("*"), Ok(CorsPolicy::Any));
        assert_eq!(CorsPolicy::parse(" * "), Ok(CorsPolicy::Any));
        assert_eq!(
            CorsPolicy::parse("https://a.org, http://b.org:8080,http://[::1]:3000"),
            Ok(CorsPolicy::Origins(vec![
                "https://a.org".into(),
                "http://b.org:8080".into(),
                "http://[::1]:3000".into()
            ]))
        );
        for bad in [
            "*,https://a.example",
            "https://a.example,*",
            "a.example",
            "https://a.example/",
            "https://a.example/path",
            "https://",
            "https://a.example:port",
            "https://a b",
            "",
            " , ",
        ] {
            assert!(CorsPolicy::parse(bad).is_err(), "{bad}");
        }
    }
}
