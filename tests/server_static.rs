//! The web map's static files over real HTTP, from the `dxmap` binary: the
//! page and MapLibre are built in (served with the current directory an
//! empty temporary one), carry the security headers, and `--web DIR`
//! serves only the page's own files: no symlink out of DIR, no dotfiles,
//! `package*.json` or `node_modules` paths.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `dxmap serve` child on a free loopback port, killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    /// Starts `dxmap serve` in `cwd` with `extra` arguments and waits for
    /// the line that gives its address.
    fn start(cwd: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(common::dxmap_bin())
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--draws",
                "0",
                "--no-prewarm",
            ])
            .args(extra)
            .current_dir(cwd)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dxmap serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut seen = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("open http://").nth(1) {
                    let addr = rest.split('/').next().unwrap_or("").to_string();
                    let _ = tx.send(Ok(addr));
                    return;
                }
                seen.push_str(&line);
                seen.push('\n');
            }
            let _ = tx.send(Err(seen));
        });
        let addr = match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(Ok(addr)) => addr,
            Ok(Err(log)) => {
                let _ = child.wait();
                panic!("dxmap serve exited before listening:\n{log}")
            }
            Err(_) => {
                let _ = child.kill();
                panic!("dxmap serve did not start listening in 180 s")
            }
        };
        Server { child, addr }
    }

    fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[])
    }

    /// One HTTP/1.1 request on a fresh connection, read to its end.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("{path}: no end of headers"));
        let text = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = text.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("{path}: bad status line in {text}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect::<Vec<_>>();
        let resp = Resp {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        };
        assert_ne!(
            resp.header("transfer-encoding"),
            Some("chunked"),
            "{path}: the test reads bodies by length"
        );
        resp
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The security headers every static response must carry.
fn assert_security_headers(r: &Resp, what: &str) {
    let csp = r
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            csp.split(';').any(|d| d.trim() == directive),
            "{what}: CSP lacks {directive:?}: {csp}"
        );
    }
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    assert!(r.header("referrer-policy").is_some(), "{what}");
}

#[test]
fn page_and_maplibre_are_built_in_with_security_headers() {
    let test = "page_and_maplibre_are_built_in_with_security_headers";
    let empty = tempfile::tempdir().unwrap();
    let server = Server::start(empty.path(), &[]);

    let page = server.get("/");
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        page.body,
        std::fs::read(root().join("web/index.html")).unwrap(),
        "/ is web/index.html"
    );
    assert_security_headers(&page, "/");

    // Unchanged files revalidate to 304 through their ETag.
    let etag = page.header("etag").expect("/ has an ETag").to_string();
    let again = server.request("GET", "/", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    for (path, file) in [("/app.js", "app.js"), ("/style.css", "style.css")] {
        let r = server.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.body,
            std::fs::read(root().join("web").join(file)).unwrap()
        );
        assert_security_headers(&r, path);
    }
    // Gzip when asked for, smaller than the file.
    let gz = server.request("GET", "/app.js", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.body.len() < server.get("/app.js").body.len());

    let dist = root().join("web/node_modules/maplibre-gl/dist");
    if !dxmap::server::assets::maplibre_embedded() {
        // Built without `npm ci --prefix web`: stand-ins say what to do.
        for path in [
            "/vendor/maplibre-gl/maplibre-gl.mjs",
            "/vendor/maplibre-gl/maplibre-gl.css",
        ] {
            let r = server.get(path);
            assert_eq!(r.status, 200, "{path}");
            assert!(r.text().contains("npm ci --prefix web"), "{path}");
        }
        common::skip_for_tool(
            test,
            "MapLibre was not built in (run npm ci --prefix web, then rebuild)",
        );
        return;
    }
    for (name, content_type) in [
        ("maplibre-gl.mjs", "text/javascript; charset=utf-8"),
        ("maplibre-gl-worker.mjs", "text/javascript; charset=utf-8"),
        ("maplibre-gl.css", "text/css; charset=utf-8"),
    ] {
        let path = format!("/vendor/maplibre-gl/{name}");
        let r = server.get(&path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(content_type), "{path}");
        assert_eq!(r.body, std::fs::read(dist.join(name)).unwrap(), "{path}");
        assert_security_headers(&r, &path);
    }
    // MapLibre asks for its worker with a version query.
    let w = server.get("/vendor/maplibre-gl/maplibre-gl-worker.mjs?v=1");
    assert_eq!(w.status, 200);
    // Nothing of the npm tree, and no other dist file, is reachable.
    for path in [
        "/package.json",
        "/package-lock.json",
        "/node_modules/maplibre-gl/dist/maplibre-gl.mjs",
        "/vendor/maplibre-gl/maplibre-gl.d.ts",
        "/vendor/maplibre-gl/../package.json",
    ] {
        assert_eq!(server.get(path).status, 404, "{path}");
    }
}

/// A `--web` directory with a page, things that must never be served, and
/// symlinks in and out of it; beside it, a secret.
fn web_tree(tmp: &Path) -> PathBuf {
    let web = tmp.join("web");
    let write = |rel: &str, text: &str| {
        let p = web.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("index.html", "<!doctype html><title>dev page</title>");
    write("app.js", "console.log('dev');");
    write("sub/index.html", "<p>sub</p>");
    write(".env", "SECRET=dotenv");
    write(".git/config", "[remote] secret");
    write("package.json", "{\"secret\": 1}");
    write("package-lock.json", "{\"secret\": 2}");
    write("node_modules/left-pad/index.js", "// secret module");
    write(
        "node_modules/maplibre-gl/dist/maplibre-gl.mjs",
        "export const dev = 1;",
    );
    let outside = tmp.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "secret outside").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(outside.join("secret.txt"), web.join("leak.txt")).unwrap();
        symlink(&outside, web.join("outdir")).unwrap();
        symlink("../outside/secret.txt", web.join("relative-leak.txt")).unwrap();
        symlink(web.join(".env"), web.join("env.txt")).unwrap();
        symlink(web.join("app.js"), web.join("alias.js")).unwrap();
    }
    web
}

#[test]
fn web_dir_serves_only_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let web = web_tree(tmp.path());
    let cwd = tmp.path().join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let server = Server::start(&cwd, &["--web", web.to_str().unwrap()]);

    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert_eq!(page.text(), "<!doctype html><title>dev page</title>");
    assert_security_headers(&page, "--web /");
    assert_eq!(server.get("/app.js").text(), "console.log('dev');");
    assert_eq!(server.get("/sub/").text(), "<p>sub</p>");
    // MapLibre from the directory's own npm install, under the page's URL.
    let v = server.get("/vendor/maplibre-gl/maplibre-gl.mjs");
    assert_eq!(v.status, 200);
    assert_eq!(v.text(), "export const dev = 1;");

    let mut refused = vec![
        "/.env",
        "/.git/config",
        "/.git/",
        "/package.json",
        "/package-lock.json",
        "/node_modules/left-pad/index.js",
        "/node_modules/maplibre-gl/dist/maplibre-gl.mjs",
        "/sub/../.env",
    ];
    if cfg!(unix) {
        refused.extend([
            "/leak.txt",
            "/outdir/secret.txt",
            "/relative-leak.txt",
            "/env.txt",
        ]);
    }
    for path in refused {
        let r = server.get(path);
        assert!(
            r.status == 404 || r.status == 403,
            "{path}: {} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains("secret"), "{path}: {}", r.text());
    }
    // A symlink that stays inside the directory is fine.
    if cfg!(unix) {
        assert_eq!(server.get("/alias.js").text(), "console.log('dev');");
    }
    let post = server.request("POST", "/index.html", &[("Content-Length", "0")]);
    assert_eq!(post.status, 405);
}
