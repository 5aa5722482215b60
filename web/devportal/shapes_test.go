package devportal

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The answers' exact JSON text: field order, integer start/processing/operating_reset_at,
// no time block on errors, PHP lists (docs/bitrix24.md#f-time-fields, #f-err-shape,
// #f-batch-shape, #f-php-arrays).
func TestAnswersExactJSON(t *testing.T) {
	const tb = `\{"start":\d+,"finish":\d+(\.\d+)?,"duration":\d+(\.\d+)?(e-\d+)?,"processing":\d+,"date_start":"[-0-9T:+]+","date_finish":"[-0-9T:+]+","operating_reset_at":\d+,"operating":[0-9.]+\}`
	f := newFixture(t, Config{Burst: 1000})
	f.p.Block("app.info", time.Hour)
	batch := func(cmds ...string) string {
		v := url.Values{"auth": {f.token}}
		for i, c := range cmds {
			v.Set("cmd["+string(rune('a'+i))+"]", c)
		}
		return f.form("batch", v).Body.String()
	}
	cases := []struct {
		name, body, want string
	}{
		{"single success", f.mark("chat1", "5").Body.String(),
			`^\{"result":true,"time":` + tb + `\}\n$`},
		{"single error", f.mark("chat1", "0").Body.String(),
			`^\{"error":"MESSAGE_ID_ERROR","error_description":"First unread message id can't be empty"\}\n$`},
		{"429", f.form("app.info", url.Values{"auth": {f.token}}).Body.String(),
			`^\{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit\."\}\n$`},
		{"batch all ok", batch("im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1", "im.dialog.unread?DIALOG_ID=chat2&MESSAGE_ID=1"),
			`^\{"result":\{"result":\{"a":true,"b":true\},"result_error":\[\],"result_total":\[\],"result_next":\[\],"result_time":\{"a":` + tb + `,"b":` + tb + `\}\},"time":` + tb + `\}\n$`},
		{"batch mixed", batch("im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1", "im.dialog.unread?DIALOG_ID=0&MESSAGE_ID=1"),
			`^\{"result":\{"result":\{"a":true\},"result_error":\{"b":\{"error":"DIALOG_ID_EMPTY","error_description":"Dialog ID can't be empty"\}\},"result_total":\[\],"result_next":\[\],"result_time":\{"a":` + tb + `\}\},"time":` + tb + `\}\n$`},
		{"batch with a blocked command", batch("im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1", "app.info"),
			`^\{"result":\{"result":\{"a":true\},"result_error":\{"b":\{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit\."\}\},"result_total":\[\],"result_next":\[\],"result_time":\{"a":` + tb + `\}\},"time":` + tb + `\}\n$`},
	}
	for _, c := range cases {
		assert.Regexp(t, regexp.MustCompile(c.want), c.body, c.name)
	}
}

// docs/bitrix24.md#f-moved-302: every REST call of a moved portal answers 302 to the same
// path and query on the new address; nothing runs, the bucket is not touched.
func TestMovedPortalRedirectsEveryRESTCall(t *testing.T) {
	f := newFixture(t, Config{MovedTo: "http://localhost:8090/", Burst: 1})
	for _, target := range []string{"/rest/im.dialog.unread?x=1", "/rest/batch", "/rest/app.info.json", "/rest/no.such"} {
		w := f.do(http.MethodPost, target, "application/x-www-form-urlencoded", "auth="+f.token+"&DIALOG_ID=chat1&MESSAGE_ID=1")
		assert.Equal(t, http.StatusFound, w.Code, target)
		assert.Equal(t, "http://localhost:8090"+target, w.Header().Get("Location"), target)
		assert.Empty(t, w.Body.String(), target)
		assert.Equal(t, "*", w.Header().Get("Access-Control-Allow-Origin"), target)
	}
	s := f.p.Stats()
	assert.Equal(t, 4, s.Requests)
	assert.Equal(t, 4, s.Redirects)
	assert.Zero(t, s.Status503)
	assert.Empty(t, f.p.Unread())
}

// -latency: the answer comes Latency later; the request was counted by the bucket (and
// the method ran) on arrival.
func TestLatencyDelaysAnswersButTheBucketCountsArrivals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{Latency: 3 * time.Second, Burst: 1, Rate: 0.1})
		start := time.Now()
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i := range 2 {
			wg.Go(func() {
				codes[i] = f.mark("chat1", "7").Code
			})
			synctest.Wait()
		}
		assert.Equal(t, map[string]int64{"chat1": 7}, f.p.Unread(), "recorded on arrival")
		assert.Equal(t, 1, f.p.Stats().Status503, "the second arrival found the bucket full")
		wg.Wait()
		assert.Equal(t, 3*time.Second, time.Since(start))
		assert.ElementsMatch(t, []int{http.StatusOK, http.StatusServiceUnavailable}, codes)
	})
}

// docs/bitrix24.md#f-req-60s: an answer later than the 60 s cap is cut at the cap (504, an
// HTML page, no CORS: what a real portal sends is unknown); the work was done.
func TestAnswerPastTheRequestCapIsCut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{Latency: 90 * time.Second})
		start := time.Now()
		w := f.mark("chat1", "3")
		assert.Equal(t, 60*time.Second, time.Since(start))
		assert.Equal(t, http.StatusGatewayTimeout, w.Code)
		assert.Contains(t, w.Header().Get("Content-Type"), "text/html")
		assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
		assert.Equal(t, map[string]int64{"chat1": 3}, f.p.Unread())
	})
}

// docs/bitrix24.md#f-cors-503: -cors-on-503=false drops the CORS headers from the 503 only.
func TestQueryLimit503WithoutCORS(t *testing.T) {
	for _, noCORS := range []bool{false, true} {
		f := newFixture(t, Config{Burst: 1, Rate: 0.001, NoCORSOn503: noCORS})
		ok := f.mark("chat1", "1")
		limited := f.mark("chat1", "1")
		require.Equal(t, http.StatusServiceUnavailable, limited.Code)
		assert.Equal(t, map[string]any{"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}, decode(t, limited))
		assert.Equal(t, "*", ok.Header().Get("Access-Control-Allow-Origin"))
		if noCORS {
			assert.Empty(t, limited.Header().Get("Access-Control-Allow-Origin"))
		} else {
			assert.Equal(t, "*", limited.Header().Get("Access-Control-Allow-Origin"))
		}
	}
}

// docs/bitrix24.md#f-appinfo-license, #f-rate-plan
func TestAppInfoAnswersTheLicenseAndEnterpriseGets5Per250(t *testing.T) {
	cases := []struct {
		cfg          Config
		license      map[string]any
		rate, burst  float64
		absentFields []string
	}{
		{Config{}, map[string]any{"LICENSE": "en_pro", "LICENSE_TYPE": "pro", "LICENSE_FAMILY": "pro"}, 2, 50, nil},
		{Config{License: "ru_ent250"}, map[string]any{"LICENSE": "ru_ent250", "LICENSE_TYPE": "ent250", "LICENSE_FAMILY": "ent"}, 5, 250, nil},
		{Config{License: "de_ent10000", Burst: 60}, map[string]any{"LICENSE": "de_ent10000", "LICENSE_TYPE": "ent10000", "LICENSE_FAMILY": "ent"}, 5, 60, nil},
		{Config{License: "ru_pro100"}, map[string]any{"LICENSE": "ru_pro100", "LICENSE_TYPE": "pro100", "LICENSE_FAMILY": "pro"}, 2, 50, nil},
		{Config{License: "ru_ent250", SelfHosted: true}, map[string]any{"LICENSE": "ru_selfhosted"}, 5, 250, []string{"LICENSE_TYPE", "LICENSE_FAMILY"}},
	}
	for _, c := range cases {
		f := newFixture(t, c.cfg)
		m := decode(t, f.form("app.info", url.Values{"auth": {f.token}}))
		res := m["result"].(map[string]any)
		for k, v := range c.license {
			assert.Equal(t, v, res[k], "%+v %s", c.cfg, k)
		}
		for _, k := range c.absentFields {
			assert.NotContains(t, res, k)
		}
		assert.Equal(t, true, res["INSTALLED"])
		cfg := f.p.config()
		assert.Equal(t, c.rate, cfg.Rate, "%+v", c.cfg)
		assert.Equal(t, int(c.burst), cfg.Burst, "%+v", c.cfg)
	}
	assert.True(t, IsEnterpriseLicense("ru_ent"))
	assert.False(t, IsEnterpriseLicense("ru_pro"))
	assert.False(t, IsEnterpriseLicense("ent250"), "LICENSE always has a language prefix")
}

// The reset fields added for these cases, and /devportal/block.
func TestResetEndpointPortalBehaviourFields(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		w := f.do(http.MethodPost, "/devportal/reset", "application/json",
			`{"license":"ru_ent250","selfHosted":true,"movedTo":"http://localhost:8090","latencyMs":250,"requestCapMs":30000,"corsOn503":false,"blockMs":{"im.dialog.unread":65000}}`)
		require.Equal(t, http.StatusOK, w.Code)
		c := f.p.config()
		assert.Equal(t, "ru_ent250", c.License)
		assert.Equal(t, 250, c.Burst)
		assert.True(t, c.SelfHosted)
		assert.Equal(t, "http://localhost:8090", c.MovedTo)
		assert.Equal(t, 250*time.Millisecond, c.Latency)
		assert.Equal(t, 30*time.Second, c.RequestCap)
		assert.True(t, c.NoCORSOn503)
		assert.Equal(t, map[string]time.Duration{"im.dialog.unread": 65 * time.Second}, c.Blocks)

		require.Equal(t, http.StatusOK, f.do(http.MethodPost, "/devportal/reset", "application/json", `{"blockMs":{"im.dialog.unread":1000}}`).Code)
		assert.Equal(t, http.StatusTooManyRequests, f.mark("chat1", "1").Code)
		time.Sleep(time.Second)
		requireOK(t, f.mark("chat1", "1"))

		w = f.do(http.MethodPost, "/devportal/block", "application/json", `{"method":"im.dialog.unread","ms":2000}`)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, http.StatusTooManyRequests, f.mark("chat1", "1").Code)
		time.Sleep(2 * time.Second)
		requireOK(t, f.mark("chat1", "1"))
		assert.Equal(t, http.StatusBadRequest, f.do(http.MethodPost, "/devportal/block", "application/json", `{"ms":5}`).Code)
	})
}

// A faulted burst of 503s follows -cors-on-503 too, and carries no time block.
func TestFaultBurst503FollowsCORSOn503(t *testing.T) {
	f := newFixture(t, Config{NoCORSOn503: true, Faults: Faults{Rate: 1, Kinds: []string{FaultBurst503}}})
	w := f.mark("chat1", "1")
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
	assert.Equal(t, map[string]any{"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}, decode(t, w))
	assert.False(t, strings.Contains(w.Body.String(), "time"))
}
