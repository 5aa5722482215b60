package devportal

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	iframeRe = regexp.MustCompile(`<iframe name="([^"]+)"`)
	formRe   = regexp.MustCompile(`(?s)<form class="launch" method="post" target="([^"]+)" action="([^"]+)" hidden>(.*?)</form>`)
	inputRe  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

func TestParentPageHostsTheAppInAnIframeLoadedByFormPOST(t *testing.T) {
	f := newFixture(t, Config{AppURL: "http://localhost:8081/"})
	r := f.do(http.MethodGet, "http://127.0.0.1:8080/?page=/demo.html", "", "")
	require.Equal(t, http.StatusOK, r.Code)
	body := r.Body.String()

	names := iframeRe.FindAllStringSubmatch(body, -1)
	require.Len(t, names, 1)
	parts := strings.Split(names[0][1], "|")
	require.Len(t, parts, 3)
	assert.Equal(t, "127.0.0.1:8080", parts[0])
	assert.Equal(t, "0", parts[1])
	sid := parts[2]

	forms := formRe.FindAllStringSubmatch(body, -1)
	require.Len(t, forms, 1)
	assert.Equal(t, names[0][1], forms[0][1], "the form targets the iframe")
	action, err := url.Parse(html.UnescapeString(forms[0][2]))
	require.NoError(t, err)
	assert.Equal(t, "localhost:8081", action.Host)
	assert.Equal(t, "/demo.html", action.Path)
	assert.Equal(t, url.Values{"DOMAIN": {"127.0.0.1:8080"}, "PROTOCOL": {"0"}, "LANG": {"en"}, "APP_SID": {sid}}, action.Query())

	fields := map[string]string{}
	for _, m := range inputRe.FindAllStringSubmatch(forms[0][3], -1) {
		fields[m[1]] = html.UnescapeString(m[2])
	}
	assert.Equal(t, "3600", fields["AUTH_EXPIRES"])
	assert.Equal(t, "DEFAULT", fields["PLACEMENT"])
	assert.Equal(t, "{}", fields["PLACEMENT_OPTIONS"])
	assert.NotEmpty(t, fields["REFRESH_ID"])
	assert.NotEmpty(t, fields["member_id"])
	f.token = fields["AUTH_ID"]
	requireOK(t, f.mark("chat1", "1"))

	assert.Contains(t, body, `const APP_ORIGIN = "http://localhost:8081";`)
	assert.Contains(t, body, "/devportal/events", "the page follows the portal live")
	assert.Contains(t, body, "getInitData")
	assert.Contains(t, body, "refreshAuth")
}

func TestParentPageTwoFramesGetTheirOwnTokensAndSIDs(t *testing.T) {
	f := newFixture(t, Config{})
	body := f.do(http.MethodGet, "/?frames=2", "", "").Body.String()
	names := iframeRe.FindAllStringSubmatch(body, -1)
	require.Len(t, names, 2)
	assert.NotEqual(t, names[0][1], names[1][1])
	forms := formRe.FindAllStringSubmatch(body, -1)
	require.Len(t, forms, 2)
	assert.NotEqual(t, forms[0][3], forms[1][3])
}

func TestParentPageRejectsForeignPagePaths(t *testing.T) {
	f := newFixture(t, Config{AppURL: "http://localhost:8081/"})
	for _, page := range []string{"//evil.example/x", "http://evil.example/", "x"} {
		body := f.do(http.MethodGet, "/?page="+url.QueryEscape(page), "", "").Body.String()
		forms := formRe.FindAllStringSubmatch(body, -1)
		require.Len(t, forms, 1)
		action, _ := url.Parse(html.UnescapeString(forms[0][2]))
		assert.Equal(t, "localhost:8081", action.Host, page)
		assert.Equal(t, "/", action.Path, page)
	}
}

func TestUnknownPortalPathIs404(t *testing.T) {
	f := newFixture(t, Config{})
	assert.Equal(t, http.StatusNotFound, f.do(http.MethodGet, "/nothing", "", "").Code)
}

func TestParentPageKeepsThePagesOwnQuery(t *testing.T) {
	f := newFixture(t, Config{AppURL: "http://localhost:8081/"})
	body := f.do(http.MethodGet, "/?page="+url.QueryEscape("/?csp=strict"), "", "").Body.String()
	forms := formRe.FindAllStringSubmatch(body, -1)
	require.Len(t, forms, 1)
	action, err := url.Parse(html.UnescapeString(forms[0][2]))
	require.NoError(t, err)
	assert.Equal(t, "/", action.Path)
	assert.Equal(t, "strict", action.Query().Get("csp"))
	assert.NotEmpty(t, action.Query().Get("APP_SID"))
	assert.NotEmpty(t, action.Query().Get("DOMAIN"))
}
