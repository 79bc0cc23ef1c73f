package oneid

import (
	"image/png"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/emulator/internal/fifo"
)

func writeFile(name string, b []byte) error { return os.WriteFile(name, b, 0o600) }

// nonWhitePixels counts the pixels of a PNG that are not (nearly) white.
func nonWhitePixels(name string) (ink, total int, err error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return 0, 0, err
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				ink++
			}
			total++
		}
	}
	return ink, total, nil
}

// TestBoundedMemory floods the unauthenticated endpoints that create
// state (login pages, codes) past small bounds: memory stays bounded and
// the next login still works.
func TestBoundedMemory(t *testing.T) {
	e := newEnv(t)
	const bound = 20
	e.srv.mu.Lock()
	e.srv.flows = fifo.New[*flow](bound)
	e.srv.codes = fifo.New[*grant](bound)
	e.srv.tokens = fifo.New[*accessGrant](bound)
	e.srv.mu.Unlock()

	victim := e.newLogin("openid")
	_, page := e.get(victim.authURL(), "") // a login page left open
	for range 3 * bound {
		e.get(e.newLogin("openid").authURL(), "")                // a flow each
		e.newLogin("openid").callback("janet-davidson", "allow") // a code each
	}
	e.srv.mu.Lock()
	flows, codes := e.srv.flows.Len(), e.srv.codes.Len()
	e.srv.mu.Unlock()
	if flows > bound || codes > bound {
		t.Errorf("%d flows, %d codes after the flood; want at most %d", flows, codes, bound)
	}
	// The flooded-out page is gone (its owner starts again) ...
	_, rest, _ := strings.Cut(string(page), `name="flow" value="`)
	id, _, _ := strings.Cut(rest, `"`)
	resp, _ := e.postForm(e.issuer+PathAuthorize+"/login", url.Values{"flow": {id}, "persona": {"janet-davidson"}})
	if resp != 400 {
		t.Errorf("the evicted page: %d, want 400", resp)
	}
	// ... and the next login works.
	for range 3 * bound {
		l := e.newLogin("openid")
		l.exchange(l.code("gary-humphrey"))
	}
	e.srv.mu.Lock()
	tokens := e.srv.tokens.Len()
	e.srv.mu.Unlock()
	if tokens > bound {
		t.Errorf("%d tokens, want at most %d", tokens, bound)
	}
	l := e.newLogin("openid")
	if tok := l.exchange(l.code("janet-davidson")); tok.access == "" {
		t.Error("the login after the flood failed")
	}
}
