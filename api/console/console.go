// Package console serves the connector's web console under /console: a page
// that renders every module of the manifest as its form and runs it against
// the connector it is served by. The assets are plain HTML, CSS and
// JavaScript embedded in the binary; the page fetches nothing from elsewhere.
//
// The page calls the connector's own API (/v1/...) with the engine key the
// user types in (kept in the browser's session storage, sent as
// "Authorization: Bearer"), and, in sandbox mode, the sandbox's control API
// (/_sandbox/...) with the sandbox token. The handler itself serves only the
// static assets and the console's settings, none of them secret.
package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// Prefix is the path the console is served under.
const Prefix = "/console"

// Options say what the page offers.
type Options struct {
	// Sandbox shows the sandbox panel and fills the connection form with
	// SandboxToken (documented and logged at start, not a secret).
	Sandbox      bool
	SandboxToken string
	// EngineAuth tells the page that calls need an engine key.
	EngineAuth bool
}

// New returns the console's handler, to be mounted at Prefix.
func New(o Options) http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := map[string][]byte{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		files[p] = b
		return err
	})
	if err != nil {
		panic(err)
	}
	cfg := map[string]any{"sandbox": o.Sandbox, "engineAuth": o.EngineAuth}
	if o.Sandbox {
		cfg["sandboxToken"] = o.SandboxToken
	}
	files["config.json"], _ = json.Marshal(cfg)
	return &handler{files: files, started: time.Now()}
}

type handler struct {
	files   map[string][]byte
	started time.Time
}

// contentSecurityPolicy lets the page load only its own assets and call only
// its own origin: nothing is fetched from elsewhere, no inline script runs.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if rest == "" {
		http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
		return
	}
	name := strings.TrimPrefix(rest, "/")
	if name == "" {
		name = "index.html"
	}
	body, ok := h.files[name]
	if !ok || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-cache")
	switch path.Ext(name) {
	case ".html":
		hd.Set("Content-Type", "text/html; charset=utf-8")
	case ".js":
		hd.Set("Content-Type", "text/javascript; charset=utf-8")
	case ".css":
		hd.Set("Content-Type", "text/css; charset=utf-8")
	case ".json":
		hd.Set("Content-Type", "application/json")
		hd.Set("Cache-Control", "no-store")
	}
	http.ServeContent(w, r, name, h.started, bytes.NewReader(body))
}
